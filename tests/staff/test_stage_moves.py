"""Stage moves through the buttons: a confirmation page that says what will happen, then the service."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import SandboxAccountFactory, WorkshopFactory, open_workshop, workshop_in
from tests.staff.conftest import register
from workshops.models import SandboxAccountState, Stage, StageChange, Workshop

pytestmark = pytest.mark.django_db


def move_url(workshop, target):
    return reverse("staff:stage_move", args=[workshop.pk, target])


def test_the_publish_page_says_who_is_emailed_and_what_is_reserved(sa_client, sa, am):
    workshop = WorkshopFactory(capacity=4, attendees_per_account=2, owners=[sa], account_managers=[am])
    SandboxAccountFactory.create_batch(3)

    response = sa_client.get(move_url(workshop, Stage.REGISTRATION_OPEN))

    page = response.content.decode()
    assert response.status_code == 200
    assert "1 Account Manager is emailed their personal invitation link." in page
    assert "2 sandbox accounts are reserved for the 4 seats." in page
    assert 'name="confirmed" value="yes"' in page
    workshop.refresh_from_db()
    assert workshop.stage == Stage.DRAFT  # a GET only asks


def test_confirming_publishes_through_the_service_with_an_audit_row(
    sa_client, sa, am, django_capture_on_commit_callbacks
):
    workshop = WorkshopFactory(owners=[sa], account_managers=[am])
    with django_capture_on_commit_callbacks(execute=True):
        response = sa_client.post(move_url(workshop, Stage.REGISTRATION_OPEN), {"confirmed": "yes"})

    assert response.status_code == 302 and response["Location"] == reverse("staff:workshop", args=[workshop.pk])
    workshop.refresh_from_db()
    assert workshop.stage == Stage.REGISTRATION_OPEN
    change = StageChange.objects.get(workshop=workshop)
    assert (change.source, change.target, change.actor, change.automatic) == (
        Stage.DRAFT,
        Stage.REGISTRATION_OPEN,
        sa,
        False,
    )
    assert change.side_effects_done_at is not None
    page = sa_client.get(response["Location"]).content.decode()
    assert "is now “Registration open”" in page


def test_a_post_without_confirmation_changes_nothing(sa_client, sa):
    workshop = WorkshopFactory(owners=[sa])
    response = sa_client.post(move_url(workshop, Stage.REGISTRATION_OPEN), {})
    assert response.status_code == 200  # the confirmation page again
    workshop.refresh_from_db()
    assert workshop.stage == Stage.DRAFT


def test_a_move_from_the_home_page_returns_there(sa_client, sa):
    workshop = open_workshop(owners=[sa])
    page = sa_client.get(reverse("staff:home")).content.decode()
    assert f"{move_url(workshop, Stage.REGISTRATION_CLOSED)}?back=home" in page
    confirmation = sa_client.get(move_url(workshop, Stage.REGISTRATION_CLOSED), {"back": "home"})
    assert 'name="back" value="home"' in confirmation.content.decode()
    response = sa_client.post(move_url(workshop, Stage.REGISTRATION_CLOSED), {"confirmed": "yes", "back": "home"})
    assert response["Location"] == reverse("staff:home")
    workshop.refresh_from_db()
    assert workshop.stage == Stage.REGISTRATION_CLOSED


def test_publishing_after_the_deadline_is_refused_with_the_services_reason(sa_client, sa):
    past = timezone.now() - timedelta(hours=1)
    workshop = WorkshopFactory(
        owners=[sa],
        registration_deadline=past,
        starts_at=past + timedelta(days=1),
        ends_at=past + timedelta(days=1, hours=6),
    )

    response = sa_client.post(move_url(workshop, Stage.REGISTRATION_OPEN), {"confirmed": "yes"}, follow=True)

    page = response.content.decode()
    assert "Its registration deadline has passed: set a later one first." in page
    workshop.refresh_from_db()
    assert workshop.stage == Stage.DRAFT
    assert not StageChange.objects.filter(workshop=workshop).exists()


def test_a_move_the_lifecycle_does_not_allow_is_refused(sa_client, sa):
    # The page was opened while the workshop was a draft; meanwhile it was cancelled.
    workshop = workshop_in(Stage.CANCELLED, owners=[sa])
    page = sa_client.get(move_url(workshop, Stage.REGISTRATION_OPEN)).content.decode()
    assert "cannot move to" in page and 'name="confirmed"' not in page

    response = sa_client.post(move_url(workshop, Stage.REGISTRATION_OPEN), {"confirmed": "yes"}, follow=True)

    assert "cannot move from “Cancelled” to “Registration open”" in response.content.decode()
    workshop.refresh_from_db()
    assert workshop.stage == Stage.CANCELLED


def test_cancelling_tells_how_many_are_emailed_and_keeps_the_reason(sa_client, sa, django_capture_on_commit_callbacks):
    workshop = open_workshop(capacity=1, owners=[sa])
    register(workshop, 2)
    SandboxAccountFactory(workshop=workshop, state=SandboxAccountState.ASSIGNED)

    page = sa_client.get(move_url(workshop, Stage.CANCELLED)).content.decode()
    assert "2 registered customers are emailed that the workshop is cancelled." in page
    assert "1 reserved sandbox account goes back to the pool." in page
    assert "This cannot be undone." in page and 'name="note"' in page

    with django_capture_on_commit_callbacks(execute=True):
        sa_client.post(move_url(workshop, Stage.CANCELLED), {"confirmed": "yes", "note": "Speaker ill"})

    workshop.refresh_from_db()
    assert workshop.stage == Stage.CANCELLED
    assert StageChange.objects.get(workshop=workshop).note == "Speaker ill"
    assert not workshop.sandbox_accounts.exists()


def test_the_start_and_close_pages_name_accounts_attendees_and_the_cleanup(sa_client, sa):
    workshop = open_workshop(capacity=3, owners=[sa])
    register(workshop, 3)
    Workshop.objects.filter(pk=workshop.pk).update(stage=Stage.REGISTRATION_CLOSED)  # the scene, not a move
    SandboxAccountFactory.create_batch(2, workshop=workshop, state=SandboxAccountState.ASSIGNED)

    page = sa_client.get(move_url(workshop, Stage.RUNNING)).content.decode()
    assert "3 confirmed attendees get an IAM user in a sandbox account" in page
    assert "3 accounts are used: 2 reserved, the rest taken from the pool." in page
    assert "The pool can give only 2 accounts" in page

    running = workshop_in(Stage.RUNNING, owners=[sa])
    SandboxAccountFactory.create_batch(2, workshop=running, state=SandboxAccountState.IN_USE)
    page = sa_client.get(move_url(running, Stage.CLOSED)).content.decode()
    assert "deleted by a cleanup run" in page and "2 sandbox accounts" in page and "survey" in page
