"""Each staff page renders what an SA needs: counts, pool readiness, next step, attendees, emails, history."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cleaner.models import CleanupRun, CleanupTarget
from notifications.models import EmailKind, EmailStatus, OutboundEmail
from tests.factories import SandboxAccountFactory, WorkshopFactory, open_workshop, registration_in, workshop_in
from tests.staff.conftest import register
from workshops import services
from workshops.models import SandboxAccountState, Stage

pytestmark = pytest.mark.django_db


def test_home_lists_workshops_under_way_with_seats_waitlist_and_pool(sa_client, sa):
    workshop = open_workshop(title="Serverless in Madrid", capacity=2, owners=[sa])
    SandboxAccountFactory(workshop=workshop, state=SandboxAccountState.ASSIGNED)
    register(workshop, 3)
    workshop_in(Stage.CLOSED, title="Long gone")
    workshop_in(Stage.CANCELLED, title="Called off")
    WorkshopFactory(title="Still a draft")

    response = sa_client.get(reverse("staff:home"))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Serverless in Madrid" in page and "Still a draft" in page
    assert {w.title for w in response.context["workshops"]} == {"Serverless in Madrid", "Still a draft"}
    # Finished ones are listed apart, for their cleanup and check-in.
    assert {w.title for w in response.context["finished"]} == {"Long gone", "Called off"}
    row = {w.pk: w for w in response.context["workshops"]}[workshop.pk]
    assert (row.capacity, row.confirmed, row.waitlisted, row.reserved_accounts, row.accounts_needed) == (2, 2, 1, 1, 2)
    assert row.pool_short and "the pool is short" in page
    assert row.next_step.target == Stage.REGISTRATION_CLOSED
    assert row.next_step.at == workshop.registration_deadline
    assert [b.target for b in row.move_buttons] == [Stage.REGISTRATION_CLOSED, Stage.CANCELLED]
    assert reverse("staff:stage_move", args=[workshop.pk, Stage.REGISTRATION_CLOSED]) in page
    assert "htmx-2.min.js" in page  # served from the django-htmx package through staticfiles


def test_home_says_when_nothing_is_under_way(sa_client):
    assert "No workshop is under way" in sa_client.get(reverse("staff:home")).content.decode()


def test_the_workshop_page_shows_attendees_emails_and_history(sa_client, sa):
    workshop = WorkshopFactory(title="Containers day", capacity=1, owners=[sa])
    services.workshop_publish(workshop_id=workshop.pk, actor=sa)
    first, second = register(workshop, 2)
    OutboundEmail.objects.create(
        key="test:1",
        kind=EmailKind.REMINDER_DAY,
        to="x@example.com",
        workshop=workshop,
        scheduled_at=timezone.now(),
        status=EmailStatus.FAILED,
        last_error="Address bounced",
    )

    response = sa_client.get(reverse("staff:workshop", args=[workshop.pk]))

    page = response.content.decode()
    assert response.status_code == 200
    assert first.attendee.email in page and second.attendee.email in page
    assert "Reminder a day before" in page and "Address bounced" in page
    assert [(c.source, c.target) for c in response.context["history"]] == [(Stage.DRAFT, Stage.REGISTRATION_OPEN)]
    assert sa.email in page  # who published it
    assert reverse("staff:workshop_edit", args=[workshop.pk]) in page
    assert reverse("staff:attendees_csv", args=[workshop.pk]) in page


def test_the_attendee_table_searches_filters_and_sorts(sa_client, sa):
    workshop = open_workshop(capacity=2, owners=[sa])
    register(workshop, 1, first_name="Ana", last_name="Zubiri")
    register(workshop, 1, first_name="Bruno", last_name="Alves")
    (waiting,) = register(workshop, 1, first_name="Carla", last_name="Moretti")
    url = reverse("staff:workshop", args=[workshop.pk])

    def names(**query):
        response = sa_client.get(url, query)
        return [r.attendee.last_name for r in response.context["attendees"]]

    assert names(sort="name") == ["Alves", "Moretti", "Zubiri"]
    assert names(sort="-name") == ["Zubiri", "Moretti", "Alves"]
    assert names(q="bruno") == ["Alves"]
    assert names(q="ana zubi") == ["Zubiri"]
    assert names(q=waiting.attendee.email.upper()) == ["Moretti"]
    assert names(q=waiting.organisation.name[-3:]) == ["Moretti"]
    assert names(status="waitlisted") == ["Moretti"]
    assert names(status="confirmed", sort="name") == ["Alves", "Zubiri"]
    assert names(status="nonsense", sort="nonsense") == ["Zubiri", "Alves", "Moretti"]  # ignored: arrival order


def test_the_attendee_table_answers_htmx_with_the_table_alone(sa_client, sa):
    workshop = open_workshop(owners=[sa])
    register(workshop, 1, last_name="Alves")
    response = sa_client.get(
        reverse("staff:workshop", args=[workshop.pk]),
        {"q": "alves", "sort": "-name"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="attendees",
    )
    page = response.content.decode()
    assert page.startswith('<div id="attendees"')
    assert "Alves" in page and "<html" not in page
    assert 'id="attendee-sort" value="-name" hx-swap-oob="true"' in page  # the filter form keeps the sort
    assert "HX-Request" in response["Vary"]


def test_the_cleanup_section_polls_while_the_run_goes_on_and_stops_when_it_is_done(sa_client, sa):
    workshop = workshop_in(Stage.CLOSED, owners=[sa])
    account = SandboxAccountFactory(workshop=workshop, state=SandboxAccountState.CLEANING)
    run = CleanupRun.objects.create(
        workshop=workshop, trigger=CleanupRun.Trigger.CLOSE, dry_run=False, status=CleanupRun.Status.RUNNING
    )
    CleanupTarget.objects.create(
        run=run,
        sandbox_account=account,
        account_id=account.aws_account_id,
        region="eu-west-1",
        status=CleanupTarget.Status.RUNNING,
        found=7,
        deleted=3,
    )
    url = reverse("staff:cleanup_progress", args=[workshop.pk])

    page = sa_client.get(reverse("staff:workshop", args=[workshop.pk])).content.decode()
    assert f'hx-get="{url}"' in page and reverse("cleaner:run", args=[run.pk]) in page

    fragment = sa_client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert fragment.startswith('<section id="cleanup"') and 'hx-trigger="every 2s"' in fragment
    assert "<td>7</td><td>3</td>" in fragment

    CleanupTarget.objects.filter(run=run).update(status=CleanupTarget.Status.CLEAN, deleted=7)
    CleanupRun.objects.filter(pk=run.pk).update(status=CleanupRun.Status.DONE)
    fragment = sa_client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in fragment and "Done" in fragment


def test_the_next_step_of_a_running_workshop_is_its_close_after_the_grace(sa_client, sa, settings):
    settings.CPP_CLOSE_GRACE_MINUTES = 60
    now = timezone.now()
    workshop = workshop_in(
        Stage.RUNNING,
        owners=[sa],
        starts_at=now - timedelta(hours=2),
        ends_at=now + timedelta(hours=1),
        registration_deadline=now - timedelta(days=1),
    )
    response = sa_client.get(reverse("staff:workshop", args=[workshop.pk]))
    step = response.context["next_step"]
    assert (step.target, step.at) == (Stage.CLOSED, workshop.ends_at + timedelta(hours=1))
    assert "credentials revoked" in response.content.decode()


def test_home_links_the_check_in_of_workshops_on_their_day(sa_client, sa):
    running = workshop_in(Stage.RUNNING, owners=[sa])
    draft = WorkshopFactory(owners=[sa])
    page = sa_client.get(reverse("staff:home")).content.decode()
    assert reverse("staff:check_in", args=[running.pk]) in page
    assert reverse("staff:check_in", args=[draft.pk]) not in page


def test_the_attendee_table_refreshes_itself_while_credentials_are_being_made(sa_client, sa):
    from workshops.models import Credential, CredentialStatus

    workshop = workshop_in(Stage.RUNNING, owners=[sa])
    first, second = registration_in(workshop), registration_in(workshop)
    account = SandboxAccountFactory(workshop=workshop, state=SandboxAccountState.IN_USE)
    made = Credential.objects.create(
        registration=first, sandbox_account=account, iam_user_name="cpp-a1", status=CredentialStatus.READY
    )
    Credential.objects.create(registration=second, sandbox_account=account, iam_user_name="cpp-a2")
    url = reverse("staff:workshop", args=[workshop.pk])

    page = sa_client.get(url).content.decode()
    assert f'hx-get="{url}?" hx-trigger="every 2s"' in page

    fragment = sa_client.get(url, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="attendees").content.decode()
    assert fragment.startswith('<div id="attendees"') and 'hx-trigger="every 2s"' in fragment
    # The counts above the table come along out of band.
    assert '<dd id="provisioning" aria-live="polite" hx-swap-oob="true">' in fragment
    assert "1 waiting" in fragment and "1 ready" in fragment

    Credential.objects.exclude(pk=made.pk).update(status=CredentialStatus.READY)
    fragment = sa_client.get(url, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="attendees").content.decode()
    assert "hx-trigger" not in fragment.split(">", 1)[0]  # done: the table stops asking
    assert "2 ready" in fragment
