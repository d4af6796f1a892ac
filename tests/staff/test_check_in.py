"""Check-in on the day: an SA ticks confirmed attendees as attended or no-show, one htmx POST per row."""

import pytest
from django.urls import reverse

from tests.factories import open_workshop
from tests.staff.conftest import register
from workshops.models import Registration, Stage, Workshop
from workshops.registrations import AttendanceError, registration_attendance_mark

pytestmark = pytest.mark.django_db


def running_with(sa, confirmed: int, waitlisted: int = 0):
    workshop = open_workshop(capacity=confirmed, owners=[sa])
    registrations = register(workshop, confirmed + waitlisted)
    Workshop.objects.filter(pk=workshop.pk).update(stage=Stage.RUNNING)  # the scene, not a move
    workshop.refresh_from_db()
    return workshop, registrations


def mark_url(registration):
    return reverse("staff:check_in_mark", args=[registration.workshop_id, registration.pk])


def test_the_list_shows_confirmed_attendees_only_by_name(sa_client, sa):
    workshop, registrations = running_with(sa, confirmed=2, waitlisted=1)
    response = sa_client.get(reverse("staff:check_in", args=[workshop.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert registrations[0].attendee.email in page and registrations[1].attendee.email in page
    assert registrations[2].attendee.email not in page  # waitlisted
    assert 'hx-post="' + mark_url(registrations[0]) + '"' in page
    assert 'name="viewport"' in page  # made for a phone


def test_ticking_a_row_records_who_and_when_and_answers_with_the_row_and_counts(sa_client, sa):
    workshop, (first, second) = running_with(sa, confirmed=2)

    response = sa_client.post(mark_url(first), {"attended": "yes"}, HTTP_HX_REQUEST="true")

    first.refresh_from_db()
    assert first.attended is True and first.attendance_marked_by == sa and first.attendance_marked_at is not None
    fragment = response.content.decode()
    assert fragment.startswith(f'<li id="registration-{first.pk}"')
    assert 'id="attendance-counts"' in fragment and 'hx-swap-oob="true"' in fragment
    assert "<strong>1</strong> attended" in fragment and "<strong>1</strong> not marked" in fragment

    sa_client.post(mark_url(second), {"attended": "no"}, HTTP_HX_REQUEST="true")
    second.refresh_from_db()
    assert second.attended is False


def test_a_double_tap_keeps_the_first_mark_and_clear_removes_it(sa_client, sa):
    workshop, (registration,) = running_with(sa, confirmed=1)
    sa_client.post(mark_url(registration), {"attended": "yes"}, HTTP_HX_REQUEST="true")
    registration.refresh_from_db()
    first_mark = registration.attendance_marked_at

    sa_client.post(mark_url(registration), {"attended": "yes"}, HTTP_HX_REQUEST="true")
    registration.refresh_from_db()
    assert registration.attendance_marked_at == first_mark

    sa_client.post(mark_url(registration), {"attended": "clear"}, HTTP_HX_REQUEST="true")
    registration.refresh_from_db()
    assert (registration.attended, registration.attendance_marked_at, registration.attendance_marked_by) == (
        None,
        None,
        None,
    )


def test_without_javascript_the_form_posts_and_returns_to_the_list(sa_client, sa):
    workshop, (registration,) = running_with(sa, confirmed=1)
    response = sa_client.post(mark_url(registration), {"attended": "no"})
    assert response.status_code == 302
    assert response["Location"].endswith(f"#registration-{registration.pk}")
    registration.refresh_from_db()
    assert registration.attended is False


def test_bad_values_waitlisted_people_and_open_workshops_are_refused_with_a_message(sa_client, sa):
    workshop, (confirmed, waitlisted) = running_with(sa, confirmed=1, waitlisted=1)

    page = sa_client.post(mark_url(confirmed), {"attended": "maybe"}, HTTP_HX_REQUEST="true").content.decode()
    assert "Choose attended, no-show or clear." in page

    page = sa_client.post(mark_url(waitlisted), {"attended": "yes"}, HTTP_HX_REQUEST="true").content.decode()
    assert "Only confirmed attendees are checked in" in page

    Workshop.objects.filter(pk=workshop.pk).update(stage=Stage.REGISTRATION_OPEN)
    response = sa_client.post(mark_url(confirmed), {"attended": "yes"}, follow=True)
    assert "Attendance is taken once registration has closed" in response.content.decode()

    assert not Registration.objects.filter(workshop=workshop, attended__isnull=False).exists()


def test_a_registration_of_another_workshop_is_404(sa_client, sa):
    workshop, _ = running_with(sa, confirmed=1)
    other, (stranger,) = running_with(sa, confirmed=1)
    url = reverse("staff:check_in_mark", args=[workshop.pk, stranger.pk])
    assert sa_client.post(url, {"attended": "yes"}).status_code == 404


def test_the_search_narrows_the_list_for_htmx(sa_client, sa):
    workshop = open_workshop(capacity=2, owners=[sa])
    register(workshop, 1, first_name="Ana", last_name="Zubiri")
    register(workshop, 1, first_name="Bruno", last_name="Alves")
    Workshop.objects.filter(pk=workshop.pk).update(stage=Stage.RUNNING)
    response = sa_client.get(
        reverse("staff:check_in", args=[workshop.pk]),
        {"q": "zub"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="check-in-list",
    )
    fragment = response.content.decode()
    assert fragment.startswith('<ul id="check-in-list"') and "Zubiri" in fragment and "Alves" not in fragment


def test_the_service_refuses_a_draft_workshop(sa):
    workshop = open_workshop(owners=[sa])
    (registration,) = register(workshop, 1)
    Workshop.objects.filter(pk=workshop.pk).update(stage=Stage.DRAFT)
    with pytest.raises(AttendanceError, match="once registration has closed"):
        registration_attendance_mark(registration_id=registration.pk, attended=True, actor=sa)
    Workshop.objects.filter(pk=workshop.pk).update(stage=Stage.CLOSED)  # afterwards, a mark may be corrected
    assert registration_attendance_mark(registration_id=registration.pk, attended=True, actor=sa).attended is True
