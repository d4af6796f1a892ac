"""Fixtures of the staff pages' tests: a signed-in SA's client and workshops with people in them."""

import pytest

from tests.factories import SignedUpCustomerFactory
from workshops.registrations import registration_create


@pytest.fixture
def sa_client(client, sa):
    client.force_login(sa)
    return client


def register(workshop, count: int = 1, **person) -> list:
    """`count` signed-up customers registered through the service (seats first, then the waitlist)."""
    return [
        registration_create(workshop_id=workshop.pk, attendee=SignedUpCustomerFactory(**person)) for _ in range(count)
    ]
