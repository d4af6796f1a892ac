from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StaffConfig(AppConfig):
    """The pages staff work in every day: the SA's workshops, stage moves and check-in; the AM's invitations."""

    name = "staff"
    verbose_name = _("Staff pages")
