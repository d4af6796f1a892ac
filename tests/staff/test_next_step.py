"""The next automatic step the pages show is the move the beat driver really makes, at that very time."""

from datetime import timedelta

import pytest
from django.utils import timezone

from staff.selectors import workshop_next_step
from tests.factories import WorkshopFactory, workshop_in
from workshops.models import Stage, Workshop
from workshops.services import workshops_advance_due

pytestmark = pytest.mark.django_db
SECOND = timedelta(seconds=1)


def scene(stage: str, *, deadline_before_start: timedelta, lead_minutes: int = 120) -> Workshop:
    starts_at = timezone.now().replace(microsecond=0) + timedelta(days=3)
    return workshop_in(
        stage,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=6),
        registration_deadline=starts_at - deadline_before_start,
        provisioning_lead_minutes=lead_minutes,
    )


@pytest.mark.parametrize(
    ("stage", "deadline_before_start", "expected"),
    [
        (Stage.REGISTRATION_OPEN, timedelta(days=2), Stage.REGISTRATION_CLOSED),
        # The accounts are handed out before the deadline: registration closes and it starts in one tick.
        (Stage.REGISTRATION_OPEN, timedelta(hours=1), Stage.RUNNING),
        (Stage.REGISTRATION_OPEN, timedelta(hours=2), Stage.RUNNING),
        (Stage.REGISTRATION_CLOSED, timedelta(days=2), Stage.RUNNING),
        (Stage.RUNNING, timedelta(days=2), Stage.CLOSED),
    ],
)
def test_the_beat_driver_makes_the_predicted_move_at_the_predicted_time(stage, deadline_before_start, expected):
    workshop = scene(stage, deadline_before_start=deadline_before_start)
    step = workshop_next_step(workshop)
    assert step.target == expected

    workshops_advance_due(now=step.at - SECOND)
    workshop.refresh_from_db()
    assert workshop.stage == stage  # not a second early

    workshops_advance_due(now=step.at)
    workshop.refresh_from_db()
    assert workshop.stage == expected


def test_drafts_and_finished_workshops_have_no_automatic_step():
    assert workshop_next_step(WorkshopFactory()) is None
    for stage in (Stage.CLOSED, Stage.CANCELLED, Stage.ANONYMISED):
        assert workshop_next_step(workshop_in(stage)) is None
