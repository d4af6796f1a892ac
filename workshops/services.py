"""Everything that creates or edits a workshop or changes its stage.

Nothing else assigns `Workshop.stage`: each move is a service that locks the row, returns quietly
if the workshop is already there, refuses an illegal move with a clear error, writes the audit
row, and queues the side effects only once the transaction has committed. The admin and the SA's
pages both create and edit workshops through `workshop_create` and `workshop_update`.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from workshops.models import (
    MAX_LEAD_MINUTES,
    OVER_STAGES,
    UPCOMING_STAGES,
    Stage,
    StageChange,
    Workshop,
)

log = logging.getLogger(__name__)

ALLOWED_MOVES: dict[str, frozenset[str]] = {
    Stage.DRAFT: frozenset({Stage.REGISTRATION_OPEN, Stage.CANCELLED}),
    Stage.REGISTRATION_OPEN: frozenset({Stage.REGISTRATION_CLOSED, Stage.CANCELLED}),
    Stage.REGISTRATION_CLOSED: frozenset({Stage.RUNNING, Stage.CANCELLED}),
    Stage.RUNNING: frozenset({Stage.CLOSED}),
    Stage.CLOSED: frozenset({Stage.ANONYMISED}),
    Stage.ANONYMISED: frozenset(),
    Stage.CANCELLED: frozenset(),
}


class StageError(Exception):
    """A stage move that the lifecycle does not allow, or whose preconditions do not hold."""

    def __init__(self, workshop: Workshop, target: str, reason: str | None = None):
        self.workshop_id, self.source, self.target = workshop.pk, workshop.stage, target
        if reason is None:
            allowed = ", ".join(str(Stage(s).label) for s in sorted(ALLOWED_MOVES[workshop.stage])) or _("nowhere")
            reason = _("From “%(source)s” a workshop can move to: %(allowed)s.") % {
                "source": Stage(workshop.stage).label,
                "allowed": allowed,
            }
        self.message = _("“%(title)s” cannot move from “%(source)s” to “%(target)s”. %(reason)s") % {
            "title": workshop.title,
            "source": Stage(workshop.stage).label,
            "target": Stage(target).label,
            "reason": reason,
        }
        super().__init__(self.message)


def _check_preconditions(workshop: Workshop, target: str, now: datetime) -> None:
    if target == Stage.REGISTRATION_OPEN and workshop.registration_deadline <= now:
        raise StageError(workshop, target, _("Its registration deadline has passed: set a later one first."))


def _move(
    *, workshop_id: int, to: str, actor: User | None, automatic: bool = False, note: str = "", durable: bool = True
) -> Workshop:
    # Durable: a stage move is its own transaction, so its side effects go once it has really
    # committed, never with a caller's transaction that might still roll back. The one exception is
    # the anonymisation run, whose move must commit or roll back with the people it anonymised.
    with transaction.atomic(durable=durable):
        return _move_locked(workshop_id=workshop_id, to=to, actor=actor, automatic=automatic, note=note)


def _move_locked(*, workshop_id: int, to: str, actor: User | None, automatic: bool, note: str) -> Workshop:
    from workshops.tasks import run_stage_side_effects

    workshop = Workshop.objects.select_for_update().get(pk=workshop_id)
    if workshop.stage == to:
        return workshop  # already there: a second click or a second beat tick
    if to not in ALLOWED_MOVES[workshop.stage]:
        raise StageError(workshop, to)
    _check_preconditions(workshop, to, timezone.now())
    change = StageChange.objects.create(
        workshop=workshop, source=workshop.stage, target=to, actor=actor, automatic=automatic, note=note[:300]
    )
    workshop.stage = to
    workshop.save(update_fields=["stage", "updated_at"])
    transaction.on_commit(partial(run_stage_side_effects.delay, change.pk))
    return workshop


def workshop_publish(*, workshop_id: int, actor: User | None) -> Workshop:
    """Open registration: AMs get their invitation links and the pool reserves accounts."""
    return _move(workshop_id=workshop_id, to=Stage.REGISTRATION_OPEN, actor=actor)


def workshop_close_registration(*, workshop_id: int, actor: User | None, automatic: bool = False) -> Workshop:
    """Close registration: the waitlist is frozen and AMs get a digest of their customers."""
    return _move(workshop_id=workshop_id, to=Stage.REGISTRATION_CLOSED, actor=actor, automatic=automatic)


def workshop_start(*, workshop_id: int, actor: User | None, automatic: bool = False) -> Workshop:
    """Start running: sandbox accounts are assigned and attendees get their credentials."""
    return _move(workshop_id=workshop_id, to=Stage.RUNNING, actor=actor, automatic=automatic)


def workshop_close(*, workshop_id: int, actor: User | None, automatic: bool = False) -> Workshop:
    """Close: credentials are revoked, the accounts cleaned and the survey sent."""
    return _move(workshop_id=workshop_id, to=Stage.CLOSED, actor=actor, automatic=automatic)


def workshop_mark_anonymised(*, workshop_id: int, actor: User | None, automatic: bool = False) -> Workshop:
    """Record that the personal data of the workshop's customers is gone, in the transaction that removed it."""
    return _move(workshop_id=workshop_id, to=Stage.ANONYMISED, actor=actor, automatic=automatic, durable=False)


def workshop_cancel(*, workshop_id: int, actor: User | None, note: str = "") -> Workshop:
    """Cancel before it runs: attendees are told and reserved accounts go back to the pool."""
    return _move(workshop_id=workshop_id, to=Stage.CANCELLED, actor=actor, note=note)


@dataclass(frozen=True)
class Move:
    target: str
    service: object
    verb: str
    consequences: str


# What staff may trigger by hand, with what the confirmation tells them will happen.
MANUAL_MOVES: dict[str, Move] = {
    m.target: m
    for m in (
        Move(
            Stage.REGISTRATION_OPEN,
            workshop_publish,
            "Publish",
            "Registration opens, every participating Account Manager is emailed their invitation link, "
            "and sandbox accounts are reserved for the seats.",
        ),
        Move(
            Stage.REGISTRATION_CLOSED,
            workshop_close_registration,
            "Close registration",
            "No one else can register, the waitlist is frozen, and Account Managers get a digest of their customers.",
        ),
        Move(
            Stage.RUNNING,
            workshop_start,
            "Start",
            "Every confirmed attendee gets a sandbox AWS account with new credentials and an email with "
            "a link to them.",
        ),
        Move(
            Stage.CLOSED,
            workshop_close,
            "Close",
            "Attendee credentials are revoked, every resource in the workshop's accounts is deleted, and "
            "the survey is sent.",
        ),
        Move(
            Stage.CANCELLED,
            workshop_cancel,
            "Cancel",
            "Registered customers are told the workshop is cancelled and reserved sandbox accounts go "
            "back to the pool. This cannot be undone.",
        ),
    )
}


def workshops_advance_due(*, now: datetime | None = None) -> list[tuple[int, str]]:
    """Make every automatic move whose time has come; one workshop's failure stops no other."""
    now = now or timezone.now()
    done: list[tuple[int, str]] = []

    def attempt(service, workshop: Workshop, target: str) -> bool:
        try:
            service(workshop_id=workshop.pk, actor=None, automatic=True)
        except StageError as error:  # moved by hand meanwhile
            log.info("automatic move skipped: %s", error)
            return False
        except Exception:
            log.exception("automatic move of workshop %s to %s failed", workshop.pk, target)
            return False
        done.append((workshop.pk, target))
        return True

    due_open = Workshop.objects.filter(stage=Stage.REGISTRATION_OPEN)
    # The lead time is per workshop; it is bounded, so this window holds every candidate.
    soon = Workshop.objects.filter(
        stage__in=UPCOMING_STAGES,
        starts_at__lte=now + timedelta(minutes=MAX_LEAD_MINUTES),
    )
    for workshop in due_open.filter(registration_deadline__lte=now).order_by("pk"):
        attempt(workshop_close_registration, workshop, Stage.REGISTRATION_CLOSED)
    for workshop in soon.order_by("pk"):
        if workshop.provisioning_at <= now:
            if workshop.stage == Stage.REGISTRATION_OPEN and not attempt(
                workshop_close_registration, workshop, Stage.REGISTRATION_CLOSED
            ):
                continue
            attempt(workshop_start, workshop, Stage.RUNNING)
    ending = Workshop.objects.filter(stage=Stage.RUNNING, ends_at__lte=now).order_by("pk")
    for workshop in ending:
        if workshop.closes_at <= now:
            attempt(workshop_close, workshop, Stage.CLOSED)
    return done


# --- Creating and editing a workshop -------------------------------------------------------------


@transaction.atomic
def workshop_create(
    *, workshop: Workshop, owners: Iterable[User], account_managers: Iterable[User], actor: User | None
) -> Workshop:
    """Save a validated new workshop as a draft, with its owners and Account Managers."""
    workshop.save()
    workshop.owners.set(owners)
    workshop.account_managers.set(account_managers)
    log.info("workshop %s created by %s", workshop.pk, actor.pk if actor else None)
    return workshop


# A change to any of these moves the event in people's calendars.
CALENDAR_FIELDS = ("starts_at", "ends_at", "time_zone", "venue", "online_link", "title")


@transaction.atomic
def workshop_update(
    *,
    workshop: Workshop,
    changed: set[str],
    actor: User | None,
    account_managers_added: Collection[User] = (),
) -> Workshop:
    """Save an SA's edit of a validated workshop and carry its consequences.

    A new date or place raises the calendar sequence and tells confirmed attendees (reminders
    move with it); more seats promote from the waitlist; the pool reservation follows the seats;
    Account Managers added to a workshop open for registration get their invitation link like the
    others did at publishing. The caller saves the new set of AMs (the form's many-to-many) in the
    same transaction; the invitations go once it commits.
    """
    from notifications import workshop_emails
    from workshops.models import Registration, RegistrationStatus
    from workshops.registrations import registrations_fill_seats

    locked = Workshop.objects.select_for_update().get(pk=workshop.pk)
    workshop.stage = locked.stage  # the form never sets the stage; keep the locked truth
    moved = workshop.is_published and bool(changed & set(CALENDAR_FIELDS))
    if moved:
        workshop.calendar_sequence = locked.calendar_sequence + 1
    workshop.save()
    if not workshop.is_published or workshop.stage in OVER_STAGES:
        return workshop
    if moved:
        confirmed = list(
            Registration.objects.select_related("attendee", "workshop").filter(
                workshop=workshop, status=RegistrationStatus.CONFIRMED
            )
        )
        transaction.on_commit(lambda: workshop_emails.workshop_changed_emails(workshop, confirmed))
    if "capacity" in changed:
        registrations_fill_seats(workshop_id=workshop.pk)
    if {"capacity", "attendees_per_account"} & changed and workshop.stage in UPCOMING_STAGES:
        transaction.on_commit(partial(_reserve_and_report, workshop.pk))
    if account_managers_added and workshop.stage == Stage.REGISTRATION_OPEN:
        from workshops.invitations import account_managers_invite

        # Those already emailed are skipped by key: only the newcomers get one.
        transaction.on_commit(partial(account_managers_invite, workshop_id=workshop.pk))
    if "aws_regions" in changed:
        from workshops.sandbox.guardrails import guardrails_refresh_quietly

        # New regions must be allowed in the sandbox accounts before attendees need them.
        transaction.on_commit(guardrails_refresh_quietly)
    log.info("workshop %s edited by %s: %s", workshop.pk, actor.pk if actor else None, sorted(changed))
    return workshop


def _reserve_and_report(workshop_id: int) -> None:
    from workshops.sandbox import accounts
    from workshops.sandbox.stage_hooks import pool_shortfall_notify

    accounts.sandbox_accounts_reserve(workshop_id=workshop_id)
    pool_shortfall_notify(workshop_id=workshop_id)
