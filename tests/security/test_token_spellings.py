"""Every token has one spelling: changing its last character, to anything at all, makes it worthless.

Base64 can spell the same bytes several ways (the low bits of a last character that carries fewer
than six are ignored), so a token that is checked by what it decodes to would open the same door
under several names. Each kind of token in the portal is tried with its last character replaced by
every other URL-safe base64 character.
"""

import string

import pytest
import sesame.utils
from django.test import Client

from accounts import services
from accounts.services import MAGIC_LINK_SCOPE
from tests import factories
from workshops.invitations import invitation_for
from workshops.registrations import registration_create
from workshops.sandbox.credentials import credentials_scope, credentials_token_user
from workshops.survey import survey_scope, survey_token_user

pytestmark = pytest.mark.django_db

URL_SAFE_BASE64 = string.ascii_letters + string.digits + "-_"


def respellings(token: str) -> list[str]:
    return [token[:-1] + other for other in URL_SAFE_BASE64 if other != token[-1]]


def accepted_respellings(token: str, accepts) -> list[str]:
    assert accepts(token), "the token as issued must work, or this test proves nothing"
    return [spelling for spelling in respellings(token) if accepts(spelling)]


def test_a_sign_in_token_has_one_spelling():
    customer = factories.SignedUpCustomerFactory()
    token = sesame.utils.get_token(customer, scope=MAGIC_LINK_SCOPE)
    assert accepted_respellings(token, lambda t: services.magic_link_user(token=t) is not None) == []


def test_a_sign_up_token_has_one_spelling():
    token = services.sign_up_token(email="new@example.com", language="en")
    assert accepted_respellings(token, lambda t: services.magic_link_email(token=t) is not None) == []


def test_a_credentials_token_has_one_spelling():
    customer = factories.SignedUpCustomerFactory()
    registration = registration_create(workshop_id=factories.open_workshop().pk, attendee=customer)
    token = sesame.utils.get_token(customer, scope=credentials_scope(registration.pk))

    def accepts(spelling):
        return credentials_token_user(token=spelling, registration_id=registration.pk) is not None

    assert accepted_respellings(token, accepts) == []


def test_a_survey_token_has_one_spelling():
    customer = factories.SignedUpCustomerFactory()
    registration = registration_create(workshop_id=factories.open_workshop().pk, attendee=customer)
    token = sesame.utils.get_token(customer, scope=survey_scope(registration.pk))
    assert accepted_respellings(token, lambda t: survey_token_user(token=t, registration=registration)) == []


def test_an_invitation_token_has_one_spelling():
    am = factories.AccountManagerFactory()
    invitation = invitation_for(workshop=factories.open_workshop(account_managers=[am]), account_manager=am)
    client = Client()
    assert accepted_respellings(invitation.token, lambda t: client.get(f"/i/{t}/").status_code == 200) == []


def test_a_respelt_sign_in_link_does_not_sign_in():
    customer = factories.SignedUpCustomerFactory()
    token = sesame.utils.get_token(customer, scope=MAGIC_LINK_SCOPE)
    client = Client()
    for spelling in respellings(token):
        assert client.post("/login/link/", {"token": spelling}).status_code == 410
    assert client.session.get("_auth_user_id") is None
