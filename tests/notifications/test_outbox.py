"""The outbox's promises: one row per key, one send per row, nothing lost, suppression honoured."""

import smtplib
import threading
from datetime import timedelta

import pytest
from botocore.exceptions import ClientError
from django.core import mail
from django.db import connection
from django.utils import timezone

from notifications import rate_limit, services
from notifications.models import EmailKind, EmailStatus, OutboundEmail, SuppressedAddress, SuppressionReason

pytestmark = pytest.mark.django_db


def queue(n: int = 1, kind: str = EmailKind.REGISTRATION_CONFIRMED, **kwargs) -> list[OutboundEmail]:
    return [
        services.email_enqueue(
            key=f"{kind}:test:{i}",
            kind=kind,
            to=kwargs.get("to", f"Customer{i}@Example.com"),
            subject=f"Subject {i}",
            body_text=f"Hello {i}",
            body_html=f"<p>Hello {i}</p>",
            scheduled_at=kwargs.get("scheduled_at"),
        )
        for i in range(n)
    ]


@pytest.fixture(autouse=True)
def no_rate_limit(settings):
    settings.CPP_EMAIL_MAX_PER_SECOND = 0  # unlimited, except where a test says otherwise
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


class FailingBackend:
    """A backend that raises the given errors in turn, then succeeds."""

    errors: list[BaseException] = []

    def __init__(self, *args, **kwargs):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def send_messages(self, messages):
        if FailingBackend.errors:
            raise FailingBackend.errors.pop(0)
        mail.outbox.extend(messages)
        return len(messages)


@pytest.fixture
def failing_backend(settings):
    settings.EMAIL_BACKEND = "tests.notifications.test_outbox.FailingBackend"
    FailingBackend.errors = []
    return FailingBackend


def test_queuing_the_same_email_twice_yields_one_row():
    first = queue(1)[0]
    again = queue(1)[0]
    assert first.pk == again.pk
    assert OutboundEmail.objects.count() == 1
    assert first.to == "customer0@example.com"


def test_a_due_email_is_sent_once_and_records_the_provider_id(settings):
    settings.EMAIL_BACKEND = settings.OUTBOX_ONLY_BACKEND
    email = queue(1)[0]
    assert services.email_deliver(email_id=email.pk) == EmailStatus.SENT
    assert services.email_deliver(email_id=email.pk) is None  # already sent: nothing happens
    email.refresh_from_db()
    assert (email.status, email.attempts) == (EmailStatus.SENT, 1)
    assert email.provider_message_id.startswith("outbox-")
    assert email.sent_at is not None


def test_email_carries_html_and_the_calendar_invite():
    email = services.email_enqueue(
        key="k",
        kind=EmailKind.REGISTRATION_CONFIRMED,
        to="a@example.com",
        subject="S",
        body_text="text",
        body_html="<p>html</p>",
        calendar="BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
    )
    services.email_deliver(email_id=email.pk)
    (message,) = mail.outbox
    assert message.alternatives[0][1] == "text/html"
    assert message.attachments[0][0] == "invite.ics"


def test_an_email_scheduled_for_later_waits():
    email = queue(1, scheduled_at=timezone.now() + timedelta(days=7))[0]
    assert services.email_deliver(email_id=email.pk) is None
    assert services.emails_send_due().sent == 0
    email.refresh_from_db()
    assert email.status == EmailStatus.QUEUED


def test_sign_in_links_go_before_everything_else():
    queue(5, kind=EmailKind.REMINDER_WEEK)
    queue(1, kind=EmailKind.MAGIC_LINK)
    services.emails_send_due(limit=1)
    assert mail.outbox[0].subject == "Subject 0"
    assert OutboundEmail.objects.get(status=EmailStatus.SENT).kind == EmailKind.MAGIC_LINK


def test_a_transient_error_requeues_with_backoff_then_sends(failing_backend):
    failing_backend.errors = [
        ClientError({"Error": {"Code": "Throttling", "Message": "Maximum sending rate exceeded."}}, "SendEmail")
    ]
    email = queue(1)[0]
    before = timezone.now()
    assert services.email_deliver(email_id=email.pk) == EmailStatus.QUEUED
    email.refresh_from_db()
    assert email.status == EmailStatus.QUEUED
    assert "Throttling" in email.last_error
    assert email.scheduled_at >= before + timedelta(minutes=1)
    OutboundEmail.objects.filter(pk=email.pk).update(scheduled_at=timezone.now())
    assert services.email_deliver(email_id=email.pk) == EmailStatus.SENT
    email.refresh_from_db()
    assert (email.attempts, email.last_error) == (2, "")


def test_a_permanent_error_fails_with_the_reason(failing_backend):
    failing_backend.errors = [
        ClientError({"Error": {"Code": "MessageRejected", "Message": "Email address is not verified."}}, "SendEmail")
    ]
    email = queue(1)[0]
    assert services.email_deliver(email_id=email.pk) == EmailStatus.FAILED
    email.refresh_from_db()
    assert email.status == EmailStatus.FAILED
    assert "MessageRejected" in email.last_error and "not verified" in email.last_error


def test_a_transient_error_gives_up_after_the_last_attempt(failing_backend):
    email = queue(1)[0]
    OutboundEmail.objects.filter(pk=email.pk).update(attempts=services.MAX_ATTEMPTS - 1)
    failing_backend.errors = [smtplib.SMTPServerDisconnected("gone")]
    assert services.email_deliver(email_id=email.pk) == EmailStatus.FAILED


def test_smtp_4xx_is_retried_and_5xx_is_not(failing_backend):
    busy, refused = queue(2)
    failing_backend.errors = [smtplib.SMTPResponseException(421, b"try later")]
    assert services.email_deliver(email_id=busy.pk) == EmailStatus.QUEUED
    failing_backend.errors = [smtplib.SMTPResponseException(550, b"no such user")]
    assert services.email_deliver(email_id=refused.pk) == EmailStatus.FAILED


def test_a_row_left_sending_by_a_dead_worker_is_sent_once_after_the_sweep():
    email = queue(1)[0]
    claimed = services._claim(email_id=email.pk)  # the worker claims it … and dies
    assert claimed.status == EmailStatus.SENDING
    assert services.emails_send_due().sent == 0  # nobody else may take it meanwhile
    assert services.emails_release_stale() == 0  # not stale yet
    later = timezone.now() + services.STALE_AFTER + timedelta(seconds=1)
    assert services.emails_release_stale(now=later) == 1
    assert services.emails_send_due().sent == 1
    assert services.emails_send_due().sent == 0
    assert len(mail.outbox) == 1
    email.refresh_from_db()
    assert (email.status, email.attempts) == (EmailStatus.SENT, 2)


def test_a_swept_row_is_not_marked_by_the_worker_that_lost_it():
    email = queue(1)[0]
    stale_claim = services._claim(email_id=email.pk)
    services.emails_release_stale(now=timezone.now() + services.STALE_AFTER * 2)
    # The late worker's outcome must not overwrite the row it no longer owns.
    assert services._finish(stale_claim, status=EmailStatus.FAILED) is False
    email.refresh_from_db()
    assert email.status == EmailStatus.QUEUED


def test_a_suppressed_address_is_skipped_with_the_reason():
    SuppressedAddress.objects.create(email="gone@example.com", reason=SuppressionReason.BOUNCE, detail="550 5.1.1")
    email = queue(1, to="Gone@Example.com")[0]
    assert services.email_deliver(email_id=email.pk) == EmailStatus.CANCELLED
    email.refresh_from_db()
    assert "suppressed" in email.last_error and "Hard bounce" in email.last_error
    assert mail.outbox == []


def test_suppressing_an_address_cancels_what_is_queued_for_it():
    waiting = queue(1, to="angry@example.com", scheduled_at=timezone.now() + timedelta(days=1))[0]
    services.address_suppress(email="ANGRY@example.com", reason=SuppressionReason.COMPLAINT)
    waiting.refresh_from_db()
    assert waiting.status == EmailStatus.CANCELLED


def test_cancelling_touches_only_queued_emails():
    email = queue(1, scheduled_at=timezone.now() + timedelta(days=3))[0]
    assert services.email_cancel(key=email.key, reason="registration cancelled")
    assert not services.email_cancel(key=email.key, reason="sent twice")  # already cancelled: left as it is
    email.refresh_from_db()
    assert (email.status, email.last_error) == (EmailStatus.CANCELLED, "registration cancelled")


def test_an_anonymised_row_is_never_sent():
    email = queue(1)[0]
    OutboundEmail.objects.filter(pk=email.pk).update(to="")
    assert services.email_deliver(email_id=email.pk) == EmailStatus.CANCELLED


def test_the_rate_limit_spaces_reservations_evenly():
    waits = [rate_limit.reserve_slot("test", 10, now=1000.0) for _ in range(5)]
    assert waits == pytest.approx([0.0, 0.1, 0.2, 0.3, 0.4])
    # After a quiet spell nothing is owed: no burst is saved up either.
    assert rate_limit.reserve_slot("test", 10, now=2000.0) == 0.0
    assert rate_limit.reserve_slot("test", 10, now=2000.0) == pytest.approx(0.1)


@pytest.mark.postgres
def test_two_workers_sending_at_once_send_every_email_exactly_once(
    transactional_db, require_postgres, settings, monkeypatch
):
    settings.EMAIL_BACKEND = "tests.notifications.test_outbox.CountingBackend"
    CountingBackend.sent = []
    # Queue everything first; the eager kick would otherwise send rows before the workers start.
    monkeypatch.setattr(services, "_kick_senders", lambda: None)
    queue(300)
    reports, errors = [], []

    def worker():
        try:
            reports.append(services.emails_send_due())
        except Exception as error:  # surfaced below: a thread's exception is otherwise lost
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(CountingBackend.sent) == sorted(f"customer{i}@example.com" for i in range(300))
    assert sum(r.sent for r in reports) == 300
    assert all(r.sent > 0 for r in reports), "skip_locked should let every worker take a share"
    assert OutboundEmail.objects.filter(status=EmailStatus.SENT, attempts=1).count() == 300


class CountingBackend(FailingBackend):
    sent: list[str] = []
    _lock = threading.Lock()

    def send_messages(self, messages):
        with CountingBackend._lock:
            CountingBackend.sent.extend(m.to[0] for m in messages)
        return len(messages)
