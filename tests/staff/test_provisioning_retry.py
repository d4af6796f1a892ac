"""The retry button on an attendee's row: a task queued after the commit tries that one credential again.

AWS is moto in-process with a real Organization, as in tests/workshops/test_provisioning.py. The
buttons queue Celery tasks; `press` runs what they queued (eagerly, as the test settings do) before
opening the page the button leads to.
"""

import pytest
from django.urls import reverse

from tests.aws_fakes import BotocoreHooks, workshop_with_attendees
from workshops.models import Credential, CredentialStatus, Stage, Workshop
from workshops.sandbox import provisioning

pytestmark = pytest.mark.django_db


def running_with_one_refused(org, sa):
    accounts = org.add_accounts(2)
    workshop = workshop_with_attendees(accounts, attendees=2)
    workshop.owners.set([sa])
    Workshop.objects.filter(pk=workshop.pk).update(stage=Stage.RUNNING)
    provisioning.workshop_accounts_assign(workshop_id=workshop.pk)
    victim = Credential.objects.filter(registration__workshop=workshop).order_by("pk").first()
    with BotocoreHooks() as hooks:
        hooks.refuse(
            "CreateUser",
            "AccessDenied",
            "not authorized to create users",
            when=lambda params: params["UserName"] == victim.iam_user_name,
        )
        provisioning.workshop_provision(workshop_id=workshop.pk)
    victim.refresh_from_db()
    assert victim.status == CredentialStatus.FAILED
    return workshop, victim


def press(client, url, capture_on_commit):
    """POST a button, run the tasks it queued once its transaction commits, and open the page it leads to."""
    with capture_on_commit(execute=True):
        response = client.post(url)
    return client.get(response["Location"])


def retry_url(credential):
    return reverse("staff:credential_retry", args=[credential.registration.workshop_id, credential.pk])


def test_the_failed_attendee_shows_its_error_and_a_retry_button(org, sa_client, sa):
    workshop, victim = running_with_one_refused(org, sa)
    page = sa_client.get(reverse("staff:workshop", args=[workshop.pk])).content.decode()
    assert "not authorized to create users" in page
    assert f'action="{retry_url(victim)}"' in page
    assert page.count("/retry/") == 1  # the ready one has no button


def test_retrying_makes_the_iam_user_and_says_so(org, sa_client, sa, django_capture_on_commit_callbacks):
    workshop, victim = running_with_one_refused(org, sa)

    response = press(sa_client, retry_url(victim), django_capture_on_commit_callbacks)

    victim.refresh_from_db()
    assert (victim.status, victim.last_error, victim.attempts) == (CredentialStatus.READY, "", 2)
    assert victim.iam_user_name in org.users(victim.sandbox_account.aws_account_id)
    assert f"Credential {victim.iam_user_name}: another try is queued." in response.content.decode()


def test_a_retry_that_fails_again_shows_the_aws_error(org, sa_client, sa, django_capture_on_commit_callbacks):
    workshop, victim = running_with_one_refused(org, sa)
    with BotocoreHooks() as hooks:
        hooks.refuse("CreateUser", "AccessDenied", "still not authorized")
        response = press(sa_client, retry_url(victim), django_capture_on_commit_callbacks)
    victim.refresh_from_db()
    assert victim.status == CredentialStatus.FAILED
    assert "still not authorized" in response.content.decode()


def test_a_retry_once_the_workshop_is_over_is_refused_with_the_reason(org, sa_client, sa):
    workshop, victim = running_with_one_refused(org, sa)
    Workshop.objects.filter(pk=workshop.pk).update(stage=Stage.CANCELLED)
    response = sa_client.post(retry_url(victim), follow=True)
    assert "credentials are made only while it runs" in response.content.decode()
    victim.refresh_from_db()
    assert victim.status == CredentialStatus.FAILED


def test_a_credential_of_another_workshop_is_404(org, sa_client, sa):
    workshop, victim = running_with_one_refused(org, sa)
    other = workshop_with_attendees([], attendees=0)
    url = reverse("staff:credential_retry", args=[other.pk, victim.pk])
    assert sa_client.post(url).status_code == 404


def test_an_attendee_the_pool_could_not_seat_is_provisioned_once_it_has_room(
    org, sa_client, sa, django_capture_on_commit_callbacks
):
    accounts = org.add_accounts(1)
    workshop = workshop_with_attendees(accounts, attendees=2)
    workshop.owners.set([sa])
    Workshop.objects.filter(pk=workshop.pk).update(stage=Stage.RUNNING)
    provisioning.workshop_accounts_assign(workshop_id=workshop.pk)
    latecomer = workshop.registrations.filter(credential__isnull=True).get()
    url = reverse("staff:registration_provision", args=[workshop.pk, latecomer.pk])
    assert url in sa_client.get(reverse("staff:workshop", args=[workshop.pk])).content.decode()

    response = sa_client.post(url, follow=True)
    assert "No credential was made" in response.content.decode()

    org.add_accounts(1)
    response = press(sa_client, url, django_capture_on_commit_callbacks)
    latecomer.refresh_from_db()
    assert latecomer.credential.status == CredentialStatus.READY
    assert f"Credential {latecomer.credential.iam_user_name} is queued" in response.content.decode()
