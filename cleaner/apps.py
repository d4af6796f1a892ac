from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CleanerConfig(AppConfig):
    name = "cleaner"
    verbose_name = _("Cleaner")
