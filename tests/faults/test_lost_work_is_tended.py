"""Which lost provisioning the beat takes up again, and what the busy retry does (no processes here)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from celery.exceptions import Retry
from django.utils import timezone

from tests.factories import CustomerFactory, SandboxAccountFactory, workshop_in
from workshops import provisioning, tasks
from workshops.models import Credential, CredentialStatus, Registration, RegistrationStatus, Stage
from workshops.provisioning import runs
from workshops.provisioning.runs import RunReport


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

    monkeypatch.setattr(tasks.provision_workshop, "retry", record_retry)
    with pytest.raises(Retry):
        tasks.provision_workshop.run(7)
    assert retries == [{"countdown": runs.LEASE_SECONDS, "max_retries": tasks.BUSY_RETRIES}]

    monkeypatch.setattr(provisioning, "workshop_provision", lambda workshop_id: RunReport(done=3))
    tasks.provision_workshop.run(7)  # nothing held: done, no retry
    assert len(retries) == 1
