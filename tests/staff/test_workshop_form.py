"""Creating and editing a workshop: times in its own zone, seats the pool can hold, known regions."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from notifications.models import EmailKind, OutboundEmail
from tests.factories import (
    SIZES_AS_SHOWN,
    SandboxAccountFactory,
    TopicFactory,
    WorkshopFactory,
    open_workshop,
    workshop_in,
)
from tests.staff.conftest import register
from workshops.models import SandboxAccountState, Stage, Workshop

pytestmark = pytest.mark.django_db

NEXT_YEAR = timezone.now().year + 1


def form_data(sa, **changes) -> dict:
    data = {
        "title": "Data on AWS",
        "topic": TopicFactory(name="Data").pk,
        "language": "en",
        "agenda": "",
        "time_zone": "Europe/Lisbon",
        "starts_at": f"{NEXT_YEAR}-03-10T09:00",
        "ends_at": f"{NEXT_YEAR}-03-10T17:00",
        "registration_deadline": f"{NEXT_YEAR}-03-08T18:00",
        "provisioning_lead_minutes": "120",
        "budget_per_attendee_usd": "25.00",
        "venue": "Avenida da Liberdade 1, Lisboa",
        "online_link": "",
        "capacity": "4",
        "attendees_per_account": "1",
        "owners": [sa.pk],
        "aws_regions": "eu-west-1, eu-central-1",
        "attendee_policy_arns": "arn:aws:iam::aws:policy/PowerUserAccess",
        # As the form shows them: the default sizes (workshops.sandbox.sizes).
        **SIZES_AS_SHOWN,
        "permissions_boundary_arn": "",
    }
    data.update(changes)
    return data


@pytest.fixture
def pool():
    return SandboxAccountFactory.create_batch(4)


def test_the_new_workshop_page_renders_with_the_sa_as_owner(sa_client, sa):
    response = sa_client.get(reverse("staff:workshop_create"))
    page = response.content.decode()
    assert response.status_code == 200
    assert 'type="datetime-local"' in page and f'value="{sa.pk}"' in page
    assert response.context["form"]["owners"].value() == [sa.pk]
    assert '<label for="id_title">' in page  # every input has its label


def test_a_new_workshop_is_saved_as_a_draft_in_its_own_time_zone(sa_client, sa, pool):
    response = sa_client.post(reverse("staff:workshop_create"), form_data(sa))

    workshop = Workshop.objects.get(title="Data on AWS")
    assert response.status_code == 302 and response["Location"] == reverse("staff:workshop", args=[workshop.pk])
    assert workshop.stage == Stage.DRAFT
    # Lisbon is UTC+0 in March: 09:00 there is 09:00 UTC (it would be 08:00 UTC in Madrid).
    assert workshop.starts_at == datetime(NEXT_YEAR, 3, 10, 9, 0, tzinfo=UTC)
    assert workshop.aws_regions == ["eu-west-1", "eu-central-1"]
    assert list(workshop.owners.all()) == [sa]


def test_the_same_wall_clock_time_in_madrid_is_an_hour_earlier_in_utc(sa_client, sa, pool):
    sa_client.post(reverse("staff:workshop_create"), form_data(sa, time_zone="Europe/Madrid"))
    assert Workshop.objects.get().starts_at == datetime(NEXT_YEAR, 3, 10, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"ends_at": f"{NEXT_YEAR}-03-10T08:00"}, "ends_at", "The workshop must end after it starts."),
        (
            {"registration_deadline": f"{NEXT_YEAR}-03-11T08:00"},
            "registration_deadline",
            "Registration must close no later than the start.",
        ),
        (
            {
                "starts_at": "2020-01-01T09:00",
                "ends_at": "2020-01-01T17:00",
                "registration_deadline": "2019-12-30T09:00",
            },
            "starts_at",
            "A new workshop must start in the future.",
        ),
        ({"starts_at": "not a date"}, "starts_at", "Enter a valid date/time."),
        ({"time_zone": "Mars/Olympus"}, "time_zone", "Mars/Olympus is not a known time zone"),
        ({"capacity": "5"}, "capacity", "The sandbox pool seats at most 4 attendees"),
        ({"aws_regions": "eu-west-1, moon-1"}, "aws_regions", "Unknown or unsupported AWS regions: moon-1."),
        ({"aws_regions": ""}, "aws_regions", "This field is required."),
    ],
)
def test_bad_input_gets_a_clear_message_and_saves_nothing(sa_client, sa, pool, changes, field, message):
    response = sa_client.post(reverse("staff:workshop_create"), form_data(sa, **changes))

    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors.get(field, []))
    assert message in errors
    assert message.split(":")[0] in response.content.decode().replace("&#x27;", "'")
    assert not Workshop.objects.exists()


def test_teams_let_a_small_pool_seat_more_people(sa_client, sa, pool):
    response = sa_client.post(reverse("staff:workshop_create"), form_data(sa, capacity="12", attendees_per_account="3"))
    assert response.status_code == 302
    response = sa_client.post(reverse("staff:workshop_create"), form_data(sa, capacity="13", attendees_per_account="3"))
    assert "seats at most 12 attendees: 4 accounts" in response.content.decode()


def test_accounts_reserved_by_other_workshops_do_not_count(sa_client, sa, pool):
    other = open_workshop()
    type(pool[0]).objects.filter(pk__in=[pool[0].pk, pool[1].pk]).update(
        workshop=other, state=SandboxAccountState.ASSIGNED
    )
    response = sa_client.post(reverse("staff:workshop_create"), form_data(sa, capacity="3"))
    assert "seats at most 2 attendees" in response.content.decode()


def test_the_edit_page_shows_times_on_the_workshops_own_clock(sa_client, sa):
    workshop = WorkshopFactory(
        owners=[sa], time_zone="Europe/Rome", starts_at=datetime(NEXT_YEAR, 7, 1, 7, 30, tzinfo=UTC)
    )
    page = sa_client.get(reverse("staff:workshop_edit", args=[workshop.pk])).content.decode()
    assert f'value="{NEXT_YEAR}-07-01T09:30"' in page  # Rome is UTC+2 in July


def test_an_edit_goes_through_the_service_which_tells_attendees_of_a_new_date(
    sa_client, sa, pool, django_capture_on_commit_callbacks
):
    workshop = open_workshop(
        owners=[sa],
        capacity=2,
        time_zone="Europe/Lisbon",
        starts_at=datetime(NEXT_YEAR, 3, 10, 9, 0, tzinfo=UTC),
        ends_at=datetime(NEXT_YEAR, 3, 10, 17, 0, tzinfo=UTC),
        registration_deadline=datetime(NEXT_YEAR, 3, 8, 18, 0, tzinfo=UTC),
    )
    (registration,) = register(workshop, 1)
    data = form_data(
        sa,
        title=workshop.title,
        topic=workshop.topic_id,
        capacity="2",
        starts_at=f"{NEXT_YEAR}-03-11T09:00",
        ends_at=f"{NEXT_YEAR}-03-11T17:00",
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = sa_client.post(reverse("staff:workshop_edit", args=[workshop.pk]), data)

    assert response.status_code == 302
    workshop.refresh_from_db()
    assert workshop.starts_at == datetime(NEXT_YEAR, 3, 11, 9, 0, tzinfo=UTC)
    assert workshop.calendar_sequence == 1  # the service's doing: calendars replace the event
    assert workshop.stage == Stage.REGISTRATION_OPEN
    assert OutboundEmail.objects.filter(kind=EmailKind.WORKSHOP_CHANGED, registration=registration).exists()


def test_an_edit_that_keeps_the_seats_is_not_checked_against_a_pool_that_shrank(sa_client, sa):
    workshop = open_workshop(owners=[sa], capacity=10)  # the pool is empty now
    data = form_data(sa, title="Renamed", topic=workshop.topic_id, capacity="10")
    response = sa_client.post(reverse("staff:workshop_edit", args=[workshop.pk]), data)
    assert response.status_code == 302
    workshop.refresh_from_db()
    assert workshop.title == "Renamed"


def test_a_closed_workshop_cannot_be_edited_here(sa_client, sa):
    workshop = workshop_in(Stage.CLOSED, owners=[sa])
    response = sa_client.get(reverse("staff:workshop_edit", args=[workshop.pk]), follow=True)
    assert "can no longer be edited here" in response.content.decode()
    before = workshop.title
    sa_client.post(reverse("staff:workshop_edit", args=[workshop.pk]), form_data(sa, title="Changed"))
    workshop.refresh_from_db()
    assert workshop.title == before


def test_a_new_draft_must_start_in_the_future_but_a_running_one_may_be_fixed(sa_client, sa):
    now = timezone.now().replace(second=0, microsecond=0)
    workshop = workshop_in(
        Stage.RUNNING,
        owners=[sa],
        time_zone="UTC",
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=3),
        registration_deadline=now - timedelta(days=1),
    )
    fmt = "%Y-%m-%dT%H:%M"
    data = form_data(
        sa,
        title=workshop.title,
        topic=workshop.topic_id,
        capacity=str(workshop.capacity),
        time_zone="UTC",
        starts_at=workshop.starts_at.strftime(fmt),
        ends_at=(now + timedelta(hours=4)).strftime(fmt),
        registration_deadline=workshop.registration_deadline.strftime(fmt),
    )
    response = sa_client.post(reverse("staff:workshop_edit", args=[workshop.pk]), data)
    assert response.status_code == 302, response.context["form"].errors
    workshop.refresh_from_db()
    assert workshop.ends_at == now + timedelta(hours=4)
