"""What happens after a stage move has committed.

Each handler is registered for the stage a workshop enters, with its place in that stage's order,
and must be idempotent: the task that runs them is late-acked, so a worker that dies halfway runs
them all again. A stage change is stamped once all its handlers have run, and a stamped change is
never run twice.

Each app registers its own handlers from its `ready()`: this module the workshop's people (AMs,
attendees, the survey), workshops.sandbox.stage_hooks the pool, guardrails and credentials,
cleaner.stage_hooks the sweep at the close.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from enum import IntEnum

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from workshops.models import Registration, RegistrationStatus, Stage, StageChange

Handler = Callable[[StageChange], None]


class Order(IntEnum):
    """Where a handler runs among those of its stage, lowest first."""

    ACCOUNTS = 10  # the pool's hold on accounts moves first: what follows reads it
    PEOPLE = 20  # AMs and attendees told (invitations, digests, cancellations)
    POOL_SHORTFALL = 30  # after the reservation, so it reports what the pool really lacked
    GUARDRAILS = 40  # regions opened before credentials are made, closed after the close
    CREDENTIALS = 50  # provisioning at the start, revocation at the close
    BUDGETS = 55  # after credentials are assigned: a budget counts the attendees seated in its account
    CLEANUP = 60  # after revocation: accounts go to cleaning as their credentials are revoked
    SURVEY = 70


_handlers: dict[str, dict[Handler, int]] = defaultdict(dict)


def on_entering(stage: str, *, order: Order | int) -> Callable[[Handler], Handler]:
    """Register a handler for every workshop that enters `stage`, at `order` among that stage's handlers."""

    def register(handler: Handler) -> Handler:
        _handlers[stage][handler] = int(order)  # registering again (a module reloaded) moves nothing
        return handler

    return register


def handlers_for(stage: str) -> list[Handler]:
    """The handlers of `stage` in the order they run; ties go by module and name, never by import order."""
    registered = _handlers[stage]
    return sorted(registered, key=lambda h: (registered[h], h.__module__, h.__qualname__))


@contextmanager
def stage_hooks_replaced(stage: str, handlers: dict[Handler, int] | list[Handler]) -> Iterator[None]:
    """For tests: run exactly `handlers` (a list keeps its order) on entering `stage`, until the block ends."""
    kept = _handlers[stage]
    if isinstance(handlers, list):
        handlers = {handler: position for position, handler in enumerate(handlers)}
    _handlers[stage] = dict(handlers)
    try:
        yield
    finally:
        _handlers[stage] = kept


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


# A side-effects task that has not finished this long after its change was lost with its worker.
STALLED_AFTER = timedelta(minutes=10)


def _redelivered_after() -> int:
    # Redis hands an unacknowledged task out again after this; the filesystem broker keeps no such clock.
    return settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 2 * 24 * 3600)


def stage_changes_stalled(*, now=None) -> list[int]:
    """Stage changes whose side effects never ran, though their task should have long ago.

    Only while the workshop is still in the stage the change led to: the side effects of a stage
    it has since left (publish emails for a workshop now closed) must not run late. Changes older
    than the broker's visibility timeout come back from the broker itself.
    """
    now = now or timezone.now()
    return list(
        StageChange.objects.filter(
            side_effects_done_at__isnull=True,
            created_at__lt=now - STALLED_AFTER,
            created_at__gt=now - timedelta(seconds=_redelivered_after()),
            workshop__stage=F("target"),
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


@on_entering(Stage.CANCELLED, order=Order.PEOPLE)
def tell_registered_people(change: StageChange) -> None:
    from notifications import workshop_emails

    registrations = (
        Registration.objects.select_related("attendee", "workshop")
        .filter(workshop_id=change.workshop_id)
        .exclude(status=RegistrationStatus.CANCELLED)
    )
    workshop_emails.workshop_cancelled_emails(change.workshop, list(registrations))


@on_entering(Stage.REGISTRATION_OPEN, order=Order.PEOPLE)
def invite_account_managers(change: StageChange) -> None:
    from workshops import invitations

    invitations.account_managers_invite(workshop_id=change.workshop_id)


@on_entering(Stage.REGISTRATION_CLOSED, order=Order.PEOPLE)
def send_account_manager_digests(change: StageChange) -> None:
    from workshops import invitations

    invitations.account_managers_digest(workshop_id=change.workshop_id)


# --- The survey ----------------------------------------------------------------------------------


@on_entering(Stage.CLOSED, order=Order.SURVEY)
def send_survey(change: StageChange) -> None:
    from workshops import survey

    survey.survey_emails_queue(workshop_id=change.workshop_id)
