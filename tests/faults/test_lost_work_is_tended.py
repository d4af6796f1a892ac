"""Which lost provisioning the beat takes up again, and what the busy retry does (no processes here)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from celery.exceptions import Retry
from django.utils import timezone

from tests.factories import CustomerFactory, SandboxAccountFactory, workshop_in
from workshops import side_effects, tasks
from workshops.models import Credential, CredentialStatus, Registration, RegistrationStatus, Stage, StageChange
from workshops.sandbox import provisioning
from workshops.sandbox import tasks as sandbox_tasks
from workshops.sandbox.provisioning import runs
from workshops.sandbox.provisioning.runs import RunReport


def workshop_with_pending_credential(stage: str, *, age: timedelta) -> int:
    workshop = workshop_in(stage)
    registration = Registration.objects.create(
        workshop=workshop, attendee=CustomerFactory(), status=RegistrationStatus.CONFIRMED, queued_at=timezone.now()
    )
    credential = Credential.objects.create(
        registration=registration, sandbox_account=SandboxAccountFactory(workshop=workshop), iam_user_name="cpp-a1"
    )
    Credential.objects.filter(pk=credential.pk).update(updated_at=timezone.now() - age)
    return workshop.pk


@pytest.mark.django_db
def test_only_running_workshops_with_credentials_pending_past_a_lease_are_taken_up_again():
    lease = timedelta(seconds=runs.LEASE_SECONDS)
    lost = workshop_with_pending_credential(Stage.RUNNING, age=lease + timedelta(minutes=1))
    workshop_with_pending_credential(Stage.RUNNING, age=lease - timedelta(minutes=1))  # its run may be alive
    workshop_with_pending_credential(Stage.CLOSED, age=lease * 4)  # revocation's business now
    failed = workshop_with_pending_credential(Stage.RUNNING, age=lease * 4)
    Credential.objects.filter(registration__workshop_id=failed).update(status=CredentialStatus.FAILED)

    assert provisioning.workshops_with_stalled_provisioning() == [lost]


@pytest.mark.django_db
def test_provisioning_comes_back_after_a_lease_for_credentials_another_run_holds(monkeypatch):
    monkeypatch.setattr(provisioning, "workshop_provision", lambda workshop_id: RunReport(done=1, busy=2))
    retries = []

    def record_retry(*args, **kwargs):
        retries.append(kwargs)
        raise Retry()

    monkeypatch.setattr(sandbox_tasks.provision_workshop, "retry", record_retry)
    with pytest.raises(Retry):
        sandbox_tasks.provision_workshop.run(7)
    assert retries == [{"countdown": runs.LEASE_SECONDS, "max_retries": sandbox_tasks.BUSY_RETRIES}]

    monkeypatch.setattr(provisioning, "workshop_provision", lambda workshop_id: RunReport(done=3))
    sandbox_tasks.provision_workshop.run(7)  # nothing held: done, no retry
    assert len(retries) == 1


@pytest.mark.django_db
def test_closed_workshops_whose_credentials_are_still_live_a_lease_later_are_revoked_again():
    lease = timedelta(seconds=runs.LEASE_SECONDS)
    lost = workshop_with_pending_credential(Stage.CLOSED, age=lease * 4)
    recent = workshop_with_pending_credential(Stage.CLOSED, age=lease * 4)
    failed = workshop_with_pending_credential(Stage.CLOSED, age=lease * 4)
    Credential.objects.update(status=CredentialStatus.READY)
    Credential.objects.filter(registration__workshop_id=failed).update(status=CredentialStatus.REVOKE_FAILED)
    for workshop_id, closed_ago in ((lost, lease * 2), (recent, lease / 2), (failed, lease * 2)):
        StageChange.objects.create(workshop_id=workshop_id, source=Stage.RUNNING, target=Stage.CLOSED, automatic=True)
        StageChange.objects.filter(workshop_id=workshop_id).update(created_at=timezone.now() - closed_ago)

    # The recent one's revocation may still be under way; a failed one is the SA's to retry.
    assert provisioning.workshops_with_stalled_revocation() == [lost]


@pytest.mark.django_db
def test_side_effects_of_a_lost_stage_change_run_again_only_while_the_workshop_is_still_there():
    stalled = side_effects.STALLED_AFTER
    lost = workshop_in(Stage.RUNNING)
    moved_on = workshop_in(Stage.CLOSED)
    fresh = workshop_in(Stage.RUNNING)
    done = workshop_in(Stage.RUNNING)
    changes = {}
    for workshop, age in ((lost, stalled * 2), (moved_on, stalled * 2), (fresh, stalled / 2), (done, stalled * 2)):
        change = StageChange.objects.create(workshop=workshop, source=Stage.REGISTRATION_CLOSED, target=Stage.RUNNING)
        StageChange.objects.filter(pk=change.pk).update(created_at=timezone.now() - age)
        changes[workshop.pk] = change.pk
    StageChange.objects.filter(pk=changes[done.pk]).update(side_effects_done_at=timezone.now())

    assert side_effects.stage_changes_stalled() == [changes[lost.pk]]


@pytest.mark.django_db
def test_the_tend_queues_each_kind_of_lost_work(monkeypatch):
    queued = []
    monkeypatch.setattr(side_effects, "stage_changes_stalled", lambda: [11])
    monkeypatch.setattr(provisioning, "workshops_with_stalled_provisioning", lambda: [22])
    monkeypatch.setattr(provisioning, "workshops_with_stalled_revocation", lambda: [33])
    for task in (tasks.run_stage_side_effects, sandbox_tasks.provision_workshop, sandbox_tasks.revoke_workshop):
        monkeypatch.setattr(task, "delay", lambda pk, name=task.name: queued.append((name.rsplit(".", 1)[1], pk)))
    tasks.tend_lost_work()
    assert queued == [("run_stage_side_effects", 11), ("provision_workshop", 22), ("revoke_workshop", 33)]
