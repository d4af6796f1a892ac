"""What happens after a stage move has committed.

Each handler is registered for the stage a workshop enters and must be idempotent: the task that
runs them is late-acked, so a worker that dies halfway runs them all again. A stage change is
stamped once all its handlers have run, and a stamped change is never run twice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db.models import F
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


# --- Issue 5: the pool's shortfall and the guardrails ----------------------------------------------


def pool_shortfall_notify(*, workshop_id: int) -> int:
    """Email the workshop's SAs when its reservation falls short; returns how many accounts it lacks.

    Keyed by workshop, shortfall and owner: a rerun sends nothing, a different shortfall (seats
    changed, the pool grew) is news and is sent again.
    """
    from notifications.models import EmailKind
    from notifications.rendering import render_email
    from notifications.services import email_enqueue
    from workshops.models import Workshop

    workshop = Workshop.objects.select_related("topic").get(pk=workshop_id)
    if workshop.stage not in (Stage.REGISTRATION_OPEN, Stage.REGISTRATION_CLOSED):
        return 0  # cancelled or already running: a reservation gap is no longer something to fix
    needed, reserved = workshop.accounts_needed, workshop.sandbox_accounts.count()
    shortfall = needed - reserved
    if shortfall <= 0:
        return 0
    for owner in workshop.owners.filter(is_active=True).order_by("pk"):
        rendered = render_email(
            kind=EmailKind.POOL_SHORTFALL,
            language=owner.preferred_language,
            context={"workshop": workshop, "needed": needed, "reserved": reserved},
        )
        email_enqueue(
            key=f"{EmailKind.POOL_SHORTFALL}:{workshop.pk}:{shortfall}:{owner.pk}",
            kind=EmailKind.POOL_SHORTFALL,
            to=owner.email,
            subject=rendered.subject,
            body_text=rendered.body_text,
            body_html=rendered.body_html,
            language=owner.preferred_language,
            workshop_id=workshop.pk,
            recipient_id=owner.pk,
        )
    return shortfall


# Registered after reserve_sandbox_accounts, so it sees what the reservation took.
@on_entering(Stage.REGISTRATION_OPEN)
def tell_owners_the_pool_is_short(change: StageChange) -> None:
    pool_shortfall_notify(workshop_id=change.workshop_id)


# The allowed regions are those of published, unfinished workshops: they change whenever one is
# published (its regions open before attendees need them), starts running (a safety net for regions
# edited since), or stops (its regions close once no other workshop needs them).
@on_entering(Stage.REGISTRATION_OPEN)
@on_entering(Stage.RUNNING)
@on_entering(Stage.CLOSED)
@on_entering(Stage.CANCELLED)
def refresh_guardrails(change: StageChange) -> None:
    from workshops.guardrails import guardrails_refresh_quietly

    guardrails_refresh_quietly()


# --- Issue 5: sandbox accounts and credentials ---------------------------------------------------


@on_entering(Stage.RUNNING)
def hand_out_sandbox_accounts(change: StageChange) -> None:
    from functools import partial

    from django.db import transaction

    from workshops import provisioning, tasks

    provisioning.workshop_accounts_assign(workshop_id=change.workshop_id)
    # Making the IAM users takes a while: a task of its own, so the stage change is stamped done now.
    transaction.on_commit(partial(tasks.provision_workshop.delay, change.workshop_id))


@on_entering(Stage.CLOSED)
def revoke_credentials(change: StageChange) -> None:
    from functools import partial

    from django.db import transaction

    from workshops import tasks

    transaction.on_commit(partial(tasks.revoke_workshop.delay, change.workshop_id))


# --- Issue 6: the cleaner ------------------------------------------------------------------------


# Registered after revoke_credentials: accounts go to cleaning as their credentials are revoked, and
# the task starts a real cleanup of those, coming back for any still being revoked.
@on_entering(Stage.CLOSED)
def clean_sandbox_accounts(change: StageChange) -> None:
    from functools import partial

    from django.db import transaction

    from cleaner import tasks

    transaction.on_commit(partial(tasks.clean_closed_workshop.delay, change.workshop_id))


# --- The survey ----------------------------------------------------------------------------------


@on_entering(Stage.CLOSED)
def send_survey(change: StageChange) -> None:
    from workshops import survey

    survey.survey_emails_queue(workshop_id=change.workshop_id)
