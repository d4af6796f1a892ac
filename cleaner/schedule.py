"""When cleanups start by themselves: at a workshop's close, as retries, and as the nightly full sweeps.

The regions a cleanup after a workshop sweeps are those the guardrails allowed while its accounts
were in use (scope_of); a few idle accounts a night get a sweep of every enabled region all the
same. An account the detector found something in waits for an SA instead of a retry.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from cleaner import findings, safety
from cleaner.context import GLOBAL_REGION
from cleaner.models import CleanupRun, CleanupTarget
from cleaner.runs import LEASE, cleanup_run_create
from workshops.models import SandboxAccount, SandboxAccountState, Workshop
from workshops.sandbox import accounts as sandbox_accounts
from workshops.sandbox.selectors import regions_allowed_between

log = logging.getLogger(__name__)

Status = CleanupTarget.Status
# How long a failed account waits in cleaning before the next automatic attempt.
RETRY_AFTER = timedelta(minutes=30)


def _accounts_of_real_runs(**run_filters):
    # Through the link table: a subquery without NULLs (NOT IN with a NULL would exclude everything).
    links = CleanupRun.accounts.through.objects.filter(cleanuprun__dry_run=False)
    return links.filter(**{f"cleanuprun__{name}": value for name, value in run_filters.items()}).values(
        "sandboxaccount_id"
    )


def _accounts_in_active_real_runs():
    return _accounts_of_real_runs(status__in=[CleanupRun.Status.QUEUED, CleanupRun.Status.RUNNING])


def _start_for_waiting(accounts: list[SandboxAccount], *, trigger: str, workshop=None) -> CleanupRun | None:
    allowed = []
    for account in accounts:
        refusal = safety.account_still_sweepable(account, dry_run=False)
        if refusal:
            log.error("sandbox account %s not cleaned: %s", account.aws_account_id, refusal)
        else:
            allowed.append(account)
    if not allowed:
        return None
    scope = [] if trigger == CleanupRun.Trigger.FULL_SWEEP else scope_of(allowed)
    return cleanup_run_create(
        account_ids=[a.aws_account_id for a in allowed],
        trigger=trigger,
        workshop=workshop,
        dry_run=False,
        scope_regions=scope,
    )


def scope_of(accounts: list[SandboxAccount], *, now: datetime | None = None) -> list[str]:
    """The regions attendees could have used in these accounts: those the guardrails allowed from their
    workshop's provisioning to now, and us-east-1; [] (every region) when that is not known for one."""
    now = now or timezone.now()
    regions = {GLOBAL_REGION}
    for account in accounts:
        workshop = account.workshop
        allowed = regions_allowed_between(workshop.provisioning_at, now) if workshop else None
        if allowed is None:
            return []
        regions.update(allowed)
    return sorted(regions)


@transaction.atomic(durable=True)
def workshop_cleanup_start(*, workshop_id: int) -> tuple[CleanupRun | None, int]:
    """Clean a closed workshop's accounts that wait in cleaning; (the run or None, accounts still being revoked)."""
    workshop = Workshop.objects.get(pk=workshop_id)
    # Locked: two deliveries of the close task must not both start a run for the same accounts.
    waiting = list(
        SandboxAccount.objects.select_for_update()
        .filter(workshop=workshop, state=SandboxAccountState.CLEANING)
        .exclude(pk__in=_accounts_in_active_real_runs())
        .order_by("aws_account_id")
    )
    revoking = SandboxAccount.objects.filter(
        workshop=workshop, state__in=[SandboxAccountState.IN_USE, SandboxAccountState.ASSIGNED]
    ).count()
    run = _start_for_waiting(waiting, trigger=CleanupRun.Trigger.CLOSE, workshop=workshop) if waiting else None
    return run, revoking


@transaction.atomic(durable=True)
def cleanup_runs_tend(*, now: datetime | None = None) -> tuple[list[int], CleanupRun | None]:
    """What a beat task looks after: (targets whose sweep was lost, to queue again; a retry run or None)."""
    now = now or timezone.now()
    stalled = CleanupTarget.objects.filter(run__status=CleanupRun.Status.RUNNING).filter(
        Q(status=Status.QUEUED, run__started_at__lt=now - 3 * LEASE) | Q(status=Status.RUNNING, claimed_until__lt=now)
    )
    recently_tried = _accounts_of_real_runs(finished_at__gt=now - RETRY_AFTER)
    waiting = list(
        SandboxAccount.objects.select_for_update()
        .filter(state=SandboxAccountState.CLEANING)
        .exclude(pk__in=_accounts_in_active_real_runs())
        .exclude(pk__in=recently_tried)
        # An SA decides about those first: sweeping again cannot remove what the cleaner does not know.
        .exclude(pk__in=findings.accounts_with_open_findings())
        .order_by("aws_account_id")
    )
    run = _start_for_waiting(waiting, trigger=CleanupRun.Trigger.RETRY) if waiting else None
    return list(stalled.values_list("pk", flat=True)), run


# Every pool account gets a sweep of every enabled region this often, whatever the guardrails said.
FULL_SWEEP_EVERY = timedelta(days=7)
# At most this many idle accounts leave the pool for it at once: the pool must still serve.
FULL_SWEEPS_AT_ONCE = 5


def cleanup_full_sweeps_start(*, now: datetime | None = None) -> CleanupRun | None:
    """For beat, nightly: take a few idle accounts whose last sweep of every region is oldest, and sweep them."""
    now = now or timezone.now()
    swept_fully = CleanupRun.accounts.through.objects.filter(
        cleanuprun__dry_run=False,
        cleanuprun__status=CleanupRun.Status.DONE,
        cleanuprun__regions=[],
        cleanuprun__scope_regions=[],
        cleanuprun__services=[],
        cleanuprun__finished_at__gt=now - FULL_SWEEP_EVERY,
    ).values("sandboxaccount_id")
    with transaction.atomic(durable=True):
        due = list(
            SandboxAccount.objects.filter(state=SandboxAccountState.AVAILABLE)
            .exclude(pk__in=swept_fully)
            .exclude(pk__in=_accounts_in_active_real_runs())
            .order_by("updated_at", "aws_account_id")
            .values_list("pk", flat=True)[: getattr(settings, "CPP_CLEANER_FULL_SWEEPS_AT_ONCE", FULL_SWEEPS_AT_ONCE)]
        )
        if not due:
            return None
        sandbox_accounts.sandbox_accounts_to_full_sweep(SandboxAccount.objects.filter(pk__in=due))
        taken = list(SandboxAccount.objects.filter(pk__in=due, state=SandboxAccountState.CLEANING))
        return _start_for_waiting(taken, trigger=CleanupRun.Trigger.FULL_SWEEP) if taken else None
