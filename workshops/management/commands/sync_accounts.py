"""manage.py sync_accounts: import the sandbox pool from the AWS Organization's sandbox OU."""

from django.core.management.base import BaseCommand, CommandError

from workshops.sandbox.pool import PoolSyncError, sandbox_pool_sync


class Command(BaseCommand):
    help = (
        "Import the active member accounts under CPP_SANDBOX_OU_ID (through nested OUs) as sandbox "
        "accounts; accounts that left the OU are retired. The management account is never imported."
    )

    def handle(self, *args, **options):
        try:
            report = sandbox_pool_sync()
        except PoolSyncError as error:
            raise CommandError(str(error))
        self.stdout.write(self.style.SUCCESS(report.summary()))
        if options["verbosity"] > 1:
            for label, ids in (
                ("added", report.added),
                ("back in the pool", report.returned),
                ("updated", report.updated),
                ("retired", report.retired),
            ):
                for account_id in ids:
                    self.stdout.write(f"  {label}: {account_id}")
