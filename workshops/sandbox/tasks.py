"""Celery tasks of the sandbox side: thin, by id, safe to run twice.

Each keeps the name it had before the sandbox had a package of its own (`workshops.tasks.*`):
the beat schedule and any message already queued when a new version is deployed still find it.
Imported inside the tasks: provisioning pulls in boto3 and the notifications app, which beat-only
processes do not need.
"""

import logging

from celery import shared_task
from django.db import DatabaseError

log = logging.getLogger(__name__)
# How many times provisioning comes back for credentials another run holds (each after a lease).
BUSY_RETRIES = 4


@shared_task(name="workshops.tasks.sync_sandbox_pool", acks_late=True)
def sync_sandbox_pool() -> None:
    from workshops.sandbox import pool

    try:
        pool.sandbox_pool_sync()
    except pool.PoolSyncError as error:
        # A missing setting or an AWS outage waits for the next hourly run instead of retrying in a loop.
        log.error("sandbox pool sync failed: %s", error)


@shared_task(
    name="workshops.tasks.provision_workshop",
    bind=True,
    acks_late=True,
    autoretry_for=(DatabaseError,),
    retry_backoff=True,
    max_retries=8,
)
def provision_workshop(self, workshop_id: int) -> None:
    from workshops.sandbox import provisioning
    from workshops.sandbox.provisioning import runs

    report = provisioning.workshop_provision(workshop_id=workshop_id)
    if report.busy:
        # Held by another run. A live one finishes them; one whose worker was killed holds them until
        # its leases run out, and only this task comes back for them (the redelivered message finds them busy).
        raise self.retry(countdown=runs.LEASE_SECONDS, max_retries=BUSY_RETRIES)


@shared_task(
    name="workshops.tasks.provision_credential",
    acks_late=True,
    autoretry_for=(DatabaseError,),
    retry_backoff=True,
    max_retries=8,
)
def provision_credential(credential_id: int) -> None:
    from workshops.sandbox import provisioning

    try:
        provisioning.credential_retry(credential_id=credential_id)
    except provisioning.ProvisioningError as error:
        # Not running any more, or another run holds it: nothing a retry of this task would change.
        log.warning("credential %s not retried: %s", credential_id, error)


@shared_task(
    name="workshops.tasks.provision_registration",
    acks_late=True,
    autoretry_for=(DatabaseError,),
    retry_backoff=True,
    max_retries=8,
)
def provision_registration(registration_id: int) -> None:
    from workshops.sandbox import provisioning

    provisioning.registration_provision(registration_id=registration_id)


@shared_task(
    name="workshops.tasks.revoke_workshop",
    bind=True,
    acks_late=True,
    autoretry_for=(DatabaseError,),
    retry_backoff=True,
    max_retries=12,
)
def revoke_workshop(self, workshop_id: int) -> None:
    from workshops.sandbox import provisioning

    report = provisioning.workshop_revoke(workshop_id=workshop_id)
    if report.failed or report.busy:
        # Users left in AWS (a transient error, or a run still on them): come back later, with backoff
        # up to an hour; meanwhile the SA sees them as "revocation failed" and can retry by hand.
        raise self.retry(
            countdown=min(3600, 60 * 2**self.request.retries),
            exc=provisioning.RevocationIncomplete(report.summary("revoked")),
        )


@shared_task(name="workshops.tasks.read_sandbox_spend", acks_late=True)
def read_sandbox_spend() -> None:
    from workshops.sandbox import spend

    # An AWS error is stored on the read and shown to the SAs; the next day's run tries again.
    read = spend.spend_read()
    if read is not None and not read.error:
        spend.workshop_cost_notify_due()


@shared_task(name="workshops.tasks.check_budgets", acks_late=True)
def check_budgets() -> None:
    from workshops.sandbox import budgets

    report = budgets.budgets_check()  # errors are reported per account; the next tick tries again
    if report.failed:
        log.warning("budgets check: %s account(s) not checked: %s", len(report.failed), report.failed)
    # What a closed workshop's hook could not undo (AWS refused): no freeze or budget outlives its workshop.
    leftovers = budgets.budgets_leftovers_remove()
    if leftovers.failed:
        log.warning("budgets check: leftovers not removed: %s", leftovers.failed)


@shared_task(
    name="workshops.tasks.unfreeze_account",
    acks_late=True,
    autoretry_for=(DatabaseError,),
    retry_backoff=True,
    max_retries=8,
)
def unfreeze_account(freeze_id: int, actor_id: int) -> None:
    from accounts.models import User
    from workshops.sandbox import freeze

    try:
        freeze.account_unfreeze(freeze_id=freeze_id, actor=User.objects.get(pk=actor_id))
    except freeze.FreezeError as error:
        # The account stays frozen and the page says so; the SA can press again or use the admin.
        log.error("%s", error)
