"""An AM sends their invitation link to a list of contacts: the parser, the all-or-nothing send, the pages."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from notifications.models import EmailKind, OutboundEmail
from tests.factories import AccountManagerFactory, CustomerFactory, WorkshopFactory, open_workshop
from workshops import invitations, registrations
from workshops.invitations import MAX_CONTACTS, ContactRow, contacts_parse, customers_invite
from workshops.models import Invitation, Stage, Workshop

pytestmark = pytest.mark.django_db


@pytest.fixture
def invitation(sa, am) -> Invitation:
    workshop = open_workshop(owners=[sa], account_managers=[am], language="en")
    return invitations.invitation_for(workshop=workshop, account_manager=am)


def customer_invitations():
    return OutboundEmail.objects.filter(kind=EmailKind.CUSTOMER_INVITATION).order_by("pk")


def errors_of(report) -> list[tuple[int | None, str]]:
    return [(error.line, error.message) for error in report.errors]


class TestParser:
    def test_csv_with_a_header(self):
        rows = contacts_parse("email,first_name,last_name,language\nana@example.com,Ana,García,es\nbob@example.com\n")
        assert rows == [
            ContactRow(line=2, email="ana@example.com", first_name="Ana", last_name="García", language="es"),
            ContactRow(line=3, email="bob@example.com"),
        ]

    def test_a_header_may_name_columns_in_any_order_and_spelling(self):
        rows = contacts_parse("Language;E-mail;Surname\r\nit;Luca@Example.com;Rossi\r\n")
        assert rows == [ContactRow(line=2, email="Luca@Example.com", last_name="Rossi", language="it")]

    def test_without_a_header_the_columns_are_email_first_last_language(self):
        rows = contacts_parse("ana@example.com,Ana,García,es\nbob@example.com\n")
        assert [(r.line, r.email, r.first_name, r.language) for r in rows] == [
            (1, "ana@example.com", "Ana", "es"),
            (2, "bob@example.com", "", ""),
        ]

    def test_semicolons_tabs_quotes_blank_lines_and_spreadsheet_padding(self):
        assert contacts_parse("\ufeffana@example.com;Ana;;pt\n\n\nbob@example.com;;;\n") == [
            ContactRow(line=1, email="ana@example.com", first_name="Ana", language="pt"),
            ContactRow(line=4, email="bob@example.com"),
        ]
        assert contacts_parse("ana@example.com\tAna\tGarcía\n")[0].last_name == "García"
        assert contacts_parse('ana@example.com,"García, Ana"\n')[0].first_name == "García, Ana"

    def test_a_header_with_an_unknown_column_is_reported_on_its_line(self):
        rows = contacts_parse("email,company\nana@example.com,Acme\n")
        assert rows[0].line == 1 and "company" in rows[0].problem

    def test_a_row_with_too_many_columns_is_reported(self):
        (row,) = contacts_parse("ana@example.com,Ana,García,es,extra\n")
        assert "Too many columns" in row.problem


class TestCustomersInvite:
    def test_each_contact_gets_one_email_in_their_language_with_the_link_and_note(self, invitation):
        rows = contacts_parse("email;first_name;language\nana@example.com;Ana;es\nbob@example.com;Bob;\n")
        report = customers_invite(invitation=invitation, rows=rows, note="See you there!")
        assert (report.ok, report.queued, report.already_invited) == (True, 2, 0)
        ana, bob = customer_invitations()
        assert (ana.to, ana.language, bob.to, bob.language) == ("ana@example.com", "es", "bob@example.com", "en")
        link = invitations.invitation_link(invitation)
        for email in (ana, bob):
            assert link in email.body_text and link in email.body_html
            assert "See you there!" in email.body_text
            assert email.workshop_id == invitation.workshop_id
            # The key identifies the address without spelling it: keys outlive GDPR anonymisation.
            assert email.key.startswith(f"customer_invitation:{invitation.pk}:")
            assert email.to not in email.key

    def test_sending_the_same_list_again_emails_only_new_contacts(self, invitation):
        customers_invite(invitation=invitation, rows=contacts_parse("ana@example.com\nbob@example.com\n"))
        report = customers_invite(
            invitation=invitation, rows=contacts_parse("ANA@example.com\nbob@example.com\ncarla@example.com\n")
        )
        assert (report.queued, report.already_invited) == (1, 2)
        assert [e.to for e in customer_invitations()] == ["ana@example.com", "bob@example.com", "carla@example.com"]

    def test_one_bad_row_and_nothing_is_queued(self, invitation):
        rows = contacts_parse("ana@example.com\n\nnot-an-address\nbob@example.com,Bob,Smith,klingon\n")
        report = customers_invite(invitation=invitation, rows=rows)
        assert errors_of(report) == [
            (3, "“not-an-address” is not an email address."),
            (4, "Unknown language “klingon”: use en, es, pt, it."),
        ]
        assert report.queued == 0
        assert not customer_invitations().exists()

    def test_a_duplicate_names_the_line_it_repeats(self, invitation):
        report = customers_invite(
            invitation=invitation, rows=contacts_parse("ana@example.com\nbob@example.com\nAna@Example.com\n")
        )
        assert errors_of(report) == [(3, "ana@example.com is already on line 1.")]
        assert not customer_invitations().exists()

    def test_more_than_the_limit_is_refused_whole(self, invitation):
        text = "".join(f"person{n}@example.com\n" for n in range(MAX_CONTACTS + 1))
        report = customers_invite(invitation=invitation, rows=contacts_parse(text))
        assert errors_of(report) == [(501, "The list has 501 contacts; send at most 500 at a time.")]
        assert not customer_invitations().exists()

    def test_exactly_the_limit_goes_out(self, invitation, django_assert_max_num_queries):
        text = "".join(f"person{n}@example.com\n" for n in range(MAX_CONTACTS))
        # Rendered once per language, not once per contact: what is left is the outbox's insert
        # (its get-or-create in a savepoint is six statements) for each contact.
        with django_assert_max_num_queries(MAX_CONTACTS * 6 + 10):
            report = customers_invite(invitation=invitation, rows=contacts_parse(text))
        assert report.queued == MAX_CONTACTS

    def test_languages_by_code_region_or_name_and_addresses_as_mail_programs_copy_them(self, invitation):
        rows = contacts_parse("a@example.com,,,pt-BR\nb@example.com,,,Spanish\nc@example.com,,,italiano\n")
        rows.append(ContactRow(line=4, email="Dana Díaz <dana@example.com>"))
        report = customers_invite(invitation=invitation, rows=rows)
        assert report.ok
        assert [(e.to, e.language) for e in customer_invitations()] == [
            ("a@example.com", "pt"),
            ("b@example.com", "es"),
            ("c@example.com", "it"),
            ("dana@example.com", "en"),
        ]

    @pytest.mark.parametrize(
        ("typed", "address"),
        [
            ("Name <a@b.com>", "a@b.com"),
            ("<a@b.com>", "a@b.com"),
            ("  Jane Doe <Jane.Doe@Example.com>  ", "jane.doe@example.com"),
            ('"Doe, Jane" <jane@example.com>', "jane@example.com"),  # a spreadsheet drops the quotes
        ],
    )
    def test_a_name_and_address_yields_the_address_alone(self, invitation, typed, address):
        report = customers_invite(invitation=invitation, rows=[ContactRow(line=1, email=typed)])
        assert report.ok and [e.to for e in customer_invitations()] == [address]

    @pytest.mark.parametrize(
        ("typed", "problem"),
        [
            ('"Evil <attacker@x.com>" <victim@y.com>', "has an address in its name: give the address alone."),
            ("Evil <attacker@x.com> <victim@y.com>", "has an address in its name: give the address alone."),
            ("a@b.com <c@d.com>", "has an address in its name: give the address alone."),
            ("Jane <jane@example.com", "is unclear: give the address alone, or as Name <address>."),
            ("Jane <jane@example.com> Doe", "is unclear: give the address alone, or as Name <address>."),
            ("<a@b.com, c@d.com>", "is unclear: give the address alone, or as Name <address>."),
            ('"jane@example.com"', "is unclear: give the address alone, or as Name <address>."),
        ],
    )
    def test_an_entry_hiding_a_second_address_or_read_two_ways_is_refused_on_its_line(self, invitation, typed, problem):
        rows = [ContactRow(line=1, email="ana@example.com"), ContactRow(line=2, email=typed)]
        report = customers_invite(invitation=invitation, rows=rows)
        assert errors_of(report) == [(2, f"“{typed}” {problem}")]
        assert not customer_invitations().exists()

    def test_a_pasted_entry_whose_quoted_name_holds_an_address_never_reaches_either(self, invitation):
        # The list reader drops the quotes: what reaches the check is 'Evil <attacker@x.com> <victim@y.com>'.
        rows = contacts_parse('ana@example.com\n"Evil <attacker@x.com>" <victim@y.com>\n')
        report = customers_invite(invitation=invitation, rows=rows)
        assert [line for line, _message in errors_of(report)] == [2]
        assert "has an address in its name" in report.errors[0].message
        assert not customer_invitations().exists()

    def test_an_empty_list_and_a_list_pasted_on_one_line_are_explained(self, invitation):
        assert errors_of(customers_invite(invitation=invitation, rows=contacts_parse("\n \n"))) == [
            (None, "The list has no contacts.")
        ]
        report = customers_invite(invitation=invitation, rows=contacts_parse("a@example.com, b@example.com\n"))
        assert errors_of(report) == [(1, "Put one contact per line: “b@example.com” is in a name column.")]

    def test_a_known_person_is_linked_as_the_recipient(self, invitation):
        known = CustomerFactory(email="known@example.com")
        customers_invite(invitation=invitation, rows=contacts_parse("known@example.com\n"))
        assert customer_invitations().get().recipient == known

    def test_nothing_goes_out_once_registration_has_closed(self, invitation):
        Workshop.objects.filter(pk=invitation.workshop_id).update(stage=Stage.REGISTRATION_CLOSED)
        invitation.refresh_from_db()
        report = customers_invite(invitation=invitation, rows=contacts_parse("ana@example.com\n"))
        assert not report.ok and "closed" in report.errors[0].message
        assert not customer_invitations().exists()


class TestInvitePage:
    def url(self, invitation):
        return reverse("staff:am_invite", args=[invitation.workshop_id])

    def test_the_am_sees_their_link_with_a_copy_button(self, client, invitation, am):
        client.force_login(am)
        page = client.get(self.url(invitation)).content.decode()
        assert invitations.invitation_link(invitation) in page
        assert "data-copy=" in page and "js/copy_buttons.js" in page
        assert 'enctype="multipart/form-data"' in page

    def test_a_pasted_list_is_sent_and_the_count_shown(self, client, invitation, am):
        client.force_login(am)
        response = client.post(
            self.url(invitation), {"contacts": "ana@example.com\nbob@example.com\n", "note": ""}, follow=True
        )
        assert response.redirect_chain == [(self.url(invitation), 302)]
        assert "Your invitation is on its way to 2 contacts." in response.content.decode()
        assert customer_invitations().count() == 2

    def test_errors_are_listed_by_line_and_nothing_is_sent(self, client, invitation, am):
        client.force_login(am)
        response = client.post(self.url(invitation), {"contacts": "ana@example.com\nbroken\nana@example.com\n"})
        assert response.status_code == 200
        page = response.content.decode()
        assert "Nothing was sent: 2 problems in the list." in page
        assert "<td>2</td><td>“broken” is not an email address.</td>" in page
        assert "<td>3</td><td>ana@example.com is already on line 1.</td>" in page
        assert "broken" in page  # the list stays in the form to be fixed
        assert not customer_invitations().exists()

    def test_a_csv_file_from_a_spreadsheet_is_read(self, client, invitation, am):
        client.force_login(am)
        utf8 = SimpleUploadedFile("list.csv", "\ufeffEmail;Language\r\nana@example.com;es\r\n".encode())
        windows = SimpleUploadedFile("old.csv", "email;first_name\r\njose@example.com;José\r\n".encode("cp1252"))
        for upload in (utf8, windows):
            response = client.post(self.url(invitation), {"csv_file": upload})
            assert response.status_code == 302
        assert [(e.to, e.language) for e in customer_invitations()] == [
            ("ana@example.com", "es"),
            ("jose@example.com", "en"),
        ]

    def test_a_file_that_is_not_csv_is_refused(self, client, invitation, am):
        client.force_login(am)
        response = client.post(self.url(invitation), {"csv_file": SimpleUploadedFile("x.xlsx", b"PK\x03\x04\x00\x00")})
        assert "not a text (CSV) file" in response.content.decode()
        assert not customer_invitations().exists()

    def test_either_a_list_or_a_file(self, client, invitation, am):
        client.force_login(am)
        both = client.post(
            self.url(invitation),
            {"contacts": "a@example.com", "csv_file": SimpleUploadedFile("l.csv", b"b@example.com")},
        )
        assert "not both" in both.content.decode()
        assert "Paste a list of contacts or choose a CSV file." in client.post(self.url(invitation)).content.decode()
        assert not customer_invitations().exists()

    def test_a_closed_workshop_shows_why_and_takes_no_list(self, client, invitation, am):
        Workshop.objects.filter(pk=invitation.workshop_id).update(stage=Stage.REGISTRATION_CLOSED)
        client.force_login(am)
        page = client.get(self.url(invitation)).content.decode()
        assert "no longer open for registration" in page and "<textarea" not in page
        response = client.post(self.url(invitation), {"contacts": "ana@example.com"}, follow=True)
        assert "is closed" in response.content.decode()
        assert not customer_invitations().exists()

    def test_refused_to_everyone_but_a_participating_am(self, client, invitation, sa, customer):
        other_am = AccountManagerFactory()
        draft = WorkshopFactory(owners=[sa], account_managers=[other_am])
        url = self.url(invitation)
        client.force_login(other_am)
        assert client.get(url).status_code == 404  # not their workshop
        assert client.get(reverse("staff:am_invite", args=[draft.pk])).status_code == 404  # not published
        for who in (customer, sa):
            client.force_login(who)
            assert client.get(url).status_code == 404
            assert client.post(url, {"contacts": "a@example.com"}).status_code == 404
            assert client.get(reverse("staff:am_workshops")).status_code == 404
        client.logout()
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))
        assert not customer_invitations().exists()


class TestAccountManagerList:
    def test_lists_their_published_workshops_with_their_link_and_their_customers(self, client, sa, am):
        mine = open_workshop(owners=[sa], account_managers=[am], capacity=1, title="Data Day")
        closed = open_workshop(owners=[sa], account_managers=[am], title="Past Day")
        Workshop.objects.filter(pk=closed.pk).update(stage=Stage.REGISTRATION_CLOSED)
        WorkshopFactory(owners=[sa], account_managers=[am], title="Draft Day")
        open_workshop(owners=[sa], title="Someone Else's Day")
        link = invitations.invitation_for(workshop=mine, account_manager=am)
        consent = settings.CPP_PRIVACY_NOTICE_VERSION
        for _n in range(2):
            attendee = CustomerFactory(privacy_consent_version=consent)
            registrations.registration_create(workshop_id=mine.pk, attendee=attendee, invitation=link)
        registrations.registration_create(workshop_id=mine.pk, attendee=CustomerFactory())  # not theirs

        client.force_login(am)
        response = client.get(reverse("staff:am_workshops"))
        page = response.content.decode()
        assert "Data Day" in page and "Past Day" in page
        assert "Draft Day" not in page and "Someone Else" not in page
        assert invitations.invitation_link(link) in page
        listed = {w.title: w for w in response.context["workshops"]}
        assert (listed["Data Day"].registered, listed["Data Day"].confirmed, listed["Data Day"].waitlisted) == (2, 1, 1)
        assert listed["Past Day"].invitation_link == ""

    def test_an_am_with_no_workshops_is_told_so(self, client):
        client.force_login(AccountManagerFactory())
        assert "No published workshop lists you" in client.get(reverse("staff:am_workshops")).content.decode()


def test_the_deadline_passing_stops_the_page_from_sending(client, invitation, am):
    Workshop.objects.filter(pk=invitation.workshop_id).update(registration_deadline=timezone.now() - timedelta(1))
    client.force_login(am)
    client.post(reverse("staff:am_invite", args=[invitation.workshop_id]), {"contacts": "ana@example.com"})
    assert not customer_invitations().exists()
