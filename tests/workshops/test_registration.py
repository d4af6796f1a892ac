"""Registering from an invitation, the customer's own workshops page, cancelling and the calendar file."""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from notifications.models import EmailKind, OutboundEmail
from tests.factories import SignedUpCustomerFactory, WorkshopFactory, open_workshop
from workshops import invitations, registrations, services
from workshops.models import Registration, RegistrationStatus, Stage, Workshop

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_send_rate_limit(settings):
    # Eager senders would pace themselves to SES's rate; here only the outbox rows matter.
    settings.CPP_EMAIL_MAX_PER_SECOND = 0


def emails(kind, **filters):
    return OutboundEmail.objects.filter(kind=kind, **filters)


def test_the_whole_flow_from_publishing_to_a_promotion(client, sa, am, django_capture_on_commit_callbacks):
    workshop = WorkshopFactory(owners=[sa], account_managers=[am], capacity=1, title="Containers Day")
    with django_capture_on_commit_callbacks(execute=True):
        services.workshop_publish(workshop_id=workshop.pk, actor=sa)

    # The AM's email carries their personal link.
    invitation_email = emails(EmailKind.INVITATION).get(recipient=am)
    link = re.search(rf"{re.escape(settings.SITE_URL)}/i/[\w-]+/", invitation_email.body_text).group()
    path = link.removeprefix(settings.SITE_URL)

    # A customer follows it and registers.
    first = SignedUpCustomerFactory(first_name="Carla")
    client.force_login(first)
    assert "1 seat left" in client.get(path).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(path)
    assert response["Location"] == reverse("workshops:my_workshops")
    seat = Registration.objects.get(attendee=first)
    assert seat.status == RegistrationStatus.CONFIRMED
    assert (seat.account_manager, seat.organisation) == (am, first.organisation)
    assert seat.invitation.token in path
    confirmation = emails(EmailKind.REGISTRATION_CONFIRMED).get(registration=seat)
    assert confirmation.to == first.email
    event = Calendar.from_ical(confirmation.calendar)
    assert event["METHOD"] == "REQUEST"
    assert reverse("workshops:my_workshops") in confirmation.body_text

    # My workshops shows it.
    mine = client.get(reverse("workshops:my_workshops")).content.decode()
    assert "Containers Day" in mine and "Confirmed: you have a seat" in mine

    # Someone else arrives too late for a seat.
    second = SignedUpCustomerFactory(first_name="Dario")
    client.force_login(second)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(path)
    waiting = Registration.objects.get(attendee=second)
    assert waiting.status == RegistrationStatus.WAITLISTED
    assert emails(EmailKind.WAITLISTED, registration=waiting).exists()

    # The first cancels; the seat goes to the waitlist, who is told.
    client.force_login(first)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("workshops:registration_cancel", args=[seat.pk]), {"confirm": "yes"})
    seat.refresh_from_db()
    waiting.refresh_from_db()
    assert seat.status == RegistrationStatus.CANCELLED
    assert waiting.status == RegistrationStatus.CONFIRMED
    promoted = emails(EmailKind.PROMOTED).get(registration=waiting)
    assert promoted.to == second.email and "BEGIN:VCALENDAR" in promoted.calendar
    assert "METHOD:CANCEL" in emails(EmailKind.REGISTRATION_CANCELLED).get(registration=seat).calendar


def test_the_waitlist_is_served_in_arrival_order(client, workshop):
    Workshop.objects.filter(pk=workshop.pk).update(stage=Stage.REGISTRATION_OPEN, capacity=1)
    people = [SignedUpCustomerFactory() for _n in range(4)]
    made = [registrations.registration_create(workshop_id=workshop.pk, attendee=p) for p in people]
    assert [r.status for r in made] == ["confirmed", "waitlisted", "waitlisted", "waitlisted"]
    assert [registrations.waitlist_position(r) for r in made[1:]] == [1, 2, 3]

    client.force_login(people[3])
    assert "Waitlisted: number 3 in line" in client.get(reverse("workshops:my_workshops")).content.decode()

    registrations.registration_cancel(registration_id=made[0].pk, actor=people[0])
    statuses = dict(Registration.objects.values_list("attendee_id", "status"))
    assert [statuses[p.pk] for p in people] == ["cancelled", "confirmed", "waitlisted", "waitlisted"]
    assert "Waitlisted: number 2 in line" in client.get(reverse("workshops:my_workshops")).content.decode()


class TestMyWorkshops:
    def test_upcoming_first_soonest_first_then_past_latest_first(self, client, sa):
        me = SignedUpCustomerFactory()
        now = timezone.now()

        def registered(title, days):
            start = now + timedelta(days=days)
            workshop = WorkshopFactory(
                owners=[sa],
                title=title,
                starts_at=start,
                ends_at=start + timedelta(hours=6),
                registration_deadline=start - timedelta(days=1),
            )
            Registration.objects.create(workshop=workshop, attendee=me, status="confirmed", queued_at=now)

        registered("Later", 30)
        registered("Long ago", -60)
        registered("Soon", 3)
        registered("Last month", -30)
        client.force_login(me)
        page = client.get(reverse("workshops:my_workshops")).content.decode()
        order = [page.index(title) for title in ("Soon", "Later", "Last month", "Long ago")]
        assert order == sorted(order)
        assert page.index("<h2>Past</h2>") < page.index("Last month")

    def test_each_state_and_the_actions_it_allows(self, client, workshop):
        Workshop.objects.filter(pk=workshop.pk).update(stage=Stage.REGISTRATION_OPEN)
        me = SignedUpCustomerFactory()
        mine = registrations.registration_create(workshop_id=workshop.pk, attendee=me)
        client.force_login(me)
        page = client.get(reverse("workshops:my_workshops")).content.decode()
        assert reverse("workshops:registration_calendar", args=[mine.pk]) in page
        assert f'action="{reverse("workshops:registration_cancel", args=[mine.pk])}"' in page
        assert "Europe/Madrid time" in page

        registrations.registration_cancel(registration_id=mine.pk, actor=me)
        page = client.get(reverse("workshops:my_workshops")).content.decode()
        assert "Cancelled" in page
        assert reverse("workshops:registration_calendar", args=[mine.pk]) not in page
        assert reverse("workshops:registration_cancel", args=[mine.pk]) not in page

    def test_an_empty_page_says_how_to_get_in(self, client):
        client.force_login(SignedUpCustomerFactory())
        assert (
            "not registered for any upcoming workshop" in client.get(reverse("workshops:my_workshops")).content.decode()
        )

    def test_sign_in_and_a_complete_profile_come_first(self, client, customer):
        url = reverse("workshops:my_workshops")
        assert client.get(url)["Location"].startswith(reverse("accounts:login"))
        client.force_login(customer)
        assert client.get(url)["Location"].startswith(reverse("accounts:profile"))


class TestCancel:
    @pytest.fixture
    def seat(self, workshop):
        Workshop.objects.filter(pk=workshop.pk).update(stage=Stage.REGISTRATION_OPEN)
        return registrations.registration_create(workshop_id=workshop.pk, attendee=SignedUpCustomerFactory())

    def url(self, registration):
        return reverse("workshops:registration_cancel", args=[registration.pk])

    def test_asking_changes_nothing_until_confirmed(self, client, seat):
        client.force_login(seat.attendee)
        question = client.get(self.url(seat))
        assert "Cancel your registration for" in question.content.decode()
        assert 'name="confirm" value="yes"' in question.content.decode()
        # The button on My workshops posts without the confirmation: that asks too.
        assert "Yes, cancel my registration" in client.post(self.url(seat)).content.decode()
        seat.refresh_from_db()
        assert seat.status == RegistrationStatus.CONFIRMED

        response = client.post(self.url(seat), {"confirm": "yes"}, follow=True)
        assert "is cancelled" in response.content.decode()
        seat.refresh_from_db()
        assert seat.status == RegistrationStatus.CANCELLED

    def test_a_waitlisted_person_is_asked_with_their_place_in_line(self, client, seat):
        Workshop.objects.filter(pk=seat.workshop_id).update(capacity=1)
        waiting = registrations.registration_create(workshop_id=seat.workshop_id, attendee=SignedUpCustomerFactory())
        client.force_login(waiting.attendee)
        page = client.get(self.url(waiting)).content.decode()
        assert "Waitlisted: number 1 in line" in page and "You leave the waitlist" in page

    def test_only_the_owner_may_cancel(self, client, seat):
        client.force_login(SignedUpCustomerFactory())
        assert client.get(self.url(seat)).status_code == 404
        assert client.post(self.url(seat), {"confirm": "yes"}).status_code == 404
        seat.refresh_from_db()
        assert seat.status == RegistrationStatus.CONFIRMED

    def test_a_running_workshop_refuses_with_the_reason(self, client, seat):
        Workshop.objects.filter(pk=seat.workshop_id).update(stage=Stage.RUNNING)
        client.force_login(seat.attendee)
        response = client.post(self.url(seat), {"confirm": "yes"}, follow=True)
        assert "can no longer be cancelled" in response.content.decode()
        seat.refresh_from_db()
        assert seat.status == RegistrationStatus.CONFIRMED


class TestCalendar:
    def test_the_owner_gets_the_event_then_its_cancellation(self, client, workshop):
        Workshop.objects.filter(pk=workshop.pk).update(stage=Stage.REGISTRATION_OPEN, calendar_sequence=3)
        me = SignedUpCustomerFactory()
        seat = registrations.registration_create(workshop_id=workshop.pk, attendee=me)
        url = reverse("workshops:registration_calendar", args=[seat.pk])
        client.force_login(me)
        response = client.get(url)
        assert response["Content-Type"] == "text/calendar; charset=utf-8; method=REQUEST"
        assert response["Content-Disposition"] == f'attachment; filename="workshop-{workshop.pk}.ics"'
        calendar = Calendar.from_ical(response.content)
        event = calendar.walk("VEVENT")[0]
        assert (calendar["METHOD"], event["SEQUENCE"], str(event["SUMMARY"])) == ("REQUEST", 3, workshop.title)
        assert f"mailto:{me.email}" in str(event["ATTENDEE"])

        registrations.registration_cancel(registration_id=seat.pk, actor=me)
        assert Calendar.from_ical(client.get(url).content)["METHOD"] == "CANCEL"

    def test_no_one_else_gets_it(self, client, workshop):
        Workshop.objects.filter(pk=workshop.pk).update(stage=Stage.REGISTRATION_OPEN)
        seat = registrations.registration_create(workshop_id=workshop.pk, attendee=SignedUpCustomerFactory())
        url = reverse("workshops:registration_calendar", args=[seat.pk])
        client.force_login(SignedUpCustomerFactory())
        assert client.get(url).status_code == 404
        client.logout()
        assert client.get(url)["Location"].startswith(reverse("accounts:login"))


def test_registration_after_the_deadline_is_refused_even_before_the_stage_moves(client, sa, am):
    workshop = open_workshop(owners=[sa], account_managers=[am])
    link = invitations.invitation_for(workshop=workshop, account_manager=am)
    Workshop.objects.filter(pk=workshop.pk).update(registration_deadline=timezone.now() - timedelta(seconds=1))
    client.force_login(SignedUpCustomerFactory())
    client.post(reverse("workshops:invitation", args=[link.token]))
    assert not Registration.objects.exists()
