"""Celery tasks of the cleaner, on the "cleaner" queue: thin, by id, late-acked, safe to run twice.

start_run makes a run's targets and queues one sweep_target per (account, region); AWS's limits are
per account and region, so those sweeps run side by side on as many workers as there are. The
last sweep to finish closes the run.
"""

import logging

from celery import shared_task
from django.db import DatabaseError

from cleaner import findings, runs, schedule

log = logging.getLogger(__name__)
BUSY_RETRIES = 60


@shared_task(acks_late=True, autoretry_for=(DatabaseError,), retry_backoff=True, max_retries=8)
def start_run(run_id: int) -> None:
    target_ids = runs.cleanup_run_fan_out(run_id=run_id)
    for target_id in target_ids:
        sweep_target.delay(target_id)
    if not target_ids:
        runs.cleanup_run_finish_if_done(run_id=run_id)  # nothing to sweep (or all swept already)


@shared_task(bind=True, acks_late=True, autoretry_for=(DatabaseError,), retry_backoff=True, max_retries=8)
def sweep_target(self, target_id: int) -> None:
    if runs.cleanup_target_sweep(target_id=target_id) == runs.BUSY:
        # Another sweep holds it, or a dead worker's claim has not run out yet: look again after the lease.
        # A live sweep may hold it for its whole wait budget: enough retries to outlast that.
        raise self.retry(countdown=runs.LEASE.total_seconds(), max_retries=BUSY_RETRIES)
    from cleaner.models import CleanupTarget

    run_id = CleanupTarget.objects.values_list("run_id", flat=True).get(pk=target_id)
    runs.cleanup_run_finish_if_done(run_id=run_id)


@shared_task(bind=True, acks_late=True, autoretry_for=(DatabaseError,), retry_backoff=True, max_retries=12)
def clean_closed_workshop(self, workshop_id: int) -> None:
    run, revoking = schedule.workshop_cleanup_start(workshop_id=workshop_id)
    if run is not None:
        log.info("workshop %s closed: cleanup run %s started", workshop_id, run.pk)
    if revoking and self.request.retries < self.max_retries:
        # Credentials are revoked by another task; accounts join the cleaning as theirs are gone.
        raise self.retry(countdown=min(3600, 60 * 2**self.request.retries))
    if revoking:
        log.warning("workshop %s: %s accounts still being revoked; tend_cleanups takes them", workshop_id, revoking)


@shared_task(acks_late=True)
def tend_cleanups() -> None:
    """For beat, every few minutes: requeue lost sweeps, retry accounts whose cleanup failed."""
    stalled, run = schedule.cleanup_runs_tend()
    for target_id in stalled:
        sweep_target.delay(target_id)
    if run is not None:
        log.info("cleanup run %s retries %s waiting accounts", run.pk, run.accounts.count())


@shared_task(acks_late=True, autoretry_for=(DatabaseError,), retry_backoff=True, max_retries=8)
def check_cost_leftovers() -> None:
    """For beat, daily after the bill is read: services still billing after a clean sweep become findings."""
    found = findings.cost_leftovers_check()
    if found:
        log.warning("cost leftovers: %s services still billing after a clean sweep", found)


@shared_task(acks_late=True, autoretry_for=(DatabaseError,), retry_backoff=True, max_retries=8)
def start_full_sweeps() -> None:
    """For beat, nightly: a few idle accounts get a sweep of every enabled region (the rest is scoped)."""
    run = schedule.cleanup_full_sweeps_start()
    if run is not None:
        log.info("full sweep run %s for %s idle accounts", run.pk, run.accounts.count())
