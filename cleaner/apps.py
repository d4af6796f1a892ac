from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CleanerConfig(AppConfig):
    name = "cleaner"
    verbose_name = _("Cleaner")

    def ready(self):
        # The sweep at a workshop's close registers itself on import.
        from cleaner import stage_hooks  # noqa: F401
