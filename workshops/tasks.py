"""Celery tasks of the workshops app: thin, by id, safe to run twice.

The sandbox side's tasks (the pool, provisioning, revocation) are workshops.sandbox.tasks.
"""

import logging

from celery import shared_task
from django.db import DatabaseError

from workshops import services, side_effects

log = logging.getLogger(__name__)


@shared_task(acks_late=True, autoretry_for=(DatabaseError,), retry_backoff=True, max_retries=8)
def run_stage_side_effects(stage_change_id: int) -> None:
    side_effects.stage_change_side_effects_run(stage_change_id=stage_change_id)


@shared_task(acks_late=True)
def advance_due_workshops() -> None:
    services.workshops_advance_due()


@shared_task(acks_late=True)
def tend_lost_work() -> None:
    """For beat, every few minutes: start again what a worker killed outright took with it.

    Its tasks stay unacknowledged in Redis until the broker's visibility timeout, days later:
    stage side effects, provisioning at the start and revocation at the close are taken up here
    (lost cleanup sweeps by cleaner.tasks.tend_cleanups, lost emails by the outbox dispatcher).
    """
    from workshops.sandbox import provisioning
    from workshops.sandbox.tasks import provision_workshop, revoke_workshop

    for change_id in side_effects.stage_changes_stalled():
        log.warning("stage change %s: side effects never ran, running them again", change_id)
        run_stage_side_effects.delay(change_id)
    for workshop_id in provisioning.workshops_with_stalled_provisioning():
        log.warning("workshop %s: credentials still pending after a lease, provisioning again", workshop_id)
        provision_workshop.delay(workshop_id)
    for workshop_id in provisioning.workshops_with_stalled_revocation():
        log.warning("workshop %s: closed a lease ago with credentials still live, revoking again", workshop_id)
        revoke_workshop.delay(workshop_id)
