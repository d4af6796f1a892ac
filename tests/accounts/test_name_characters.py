"""A name holds no control character and no invisible mark that reorders text: wherever a person's
name, job title or company is typed, such a character is a clear form error and nothing is saved."""

import pytest
from django.urls import reverse

from accounts.models import CustomerOrganisation, User
from tests.accounts.test_admin import new_person_form, person_form, person_url
from tests.factories import AccountManagerFactory, open_workshop
from workshops.invitations import contacts_parse, customers_invite, invitation_for

pytestmark = pytest.mark.django_db

REFUSED = {
    "NUL": "\u0000",
    "tab": "\t",
    "line feed": "\n",
    "escape": "\u001b",
    "delete": "\u007f",
    "C1 control": "\u0085",
    "left-to-right mark": "\u200e",
    "right-to-left mark": "\u200f",
    "left-to-right embedding": "\u202a",
    "right-to-left override": "\u202e",
    "left-to-right isolate": "\u2066",
    "pop directional isolate": "\u2069",
    "Arabic letter mark": "\u061c",
    "zero-width space": "\u200b",
    "byte order mark": "\ufeff",
}
CHARACTERS = [pytest.param(character, id=name) for name, character in REFUSED.items()]


def profile_data(**changes) -> dict:
    return {
        "first_name": "Ana",
        "last_name": "García",
        "company": "Acme Iberia",
        "job_title": "Cloud engineer",
        "country": "ES",
        "preferred_language": "es",
        "consent": "on",
        **changes,
    }


@pytest.mark.parametrize("character", CHARACTERS)
@pytest.mark.parametrize("field", ["first_name", "last_name", "job_title", "company"])
def test_the_profile_refuses_a_name_with_a_hidden_character(client, customer, field, character):
    client.force_login(customer)
    before = User.objects.values().get(pk=customer.pk)
    response = client.post(reverse("accounts:profile"), profile_data(**{field: f"Ana{character}exe.txt"}))
    assert response.status_code == 200
    # Django's own message for NUL, ours for the rest.
    assert response.context["form"].errors[field]
    assert User.objects.values().get(pk=customer.pk) == before
    assert not CustomerOrganisation.objects.filter(name__contains="exe").exists()


def test_names_in_every_script_stay_welcome(client, customer):
    client.force_login(customer)
    # Zero-width non-joiner and joiner are how Persian and Indic names are spelt: they stay.
    names = {"first_name": "Zoë-Ñuño", "last_name": "می\u200cخواهم", "job_title": "क्\u200dष engineer"}
    response = client.post(reverse("accounts:profile"), profile_data(**names))
    assert response.status_code == 302
    customer.refresh_from_db()
    assert (customer.first_name, customer.last_name, customer.job_title) == tuple(names.values())


@pytest.mark.parametrize("character", CHARACTERS)
def test_the_admin_refuses_a_person_or_organisation_name_with_a_hidden_character(client, sa, customer, character):
    client.force_login(sa)
    response = client.post(person_url(customer), person_form(customer, last_name=f"Smi{character}th"))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["last_name"]
    assert User.objects.get(pk=customer.pk).last_name == customer.last_name

    response = client.post(reverse("admin:accounts_user_add"), new_person_form(first_name=f"A{character}da"))
    assert response.status_code == 200
    assert not User.objects.filter(email="new.person@example.com").exists()

    response = client.post(
        reverse("admin:accounts_customerorganisation_add"), {"name": f"Evil{character}Corp", "country": "ES"}
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["name"]
    assert not CustomerOrganisation.objects.filter(name__startswith="Evil").exists()


def test_an_invitation_list_with_a_hidden_character_in_a_name_invites_nobody():
    am = AccountManagerFactory()
    invitation = invitation_for(workshop=open_workshop(account_managers=[am]), account_manager=am)
    rows = contacts_parse("email,first_name,last_name\nana@example.com,Ana,Garc\u202eía\nben@example.com,Ben,Ng\n")
    report = customers_invite(invitation=invitation, rows=rows)
    assert [error.line for error in report.errors] == [2]
    assert "U+202E" in report.errors[0].message
    assert report.queued == 0
