"""Registrations: a seat while seats remain, else the waitlist in arrival order, never overbooked.

Every decision about seats happens with the workshop's row locked (SELECT … FOR UPDATE on
PostgreSQL; SQLite's IMMEDIATE transactions serialise writers), so counting the confirmed and
writing the new registration cannot interleave with another registration or cancellation.
Attendance on the day (the SA's check-in list) is marked here too.
"""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from notifications import workshop_emails
from workshops.models import (
    CHECK_IN_STAGES,
    UPCOMING_STAGES,
    Invitation,
    Registration,
    RegistrationStatus,
    Stage,
    Workshop,
)

log = logging.getLogger(__name__)


class RegistrationError(Exception):
    """A registration or cancellation the workshop's state does not allow; the message says why."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


def _locked_workshop(workshop_id: int) -> Workshop:
    return Workshop.objects.select_for_update().get(pk=workshop_id)


def registration_open_for(workshop: Workshop, *, now=None) -> bool:
    now = now or timezone.now()
    return workshop.stage == Stage.REGISTRATION_OPEN and workshop.registration_deadline > now


def waitlist_position(registration: Registration) -> int:
    return (
        Registration.objects.filter(
            workshop_id=registration.workshop_id,
            status=RegistrationStatus.WAITLISTED,
            queued_at__lte=registration.queued_at,
        )
        .exclude(queued_at=registration.queued_at, pk__gt=registration.pk)
        .count()
    )


@transaction.atomic(durable=True)
def registration_create(*, workshop_id: int, attendee: User, invitation: Invitation | None = None) -> Registration:
    """Register `attendee`: confirmed while seats remain, else waitlisted; refuses a second one."""
    workshop = _locked_workshop(workshop_id)
    now = timezone.now()
    if not registration_open_for(workshop, now=now):
        raise RegistrationError(_("Registration for “%(title)s” is closed.") % {"title": workshop.title})
    if invitation is not None and invitation.workshop_id != workshop.pk:
        raise RegistrationError(_("This invitation link is for another workshop."))
    existing = Registration.objects.select_for_update().filter(workshop=workshop, attendee=attendee).first()
    if existing and existing.status != RegistrationStatus.CANCELLED:
        raise RegistrationError(_("You are already registered for “%(title)s”.") % {"title": workshop.title})
    confirmed = workshop.registrations.filter(status=RegistrationStatus.CONFIRMED).count()
    status = RegistrationStatus.CONFIRMED if confirmed < workshop.capacity else RegistrationStatus.WAITLISTED
    registration = existing or Registration(workshop=workshop, attendee=attendee)
    registration.status = status
    registration.queued_at = now
    registration.confirmed_at = now if status == RegistrationStatus.CONFIRMED else None
    registration.cancelled_at = None
    registration.organisation_id = attendee.organisation_id
    if invitation is not None:
        registration.invitation = invitation
        registration.account_manager_id = invitation.account_manager_id
    try:
        with transaction.atomic():
            registration.save()
    except IntegrityError:  # the same person, in another tab, a moment earlier
        raise RegistrationError(_("You are already registered for “%(title)s”.") % {"title": workshop.title})
    registration.workshop = workshop
    if status == RegistrationStatus.CONFIRMED:
        transaction.on_commit(lambda: workshop_emails.registration_confirmed_emails(registration))
    else:
        position = waitlist_position(registration)
        transaction.on_commit(lambda: workshop_emails.registration_waitlisted_emails(registration, position=position))
    return registration


@transaction.atomic(durable=True)
def registration_cancel(*, registration_id: int, actor: User) -> Registration:
    """Give up a seat or a waitlist place; a freed seat goes to the first person waiting."""
    workshop_id = Registration.objects.values_list("workshop_id", flat=True).get(pk=registration_id)
    workshop = _locked_workshop(workshop_id)
    registration = Registration.objects.select_for_update().select_related("attendee").get(pk=registration_id)
    if registration.status == RegistrationStatus.CANCELLED:
        return registration
    if workshop.stage not in UPCOMING_STAGES:
        raise RegistrationError(
            _("“%(title)s” is %(stage)s: registrations can no longer be cancelled here.")
            % {"title": workshop.title, "stage": workshop.get_stage_display().lower()}
        )
    freed_a_seat = registration.status == RegistrationStatus.CONFIRMED
    registration.status = RegistrationStatus.CANCELLED
    registration.cancelled_at = timezone.now()
    registration.save(update_fields=["status", "cancelled_at", "updated_at"])
    registration.workshop = workshop
    transaction.on_commit(lambda: workshop_emails.registration_cancelled_emails(registration))
    if freed_a_seat:
        _promote_waitlisted(workshop)
    return registration


def _promote_waitlisted(workshop: Workshop) -> list[Registration]:
    """Fill free seats from the waitlist, first come first served; the caller holds the lock."""
    # Once registration has closed the waitlist is frozen: the seats are planned for.
    if workshop.stage != Stage.REGISTRATION_OPEN:
        return []
    free = workshop.capacity - workshop.registrations.filter(status=RegistrationStatus.CONFIRMED).count()
    if free <= 0:
        return []
    promoted = list(
        workshop.registrations.select_for_update()
        .select_related("attendee")
        .filter(status=RegistrationStatus.WAITLISTED)
        .order_by("queued_at", "pk")[:free]
    )
    now = timezone.now()
    for registration in promoted:
        registration.status = RegistrationStatus.CONFIRMED
        registration.confirmed_at = now
        registration.save(update_fields=["status", "confirmed_at", "updated_at"])
        registration.workshop = workshop
        transaction.on_commit(lambda r=registration: workshop_emails.registration_promoted_emails(r))
    return promoted


@transaction.atomic
def registrations_fill_seats(*, workshop_id: int) -> list[Registration]:
    """After seats were added: promote from the waitlist into them."""
    return _promote_waitlisted(_locked_workshop(workshop_id))


# --- Attendance ----------------------------------------------------------------------------------

# The day itself (registration closes before it), and afterwards to correct a mark.


class AttendanceError(Exception):
    """An attendance mark that cannot be recorded; the message says why."""


@transaction.atomic(durable=True)
def registration_attendance_mark(*, registration_id: int, attended: bool | None, actor: User) -> Registration:
    """Record that a confirmed attendee came (True) or did not (False); None clears the mark."""
    registration = Registration.objects.select_for_update().get(pk=registration_id)
    workshop = Workshop.objects.get(pk=registration.workshop_id)
    if workshop.stage not in CHECK_IN_STAGES:
        raise AttendanceError(
            _("Attendance is taken once registration has closed; “%(title)s” is %(stage)s.")
            % {"title": workshop.title, "stage": workshop.get_stage_display().lower()}
        )
    if registration.status != RegistrationStatus.CONFIRMED:
        raise AttendanceError(
            _("Only confirmed attendees are checked in; this registration is %(status)s.")
            % {"status": registration.get_status_display().lower()}
        )
    if registration.attended is attended:
        return registration  # a double tap: keep who marked it first, and when
    registration.attended = attended
    registration.attendance_marked_at = None if attended is None else timezone.now()
    registration.attendance_marked_by = None if attended is None else actor
    registration.save(update_fields=["attended", "attendance_marked_at", "attendance_marked_by", "updated_at"])
    log.info("registration %s attendance %s by %s", registration.pk, attended, actor.pk)
    return registration
