"""A sole trader's company is likely their own name: it is anonymised with its last (and only) member.

The rule (README, GDPR): an organisation a customer typed on their profile, that no one but that
customer ever belonged to (by profile or by any registration), is anonymised by the run that
anonymises them; its country, AM and registrations stay, so the statistics count it as before.
One that staff created, or that anyone else ever belonged to, stays as it is.
"""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from accounts.models import CustomerOrganisation
from accounts.services import organisation_for_name
from privacy import services
from privacy.models import AnonymisationRun
from tests import factories
from tests.privacy.seed import _person, _register, seed_programme
from tests.privacy.test_anonymisation import leaks, snapshot, statistics

pytestmark = pytest.mark.django_db

SCHEDULE = AnonymisationRun.Trigger.SCHEDULE
COMPANY = "Zacarias Trumbull Consulting"


def typed(name: str = COMPANY, country: str = "IT") -> CustomerOrganisation:
    """An organisation as a customer's profile makes it: the name they typed, no AM."""
    return organisation_for_name(name=name, country=country)


def figures_by_count() -> dict:
    """The statistics, less the tallies keyed by organisation name (the one thing that changes)."""
    figures = statistics()
    figures.pop("per_organisation"), figures.pop("people_per_organisation")
    return figures


@pytest.fixture
def programme():
    return seed_programme()


def sole_trader(programme, organisation: CustomerOrganisation):
    person = _person("Trumbull", organisation)
    _register(programme.past, person, programme.am)
    return person


def test_a_sole_traders_company_goes_with_them_and_the_statistics_count_it_as_before(programme):
    organisation = typed()
    person = sole_trader(programme, organisation)
    LogEntry.objects.log_actions(  # an AM once renamed it in the admin: the log keeps the name
        user_id=programme.am.pk, queryset=[organisation], action_flag=CHANGE, change_message="[]", single_object=True
    )
    before = figures_by_count()

    run = services.customers_anonymise(trigger=SCHEDULE)

    organisation.refresh_from_db()
    assert run.counts["organisations"] == 1
    assert organisation.name == f"anonymised-organisation-{organisation.pk}"
    assert (organisation.country, organisation.origin) == ("IT", CustomerOrganisation.Origin.TYPED)
    person.refresh_from_db()
    assert person.organisation_id == organisation.pk
    assert programme.past.registrations.get(attendee=person).organisation_id == organisation.pk
    assert leaks([COMPANY]) == []
    assert figures_by_count() == before


def test_the_dry_run_counts_it_and_a_second_run_finds_nothing_to_do(programme):
    sole_trader(programme, typed())
    state = snapshot()
    dry = services.customers_anonymise(trigger=SCHEDULE, dry_run=True)
    assert dry.counts["organisations"] == 1
    assert snapshot() == state

    assert services.customers_anonymise(trigger=SCHEDULE).counts == dry.counts
    state = snapshot()
    assert services.customers_anonymise(trigger=SCHEDULE).counts["organisations"] == 0
    assert snapshot() == state


def test_a_company_staff_created_stays_even_with_one_member(programme):
    organisation = factories.CustomerOrganisationFactory(
        name=COMPANY, account_manager=programme.am, origin=CustomerOrganisation.Origin.STAFF
    )
    sole_trader(programme, organisation)
    assert services.customers_anonymise(trigger=SCHEDULE).counts["organisations"] == 0
    organisation.refresh_from_db()
    assert organisation.name == COMPANY


def test_a_company_someone_else_ever_belonged_to_stays(programme):
    organisation = typed()
    sole_trader(programme, organisation)
    # A colleague registered for the recent workshop from it, then moved to another company.
    colleague = _person("Colleague", organisation)
    _register(programme.recent, colleague, programme.am)
    colleague.organisation = typed("Elsewhere SpA")
    colleague.save(update_fields=["organisation"])

    assert services.customers_anonymise(trigger=SCHEDULE).counts["organisations"] == 0
    organisation.refresh_from_db()
    assert organisation.name == COMPANY


def test_a_company_of_two_people_anonymised_together_stays(programme):
    organisation = typed()
    sole_trader(programme, organisation)
    _register(programme.past, _person("Partner", organisation), programme.am)
    run = services.customers_anonymise(trigger=SCHEDULE)
    assert run.counts["people"] == 5 and run.counts["organisations"] == 0


def test_a_sole_trader_who_asks_to_be_anonymised_now_takes_their_company_along(programme):
    organisation = typed()
    person = _person("Trumbull", organisation)  # signed up, never registered
    services.person_anonymise(person=person, trigger=AnonymisationRun.Trigger.SELF_SERVICE, requested_by=person)
    organisation.refresh_from_db()
    assert organisation.name == f"anonymised-organisation-{organisation.pk}"
    # Someone typing that name later gets a company of their own, not the anonymised one.
    assert typed(organisation.name).pk != organisation.pk


def test_an_organisation_added_in_the_admin_is_staffs_and_one_typed_on_a_profile_is_its_members(client):
    client.force_login(factories.SolutionsArchitectFactory())
    response = client.post(reverse("admin:accounts_customerorganisation_add"), {"name": "Initech", "country": "ES"})
    assert response.status_code == 302
    assert CustomerOrganisation.objects.get(name="Initech").origin == CustomerOrganisation.Origin.STAFF
    assert typed("Umbrella Lda").origin == CustomerOrganisation.Origin.TYPED


def test_the_migration_marks_what_the_admin_added_as_staffs():
    added_in_admin, typed_on_a_profile = typed("Initech"), typed("Umbrella Lda")
    LogEntry.objects.create(
        user=factories.SolutionsArchitectFactory(),
        content_type=ContentType.objects.get_for_model(CustomerOrganisation),
        object_id=str(added_in_admin.pk),
        object_repr="Initech",
        action_flag=ADDITION,
    )
    migration = importlib.import_module("accounts.migrations.0003_customerorganisation_origin")
    migration.backfill(apps, None)
    added_in_admin.refresh_from_db(), typed_on_a_profile.refresh_from_db()
    assert added_in_admin.origin == CustomerOrganisation.Origin.STAFF
    assert typed_on_a_profile.origin == CustomerOrganisation.Origin.TYPED
