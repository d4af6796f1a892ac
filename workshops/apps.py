from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkshopsConfig(AppConfig):
    name = "workshops"
    verbose_name = _("Workshops")

    def ready(self):
        # Side effects of stage moves register themselves on import.
        from workshops import side_effects  # noqa: F401
