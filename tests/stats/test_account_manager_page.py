"""The Account Manager's page: their workshops with their links, and their own customers only,
grouped per organisation with attendance, for a fixed number of queries."""

import pytest
from django.urls import reverse

from stats.selectors import customers_of_account_manager
from tests.factories import AccountManagerFactory, SignedUpCustomerFactory, SolutionsArchitectFactory, open_workshop
from tests.stats import seed
from workshops import invitations
from workshops.models import Invitation

pytestmark = pytest.mark.django_db

PAGE = reverse("staff:am_workshops")


@pytest.fixture
def programme():
    return seed.programme()


def names(groups) -> list[tuple[str, list[int]]]:
    return [(g.name, [r.pk for r in g.registrations]) for g in groups]


class TestCustomers:
    def test_ana_sees_her_attributed_registrations_and_those_of_the_organisations_she_manages(self, programme):
        p = programme
        groups = customers_of_account_manager(p.ana)
        # Acme is hers (its registrations whoever invited them); Cogs only through her link (r7).
        # Newest workshop first within an organisation: W5 is open, W4 cancelled, W3 April, W1 March.
        assert names(groups) == [("Acme", [p.r9.pk, p.r8.pk, p.r1.pk, p.r2.pk]), ("Cogs", [p.r7.pk])]
        acme = groups[0]
        assert (acme.confirmed, acme.attended, acme.no_shows, acme.not_marked) == (4, 1, 0, 3)

    def test_bruno_sees_only_his_own(self, programme):
        p = programme
        assert names(customers_of_account_manager(p.bruno)) == [
            ("Bolt", [p.r6.pk, p.r3.pk, p.r5.pk]),
            ("Cogs", [p.r10.pk]),
        ]

    def test_the_page_shows_own_customers_attendance_and_links(self, client, programme):
        p = programme
        client.force_login(p.bruno)
        response = client.get(PAGE)
        assert response.status_code == 200
        page = response.content.decode()
        for mine in (p.r3, p.r6, p.r10):
            assert mine.attendee.get_full_name() in page
        for not_mine in (p.r1, p.r2, p.r4, p.r7, p.r8, p.r9):
            assert not_mine.attendee.get_full_name() not in page
        assert "Acme" not in page
        assert "No-show" in page and "Attended" in page
        assert "Through your links, registrations: 4; with a seat: 3; attended: 1; no-shows: 1." in page
        # The one open workshop carries Bruno's own link, with its copy button and the invite-by-list page.
        link = invitations.invitation_link(Invitation.objects.get(workshop=p.w5, account_manager=p.bruno))
        assert link in page and "data-copy=" in page
        assert reverse("staff:am_invite", args=[p.w5.pk]) in page
        other = Invitation.objects.filter(workshop=p.w5, account_manager=p.ana).first()
        assert other is None or invitations.invitation_link(other) not in page

    def test_an_am_without_customers_is_told_so(self, client):
        client.force_login(AccountManagerFactory())
        assert "None of your customers has registered yet." in client.get(PAGE).content.decode()


def test_only_account_managers_see_the_page(client, programme):
    response = client.get(PAGE)
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))
    for nobody in (SignedUpCustomerFactory(), SolutionsArchitectFactory()):
        client.force_login(nobody)
        assert client.get(PAGE).status_code == 404
    client.force_login(programme.ana)
    assert client.get(PAGE).status_code == 200


@pytest.mark.parametrize("rows", [10, 300])
def test_the_page_costs_the_same_queries_for_10_and_300_rows(client, django_assert_num_queries, rows):
    am = AccountManagerFactory()
    seed.bulk_programme(rows, account_manager=am)
    for _n in range(rows // 10):  # open ones, whose links were made when they were published
        workshop = open_workshop(account_managers=[am])
        invitations.invitation_for(workshop=workshop, account_manager=am)
    client.force_login(am)
    # session, user, groups; workshops with their links; customers; own figures
    with django_assert_num_queries(6):
        response = client.get(PAGE)
    assert response.status_code == 200
    assert len(response.context["workshops"]) == rows // 5 + rows // 10
    assert response.content.decode().count("data-copy=") == rows // 10
    groups = response.context["customers"].paginator.object_list
    assert sum(len(g.registrations) for g in groups) == rows // 2


def test_customers_come_a_page_of_organisations_at_a_time(client):
    from accounts.models import CustomerOrganisation
    from staff.am_views import CUSTOMER_ORGANISATIONS_PER_PAGE
    from tests.factories import SignedUpCustomerFactory, registration_in

    am = AccountManagerFactory()
    workshop = open_workshop(account_managers=[am])
    for n in range(CUSTOMER_ORGANISATIONS_PER_PAGE + 3):
        organisation = CustomerOrganisation.objects.create(name=f"Company {n:02d}", account_manager=am)
        registration_in(workshop, attendee=SignedUpCustomerFactory(organisation=organisation))
    client.force_login(am)

    first = client.get(PAGE).content.decode()
    assert "Company 00" in first and f"Company {CUSTOMER_ORGANISATIONS_PER_PAGE - 1:02d}" in first
    assert f"Company {CUSTOMER_ORGANISATIONS_PER_PAGE:02d}" not in first
    assert "Page 1 of 2" in first and "?page=2#customers" in first
    second = client.get(PAGE, {"page": 2}).content.decode()
    assert f"Company {CUSTOMER_ORGANISATIONS_PER_PAGE + 2:02d}" in second and "Company 00" not in second
    # A page that is no page shows the last one, as the staff pages do.
    assert "Page 2 of 2" in client.get(PAGE, {"page": "99"}).content.decode()
