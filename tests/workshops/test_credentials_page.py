"""The attendee's credentials page: reached by a magic link that only signs in on its button, shown
to its attendee alone, secrets only while the workshop runs, the password only after Reveal, never
cached or framed, and every look audited."""

import re
import time
from types import SimpleNamespace
from unittest import mock
from urllib.parse import parse_qs, urlsplit

import pytest
import sesame.tokens_v2
import sesame.utils
from cryptography.fernet import Fernet
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from tests.factories import (
    AccountManagerFactory,
    SandboxAccountFactory,
    SignedUpCustomerFactory,
    SolutionsArchitectFactory,
    registration_in,
    workshop_in,
)
from workshops.models import (
    Credential,
    CredentialStatus,
    CredentialView,
    Registration,
    RegistrationStatus,
    SandboxAccountState,
    Stage,
)
from workshops.sandbox import key_ring
from workshops.sandbox.credentials import credentials_scope
from workshops.sandbox.provisioning import credentials_link

pytestmark = pytest.mark.django_db

PASSWORD = "Tq8.Vw3-Lx5_Rb2Zm9"
IAM_USER = "cpp-u-7f3a9c21"
ACCOUNT_ID = "210987654321"
ENDED = "access to its sandbox account has ended"
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


def register(attendee, workshop, *, status=RegistrationStatus.CONFIRMED) -> Registration:
    return registration_in(workshop, attendee=attendee, status=status)


def give_credential(registration, *, status=CredentialStatus.READY, password=PASSWORD, **extra) -> Credential:
    account = SandboxAccountFactory(
        aws_account_id=extra.pop("account_id", ACCOUNT_ID),
        workshop=registration.workshop,
        state=SandboxAccountState.IN_USE,
    )
    return Credential.objects.create(
        registration=registration,
        sandbox_account=account,
        iam_user_name=extra.pop("iam_user_name", IAM_USER),
        password_encrypted=key_ring.encrypt(password) if password else "",
        status=status,
        provisioned_at=timezone.now() if status == CredentialStatus.READY else None,
    )


@pytest.fixture
def attendee():
    return SignedUpCustomerFactory(first_name="Lucía")


@pytest.fixture
def running():
    return workshop_in(Stage.RUNNING, aws_regions=["eu-west-1", "eu-central-1"])


@pytest.fixture
def registration(attendee, running):
    registration = register(attendee, running)
    give_credential(registration)
    return registration


def page_url(registration) -> str:
    return reverse("workshops:credentials", args=[registration.pk])


def reveal_url(registration) -> str:
    return reverse("workshops:credentials_reveal", args=[registration.pk])


def link_path(registration) -> str:
    """The link the "account ready" email carries, as a path the test client can open."""
    url = credentials_link(registration)
    assert url.startswith(settings.SITE_URL)
    return url[len(settings.SITE_URL) :]


def token_of(path: str) -> str:
    return parse_qs(urlsplit(path).query)["token"][0]


def press_button(client, registration, token):
    return client.post(page_url(registration), {"token": token})


def signed_in_as(client):
    return client.session.get("_auth_user_id")


def text(response) -> str:
    return response.content.decode()


def shows_no_secret(response, credential=None) -> bool:
    body = text(response)
    leaked = [PASSWORD, IAM_USER, ACCOUNT_ID]
    if credential is not None:
        leaked.append(credential.password_encrypted)
    return not any(secret in body for secret in leaked)


def audit(registration) -> list[tuple[str, int]]:
    return list(
        CredentialView.objects.filter(credential__registration=registration)
        .order_by("at", "pk")
        .values_list("action", "viewer_id")
    )


def later(seconds: float):
    """Sesame's clock, `seconds` from now (only its token module sees it)."""
    moment = time.time() + seconds
    return mock.patch.object(sesame.tokens_v2, "time", SimpleNamespace(time=lambda: moment))


# --- The magic link --------------------------------------------------------------------------------


def test_the_link_shows_one_button_and_signs_no_one_in(client, registration, attendee):
    path = link_path(registration)
    response = client.get(path)
    assert response.status_code == 200
    body = text(response)
    assert body.count("<form") == 1 + body.count('action="/logout/"')
    assert f'value="{token_of(path)}"' in body
    assert signed_in_as(client) is None
    assert shows_no_secret(response)
    attendee.refresh_from_db()
    assert attendee.last_login is None  # opening the link spent nothing
    assert audit(registration) == []


def test_pressing_the_button_signs_in_and_opens_the_page_without_the_token(client, registration, attendee):
    response = press_button(client, registration, token_of(link_path(registration)))
    assert response.status_code == 302
    assert response.url == page_url(registration)
    assert signed_in_as(client) == str(attendee.pk)

    page = client.get(response.url)
    assert page.status_code == 200
    body = text(page)
    assert f"https://{ACCOUNT_ID}.signin.aws.amazon.com/console" in body
    assert ACCOUNT_ID in body and IAM_USER in body
    assert "eu-west-1, eu-central-1" in body
    assert "If it does not work" in body
    assert PASSWORD not in body


def test_a_used_link_cannot_sign_in_again(client, registration):
    token = token_of(link_path(registration))
    assert press_button(client, registration, token).status_code == 302
    client.post(reverse("accounts:logout"))
    assert press_button(client, registration, token).status_code == 410
    assert client.get(page_url(registration), {"token": token}).status_code == 410
    assert signed_in_as(client) is None


def test_the_account_ready_link_lives_through_the_workshop_day_then_expires(client, registration):
    path = link_path(registration)
    # Longer than a sign-in link: it is emailed before the start and opened during the day.
    assert settings.CPP_CREDENTIALS_LINK_MAX_AGE > settings.SESAME_MAX_AGE
    with later(settings.CPP_CREDENTIALS_LINK_MAX_AGE - 60):
        assert client.get(path).status_code == 200
    with later(settings.CPP_CREDENTIALS_LINK_MAX_AGE + 1):
        assert client.get(path).status_code == 410
        assert press_button(client, registration, token_of(path)).status_code == 410
    assert signed_in_as(client) is None


def test_a_tampered_token_is_refused(client, registration):
    token = token_of(link_path(registration))
    flipped = token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:]
    for bad in (flipped, "not-a-token", ""):
        assert client.get(page_url(registration), {"token": bad}).status_code == 410
        assert press_button(client, registration, bad).status_code == 410
    assert signed_in_as(client) is None


def test_tokens_made_for_anything_else_are_refused(client, registration, attendee, running):
    other_registration = register(attendee, workshop_in(Stage.RUNNING))
    someone_else = SignedUpCustomerFactory()
    wrong = {
        "sign-in scope": sesame.utils.get_token(attendee, scope="login"),
        "no scope": sesame.utils.get_token(attendee),
        "another registration": sesame.utils.get_token(attendee, scope=credentials_scope(other_registration.pk)),
        "someone else with this scope": sesame.utils.get_token(someone_else, scope=credentials_scope(registration.pk)),
    }
    for purpose, token in wrong.items():
        assert client.get(page_url(registration), {"token": token}).status_code == 410, purpose
        assert press_button(client, registration, token).status_code == 410, purpose
    assert signed_in_as(client) is None
    # The invalid-link page sends a fresh sign-in link that comes back here.
    assert f'name="next" value="{page_url(registration)}"' in text(press_button(client, registration, "x"))


def test_a_signed_in_attendee_opening_the_link_goes_straight_to_the_page(client, registration, attendee):
    client.force_login(attendee)
    attendee.refresh_from_db()
    path = link_path(registration)
    response = client.get(path)
    assert response.status_code == 302
    assert response.url == page_url(registration)
    assert client.get(path).status_code == 302  # not spent: it still works on the phone


def test_an_incomplete_profile_is_completed_first_and_comes_back(client, registration, attendee):
    attendee.privacy_consent_version = "an-older-notice"
    attendee.save()
    client.force_login(attendee)
    response = client.get(page_url(registration))
    assert response.status_code == 302
    assert response.url == f"{reverse('accounts:profile')}?next={page_url(registration).replace('/', '%2F')}"
    assert audit(registration) == []


# --- The password ----------------------------------------------------------------------------------


def test_the_password_is_shown_only_in_the_answer_to_reveal(client, registration, attendee):
    client.force_login(attendee)
    page = client.get(page_url(registration))
    assert PASSWORD not in text(page)
    assert f'action="{reveal_url(registration)}"' in text(page)

    revealed = client.post(reveal_url(registration))
    assert revealed.status_code == 200
    assert PASSWORD in text(revealed)
    assert registration.credential.password_encrypted not in text(revealed)

    assert PASSWORD not in text(client.get(page_url(registration)))
    assert client.get(reveal_url(registration)).status_code == 405


def test_nothing_is_cached_or_framed(client, registration, attendee):
    responses = [client.get(link_path(registration))]
    client.force_login(attendee)
    responses += [client.get(page_url(registration)), client.post(reveal_url(registration))]
    client.logout()
    responses.append(client.get(page_url(registration)))  # the 404 too
    for response in responses:
        assert "no-store" in response["Cache-Control"]
        assert response["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
        assert response["Referrer-Policy"] == "same-origin"  # no Referer to the console; Origin kept for CSRF


def test_a_password_that_cannot_be_decrypted_sends_the_attendee_to_a_person(client, attendee, running):
    registration = register(attendee, running)
    credential = give_credential(registration)
    credential.password_encrypted = Fernet(Fernet.generate_key()).encrypt(PASSWORD.encode()).decode()
    credential.save()
    client.force_login(attendee)
    response = client.post(reveal_url(registration))
    assert response.status_code == 200
    assert "Solutions Architect" in text(response)
    assert PASSWORD not in text(response)
    assert ("reveal", attendee.pk) not in audit(registration)


# --- Only the attendee ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "visitor",
    [
        pytest.param(lambda: SignedUpCustomerFactory(), id="another attendee"),
        pytest.param(lambda: AccountManagerFactory(), id="an account manager"),
        pytest.param(lambda: SolutionsArchitectFactory(), id="a solutions architect"),
        pytest.param(lambda: SolutionsArchitectFactory(is_superuser=True), id="a superuser"),
        pytest.param(lambda: None, id="an anonymous visitor"),
    ],
)
def test_anyone_but_the_attendee_gets_the_same_404_as_for_nothing(client, registration, visitor):
    person = visitor()
    if person is not None:
        client.force_login(person)
    nothing = reverse("workshops:credentials", args=[registration.pk + 1000])
    for response in (
        client.get(page_url(registration)),
        client.post(reveal_url(registration)),
        client.post(page_url(registration)),
    ):
        assert response.status_code == 404
        assert shows_no_secret(response, registration.credential)
    assert client.get(nothing).status_code == 404
    # Word for word the same page (but for the way back after signing in, and the CSRF token).
    mine, missing = (CSRF.sub("", text(client.get(url))) for url in (page_url(registration), nothing))
    assert mine.replace(page_url(registration).replace("/", "%2F"), nothing.replace("/", "%2F")) == missing
    assert audit(registration) == []


def test_another_attendee_at_the_same_workshop_sees_only_their_own(client, registration, running):
    neighbour = SignedUpCustomerFactory()
    theirs = register(neighbour, running)
    give_credential(theirs, account_id="210987654322", iam_user_name="cpp-u-00aa11bb", password="Other.Pass-123")
    client.force_login(neighbour)
    assert client.get(page_url(registration)).status_code == 404
    own = client.post(reveal_url(theirs))
    assert "Other.Pass-123" in text(own)
    assert PASSWORD not in text(own) and IAM_USER not in text(own)


# --- Outside the running window ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stage", "credential_status", "registration_status", "explanation"),
    [
        (Stage.REGISTRATION_OPEN, None, RegistrationStatus.CONFIRMED, "not ready yet"),
        (Stage.REGISTRATION_CLOSED, None, RegistrationStatus.CONFIRMED, "not ready yet"),
        (Stage.RUNNING, None, RegistrationStatus.CONFIRMED, "being set up right now"),
        (Stage.RUNNING, CredentialStatus.PENDING, RegistrationStatus.CONFIRMED, "being set up right now"),
        (Stage.RUNNING, CredentialStatus.FAILED, RegistrationStatus.CONFIRMED, "Something went wrong"),
        (Stage.RUNNING, CredentialStatus.REVOKED, RegistrationStatus.CONFIRMED, ENDED),
        (Stage.CLOSED, CredentialStatus.READY, RegistrationStatus.CONFIRMED, ENDED),
        (Stage.CLOSED, CredentialStatus.REVOKED, RegistrationStatus.CONFIRMED, ENDED),
        (Stage.ANONYMISED, CredentialStatus.REVOKED, RegistrationStatus.CONFIRMED, "has ended"),
        (Stage.CANCELLED, None, RegistrationStatus.CONFIRMED, "was cancelled"),
        (Stage.RUNNING, None, RegistrationStatus.WAITLISTED, "do not have a seat"),
    ],
)
def test_outside_the_running_window_the_attendee_gets_an_explanation_and_no_secret(
    client, attendee, stage, credential_status, registration_status, explanation
):
    registration = register(attendee, workshop_in(stage), status=registration_status)
    credential = give_credential(registration, status=credential_status) if credential_status else None
    client.force_login(attendee)

    page = client.get(page_url(registration))
    assert page.status_code == 200
    assert explanation in text(page)
    assert shows_no_secret(page, credential)
    assert reveal_url(registration) not in text(page)

    reveal = client.post(reveal_url(registration))
    assert reveal.status_code == 302 and reveal.url == page_url(registration)
    assert not CredentialView.objects.filter(action=CredentialView.Action.REVEAL).exists()


# --- Audit ---------------------------------------------------------------------------------------


def test_every_page_view_and_every_reveal_is_audited_with_viewer_and_time(client, registration, attendee):
    before = timezone.now()
    client.post(page_url(registration), {"token": token_of(link_path(registration))})
    client.get(page_url(registration))
    client.post(reveal_url(registration))
    client.get(page_url(registration))
    client.post(reveal_url(registration))
    assert audit(registration) == [
        ("page", attendee.pk),
        ("reveal", attendee.pk),
        ("page", attendee.pk),
        ("reveal", attendee.pk),
    ]
    assert all(row.at >= before for row in CredentialView.objects.all())


def test_the_link_page_itself_is_not_audited_as_a_view(client, registration):
    client.get(link_path(registration))
    assert audit(registration) == []


# --- My workshops --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stage", "status", "shown"),
    [
        (Stage.RUNNING, CredentialStatus.READY, True),
        (Stage.RUNNING, CredentialStatus.PENDING, False),
        (Stage.RUNNING, CredentialStatus.FAILED, False),
        (Stage.REGISTRATION_CLOSED, CredentialStatus.READY, False),
        (Stage.CLOSED, CredentialStatus.REVOKED, False),
    ],
)
def test_my_workshops_links_to_the_account_only_while_it_can_be_used(client, attendee, stage, status, shown):
    registration = register(attendee, workshop_in(stage))
    give_credential(registration, status=status)
    client.force_login(attendee)
    page = text(client.get(reverse("workshops:my_workshops")))
    assert (page_url(registration) in page) is shown
    assert PASSWORD not in page and IAM_USER not in page


# --- The admin ------------------------------------------------------------------------------------


def test_an_sa_reads_a_credential_and_its_views_but_never_its_password(client, registration, attendee):
    client.force_login(attendee)
    client.get(page_url(registration))
    client.post(reveal_url(registration))
    client.logout()
    credential = registration.credential
    client.force_login(SolutionsArchitectFactory())

    listing = client.get(reverse("admin:workshops_credential_changelist"))
    assert listing.status_code == 200
    assert IAM_USER in text(listing)

    page = client.get(reverse("admin:workshops_credential_change", args=[credential.pk]))
    assert page.status_code == 200
    body = text(page)
    assert "Revealed the password" in body and "Opened the credentials page" in body
    assert credential.password_encrypted not in body and PASSWORD not in body
    assert page.context["has_change_permission"] is False
    assert 'name="_save"' not in body
    assert client.get(reverse("admin:workshops_credential_add")).status_code == 403
    assert client.get(reverse("admin:workshops_credential_delete", args=[credential.pk])).status_code == 403


def test_an_account_manager_cannot_see_credentials(client, registration):
    client.force_login(AccountManagerFactory())
    assert client.get(reverse("admin:workshops_credential_changelist")).status_code == 403
    change_page = reverse("admin:workshops_credential_change", args=[registration.credential.pk])
    assert client.get(change_page).status_code == 403
