"""Celery tasks of the workshops app: thin, by id, safe to run twice."""

import logging

from celery import shared_task
from django.db import DatabaseError

from workshops import pool, services, side_effects

log = logging.getLogger(__name__)
# How many times provisioning comes back for credentials another run holds (each after a lease).
BUSY_RETRIES = 4


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


# --- Attendee credentials ------------------------------------------------------------------------
# Imported inside the tasks: provisioning pulls in boto3 and the notifications app, which the
# beat-only tasks above do not need.


@shared_task(bind=True, acks_late=True, autoretry_for=(DatabaseError,), retry_backoff=True, max_retries=8)
def provision_workshop(self, workshop_id: int) -> None:
    from workshops import provisioning
    from workshops.provisioning import runs

    report = provisioning.workshop_provision(workshop_id=workshop_id)
    if report.busy:
        # Held by another run. A live one finishes them; one whose worker was killed holds them until
        # its leases run out, and only this task comes back for them (the redelivered message finds them busy).
        raise self.retry(countdown=runs.LEASE_SECONDS, max_retries=BUSY_RETRIES)


@shared_task(acks_late=True)
def tend_lost_work() -> None:
    """For beat, every few minutes: start again what a worker killed outright took with it.

    Its tasks stay unacknowledged in Redis until the broker's visibility timeout, days later:
    stage side effects, provisioning at the start and revocation at the close are taken up here
    (lost cleanup sweeps by cleaner.tasks.tend_cleanups, lost emails by the outbox dispatcher).
    """
    from workshops import provisioning

    for change_id in side_effects.stage_changes_stalled():
        log.warning("stage change %s: side effects never ran, running them again", change_id)
        run_stage_side_effects.delay(change_id)
    for workshop_id in provisioning.workshops_with_stalled_provisioning():
        log.warning("workshop %s: credentials still pending after a lease, provisioning again", workshop_id)
        provision_workshop.delay(workshop_id)
    for workshop_id in provisioning.workshops_with_stalled_revocation():
        log.warning("workshop %s: closed a lease ago with credentials still live, revoking again", workshop_id)
        revoke_workshop.delay(workshop_id)


@shared_task(acks_late=True, autoretry_for=(DatabaseError,), retry_backoff=True, max_retries=8)
def provision_credential(credential_id: int) -> None:
    from workshops import provisioning

    try:
        provisioning.credential_retry(credential_id=credential_id)
    except provisioning.ProvisioningError as error:
        # Not running any more, or another run holds it: nothing a retry of this task would change.
        log.warning("credential %s not retried: %s", credential_id, error)


@shared_task(acks_late=True, autoretry_for=(DatabaseError,), retry_backoff=True, max_retries=8)
def provision_registration(registration_id: int) -> None:
    from workshops import provisioning

    provisioning.registration_provision(registration_id=registration_id)


@shared_task(bind=True, acks_late=True, autoretry_for=(DatabaseError,), retry_backoff=True, max_retries=12)
def revoke_workshop(self, workshop_id: int) -> None:
    from workshops import provisioning

    report = provisioning.workshop_revoke(workshop_id=workshop_id)
    if report.failed or report.busy:
        # Users left in AWS (a transient error, or a run still on them): come back later, with backoff
        # up to an hour; meanwhile the SA sees them as "revocation failed" and can retry by hand.
        raise self.retry(
            countdown=min(3600, 60 * 2**self.request.retries),
            exc=provisioning.RevocationIncomplete(report.summary("revoked")),
        )
