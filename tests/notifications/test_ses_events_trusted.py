"""SES events count only when they come from the portal's own topics and name mail it sent.

django-ses takes events from any SNS topic while AWS_SNS_EVENT_TRUSTED_TOPIC_ARNS is empty, so
the SES backend does not start without it (a system check); and a bounce or complaint suppresses
an address only when its message id is one the outbox recorded, for an address it sent to.
"""

import json
import logging

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.urls import reverse

from notifications.models import EmailKind, EmailStatus, OutboundEmail, SuppressedAddress
from notifications.services import email_enqueue

pytestmark = pytest.mark.django_db

OUR_TOPIC = "arn:aws:sns:eu-west-1:123456789012:cpp-ses-events"
SOMEONE_ELSES_TOPIC = "arn:aws:sns:eu-west-1:999999999999:not-ours"


def ses_events_only_from_trusted_topics():
    from notifications.checks import ses_events_only_from_trusted_topics as check

    return check()


class TestTheSesBackendNeedsTrustedTopics:
    def test_the_ses_backend_without_trusted_topics_does_not_start(self, settings):
        settings.EMAIL_BACKEND = "django_ses.SESBackend"
        settings.AWS_SNS_EVENT_TRUSTED_TOPIC_ARNS = []
        [error] = ses_events_only_from_trusted_topics()
        assert error.id == "notifications.E001"
        assert "AWS_SNS_EVENT_TRUSTED_TOPIC_ARNS" in error.msg
        with pytest.raises(SystemCheckError, match="AWS_SNS_EVENT_TRUSTED_TOPIC_ARNS"):
            call_command("check")

    def test_with_the_portals_topic_named_it_starts(self, settings):
        settings.EMAIL_BACKEND = "django_ses.SESBackend"
        settings.AWS_SNS_EVENT_TRUSTED_TOPIC_ARNS = [OUR_TOPIC]
        assert ses_events_only_from_trusted_topics() == []

    def test_turning_signature_checks_off_with_ses_is_refused(self, settings):
        settings.EMAIL_BACKEND = "django_ses.SESBackend"
        settings.AWS_SNS_EVENT_TRUSTED_TOPIC_ARNS = [OUR_TOPIC]
        settings.AWS_SES_VERIFY_EVENT_SIGNATURES = False
        assert [e.id for e in ses_events_only_from_trusted_topics()] == ["notifications.E002"]

    @pytest.mark.parametrize(
        "backend", ["notifications.backends.OutboxOnlyBackend", "django.core.mail.backends.smtp.EmailBackend"]
    )
    def test_other_backends_need_no_topic(self, settings, backend):
        settings.EMAIL_BACKEND = backend
        settings.AWS_SNS_EVENT_TRUSTED_TOPIC_ARNS = []
        assert ses_events_only_from_trusted_topics() == []


def post_event(client, message: dict, *, topic: str = OUR_TOPIC):
    notification = {"Type": "Notification", "MessageId": "1", "TopicArn": topic, "Message": json.dumps(message)}
    return client.post(reverse("notifications:ses_events"), json.dumps(notification), content_type="application/json")


def hard_bounce(address: str, message_id: str) -> dict:
    return {
        "eventType": "Bounce",
        "mail": {"messageId": message_id},
        "bounce": {"bounceType": "Permanent", "bouncedRecipients": [{"emailAddress": address}]},
    }


def complaint(address: str, message_id: str) -> dict:
    return {
        "eventType": "Complaint",
        "mail": {"messageId": message_id},
        "complaint": {"complainedRecipients": [{"emailAddress": address}], "complaintFeedbackType": "abuse"},
    }


@pytest.fixture
def events(settings):
    # Signatures are django-ses's own check, tested there; these events are unsigned.
    settings.AWS_SES_VERIFY_EVENT_SIGNATURES = False
    settings.AWS_SNS_EVENT_TRUSTED_TOPIC_ARNS = [OUR_TOPIC]


def sent(to: str, message_id: str) -> OutboundEmail:
    email = email_enqueue(
        key=f"sent:{message_id}", kind=EmailKind.REMINDER_DAY, to=to, subject="Tomorrow", body_text="See you"
    )
    OutboundEmail.objects.filter(pk=email.pk).update(status=EmailStatus.SENT, provider_message_id=message_id)
    return email


class TestOnlyOurMailIsBouncedOrComplainedAbout:
    @pytest.mark.parametrize("event", [hard_bounce, complaint])
    def test_an_event_about_a_message_the_portal_sent_suppresses_its_recipient(self, client, events, event):
        sent("ana@example.com", "ses-1")
        assert post_event(client, event("Ana@Example.com", "ses-1")).status_code == 200
        assert SuppressedAddress.objects.filter(email="ana@example.com").exists()

    @pytest.mark.parametrize("event", [hard_bounce, complaint])
    def test_an_unknown_message_id_suppresses_nothing_and_is_logged(self, client, events, caplog, event):
        sent("ana@example.com", "ses-1")
        with caplog.at_level(logging.WARNING, logger="notifications.receivers"):
            assert post_event(client, event("ana@example.com", "not-ours-42")).status_code == 200
        assert not SuppressedAddress.objects.exists()
        assert "not-ours-42" in caplog.text and "did not send" in caplog.text

    def test_an_event_naming_someone_the_message_was_not_sent_to_suppresses_nothing(self, client, events, caplog):
        sent("ana@example.com", "ses-1")
        with caplog.at_level(logging.WARNING, logger="notifications.receivers"):
            post_event(client, hard_bounce("boss@example.com", "ses-1"))
        assert not SuppressedAddress.objects.exists()
        assert "not sent to" in caplog.text

    def test_an_event_without_a_message_id_suppresses_nothing(self, client, events):
        sent("ana@example.com", "ses-1")
        post_event(client, hard_bounce("ana@example.com", ""))
        assert not SuppressedAddress.objects.exists()

    def test_an_event_from_someone_elses_topic_is_refused(self, client, events):
        sent("ana@example.com", "ses-1")
        assert post_event(client, hard_bounce("ana@example.com", "ses-1"), topic=SOMEONE_ELSES_TOPIC).status_code == 400
        assert not SuppressedAddress.objects.exists()

    def test_a_queued_email_to_a_bounced_address_is_cancelled(self, client, events):
        sent("ana@example.com", "ses-1")
        later = email_enqueue(
            key="later", kind=EmailKind.REMINDER_WEEK, to="ana@example.com", subject="Soon", body_text="x"
        )
        post_event(client, hard_bounce("ana@example.com", "ses-1"))
        later.refresh_from_db()
        assert later.status == EmailStatus.CANCELLED
