"""Staff sign in with a password and a second factor (allauth.mfa).

Solutions Architects and superusers must have one: without it they are sent to set one up and
reach nothing else. Account Managers are offered one. Customers have no password, and allauth's
second-factor pages are not theirs.
"""

import re

import pytest
from allauth.mfa.models import Authenticator
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests import factories
from tests.factories import STAFF_TOTP_SECRET, totp_code

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"  # StaffFactory's
STAFF_LOGIN = reverse("account_login")
SECOND_FACTOR = reverse("mfa_authenticate")
SET_UP = reverse("mfa_index")
ACTIVATE_TOTP = reverse("mfa_activate_totp")
REAUTHENTICATE = reverse("account_reauthenticate")


@pytest.fixture(autouse=True)
def clean_rate_limits_and_used_codes(db):
    cache.clear()


def signed_in_as(client):
    return client.session.get("_auth_user_id")


def confirm_password(client):
    response = client.post(REAUTHENTICATE, {"password": PASSWORD})
    assert response.status_code == 302, response.content.decode()


def password_step(client, user, next_path="/admin/"):
    return client.post(STAFF_LOGIN, {"login": user.email, "password": PASSWORD, "next": next_path})


def test_an_sa_with_a_password_alone_is_asked_for_the_code_and_only_the_right_one_lets_them_in(client, sa):
    response = password_step(client, sa)
    assert response.status_code == 302 and response["Location"] == SECOND_FACTOR
    assert signed_in_as(client) is None  # the password alone signs nobody in

    page = client.get(SECOND_FACTOR)
    assert page.status_code == 200
    assert 'name="code"' in page.content.decode()

    wrong = f"{(int(totp_code()) + 1) % 1_000_000:06d}"
    assert client.post(SECOND_FACTOR, {"code": wrong}).status_code == 200
    assert signed_in_as(client) is None

    response = client.post(SECOND_FACTOR, {"code": totp_code()})
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert signed_in_as(client) == str(sa.pk)
    assert client.get("/admin/").status_code == 200


def test_a_code_works_once(client, sa):
    code = totp_code()
    password_step(client, sa)
    client.post(SECOND_FACTOR, {"code": code})
    assert signed_in_as(client) == str(sa.pk)

    replay = Client()  # someone who saw the code over a shoulder, a moment later
    password_step(replay, sa)
    assert replay.post(SECOND_FACTOR, {"code": code}).status_code == 200
    assert replay.session.get("_auth_user_id") is None


@pytest.mark.parametrize("who", ["sa", "superuser"])
def test_staff_who_must_have_a_second_factor_reach_nothing_until_they_set_one_up(client, who):
    person = (
        factories.SolutionsArchitectFactory(second_factor=False)
        if who == "sa"
        else factories.StaffFactory(is_superuser=True, second_factor=False)
    )
    response = password_step(client, person)
    assert signed_in_as(client) == str(person.pk)  # nothing to ask yet: signed in, and then held
    assert response["Location"] == "/admin/"

    for page in ("/admin/", reverse("staff:home"), "/admin/accounts/user/", reverse("notifications:outbox")):
        held = client.get(page)
        assert held.status_code == 302, page
        assert held["Location"] == SET_UP, page
    set_up_page = client.get(SET_UP)
    assert set_up_page.status_code == 200
    assert "need a second factor" in set_up_page.content.decode()

    # The authenticator app: confirm the password (allauth asks before any change of factor),
    # scan the secret, type the code it shows.
    asked = client.get(ACTIVATE_TOTP)
    assert asked.status_code == 302 and asked["Location"].startswith(REAUTHENTICATE)
    confirm_password(client)
    activate = client.get(ACTIVATE_TOTP)
    assert activate.status_code == 200
    secret = activate.context["form"].secret
    response = client.post(ACTIVATE_TOTP, {"code": totp_code(secret)})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=person, type=Authenticator.Type.TOTP).exists()
    assert Authenticator.objects.filter(user=person, type=Authenticator.Type.RECOVERY_CODES).exists()

    assert client.get("/admin/").status_code == 200


def test_an_account_manager_is_offered_a_second_factor_and_asked_for_it_once_they_have_one(client):
    am = factories.AccountManagerFactory()
    response = password_step(client, am, next_path=reverse("staff:am_workshops"))
    assert signed_in_as(client) == str(am.pk)
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "Protect your account with a second factor" in page.content.decode()
    assert client.get(SET_UP).status_code == 200

    protected = factories.AccountManagerFactory(second_factor=True)
    other = Client()
    assert password_step(other, protected)["Location"] == SECOND_FACTOR
    assert other.session.get("_auth_user_id") is None


def test_an_sa_cannot_drop_their_last_second_factor(client):
    sa = factories.SolutionsArchitectFactory()
    password_step(client, sa)
    client.post(SECOND_FACTOR, {"code": totp_code()})
    confirm_password(client)
    response = client.post(reverse("mfa_deactivate_totp"))
    assert response.status_code == 200
    assert "You cannot deactivate two-factor authentication." in response.content.decode()
    assert Authenticator.objects.filter(user=sa, type=Authenticator.Type.TOTP).exists()


def test_an_account_manager_may_drop_theirs(client):
    am = factories.AccountManagerFactory(second_factor=True)
    password_step(client, am)
    client.post(SECOND_FACTOR, {"code": totp_code()})
    confirm_password(client)
    response = client.post(reverse("mfa_deactivate_totp"))
    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=am, type=Authenticator.Type.TOTP).exists()


def test_customers_have_no_second_factor_pages(client, customer):
    client.force_login(customer)
    for name in ("mfa_index", "mfa_activate_totp", "mfa_add_webauthn", "mfa_list_webauthn"):
        assert client.get(reverse(name)).status_code == 404, name
    assert not Authenticator.objects.filter(user=customer).exists()


def test_nobody_reads_anyone_s_authenticator_in_the_admin(client):
    root = User.objects.create_superuser("root@cpp.example.com", "a long Passw0rd here")
    factories.SolutionsArchitectFactory()
    client.force_login(root)
    Authenticator.objects.create(user=root, type=Authenticator.Type.TOTP, data={"secret": STAFF_TOTP_SECRET})
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/mfa/authenticator/").status_code == 404
    assert not re.search(r"/admin/mfa/", client.get("/admin/").content.decode())
