"""The outbox: queue an email once, send it once, never lose it.

An email is a row before it is anything else. A sender claims a due row with
`select_for_update(skip_locked=True)` and marks it `sending` in its own short transaction, so
two workers never take the same row; the send happens outside any transaction; the result is
written only if the row is still ours. A worker that dies mid-send leaves the row `sending`,
and the sweeper hands it back after STALE_AFTER.

The bodies of an email that carries someone's key are stored sealed (notifications.sealing):
only the sender opens them, to build the message it hands to the backend.
"""

from __future__ import annotations

import logging
import smtplib
import socket
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)
from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.utils import timezone

from notifications import sealing
from notifications.models import (
    DEFAULT_PRIORITY,
    PRIORITY,
    EmailStatus,
    OutboundEmail,
    SuppressedAddress,
    SuppressionReason,
)
from notifications.rate_limit import wait_for_slot

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
# Long enough that no live send is still running (SES answers in well under a minute).
STALE_AFTER = timedelta(minutes=10)
RATE_LIMIT_NAME = "email"
# SES answers these when it is busy or briefly unable; they are worth another try later.
TRANSIENT_SES_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "TooManyRequestsException",
        "LimitExceededException",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "InternalFailure",
        "InternalServiceError",
        "RequestTimeout",
        "RequestTimeoutException",
    }
)
TRANSIENT_ERRORS = (
    EndpointConnectionError,
    ConnectionClosedError,
    ConnectTimeoutError,
    ReadTimeoutError,
    smtplib.SMTPServerDisconnected,
    smtplib.SMTPConnectError,
    socket.timeout,
    ConnectionError,
    TimeoutError,
)


def email_enqueue(
    *,
    key: str,
    kind: str,
    to: str,
    subject: str,
    body_text: str,
    body_html: str = "",
    language: str = "en",
    scheduled_at: datetime | None = None,
    workshop_id: int | None = None,
    registration_id: int | None = None,
    recipient_id: int | None = None,
    calendar: str = "",
) -> OutboundEmail:
    """Queue a rendered email under `key`; queuing the same key again returns the first row."""
    values = {
        "kind": kind,
        "to": to.strip().lower(),
        "subject": subject.strip()[:300],
        **sealing.body_fields(kind=kind, body_text=body_text, body_html=body_html),
        "language": language,
        "scheduled_at": scheduled_at or timezone.now(),
        "workshop_id": workshop_id,
        "registration_id": registration_id,
        "recipient_id": recipient_id,
        "calendar": calendar,
        "priority": PRIORITY.get(kind, DEFAULT_PRIORITY),
    }
    try:
        with transaction.atomic():
            email, created = OutboundEmail.objects.get_or_create(key=key, defaults=values)
    except IntegrityError:  # a concurrent enqueue of the same key won the insert
        email, created = OutboundEmail.objects.get(key=key), False
    if created and email.scheduled_at <= timezone.now():
        transaction.on_commit(_kick_senders)
    return email


def email_enqueue_rendered(*, kind: str, key: str, to: str, language: str, context: dict, **fields) -> OutboundEmail:
    """Render a `kind` email in `language` and queue it under `key` (see email_enqueue)."""
    from notifications.rendering import email_language, render_email

    language = email_language(language)
    rendered = render_email(kind=kind, language=language, context=context)
    return email_enqueue(
        key=key,
        kind=kind,
        to=to,
        subject=rendered.subject,
        body_text=rendered.body_text,
        body_html=rendered.body_html,
        language=language,
        **fields,
    )


def email_enqueue_for(*, recipient, kind: str, key: str, context: dict, **fields) -> OutboundEmail:
    """Queue a `kind` email to a person, in their preferred language."""
    return email_enqueue_rendered(
        kind=kind,
        key=key,
        to=recipient.email,
        language=recipient.preferred_language,
        context=context,
        recipient_id=recipient.pk,
        **fields,
    )


def _kick_senders() -> None:
    # Due emails go out now rather than at the next beat tick; one kick per few seconds is
    # enough because a sender keeps claiming until nothing is due.
    from cpp_portal.middleware import UNAVAILABLE
    from notifications.tasks import send_due_emails

    # Only a head start: the row is saved, and the beat's minute tick sends it whatever happens here.
    # With Redis (cache and broker) down, the registration or sign-in that queued it must still succeed.
    try:
        if cache.add("outbox:kick", 1, timeout=3):
            send_due_emails.delay()
    except UNAVAILABLE as error:
        log.warning("outbox: could not start a sender now, the dispatcher will: %s: %s", type(error).__name__, error)


def email_rerender(*, email_id: int, kind: str, subject: str, body_text: str, body_html: str, scheduled_at) -> bool:
    """Give a still-queued email new words and a new time (a workshop moved); False if it has left."""
    return bool(
        OutboundEmail.objects.filter(pk=email_id, status=EmailStatus.QUEUED).update(
            scheduled_at=scheduled_at,
            subject=subject.strip()[:300],
            **sealing.body_fields(kind=kind, body_text=body_text, body_html=body_html),
            updated_at=timezone.now(),
        )
    )


def email_cancel(*, key: str, reason: str) -> bool:
    """Withdraw a queued email; False if it has already left (or never existed)."""
    return bool(
        OutboundEmail.objects.filter(key=key, status=EmailStatus.QUEUED).update(
            status=EmailStatus.CANCELLED, last_error=reason[:1000], updated_at=timezone.now()
        )
    )


# --- Sending -------------------------------------------------------------------------------


def _claim(*, email_id: int | None = None) -> OutboundEmail | None:
    now = timezone.now()
    with transaction.atomic():
        due = OutboundEmail.objects.select_for_update(skip_locked=True).filter(
            status=EmailStatus.QUEUED, scheduled_at__lte=now
        )
        if email_id is not None:
            due = due.filter(pk=email_id)
        email = due.order_by("priority", "scheduled_at", "pk").first()
        if email is None:
            return None
        email.status = EmailStatus.SENDING
        email.claimed_at = now
        email.attempts += 1
        email.save(update_fields=["status", "claimed_at", "attempts", "updated_at"])
    return email


def _finish(email: OutboundEmail, **changes) -> bool:
    # Only the claim that sent it may record the outcome: a swept and reclaimed row is not ours.
    changes["updated_at"] = timezone.now()
    if changes["status"] != EmailStatus.QUEUED and not sealing.kept_after_sending():
        # Sent, failed for good or cancelled: nothing sends it again, so its key has no reason to stay, even sealed.
        changes["sealed_bodies"] = ""
    return bool(
        OutboundEmail.objects.filter(pk=email.pk, status=EmailStatus.SENDING, claimed_at=email.claimed_at).update(
            **changes
        )
    )


def _is_transient(error: BaseException) -> bool:
    if isinstance(error, ClientError):
        return error.response.get("Error", {}).get("Code") in TRANSIENT_SES_CODES
    if isinstance(error, smtplib.SMTPResponseException):
        return 400 <= error.smtp_code < 500
    return isinstance(error, TRANSIENT_ERRORS)


def retry_delay(attempts: int) -> timedelta:
    """Backoff after a transient failure: 1, 2, 4 … minutes, at most an hour."""
    return timedelta(minutes=min(60, 2 ** max(0, attempts - 1)))


def _message(email: OutboundEmail) -> EmailMultiAlternatives:
    body_text, body_html = sealing.bodies(email)
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email.to],
        headers={"X-CPP-Email-Key": email.key[:200]},
    )
    if body_html:
        message.attach_alternative(body_html, "text/html")
    if email.calendar:
        # Calendar apps read the method from the MIME type as well as from the file.
        method = "CANCEL" if "\r\nMETHOD:CANCEL\r\n" in email.calendar else "REQUEST"
        message.attach("invite.ics", email.calendar, f"text/calendar; charset=utf-8; method={method}")
    return message


def _suppression(address: str) -> SuppressedAddress | None:
    return SuppressedAddress.objects.filter(email=address.strip().lower()).first()


def _send_claimed(email: OutboundEmail, connection) -> str:
    """Send one claimed email and record the outcome; returns the status it ended in."""
    if not email.to:
        _finish(email, status=EmailStatus.CANCELLED, last_error="No recipient (anonymised).")
        return EmailStatus.CANCELLED
    suppressed = _suppression(email.to)
    if suppressed:
        _finish(
            email,
            status=EmailStatus.CANCELLED,
            last_error=f"Not sent: {email.to} is suppressed ({suppressed.get_reason_display()}"
            f"{': ' + suppressed.detail if suppressed.detail else ''}).",
        )
        return EmailStatus.CANCELLED
    try:
        message = _message(email)
    except sealing.SealBroken as error:
        # SECRET_KEY changed with no fallback for the old one: no retry will open it either.
        _finish(email, status=EmailStatus.FAILED, last_error=str(error))
        log.error("email %s failed: %s", email.pk, error)
        return EmailStatus.FAILED
    wait_for_slot(RATE_LIMIT_NAME, settings.CPP_EMAIL_MAX_PER_SECOND)
    try:
        connection.send_messages([message])
    except Exception as error:
        reason = f"{type(error).__name__}: {error}"[:1000]
        if _is_transient(error) and email.attempts < MAX_ATTEMPTS:
            _finish(
                email,
                status=EmailStatus.QUEUED,
                last_error=reason,
                scheduled_at=timezone.now() + retry_delay(email.attempts),
            )
            log.warning("email %s: transient failure, retrying: %s", email.pk, reason)
            return EmailStatus.QUEUED
        _finish(email, status=EmailStatus.FAILED, last_error=reason)
        log.error("email %s failed: %s", email.pk, reason)
        return EmailStatus.FAILED
    _finish(
        email,
        status=EmailStatus.SENT,
        sent_at=timezone.now(),
        last_error="",
        provider_message_id=str(message.extra_headers.get("message_id", ""))[:200],
    )
    return EmailStatus.SENT


def email_deliver(*, email_id: int) -> str | None:
    """Send one email if it is still queued and due; None when someone else has it or it left."""
    email = _claim(email_id=email_id)
    if email is None:
        return None
    with get_connection() as connection:
        return _send_claimed(email, connection)


@dataclass
class SendReport:
    sent: int = 0
    failed: int = 0
    retried: int = 0
    cancelled: int = 0

    def count(self, status: str) -> None:
        field = {
            EmailStatus.SENT: "sent",
            EmailStatus.FAILED: "failed",
            EmailStatus.QUEUED: "retried",
            EmailStatus.CANCELLED: "cancelled",
        }[status]
        setattr(self, field, getattr(self, field) + 1)


def emails_send_due(*, budget_seconds: float = 50.0, limit: int | None = None) -> SendReport:
    """Claim and send due emails, most urgent first, until none are due or the budget is spent."""
    report, started, handled = SendReport(), time.monotonic(), 0
    with get_connection() as connection:
        while time.monotonic() - started < budget_seconds and (limit is None or handled < limit):
            email = _claim()
            if email is None:
                break
            report.count(_send_claimed(email, connection))
            handled += 1
    return report


def emails_release_stale(*, now: datetime | None = None) -> int:
    """Hand back rows a dead worker left in `sending`, so they are sent after all."""
    now = now or timezone.now()
    released = OutboundEmail.objects.filter(status=EmailStatus.SENDING, claimed_at__lt=now - STALE_AFTER).update(
        status=EmailStatus.QUEUED,
        last_error="The worker sending this was lost; queued again.",
        updated_at=now,
    )
    if released:
        log.warning("released %s emails left in sending by a lost worker", released)
    return released


# --- Suppression -----------------------------------------------------------------------------


def address_suppress(*, email: str, reason: str, detail: str = "") -> SuppressedAddress:
    """Send nothing more to `email`; queued emails to it are cancelled with the reason."""
    address = email.strip().lower()
    suppressed, _ = SuppressedAddress.objects.get_or_create(
        email=address, defaults={"reason": reason, "detail": detail[:300]}
    )
    OutboundEmail.objects.filter(to=address, status=EmailStatus.QUEUED).update(
        status=EmailStatus.CANCELLED,
        last_error=f"Not sent: {address} is suppressed ({SuppressionReason(reason).label}).",
        updated_at=timezone.now(),
    )
    return suppressed
