"""Emails relative to a workshop's times: queued on registration, moved with the workshop, withdrawn on cancel."""

from datetime import timedelta

import pytest
from django.utils import timezone
from icalendar import Calendar

from notifications.models import EmailKind, EmailStatus, OutboundEmail
from tests.factories import CustomerFactory, open_workshop
from workshops import registrations, services, side_effects
from workshops.models import Stage, StageChange

pytestmark = pytest.mark.django_db


def register(workshop, capture, attendee=None):
    with capture(execute=True):
        return registrations.registration_create(workshop_id=workshop.pk, attendee=attendee or CustomerFactory())


def emails(kind, **filters):
    return OutboundEmail.objects.filter(kind=kind, **filters)


def test_a_confirmed_registration_gets_the_invite_now_and_reminders_a_week_and_a_day_before(
    django_capture_on_commit_callbacks,
):
    workshop = open_workshop(starts_at=timezone.now().replace(microsecond=0) + timedelta(days=20))
    registration = register(workshop, django_capture_on_commit_callbacks)
    confirmation = emails(EmailKind.REGISTRATION_CONFIRMED).get()
    assert confirmation.registration == registration
    assert confirmation.scheduled_at <= timezone.now()
    assert Calendar.from_ical(confirmation.calendar).get("method") == "REQUEST"
    assert emails(EmailKind.REMINDER_WEEK).get().scheduled_at == workshop.starts_at - timedelta(days=7)
    assert emails(EmailKind.REMINDER_DAY).get().scheduled_at == workshop.starts_at - timedelta(days=1)


def test_a_late_registration_gets_no_reminder_whose_moment_has_passed(django_capture_on_commit_callbacks):
    starts = timezone.now() + timedelta(days=3)
    workshop = open_workshop(starts_at=starts, registration_deadline=starts - timedelta(hours=1))
    register(workshop, django_capture_on_commit_callbacks)
    assert not emails(EmailKind.REMINDER_WEEK).exists()
    assert emails(EmailKind.REMINDER_DAY).count() == 1


def test_a_full_workshop_waitlists_and_says_which_place(django_capture_on_commit_callbacks):
    workshop = open_workshop(capacity=1)
    register(workshop, django_capture_on_commit_callbacks)
    register(workshop, django_capture_on_commit_callbacks)
    waitlisted = emails(EmailKind.WAITLISTED).get()
    assert "1" in waitlisted.body_text
    assert not emails(EmailKind.REMINDER_WEEK, registration=waitlisted.registration).exists()


def test_moving_the_workshop_moves_the_reminders_and_sends_a_calendar_update(django_capture_on_commit_callbacks, sa):
    workshop = open_workshop(starts_at=timezone.now().replace(microsecond=0) + timedelta(days=20))
    register(workshop, django_capture_on_commit_callbacks)
    workshop.starts_at += timedelta(days=5)
    workshop.ends_at += timedelta(days=5)
    with django_capture_on_commit_callbacks(execute=True):
        services.workshop_update(workshop=workshop, changed={"starts_at", "ends_at"}, actor=sa)
    week = emails(EmailKind.REMINDER_WEEK).get()
    assert week.scheduled_at == workshop.starts_at - timedelta(days=7)
    assert f"{workshop.local_start.day}" in week.body_text
    change = emails(EmailKind.WORKSHOP_CHANGED).get()
    event = Calendar.from_ical(change.calendar).walk("VEVENT")[0]
    first = Calendar.from_ical(emails(EmailKind.REGISTRATION_CONFIRMED).get().calendar).walk("VEVENT")[0]
    assert event["UID"] == first["UID"]
    assert int(event["SEQUENCE"]) == int(first["SEQUENCE"]) + 1


def test_editing_what_does_not_touch_the_calendar_sends_nothing(django_capture_on_commit_callbacks, sa):
    workshop = open_workshop()
    register(workshop, django_capture_on_commit_callbacks)
    workshop.agenda = "A new lab at 15:00"
    with django_capture_on_commit_callbacks(execute=True):
        services.workshop_update(workshop=workshop, changed={"agenda"}, actor=sa)
    assert not emails(EmailKind.WORKSHOP_CHANGED).exists()
    workshop.refresh_from_db()
    assert workshop.calendar_sequence == 0


def test_cancelling_a_registration_withdraws_its_reminders_and_cancels_the_event(
    django_capture_on_commit_callbacks, customer
):
    workshop = open_workshop()
    registration = register(workshop, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        registrations.registration_cancel(registration_id=registration.pk, actor=registration.attendee)
    assert set(emails(EmailKind.REMINDER_WEEK).values_list("status", flat=True)) == {EmailStatus.CANCELLED}
    cancelled = emails(EmailKind.REGISTRATION_CANCELLED).get()
    assert Calendar.from_ical(cancelled.calendar).get("method") == "CANCEL"


def test_coming_back_after_cancelling_is_a_new_round_of_emails(django_capture_on_commit_callbacks):
    workshop = open_workshop()
    registration = register(workshop, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        registrations.registration_cancel(registration_id=registration.pk, actor=registration.attendee)
    register(workshop, django_capture_on_commit_callbacks, attendee=registration.attendee)
    assert emails(EmailKind.REGISTRATION_CONFIRMED).count() == 2
    assert emails(EmailKind.REMINDER_WEEK, status=EmailStatus.QUEUED).count() == 1


def test_a_freed_seat_goes_to_the_first_waiting_who_is_told(django_capture_on_commit_callbacks):
    workshop = open_workshop(capacity=1)
    seated = register(workshop, django_capture_on_commit_callbacks)
    first_waiting = register(workshop, django_capture_on_commit_callbacks)
    register(workshop, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        registrations.registration_cancel(registration_id=seated.pk, actor=seated.attendee)
    promoted = emails(EmailKind.PROMOTED).get()
    assert promoted.registration == first_waiting
    assert promoted.calendar


def test_cancelling_the_workshop_tells_everyone_registered_and_withdraws_the_rest(
    django_capture_on_commit_callbacks, sa
):
    workshop = open_workshop(capacity=1)
    register(workshop, django_capture_on_commit_callbacks)
    register(workshop, django_capture_on_commit_callbacks)
    services.workshop_cancel(workshop_id=workshop.pk, actor=sa)
    change = StageChange.objects.get(workshop=workshop, target=Stage.CANCELLED)
    side_effects.stage_change_side_effects_run(stage_change_id=change.pk)
    assert emails(EmailKind.WORKSHOP_CANCELLED).count() == 2
    assert not OutboundEmail.objects.filter(
        kind__in=[EmailKind.REMINDER_WEEK, EmailKind.REMINDER_DAY], status=EmailStatus.QUEUED
    ).exists()
