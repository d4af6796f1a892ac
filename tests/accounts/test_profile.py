"""Completing a profile: who you are, your company matched however you spell it, and consent to
the current privacy notice; staff are never sent through it."""

from datetime import timedelta
from unittest import mock

import pytest
from django.conf import settings
from django.db import IntegrityError
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.decorators import customer_profile_required
from accounts.models import CustomerOrganisation, User
from tests.factories import AccountManagerFactory, CustomerOrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db

PROFILE = reverse("accounts:profile")


@pytest.fixture
def newcomer(db):
    """Someone who has just signed up by link: an address and nothing else."""
    return User.objects.create_user("newcomer@example.com")


def profile_form(**changes) -> dict:
    data = {
        "first_name": "Giulia",
        "last_name": "Rossi",
        "company": "Acme Italia",
        "job_title": "Solutions engineer",
        "phone": "",
        "country": "IT",
        "preferred_language": "it",
        "consent": "on",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_profile_needs_a_signed_in_user(client):
    response = client.get(PROFILE)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next=/me/profile/"


def test_first_profile_is_saved_with_consent_to_the_current_notice(client, newcomer):
    client.force_login(newcomer)
    page = client.get(PROFILE)
    body = page.content.decode()
    assert "Tell us who you are" in body
    assert reverse("accounts:privacy") in body
    assert f'action="{reverse("set_language")}"' in body

    before = timezone.now()
    response = client.post(PROFILE, profile_form())
    assert response.status_code == 302
    newcomer.refresh_from_db()
    assert (newcomer.first_name, newcomer.last_name, newcomer.job_title) == ("Giulia", "Rossi", "Solutions engineer")
    assert newcomer.country.code == "IT"
    assert newcomer.organisation.name == "Acme Italia"
    assert newcomer.organisation.country.code == "IT"
    assert newcomer.privacy_consent_version == settings.CPP_PRIVACY_NOTICE_VERSION
    assert before <= newcomer.privacy_consent_at <= timezone.now()
    assert newcomer.profile_is_complete
    assert response["Location"] == services.home_url(newcomer)


def test_saving_switches_the_portal_to_the_chosen_language(client, newcomer):
    client.force_login(newcomer)
    response = client.post(PROFILE, profile_form(preferred_language="pt"))
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "pt"
    newcomer.refresh_from_db()
    assert newcomer.preferred_language == "pt"
    assert client.get(PROFILE).headers["Content-Language"] == "pt"


def test_without_consent_nothing_is_saved(client, newcomer):
    client.force_login(newcomer)
    response = client.post(PROFILE, profile_form(consent=None))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="id_consent_error"' in body
    assert 'aria-describedby="id_consent_error"' in body
    newcomer.refresh_from_db()
    assert newcomer.first_name == ""
    assert newcomer.privacy_consent_version == ""
    assert newcomer.privacy_consent_at is None
    assert not CustomerOrganisation.objects.exists()


@pytest.mark.parametrize("missing", ["first_name", "last_name", "company", "job_title", "country"])
def test_required_details_are_asked_for(client, newcomer, missing):
    client.force_login(newcomer)
    response = client.post(PROFILE, profile_form(**{missing: ""}))
    assert response.status_code == 200
    assert f'id="id_{missing}_error"' in response.content.decode()
    newcomer.refresh_from_db()
    assert not newcomer.profile_is_complete


def test_a_blank_company_name_is_refused(client, newcomer):
    client.force_login(newcomer)
    response = client.post(PROFILE, profile_form(company="   "))
    assert 'id="id_company_error"' in response.content.decode()
    assert not CustomerOrganisation.objects.exists()


def test_phone_is_optional_and_kept_when_given(client, newcomer):
    client.force_login(newcomer)
    client.post(PROFILE, profile_form(phone="+39 06 1234 5678"))
    newcomer.refresh_from_db()
    assert newcomer.phone == "+39 06 1234 5678"


def test_company_is_matched_ignoring_case_and_spacing(client, newcomer):
    acme = CustomerOrganisationFactory(name="Acme Italia", country="IT")
    client.force_login(newcomer)
    client.post(PROFILE, profile_form(company="  ACME   italia ", country="ES"))
    newcomer.refresh_from_db()
    assert newcomer.organisation == acme
    assert CustomerOrganisation.objects.count() == 1
    acme.refresh_from_db()
    assert (acme.name, acme.country.code) == ("Acme Italia", "IT")  # an existing company is left as it is


def test_changing_company_moves_the_person_and_respelling_does_not(client, newcomer):
    client.force_login(newcomer)
    client.post(PROFILE, profile_form(company="Acme Italia"))
    first = User.objects.get(pk=newcomer.pk).organisation
    client.post(PROFILE, profile_form(company="acme  ITALIA"))
    assert User.objects.get(pk=newcomer.pk).organisation == first
    client.post(PROFILE, profile_form(company="Globex"))
    assert User.objects.get(pk=newcomer.pk).organisation.name == "Globex"
    assert CustomerOrganisation.objects.count() == 2


def test_returning_customer_sees_their_details_and_consent_keeps_its_first_time(client, customer):
    consented_at = timezone.now() - timedelta(days=3)
    customer.privacy_consent_version = settings.CPP_PRIVACY_NOTICE_VERSION
    customer.privacy_consent_at = consented_at
    customer.save()
    client.force_login(customer)
    page = client.get(PROFILE)
    assert page.context["form"]["company"].value() == customer.organisation.name
    assert page.context["form"]["consent"].value() is True
    assert "Your profile" in page.content.decode()

    client.post(PROFILE, profile_form(company=customer.organisation.name, job_title="CTO"))
    customer.refresh_from_db()
    assert customer.job_title == "CTO"
    assert customer.privacy_consent_at == consented_at


def test_a_new_notice_version_asks_for_consent_again(client, customer):
    customer.privacy_consent_version = "2020-01"
    customer.privacy_consent_at = timezone.now() - timedelta(days=400)
    customer.save()
    assert not customer.profile_is_complete
    client.force_login(customer)
    assert client.get(PROFILE).context["form"]["consent"].value() is None

    client.post(PROFILE, profile_form(company=customer.organisation.name))
    customer.refresh_from_db()
    assert customer.privacy_consent_version == settings.CPP_PRIVACY_NOTICE_VERSION
    assert customer.privacy_consent_at > timezone.now() - timedelta(minutes=1)


def test_customer_pages_send_an_incomplete_profile_here_and_back(client, newcomer, rf):
    @customer_profile_required
    def my_page(request):
        raise AssertionError("reached with an incomplete profile")

    request = rf.get("/me/workshops/")
    request.user = newcomer
    response = my_page(request)
    assert response["Location"] == f"{PROFILE}?next=%2Fme%2Fworkshops%2F"

    client.force_login(newcomer)
    response = client.post(PROFILE, profile_form(next="/me/workshops/"))
    assert response["Location"] == "/me/workshops/"


def test_an_unsafe_next_after_the_profile_is_ignored(client, newcomer):
    client.force_login(newcomer)
    page = client.get(PROFILE, {"next": "https://evil.example/"})
    assert "evil" not in page.content.decode()
    response = client.post(PROFILE, profile_form(next="https://evil.example/"))
    assert response["Location"] == services.home_url(newcomer)


def test_staff_edit_their_names_without_company_or_consent(client, sa):
    assert sa.profile_is_complete  # so nothing ever sends staff to this page
    client.force_login(sa)
    form = client.get(PROFILE).context["form"]
    assert "company" not in form.fields and "consent" not in form.fields
    response = client.post(PROFILE, {"first_name": "Sam", "last_name": "Architect", "preferred_language": "es"})
    assert response.status_code == 302
    sa.refresh_from_db()
    assert (sa.first_name, sa.organisation, sa.privacy_consent_version) == ("Sam", None, "")


# --- The services -------------------------------------------------------------------------


def test_organisation_for_name_creates_once_and_matches_every_spelling():
    created = services.organisation_for_name(name="Initech  Spain", country="ES")
    assert created.name == "Initech Spain"
    assert services.organisation_for_name(name="initech spain", country="PT") == created
    assert services.organisation_for_name(name=" INITECH\tSPAIN ", country="") == created
    assert CustomerOrganisation.objects.count() == 1


def test_organisation_for_name_sets_the_account_manager_only_on_creation():
    am, other = AccountManagerFactory(), AccountManagerFactory()
    created = services.organisation_for_name(name="Umbrella", country="IT", account_manager=am)
    assert created.account_manager == am
    again = services.organisation_for_name(name="UMBRELLA", country="IT", account_manager=other)
    assert again.account_manager == am


def test_organisation_for_name_survives_a_concurrent_insert():
    # Another request inserted the company after our look-up missed it: the insert fails on the
    # unique normalised name, and the service returns that request's row.
    winner = CustomerOrganisationFactory(name="Hooli")
    with mock.patch.object(CustomerOrganisation.objects, "get_or_create", side_effect=IntegrityError("unique")):
        assert services.organisation_for_name(name="hooli", country="ES") == winner


def test_organisation_for_name_needs_a_name():
    with pytest.raises(ValueError):
        services.organisation_for_name(name="   ", country="ES")


def test_customer_profile_update_records_consent_once_per_version():
    person = UserFactory(first_name="", last_name="")
    services.customer_profile_update(
        user=person,
        data={"first_name": "Rui", "last_name": "Costa", "company": "Sonae", "country": "PT", "consent": True},
    )
    person.refresh_from_db()
    first_at = person.privacy_consent_at
    assert person.organisation.name == "Sonae" and person.organisation.country.code == "PT"
    services.customer_profile_update(user=person, data={"consent": True})
    person.refresh_from_db()
    assert person.privacy_consent_at == first_at
    with override_settings(CPP_PRIVACY_NOTICE_VERSION="2099-01"):
        services.customer_profile_update(user=person, data={"consent": True})
        person.refresh_from_db()
        assert person.privacy_consent_version == "2099-01"
        assert person.privacy_consent_at > first_at
