"""manage.py provision_workshop: make (or retry, or revoke) attendee credentials from the shell."""

from django.core.management.base import BaseCommand, CommandError

from workshops.models import Credential, CredentialStatus, Stage, Workshop
from workshops.sandbox import provisioning


class Command(BaseCommand):
    help = (
        "Make the IAM user of every pending or failed credential of a running workshop, in this process "
        "(what its start does through Celery). With --credential, retry that one attendee; with --revoke, "
        "remove every user of a closed workshop. Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("workshop_id", type=int, nargs="?", help="the workshop's id")
        parser.add_argument("--credential", type=int, help="retry only this credential (its id)")
        parser.add_argument("--revoke", action="store_true", help="revoke a closed workshop's credentials instead")

    def handle(self, *args, workshop_id=None, credential=None, revoke=False, **options):
        if credential is not None:
            self._retry(credential)
            return
        if workshop_id is None:
            raise CommandError("Give a workshop id, or --credential ID.")
        workshop = Workshop.objects.filter(pk=workshop_id).first()
        if workshop is None:
            raise CommandError(f"There is no workshop {workshop_id}.")
        try:
            if revoke:
                report = provisioning.workshop_revoke(workshop_id=workshop.pk)
                self.stdout.write(report.summary("revoked"))
            else:
                if workshop.stage != Stage.RUNNING:
                    raise CommandError(
                        f"“{workshop.title}” is {workshop.get_stage_display().lower()}: credentials are made only "
                        "while it runs."
                    )
                report = provisioning.workshop_provision(workshop_id=workshop.pk)
                self.stdout.write(report.summary("provisioned"))
        except provisioning.ProvisioningError as error:
            raise CommandError(str(error))
        for credential_id, error in sorted(report.errors.items()):
            self.stdout.write(f"  credential {credential_id}: {error}")
        progress = provisioning.provisioning_progress(workshop)
        counts = ", ".join(f"{n} {CredentialStatus(s).label.lower()}" for s, n in progress.by_status.items() if n)
        unassigned = f", {progress.unassigned} without an account" if progress.unassigned else ""
        self.stdout.write(self.style.SUCCESS(f"“{workshop.title}”: {counts or 'no credentials'}{unassigned}."))

    def _retry(self, credential_id: int) -> None:
        if not Credential.objects.filter(pk=credential_id).exists():
            raise CommandError(f"There is no credential {credential_id}.")
        try:
            credential = provisioning.credential_retry(credential_id=credential_id)
        except provisioning.ProvisioningError as error:
            raise CommandError(str(error))
        line = f"Credential {credential.pk} ({credential.iam_user_name}): {credential.get_status_display().lower()}"
        if credential.last_error:
            line += f" — {credential.last_error}"
        self.stdout.write(line)
