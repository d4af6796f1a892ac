"""Leftover findings: the detector's results kept, the accounts they hold, and the SAs' decisions.

- After a real, unfiltered run has swept an account clean, `leftovers_check` asks the detector
  (cleaner.detector) once; an open finding keeps the account in cleaning instead of the pool.
- A day later, `cost_leftovers_check` reads the bill the portal already stores (AccountSpend, by
  workshops.sandbox.spend): a service still billing on the first whole idle day after a clean run
  is a leftover too. An account already back in the pool is held out of it (quarantined).
- `findings_dismiss` is an SA's decision that what was found is harmless: when nothing open is
  left, an account whose last cleanup was clean goes back to the pool.
Nothing else writes Finding or DetectorCheck.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from cleaner import detector
from cleaner.models import GLOBAL, CleanupItem, CleanupRun, CleanupTarget, DetectorCheck, Finding
from workshops.models import AccountSpend, SandboxAccount, SandboxAccountState, SpendRead
from workshops.sandbox import accounts as sandbox_accounts

log = logging.getLogger(__name__)

Status = CleanupTarget.Status
CLEAN = (Status.CLEAN, Status.SKIPPED)
# The bill of a day settles over the next one or two; the check waits that long.
COST_SETTLE_DAYS = 2
# Runs older than this are not looked at for costs any more: the account has moved on.
COST_LOOKBACK_DAYS = 10
# What AWS bills without any resource of the attendees': never a leftover.
NOT_LEFTOVERS = frozenset({"Tax"})


def _threshold() -> Decimal:
    # Below a cent a day: rounding, a request or two. Settable for a stricter programme.
    return Decimal(str(getattr(settings, "CPP_CLEANER_LEFTOVER_USD_PER_DAY", "0.01")))


def detector_applies(run: CleanupRun) -> bool:
    return not run.dry_run and not run.is_filtered


def swept_clean(targets: list[CleanupTarget]) -> bool:
    return bool(targets) and all(t.status in CLEAN for t in targets)


def leftovers_check(*, run_id: int) -> int:
    """Run the detector on each account the run swept clean (once per run and account); findings stored."""
    run = CleanupRun.objects.get(pk=run_id)
    if not detector_applies(run):
        return 0
    by_account: dict[int, list[CleanupTarget]] = {}
    for target in run.targets.all():
        by_account.setdefault(target.sandbox_account_id, []).append(target)
    done = set(
        DetectorCheck.objects.filter(run=run, kind=DetectorCheck.Kind.SCAN).values_list("sandbox_account_id", flat=True)
    )
    found = 0
    for account_pk, targets in sorted(by_account.items()):
        if account_pk in done or not swept_clean(targets):
            continue
        account_id = targets[0].account_id
        regions = {t.region for t in targets if t.status == Status.CLEAN and t.region != GLOBAL}
        recorded = CleanupItem.objects.filter(run=run, account_id=account_id)
        known = {value for pair in recorded.values_list("resource_id", "name") for value in pair if value}
        detection = detector.detect(account_id, regions, known)
        found += _store_check(run, account_pk, account_id, detection)
    return found


def _store_check(run: CleanupRun, account_pk: int, account_id: str, detection: detector.Detection) -> int:
    try:
        with transaction.atomic():
            DetectorCheck.objects.create(
                run=run,
                sandbox_account_id=account_pk,
                kind=DetectorCheck.Kind.SCAN,
                findings=len(detection.leftovers),
                errors="\n".join(detection.errors)[:5000],
            )
            Finding.objects.bulk_create(
                Finding(
                    run=run,
                    sandbox_account_id=account_pk,
                    account_id=account_id,
                    region=leftover.region,
                    source=leftover.source,
                    resource_type=leftover.resource_type[:200],
                    identifier=leftover.identifier[:1024],
                )
                for leftover in detection.leftovers
            )
    except IntegrityError:
        return 0  # another task checked this account for this run first: its findings stand
    if detection.leftovers:
        log.warning(
            "detector: %s holds %d unknown resources after run %s", account_id, len(detection.leftovers), run.pk
        )
    return len(detection.leftovers)


def accounts_with_open_findings():
    """Pool accounts that an SA has to look at first (a subquery)."""
    return Finding.objects.filter(status=Finding.Status.OPEN).values("sandbox_account_id")


def cost_leftovers_check(*, now=None) -> int:
    """For beat, daily: a service still billing the day after a clean run is a finding; how many found."""
    now = now or timezone.now()
    read = SpendRead.objects.filter(error="").order_by("-last_day").values_list("last_day", flat=True).first()
    if read is None:
        return 0
    runs = CleanupRun.objects.filter(
        dry_run=False,
        status=CleanupRun.Status.DONE,
        finished_at__gte=now - timedelta(days=COST_LOOKBACK_DAYS),
        finished_at__lte=now - timedelta(days=COST_SETTLE_DAYS),
    ).order_by("finished_at")
    found = 0
    for run in runs:
        if run.is_filtered:
            continue
        day = run.finished_at.date() + timedelta(days=1)  # the first whole day after the cleanup
        if day > read:
            continue  # the bill of that day has not been read yet
        checked = set(
            DetectorCheck.objects.filter(run=run, kind=DetectorCheck.Kind.COST).values_list(
                "sandbox_account_id", flat=True
            )
        )
        for row in run.summary.get("accounts", []):
            if not row.get("clean"):
                continue
            account = SandboxAccount.objects.filter(aws_account_id=row["account_id"]).first()
            if account is None or account.pk in checked:
                continue
            found += _cost_check(run, account, day)
    return found


def _cost_check(run: CleanupRun, account: SandboxAccount, day) -> int:
    spend = AccountSpend.objects.filter(sandbox_account=account, day=day)
    if spend.filter(workshop__isnull=False).exists():
        note = f"{day}: held by a workshop again that day; its costs are that workshop's"
        billing = []
    else:
        note = ""
        billing = [
            row
            for row in spend.filter(amount__gte=_threshold()).order_by("service")
            if row.service not in NOT_LEFTOVERS
        ]
    try:
        with transaction.atomic():
            DetectorCheck.objects.create(
                run=run, sandbox_account=account, kind=DetectorCheck.Kind.COST, findings=len(billing), errors=note
            )
            Finding.objects.bulk_create(
                Finding(
                    run=run,
                    sandbox_account=account,
                    account_id=account.aws_account_id,
                    region="",
                    source=Finding.Source.COST,
                    resource_type=row.service[:200],
                    identifier=row.service[:1024],
                    detail=f"{row.amount:.2f} {row.currency} on {day}",
                )
                for row in billing
            )
            if billing:
                sandbox_accounts.sandbox_account_hold(
                    account.pk, why=f"{len(billing)} services still billing on {day} after cleanup run {run.pk}"
                )
    except IntegrityError:
        return 0
    return len(billing)


@transaction.atomic(durable=True)
def findings_dismiss(*, finding_pks, actor) -> tuple[int, list[str]]:
    """An SA's decision that these findings are harmless; (how many, accounts that went back to the pool)."""
    now = timezone.now()
    findings = Finding.objects.select_for_update().filter(pk__in=list(finding_pks), status=Finding.Status.OPEN)
    account_pks = set(findings.values_list("sandbox_account_id", flat=True))
    dismissed = findings.update(status=Finding.Status.DISMISSED, decided_by=actor, decided_at=now)
    returned = []
    for account in SandboxAccount.objects.filter(pk__in=account_pks).order_by("aws_account_id"):
        if Finding.objects.filter(sandbox_account=account, status=Finding.Status.OPEN).exists():
            continue
        if account.state == SandboxAccountState.CLEANING and _last_cleanup_was_clean(account):
            state = sandbox_accounts.sandbox_account_record_cleanup(account.pk, succeeded=True)
            if state == SandboxAccountState.AVAILABLE:
                returned.append(account.aws_account_id)
    log.info("%s dismissed %d findings; back to the pool: %s", actor.pk, dismissed, returned or "none")
    return dismissed, returned


def _last_cleanup_was_clean(account: SandboxAccount) -> bool:
    finished = CleanupRun.objects.filter(
        accounts=account, dry_run=False, status__in=[CleanupRun.Status.DONE, CleanupRun.Status.FAILED]
    ).order_by("-finished_at")
    run = next((run for run in finished[:20] if not run.is_filtered), None)
    return run is not None and swept_clean(list(run.targets.filter(sandbox_account=account)))
