"""The sandbox side of a stage move: the pool's hold, the guardrails, attendees' credentials, budgets.

Registered from WorkshopsConfig.ready(); where each runs among a stage's handlers is its
`Order` (workshops.side_effects). Each is idempotent, as every stage handler must be.
"""

from __future__ import annotations

from functools import partial

from django.db import transaction

from workshops.models import UPCOMING_STAGES, Stage, StageChange, Workshop
from workshops.side_effects import Order, on_entering


@on_entering(Stage.REGISTRATION_OPEN, order=Order.ACCOUNTS)
def reserve_sandbox_accounts(change: StageChange) -> None:
    from workshops.sandbox import accounts

    accounts.sandbox_accounts_reserve(workshop_id=change.workshop_id)


@on_entering(Stage.CANCELLED, order=Order.ACCOUNTS)
def release_sandbox_accounts(change: StageChange) -> None:
    from workshops.sandbox import accounts

    accounts.sandbox_accounts_release(workshop_id=change.workshop_id)


def pool_shortfall_notify(*, workshop_id: int) -> int:
    """Email the workshop's SAs when its reservation falls short; returns how many accounts it lacks.

    Keyed by workshop, shortfall and owner: a rerun sends nothing, a different shortfall (seats
    changed, the pool grew) is news and is sent again.
    """
    from notifications.models import EmailKind
    from notifications.services import email_enqueue_for

    workshop = Workshop.objects.select_related("topic").get(pk=workshop_id)
    if workshop.stage not in UPCOMING_STAGES:
        return 0  # cancelled or already running: a reservation gap is no longer something to fix
    needed, reserved = workshop.accounts_needed, workshop.sandbox_accounts.count()
    shortfall = needed - reserved
    if shortfall <= 0:
        return 0
    for owner in workshop.owners.filter(is_active=True).order_by("pk"):
        email_enqueue_for(
            recipient=owner,
            kind=EmailKind.POOL_SHORTFALL,
            key=f"{EmailKind.POOL_SHORTFALL}:{workshop.pk}:{shortfall}:{owner.pk}",
            context={"workshop": workshop, "needed": needed, "reserved": reserved},
            workshop_id=workshop.pk,
        )
    return shortfall


@on_entering(Stage.REGISTRATION_OPEN, order=Order.POOL_SHORTFALL)
def tell_owners_the_pool_is_short(change: StageChange) -> None:
    pool_shortfall_notify(workshop_id=change.workshop_id)


# The allowed regions are those of published, unfinished workshops: they change whenever one is
# published (its regions open before attendees need them), starts running (a safety net for regions
# edited since), or stops (its regions close once no other workshop needs them).
@on_entering(Stage.REGISTRATION_OPEN, order=Order.GUARDRAILS)
@on_entering(Stage.RUNNING, order=Order.GUARDRAILS)
@on_entering(Stage.CLOSED, order=Order.GUARDRAILS)
@on_entering(Stage.CANCELLED, order=Order.GUARDRAILS)
def refresh_guardrails(change: StageChange) -> None:
    from workshops.sandbox.guardrails import guardrails_refresh_quietly

    guardrails_refresh_quietly()


@on_entering(Stage.RUNNING, order=Order.CREDENTIALS)
def hand_out_sandbox_accounts(change: StageChange) -> None:
    from workshops.sandbox import provisioning, tasks

    provisioning.workshop_accounts_assign(workshop_id=change.workshop_id)
    # Making the IAM users takes a while: a task of its own, so the stage change is stamped done now.
    transaction.on_commit(partial(tasks.provision_workshop.delay, change.workshop_id))


@on_entering(Stage.CLOSED, order=Order.CREDENTIALS)
def revoke_credentials(change: StageChange) -> None:
    from workshops.sandbox import tasks

    transaction.on_commit(partial(tasks.revoke_workshop.delay, change.workshop_id))


@on_entering(Stage.RUNNING, order=Order.BUDGETS)
def make_budgets(change: StageChange) -> None:
    from workshops.sandbox import budgets

    # AWS errors are reported and logged per account, never raised; the beat check makes what is missing.
    budgets.workshop_budgets_create(workshop_id=change.workshop_id)


@on_entering(Stage.CLOSED, order=Order.BUDGETS)
def remove_budgets_and_freezes(change: StageChange) -> None:
    from workshops.sandbox import budgets, freeze

    # No freeze outlives its workshop: the next workshop's attendees would find the account dead.
    freeze.workshop_freezes_lift(workshop_id=change.workshop_id)
    budgets.workshop_budgets_delete(workshop_id=change.workshop_id)
