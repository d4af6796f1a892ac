"""Every list page asks the database the same number of times for 10 rows as for 300."""

from itertools import count

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import CustomerOrganisation, User
from notifications.models import EmailKind, OutboundEmail
from tests.factories import SandboxAccountFactory, TopicFactory, UserFactory, WorkshopFactory, open_workshop
from workshops.models import (
    Credential,
    CredentialStatus,
    Registration,
    RegistrationStatus,
    SandboxAccount,
    SandboxAccountState,
    Stage,
    Workshop,
)

pytestmark = pytest.mark.django_db
numbers = count()


def add_workshops(how_many: int) -> None:
    topic = TopicFactory()
    stages = [Stage.DRAFT, Stage.REGISTRATION_OPEN, Stage.REGISTRATION_CLOSED, Stage.RUNNING]
    workshops = Workshop.objects.bulk_create(
        WorkshopFactory.build(topic=topic, stage=stages[i % len(stages)], title=f"Workshop {next(numbers)}")
        for i in range(how_many)
    )
    SandboxAccount.objects.bulk_create(
        SandboxAccountFactory.build(workshop=w, state=SandboxAccountState.ASSIGNED) for w in workshops
    )
    for workshop in workshops:
        workshop.owners.set([])  # m2m rows are not what the page counts
    add_registrations(workshops[0], 2)


def add_registrations(workshop: Workshop, how_many: int, *, credentials: bool = True) -> None:
    """`how_many` confirmed people with a company, an AM, a credential and an email each."""
    now = timezone.now()
    am = UserFactory(is_staff=True)
    n = next(numbers)
    organisations = CustomerOrganisation.objects.bulk_create(
        CustomerOrganisation(name=f"Company {n}-{i}", normalised_name=f"company {n}-{i}") for i in range(how_many)
    )
    people = User.objects.bulk_create(
        User(email=f"p{n}-{i}@example.com", first_name=f"First{i}", last_name=f"Last{i}", organisation=o)
        for i, o in enumerate(organisations)
    )
    registrations = Registration.objects.bulk_create(
        Registration(
            workshop=workshop,
            attendee=p,
            organisation=p.organisation,
            account_manager=am,
            status=RegistrationStatus.CONFIRMED,
            queued_at=now,
            confirmed_at=now,
            attended=[True, False, None][i % 3],
        )
        for i, p in enumerate(people)
    )
    if credentials:
        account = SandboxAccountFactory(workshop=workshop, state=SandboxAccountState.IN_USE)
        Credential.objects.bulk_create(
            Credential(
                registration=r,
                sandbox_account=account,
                iam_user_name=f"cpp-{n}-{i}",
                status=[CredentialStatus.READY, CredentialStatus.FAILED][i % 2],
                last_error="",
            )
            for i, r in enumerate(registrations)
        )
    OutboundEmail.objects.bulk_create(
        OutboundEmail(
            key=f"q:{n}:{i}", kind=EmailKind.REMINDER_DAY, to=p.email, workshop=workshop, recipient=p, scheduled_at=now
        )
        for i, p in enumerate(people)
    )


def assert_same_queries_for_more_rows(client, django_assert_num_queries, url, grow, rows_in):
    client.get(url)  # warm-up: per-process caches (content types, templates) are not the page's
    with CaptureQueriesContext(connection) as ten:
        response = client.get(url)
    assert response.status_code == 200
    small = rows_in(response)
    grow()
    with django_assert_num_queries(len(ten)):
        response = client.get(url)
    assert rows_in(response) > small
    print(f"{url}: {len(ten)} queries for {small} and {rows_in(response)} rows")
    return len(ten)


def test_sa_home(sa_client, django_assert_num_queries):
    add_workshops(10)
    queries = assert_same_queries_for_more_rows(
        sa_client,
        django_assert_num_queries,
        reverse("staff:home"),
        lambda: add_workshops(290),
        lambda response: len(response.context["workshops"]),
    )
    assert queries <= 6


@pytest.fixture
def running(sa):
    workshop = open_workshop(owners=[sa], capacity=1000)
    Workshop.objects.filter(pk=workshop.pk).update(stage=Stage.RUNNING)
    return workshop


def test_workshop_attendee_table(sa_client, running, django_assert_num_queries):
    add_registrations(running, 10)
    assert_same_queries_for_more_rows(
        sa_client,
        django_assert_num_queries,
        reverse("staff:workshop", args=[running.pk]),
        lambda: add_registrations(running, 290),
        lambda response: len(response.context["attendees"].object_list),
    )


def test_workshop_attendee_table_fragment(sa_client, running, django_assert_num_queries):
    add_registrations(running, 10, credentials=False)
    url = reverse("staff:workshop", args=[running.pk])
    sa_client.defaults.update(HTTP_HX_REQUEST="true", HTTP_HX_TARGET="attendees")
    assert_same_queries_for_more_rows(
        sa_client,
        django_assert_num_queries,
        url,
        lambda: add_registrations(running, 290, credentials=False),
        lambda response: len(response.context["attendees"].object_list),
    )


def test_check_in(sa_client, running, django_assert_num_queries):
    add_registrations(running, 10)
    assert_same_queries_for_more_rows(
        sa_client,
        django_assert_num_queries,
        reverse("staff:check_in", args=[running.pk]),
        lambda: add_registrations(running, 290),
        lambda response: len(response.context["registrations"]),
    )


def test_csv_export(sa_client, running, django_assert_num_queries):
    add_registrations(running, 10)
    assert_same_queries_for_more_rows(
        sa_client,
        django_assert_num_queries,
        reverse("staff:attendees_csv", args=[running.pk]),
        lambda: add_registrations(running, 290),
        lambda response: response.content.count(b"\n") - 1,
    )
