"""Benchmark: GDPR anonymisation of 100,000 registrations, against one plain bulk UPDATE of the same rows.

Seeds workshops closed long ago with one customer per registration, an outbox row per registration
(with a calendar invite), survey comments, and some sign-in sessions; a few customers also hold a
place at a later workshop, so the run must leave them. It times one bulk UPDATE of the customers' personal columns
(rolled back), then the whole anonymisation run (every statement, in one transaction), and prints
both and their ratio.

    .venv/bin/python bench/anonymize.py [--registrations 100000] [--per-workshop 1000] [--sessions 2000]

Runs on a throwaway SQLite file, or on PostgreSQL when DATABASE_URL is set (a test database is
created and dropped).
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._database import throwaway_database  # noqa: E402 (needs the path above)

BATCH = 5000


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--registrations", type=int, default=100_000)
    parser.add_argument("--per-workshop", type=int, default=1000, help="registrations per workshop")
    parser.add_argument("--sessions", type=int, default=2000, help="signed-in sessions among the customers")
    parser.add_argument(
        "--blocked-every", type=int, default=100, help="every Nth customer also holds a place at a later workshop"
    )
    return parser.parse_args()


def seed(args) -> None:
    from django.contrib.auth import SESSION_KEY
    from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    from accounts.models import CustomerOrganisation, User
    from notifications.models import EmailKind, OutboundEmail
    from workshops.models import Registration, RegistrationStatus, Stage, SurveyAnswer, Topic, Workshop

    now = timezone.now()
    topic = Topic.objects.create(name="Serverless")
    organisations = CustomerOrganisation.objects.bulk_create(
        CustomerOrganisation(name=f"Company {i}", normalised_name=f"company {i}", country="ES") for i in range(200)
    )
    workshop_count = max(1, args.registrations // args.per_workshop)

    def workshop(i, starts, stage):
        return Workshop(
            title=f"Immersion Day {i}",
            topic=topic,
            venue="Madrid",
            starts_at=starts,
            ends_at=starts + timedelta(hours=7),
            registration_deadline=starts - timedelta(days=2),
            capacity=args.per_workshop,
            stage=stage,
        )

    past = Workshop.objects.bulk_create(
        workshop(i, now - timedelta(days=60 + i), Stage.CLOSED) for i in range(workshop_count)
    )
    later = Workshop.objects.bulk_create([workshop(-1, now + timedelta(days=10), Stage.REGISTRATION_OPEN)])[0]

    users = []
    for start in range(0, args.registrations, BATCH):
        users += User.objects.bulk_create(
            [
                User(
                    email=f"customer{i}@company{i % 200}.example",
                    first_name=f"First{i}",
                    last_name=f"Last{i}",
                    job_title="Cloud engineer",
                    phone=f"+34 600 {i:06d}",
                    organisation=organisations[i % 200],
                    country="ES",
                    password=UNUSABLE_PASSWORD_PREFIX,
                )
                for i in range(start, min(start + BATCH, args.registrations))
            ]
        )
    registrations = []
    for start in range(0, len(users), BATCH):
        registrations += Registration.objects.bulk_create(
            [
                Registration(
                    workshop=past[i // args.per_workshop % workshop_count],
                    attendee=users[i],
                    organisation=users[i].organisation,
                    status=RegistrationStatus.CONFIRMED,
                    queued_at=now - timedelta(days=90),
                    attended=i % 7 != 0,
                )
                for i in range(start, min(start + BATCH, len(users)))
            ]
        )
    Registration.objects.bulk_create(
        Registration(workshop=later, attendee=users[i], status=RegistrationStatus.CONFIRMED, queued_at=now)
        for i in range(0, len(users), args.blocked_every)
    )
    for start in range(0, len(registrations), BATCH):
        chunk = registrations[start : start + BATCH]
        OutboundEmail.objects.bulk_create(
            OutboundEmail(
                key=f"registration_confirmed:{r.pk}",
                kind=EmailKind.REGISTRATION_CONFIRMED,
                recipient_id=r.attendee_id,
                registration=r,
                workshop_id=r.workshop_id,
                to=f"customer{r.attendee_id}@example.com",
                subject="Your seat is confirmed",
                body_text=f"Hello First{r.attendee_id}",
                body_html=f"<p>Hello First{r.attendee_id}</p>",
                calendar="BEGIN:VCALENDAR",
                scheduled_at=now,
                status="sent",
            )
            for r in chunk
        )
        SurveyAnswer.objects.bulk_create(
            SurveyAnswer(
                registration=r,
                workshop_id=r.workshop_id,
                satisfaction=1 + r.pk % 5,
                would_recommend=True,
                comment=f"Great day, First{r.attendee_id}",
            )
            for r in chunk[::3]
        )
    store = SessionStore()
    Session.objects.bulk_create(
        Session(
            session_key=f"bench{i:032d}",
            session_data=store.encode({SESSION_KEY: str(users[i].pk)}),
            expire_date=now + timedelta(hours=8),
        )
        for i in range(0, len(users), max(1, len(users) // max(1, args.sessions)))
    )


def main() -> int:
    args = parse_args()
    database = throwaway_database("anonymize")
    from django.db import connection, transaction

    from accounts.models import User
    from privacy import services
    from privacy.models import AnonymisationRun

    started = time.perf_counter()
    seed(args)
    seeded = time.perf_counter() - started
    if database.on_postgres:
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")

    # The floor: one UPDATE of the same customers' personal columns, no subqueries, nothing else;
    # rolled back, then the tables vacuumed, so the run below meets the same tables.
    started = time.perf_counter()
    with transaction.atomic():
        baseline_rows = User.objects.filter(is_staff=False).update(
            first_name="", last_name="", job_title="", phone="", is_active=False
        )
        baseline = time.perf_counter() - started
        transaction.set_rollback(True)
    if database.on_postgres:
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")

    started = time.perf_counter()
    dry = services.customers_anonymise(trigger=AnonymisationRun.Trigger.COMMAND, dry_run=True)
    dry_elapsed = time.perf_counter() - started

    # Each step's own time, to show where a run spends it.
    step_seconds: dict[str, float] = {}
    apply = services._Step.apply

    def timed_apply(step):
        begun = time.perf_counter()
        try:
            return apply(step)
        finally:
            step_seconds[step.name] = time.perf_counter() - begun

    services._Step.apply = timed_apply
    started = time.perf_counter()
    run = services.customers_anonymise(trigger=AnonymisationRun.Trigger.COMMAND)
    elapsed = time.perf_counter() - started
    services._Step.apply = apply

    started = time.perf_counter()
    again = services.customers_anonymise(trigger=AnonymisationRun.Trigger.COMMAND)
    again_elapsed = time.perf_counter() - started

    print(f"database              {database.label}")
    print(f"registrations         {args.registrations} ({args.per_workshop} per workshop)")
    print(f"seeding               {seeded:.2f} s")
    print(f"dry run               {dry_elapsed:.2f} s")
    print(f"anonymisation run     {elapsed:.2f} s")
    for name, count in run.counts.items():
        seconds = f"{step_seconds[name]:.2f} s" if name in step_seconds else ""
        print(f"  {name:<20}  {count:>7}  {seconds}")
    print(f"second run            {again_elapsed:.2f} s (people {again.counts['people']})")
    print(f"one bulk UPDATE       {baseline:.2f} s ({baseline_rows} customers, rolled back)")
    print(f"run / bulk UPDATE     {elapsed / baseline:.1f}x")
    print(f"dry run == real run   {dry.counts == run.counts}")
    database.drop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
