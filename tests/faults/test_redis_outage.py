"""Redis (cache and broker) is down while customers register.

Registration needs only the database: every customer is answered and gets their seat or waitlist
place, and their emails wait in the outbox, which is in the database too. Once Redis is back, the
beat's dispatcher drains the outbox through a real worker and every email goes out exactly once.
"""

from __future__ import annotations

import re
import time
from collections import Counter

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cpp_portal.celery import DEFAULT_QUEUE
from notifications.models import EmailStatus, OutboundEmail
from notifications.tasks import dispatch_due_emails
from tests.factories import AccountManagerFactory, SignedUpCustomerFactory, open_workshop
from tests.workshops.test_real_worker import running_worker, wait_until
from workshops.invitations import invitation_for
from workshops.models import Registration, RegistrationStatus

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

SEATS = 4
CUSTOMERS = 7
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
# A registration that waits for Redis's timeouts is an outage for the customer all the same.
SLOWEST_ANSWER_SECONDS = 3.0


def register_through_the_page(customer, invitation_path: str) -> tuple[int, str, float]:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(customer, backend="sesame.backends.ModelBackend")
    page = browser.get(invitation_path)
    assert page.status_code == 200, page.content[:500]
    token = CSRF.search(page.content.decode()).group(1)
    started = time.monotonic()
    answer = browser.post(invitation_path, {"csrfmiddlewaretoken": token})
    return answer.status_code, answer.get("Location", ""), time.monotonic() - started


def due_keys() -> set[str]:
    return set(OutboundEmail.objects.filter(scheduled_at__lte=timezone.now()).values_list("key", flat=True))


def test_registrations_are_saved_and_answered_while_redis_is_down_and_emails_go_once_it_is_back(
    redis_everywhere, require_postgres, transactional_db
):
    redis = redis_everywhere
    workshop = open_workshop(capacity=SEATS)
    invitation = invitation_for(workshop=workshop, account_manager=AccountManagerFactory())
    invitation_path = reverse("workshops:invitation", args=[invitation.token])
    customers = SignedUpCustomerFactory.create_batch(CUSTOMERS)

    redis.stop()
    answers = [register_through_the_page(customer, invitation_path) for customer in customers]

    my_workshops = reverse("workshops:my_workshops")
    assert [(status, location) for status, location, _ in answers] == [(302, my_workshops)] * CUSTOMERS
    assert max(seconds for *_, seconds in answers) < SLOWEST_ANSWER_SECONDS, answers
    statuses = Counter(Registration.objects.filter(workshop=workshop).values_list("status", flat=True))
    assert statuses == {RegistrationStatus.CONFIRMED: SEATS, RegistrationStatus.WAITLISTED: CUSTOMERS - SEATS}
    waiting = due_keys()
    assert len(waiting) == CUSTOMERS  # a confirmation or a waitlist notice each, due now, nothing sent yet
    assert set(OutboundEmail.objects.filter(key__in=waiting).values_list("status", flat=True)) == {EmailStatus.QUEUED}
    assert mail.outbox == []

    redis.start()
    with running_worker([DEFAULT_QUEUE]):
        dispatch_due_emails.delay()  # the beat's minute tick

        def all_sent() -> bool:
            return not OutboundEmail.objects.filter(key__in=waiting).exclude(status=EmailStatus.SENT).exists()

        wait_until(all_sent, what="the outbox to drain after Redis came back")
        time.sleep(0.5)  # a second sender of the same tick must find nothing left to send

    sent = Counter(message.extra_headers["X-CPP-Email-Key"] for message in mail.outbox)
    assert sent == dict.fromkeys(waiting, 1)
    recipients = sorted(address for message in mail.outbox for address in message.to)
    assert recipients == sorted(customer.email for customer in customers)
