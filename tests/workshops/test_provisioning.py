"""Starting a workshop gives every confirmed attendee an IAM user in a sandbox account, once.

AWS is moto in-process with a real Organization: each member account is reached by assuming
OrganizationAccountAccessRole, exactly as in production, and what the tests check is what IAM
lists in each member account afterwards.
"""

import re
import string
from urllib.parse import parse_qs, urlsplit

import pytest
import sesame.utils
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.urls import resolve

from notifications import sealing
from notifications.models import EmailKind, OutboundEmail
from tests.aws_fakes import (
    CHANGE_PASSWORD,
    POWER_USER,
    READ_ONLY,
    BotocoreHooks,
    start,
    workshop_with_attendees,
)
from tests.factories import CustomerFactory
from workshops.models import (
    Credential,
    CredentialStatus,
    Registration,
    RegistrationStatus,
    SandboxAccount,
    SandboxAccountState,
    Stage,
)
from workshops.sandbox import key_ring, provisioning
from workshops.sandbox.provisioning.iam import new_console_password

pytestmark = pytest.mark.django_db

USER_NAME = re.compile(r"^cpp-[0-9a-f]{12}$")


def credentials_of(workshop) -> list[Credential]:
    return list(
        Credential.objects.filter(registration__workshop=workshop)
        .select_related("sandbox_account", "registration__attendee")
        .order_by("registration__queued_at", "registration__pk")
    )


def statuses(workshop) -> dict[str, int]:
    return {k: v for k, v in provisioning.provisioning_progress(workshop).by_status.items() if v}


def meets_strict_policy(password: str) -> bool:
    return (
        len(password) >= 20
        and any(c in string.ascii_uppercase for c in password)
        and any(c in string.ascii_lowercase for c in password)
        and any(c in string.digits for c in password)
        and any(c in string.punctuation for c in password)
    )


def test_thirty_attendees_in_teams_of_three_get_their_own_users_in_ten_accounts(org):
    accounts = org.add_accounts(10)
    workshop = workshop_with_attendees(accounts, attendees=30, team=3, permissions_boundary_arn=POWER_USER)

    start(workshop)

    assert workshop.stage == Stage.RUNNING
    assert set(SandboxAccount.objects.filter(workshop=workshop).values_list("state", flat=True)) == {"in_use"}
    credentials = credentials_of(workshop)
    assert {c.status for c in credentials} == {CredentialStatus.READY}
    # Teams fill the accounts in registration order: the first three share the first account, …
    ordered_accounts = sorted(a.aws_account_id for a in accounts)
    assert [c.sandbox_account.aws_account_id for c in credentials] == [a for a in ordered_accounts for _ in range(3)]
    for account_id in ordered_accounts:
        users = org.users(account_id)
        expected = {c.iam_user_name for c in credentials if c.sandbox_account.aws_account_id == account_id}
        assert set(users) == expected and len(users) == 3
        for user in users.values():
            assert user["login_profile"]
            assert user["policies"] == sorted([POWER_USER, CHANGE_PASSWORD])
            assert user["tags"] == {"cpp:managed": "true", "cpp:workshop": str(workshop.pk)}
            assert user["access_keys"] == 0
    for credential in credentials:
        assert USER_NAME.match(credential.iam_user_name)
        assert credential.registration.attendee.email.split("@")[0] not in credential.iam_user_name
        password = key_ring.decrypt(credential.password_encrypted)
        # The stored password is the one IAM holds, and a strict password policy would take it.
        assert org.console_password(credential.sandbox_account.aws_account_id, credential.iam_user_name) == password
        assert meets_strict_policy(password)
        assert (credential.attempts, credential.last_error) == (1, "")
        assert credential.provisioned_at is not None


def test_the_permissions_boundary_is_set_on_every_user(org):
    accounts = org.add_accounts(2)
    workshop = workshop_with_attendees(accounts, attendees=2, permissions_boundary_arn=READ_ONLY)
    with BotocoreHooks(keep_params=("CreateUser",)) as hooks:
        start(workshop)
    # moto keeps no boundary on users, so the request itself is what shows it was asked for.
    assert [p["PermissionsBoundary"] for p in hooks.params["CreateUser"]] == [READ_ONLY, READ_ONLY]
    assert statuses(workshop) == {"ready": 2}


def test_a_second_run_creates_nothing_twice(org):
    accounts = org.add_accounts(4)
    workshop = workshop_with_attendees(accounts, attendees=8, team=2)
    start(workshop)
    before = {c.pk: (c.iam_user_name, c.sandbox_account_id, c.password_encrypted) for c in credentials_of(workshop)}
    users_before = {a.aws_account_id: org.users(a.aws_account_id) for a in accounts}

    with BotocoreHooks() as hooks:
        report = provisioning.workshop_provision(workshop_id=workshop.pk)

    assert (report.done, report.failed, report.busy) == (0, 0, 0)
    assert not any(op.startswith(("Create", "Update", "Attach")) for _account, op in hooks.calls)
    after = {c.pk: (c.iam_user_name, c.sandbox_account_id, c.password_encrypted) for c in credentials_of(workshop)}
    assert after == before
    assert {a.aws_account_id: org.users(a.aws_account_id) for a in accounts} == users_before
    assert OutboundEmail.objects.filter(kind=EmailKind.ACCOUNT_READY).count() == 8


def test_a_run_cut_short_after_aws_answered_is_finished_with_a_fresh_password(org):
    accounts = org.add_accounts(2)
    workshop = workshop_with_attendees(accounts, attendees=2)
    start(workshop)
    # As if the worker died after IAM made the user but before the database heard of it.
    lost = credentials_of(workshop)[0]
    Credential.objects.filter(pk=lost.pk).update(status=CredentialStatus.PENDING, password_encrypted="")

    with BotocoreHooks() as hooks:
        provisioning.workshop_provision(workshop_id=workshop.pk)

    lost.refresh_from_db()
    account_id = lost.sandbox_account.aws_account_id
    assert lost.status == CredentialStatus.READY
    assert list(org.users(account_id)) == [lost.iam_user_name]
    assert hooks.calls[(account_id, "UpdateLoginProfile")] == 1
    assert org.console_password(account_id, lost.iam_user_name) == key_ring.decrypt(lost.password_encrypted)
    assert OutboundEmail.objects.filter(kind=EmailKind.ACCOUNT_READY).count() == 2


def test_throttling_is_absorbed_and_every_attendee_is_provisioned(org):
    accounts = org.add_accounts(5)
    workshop = workshop_with_attendees(accounts, attendees=15, team=3)

    # A small bucket per account: a team's nine calls in a row cannot all fit.
    with BotocoreHooks(throttle=(3, 10)) as hooks:
        start(workshop)

    assert sum(hooks.throttled.values()) > 0
    assert statuses(workshop) == {"ready": 15}
    for account in accounts:
        assert len(org.users(account.aws_account_id)) == 3


def test_one_refused_attendee_is_reported_the_others_succeed_and_a_retry_fixes_it(org):
    accounts = org.add_accounts(3)
    workshop = workshop_with_attendees(accounts, attendees=6, team=2)
    start_without_provisioning(workshop)
    victim = credentials_of(workshop)[2]

    with BotocoreHooks() as hooks:
        hooks.refuse(
            "CreateUser",
            "AccessDenied",
            "User: arn:aws:sts::000000000000:assumed-role/OrganizationAccountAccessRole is not authorized",
            when=lambda params: params["UserName"] == victim.iam_user_name,
        )
        report = provisioning.workshop_provision(workshop_id=workshop.pk)

    victim.refresh_from_db()
    assert (report.done, report.failed) == (5, 1)
    assert victim.status == CredentialStatus.FAILED
    assert victim.last_error.startswith("CreateUser: AccessDenied: User: arn:aws:sts::")
    assert (victim.attempts, victim.password_encrypted) == (1, "")
    assert victim.iam_user_name not in org.users(victim.sandbox_account.aws_account_id)
    assert statuses(workshop) == {"ready": 5, "failed": 1}
    assert not OutboundEmail.objects.filter(key=f"account_ready:{victim.pk}").exists()

    retried = provisioning.credential_retry(credential_id=victim.pk)

    assert (retried.status, retried.last_error, retried.attempts) == (CredentialStatus.READY, "", 2)
    assert victim.iam_user_name in org.users(victim.sandbox_account.aws_account_id)
    assert OutboundEmail.objects.filter(key=f"account_ready:{victim.pk}").count() == 1
    assert statuses(workshop) == {"ready": 6}


def test_a_policy_that_does_not_exist_fails_with_the_aws_error_until_it_is_fixed(org):
    accounts = org.add_accounts(2)
    missing = "arn:aws:iam::aws:policy/NoSuchPolicyForAttendees"
    workshop = workshop_with_attendees(accounts, attendees=2, attendee_policy_arns=[POWER_USER, missing])

    start(workshop)

    for credential in credentials_of(workshop):
        assert credential.status == CredentialStatus.FAILED
        assert credential.last_error.startswith("AttachUserPolicy: NoSuchEntity: ")
        assert missing in credential.last_error
    assert not OutboundEmail.objects.filter(kind=EmailKind.ACCOUNT_READY).exists()

    workshop.attendee_policy_arns = [POWER_USER]
    workshop.save(update_fields=["attendee_policy_arns"])
    report = provisioning.workshop_provision(workshop_id=workshop.pk)

    assert (report.done, report.failed) == (2, 0)
    for credential in credentials_of(workshop):
        account_id = credential.sandbox_account.aws_account_id
        assert org.users(account_id)[credential.iam_user_name]["policies"] == [POWER_USER]
        assert org.console_password(account_id, credential.iam_user_name) == key_ring.decrypt(
            credential.password_encrypted
        )


def test_an_account_whose_role_cannot_be_assumed_fails_only_its_own_attendees(org):
    accounts = org.add_accounts(2)
    workshop = workshop_with_attendees(accounts, attendees=4, team=2)
    start_without_provisioning(workshop)
    blocked = min(a.aws_account_id for a in accounts)

    with BotocoreHooks() as hooks:
        hooks.refuse(
            "AssumeRole", "AccessDenied", "Not authorized to assume the role", when=lambda p: blocked in p["RoleArn"]
        )
        provisioning.workshop_provision(workshop_id=workshop.pk)

    for credential in credentials_of(workshop):
        if credential.sandbox_account.aws_account_id == blocked:
            assert credential.status == CredentialStatus.FAILED
            assert (
                credential.last_error
                == f"Account {blocked}: AssumeRole: AccessDenied: Not authorized to assume the role"
            )
        else:
            assert credential.status == CredentialStatus.READY


def test_the_database_never_holds_a_plaintext_password(org):
    accounts = org.add_accounts(3)
    workshop = workshop_with_attendees(accounts, attendees=6, team=2)
    start(workshop)
    credentials = credentials_of(workshop)
    passwords = {org.console_password(c.sandbox_account.aws_account_id, c.iam_user_name) for c in credentials}
    assert len(passwords) == 6 and None not in passwords

    for credential in credentials:
        for column in Credential._meta.concrete_fields:
            value = getattr(credential, column.attname)
            assert not any(p in str(value) for p in passwords), column.name
    emails = OutboundEmail.objects.filter(kind=EmailKind.ACCOUNT_READY)
    assert emails.count() == 6
    for email in emails:
        assert not any(p in f"{email.subject}{''.join(sealing.bodies(email))}" for p in passwords)
    sent = [m for m in mail.outbox if "credentials" in m.body]
    assert len(sent) == 6  # and what actually left, attachments and alternatives included
    for message in sent:
        assert not any(p in message.message().as_string() for p in passwords)
    # And nowhere else either: every text column of every table.
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 (table names come from the schema)
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, str | bytes):
                        text = value.decode(errors="ignore") if isinstance(value, bytes) else value
                        assert not any(p in text for p in passwords), table


def test_the_account_ready_email_links_to_the_credentials_page_for_that_attendee_only(org):
    accounts = org.add_accounts(1)
    workshop = workshop_with_attendees(accounts, attendees=1)
    start(workshop)
    credential = credentials_of(workshop)[0]
    registration = credential.registration

    email = OutboundEmail.objects.get(kind=EmailKind.ACCOUNT_READY)

    assert (email.to, email.registration_id, email.key) == (
        registration.attendee.email,
        registration.pk,
        f"account_ready:{credential.pk}",
    )
    # The link is a key: the outbox keeps it sealed and drops it once sent, so read what was sent.
    [sent] = [m for m in mail.outbox if m.extra_headers["X-CPP-Email-Key"] == email.key]
    body_text = sent.body
    link = re.search(r"http\S+/credentials/\?token=\S+", body_text).group(0)
    parts = urlsplit(link)
    match = resolve(parts.path)
    assert (match.view_name, match.kwargs) == ("workshops:credentials", {"registration_id": registration.pk})
    token = parse_qs(parts.query)["token"][0]
    scope = f"credentials:{registration.pk}"
    assert sesame.utils.get_user(token, scope=scope, update_last_login=False) == registration.attendee
    assert sesame.utils.get_user(token, scope=f"credentials:{registration.pk + 1}", update_last_login=False) is None
    assert credential.iam_user_name not in body_text  # the page shows it, after a sign-in


def test_someone_confirmed_while_it_runs_gets_a_credential_in_a_free_team_seat(org):
    accounts = org.add_accounts(2)
    workshop = workshop_with_attendees(accounts, attendees=4, team=3)
    start(workshop)
    late = Registration.objects.create(
        workshop=workshop, attendee=CustomerFactory(), status=RegistrationStatus.CONFIRMED, queued_at=workshop.starts_at
    )

    credential = provisioning.registration_provision(registration_id=late.pk)

    assert credential.status == CredentialStatus.READY
    # The second account had one attendee: the newcomer joins that team rather than a new account.
    second = max(a.aws_account_id for a in accounts)
    assert credential.sandbox_account.aws_account_id == second
    assert len(org.users(second)) == 2
    assert OutboundEmail.objects.filter(key=f"account_ready:{credential.pk}").exists()
    assert provisioning.registration_provision(registration_id=late.pk) == credential  # nothing new


def test_a_latecomer_beyond_the_reserved_seats_gets_an_account_from_the_pool(org):
    reserved, spare = org.add_accounts(1), org.add_accounts(1)[0]
    workshop = workshop_with_attendees(reserved, attendees=1)
    start(workshop)
    late = Registration.objects.create(
        workshop=workshop, attendee=CustomerFactory(), status=RegistrationStatus.CONFIRMED, queued_at=workshop.starts_at
    )

    credential = provisioning.registration_provision(registration_id=late.pk)

    spare.refresh_from_db()
    assert (spare.state, spare.workshop) == (SandboxAccountState.IN_USE, workshop)
    assert credential.sandbox_account == spare and credential.status == CredentialStatus.READY


def test_attendees_the_pool_cannot_seat_show_as_unassigned_until_it_grows(org):
    accounts = org.add_accounts(1)
    workshop = workshop_with_attendees(accounts, attendees=3)
    start(workshop)

    progress = provisioning.provisioning_progress(workshop)
    assert (progress.by_status["ready"], progress.unassigned, progress.total, progress.in_progress) == (1, 2, 3, True)

    org.add_accounts(2)
    provisioning.workshop_provision(workshop_id=workshop.pk)

    progress = provisioning.provisioning_progress(workshop)
    assert (progress.by_status["ready"], progress.unassigned, progress.in_progress) == (3, 0, False)


def test_only_confirmed_registrations_get_credentials(org):
    accounts = org.add_accounts(2)
    workshop = workshop_with_attendees(accounts, attendees=1)
    waiting = Registration.objects.create(
        workshop=workshop,
        attendee=CustomerFactory(),
        status=RegistrationStatus.WAITLISTED,
        queued_at=workshop.starts_at,
    )
    start(workshop)

    assert statuses(workshop) == {"ready": 1}
    assert provisioning.registration_provision(registration_id=waiting.pk) is None
    assert not Credential.objects.filter(registration=waiting).exists()


def test_nothing_is_provisioned_for_a_workshop_that_is_not_running(org):
    accounts = org.add_accounts(1)
    workshop = workshop_with_attendees(accounts, attendees=1)

    assert provisioning.workshop_provision(workshop_id=workshop.pk).done == 0
    assert not Credential.objects.exists()


def test_a_credential_held_by_another_run_is_left_to_it(org):
    accounts = org.add_accounts(1)
    workshop = workshop_with_attendees(accounts, attendees=1)
    start_without_provisioning(workshop)
    credential = credentials_of(workshop)[0]
    from django.core.cache import cache

    cache.add(f"cpp:credential-lease:{credential.pk}", "another-run", 60)
    try:
        with pytest.raises(provisioning.ProvisioningError, match="being worked on by another run"):
            provisioning.credential_retry(credential_id=credential.pk)
        assert provisioning.workshop_provision(workshop_id=workshop.pk).busy == 1
    finally:
        cache.delete(f"cpp:credential-lease:{credential.pk}")
    credential.refresh_from_db()
    assert credential.status == CredentialStatus.PENDING
    assert org.users(accounts[0].aws_account_id) == {}


def test_without_an_encryption_key_nothing_is_made_in_aws(org, settings):
    accounts = org.add_accounts(1)
    workshop = workshop_with_attendees(accounts, attendees=1)
    start_without_provisioning(workshop)
    settings.CPP_CREDENTIALS_KEYS = []

    with pytest.raises(ImproperlyConfigured, match="CPP_CREDENTIALS_KEYS is empty"):
        provisioning.workshop_provision(workshop_id=workshop.pk)

    assert org.users(accounts[0].aws_account_id) == {}
    assert statuses(workshop) == {"pending": 1}


def test_console_passwords_are_long_and_mix_every_character_class():
    passwords = {new_console_password() for _ in range(500)}
    assert len(passwords) == 500
    assert all(meets_strict_policy(p) and len(p) == 24 for p in passwords)


def start_without_provisioning(workshop) -> None:
    """Running, with accounts in use and credentials assigned, but no IAM user made yet."""
    from workshops.models import Workshop

    Workshop.objects.filter(pk=workshop.pk).update(stage=Stage.RUNNING)
    workshop.refresh_from_db()
    provisioning.workshop_accounts_assign(workshop_id=workshop.pk)


@pytest.mark.slow
def test_starting_provisions_through_a_real_worker(transactional_db, org, tmp_path, monkeypatch):
    # Eager mode would hide a task queued before the commit or arguments that do not survive JSON:
    # here the start's side effects and the provisioning task they queue go through a broker.
    from cpp_portal.celery import DEFAULT_QUEUE
    from tests.workshops.test_real_worker import real_delivery, running_worker, wait_until
    from workshops import services

    monkeypatch.setenv("CELERY_LOG_LEVEL", "")
    monkeypatch.setenv("CELERY_LOG_FILE", "")
    folders = {name: tmp_path / name for name in ("queue", "processed", "control")}
    for folder in folders.values():
        folder.mkdir()
    options = {
        "data_folder_in": str(folders["queue"]),
        "data_folder_out": str(folders["queue"]),
        "processed_folder": str(folders["processed"]),
        "control_folder": str(folders["control"]),
        "store_processed": False,
        "polling_interval": 0.1,
    }
    accounts = org.add_accounts(2)
    workshop = workshop_with_attendees(accounts, attendees=4, team=2)

    with real_delivery("filesystem://", options), running_worker([DEFAULT_QUEUE]):
        services.workshop_close_registration(workshop_id=workshop.pk, actor=None)
        services.workshop_start(workshop_id=workshop.pk, actor=None)

        def all_ready() -> bool:
            return statuses(workshop) == {"ready": 4}

        wait_until(all_ready, what="provision_workshop on a filesystem-broker worker")

    for account in accounts:
        assert len(org.users(account.aws_account_id)) == 2
    assert OutboundEmail.objects.filter(kind=EmailKind.ACCOUNT_READY).count() == 4


def test_the_command_provisions_retries_and_says_what_failed(org):
    import io

    from django.core.management import CommandError, call_command

    accounts = org.add_accounts(1)
    workshop = workshop_with_attendees(accounts, attendees=2, team=2)
    start_without_provisioning(workshop)
    victim = credentials_of(workshop)[1]
    out = io.StringIO()
    with BotocoreHooks() as hooks:
        hooks.refuse("CreateUser", "AccessDenied", "Denied", when=lambda p: p["UserName"] == victim.iam_user_name)
        call_command("provision_workshop", str(workshop.pk), stdout=out)
    assert "1 provisioned, 1 failed" in out.getvalue()
    assert f"credential {victim.pk}: CreateUser: AccessDenied: Denied" in out.getvalue()
    assert "1 ready, 1 failed." in out.getvalue()

    out = io.StringIO()
    call_command("provision_workshop", "--credential", str(victim.pk), stdout=out)
    assert f"Credential {victim.pk} ({victim.iam_user_name}): ready" in out.getvalue()

    with pytest.raises(CommandError, match="There is no workshop 999"):
        call_command("provision_workshop", "999")
