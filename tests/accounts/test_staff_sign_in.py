"""Staff sign in with a password through allauth (and its rate limits), the admin's own sign-in
form sends them there, and a customer, who has no password, never gets in that way."""

import pytest
import sesame.utils
from django.conf import settings
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse

from accounts.models import User
from accounts.services import MAGIC_LINK_SCOPE
from notifications.models import OutboundEmail
from tests.factories import totp_code

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"  # StaffFactory's
STAFF_LOGIN = reverse("account_login")
SECOND_FACTOR = reverse("mfa_authenticate")


@pytest.fixture(autouse=True)
def clean_rate_limits(db):
    cache.clear()


def sign_in(client, email, password, next_path=None):
    """The password, then (where allauth asks for it) the code of the staff member's authenticator app."""
    data = {"login": email, "password": password}
    if next_path:
        data["next"] = next_path
    response = client.post(STAFF_LOGIN, data)
    if response.status_code == 302 and response["Location"] == SECOND_FACTOR:
        response = client.post(SECOND_FACTOR, {"code": totp_code()})
    return response


def signed_in_as(client):
    return client.session.get("_auth_user_id")


def test_staff_sign_in_with_a_password_and_land_on_next(client, sa):
    page = client.get(STAFF_LOGIN, {"next": "/admin/"})
    assert page.status_code == 200
    body = page.content.decode()
    assert 'name="password"' in body
    assert reverse("accounts:login") + "?next=/admin/" in body  # the email link alternative

    response = sign_in(client, sa.email.upper(), PASSWORD, next_path="/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert signed_in_as(client) == str(sa.pk)
    assert client.get("/admin/").status_code == 200


def test_admin_sign_in_redirects_to_allauth_keeping_next(client):
    response = client.get("/admin/login/", {"next": "/admin/workshops/"})
    assert response.status_code == 302
    assert response["Location"] == f"{STAFF_LOGIN}?next=%2Fadmin%2Fworkshops%2F"

    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0] == f"{STAFF_LOGIN}?next=%2Fadmin%2F"
    assert response.status_code == 200


def test_the_admin_sign_in_form_cannot_be_posted_to(client, sa):
    response = client.post("/admin/login/", {"username": sa.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == STAFF_LOGIN
    assert signed_in_as(client) is None


def test_a_wrong_password_fails_and_allauth_stops_guessing(client, sa):
    limits = {**settings.ACCOUNT_RATE_LIMITS, "login_failed": "100/m/ip,2/5m/key"}
    with override_settings(ACCOUNT_RATE_LIMITS=limits):
        for _ in range(2):
            response = sign_in(client, sa.email, "wrong password")
            assert response.status_code == 200
            assert signed_in_as(client) is None
        # After two failures for this address even the right password is refused for a while.
        response = sign_in(client, sa.email, PASSWORD)
        assert response.status_code == 200
        assert "Too many failed login attempts" in response.content.decode()
        assert signed_in_as(client) is None


@pytest.fixture
def signed_up_customer(db):
    """A customer as the magic link creates them: no password at all."""
    return User.objects.create_user("customer@example.com")


@pytest.mark.parametrize("password", ["", "correct horse battery staple", "!", "password123456"])
def test_a_customer_cannot_sign_in_with_any_password(client, signed_up_customer, password):
    assert not signed_up_customer.has_usable_password()
    response = sign_in(client, signed_up_customer.email, password)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'role="alert"' in body or 'aria-invalid="true"' in body
    assert signed_in_as(client) is None


def test_a_customer_cannot_sign_in_with_their_stored_password_value(client, signed_up_customer, customer):
    # The unusable marker Django stores is not a password either (nor is a factory's empty one).
    for person in (signed_up_customer, customer):
        assert sign_in(client, person.email, person.password or "x").status_code == 200
        assert signed_in_as(client) is None


def test_a_signed_in_customer_at_the_admin_is_told_it_is_for_staff(client, customer):
    client.force_login(customer)
    response = client.get("/admin/", follow=True)
    # No loop between the admin and allauth's "already signed in" redirect.
    assert len(response.redirect_chain) == 1
    assert response.status_code == 403
    assert "for CPP staff" in response.content.decode()


@pytest.mark.parametrize("role", ["am", "sa"])
def test_staff_asking_for_a_sign_in_link_get_the_usual_answer_and_no_email(client, role, request):
    person = request.getfixturevalue(role)
    response = client.post(reverse("accounts:login"), {"email": person.email})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login_sent")
    assert not OutboundEmail.objects.filter(to=person.email).exists()


@pytest.mark.parametrize("role", ["am", "sa"])
def test_a_staff_members_sign_in_link_from_before_does_not_sign_in(client, role, request):
    person = request.getfixturevalue(role)
    token = sesame.utils.get_token(person, scope=MAGIC_LINK_SCOPE)  # as links were made before
    assert client.get(reverse("accounts:magic_link"), {"token": token}).status_code == 410
    assert client.post(reverse("accounts:magic_link"), {"token": token}).status_code == 410
    assert signed_in_as(client) is None


def test_an_authenticator_secret_is_stored_encrypted_and_still_checks_codes(sa):
    from allauth.mfa.models import Authenticator

    from accounts.second_factor import totp_authenticator_set

    secret = "JBSWY3DPEHPK3PXP"
    authenticator = totp_authenticator_set(user=sa, secret=secret)
    stored = Authenticator.objects.get(pk=authenticator.pk).data["secret"]
    assert secret not in stored  # whoever reads the database does not hold the second factor
    from allauth.mfa.totp.internal.auth import TOTP

    assert TOTP(authenticator).validate_code(totp_code(secret))
