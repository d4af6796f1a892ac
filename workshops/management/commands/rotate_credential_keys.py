"""manage.py rotate_credential_keys: re-encrypt every stored console password with the first key."""

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from workshops.sandbox.key_ring import ensure_configured, stored_passwords_rotate


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored attendee password with the first key of CPP_CREDENTIALS_KEYS. Put the new "
        "key first (keeping the old ones after it), run this, then drop the old keys. Safe to run again: "
        "passwords already under the first key are left alone."
    )

    def handle(self, *args, **options):
        try:
            # Broken keys are refused before anything is read, whether or not passwords are stored.
            ensure_configured()
            report = stored_passwords_rotate()
        except ImproperlyConfigured as error:
            raise CommandError(f"{error}\nNothing was changed.")
        self.stdout.write(self.style.SUCCESS(report.summary()) if not report.unreadable else report.summary())
        if report.unreadable:
            # The old key must stay until these are dealt with: a non-zero exit stops a script here.
            raise CommandError(
                f"{len(report.unreadable)} stored passwords could not be decrypted; keep every old key "
                "in CPP_CREDENTIALS_KEYS until they are revoked or re-provisioned."
            )
