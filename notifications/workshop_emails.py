"""Which emails a registration or a workshop gets, and when: the schedule rules.

Every email here is keyed by what it is about, so queuing it again is harmless; a
re-registration after a cancellation is a new round (its own keys), because the first round's
emails were cancelled. Timed emails are rules relative to the workshop's start; when the
workshop's date or place changes, the queued ones are re-rendered and moved, and each confirmed
attendee gets the change with a calendar update (same UID, higher SEQUENCE).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from notifications import services
from notifications.calendar import workshop_calendar
from notifications.models import EmailKind, EmailStatus, OutboundEmail
from notifications.rendering import render_email


@dataclass(frozen=True)
class ScheduleRule:
    kind: str
    before_start: timedelta


# Reminders a week and a day before the start. A registration made after a rule's moment does
# not get that email: a reminder "in a week" two days before would be wrong.
SCHEDULE = (
    ScheduleRule(EmailKind.REMINDER_WEEK, timedelta(days=7)),
    ScheduleRule(EmailKind.REMINDER_DAY, timedelta(days=1)),
)
# These carry the event itself, so they carry the calendar invite.
WITH_CALENDAR = {EmailKind.REGISTRATION_CONFIRMED, EmailKind.PROMOTED, EmailKind.WORKSHOP_CHANGED}


def site_link(name: str, *args) -> str:
    return f"{settings.SITE_URL}{reverse(name, args=args)}"


def _round(registration) -> str:
    # One round per time the person joined the queue; cancelling and coming back is a new one.
    return f"{registration.pk}.{int(registration.queued_at.timestamp() * 1_000_000)}"


def _context(registration, **extra) -> dict:
    return {
        "workshop": registration.workshop,
        "attendee": registration.attendee,
        "my_workshops_link": site_link("workshops:my_workshops"),
        "calendar_attached": False,
        **extra,
    }


def _queue(kind: str, registration, *, key: str, scheduled_at=None, calendar: str = "", **extra) -> OutboundEmail:
    return services.email_enqueue_for(
        recipient=registration.attendee,
        kind=kind,
        key=key,
        context=_context(registration, calendar_attached=bool(calendar), **extra),
        scheduled_at=scheduled_at,
        workshop_id=registration.workshop_id,
        registration_id=registration.pk,
        calendar=calendar,
    )


def _calendar(registration, *, cancelled: bool = False) -> str:
    workshop = registration.workshop
    return workshop_calendar(
        workshop=workshop,
        attendee_email=registration.attendee.email,
        sequence=workshop.calendar_sequence,
        cancelled=cancelled,
    )


def _queue_reminders(registration) -> None:
    now = timezone.now()
    for rule in SCHEDULE:
        moment = registration.workshop.starts_at - rule.before_start
        if moment > now:
            _queue(rule.kind, registration, key=f"{rule.kind}:{_round(registration)}", scheduled_at=moment)


def registration_confirmed_emails(registration) -> None:
    """A seat: the confirmation with the calendar invite, then the reminders."""
    _queue(
        EmailKind.REGISTRATION_CONFIRMED,
        registration,
        key=f"{EmailKind.REGISTRATION_CONFIRMED}:{_round(registration)}",
        calendar=_calendar(registration),
    )
    _queue_reminders(registration)


def registration_waitlisted_emails(registration, *, position: int) -> None:
    _queue(EmailKind.WAITLISTED, registration, key=f"{EmailKind.WAITLISTED}:{_round(registration)}", position=position)


def registration_promoted_emails(registration) -> None:
    """Off the waitlist: the news with the calendar invite, then the reminders."""
    _queue(
        EmailKind.PROMOTED,
        registration,
        key=f"{EmailKind.PROMOTED}:{_round(registration)}",
        calendar=_calendar(registration),
    )
    _queue_reminders(registration)


def _cancel_queued(emails, reason: str) -> int:
    return emails.filter(status=EmailStatus.QUEUED).update(
        status=EmailStatus.CANCELLED, last_error=reason, updated_at=timezone.now()
    )


def registration_cancelled_emails(registration) -> None:
    """Withdraw what was still to come, and confirm the cancellation (removing the calendar event)."""
    _cancel_queued(OutboundEmail.objects.filter(registration=registration), "The registration was cancelled.")
    _queue(
        EmailKind.REGISTRATION_CANCELLED,
        registration,
        key=f"{EmailKind.REGISTRATION_CANCELLED}:{_round(registration)}",
        calendar=_calendar(registration, cancelled=True),
    )


def workshop_cancelled_emails(workshop, registrations) -> None:
    """Tell everyone holding a seat or a waitlist place, and withdraw everything still queued."""
    _cancel_queued(OutboundEmail.objects.filter(workshop=workshop), "The workshop was cancelled.")
    for registration in registrations:
        _queue(
            EmailKind.WORKSHOP_CANCELLED,
            registration,
            key=f"{EmailKind.WORKSHOP_CANCELLED}:{_round(registration)}",
            calendar=_calendar(registration, cancelled=True) if registration.status == "confirmed" else "",
        )


def workshop_changed_emails(workshop, confirmed_registrations) -> None:
    """The date or place moved: re-time and re-render queued reminders, tell confirmed attendees."""
    now = timezone.now()
    queued = OutboundEmail.objects.filter(workshop=workshop, status=EmailStatus.QUEUED)
    for registration in confirmed_registrations:
        for rule in SCHEDULE:
            key = f"{rule.kind}:{_round(registration)}"
            moment = workshop.starts_at - rule.before_start
            if moment <= now:
                _cancel_queued(queued.filter(key=key), "Its moment passed when the workshop moved.")
                continue
            rendered = _queue(rule.kind, registration, key=key, scheduled_at=moment)
            if rendered.status == EmailStatus.QUEUED:
                _refresh(rendered, registration, scheduled_at=moment)
        _queue(
            EmailKind.WORKSHOP_CHANGED,
            registration,
            key=f"{EmailKind.WORKSHOP_CHANGED}:{_round(registration)}:{workshop.calendar_sequence}",
            calendar=_calendar(registration),
        )


def _refresh(email: OutboundEmail, registration, *, scheduled_at) -> None:
    # A queued email keeps its key but takes the workshop's new time and words.
    rendered = render_email(
        kind=email.kind, language=registration.attendee.preferred_language, context=_context(registration)
    )
    services.email_rerender(
        email_id=email.pk,
        kind=email.kind,
        subject=rendered.subject,
        body_text=rendered.body_text,
        body_html=rendered.body_html,
        scheduled_at=scheduled_at,
    )


def survey_key(registration) -> str:
    # One survey per registration, whatever happens to the workshop afterwards.
    return f"{EmailKind.SURVEY}:{registration.pk}"


def survey_email(registration, *, survey_link: str) -> OutboundEmail:
    """After the workshop: the link to its one-page survey (workshops.survey makes the link)."""
    return _queue(EmailKind.SURVEY, registration, key=survey_key(registration), survey_link=survey_link)
