"""manage.py apply_guardrails: put the sandbox OU's service control policies in line with the workshops."""

from django.core.management.base import BaseCommand, CommandError

from workshops.sandbox.guardrails import MAX_POLICY_CHARACTERS, GuardrailsError, guardrails_apply, readable_json


class Command(BaseCommand):
    help = (
        "Create, update and attach the service control policies on CPP_SANDBOX_OU_ID that keep sandbox "
        "accounts to the services the cleaner can clean, in the regions of current workshops, in the Organization, "
        "with their access role untouched and no purchase or commitment. "
        "Safe to run again: what already matches is left alone."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Print the policy and what would change; change nothing."
        )

    def handle(self, *args, dry_run: bool = False, **options):
        try:
            report = guardrails_apply(dry_run=dry_run)
        except GuardrailsError as error:
            raise CommandError(str(error))
        state = report.state
        self.stdout.write(f"Allowed regions: {', '.join(state.regions)}")
        if dry_run:
            for policy in state.policies:
                self.stdout.write(f"{policy.name} ({policy.size} of {MAX_POLICY_CHARACTERS} characters):")
                self.stdout.write(readable_json(policy.desired), ending="")
                if policy.policy_id and policy.diff:  # a policy yet to be created is all the JSON above
                    self.stdout.write(policy.diff, ending="" if policy.diff.endswith("\n") else "\n")
            for step in state.changes:
                self.stdout.write(f"  would {step}")
        style = self.style.SUCCESS if state.in_sync or not dry_run else self.style.WARNING
        self.stdout.write(style(report.summary()))
