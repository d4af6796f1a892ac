"""Sending through django-ses against moto's SES, SES's bounce events, and the staff outbox page."""

import json

import boto3
import pytest
from django.urls import reverse
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from notifications import services
from notifications.models import EmailKind, EmailStatus, OutboundEmail, SuppressedAddress

pytestmark = pytest.mark.django_db


def queue(kind=EmailKind.REGISTRATION_CONFIRMED, to="customer@example.com", key="k1") -> OutboundEmail:
    return services.email_enqueue(
        key=key,
        kind=kind,
        to=to,
        subject="Your seat is confirmed",
        body_text="See you there",
        body_html="<p>See you <a href='http://127.0.0.1:8000/x'>there</a></p>",
    )


def test_an_email_goes_out_through_django_ses_against_moto(settings):
    settings.EMAIL_BACKEND = "django_ses.SESBackend"
    settings.DEFAULT_FROM_EMAIL = "cpp@example.com"
    settings.AWS_SES_REGION_ENDPOINT_URL = None  # moto intercepts in-process
    settings.CPP_EMAIL_MAX_PER_SECOND = 0
    with mock_aws():
        boto3.client("ses", region_name=settings.AWS_SES_REGION_NAME).verify_email_identity(
            EmailAddress="cpp@example.com"
        )
        email = queue()
        assert services.email_deliver(email_id=email.pk) == EmailStatus.SENT
        email.refresh_from_db()
        backend = ses_backends[DEFAULT_ACCOUNT_ID][settings.AWS_SES_REGION_NAME]
        # sent_message_count counts a raw email's recipients twice in moto; the messages are exact.
        (sent,) = backend.sent_messages
        assert "Your seat is confirmed" in sent.raw_data
        assert sent.id == email.provider_message_id
        assert email.provider_message_id  # SES's MessageId, for matching later events


def test_an_unverified_sender_fails_with_ses_reason(settings):
    settings.EMAIL_BACKEND = "django_ses.SESBackend"
    settings.DEFAULT_FROM_EMAIL = "nobody-verified-me@example.com"
    settings.AWS_SES_REGION_ENDPOINT_URL = None
    settings.CPP_EMAIL_MAX_PER_SECOND = 0
    with mock_aws():
        email = queue()
        assert services.email_deliver(email_id=email.pk) == EmailStatus.FAILED
        email.refresh_from_db()
        assert "MessageRejected" in email.last_error


def sns_notification(message: dict) -> str:
    return json.dumps(
        {
            "Type": "Notification",
            "MessageId": "1",
            "TopicArn": "arn:aws:sns:eu-west-1:123456789012:ses-events",
            "Message": json.dumps(message),
        }
    )


def sent_by_the_portal(to: str, message_id: str = "m1") -> OutboundEmail:
    """An email the portal sent, as SES's events will name it (by SES's MessageId)."""
    email = queue(to=to, key=f"sent:{message_id}:{to}")
    OutboundEmail.objects.filter(pk=email.pk).update(status=EmailStatus.SENT, provider_message_id=message_id)
    return email


@pytest.fixture
def unsigned_events(settings):
    # The signature check is django-ses's own and well tested there; these tests post unsigned events.
    settings.AWS_SES_VERIFY_EVENT_SIGNATURES = False
    settings.AWS_SNS_EVENT_TRUSTED_TOPIC_ARNS = []


def test_a_hard_bounce_suppresses_the_address(client, unsigned_events):
    sent_by_the_portal("gone@example.com")
    event = {
        "eventType": "Bounce",
        "mail": {"messageId": "m1"},
        "bounce": {
            "bounceType": "Permanent",
            "bounceSubType": "General",
            "bouncedRecipients": [
                {"emailAddress": "Gone@Example.com", "diagnosticCode": "smtp; 550 5.1.1 user unknown"}
            ],
        },
    }
    response = client.post(
        reverse("notifications:ses_events"), sns_notification(event), content_type="application/json"
    )
    assert response.status_code == 200
    suppressed = SuppressedAddress.objects.get()
    assert (suppressed.email, suppressed.reason) == ("gone@example.com", "bounce")
    assert "550 5.1.1" in suppressed.detail


def test_a_soft_bounce_suppresses_nothing(client, unsigned_events):
    sent_by_the_portal("full@example.com")
    event = {
        "eventType": "Bounce",
        "mail": {"messageId": "m1"},
        "bounce": {"bounceType": "Transient", "bouncedRecipients": [{"emailAddress": "full@example.com"}]},
    }
    client.post(reverse("notifications:ses_events"), sns_notification(event), content_type="application/json")
    assert not SuppressedAddress.objects.exists()


def test_a_complaint_suppresses_the_address(client, unsigned_events):
    sent_by_the_portal("angry@example.com")
    event = {
        "notificationType": "Complaint",
        "mail": {"messageId": "m1"},
        "complaint": {
            "complainedRecipients": [{"emailAddress": "angry@example.com"}],
            "complaintFeedbackType": "abuse",
        },
    }
    client.post(reverse("notifications:ses_events"), sns_notification(event), content_type="application/json")
    assert SuppressedAddress.objects.get().reason == "complaint"


def test_unsigned_events_are_refused_when_verification_is_on(client, settings):
    settings.AWS_SES_VERIFY_EVENT_SIGNATURES = True
    event = {"eventType": "Complaint", "complaint": {"complainedRecipients": [{"emailAddress": "x@example.com"}]}}
    response = client.post(
        reverse("notifications:ses_events"), sns_notification(event), content_type="application/json"
    )
    assert response.status_code == 400
    assert not SuppressedAddress.objects.exists()


class TestOutboxPage:
    def test_a_solutions_architect_reads_the_outbox_and_an_email(self, client, sa):
        email = queue()
        client.force_login(sa)
        listing = client.get(reverse("notifications:outbox"), {"q": "customer@"})
        assert listing.status_code == 200
        assert b"Your seat is confirmed" in listing.content
        page = client.get(reverse("notifications:outbox_email", args=[email.pk]))
        assert b"See you there" in page.content
        frame = client.get(reverse("notifications:outbox_email_html", args=[email.pk]))
        assert b"<a href='http://127.0.0.1:8000/x'>" in frame.content
        assert "default-src 'none'" in frame["Content-Security-Policy"]

    @pytest.mark.parametrize("who", ["am", "customer"])
    def test_anyone_else_gets_a_404(self, client, request, who):
        email = queue()
        client.force_login(request.getfixturevalue(who))
        for url in (reverse("notifications:outbox"), reverse("notifications:outbox_email", args=[email.pk])):
            assert client.get(url).status_code == 404

    def test_an_anonymous_visitor_is_sent_to_sign_in(self, client):
        assert client.get(reverse("notifications:outbox")).status_code == 302

    def test_sign_in_links_are_hidden_when_emails_really_go_out(self, client, sa, settings):
        settings.EMAIL_BACKEND = "django_ses.SESBackend"
        email = queue(kind=EmailKind.MAGIC_LINK, key="magic")
        client.force_login(sa)
        page = client.get(reverse("notifications:outbox_email", args=[email.pk]))
        assert b"See you there" not in page.content
        assert client.get(reverse("notifications:outbox_email_html", args=[email.pk])).status_code == 404
