"""Celery tasks of the outbox: thin, by id where there is one, safe to run twice."""

from celery import shared_task
from django.conf import settings

from notifications import services


@shared_task(acks_late=True)
def send_due_emails() -> None:
    services.emails_send_due()


@shared_task(acks_late=True)
def dispatch_due_emails() -> None:
    """Each minute: hand back rows of lost workers, then start the send loops."""
    services.emails_release_stale()
    for _ in range(settings.CPP_EMAIL_SENDERS):
        send_due_emails.delay()
