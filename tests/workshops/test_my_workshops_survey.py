"""My workshops points a customer to the survey of each closed workshop they have not answered yet,
and counts a workshop closed before its planned end among the past ones."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import SignedUpCustomerFactory, registration_in, workshop_in
from workshops.models import Registration, RegistrationStatus, Stage, SurveyAnswer

pytestmark = pytest.mark.django_db

PAGE = reverse("workshops:my_workshops")


def register(workshop, attendee, *, status=RegistrationStatus.CONFIRMED, attended=None) -> Registration:
    return registration_in(workshop, attendee=attendee, status=status, attended=attended)


def survey_link(registration) -> str:
    return f'href="{reverse("workshops:survey", args=[registration.pk])}"'


@pytest.fixture
def customer(client):
    customer = SignedUpCustomerFactory()
    client.force_login(customer)
    return customer


@pytest.mark.parametrize("attended", [True, None])  # unmarked check-in lists are asked too
def test_a_closed_workshop_links_to_its_survey_until_it_is_answered(client, customer, attended):
    registration = register(workshop_in(Stage.CLOSED), customer, attended=attended)

    page = client.get(PAGE)
    assert survey_link(registration) in page.content.decode()
    # Closed before its planned end (two weeks ahead): past all the same.
    assert [r.pk for r in page.context["past"]] == [registration.pk] and not page.context["upcoming"]

    SurveyAnswer.objects.create(
        registration=registration, workshop=registration.workshop, satisfaction=4, would_recommend=True
    )
    assert survey_link(registration) not in client.get(PAGE).content.decode()


@pytest.mark.parametrize(
    ("stage", "status", "attended"),
    [
        (Stage.CLOSED, RegistrationStatus.CONFIRMED, False),  # a marked no-show has nothing to rate
        (Stage.CLOSED, RegistrationStatus.CANCELLED, None),
        (Stage.CLOSED, RegistrationStatus.WAITLISTED, None),
        (Stage.RUNNING, RegistrationStatus.CONFIRMED, True),  # not over yet
        (Stage.ANONYMISED, RegistrationStatus.CONFIRMED, True),  # the survey has closed
    ],
)
def test_no_survey_link_where_there_is_no_survey(client, customer, stage, status, attended):
    registration = register(workshop_in(stage), customer, status=status, attended=attended)
    assert survey_link(registration) not in client.get(PAGE).content.decode()


def test_the_survey_links_cost_no_query_per_workshop(client, customer, django_assert_num_queries):
    for _ in range(2):
        register(workshop_in(Stage.CLOSED), customer, attended=True)
    with CaptureQueriesContext(connection) as two_workshops:
        client.get(PAGE)

    for _ in range(8):
        answered = register(workshop_in(Stage.CLOSED), customer, attended=True)
    SurveyAnswer.objects.create(registration=answered, workshop=answered.workshop, satisfaction=5, would_recommend=True)
    with django_assert_num_queries(len(two_workshops)):
        page = client.get(PAGE)
    assert page.content.decode().count("Answer the survey") == 9
