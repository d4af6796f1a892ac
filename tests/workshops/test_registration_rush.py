"""A rush on a popular workshop: a hundred people press Register at the same moment for twenty seats.

Each person is a thread with its own PostgreSQL connection, and a barrier releases them together,
so the registrations really contend for the workshop's row lock. The lock must hand out exactly
the seats there are, in the order people got it, and queue everyone else behind them.
"""

import threading
import time

import pytest
from django.db import connection, connections

from notifications import services as outbox
from tests.factories import CustomerFactory, WorkshopFactory
from workshops import registrations
from workshops.models import Registration, RegistrationStatus, Stage, Workshop

PEOPLE = 100
SEATS = 20


def _free_connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('max_connections')::int - count(*) FROM pg_stat_activity "
            "WHERE backend_type = 'client backend'"
        )
        return cursor.fetchone()[0]


@pytest.mark.postgres
def test_a_hundred_at_once_for_twenty_seats(require_postgres, transactional_db, monkeypatch):
    # Sending is the outbox's business (tested there); here only the rows must be queued.
    monkeypatch.setattr(outbox, "_kick_senders", lambda: None)
    workshop = WorkshopFactory(capacity=SEATS)
    Workshop.objects.filter(pk=workshop.pk).update(stage=Stage.REGISTRATION_OPEN)
    people = CustomerFactory.create_batch(PEOPLE)
    # A stock server allows 100 connections: this test gives its own back while the threads run.
    free = _free_connections() + 1
    assert free >= PEOPLE, f"PostgreSQL has {free} free connections; this test needs {PEOPLE} (max_connections)"
    connection.close()

    barrier = threading.Barrier(PEOPLE)
    outcomes: dict[int, str] = {}
    failures: list[BaseException] = []

    def press_register(person):
        try:
            connection.ensure_connection()  # open it before the start, so the race is the registration
            barrier.wait(timeout=60)
            registration = registrations.registration_create(workshop_id=workshop.pk, attendee=person)
            outcomes[person.pk] = registration.status
        except BaseException as error:  # reported below: a thread's exception is otherwise lost
            failures.append(error)
        finally:
            connections.close_all()  # this thread's connections, or the server runs out

    threads = [threading.Thread(target=press_register, args=(person,)) for person in people]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    elapsed = time.monotonic() - started

    assert not failures, failures
    assert len(outcomes) == PEOPLE
    queue = list(Registration.objects.filter(workshop=workshop).order_by("queued_at", "pk"))
    assert len(queue) == PEOPLE
    # Exactly the seats there are, to the twenty who got the lock first; then everyone else in order.
    assert [r.status for r in queue] == [RegistrationStatus.CONFIRMED] * SEATS + [RegistrationStatus.WAITLISTED] * (
        PEOPLE - SEATS
    )
    assert len({r.queued_at for r in queue}) == PEOPLE  # the lock serialised them: no two at once
    assert [registrations.waitlist_position(r) for r in queue[SEATS:]] == list(range(1, PEOPLE - SEATS + 1))
    assert all(outcomes[r.attendee_id] == r.status for r in queue)  # what each was told is what they got
    print(f"\n{PEOPLE} simultaneous registrations for {SEATS} seats in {elapsed:.2f}s")
