from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CleanerConfig(AppConfig):
    name = "cleaner"
    verbose_name = _("Cleaner")

    def ready(self):
        # The sweep at a workshop's close registers itself on import.
        from cleaner import stage_hooks  # noqa: F401
        from cleaner.registry import iam_prefixes
        from workshops.sandbox.guardrails.cleanable import cleanable_services_register

        # Attendees may use exactly the services the cleaner can clean: a new module widens the guardrails.
        cleanable_services_register(iam_prefixes)
