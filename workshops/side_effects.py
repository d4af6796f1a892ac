"""What happens after a stage move has committed.

Each handler is registered for the stage a workshop enters and must be idempotent: the task that
runs them is late-acked, so a worker that dies halfway runs them all again. A stage change is
stamped once all its handlers have run, and a stamped change is never run twice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from django.utils import timezone

from workshops import services
from workshops.models import Registration, RegistrationStatus, Stage, StageChange

Handler = Callable[[StageChange], None]
_handlers: dict[str, list[Handler]] = defaultdict(list)


def on_entering(stage: str) -> Callable[[Handler], Handler]:
    """Register a handler for every workshop that enters `stage`."""

    def register(handler: Handler) -> Handler:
        if handler not in _handlers[stage]:
            _handlers[stage].append(handler)
        return handler

    return register


def handlers_for(stage: str) -> list[Handler]:
    return list(_handlers[stage])


def stage_change_side_effects_run(*, stage_change_id: int) -> bool:
    """Run the side effects of one stage change; False when they had already run."""
    change = StageChange.objects.select_related("workshop").get(pk=stage_change_id)
    if change.side_effects_done_at is not None:
        return False
    for handler in handlers_for(change.target):
        handler(change)
    StageChange.objects.filter(pk=change.pk, side_effects_done_at__isnull=True).update(
        side_effects_done_at=timezone.now()
    )
    return True


@on_entering(Stage.REGISTRATION_OPEN)
def reserve_sandbox_accounts(change: StageChange) -> None:
    services.sandbox_accounts_reserve(workshop_id=change.workshop_id)


@on_entering(Stage.CANCELLED)
def release_sandbox_accounts(change: StageChange) -> None:
    services.sandbox_accounts_release(workshop_id=change.workshop_id)


@on_entering(Stage.CANCELLED)
def tell_registered_people(change: StageChange) -> None:
    from notifications import workshop_emails

    registrations = (
        Registration.objects.select_related("attendee", "workshop")
        .filter(workshop_id=change.workshop_id)
        .exclude(status=RegistrationStatus.CANCELLED)
    )
    workshop_emails.workshop_cancelled_emails(change.workshop, list(registrations))


@on_entering(Stage.REGISTRATION_OPEN)
def invite_account_managers(change: StageChange) -> None:
    from workshops import invitations

    invitations.account_managers_invite(workshop_id=change.workshop_id)


@on_entering(Stage.REGISTRATION_CLOSED)
def send_account_manager_digests(change: StageChange) -> None:
    from workshops import invitations

    invitations.account_managers_digest(workshop_id=change.workshop_id)
