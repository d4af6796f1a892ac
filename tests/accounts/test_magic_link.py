"""Signing up and in by magic link: ask for a link, open it (nothing happens), press the button
(signed in), and every way a link or a request is refused without telling who has an account."""

import re
import time
from types import SimpleNamespace
from unittest import mock
from urllib.parse import parse_qs, urlsplit

import pytest
import sesame.tokens_v2
import sesame.utils
from django.conf import settings
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse

from accounts import services
from accounts.models import User
from notifications import sealing
from notifications.models import EmailKind, EmailStatus, OutboundEmail
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")
SENT = reverse("accounts:login_sent")
LINK = reverse("accounts:magic_link")
LINK_IN_TEXT = re.compile(r"https?://\S+" + re.escape(LINK) + r"\?\S+")
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


@pytest.fixture(autouse=True)
def clean_rate_limits(db):
    # Rate-limit counters live in the cache (the database cache in tests): start from zero.
    cache.clear()


def rate(magic_link: str):
    return override_settings(ACCOUNT_RATE_LIMITS={**settings.ACCOUNT_RATE_LIMITS, "magic_link": magic_link})


def ask_for_link(client, email, *, next_path=None, **extra):
    data = {"email": email}
    if next_path is not None:
        data["next"] = next_path
    return client.post(LOGIN, data, **extra)


def emails_to(address):
    return list(OutboundEmail.objects.filter(to=address.lower(), kind=EmailKind.MAGIC_LINK).order_by("pk"))


def link_in(email: OutboundEmail) -> str:
    """The sign-in link in a queued email's plain text, as a path the test client can open."""
    body_text, _body_html = sealing.bodies(email)  # a sign-in email is stored sealed
    match = LINK_IN_TEXT.search(body_text)
    assert match, body_text
    url = match.group(0)
    assert url.startswith(settings.SITE_URL)
    return url[len(settings.SITE_URL) :]


def query(path: str) -> dict:
    return {key: values[0] for key, values in parse_qs(urlsplit(path).query).items()}


def latest_link(address) -> str:
    return link_in(emails_to(address)[-1])


def press_button(client, path: str, **overrides):
    """POST the form the link's page shows: the token and next it carries."""
    return client.post(LINK, {**query(path), **overrides})


def signed_in_as(client):
    return client.session.get("_auth_user_id")


def without_csrf(response) -> str:
    return CSRF.sub("", response.content.decode())


# --- The whole story -------------------------------------------------------------------------


def test_new_customer_signs_up_by_link_completes_profile_and_lands_on_the_invitation(client):
    invitation = "/i/abc123/"
    page = client.get(LOGIN, {"next": invitation})
    assert page.status_code == 200
    assert f'name="next" value="{invitation}"' in page.content.decode()

    response = ask_for_link(client, "Ana.Garcia@Example.com", next_path=invitation)
    assert response.status_code == 302
    assert response["Location"] == f"{SENT}?next=%2Fi%2Fabc123%2F"

    # Asking makes no account: only the link, once used, does.
    assert not User.objects.filter(email__iexact="ana.garcia@example.com").exists()
    [email] = emails_to("ana.garcia@example.com")
    assert email.status == EmailStatus.QUEUED
    assert email.priority == 0  # sign-in links jump the queue: they expire
    assert email.recipient is None
    path = link_in(email)
    assert query(path)["next"] == invitation
    assert path in sealing.bodies(email)[1].replace("&amp;", "&")

    # Opening the link (as a mail scanner would) shows one button and changes nothing.
    page = client.get(path)
    assert page.status_code == 200
    assert page.content.decode().count('type="submit"') == 1
    assert "ana.garcia@example.com" in page.content.decode()
    assert signed_in_as(client) is None
    assert not User.objects.filter(email__iexact="ana.garcia@example.com").exists()

    response = press_button(client, path)
    assert response.status_code == 302
    ana = User.objects.get(email="ana.garcia@example.com")
    assert not ana.has_usable_password()
    assert signed_in_as(client) == str(ana.pk)
    profile = reverse("accounts:profile")
    assert response["Location"] == f"{profile}?next=%2Fi%2Fabc123%2F"

    assert client.get(response["Location"]).status_code == 200
    response = client.post(
        profile,
        {
            "first_name": "Ana",
            "last_name": "García",
            "company": "Acme Iberia",
            "job_title": "Cloud engineer",
            "country": "ES",
            "preferred_language": "es",
            "consent": "on",
            "next": invitation,
        },
    )
    assert response.status_code == 302
    assert response["Location"] == invitation
    ana.refresh_from_db()
    assert ana.profile_is_complete


def test_customer_with_a_complete_profile_goes_straight_to_next(client, customer):
    customer.privacy_consent_version = settings.CPP_PRIVACY_NOTICE_VERSION
    customer.save()
    ask_for_link(client, customer.email, next_path="/i/xyz/")
    response = press_button(client, latest_link(customer.email))
    assert response["Location"] == "/i/xyz/"


def test_customer_with_a_complete_profile_and_no_next_goes_home(client, customer):
    customer.privacy_consent_version = settings.CPP_PRIVACY_NOTICE_VERSION
    customer.save()
    ask_for_link(client, customer.email)
    response = press_button(client, latest_link(customer.email))
    assert response["Location"] == services.home_url(customer)
    # The chosen language follows the customer to whatever browser the link was opened in.
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == customer.preferred_language


def test_each_request_queues_a_new_link_in_the_users_language(client, customer):
    customer.preferred_language = "it"
    customer.save()
    ask_for_link(client, customer.email)
    ask_for_link(client, customer.email.upper())
    first, second = emails_to(customer.email)
    assert first.key != second.key
    assert {first.language, second.language} == {"it"}


def test_new_address_gets_the_language_the_page_was_shown_in(client):
    ask_for_link(client, "luca@example.it", HTTP_ACCEPT_LANGUAGE="it-IT,it;q=0.9")
    [email] = emails_to("luca@example.it")
    assert email.language == "it"
    press_button(client, link_in(email))
    assert User.objects.get(email="luca@example.it").preferred_language == "it"


# --- A new address: the link makes the account ------------------------------------------------


def test_a_sign_up_link_makes_one_account_and_then_no_longer_works(client):
    ask_for_link(client, "nuno@example.pt")
    path = latest_link("nuno@example.pt")
    assert press_button(client, path).status_code == 302
    nuno = User.objects.get(email="nuno@example.pt")
    client.post(reverse("accounts:logout"))

    # Pressed again (a replay, or a copy of the email) after the account is made: refused.
    assert_invalid_link_page(press_button(client, path))
    assert_invalid_link_page(client.get(path))
    assert signed_in_as(client) is None
    assert list(User.objects.filter(email__iexact="nuno@example.pt")) == [nuno]


def test_two_sign_up_links_for_one_address_make_one_account(client):
    ask_for_link(client, "rita@example.pt")
    ask_for_link(client, "rita@example.pt")
    first, second = (link_in(email) for email in emails_to("rita@example.pt"))
    assert press_button(client, second).status_code == 302
    client.post(reverse("accounts:logout"))
    assert_invalid_link_page(press_button(client, first))
    assert User.objects.filter(email__iexact="rita@example.pt").count() == 1


def test_a_sign_up_link_expires_with_the_sign_in_links(client):
    ask_for_link(client, "late@example.com")
    path = latest_link("late@example.com")
    later = time.time() + settings.CPP_MAGIC_LINK_MINUTES * 60 + 5
    with mock.patch("django.core.signing.time.time", return_value=later):
        assert_invalid_link_page(press_button(client, path))
    assert not User.objects.filter(email__iexact="late@example.com").exists()


def test_a_sign_up_link_for_an_address_an_sa_has_since_made_staff_does_not_sign_in(client, sa):
    ask_for_link(client, "new.colleague@cpp.example.com")
    path = latest_link("new.colleague@cpp.example.com")
    User.objects.create_user("new.colleague@cpp.example.com", "a long Passw0rd here", is_staff=True)
    assert_invalid_link_page(press_button(client, path))
    assert signed_in_as(client) is None


def test_a_tampered_sign_up_link_makes_nothing(client):
    ask_for_link(client, "eve@example.com")
    token = query(latest_link("eve@example.com"))["token"]
    other = services.sign_up_token(email="mallory@example.com", language="en")
    middle = len(token) // 2
    flipped = token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]
    # Another token's ciphertext under this one's stamp and MAC, a flipped character, a cut token.
    for bad in (token[:40] + other[40:], other[:40] + token[40:], flipped, token[:-2], token[:-6]):
        assert_invalid_link_page(client.post(LINK, {"token": bad}))
    assert not User.objects.filter(email__in=["eve@example.com", "mallory@example.com"]).exists()


# --- Refused links -------------------------------------------------------------------------


def assert_invalid_link_page(response, status=410):
    assert response.status_code == status
    body = response.content.decode()
    assert "no longer valid" in body
    # It offers a new link: a form that posts an email address to the sign-in page.
    assert f'action="{LOGIN}"' in body
    assert 'name="email"' in body


def test_a_used_link_cannot_sign_in_again(client, customer):
    ask_for_link(client, customer.email)
    path = latest_link(customer.email)
    assert press_button(client, path).status_code == 302
    client.post(reverse("accounts:logout"))

    assert_invalid_link_page(press_button(client, path))
    assert signed_in_as(client) is None
    assert_invalid_link_page(client.get(path))


def test_signing_in_spends_every_older_link_too(client, customer):
    ask_for_link(client, customer.email)
    ask_for_link(client, customer.email)
    older, newer = (link_in(email) for email in emails_to(customer.email))
    assert press_button(client, newer).status_code == 302
    client.post(reverse("accounts:logout"))
    assert_invalid_link_page(press_button(client, older))


def later(seconds: float):
    """Sesame's clock, `seconds` from now (only its token module sees it)."""
    moment = time.time() + seconds
    return mock.patch.object(sesame.tokens_v2, "time", SimpleNamespace(time=lambda: moment))


def test_a_link_works_for_fifteen_minutes_and_not_after(client, customer):
    ask_for_link(client, customer.email)
    path = latest_link(customer.email)
    with later(14 * 60):
        assert client.get(path).status_code == 200
    with later(15 * 60 + 1):
        assert_invalid_link_page(client.get(path))
        assert_invalid_link_page(press_button(client, path))
    assert signed_in_as(client) is None


def test_a_tampered_token_is_refused(client, customer):
    ask_for_link(client, customer.email)
    path = latest_link(customer.email)
    token = query(path)["token"]
    flipped = token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:]
    assert_invalid_link_page(client.get(LINK, {"token": flipped}))
    assert_invalid_link_page(press_button(client, path, token=flipped))
    assert_invalid_link_page(client.get(LINK, {"token": "not-a-token"}))
    assert signed_in_as(client) is None


@pytest.mark.parametrize("scope", ["", "credentials"])
def test_a_token_made_for_another_purpose_is_refused(client, customer, scope):
    token = sesame.utils.get_token(customer, scope=scope)
    assert_invalid_link_page(client.get(LINK, {"token": token}))
    assert_invalid_link_page(client.post(LINK, {"token": token}))
    assert signed_in_as(client) is None


def test_a_link_without_token_is_a_bad_request(client):
    assert_invalid_link_page(client.get(LINK), status=400)
    assert_invalid_link_page(client.post(LINK), status=400)


def test_a_deactivated_users_link_is_refused(client, customer):
    ask_for_link(client, customer.email)
    path = latest_link(customer.email)
    customer.is_active = False
    customer.save()
    assert_invalid_link_page(client.get(path))
    assert_invalid_link_page(press_button(client, path))


# --- Requests that send nothing, and answers that give nothing away ---------------------


def test_an_invalid_address_is_a_form_error_and_sends_nothing(client):
    response = ask_for_link(client, "not an email")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'aria-invalid="true"' in body
    assert 'id="id_email_error"' in body
    assert 'aria-describedby="id_email_error"' in body
    assert not OutboundEmail.objects.exists()
    assert not User.objects.exists()


def test_known_unknown_and_deactivated_addresses_get_the_same_answer(client, customer):
    inactive = CustomerFactory(is_active=False)
    answers = [ask_for_link(client, email) for email in (customer.email, "nobody@example.com", inactive.email)]
    assert {(a.status_code, a["Location"]) for a in answers} == {(302, SENT)}
    pages = [client.get(a["Location"]) for a in answers]
    assert len({(page.status_code, without_csrf(page)) for page in pages}) == 1

    assert len(emails_to(customer.email)) == 1
    assert len(emails_to("nobody@example.com")) == 1  # a new address is signed up
    assert emails_to(inactive.email) == []  # a deactivated person gets nothing


def test_an_unsafe_next_is_dropped_everywhere(client, customer):
    customer.privacy_consent_version = settings.CPP_PRIVACY_NOTICE_VERSION
    customer.save()
    for unsafe in ("https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"):
        page = client.get(LOGIN, {"next": unsafe})
        assert "evil" not in page.content.decode() and "javascript" not in page.content.decode()
        response = ask_for_link(client, customer.email, next_path=unsafe)
        assert response["Location"] == SENT
        path = latest_link(customer.email)
        assert "next" not in query(path)
        assert "evil" not in client.get(path, {"next": unsafe}).content.decode()
        response = press_button(client, path, next=unsafe)
        assert response["Location"] == services.home_url(customer)
        client.post(reverse("accounts:logout"))


def test_rate_limit_per_address_counts_known_and_unknown_addresses_alike(client, customer):
    with rate("100/h/ip,2/h/key"):
        answers = {}
        for address in (customer.email, "nobody@example.com"):
            assert [ask_for_link(client, address).status_code for _ in range(2)] == [302, 302]
            # Case does not make it a different address.
            answers[address] = ask_for_link(client, address.upper())
        known, unknown = answers.values()
        assert known.status_code == unknown.status_code == 429
        assert without_csrf(known) == without_csrf(unknown)
        assert "Too many" in known.content.decode()
        assert len(emails_to(customer.email)) == len(emails_to("nobody@example.com")) == 2
        # Another address from the same browser is unaffected.
        assert ask_for_link(client, "someone.else@example.com").status_code == 302


def test_a_rate_limited_new_address_is_not_signed_up(client):
    with rate("100/h/ip,1/h/key"):
        ask_for_link(client, "first@example.com")
        User.objects.filter(email="first@example.com").delete()
        assert ask_for_link(client, "first@example.com").status_code == 429
    assert not User.objects.filter(email="first@example.com").exists()


def test_rate_limit_per_ip(client):
    with rate("3/h/ip,100/h/key"):
        for n in range(3):
            assert ask_for_link(client, f"p{n}@example.com", REMOTE_ADDR="203.0.113.7").status_code == 302
        assert ask_for_link(client, "p3@example.com", REMOTE_ADDR="203.0.113.7").status_code == 429
        assert not User.objects.filter(email="p3@example.com").exists()
        assert ask_for_link(client, "p3@example.com", REMOTE_ADDR="198.51.100.2").status_code == 302
    assert OutboundEmail.objects.count() == 4


def test_looking_at_pages_is_not_rate_limited(client):
    with rate("1/h/ip,1/h/key"):
        assert [client.get(LOGIN).status_code for _ in range(3)] == [200, 200, 200]


# --- Pages --------------------------------------------------------------------------------


def test_sign_in_page_offers_the_language_switcher_and_staff_password_sign_in(client):
    body = client.get(LOGIN).content.decode()
    assert f'action="{reverse("set_language")}"' in body
    assert '<label for="id_email">' in body
    assert reverse("account_login") in body


def test_switching_language_keeps_the_page(client):
    response = client.post(reverse("set_language"), {"language": "pt", "next": f"{LOGIN}?next=/i/a/"})
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next=/i/a/"
    assert client.get(LOGIN).headers["Content-Language"] == "pt"


def test_sign_out_is_post_only(client, customer):
    client.force_login(customer)
    logout = reverse("accounts:logout")
    assert client.get(logout).status_code == 405
    assert signed_in_as(client) == str(customer.pk)
    response = client.post(logout)
    assert response["Location"] == LOGIN
    assert signed_in_as(client) is None


def test_privacy_notice_shows_its_version(client):
    response = client.get(reverse("accounts:privacy"))
    assert response.status_code == 200
    assert settings.CPP_PRIVACY_NOTICE_VERSION in response.content.decode()


def test_a_sign_up_link_does_not_show_the_address_to_whoever_reads_it_on_the_way(client):
    # Mail servers and web-server logs see the link: a signed token would carry the address readably.
    import base64

    ask_for_link(client, "eve.private@example.com")
    token = query(latest_link("eve.private@example.com"))["token"]
    decoded = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    assert b"eve.private" not in decoded and "eve.private" not in token
