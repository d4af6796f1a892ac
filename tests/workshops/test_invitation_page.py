"""The page an invitation link opens: what it shows, who may register from it, and every refusal."""

from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import AccountManagerFactory, CustomerFactory, SignedUpCustomerFactory, open_workshop
from workshops import invitations, registrations
from workshops.models import Invitation, Registration, RegistrationStatus, Stage, Workshop
from workshops.views import SESSION_INVITATIONS

pytestmark = pytest.mark.django_db


@pytest.fixture
def invitation(sa) -> Invitation:
    maria = AccountManagerFactory(first_name="María", last_name="Pérez")
    workshop = open_workshop(
        owners=[sa],
        account_managers=[maria],
        title="Serverless Immersion Day",
        capacity=2,
        # 08:00–15:00 UTC on a March day is 09:00–16:00 in Madrid (CET).
        starts_at=datetime(2031, 3, 12, 8, 0, tzinfo=UTC),
        ends_at=datetime(2031, 3, 12, 15, 0, tzinfo=UTC),
        registration_deadline=datetime(2031, 3, 10, 22, 0, tzinfo=UTC),
    )
    return invitations.invitation_for(workshop=workshop, account_manager=maria)


def page_url(invitation) -> str:
    return reverse("workshops:invitation", args=[invitation.token])


def test_the_page_shows_the_workshop_on_its_own_clock_and_who_invited(client, invitation):
    response = client.get(page_url(invitation))
    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>Serverless Immersion Day</h1>" in page
    assert "Serverless" in page  # the topic
    assert "Lambda deep dive" in page  # the agenda
    assert "Wednesday, March 12, 2031, 09:00–16:00 (Europe/Madrid time)" in page
    assert "Paseo de la Castellana 1, Madrid" in page
    assert "María has invited you" in page
    assert "2 seats left" in page
    assert 'action="/i18n/setlang/"' in page


def test_an_online_workshop_shows_its_link(client, sa):
    workshop = open_workshop(owners=[sa], venue="", online_link="https://meet.example.com/cpp")
    link = invitations.invitation_for(workshop=workshop, account_manager=AccountManagerFactory())
    assert "https://meet.example.com/cpp" in client.get(page_url(link)).content.decode()


def test_seats_count_down_to_waitlist_only(client, invitation):
    registrations.registration_create(workshop_id=invitation.workshop_id, attendee=CustomerFactory())
    assert "1 seat left" in client.get(page_url(invitation)).content.decode()
    registrations.registration_create(workshop_id=invitation.workshop_id, attendee=CustomerFactory())
    page = client.get(page_url(invitation)).content.decode()
    assert "Waitlist only" in page and "seats left" not in page


def test_the_language_switcher_changes_the_page_language(client, invitation):
    response = client.post("/i18n/setlang/", {"language": "es", "next": page_url(invitation)}, follow=True)
    assert response.redirect_chain[-1][0] == page_url(invitation)
    assert '<html lang="es">' in response.content.decode()


class TestWhoSeesWhat:
    def test_an_anonymous_visitor_is_sent_to_sign_in_and_back(self, client, invitation):
        page = client.get(page_url(invitation)).content.decode()
        login = f"{reverse('accounts:login')}?{urlencode({'next': page_url(invitation)})}"
        assert f'href="{login}"' in page
        assert 'method="post"' not in page.split("register-heading")[1]

    def test_an_incomplete_profile_is_sent_to_finish_it_and_back(self, client, invitation, customer):
        client.force_login(customer)  # no consent to the privacy notice yet
        page = client.get(page_url(invitation)).content.decode()
        profile = f"{reverse('accounts:profile')}?{urlencode({'next': page_url(invitation)})}"
        assert f'href="{profile}"' in page

    def test_a_complete_profile_gets_the_register_button(self, client, invitation, signed_up):
        client.force_login(signed_up)
        page = client.get(page_url(invitation)).content.decode()
        assert "csrfmiddlewaretoken" in page and ">Register</button>" in page

    def test_someone_already_registered_sees_their_place_instead(self, client, invitation, signed_up):
        registrations.registration_create(workshop_id=invitation.workshop_id, attendee=signed_up)
        client.force_login(signed_up)
        page = client.get(page_url(invitation)).content.decode()
        assert "Confirmed: you have a seat" in page
        assert ">Register</button>" not in page

    def test_staff_see_the_customer_page_without_registering(self, client, invitation, sa):
        client.force_login(sa)
        page = client.get(page_url(invitation)).content.decode()
        assert "signed in as staff" in page and ">Register</button>" not in page
        client.post(page_url(invitation))
        assert not Registration.objects.exists()


class TestRegistering:
    def test_register_confirms_attributes_and_redirects_with_a_message(self, client, invitation, signed_up):
        client.force_login(signed_up)
        response = client.post(page_url(invitation), follow=True)
        assert response.redirect_chain == [(reverse("workshops:my_workshops"), 302)]
        assert "You have a seat at “Serverless Immersion Day”" in response.content.decode()
        registration = Registration.objects.get(attendee=signed_up)
        assert registration.status == RegistrationStatus.CONFIRMED
        assert registration.invitation == invitation
        assert registration.account_manager == invitation.account_manager
        assert registration.organisation == signed_up.organisation

    def test_a_full_workshop_puts_them_on_the_waitlist_with_their_position(self, client, invitation, signed_up):
        for _n in range(2):
            registrations.registration_create(workshop_id=invitation.workshop_id, attendee=CustomerFactory())
        client.force_login(signed_up)
        page = client.post(page_url(invitation), follow=True).content.decode()
        assert "you are number 1 on the waitlist" in page
        assert Registration.objects.get(attendee=signed_up).status == RegistrationStatus.WAITLISTED

    def test_a_second_registration_is_refused_with_a_message(self, client, invitation, signed_up):
        client.force_login(signed_up)
        client.post(page_url(invitation))
        response = client.post(page_url(invitation), follow=True)
        assert response.redirect_chain == [(page_url(invitation), 302)]
        assert "You are already registered for “Serverless Immersion Day”." in response.content.decode()
        assert Registration.objects.filter(attendee=signed_up).count() == 1

    def test_an_anonymous_or_incomplete_post_registers_nobody(self, client, invitation, customer):
        response = client.post(page_url(invitation))
        assert response["Location"] == f"{reverse('accounts:login')}?{urlencode({'next': page_url(invitation)})}"
        client.force_login(customer)
        response = client.post(page_url(invitation))
        assert response["Location"] == f"{reverse('accounts:profile')}?{urlencode({'next': page_url(invitation)})}"
        assert not Registration.objects.exists()

    def test_registering_after_the_deadline_is_refused(self, client, invitation, signed_up):
        client.force_login(signed_up)
        Workshop.objects.filter(pk=invitation.workshop_id).update(registration_deadline=timezone.now())
        response = client.post(page_url(invitation), follow=True)
        assert response.status_code == 404  # back on the page, which now says registration is closed
        assert "Registration for “Serverless Immersion Day” is closed." in response.content.decode()
        assert not Registration.objects.exists()


class TestAttributionSurvivesSigningIn:
    def test_the_invitation_is_remembered_across_sign_in(self, client, invitation, signed_up):
        client.get(page_url(invitation))  # opened from the email, not yet signed in
        assert client.session[SESSION_INVITATIONS] == {str(invitation.workshop_id): invitation.token}
        client.force_login(signed_up)  # the magic-link round trip keeps the session's data
        assert client.session[SESSION_INVITATIONS] == {str(invitation.workshop_id): invitation.token}

        # Wherever sign-in lands them, My workshops leads back to the invitation.
        mine = client.get(reverse("workshops:my_workshops")).content.decode()
        assert "Invitations waiting for you" in mine
        assert f'href="{page_url(invitation)}"' in mine

        client.post(page_url(invitation))
        assert Registration.objects.get(attendee=signed_up).account_manager == invitation.account_manager
        assert "Invitations waiting for you" not in client.get(reverse("workshops:my_workshops")).content.decode()

    def test_the_latest_link_opened_for_a_workshop_is_the_one_remembered(self, client, invitation):
        other = invitations.invitation_for(workshop=invitation.workshop, account_manager=AccountManagerFactory())
        client.get(page_url(invitation))
        client.get(page_url(other))
        assert client.session[SESSION_INVITATIONS] == {str(invitation.workshop_id): other.token}


class TestUnavailable:
    @pytest.mark.parametrize("token", ["no-such-token", "x" * 200, "a/b", "%00"])
    def test_an_unknown_token_gets_a_clear_404(self, client, token):
        response = client.get(f"/i/{token}/")
        assert response.status_code == 404
        assert "This invitation link does not work" in response.content.decode()

    def test_a_tampered_token_gets_the_same_404(self, client, invitation):
        token = invitation.token
        tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
        response = client.get(reverse("workshops:invitation", args=[tampered]))
        assert response.status_code == 404
        assert "This invitation link does not work" in response.content.decode()
        assert SESSION_INVITATIONS not in client.session

    @pytest.mark.parametrize(
        ("stage", "says"),
        [
            (Stage.DRAFT, "is closed"),
            (Stage.REGISTRATION_CLOSED, "is closed"),
            (Stage.RUNNING, "is closed"),
            (Stage.CANCELLED, "has been cancelled"),
        ],
    )
    def test_a_workshop_not_open_for_registration_gets_a_404_that_says_so(self, client, invitation, stage, says):
        Workshop.objects.filter(pk=invitation.workshop_id).update(stage=stage)
        response = client.get(page_url(invitation))
        assert response.status_code == 404
        assert says in response.content.decode()

    def test_a_passed_deadline_closes_the_page_before_the_stage_moves(self, client, invitation):
        Workshop.objects.filter(pk=invitation.workshop_id).update(
            registration_deadline=timezone.now() - timedelta(minutes=1)
        )
        assert client.get(page_url(invitation)).status_code == 404

    def test_a_registered_person_still_finds_their_place(self, client, invitation, signed_up):
        registrations.registration_create(workshop_id=invitation.workshop_id, attendee=signed_up)
        Workshop.objects.filter(pk=invitation.workshop_id).update(stage=Stage.REGISTRATION_CLOSED)
        client.force_login(signed_up)
        page = client.get(page_url(invitation)).content.decode()
        assert "Confirmed: you have a seat" in page and reverse("workshops:my_workshops") in page


@pytest.fixture
def signed_up(db):
    return SignedUpCustomerFactory()
