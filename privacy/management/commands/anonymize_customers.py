"""manage.py anonymize_customers: the GDPR anonymisation of DESIGN.md section 8, by hand.

The nightly beat task does the same with the defaults; this command adds a dry run, another
retention period, and one workshop at a time.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from privacy import selectors, services
from privacy.models import AnonymisationRun
from workshops.models import Workshop


class Command(BaseCommand):
    help = (
        "Anonymise the customers of every workshop closed more than CPP_GDPR_RETENTION_DAYS ago: names, emails, "
        "phones, job titles and free text are replaced, their users deactivated and signed out. Customers still "
        "registered for a later workshop wait for it. Statistics are not affected."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than-days",
            type=int,
            metavar="N",
            help=f"Workshops closed more than N days ago (default: {settings.CPP_GDPR_RETENTION_DAYS}).",
        )
        parser.add_argument("--workshop", type=int, metavar="ID", help="Only the customers of this workshop.")
        parser.add_argument("--dry-run", action="store_true", help="Count what would change; change nothing.")

    def handle(self, *args, older_than_days=None, workshop=None, dry_run=False, **options):
        if older_than_days is not None and older_than_days < 0:
            raise CommandError("--older-than-days must be 0 or more.")
        days = settings.CPP_GDPR_RETENTION_DAYS if older_than_days is None else older_than_days
        if workshop is not None:
            chosen = Workshop.objects.filter(pk=workshop).first()
            if chosen is None:
                raise CommandError(f"There is no workshop {workshop}.")
            past = selectors.workshops_past_retention(cutoff=services.retention_cutoff(older_than_days=days))
            if not past.filter(pk=workshop).exists():
                raise CommandError(
                    f"“{chosen.title}” ({chosen.get_stage_display()}) has not been closed for more than {days} days: "
                    "nothing anonymised. Use --older-than-days to shorten the retention."
                )
        run = services.customers_anonymise(
            trigger=AnonymisationRun.Trigger.COMMAND, dry_run=dry_run, older_than_days=days, workshop_id=workshop
        )
        verb = "would change" if dry_run else "changed"
        self.stdout.write(f"Anonymisation run {run.pk}{' (dry run)' if dry_run else ''}: rows {verb} per kind")
        for name, count in run.counts.items():
            self.stdout.write(f"  {name:<22} {count}")
