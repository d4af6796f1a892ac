from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkshopsConfig(AppConfig):
    name = "workshops"
    verbose_name = _("Workshops")

    def ready(self):
        # Stage handlers register themselves on import: the workshop's people, then the sandbox side.
        from workshops import side_effects  # noqa: F401
        from workshops.sandbox import stage_hooks  # noqa: F401
