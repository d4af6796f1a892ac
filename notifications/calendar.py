"""The calendar invite (.ics) sent with a workshop's emails.

One event per workshop, always under the same UID: a calendar app that already has it replaces
it when a higher SEQUENCE arrives (a new time or place) and removes it on METHOD:CANCEL. The
event is written in the workshop's own time zone with its VTIMEZONE, so every app shows the
right local time wherever the attendee is.
"""

from __future__ import annotations

from datetime import timedelta
from email.utils import parseaddr

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress

PRODID = "-//CPP Portal//Workshops//EN"
# A year either side covers any reschedule; the default (1970–2038) bloats every email.
TIMEZONE_MARGIN = timedelta(days=366)


def workshop_uid(workshop) -> str:
    """The event's identity in calendar apps: one per workshop, never changing."""
    return f"workshop-{workshop.pk}@cpp-portal"


def workshop_calendar(
    *, workshop, attendee_email: str, sequence: int, cancelled: bool = False, url: str | None = None
) -> str:
    """An iCalendar invite (or cancellation) of `workshop` for one attendee, with CRLF line ends."""
    if sequence < 0:
        raise ValueError("A calendar SEQUENCE starts at 0 and only grows.")
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "REQUEST")

    event = Event()
    event.add("uid", workshop_uid(workshop))
    event.add("sequence", sequence)
    event.add("dtstamp", timezone.now())
    if workshop.updated_at:
        event.add("last-modified", workshop.updated_at)
    # Local times with a TZID (not UTC), so the event stays at 09:00 Madrid across DST changes.
    event.add("dtstart", workshop.local_start)
    event.add("dtend", workshop.local_end)
    event.add("summary", workshop.title)
    event.add("description", _description(workshop))
    event.add("location", _location(workshop))
    event.add("url", url or _default_url())
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")
    event.add("organizer", _organizer())
    event.add("attendee", _attendee(attendee_email))
    calendar.add_component(event)

    calendar.add_missing_timezones(
        first_date=workshop.local_start.date() - TIMEZONE_MARGIN,
        last_date=workshop.local_end.date() + TIMEZONE_MARGIN,
    )
    return calendar.to_ical().decode("utf-8")


def _location(workshop) -> str:
    venue = ", ".join(line.strip() for line in workshop.venue.splitlines() if line.strip())
    return venue or workshop.online_link


def _description(workshop) -> str:
    parts = [workshop.agenda.strip()]
    # An in-person workshop with a stream too: LOCATION holds the address, so the link goes here.
    if workshop.venue.strip() and workshop.online_link:
        parts.append(workshop.online_link)
    return "\n\n".join(part for part in parts if part)


def _default_url() -> str:
    try:
        return settings.SITE_URL + reverse("workshops:my_workshops")
    except NoReverseMatch:  # the attendee pages are not wired in: the portal's front door
        return settings.SITE_URL + "/"


def _organizer() -> vCalAddress:
    name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    organizer = vCalAddress(f"mailto:{address}")
    if name:
        organizer.params["cn"] = name
    return organizer


def _attendee(email: str) -> vCalAddress:
    attendee = vCalAddress(f"mailto:{email.strip().lower()}")
    attendee.params["cutype"] = "INDIVIDUAL"
    attendee.params["role"] = "REQ-PARTICIPANT"
    attendee.params["partstat"] = "ACCEPTED"  # they registered: that is their answer
    # Nobody reads replies to the portal's address, so calendar apps should not send any.
    attendee.params["rsvp"] = "FALSE"
    return attendee
