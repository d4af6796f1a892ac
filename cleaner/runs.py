"""Cleanup runs: start one, fan it out per (account, region), record each sweep, close it, move the accounts.

- A run is checked in full before it is stored (cleaner.safety); its targets are made in one
  transaction when it starts, one per region enabled in each account plus one "global" target for
  the account's global types (IAM …), which AWS serves from one region.
- A sweep claims its target for a lease it keeps renewing; a task redelivered after its worker died
  waits the lease out and sweeps again: the engine just lists again, so a rerun converges.
- The engine's threads only talk to AWS; everything it reports is written here by the thread that
  owns the sweep (DatabaseRecorder), in batches, with the target's counters for the live page.
- Nothing else assigns SandboxAccount.state for the cleaner: a successful real, unfiltered run
  sends a cleaning account back to the pool; a failed one counts, and the third in a row quarantines.
"""

from __future__ import annotations

import logging
import queue
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from cleaner import engine, findings, safety
from cleaner.answers import describe_error
from cleaner.context import GLOBAL_REGION, SweepContext
from cleaner.models import GLOBAL, CleanupItem, CleanupRun, CleanupTarget
from cleaner.registry import Item
from cleaner.selectors import COUNTERS
from workshops.models import SandboxAccount, Workshop
from workshops.sandbox import accounts as sandbox_accounts

log = logging.getLogger(__name__)

Action = CleanupItem.Action
Status = CleanupTarget.Status

DEFAULT_BUDGET_SECONDS = 1800
# A sweep renews its claim at least this often (every flush); a dead one's claim runs out after LEASE.
LEASE = timedelta(seconds=120)
FLUSH_ROWS = 200
FLUSH_SECONDS = 1.0
# An account-wide problem (refused, regions unreadable) is reported on a target of this region.
WHOLE_ACCOUNT = "*"
FIRST_SIGHT = (Action.FOUND, Action.WOULD_DELETE, Action.PROTECTED, Action.SKIPPED_BY_FILTER)


def _rescan_pause() -> float:
    # Real AWS needs a moment between scans (terminating instances, eventual consistency); tests need none.
    return float(getattr(settings, "CPP_CLEANER_RESCAN_PAUSE_SECONDS", 5.0))


# --- Starting a run ------------------------------------------------------------------------------


def cleanup_run_create(
    *,
    account_ids: Iterable[str],
    trigger: str,
    requested_by=None,
    workshop: Workshop | None = None,
    dry_run: bool = True,
    regions: Iterable[str] = (),
    services: Iterable[str] = (),
    keep_tags: dict | None = None,
    only_tags: dict | None = None,
    name_patterns: Iterable[str] = (),
    keep_name_patterns: Iterable[str] = (),
    min_age_hours: int | None = None,
    budget_seconds: int = DEFAULT_BUDGET_SECONDS,
    scope_regions: Iterable[str] = (),
    queue_it: bool = True,
) -> CleanupRun:
    """Check a run in full (SafetyError names every problem, and nothing is stored), store it, queue it."""
    accounts = safety.accounts_check(account_ids, dry_run=dry_run)
    regions = safety.regions_check(regions)
    services = safety.services_check(services, [t.type for t in engine.resource_types()])
    if budget_seconds <= 0:
        raise safety.SafetyError("The wait budget must be at least one second.")
    if not dry_run:
        # Two real sweeps of one account would race each other's deletes and muddle both reports.
        busy = CleanupRun.accounts.through.objects.filter(
            sandboxaccount__in=accounts,
            cleanuprun__dry_run=False,
            cleanuprun__status__in=[CleanupRun.Status.QUEUED, CleanupRun.Status.RUNNING],
        ).values_list("sandboxaccount__aws_account_id", "cleanuprun_id")
        if busy:
            raise safety.SafetyError(
                "\n".join(f"{account_id} is being cleaned by run {run_id} already." for account_id, run_id in busy)
            )
    with transaction.atomic():
        run = CleanupRun.objects.create(
            trigger=trigger,
            requested_by=requested_by,
            workshop=workshop,
            dry_run=dry_run,
            regions=regions,
            scope_regions=sorted(set(scope_regions)),
            services=services,
            keep_tags=keep_tags or {},
            only_tags=only_tags or {},
            name_patterns=list(name_patterns),
            keep_name_patterns=list(keep_name_patterns),
            min_age_hours=min_age_hours,
            budget_seconds=budget_seconds,
        )
        run.accounts.set(accounts)
        if queue_it:
            from cleaner import tasks

            transaction.on_commit(partial(tasks.start_run.delay, run.pk))
    log.info("cleanup run %s created (%s, dry run %s) for %s accounts", run.pk, trigger, dry_run, len(accounts))
    return run


def sandbox_accounts_start_cleanup(*, account_pks: Iterable[int], dry_run: bool, actor) -> CleanupRun:
    """An SA's cleanup (or dry run) of chosen pool accounts, from the admin; SafetyError if refused."""
    ids = SandboxAccount.objects.filter(pk__in=list(account_pks)).values_list("aws_account_id", flat=True)
    return cleanup_run_create(
        account_ids=list(ids), trigger=CleanupRun.Trigger.ADMIN, requested_by=actor, dry_run=dry_run
    )


# --- Fan-out -------------------------------------------------------------------------------------


def _target_specs(run: CleanupRun, account: SandboxAccount, types) -> list[CleanupTarget]:
    def target(region: str, status: str = Status.QUEUED, error: str = "") -> CleanupTarget:
        finished = timezone.now() if status != Status.QUEUED else None
        return CleanupTarget(
            run=run,
            sandbox_account=account,
            account_id=account.aws_account_id,
            region=region,
            status=status,
            last_error=error,
            finished_at=finished,
        )

    refusal = safety.account_still_sweepable(account, dry_run=run.dry_run)
    if refusal:
        return [target(WHOLE_ACCOUNT, Status.ERROR, refusal)]
    targets = [target(GLOBAL)] if any(t.is_global for t in global_types(run, types)) else []
    if any(not t.is_global for t in types):
        try:
            enabled = safety.enabled_regions(account.aws_account_id)
        except (ClientError, BotoCoreError) as error:
            why = f"Could not list the account's regions: {describe_error(error)}"
            return [target(WHOLE_ACCOUNT, Status.ERROR, why)]
        if not run.regions and run.scope_regions:
            # The guardrails kept attendees out of the rest: nothing of theirs can be there.
            enabled = [r for r in enabled if r in run.scope_regions]
        for region in run.regions or enabled:
            if region in enabled:
                targets.append(target(region))
            else:
                targets.append(target(region, Status.SKIPPED, "This region is not enabled in the account."))
    return targets


def global_types(run: CleanupRun, types) -> list:
    """The account-wide types a run sweeps: all of them, or, confined to regions, only those whose
    items live in a region (buckets); IAM and the like belong to no region, so to no such run."""
    return [t for t in types if t.is_global and (not run.regions or t.regional_items)]


def cleanup_run_fan_out(*, run_id: int) -> list[int]:
    """Make the run's targets (the first time) and return those still waiting for a sweep."""
    run = CleanupRun.objects.get(pk=run_id)
    if run.status == CleanupRun.Status.QUEUED:
        types = engine.resource_types(run.services)
        # The AWS calls (regions per account) before the transaction; the targets appear all at once.
        accounts = run.accounts.order_by("aws_account_id")
        specs = [spec for account in accounts for spec in _target_specs(run, account, types)]
        with transaction.atomic():
            claimed = CleanupRun.objects.filter(pk=run.pk, status=CleanupRun.Status.QUEUED).update(
                status=CleanupRun.Status.RUNNING, started_at=timezone.now()
            )
            if claimed:  # else another delivery of the start task got here first
                CleanupTarget.objects.bulk_create(specs)
        run.refresh_from_db()
    if run.status != CleanupRun.Status.RUNNING:
        return []
    now = timezone.now()
    waiting = run.targets.filter(Q(status=Status.QUEUED) | Q(status=Status.RUNNING, claimed_until__lt=now))
    return list(waiting.values_list("pk", flat=True))


# --- Recording a sweep ---------------------------------------------------------------------------


class DatabaseRecorder:
    """Writes what a sweep reports: item rows in batches, the target's counters, and its claim's renewal."""

    def __init__(self, target: CleanupTarget):
        self.target = target
        self.rows: list[CleanupItem] = []
        self.flushed_at = time.monotonic()
        # A rerun after an interruption lists again: what was recorded before is not recorded twice.
        earlier = CleanupItem.objects.filter(target=target, action__in=[*FIRST_SIGHT, Action.DELETED])
        self.recorded = set(earlier.values_list("resource_type", "resource_id", "action"))
        self.failing: set[tuple[str, str]] = set()
        self.counts = {name: getattr(target, name) for name in ("found", "deleted", "protected", "skipped")}
        # A rerun's engine counts its scans from one again; the target counts them all.
        self.earlier_scans = target.scans
        self.scans, self.clean_scans_in_a_row = target.scans, target.clean_scans_in_a_row

    def record(self, resource_type: str, item: Item, action: str, error: str = "") -> None:
        key = (resource_type, item.id)
        if action in (*FIRST_SIGHT, Action.DELETED):
            if (*key, action) in self.recorded:
                return
            self.recorded.add((*key, action))
        counter = {
            Action.FOUND: "found",
            Action.WOULD_DELETE: "found",
            Action.DELETED: "deleted",
            Action.PROTECTED: "protected",
            Action.SKIPPED_BY_FILTER: "skipped",
        }.get(action)
        if counter:
            self.counts[counter] += 1
        if action == Action.FAILED:
            self.failing.add(key)
        elif action == Action.DELETED:
            self.failing.discard(key)
        target = self.target
        self.rows.append(
            CleanupItem(
                run_id=target.run_id,
                target=target,
                account_id=target.account_id,
                region=target.region,
                resource_type=resource_type,
                resource_id=item.id[:1024],
                name=(item.name or "")[:255],
                action=action,
                error=error,
                at=timezone.now(),
            )
        )
        if len(self.rows) >= FLUSH_ROWS:
            self.flush()

    def scanned(self, scans: int, clean_scans_in_a_row: int) -> None:
        self.scans = self.earlier_scans + scans
        self.clean_scans_in_a_row = clean_scans_in_a_row
        self.flush()

    def tick(self) -> None:
        if time.monotonic() - self.flushed_at >= FLUSH_SECONDS:
            self.flush()

    def flush(self, **final) -> None:
        if self.rows:
            CleanupItem.objects.bulk_create(self.rows)
            self.rows = []
        fields = {
            **self.counts,
            "failed": len(self.failing),
            "scans": self.scans,
            "clean_scans_in_a_row": self.clean_scans_in_a_row,
            "claimed_until": timezone.now() + LEASE,
            **final,
        }
        CleanupTarget.objects.filter(pk=self.target.pk).update(**fields)
        for name, value in fields.items():
            setattr(self.target, name, value)
        self.flushed_at = time.monotonic()


class ForwardingRecorder:
    """A sweep thread's recorder in the command: hands every report to the thread that owns the database."""

    def __init__(self, events: queue.SimpleQueue, target_id: int):
        self.events, self.target_id = events, target_id

    def record(self, resource_type: str, item: Item, action: str, error: str = "") -> None:
        self.events.put((self.target_id, "record", (resource_type, item, action, error)))

    def scanned(self, scans: int, clean_scans_in_a_row: int) -> None:
        self.events.put((self.target_id, "scanned", (scans, clean_scans_in_a_row)))

    def tick(self) -> None:
        pass  # the owning thread flushes on its own clock


# --- Sweeping a target ---------------------------------------------------------------------------


@dataclass
class SweepJob:
    """A claimed target and everything its sweep needs; `run` only talks to AWS."""

    target: CleanupTarget
    context: SweepContext
    types: list
    options: dict

    def run(self, recorder) -> engine.SweepOutcome:
        return engine.sweep(self.context, self.types, recorder=recorder, **self.options)


BUSY = "busy"


def cleanup_target_claim(*, target_id: int) -> SweepJob | str | None:
    """Claim a target for a sweep: a SweepJob, BUSY while another sweep holds it, None if there is nothing to do."""
    now = timezone.now()
    with transaction.atomic():
        target = CleanupTarget.objects.select_for_update().select_related("run", "sandbox_account").get(pk=target_id)
        if target.is_finished or target.run.is_finished:
            return None
        if target.status == Status.RUNNING and target.claimed_until and target.claimed_until > now:
            return BUSY
        target.status, target.claimed_until, target.started_at = Status.RUNNING, now + LEASE, target.started_at or now
        target.save(update_fields=["status", "claimed_until", "started_at"])
    run = target.run
    refusal = safety.account_still_sweepable(target.sandbox_account, dry_run=run.dry_run)
    try:
        protection = safety.protection(account_id=target.account_id)
    except safety.SafetyError as error:
        refusal = refusal or str(error)
    if refusal:
        _target_close(target, Status.ERROR, error=refusal)
        return None
    is_global = target.region == GLOBAL
    types = engine.resource_types(run.services)
    types = global_types(run, types) if is_global else [t for t in types if not t.is_global]
    options = {
        "dry_run": run.dry_run,
        "filters": safety.Filters.of_run(run),
        "protection": protection,
        "budget_seconds": run.budget_seconds,
        "pause_seconds": _rescan_pause(),
    }
    context = SweepContext(target.account_id, GLOBAL_REGION if is_global else target.region)
    return SweepJob(target=target, context=context, types=types, options=options)


def _target_close(target: CleanupTarget, status: str, *, error: str = "", **counts) -> None:
    fields = {"status": status, "finished_at": timezone.now(), "claimed_until": None, "last_error": error, **counts}
    CleanupTarget.objects.filter(pk=target.pk).update(**fields)
    for name, value in fields.items():
        setattr(target, name, value)


def cleanup_target_finish(job: SweepJob, recorder: DatabaseRecorder, outcome: engine.SweepOutcome) -> None:
    """Write a finished sweep's last rows and its verdict."""
    clean = outcome.clean_scans_in_a_row >= 1 if job.options["dry_run"] else outcome.converged
    if clean and not job.options["dry_run"]:
        _record_deletions_of_a_lost_sweep(recorder)
    recorder.flush()
    status = Status.DIRTY
    if clean:
        status = Status.WAITING if outcome.held else Status.CLEAN
    error = outcome.last_error or "; ".join(
        f"{held.resource_type} {held.item.id}: {held.why} (not before {held.until:%Y-%m-%d %H:%M} UTC)"
        for held in outcome.held[:3]
    )
    _target_close(
        job.target, status, error=error[:2000], failed=outcome.failed, left=outcome.left, held=len(outcome.held)
    )


def _record_deletions_of_a_lost_sweep(recorder: DatabaseRecorder) -> None:
    # A sweep killed between its deletes and its next flush took their rows with it: the rerun no
    # longer lists those items, so nothing would say they were deleted. The target is clean now, so
    # whatever was found here and has no deletion recorded is gone: record it, once.
    found = {(kind, item_id) for kind, item_id, action in recorder.recorded if action == Action.FOUND}
    deleted = {(kind, item_id) for kind, item_id, action in recorder.recorded if action == Action.DELETED}
    missing = found - deleted
    if not missing:
        return
    names = dict(
        CleanupItem.objects.filter(target=recorder.target, action=Action.FOUND).values_list("resource_id", "name")
    )
    for kind, item_id in sorted(missing):
        recorder.record(kind, Item(id=item_id, name=names.get(item_id, "")), Action.DELETED)


def cleanup_target_fail(job: SweepJob, recorder: DatabaseRecorder, error: Exception) -> None:
    """A sweep that broke (a bug, not an AWS error): what it recorded stays, the target says why it stopped."""
    log.error("sweep of target %s failed", job.target.pk, exc_info=error)
    recorder.flush()
    _target_close(job.target, Status.ERROR, error=describe_error(error))


def cleanup_target_sweep(*, target_id: int) -> str | None:
    """Sweep one target in this thread (the Celery task); BUSY when another sweep holds it."""
    job = cleanup_target_claim(target_id=target_id)
    if not isinstance(job, SweepJob):
        return job
    recorder = DatabaseRecorder(job.target)
    try:
        outcome = job.run(recorder)
    except Exception as error:
        cleanup_target_fail(job, recorder, error)
    else:
        cleanup_target_finish(job, recorder, outcome)
    return None


def cleanup_run_sweep_here(
    *, run_id: int, threads: int = 16, on_progress: Callable[[CleanupRun], None] | None = None
) -> CleanupRun:
    """Sweep a whole run in this process, `threads` targets at once: the engine the workers run, without them."""
    events: queue.SimpleQueue = queue.SimpleQueue()
    recorders: dict[int, DatabaseRecorder] = {}
    running = {}
    run = CleanupRun.objects.get(pk=run_id)
    with ThreadPoolExecutor(max(1, threads), thread_name_prefix="cleanup-target") as pool:
        for target_id in cleanup_run_fan_out(run_id=run_id):
            job = cleanup_target_claim(target_id=target_id)
            if isinstance(job, SweepJob):
                recorders[target_id] = DatabaseRecorder(job.target)
                running[pool.submit(job.run, ForwardingRecorder(events, target_id))] = job
        while running:
            finished, _ = wait(running, timeout=FLUSH_SECONDS, return_when=FIRST_COMPLETED)
            _apply(events, recorders)
            for future in finished:
                job = running.pop(future)
                recorder = recorders.pop(job.target.pk)
                if isinstance(future.exception(), Exception):
                    cleanup_target_fail(job, recorder, future.exception())
                elif future.exception() is not None:
                    raise future.exception()
                else:
                    cleanup_target_finish(job, recorder, future.result())
            for recorder in recorders.values():
                recorder.tick()
            if on_progress:
                on_progress(run)
    cleanup_run_finish_if_done(run_id=run_id)
    run.refresh_from_db()
    return run


def _apply(events: queue.SimpleQueue, recorders: dict[int, DatabaseRecorder]) -> None:
    while True:
        try:
            target_id, method, args = events.get_nowait()
        except queue.Empty:
            return
        getattr(recorders[target_id], method)(*args)


# --- Closing a run -------------------------------------------------------------------------------


def cleanup_run_finish_if_done(*, run_id: int) -> bool:
    """Close the run once every target is finished: summary, status, account states. True if it closed it now.

    Before the verdict, the detector looks at each account swept clean (outside the transaction:
    it asks AWS, and is kept once per run and account whichever task gets there first).
    """
    unfinished = CleanupTarget.objects.filter(run_id=run_id).exclude(status__in=CleanupTarget.FINISHED)
    if unfinished.exists():
        return False
    findings.leftovers_check(run_id=run_id)
    with transaction.atomic():
        run = CleanupRun.objects.select_for_update().get(pk=run_id)
        if run.status != CleanupRun.Status.RUNNING:
            return False
        targets = list(run.targets.order_by("account_id", "region"))
        if any(not t.is_finished for t in targets):
            return False
        good = (Status.CLEAN, Status.SKIPPED)
        by_account: dict[str, list[CleanupTarget]] = {}
        for target in targets:
            by_account.setdefault(target.account_id, []).append(target)
        states = {}
        found = dict(
            run.detector_checks.filter(kind=findings.DetectorCheck.Kind.SCAN).values_list(
                "sandbox_account_id", "findings"
            )
        )
        if findings.detector_applies(run):
            for account in run.accounts.all():
                swept = by_account.get(account.aws_account_id, [])
                succeeded = bool(swept) and all(t.status in good for t in swept)
                # Waiting for AWS's date, or holding what the detector saw: not a failure, not the pool yet.
                waiting = bool(swept) and all(t.status in (*good, Status.WAITING) for t in swept)
                held = (waiting and not succeeded) or (succeeded and found.get(account.pk, 0) > 0)
                record = sandbox_accounts.sandbox_account_record_cleanup
                states[account.aws_account_id] = record(account.pk, succeeded=succeeded and not held, held=held)
        run.summary = _summary(run, by_account, states, found)
        if run.dry_run:  # a dry run that found things did its job; one that could not look did not
            succeeded = all(t.status != Status.ERROR and not t.failed for t in targets)
        else:
            succeeded = all(t.status in (*good, Status.WAITING) for t in targets)
        run.status = CleanupRun.Status.DONE if succeeded else CleanupRun.Status.FAILED
        run.finished_at = timezone.now()
        run.save(update_fields=["summary", "status", "finished_at"])
    log.info("cleanup run %s %s: %s", run.pk, run.status, run.summary["totals"])
    return True


def _summary(
    run: CleanupRun, by_account: dict[str, list[CleanupTarget]], states: dict[str, str], found: dict[int, int]
) -> dict:
    accounts = []
    for account_id, targets in sorted(by_account.items()):
        row = {"account_id": account_id, **{c: sum(getattr(t, c) for t in targets) for c in COUNTERS}}
        row["clean"] = all(t.status in (Status.CLEAN, Status.SKIPPED) for t in targets)
        row["leftovers"] = found.get(targets[0].sandbox_account_id, 0)
        row["errors"] = [f"{t.region}: {t.last_error}" for t in targets if t.last_error][:20]
        row["state"] = states.get(account_id, "")
        accounts.append(row)
    return {
        "dry_run": run.dry_run,
        "filtered": run.is_filtered,
        "totals": {c: sum(a[c] for a in accounts) for c in (*COUNTERS, "leftovers")},
        "accounts": accounts,
        "account_states_changed": bool(states),
    }
