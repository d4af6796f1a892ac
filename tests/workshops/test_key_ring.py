"""Stored passwords are Fernet tokens: unreadable without a key, and moved to a new key in place."""

import io

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command

from tests.factories import CustomerFactory, SandboxAccountFactory, workshop_in
from workshops.models import Credential, CredentialStatus, Registration, RegistrationStatus, Stage
from workshops.sandbox import key_ring

OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()


@pytest.fixture
def old_key(settings):
    settings.CPP_CREDENTIALS_KEYS = [OLD_KEY]
    return settings


def stored_credentials(count: int) -> list[Credential]:
    workshop = workshop_in(Stage.RUNNING)
    account = SandboxAccountFactory()
    credentials = []
    for n in range(count):
        registration = Registration.objects.create(
            workshop=workshop,
            attendee=CustomerFactory(),
            status=RegistrationStatus.CONFIRMED,
            queued_at=workshop.starts_at,
        )
        credentials.append(
            Credential.objects.create(
                registration=registration,
                sandbox_account=account,
                iam_user_name=f"cpp-{n:012x}",
                password_encrypted=key_ring.encrypt(f"Password-{n}-!Aa1xxxxxxxxxx"),
                status=CredentialStatus.READY,
            )
        )
    return credentials


def test_a_password_comes_back_only_through_the_key(old_key):
    token = key_ring.encrypt("Tr0ub4dor&3-correct-horse")
    assert "Tr0ub4dor" not in token
    assert key_ring.decrypt(token) == "Tr0ub4dor&3-correct-horse"
    assert key_ring.encrypt("same") != key_ring.encrypt("same")  # fresh IV every time

    old_key.CPP_CREDENTIALS_KEYS = [NEW_KEY]
    with pytest.raises(key_ring.SecretUnreadable, match="No key in CPP_CREDENTIALS_KEYS"):
        key_ring.decrypt(token)


def test_without_a_key_it_says_what_to_set(settings):
    settings.CPP_CREDENTIALS_KEYS = []
    with pytest.raises(ImproperlyConfigured, match="CPP_CREDENTIALS_KEYS is empty.*Fernet.generate_key"):
        key_ring.encrypt("anything")


def test_a_broken_key_is_named_by_position_and_never_printed(settings):
    settings.CPP_CREDENTIALS_KEYS = [NEW_KEY, "not-a-fernet-key"]
    with pytest.raises(ImproperlyConfigured, match="key number 2 is not a Fernet key") as refused:
        key_ring.decrypt("a token")
    assert "not-a-fernet-key" not in str(refused.value)


@pytest.mark.django_db
def test_rotating_moves_every_password_to_the_new_key_and_the_old_one_can_go(old_key):
    credentials = stored_credentials(3)
    wiped = Credential.objects.filter(pk=credentials[2].pk)
    wiped.update(password_encrypted="", status=CredentialStatus.REVOKED)

    old_key.CPP_CREDENTIALS_KEYS = [NEW_KEY, OLD_KEY]  # the new key first, the old one still readable
    out = io.StringIO()
    call_command("rotate_credential_keys", stdout=out)
    assert "Re-encrypted 2 stored passwords with the first key; 0 already were." in out.getvalue()

    old_key.CPP_CREDENTIALS_KEYS = [NEW_KEY]  # the old key is gone
    for n, credential in enumerate(credentials[:2]):
        credential.refresh_from_db()
        assert key_ring.decrypt(credential.password_encrypted) == f"Password-{n}-!Aa1xxxxxxxxxx"
    assert wiped.get().password_encrypted == ""

    out = io.StringIO()
    call_command("rotate_credential_keys", stdout=out)
    assert "Re-encrypted 0 stored passwords with the first key; 2 already were." in out.getvalue()


@pytest.mark.django_db
def test_a_password_no_key_opens_is_reported_and_left_alone(old_key):
    credential = stored_credentials(1)[0]
    old_key.CPP_CREDENTIALS_KEYS = [NEW_KEY]  # the old key dropped before rotating: a mistake
    before = Credential.objects.get(pk=credential.pk).password_encrypted

    with pytest.raises(CommandError, match="1 stored passwords could not be decrypted"):
        call_command("rotate_credential_keys", stdout=io.StringIO())

    assert Credential.objects.get(pk=credential.pk).password_encrypted == before
