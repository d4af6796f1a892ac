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


def sandbox_task(name: str, *, database_retries: int | None = 8, **options):
    """A late-acked task under the name it had before the sandbox had a package of its own.

    With `database_retries`, a task that meets the database gone comes back, with backoff, that
    many times; beat's own ticks have none (the next tick is the retry).
    """
    if database_retries is not None:
        options.update(autoretry_for=(DatabaseError,), retry_backoff=True, max_retries=database_retries)
    return shared_task(name=f"workshops.tasks.{name}", acks_late=True, **options)


@sandbox_task("sync_sandbox_pool", database_retries=None)
def sync_sandbox_pool() -> None:
    from workshops.sandbox import pool

    try:
        pool.sandbox_pool_sync()
    except pool.PoolSyncError as error:
        # A missing setting or an AWS outage waits for the next hourly run instead of retrying in a loop.
        log.error("sandbox pool sync failed: %s", error)


@sandbox_task("provision_workshop", bind=True)
def provision_workshop(self, workshop_id: int) -> None:
    from workshops.sandbox import provisioning
    from workshops.sandbox.provisioning import runs

    report = provisioning.workshop_provision(workshop_id=workshop_id)
    if report.busy:
        # Held by another run. A live one finishes them; one whose worker was killed holds them until
        # its leases run out, and only this task comes back for them (the redelivered message finds them busy).
        raise self.retry(countdown=runs.LEASE_SECONDS, max_retries=BUSY_RETRIES)


@sandbox_task("provision_credential")
def provision_credential(credential_id: int) -> None:
    from workshops.sandbox import provisioning

    try:
        provisioning.credential_retry(credential_id=credential_id)
    except provisioning.ProvisioningError as error:
        # Not running any more, or another run holds it: nothing a retry of this task would change.
        log.warning("credential %s not retried: %s", credential_id, error)


@sandbox_task("provision_registration")
def provision_registration(registration_id: int) -> None:
    from workshops.sandbox import provisioning

    provisioning.registration_provision(registration_id=registration_id)


@sandbox_task("revoke_workshop", bind=True, database_retries=12)
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


@sandbox_task("read_sandbox_spend", database_retries=None)
def read_sandbox_spend() -> None:
    from workshops.sandbox import spend

    # An AWS error is stored on the read and shown to the SAs; the next day's run tries again.
    read = spend.spend_read()
    if read is not None and not read.error:
        spend.workshop_cost_notify_due()


@sandbox_task("check_budgets", database_retries=None)
def check_budgets() -> None:
    from workshops.sandbox import budgets

    report = budgets.budgets_check()  # errors are reported per account; the next tick tries again
    if report.failed:
        log.warning("budgets check: %s account(s) not checked: %s", len(report.failed), report.failed)
    # What a closed workshop's hook could not undo (AWS refused): no freeze or budget outlives its workshop.
    leftovers = budgets.budgets_leftovers_remove()
    if leftovers.failed:
        log.warning("budgets check: leftovers not removed: %s", leftovers.failed)


@sandbox_task("unfreeze_account")
def unfreeze_account(freeze_id: int, actor_id: int) -> None:
    from accounts.models import User
    from workshops.sandbox import freeze

    try:
        freeze.account_unfreeze(freeze_id=freeze_id, actor=User.objects.get(pk=actor_id))
    except freeze.FreezeError as error:
        # The account stays frozen and the page says so; the SA can press again or use the admin.
        log.error("%s", error)
