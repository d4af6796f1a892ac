"""The .ics sent with workshop emails: right local time, one stable event, updates and cancellations."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from notifications.calendar import workshop_calendar
from tests.factories import WorkshopFactory

STARTS_AT = datetime(2027, 3, 10, 8, 0, tzinfo=UTC)  # 09:00 in Madrid


@pytest.fixture
def workshop(db):
    return WorkshopFactory(
        title="Serverless Immersion Day, Madrid; hands-on",
        starts_at=STARTS_AT,
        ends_at=STARTS_AT + timedelta(hours=7),
        time_zone="Europe/Madrid",
        venue="Paseo de la Castellana 1\n28046 Madrid",
        online_link="https://meet.example.com/cpp-serverless",
        agenda="09:30 Welcome\n10:00 Lambda deep dive",
    )


def parse(text: str):
    calendar = Calendar.from_ical(text)
    (event,) = calendar.walk("VEVENT")
    return calendar, event


def test_the_invite_parses_and_carries_the_workshop(workshop, settings):
    settings.DEFAULT_FROM_EMAIL = "CPP Portal <cpp@example.com>"
    text = workshop_calendar(workshop=workshop, attendee_email="Lucia@Example.com", sequence=0)
    calendar, event = parse(text)

    assert calendar["PRODID"] and calendar["VERSION"] == "2.0" and calendar["METHOD"] == "REQUEST"
    assert event["UID"] == f"workshop-{workshop.pk}@cpp-portal"
    assert event["SEQUENCE"] == 0 and event["STATUS"] == "CONFIRMED"
    assert event.decoded("DTSTAMP").tzinfo is not None
    assert str(event["SUMMARY"]) == "Serverless Immersion Day, Madrid; hands-on"
    assert str(event["DESCRIPTION"]).startswith("09:30 Welcome\n10:00 Lambda deep dive")
    assert "https://meet.example.com/cpp-serverless" in str(event["DESCRIPTION"])
    assert str(event["LOCATION"]) == "Paseo de la Castellana 1, 28046 Madrid"
    assert str(event["URL"]).startswith("http")
    assert str(event["ORGANIZER"]) == "mailto:cpp@example.com"
    assert event["ORGANIZER"].params["CN"] == "CPP Portal"
    assert str(event["ATTENDEE"]) == "mailto:lucia@example.com"
    assert event["ATTENDEE"].params["RSVP"] == "FALSE"


def test_times_are_in_the_workshops_zone_with_its_vtimezone(workshop):
    text = workshop_calendar(workshop=workshop, attendee_email="a@example.com", sequence=0)
    calendar, event = parse(text)

    assert event["DTSTART"].params["TZID"] == "Europe/Madrid"
    assert event["DTEND"].params["TZID"] == "Europe/Madrid"
    start, end = event.decoded("DTSTART"), event.decoded("DTEND")
    assert start == workshop.local_start and (start.hour, start.minute) == (9, 0)
    assert start.utcoffset() == timedelta(hours=1)
    assert end == workshop.local_end and end.hour == 16
    assert "DTSTART;TZID=Europe/Madrid:20270310T090000\r\n" in text
    (vtimezone,) = calendar.walk("VTIMEZONE")
    assert vtimezone["TZID"] == "Europe/Madrid"
    # Only the years around the workshop, not every transition since 1970.
    assert "1970" not in text and len(text) < 4000


def test_a_summer_workshop_keeps_its_local_time_across_daylight_saving(workshop):
    workshop.starts_at = datetime(2027, 7, 7, 7, 0, tzinfo=UTC)  # 09:00 CEST
    workshop.ends_at = workshop.starts_at + timedelta(hours=7)
    _, event = parse(workshop_calendar(workshop=workshop, attendee_email="a@example.com", sequence=1))
    start = event.decoded("DTSTART")
    assert (start.hour, start.utcoffset()) == (9, timedelta(hours=2))
    assert start.astimezone(UTC) == workshop.starts_at


def test_another_zone_is_written_as_that_zone(workshop):
    workshop.time_zone = "America/New_York"
    text = workshop_calendar(workshop=workshop, attendee_email="a@example.com", sequence=0)
    calendar, event = parse(text)
    assert event["DTSTART"].params["TZID"] == "America/New_York"
    assert event.decoded("DTSTART") == STARTS_AT.astimezone(ZoneInfo("America/New_York"))
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["America/New_York"]


def test_an_update_keeps_the_uid_and_raises_the_sequence(workshop):
    _, first = parse(workshop_calendar(workshop=workshop, attendee_email="a@example.com", sequence=0))
    workshop.starts_at += timedelta(days=7)
    workshop.ends_at += timedelta(days=7)
    _, moved = parse(workshop_calendar(workshop=workshop, attendee_email="a@example.com", sequence=1))

    assert moved["UID"] == first["UID"]
    assert moved["SEQUENCE"] > first["SEQUENCE"]
    assert moved.decoded("DTSTART") == first.decoded("DTSTART") + timedelta(days=7)


def test_a_cancellation_says_cancel_for_the_same_event(workshop):
    _, invite = parse(workshop_calendar(workshop=workshop, attendee_email="a@example.com", sequence=0))
    text = workshop_calendar(workshop=workshop, attendee_email="a@example.com", sequence=1, cancelled=True)
    calendar, event = parse(text)

    assert calendar["METHOD"] == "CANCEL"
    assert event["STATUS"] == "CANCELLED"
    assert event["UID"] == invite["UID"] and event["SEQUENCE"] == 1
    assert "METHOD:CANCEL\r\n" in text and "STATUS:CANCELLED\r\n" in text


def test_an_online_workshop_is_located_at_its_link(workshop):
    workshop.venue = ""
    _, event = parse(workshop_calendar(workshop=workshop, attendee_email="a@example.com", sequence=0))
    assert str(event["LOCATION"]) == "https://meet.example.com/cpp-serverless"
    assert str(event["DESCRIPTION"]) == "09:30 Welcome\n10:00 Lambda deep dive"


def test_lines_end_in_crlf_as_rfc_5545_asks(workshop):
    text = workshop_calendar(workshop=workshop, attendee_email="a@example.com", sequence=0)
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert "\n" not in text.replace("\r\n", "")


def test_a_negative_sequence_is_refused(workshop):
    with pytest.raises(ValueError, match="SEQUENCE"):
        workshop_calendar(workshop=workshop, attendee_email="a@example.com", sequence=-1)
