"""The workshop lifecycle: every allowed and refused move, idempotency, audit, after-commit effects."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from tests.factories import SandboxAccountFactory, WorkshopFactory, workshop_in
from workshops import services, side_effects
from workshops.models import SandboxAccountState, Stage, StageChange
from workshops.sandbox import accounts
from workshops.services import ALLOWED_MOVES, StageError

pytestmark = pytest.mark.django_db

SERVICE_FOR = {
    Stage.REGISTRATION_OPEN: services.workshop_publish,
    Stage.REGISTRATION_CLOSED: services.workshop_close_registration,
    Stage.RUNNING: services.workshop_start,
    Stage.CLOSED: services.workshop_close,
    Stage.ANONYMISED: services.workshop_mark_anonymised,
    Stage.CANCELLED: services.workshop_cancel,
}
ALL_PAIRS = [(source, target) for source in Stage.values for target in Stage.values if source != target]
ALLOWED_PAIRS = [(s, t) for s, t in ALL_PAIRS if t in ALLOWED_MOVES[s]]
REFUSED_PAIRS = [(s, t) for s, t in ALL_PAIRS if t not in ALLOWED_MOVES[s] and t != Stage.DRAFT]


def test_the_lifecycle_is_exactly_the_designed_one():
    assert {(s, t) for s, t in ALLOWED_PAIRS} == {
        (Stage.DRAFT, Stage.REGISTRATION_OPEN),
        (Stage.REGISTRATION_OPEN, Stage.REGISTRATION_CLOSED),
        (Stage.REGISTRATION_CLOSED, Stage.RUNNING),
        (Stage.RUNNING, Stage.CLOSED),
        (Stage.CLOSED, Stage.ANONYMISED),
        (Stage.DRAFT, Stage.CANCELLED),
        (Stage.REGISTRATION_OPEN, Stage.CANCELLED),
        (Stage.REGISTRATION_CLOSED, Stage.CANCELLED),
    }


@pytest.mark.parametrize(("source", "target"), ALLOWED_PAIRS)
def test_allowed_move_changes_stage_and_writes_one_audit_row(source, target, sa):
    workshop = workshop_in(source)
    moved = SERVICE_FOR[target](workshop_id=workshop.pk, actor=sa)
    assert moved.stage == target
    workshop.refresh_from_db()
    assert workshop.stage == target
    change = StageChange.objects.get(workshop=workshop)
    assert (change.source, change.target, change.actor, change.automatic) == (source, target, sa, False)


@pytest.mark.parametrize(("source", "target"), REFUSED_PAIRS)
def test_refused_move_says_why_and_changes_nothing(source, target, sa):
    workshop = workshop_in(source)
    with pytest.raises(StageError) as refused:
        SERVICE_FOR[target](workshop_id=workshop.pk, actor=sa)
    assert str(Stage(source).label) in refused.value.message
    assert str(Stage(target).label) in refused.value.message
    workshop.refresh_from_db()
    assert workshop.stage == source
    assert not StageChange.objects.exists()


@pytest.mark.parametrize("target", list(SERVICE_FOR))
def test_moving_to_the_stage_it_is_in_is_a_quiet_no_op(target, sa, django_capture_on_commit_callbacks):
    workshop = workshop_in(target)
    with django_capture_on_commit_callbacks() as callbacks:
        assert SERVICE_FOR[target](workshop_id=workshop.pk, actor=sa).stage == target
    assert not StageChange.objects.exists()
    assert callbacks == []


def test_publishing_twice_audits_once(workshop, sa):
    services.workshop_publish(workshop_id=workshop.pk, actor=sa)
    services.workshop_publish(workshop_id=workshop.pk, actor=sa)
    assert StageChange.objects.filter(workshop=workshop).count() == 1


def test_publishing_after_the_deadline_is_refused(sa):
    workshop = WorkshopFactory(
        starts_at=timezone.now() + timedelta(hours=3), registration_deadline=timezone.now() - timedelta(hours=1)
    )
    with pytest.raises(StageError, match="deadline has passed"):
        services.workshop_publish(workshop_id=workshop.pk, actor=sa)
    workshop.refresh_from_db()
    assert workshop.stage == Stage.DRAFT


def test_side_effects_run_only_after_commit(workshop, sa, django_capture_on_commit_callbacks):
    SandboxAccountFactory.create_batch(25)
    with django_capture_on_commit_callbacks() as callbacks:
        services.workshop_publish(workshop_id=workshop.pk, actor=sa)
        # Inside the transaction nothing has happened yet.
        assert not workshop.sandbox_accounts.exists()
    assert len(callbacks) == 1
    assert not workshop.sandbox_accounts.exists()
    callbacks[0]()
    assert workshop.sandbox_accounts.count() == workshop.accounts_needed == 20
    assert StageChange.objects.get(workshop=workshop).side_effects_done_at is not None


def test_a_rolled_back_move_queues_nothing(workshop, sa, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(RuntimeError), transaction.atomic():
        services.workshop_publish(workshop_id=workshop.pk, actor=sa)
        raise RuntimeError("the caller failed after the move")
    assert callbacks == []
    workshop.refresh_from_db()
    assert workshop.stage == Stage.DRAFT
    assert not StageChange.objects.exists()


def test_side_effects_of_a_change_run_once_even_when_the_task_runs_twice(workshop, sa):
    calls = []
    with side_effects.stage_hooks_replaced(
        Stage.REGISTRATION_OPEN, [*side_effects.handlers_for(Stage.REGISTRATION_OPEN), lambda c: calls.append(c.pk)]
    ):
        services.workshop_publish(workshop_id=workshop.pk, actor=sa)
        change = StageChange.objects.get(workshop=workshop)
        assert side_effects.stage_change_side_effects_run(stage_change_id=change.pk) is True
        assert side_effects.stage_change_side_effects_run(stage_change_id=change.pk) is False
        assert calls == [change.pk]


def test_reservation_reports_a_shortfall_and_cancel_gives_accounts_back(sa):
    SandboxAccountFactory.create_batch(3)
    workshop = workshop_in(Stage.REGISTRATION_OPEN, capacity=10, attendees_per_account=2)
    assert accounts.sandbox_accounts_reserve(workshop_id=workshop.pk) == 2  # needs 5, has 3
    assert accounts.sandbox_accounts_reserve(workshop_id=workshop.pk) == 2  # rerun takes nothing twice
    assert workshop.sandbox_accounts.filter(state=SandboxAccountState.ASSIGNED).count() == 3
    services.workshop_cancel(workshop_id=workshop.pk, actor=sa)
    change = StageChange.objects.get(workshop=workshop, target=Stage.CANCELLED)
    side_effects.stage_change_side_effects_run(stage_change_id=change.pk)
    assert not workshop.sandbox_accounts.exists()


class TestAutomaticMoves:
    def test_registration_closes_at_the_deadline(self):
        now = timezone.now()
        due = workshop_in(Stage.REGISTRATION_OPEN, registration_deadline=now - timedelta(minutes=1))
        not_yet = workshop_in(Stage.REGISTRATION_OPEN)
        assert services.workshops_advance_due(now=now) == [(due.pk, Stage.REGISTRATION_CLOSED)]
        change = StageChange.objects.get(workshop=due)
        assert change.automatic and change.actor is None
        not_yet.refresh_from_db()
        assert not_yet.stage == Stage.REGISTRATION_OPEN

    def test_workshop_starts_its_lead_time_before_the_start(self):
        now = timezone.now()
        starts = now + timedelta(minutes=100)
        due = workshop_in(
            Stage.REGISTRATION_CLOSED,
            starts_at=starts,
            registration_deadline=starts - timedelta(days=1),
            provisioning_lead_minutes=120,
        )
        later = workshop_in(
            Stage.REGISTRATION_CLOSED,
            starts_at=starts,
            registration_deadline=starts - timedelta(days=1),
            provisioning_lead_minutes=60,
        )
        assert services.workshops_advance_due(now=now) == [(due.pk, Stage.RUNNING)]
        later.refresh_from_db()
        assert later.stage == Stage.REGISTRATION_CLOSED

    def test_an_open_workshop_that_reaches_its_start_closes_registration_then_runs(self):
        now = timezone.now()
        starts = now + timedelta(minutes=30)
        workshop = workshop_in(Stage.REGISTRATION_OPEN, starts_at=starts, registration_deadline=starts)
        services.workshops_advance_due(now=now)
        assert list(StageChange.objects.filter(workshop=workshop).order_by("pk").values_list("target", flat=True)) == [
            Stage.REGISTRATION_CLOSED,
            Stage.RUNNING,
        ]

    def test_running_workshop_closes_after_end_and_grace(self, settings):
        settings.CPP_CLOSE_GRACE_MINUTES = 60
        now = timezone.now()
        start = now - timedelta(hours=8)
        in_grace = workshop_in(
            Stage.RUNNING, starts_at=start, ends_at=now - timedelta(minutes=30), registration_deadline=start
        )
        past_grace = workshop_in(
            Stage.RUNNING, starts_at=start, ends_at=now - timedelta(minutes=61), registration_deadline=start
        )
        assert services.workshops_advance_due(now=now) == [(past_grace.pk, Stage.CLOSED)]
        in_grace.refresh_from_db()
        assert in_grace.stage == Stage.RUNNING

    def test_drafts_and_finished_workshops_never_move_on_their_own(self):
        now = timezone.now()
        long_ago = now - timedelta(days=60)
        for stage in (Stage.DRAFT, Stage.CLOSED, Stage.CANCELLED, Stage.ANONYMISED):
            workshop_in(
                stage, starts_at=long_ago, ends_at=long_ago + timedelta(hours=4), registration_deadline=long_ago
            )
        assert services.workshops_advance_due(now=now) == []
        assert services.workshops_advance_due(now=now) == []
