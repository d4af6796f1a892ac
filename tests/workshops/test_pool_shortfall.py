"""When publishing reserves fewer sandbox accounts than the seats need, the workshop's SAs hear at
once, with the numbers; a rerun sends nothing twice, a different shortfall is news again."""

import pytest
from django.utils import timezone

from notifications.models import EmailKind, OutboundEmail
from tests.factories import SandboxAccountFactory, SolutionsArchitectFactory, WorkshopFactory, workshop_in
from workshops import services, side_effects
from workshops.models import Stage, StageChange
from workshops.sandbox import accounts, stage_hooks
from workshops.sandbox.stage_hooks import pool_shortfall_notify

pytestmark = pytest.mark.django_db


def shortfall_emails(workshop) -> list[OutboundEmail]:
    return list(OutboundEmail.objects.filter(kind=EmailKind.POOL_SHORTFALL, workshop=workshop).order_by("to", "pk"))


def publish(workshop, actor, capture):
    with capture(execute=True):
        services.workshop_publish(workshop_id=workshop.pk, actor=actor)


@pytest.fixture
def owners():
    return [SolutionsArchitectFactory(preferred_language="en"), SolutionsArchitectFactory(preferred_language="es")]


def test_publishing_into_a_small_pool_emails_every_owner_the_numbers(owners, am, django_capture_on_commit_callbacks):
    SandboxAccountFactory.create_batch(12)
    workshop = WorkshopFactory(owners=owners, account_managers=[am], capacity=20)
    publish(workshop, owners[0], django_capture_on_commit_callbacks)

    assert workshop.sandbox_accounts.count() == 12
    emails = shortfall_emails(workshop)
    assert sorted(e.to for e in emails) == sorted(o.email for o in owners)
    english = next(e for e in emails if e.to == owners[0].email)
    assert english.subject == f"Sandbox pool too small for {workshop.title}: 12 of 20 accounts"
    assert "needs 20 sandbox accounts, but the pool could reserve only 12" in english.body_text
    assert english.recipient_id == owners[0].pk
    assert english.scheduled_at <= timezone.now()  # at once, not at some later schedule
    spanish = next(e for e in emails if e.to == owners[1].email)
    assert spanish.language == "es"
    # Nobody else hears about the pool: not the AM, not a colleague who does not own the workshop.
    assert not OutboundEmail.objects.filter(kind=EmailKind.POOL_SHORTFALL, to=am.email).exists()


def test_a_pool_big_enough_sends_nothing(owners, django_capture_on_commit_callbacks):
    SandboxAccountFactory.create_batch(20)
    workshop = WorkshopFactory(owners=owners, capacity=20)
    publish(workshop, owners[0], django_capture_on_commit_callbacks)
    assert shortfall_emails(workshop) == []


def test_the_shortfall_counts_accounts_not_seats_for_teams(owners, django_capture_on_commit_callbacks):
    SandboxAccountFactory.create_batch(3)
    workshop = WorkshopFactory(owners=owners[:1], capacity=10, attendees_per_account=2)
    publish(workshop, owners[0], django_capture_on_commit_callbacks)
    (email,) = shortfall_emails(workshop)
    assert "needs 5 sandbox accounts, but the pool could reserve only 3" in email.body_text


def test_a_rerun_sends_nothing_twice(owners, django_capture_on_commit_callbacks):
    SandboxAccountFactory.create_batch(2)
    workshop = WorkshopFactory(owners=owners, capacity=5)
    publish(workshop, owners[0], django_capture_on_commit_callbacks)
    assert len(shortfall_emails(workshop)) == 2

    change = StageChange.objects.get(workshop=workshop)
    StageChange.objects.filter(pk=change.pk).update(side_effects_done_at=None)  # a worker died: run again
    side_effects.stage_change_side_effects_run(stage_change_id=change.pk)
    assert pool_shortfall_notify(workshop_id=workshop.pk) == 3
    assert len(shortfall_emails(workshop)) == 2


def test_a_changed_shortfall_is_sent_again(owners):
    SandboxAccountFactory.create_batch(2)
    workshop = workshop_in(Stage.REGISTRATION_OPEN, capacity=5)
    workshop.owners.set(owners[:1])
    accounts.sandbox_accounts_reserve(workshop_id=workshop.pk)
    assert pool_shortfall_notify(workshop_id=workshop.pk) == 3

    workshop.capacity = 8
    workshop.save(update_fields=["capacity"])
    assert pool_shortfall_notify(workshop_id=workshop.pk) == 6

    subjects = [e.subject for e in shortfall_emails(workshop)]
    assert subjects == [
        f"Sandbox pool too small for {workshop.title}: 2 of 5 accounts",
        f"Sandbox pool too small for {workshop.title}: 2 of 8 accounts",
    ]


@pytest.mark.parametrize("stage", [Stage.DRAFT, Stage.RUNNING, Stage.CANCELLED, Stage.CLOSED])
def test_nothing_is_sent_once_a_gap_is_no_longer_something_to_fix(owners, stage):
    workshop = workshop_in(stage, capacity=5)
    workshop.owners.set(owners)
    assert pool_shortfall_notify(workshop_id=workshop.pk) == 0
    assert shortfall_emails(workshop) == []


def test_the_email_runs_after_the_reservation(db):
    handlers = side_effects.handlers_for(Stage.REGISTRATION_OPEN)
    assert handlers.index(stage_hooks.reserve_sandbox_accounts) < handlers.index(
        stage_hooks.tell_owners_the_pool_is_short
    )


def test_an_inactive_owner_is_not_emailed(owners, django_capture_on_commit_callbacks):
    owners[1].is_active = False
    owners[1].save()
    workshop = WorkshopFactory(owners=owners, capacity=2)
    publish(workshop, owners[0], django_capture_on_commit_callbacks)
    assert [e.to for e in shortfall_emails(workshop)] == [owners[0].email]
