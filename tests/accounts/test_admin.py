"""The people and organisations admin: an AM manages only their own customers' organisations and
reads only their people; SAs manage everyone, but only superusers hand out superuser powers."""

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import roles
from accounts.models import CustomerOrganisation, User
from accounts.second_factor import totp_authenticator_set
from tests.factories import (
    STAFF_TOTP_SECRET,
    AccountManagerFactory,
    CustomerFactory,
    CustomerOrganisationFactory,
    SolutionsArchitectFactory,
)

pytestmark = pytest.mark.django_db

ORGANISATIONS = "admin:accounts_customerorganisation_changelist"
PEOPLE = "admin:accounts_user_changelist"


def organisation_url(organisation) -> str:
    return reverse("admin:accounts_customerorganisation_change", args=[organisation.pk])


def person_url(person) -> str:
    return reverse("admin:accounts_user_change", args=[person.pk])


def listed(response) -> set:
    return set(response.context["cl"].result_list)


def superuser(email: str) -> User:
    """A superuser with the second factor every superuser needs before the admin opens."""
    root = User.objects.create_superuser(email, "a long Passw0rd here")
    totp_authenticator_set(user=root, secret=STAFF_TOTP_SECRET)
    return root


def fields_shown(page) -> set[str]:
    return {name for _, section in page.context["adminform"].fieldsets for name in section["fields"]}


def person_form(person, **changes) -> dict:
    """The person change form as the admin posts it, with `changes` on top."""
    data = {
        "email": person.email,
        "first_name": person.first_name,
        "last_name": person.last_name,
        "preferred_language": person.preferred_language,
        "job_title": person.job_title,
        "phone": person.phone,
        "country": person.country.code or "",
        "organisation": person.organisation_id or "",
        "is_active": "on" if person.is_active else "",
        "is_staff": "on" if person.is_staff else "",
        "groups": list(person.groups.values_list("pk", flat=True)),
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value not in ("", None)}


def new_person_form(**fields) -> dict:
    return {"email": "new.person@example.com", "first_name": "Ada", "last_name": "Lovelace", **fields}


@pytest.fixture
def my_organisation(am):
    return CustomerOrganisationFactory(name="Mine Ltd", account_manager=am)


@pytest.fixture
def their_organisation():
    return CustomerOrganisationFactory(name="Someone Else's Ltd", account_manager=AccountManagerFactory())


class TestAnAccountManagersOrganisations:
    def test_they_see_only_the_organisations_they_manage_with_member_counts(
        self, client, am, my_organisation, their_organisation
    ):
        CustomerFactory.create_batch(2, organisation=my_organisation)
        client.force_login(am)
        page = client.get(reverse(ORGANISATIONS))
        assert listed(page) == {my_organisation}
        assert [o.member_count for o in page.context["cl"].result_list] == [2]
        assert "Someone Else" not in page.content.decode()

    def test_they_cannot_open_or_change_a_colleagues_organisation_by_its_url(self, client, am, their_organisation):
        client.force_login(am)
        response = client.get(organisation_url(their_organisation))
        assert response.status_code == 302
        assert response.url == reverse("admin:index")
        client.post(organisation_url(their_organisation), {"name": "Taken over", "country": "ES"})
        their_organisation.refresh_from_db()
        assert their_organisation.name == "Someone Else's Ltd"

    def test_an_organisation_they_add_is_theirs_whatever_the_form_says(self, client, am, their_organisation):
        client.force_login(am)
        form = client.get(reverse("admin:accounts_customerorganisation_add")).context["adminform"].form
        assert "account_manager" not in form.fields
        client.post(
            reverse("admin:accounts_customerorganisation_add"),
            {"name": "Brand New SA", "country": "PT", "account_manager": their_organisation.account_manager_id},
        )
        assert CustomerOrganisation.objects.get(name="Brand New SA").account_manager == am

    def test_they_can_rename_their_organisation_but_not_give_it_away(self, client, am, my_organisation):
        colleague = AccountManagerFactory()
        client.force_login(am)
        client.post(organisation_url(my_organisation), {"name": "Mine Renamed Ltd", "account_manager": colleague.pk})
        my_organisation.refresh_from_db()
        assert (my_organisation.name, my_organisation.account_manager) == ("Mine Renamed Ltd", am)

    def test_a_second_spelling_of_a_known_company_is_refused_with_a_message(self, client, am, their_organisation):
        client.force_login(am)
        page = client.post(reverse("admin:accounts_customerorganisation_add"), {"name": "  someone ELSE'S   ltd "})
        assert page.status_code == 200
        assert "already exists" in " ".join(page.context["adminform"].form.errors["name"])
        assert CustomerOrganisation.objects.count() == 1


class TestAnAccountManagersCustomers:
    def test_they_see_only_the_members_of_their_organisations(self, client, am, my_organisation, their_organisation):
        mine = CustomerFactory(organisation=my_organisation)
        CustomerFactory(organisation=their_organisation)
        client.force_login(am)
        page = client.get(reverse(PEOPLE))
        assert listed(page) == {mine}

    def test_the_organisation_filter_names_only_their_organisations(
        self, client, am, my_organisation, their_organisation
    ):
        client.force_login(am)
        page = client.get(reverse(PEOPLE)).content.decode()
        assert "Mine Ltd" in page
        assert "Someone Else" not in page

    def test_they_cannot_open_a_colleagues_customer_by_its_url(self, client, am, their_organisation):
        theirs = CustomerFactory(organisation=their_organisation, last_name="Hidden")
        client.force_login(am)
        response = client.get(person_url(theirs))
        assert response.status_code == 302
        assert response.url == reverse("admin:index")
        assert client.get(reverse("admin:auth_user_password_change", args=[theirs.pk])).status_code in (403, 404)

    def test_they_read_their_customers_but_cannot_change_them(self, client, am, my_organisation):
        mine = CustomerFactory(organisation=my_organisation, job_title="CTO")
        client.force_login(am)
        page = client.get(person_url(mine))
        assert page.status_code == 200
        assert page.context["has_change_permission"] is False
        assert "CTO" in page.content.decode()
        assert "Permissions" not in page.content.decode()
        client.post(person_url(mine), person_form(mine, job_title="Intern"))
        mine.refresh_from_db()
        assert mine.job_title == "CTO"

    def test_they_do_not_see_staff(self, client, am, sa):
        client.force_login(am)
        assert sa not in listed(client.get(reverse(PEOPLE)))
        assert client.get(person_url(sa)).status_code == 302


class TestSolutionsArchitectsManagePeople:
    def test_they_see_everyone_and_every_organisation(self, client, sa, am, my_organisation, their_organisation):
        customer = CustomerFactory(organisation=their_organisation)
        client.force_login(sa)
        assert {sa, am, customer} <= listed(client.get(reverse(PEOPLE)))
        assert listed(client.get(reverse(ORGANISATIONS))) == {my_organisation, their_organisation}

    def test_they_find_people_by_their_organisations_name(self, client, sa, my_organisation):
        member = CustomerFactory(organisation=my_organisation)
        CustomerFactory()
        client.force_login(sa)
        assert listed(client.get(reverse(PEOPLE), {"q": "Mine Ltd"})) == {member}

    def test_they_assign_an_organisation_to_an_account_manager(self, client, sa, am, their_organisation):
        client.force_login(sa)
        client.post(organisation_url(their_organisation), {"name": their_organisation.name, "account_manager": am.pk})
        their_organisation.refresh_from_db()
        assert their_organisation.account_manager == am

    def test_a_customer_they_add_has_no_password(self, client, sa, my_organisation):
        client.force_login(sa)
        response = client.post(
            reverse("admin:accounts_user_add"),
            new_person_form(email="New.Person@Example.com", organisation=my_organisation.pk, usable_password="false"),
        )
        assert response.status_code == 302
        person = User.objects.get(email="new.person@example.com")
        assert not person.has_usable_password()
        assert person.organisation == my_organisation

    def test_a_customer_is_never_given_a_password(self, client, sa):
        client.force_login(sa)
        page = client.post(
            reverse("admin:accounts_user_add"),
            new_person_form(usable_password="true", password1="a long Passw0rd here", password2="a long Passw0rd here"),
        )
        assert "never have a password" in " ".join(page.context["adminform"].form.errors["usable_password"])
        assert not User.objects.filter(email="new.person@example.com").exists()

    def test_a_customers_page_offers_no_password_to_set(self, client, sa, customer):
        client.force_login(sa)
        assert "password" not in fields_shown(client.get(person_url(customer)))
        response = client.get(reverse("admin:auth_user_password_change", args=[customer.pk]))
        assert response.status_code == 302
        assert response.url == person_url(customer)
        assert "password" in fields_shown(client.get(person_url(sa)))

    def test_a_colleague_they_add_gets_a_role_and_a_password(self, client, sa):
        client.force_login(sa)
        managers = Group.objects.get(name=roles.ACCOUNT_MANAGERS)
        client.post(
            reverse("admin:accounts_user_add"),
            new_person_form(
                is_staff="on",
                groups=[managers.pk],
                usable_password="true",
                password1="a long Passw0rd here",
                password2="a long Passw0rd here",
            ),
        )
        colleague = User.objects.get(email="new.person@example.com")
        assert colleague.has_usable_password() and colleague.is_account_manager

    def test_an_address_already_taken_in_another_case_is_refused(self, client, sa, customer):
        client.force_login(sa)
        page = client.post(reverse("admin:accounts_user_add"), new_person_form(email=customer.email.upper()))
        assert "already exists" in " ".join(page.context["adminform"].form.errors["email"])

    def test_they_set_roles_but_a_role_needs_staff_status(self, client, sa, customer):
        architects = Group.objects.get(name=roles.SOLUTIONS_ARCHITECTS)
        client.force_login(sa)
        page = client.post(person_url(customer), person_form(customer, groups=[architects.pk]))
        assert "staff status" in " ".join(page.context["adminform"].form.errors["is_staff"])
        client.post(person_url(customer), person_form(customer, groups=[architects.pk], is_staff="on"))
        customer = User.objects.get(pk=customer.pk)
        assert customer.is_staff and customer.is_solutions_architect

    def test_only_superusers_hand_out_superuser_status_and_single_permissions(self, client, sa, customer):
        client.force_login(sa)
        form = client.get(person_url(customer)).context["adminform"].form
        assert "is_superuser" not in form.fields and "user_permissions" not in form.fields
        client.post(person_url(customer), person_form(customer, is_staff="on", is_superuser="on"))
        customer.refresh_from_db()
        assert customer.is_staff and not customer.is_superuser

        client.force_login(superuser("root@cpp.example.com"))
        client.post(person_url(customer), person_form(customer, is_superuser="on"))
        customer.refresh_from_db()
        assert customer.is_superuser

    def test_they_cannot_change_a_superuser(self, client, sa):
        root = User.objects.create_superuser("root@cpp.example.com", "a long Passw0rd here")
        client.force_login(sa)
        assert client.get(person_url(root)).context["has_change_permission"] is False
        client.post(person_url(root), person_form(root, email="taken.over@cpp.example.com"))
        assert client.get(reverse("admin:auth_user_password_change", args=[root.pk])).status_code == 403
        root.refresh_from_db()
        assert root.email == "root@cpp.example.com"

    def test_the_people_list_costs_the_same_queries_for_a_few_people_or_many(self, client, sa):
        client.force_login(sa)
        client.get(reverse(PEOPLE))
        with CaptureQueriesContext(connection) as few:
            client.get(reverse(PEOPLE))
        CustomerFactory.create_batch(4)
        SolutionsArchitectFactory.create_batch(2)
        with CaptureQueriesContext(connection) as many:
            client.get(reverse(PEOPLE))
        assert len(many) == len(few)

    def test_the_organisation_list_costs_the_same_queries_for_one_or_many(self, client, sa):
        client.force_login(sa)
        CustomerFactory(organisation=CustomerOrganisationFactory(account_manager=AccountManagerFactory()))
        client.get(reverse(ORGANISATIONS))
        with CaptureQueriesContext(connection) as one:
            client.get(reverse(ORGANISATIONS))
        for _ in range(4):
            CustomerFactory(organisation=CustomerOrganisationFactory(account_manager=AccountManagerFactory()))
        with CaptureQueriesContext(connection) as many:
            client.get(reverse(ORGANISATIONS))
        assert len(many) == len(one)


def test_a_customer_cannot_enter_the_admin(client, customer):
    client.force_login(customer)
    for url in (reverse("admin:index"), reverse(PEOPLE), person_url(customer)):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("admin:login"))
