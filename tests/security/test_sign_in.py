"""Signing in tells an attacker nothing and gives them nothing to guess.

Asking for a link answers the same whether an address is registered or not; a wrong staff password
fails the same way as an unknown address; both are rate limited with a clear message; invitation
and sign-in tokens are long, random or keyed, refused when tampered with, expired or someone
else's, and a sign-in link works once.
"""

import re
import time
from types import SimpleNamespace
from unittest import mock
from urllib.parse import urlencode, urlsplit

import pytest
import sesame.tokens_v2
import sesame.utils
from django.conf import settings
from django.core.cache import cache
from django.test import Client, override_settings
from django.urls import reverse

from accounts.models import User
from accounts.services import MAGIC_LINK_SCOPE
from notifications.models import EmailKind, OutboundEmail
from tests import factories
from workshops import models as workshop_models
from workshops.invitations import invitation_for
from workshops.models import Invitation, Registration
from workshops.registrations import registration_create
from workshops.sandbox.credentials import credentials_path, credentials_scope

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")
LINK = reverse("accounts:magic_link")
STAFF_LOGIN = reverse("account_login")
PASSWORD = "correct horse battery staple"  # StaffFactory's
CSRF_VALUE = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


@pytest.fixture(autouse=True)
def fresh_rate_limits(db):
    cache.clear()


def without_csrf(html: str) -> str:
    return CSRF_VALUE.sub("", html)


def links_to(address: str) -> int:
    return OutboundEmail.objects.filter(to=address, kind=EmailKind.MAGIC_LINK).count()


def signed_in(client) -> str | None:
    return client.session.get("_auth_user_id")


def sign_in_token(user) -> str:
    return sesame.utils.get_token(user, scope=MAGIC_LINK_SCOPE)


def at(seconds_from_now: float):
    moment = time.time() + seconds_from_now
    return mock.patch.object(sesame.tokens_v2, "time", SimpleNamespace(time=lambda: moment))


# --- No answer tells whether an address is registered -------------------------------------------


def ask(address: str):
    client = Client()
    response = client.post(LOGIN, {"email": address, "next": "/me/workshops/"})
    page = client.get(response["Location"]) if response.status_code == 302 else response
    return response, page


def test_asking_for_a_link_answers_the_same_for_known_unknown_and_deactivated_addresses():
    known = factories.SignedUpCustomerFactory(email="known@example.com")
    factories.SignedUpCustomerFactory(email="gone@example.com", is_active=False)
    answers = {address: ask(address) for address in (known.email, "nobody@example.com", "gone@example.com")}

    statuses = {(r.status_code, r["Location"]) for r, _page in answers.values()}
    assert statuses == {(302, f"{reverse('accounts:login_sent')}?next=%2Fme%2Fworkshops%2F")}
    bodies = {without_csrf(page.content.decode()) for _r, page in answers.values()}
    assert len(bodies) == 1, "the page after asking differs between addresses"
    cookies = {tuple(sorted(r.cookies)) for r, _page in answers.values()}
    assert len(cookies) == 1

    # What differs happens only in the mailbox of the address itself: a registered address gets
    # its link, a new one its sign-up link (the same email), a deactivated one nothing.
    assert links_to("known@example.com") == 1
    assert links_to("nobody@example.com") == 1
    assert links_to("gone@example.com") == 0


def test_asking_for_a_link_for_a_staff_address_answers_the_same_and_sends_nothing():
    customer = factories.SignedUpCustomerFactory(email="customer@example.com")
    sa = factories.SolutionsArchitectFactory(email="sa@cpp.example.com")
    am = factories.AccountManagerFactory(email="am@cpp.example.com")
    answers = {address: ask(address) for address in (customer.email, sa.email, am.email)}
    assert len({(r.status_code, r["Location"]) for r, _page in answers.values()}) == 1
    assert len({without_csrf(page.content.decode()) for _r, page in answers.values()}) == 1
    # Staff sign in with a password and a second factor: a link would skip both.
    assert links_to(customer.email) == 1
    assert links_to(sa.email) == links_to(am.email) == 0


def test_asking_for_a_link_makes_no_account():
    before = User.objects.count()
    for n in range(5):
        ask(f"stranger{n}@example.com")
    assert User.objects.count() == before
    assert links_to("stranger0@example.com") == 1


def test_a_bad_address_gets_the_form_again_with_a_message_and_no_email():
    before = OutboundEmail.objects.count()
    response = Client().post(LOGIN, {"email": "not an address"})
    assert response.status_code == 200
    assert "Enter a valid email address." in response.content.decode()
    assert OutboundEmail.objects.count() == before


def staff_sign_in(client, login: str, password: str):
    return client.post(STAFF_LOGIN, {"login": login, "password": password})


def normalised(response, *addresses: str) -> str:
    html = without_csrf(response.content.decode())
    for address in addresses:
        html = html.replace(address, "ADDRESS")
    return html


def test_staff_sign_in_fails_the_same_for_an_unknown_address_a_wrong_password_and_a_customer():
    sa = factories.SolutionsArchitectFactory()
    customer = factories.SignedUpCustomerFactory()
    wrong_password = staff_sign_in(Client(), sa.email, "not the password")
    unknown = staff_sign_in(Client(), "nobody@cpp.example.com", "not the password")
    no_password = staff_sign_in(Client(), customer.email, "not the password")
    assert wrong_password.status_code == unknown.status_code == no_password.status_code == 200
    body = normalised(wrong_password, sa.email)
    assert body == normalised(unknown, "nobody@cpp.example.com")
    assert body == normalised(no_password, customer.email)
    assert "The email address and/or password you specified are not correct." in body


# --- Rate limits ----------------------------------------------------------------------------------


def limits(**changes):
    return override_settings(ACCOUNT_RATE_LIMITS={**settings.ACCOUNT_RATE_LIMITS, **changes})


def test_the_link_after_the_allowed_number_for_one_address_is_refused_with_a_clear_message():
    client = Client()
    with limits(magic_link="100/h/ip,3/h/key"):
        for _ in range(3):
            assert client.post(LOGIN, {"email": "ana@example.com"}).status_code == 302
        refused = client.post(LOGIN, {"email": "Ana@Example.com"})  # the same address, spelt otherwise
    assert refused.status_code == 429
    assert "Too many sign-in links asked for" in refused.content.decode()
    assert links_to("ana@example.com") == 3


def test_the_link_after_the_allowed_number_from_one_network_is_refused_whatever_the_address():
    client = Client()
    with limits(magic_link="3/h/ip,100/h/key"):
        for n in range(3):
            assert client.post(LOGIN, {"email": f"person{n}@example.com"}).status_code == 302
        refused = client.post(LOGIN, {"email": "somebody-new@example.com"})
    assert refused.status_code == 429
    assert "please wait an hour" in refused.content.decode().lower()
    assert links_to("somebody-new@example.com") == 0
    assert not User.objects.filter(email="somebody-new@example.com").exists()  # nothing changed


def test_the_staff_sign_in_after_the_allowed_failures_is_refused_even_with_the_right_password():
    sa = factories.SolutionsArchitectFactory()
    client = Client()
    with limits(login_failed="100/m/ip,3/5m/key"):
        for _ in range(3):
            assert "not correct" in staff_sign_in(client, sa.email, "guess").content.decode()
        refused = staff_sign_in(client, sa.email, PASSWORD)
    assert refused.status_code == 200
    assert "Too many failed login attempts. Try again later." in refused.content.decode()
    assert signed_in(client) is None


def test_staff_sign_in_failures_are_limited_per_network_too():
    client = Client()
    with limits(login_failed="3/m/ip,100/5m/key"):
        for n in range(3):
            staff_sign_in(client, f"guess{n}@cpp.example.com", "guess")
        refused = staff_sign_in(client, "another@cpp.example.com", "guess")
    assert "Too many failed login attempts. Try again later." in refused.content.decode()


# --- Invitation tokens ----------------------------------------------------------------------------


def test_invitation_tokens_are_144_random_bits_from_the_secrets_module():
    real = workshop_models.secrets.token_urlsafe
    with mock.patch.object(workshop_models.secrets, "token_urlsafe", wraps=real) as made:
        token = workshop_models.new_invitation_token()
    made.assert_called_once()
    assert made.call_args.args[0] * 8 >= 128
    assert re.fullmatch(r"[A-Za-z0-9_-]{24}", token)
    assert len({workshop_models.new_invitation_token() for _ in range(1000)}) == 1000


@pytest.fixture
def invitation(db):
    am = factories.AccountManagerFactory()
    workshop = factories.open_workshop(account_managers=[am])
    return invitation_for(workshop=workshop, account_manager=am)


def flipped(token: str, at_index: int = 5) -> str:
    swap = "A" if token[at_index] != "A" else "B"
    return token[:at_index] + swap + token[at_index + 1 :]


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(flipped, id="one-character-changed"),
        pytest.param(lambda t: t[:-1], id="truncated"),
        pytest.param(lambda t: t + "x", id="lengthened"),
        pytest.param(lambda t: t.upper(), id="case-changed"),
        pytest.param(lambda t: t + "/../admin", id="path-appended"),
        pytest.param(lambda t: "%00" + t, id="nul-byte"),
    ],
)
def test_a_tampered_invitation_link_is_a_clear_404_and_registers_nobody(invitation, tamper):
    token = tamper(invitation.token)
    if token == invitation.token:
        pytest.skip("this tampering leaves the token unchanged")
    customer = factories.SignedUpCustomerFactory()
    client = Client()
    client.force_login(customer)
    url = f"/i/{token}/"
    page = client.get(url)
    assert page.status_code == 404
    assert client.post(url).status_code == 404
    assert not Registration.objects.exists()
    assert Invitation.objects.get(pk=invitation.pk).token == invitation.token


# --- Sign-in (magic link) tokens ------------------------------------------------------------------


def test_sign_in_links_carry_a_128_bit_keyed_signature():
    user = factories.SignedUpCustomerFactory()
    assert settings.SESAME_SIGNATURE_SIZE >= 16
    token = sign_in_token(user)
    # base64 of the packed user id, a 4-byte timestamp and the signature.
    assert len(token) >= (4 + settings.SESAME_SIGNATURE_SIZE) * 4 // 3
    assert settings.SESAME_MAX_AGE == 15 * 60
    assert settings.SESAME_ONE_TIME is True


def press(client: Client, token: str):
    return client.post(LINK, {"token": token})


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(flipped, id="one-character-changed"),
        pytest.param(lambda t: flipped(t, len(t) - 2), id="signature-changed"),
        pytest.param(lambda t: t[:-3], id="truncated"),
        pytest.param(lambda t: t + "AAAA", id="lengthened"),
        pytest.param(lambda t: "", id="empty"),
    ],
)
def test_a_tampered_sign_in_link_is_refused_on_opening_and_on_pressing(tamper):
    user = factories.SignedUpCustomerFactory()
    token = tamper(sign_in_token(user))
    client = Client()
    opened = client.get(f"{LINK}?{urlencode({'token': token})}")
    pressed = press(client, token)
    assert opened.status_code in (400, 410)
    assert pressed.status_code in (400, 410)
    assert "This sign-in link is no longer valid" in pressed.content.decode()
    assert signed_in(client) is None


def test_a_sign_in_link_works_once():
    user = factories.SignedUpCustomerFactory()
    token = sign_in_token(user)
    first = Client()
    assert press(first, token).status_code == 302
    assert signed_in(first) == str(user.pk)
    second = Client()
    assert press(second, token).status_code == 410
    assert signed_in(second) is None


def test_an_expired_sign_in_link_is_refused():
    user = factories.SignedUpCustomerFactory()
    token = sign_in_token(user)
    client = Client()
    with at(settings.SESAME_MAX_AGE + 5):
        assert press(client, token).status_code == 410
    assert signed_in(client) is None
    with at(settings.SESAME_MAX_AGE - 60):  # still within its 15 minutes
        assert press(client, token).status_code == 302


def test_a_token_for_another_purpose_does_not_sign_in():
    customer = factories.SignedUpCustomerFactory()
    workshop = factories.open_workshop()
    registration = registration_create(workshop_id=workshop.pk, attendee=customer)
    credentials_token = sesame.utils.get_token(customer, scope=credentials_scope(registration.pk))
    client = Client()
    assert press(client, credentials_token).status_code == 410
    assert signed_in(client) is None


def test_a_credentials_link_of_one_registration_does_not_open_another(db):
    workshop = factories.open_workshop()
    ana, ben = factories.SignedUpCustomerFactory(), factories.SignedUpCustomerFactory()
    ana_registration = registration_create(workshop_id=workshop.pk, attendee=ana)
    ben_registration = registration_create(workshop_id=workshop.pk, attendee=ben)
    ana_token = sesame.utils.get_token(ana, scope=credentials_scope(ana_registration.pk))
    client = Client()
    # Ana's link on Ben's page, and Ana's link for her own page on Ben's page's address.
    response = client.post(credentials_path(ben_registration.pk), {"token": ana_token})
    assert response.status_code == 410
    assert signed_in(client) is None
    response = client.post(credentials_path(ana_registration.pk), {"token": flipped(ana_token)})
    assert response.status_code == 410
    assert signed_in(client) is None
    assert client.post(credentials_path(ana_registration.pk), {"token": ana_token}).status_code == 302
    assert signed_in(client) == str(ana.pk)


# --- Where a sign-in sends people afterwards ------------------------------------------------------

ELSEWHERE = [
    "//evil.example/",
    "https://evil.example/",
    "http:evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "javascript:alert(1)",
    " //evil.example",
    "/%2F%2Fevil.example",
    "https:/evil.example",
    "///evil.example",
]


def stays_on_the_site(location: str) -> bool:
    # A path of this site: no scheme, no host, and nothing a browser reads as one ("//", "/\\").
    parts = urlsplit(location)
    return not parts.scheme and not parts.netloc and location.startswith("/") and not location.startswith(("//", "/\\"))


@pytest.mark.parametrize("target", ELSEWHERE)
def test_a_next_address_never_sends_anyone_off_the_site(target):
    user = factories.SignedUpCustomerFactory()
    asked = Client().post(LOGIN, {"email": user.email, "next": target})
    assert stays_on_the_site(asked["Location"])
    client = Client()
    signed = client.post(LINK, {"token": sign_in_token(user), "next": target})
    assert signed.status_code == 302 and stays_on_the_site(signed["Location"])
    language = client.post(reverse("set_language"), {"language": "es", "next": target})
    assert stays_on_the_site(language["Location"])
    profile = client.post(
        reverse("accounts:profile"),
        {
            "first_name": "Ana",
            "last_name": "García",
            "company": "Acme",
            "job_title": "Engineer",
            "country": "ES",
            "preferred_language": "es",
            "consent": "on",
            "next": target,
        },
    )
    assert profile.status_code == 302 and stays_on_the_site(profile["Location"])


# --- Nobody swaps their address or gives a customer a password ----------------------------------------


def test_a_customer_cannot_give_themselves_a_password():
    customer = factories.SignedUpCustomerFactory()
    client = Client()
    client.force_login(customer)
    response = client.post(
        reverse("account_set_password"),
        {"password1": "a-long-enough-passphrase-42", "password2": "a-long-enough-passphrase-42"},
    )
    assert response.status_code == 404
    customer.refresh_from_db()
    assert not customer.has_usable_password()


@pytest.mark.parametrize("role", ["customer", "am", "sa"])
def test_nobody_can_replace_their_address_with_an_unverified_one(role):
    person = {
        "customer": factories.SignedUpCustomerFactory,
        "am": factories.AccountManagerFactory,
        "sa": factories.SolutionsArchitectFactory,
    }[role]()
    address = person.email
    client = Client()
    client.force_login(person)
    for action in ("action_add", "action_primary"):
        response = client.post("/accounts/email/", {action: "", "email": "someone-else@corp.example"})
        assert response.status_code == 404
    person.refresh_from_db()
    assert person.email == address


def test_a_password_reset_sends_a_link_to_staff_and_nothing_to_a_customer():
    sa = factories.SolutionsArchitectFactory()
    customer = factories.SignedUpCustomerFactory()
    answers = []
    for person in (sa, customer):
        response = Client().post(reverse("account_reset_password"), {"email": person.email})
        answers.append((response.status_code, response.get("Location")))
    # The same answer for both, so the page tells nobody who is staff...
    assert answers[0] == answers[1]
    # ...but only the staff member gets a link that would set a password.
    assert OutboundEmail.objects.filter(to=sa.email).count() == 1
    assert not OutboundEmail.objects.filter(to=customer.email).exists()


def test_a_customer_holding_a_password_still_cannot_sign_in_with_it():
    customer = factories.SignedUpCustomerFactory()
    customer.set_password("a-long-enough-passphrase-42")
    customer.save(update_fields=["password"])
    client = Client()
    staff_sign_in(client, customer.email, "a-long-enough-passphrase-42")
    assert signed_in(client) is None
