"""Celery tasks of the workshops app: thin, by id, safe to run twice."""

import logging

from celery import shared_task
from django.db import DatabaseError

from workshops import pool, services, side_effects

log = logging.getLogger(__name__)


@shared_task(acks_late=True, autoretry_for=(DatabaseError,), retry_backoff=True, max_retries=8)
def run_stage_side_effects(stage_change_id: int) -> None:
    side_effects.stage_change_side_effects_run(stage_change_id=stage_change_id)


@shared_task(acks_late=True)
def advance_due_workshops() -> None:
    services.workshops_advance_due()


@shared_task(acks_late=True)
def sync_sandbox_pool() -> None:
    try:
        pool.sandbox_pool_sync()
    except pool.PoolSyncError as error:
        # A missing setting or an AWS outage waits for the next hourly run instead of retrying in a loop.
        log.error("sandbox pool sync failed: %s", error)
