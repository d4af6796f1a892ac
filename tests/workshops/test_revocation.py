"""Closing a workshop removes every attendee's IAM user, wipes the secrets, and hands the accounts on.

moto deletes a user whatever still hangs on it; real IAM refuses. These tests make moto refuse
like IAM (`delete_user_like_aws`), so a user that is gone is proof that everything on it went first.
"""

import pytest

from cpp_portal.celery import app as celery_app
from notifications.models import EmailKind, EmailStatus, OutboundEmail
from tests.aws_fakes import (
    POWER_USER,
    BotocoreHooks,
    close,
    self_signed_certificate,
    start,
    workshop_with_attendees,
)
from workshops.models import Credential, CredentialStatus, SandboxAccount, SandboxAccountState, Stage, Workshop
from workshops.sandbox import provisioning, tasks

pytestmark = pytest.mark.django_db


def credentials_of(workshop) -> list[Credential]:
    return list(
        Credential.objects.filter(registration__workshop=workshop).select_related("sandbox_account").order_by("pk")
    )


def account_states(workshop) -> dict[str, str]:
    return dict(SandboxAccount.objects.filter(workshop=workshop).values_list("aws_account_id", "state"))


def closed_without_revoking(workshop) -> None:
    Workshop.objects.filter(pk=workshop.pk).update(stage=Stage.CLOSED)
    workshop.refresh_from_db()


def load_up(iam, user_name: str) -> None:
    """What an attendee with IAM rights might leave on their own user."""
    iam.create_access_key(UserName=user_name)
    iam.create_access_key(UserName=user_name)
    iam.put_user_policy(
        UserName=user_name,
        PolicyName="my-extra",
        PolicyDocument='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}',
    )
    iam.create_group(GroupName=f"{user_name}-group")
    iam.add_user_to_group(GroupName=f"{user_name}-group", UserName=user_name)
    serial = iam.create_virtual_mfa_device(VirtualMFADeviceName=f"{user_name}-mfa")["VirtualMFADevice"]["SerialNumber"]
    iam.enable_mfa_device(
        UserName=user_name, SerialNumber=serial, AuthenticationCode1="123456", AuthenticationCode2="654321"
    )
    iam.upload_ssh_public_key(UserName=user_name, SSHPublicKeyBody="ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC attendee")
    iam.upload_signing_certificate(UserName=user_name, CertificateBody=self_signed_certificate())


def test_closing_removes_every_user_with_all_it_holds_and_wipes_the_secrets(org):
    accounts = org.add_accounts(3)
    workshop = workshop_with_attendees(accounts, attendees=6, team=2)
    start(workshop)
    loaded = credentials_of(workshop)[0]
    load_up(org.iam(loaded.sandbox_account.aws_account_id), loaded.iam_user_name)

    with BotocoreHooks() as hooks:
        hooks.delete_user_like_aws()
        close(workshop)

    assert sum(hooks.refused.values()) == 0  # nothing was left on any user when it was deleted
    for account in accounts:
        assert org.users(account.aws_account_id) == {}
    virtual_devices = org.iam(loaded.sandbox_account.aws_account_id).list_virtual_mfa_devices()["VirtualMFADevices"]
    assert virtual_devices == []
    for credential in credentials_of(workshop):
        assert (credential.status, credential.password_encrypted, credential.last_error) == ("revoked", "", "")
        assert credential.revoked_at is not None
    assert set(account_states(workshop).values()) == {SandboxAccountState.CLEANING}


def test_a_failed_removal_is_reported_keeps_its_account_and_the_next_run_finishes(org):
    accounts = org.add_accounts(2)
    workshop = workshop_with_attendees(accounts, attendees=4, team=2)
    start(workshop)
    stuck = credentials_of(workshop)[0]
    closed_without_revoking(workshop)

    with BotocoreHooks() as hooks:
        hooks.refuse(
            "DeleteUser",
            "AccessDenied",
            "With an explicit deny in a service control policy",
            when=lambda params: params["UserName"] == stuck.iam_user_name,
        )
        report = provisioning.workshop_revoke(workshop_id=workshop.pk)

    stuck.refresh_from_db()
    assert (report.done, report.failed) == (3, 1)
    assert stuck.status == CredentialStatus.REVOKE_FAILED
    assert stuck.last_error == "DeleteUser: AccessDenied: With an explicit deny in a service control policy"
    assert stuck.password_encrypted == ""  # the secret goes even when the user could not
    stuck_account = stuck.sandbox_account.aws_account_id
    other = next(a.aws_account_id for a in accounts if a.aws_account_id != stuck_account)
    assert account_states(workshop) == {stuck_account: "in_use", other: "cleaning"}

    report = provisioning.workshop_revoke(workshop_id=workshop.pk)

    stuck.refresh_from_db()
    assert (report.done, report.failed, stuck.status) == (1, 0, CredentialStatus.REVOKED)
    assert org.users(stuck_account) == {}
    assert account_states(workshop) == {stuck_account: "cleaning", other: "cleaning"}


def test_the_task_comes_back_until_revocation_is_complete(org, monkeypatch):
    accounts = org.add_accounts(1)
    workshop = workshop_with_attendees(accounts, attendees=1)
    start(workshop)
    closed_without_revoking(workshop)
    # Eager tasks raise a retry instead of running it unless failures are left to Celery, as a worker does.
    monkeypatch.setitem(celery_app.conf, "task_eager_propagates", False)

    with BotocoreHooks() as hooks:
        hooks.refuse("DeleteUser", "AccessDenied", "Not now", times=2)
        result = tasks.revoke_workshop.delay(workshop.pk)

    # Two runs were refused; in eager mode the retries follow at once instead of minutes apart.
    assert (result.state, sum(hooks.refused.values())) == ("SUCCESS", 2)
    assert [c.status for c in credentials_of(workshop)] == [CredentialStatus.REVOKED]
    assert account_states(workshop) == {accounts[0].aws_account_id: "cleaning"}


def test_revoking_twice_changes_nothing_and_a_user_removed_by_hand_counts_as_removed(org):
    accounts = org.add_accounts(2)
    workshop = workshop_with_attendees(accounts, attendees=2)
    start(workshop)
    by_hand = credentials_of(workshop)[0]
    iam = org.iam(by_hand.sandbox_account.aws_account_id)
    iam.delete_login_profile(UserName=by_hand.iam_user_name)
    for arn in (POWER_USER, "arn:aws:iam::aws:policy/IAMUserChangePassword"):
        iam.detach_user_policy(UserName=by_hand.iam_user_name, PolicyArn=arn)
    iam.delete_user(UserName=by_hand.iam_user_name)
    close(workshop)
    revoked_at = {c.pk: c.revoked_at for c in credentials_of(workshop)}

    with BotocoreHooks() as hooks:
        report = provisioning.workshop_revoke(workshop_id=workshop.pk)

    assert (report.done, report.failed, sum(hooks.calls.values())) == (0, 0, 0)
    assert {c.pk: c.revoked_at for c in credentials_of(workshop)} == revoked_at
    assert {c.status for c in credentials_of(workshop)} == {CredentialStatus.REVOKED}


def test_a_credential_that_never_reached_aws_is_revoked_cleanly(org):
    accounts = org.add_accounts(1)
    workshop = workshop_with_attendees(accounts, attendees=1)
    Workshop.objects.filter(pk=workshop.pk).update(stage=Stage.RUNNING)
    provisioning.workshop_accounts_assign(workshop_id=workshop.pk)  # assigned, never provisioned
    closed_without_revoking(workshop)

    provisioning.workshop_revoke(workshop_id=workshop.pk)

    assert [c.status for c in credentials_of(workshop)] == [CredentialStatus.REVOKED]
    assert account_states(workshop) == {accounts[0].aws_account_id: "cleaning"}


def test_an_account_that_left_the_pool_is_not_touched(org):
    accounts = org.add_accounts(2)
    workshop = workshop_with_attendees(accounts, attendees=2)
    start(workshop)
    gone = credentials_of(workshop)[0]
    # Moved out of the sandbox OU during the workshop: the pool sync retired it.
    SandboxAccount.objects.filter(pk=gone.sandbox_account_id).update(state=SandboxAccountState.RETIRED, workshop=None)
    closed_without_revoking(workshop)

    with BotocoreHooks() as hooks:
        provisioning.workshop_revoke(workshop_id=workshop.pk)

    gone.refresh_from_db()
    account_id = gone.sandbox_account.aws_account_id
    assert not any(account == account_id for account, _operation in hooks.calls)
    assert gone.status == CredentialStatus.REVOKE_FAILED
    assert gone.last_error == f"Not touched: sandbox account {account_id} (left the pool) is not held by this workshop."
    assert gone.password_encrypted == ""
    assert gone.iam_user_name in org.users(account_id)


def test_an_account_ready_email_still_queued_at_the_close_is_withdrawn(org):
    accounts = org.add_accounts(1)
    workshop = workshop_with_attendees(accounts, attendees=1)
    Workshop.objects.filter(pk=workshop.pk).update(stage=Stage.RUNNING)
    provisioning.workshop_provision(workshop_id=workshop.pk)  # its email is queued, not sent yet
    email = OutboundEmail.objects.get(kind=EmailKind.ACCOUNT_READY)
    assert email.status == EmailStatus.QUEUED

    close(workshop)

    email.refresh_from_db()
    assert email.status == EmailStatus.CANCELLED


def test_a_running_workshop_is_never_revoked(org):
    accounts = org.add_accounts(1)
    workshop = workshop_with_attendees(accounts, attendees=1)
    start(workshop)

    with pytest.raises(provisioning.ProvisioningError, match="revoked only once it has closed"):
        provisioning.workshop_revoke(workshop_id=workshop.pk)
    assert [c.status for c in credentials_of(workshop)] == [CredentialStatus.READY]


def test_retrying_one_failed_revocation_removes_it(org):
    accounts = org.add_accounts(1)
    workshop = workshop_with_attendees(accounts, attendees=1)
    start(workshop)
    closed_without_revoking(workshop)
    with BotocoreHooks() as hooks:
        hooks.refuse("DeleteLoginProfile", "AccessDenied", "Not now")
        provisioning.workshop_revoke(workshop_id=workshop.pk)
    credential = credentials_of(workshop)[0]
    assert credential.status == CredentialStatus.REVOKE_FAILED

    credential = provisioning.credential_retry(credential_id=credential.pk)

    assert credential.status == CredentialStatus.REVOKED
    assert account_states(workshop) == {accounts[0].aws_account_id: "cleaning"}
