"""The emails around invitations: each AM's link when registration opens, and their digest when it closes."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from notifications.models import EmailKind, OutboundEmail
from tests.factories import AccountManagerFactory, CustomerFactory, WorkshopFactory, open_workshop
from workshops import invitations, registrations, services
from workshops.models import Invitation, Stage, Workshop

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_send_rate_limit(settings):
    # The eager sender would pace itself to SES's rate; these tests only read the outbox rows.
    settings.CPP_EMAIL_MAX_PER_SECOND = 0


def customer():
    return CustomerFactory(privacy_consent_version=settings.CPP_PRIVACY_NOTICE_VERSION)


def invitation_emails(workshop):
    return OutboundEmail.objects.filter(kind=EmailKind.INVITATION, workshop=workshop).order_by("pk")


def test_publishing_emails_each_am_their_own_link_in_their_language(sa, django_capture_on_commit_callbacks):
    ana = AccountManagerFactory(first_name="Ana", preferred_language="es")
    bob = AccountManagerFactory(first_name="Bob")
    workshop = WorkshopFactory(owners=[sa], account_managers=[ana, bob])
    with django_capture_on_commit_callbacks(execute=True):
        services.workshop_publish(workshop_id=workshop.pk, actor=sa)

    emails = {email.recipient: email for email in invitation_emails(workshop)}
    assert set(emails) == {ana, bob}
    for am, email in emails.items():
        invitation = Invitation.objects.get(workshop=workshop, account_manager=am)
        link = settings.SITE_URL + reverse("workshops:invitation", args=[invitation.token])
        assert email.key == f"invitation:{invitation.pk}"
        assert (email.to, email.language) == (am.email, am.preferred_language)
        assert link in email.body_text
        assert link in email.body_html
    assert emails[ana].body_text.startswith("Hola, Ana:")
    assert emails[bob].body_text.startswith("Hello Bob,")
    assert Invitation.objects.get(account_manager=ana).token != Invitation.objects.get(account_manager=bob).token


def test_nothing_is_emailed_before_the_publish_commits(workshop, sa, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        services.workshop_publish(workshop_id=workshop.pk, actor=sa)
    assert not invitation_emails(workshop).exists()
    for callback in callbacks:
        callback()
    assert invitation_emails(workshop).count() == 1


def test_inviting_again_sends_only_to_ams_added_since(sa):
    first, later = AccountManagerFactory(), AccountManagerFactory()
    workshop = open_workshop(owners=[sa], account_managers=[first])
    assert invitations.account_managers_invite(workshop_id=workshop.pk) == 1
    assert invitations.account_managers_invite(workshop_id=workshop.pk) == 0
    # An SA adds an AM to the open workshop; the admin then calls the service again.
    workshop.account_managers.add(later)
    assert invitations.account_managers_invite(workshop_id=workshop.pk) == 1
    assert [e.recipient for e in invitation_emails(workshop)] == [first, later]
    assert Invitation.objects.filter(workshop=workshop).count() == 2


def test_no_links_go_out_for_a_workshop_not_open_for_registration(am, sa):
    draft = WorkshopFactory(owners=[sa], account_managers=[am])
    past_deadline = open_workshop(owners=[sa], account_managers=[am])
    Workshop.objects.filter(pk=past_deadline.pk).update(registration_deadline=timezone.now() - timedelta(minutes=1))
    for workshop in (draft, past_deadline):
        assert invitations.account_managers_invite(workshop_id=workshop.pk) == 0
    assert not OutboundEmail.objects.exists()


def test_a_deactivated_am_is_not_emailed(sa):
    gone = AccountManagerFactory(is_active=False)
    workshop = open_workshop(owners=[sa], account_managers=[gone])
    assert invitations.account_managers_invite(workshop_id=workshop.pk) == 0


def test_invitation_for_is_one_link_per_am_and_workshop(workshop, am):
    first = invitations.invitation_for(workshop=workshop, account_manager=am)
    again = invitations.invitation_for(workshop=workshop, account_manager=am)
    assert first.pk == again.pk
    assert len(first.token) >= 24


class TestDigestWhenRegistrationCloses:
    def test_each_am_gets_where_their_own_customers_stand(self, sa, django_capture_on_commit_callbacks):
        ana = AccountManagerFactory(first_name="Ana", preferred_language="es")
        bob = AccountManagerFactory(first_name="Bob")
        workshop = open_workshop(owners=[sa], account_managers=[ana, bob], capacity=1)
        link = invitations.invitation_for(workshop=workshop, account_manager=ana)
        seated = CustomerFactory(first_name="Carla", last_name="Seated", organisation__name="Acme Iberia")
        waiting = CustomerFactory(first_name="Dario", last_name="Waiting", organisation__name="Beta SL")
        left = CustomerFactory(first_name="Eva", last_name="Left")
        unattributed = CustomerFactory(first_name="Zoe", last_name="Direct")
        registrations.registration_create(workshop_id=workshop.pk, attendee=seated, invitation=link)
        registrations.registration_create(workshop_id=workshop.pk, attendee=waiting, invitation=link)
        gone = registrations.registration_create(workshop_id=workshop.pk, attendee=left, invitation=link)
        registrations.registration_cancel(registration_id=gone.pk, actor=left)
        registrations.registration_create(workshop_id=workshop.pk, attendee=unattributed)

        with django_capture_on_commit_callbacks(execute=True):
            services.workshop_close_registration(workshop_id=workshop.pk, actor=sa)

        digests = {e.recipient: e for e in OutboundEmail.objects.filter(kind=EmailKind.AM_DIGEST)}
        assert set(digests) == {ana, bob}
        to_ana = digests[ana]
        assert to_ana.key == f"am_digest:{workshop.pk}:{ana.pk}"
        assert to_ana.language == "es"
        text = to_ana.body_text
        assert "- Carla Seated, Acme Iberia: Confirmada" in text
        assert "Dario Waiting, Beta SL" in text
        assert "Eva Left" in text
        assert "Zoe" not in text  # registered without an AM's link: nobody's customer
        # Seats first, then the waitlist, then those who left.
        assert text.index("Carla") < text.index("Dario") < text.index("Eva")
        assert "None of your customers registered" in digests[bob].body_text

    def test_running_the_digest_again_sends_nothing_twice(self, workshop, am):
        Workshop.objects.filter(pk=workshop.pk).update(stage=Stage.REGISTRATION_CLOSED)
        assert invitations.account_managers_digest(workshop_id=workshop.pk) == 1
        assert invitations.account_managers_digest(workshop_id=workshop.pk) == 0
        assert OutboundEmail.objects.filter(kind=EmailKind.AM_DIGEST).count() == 1

    def test_an_am_removed_from_the_workshop_still_hears_about_their_customers(self, workshop, am, sa):
        Workshop.objects.filter(pk=workshop.pk).update(stage=Stage.REGISTRATION_OPEN)
        link = invitations.invitation_for(workshop=workshop, account_manager=am)
        registrations.registration_create(workshop_id=workshop.pk, attendee=customer(), invitation=link)
        workshop.account_managers.clear()
        Workshop.objects.filter(pk=workshop.pk).update(stage=Stage.REGISTRATION_CLOSED)
        assert invitations.account_managers_digest(workshop_id=workshop.pk) == 1
        assert OutboundEmail.objects.get(kind=EmailKind.AM_DIGEST).recipient == am
