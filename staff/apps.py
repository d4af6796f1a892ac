from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StaffConfig(AppConfig):
    """The pages a Solutions Architect works in every day: workshops, stage moves, check-in."""

    name = "staff"
    verbose_name = _("Staff pages")
