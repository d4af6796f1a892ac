"""Benchmark: 5,000 queued emails through a simulated SES, sent by concurrent workers.

The simulated SES answers after a fixed latency and enforces its own maximum send rate (it
throttles anything faster, like SES does), so the figure shows how close the outbox's shared
rate limit gets to the configured rate without being throttled, and whether any email was sent
twice or not at all.

    .venv/bin/python bench/email_dispatch.py [--emails 5000] [--rate 100] [--latency-ms 50] [--workers 12]

Runs on a throwaway SQLite file, or on PostgreSQL when DATABASE_URL is set (a test database is
created and dropped).
"""

from __future__ import annotations

import argparse
import collections
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._database import throwaway_database  # noqa: E402 (needs the path above)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--emails", type=int, default=5000)
    parser.add_argument("--rate", type=float, default=100.0, help="configured max emails per second")
    parser.add_argument("--latency-ms", type=float, default=50.0, help="simulated SES answer time")
    parser.add_argument("--workers", type=int, default=12, help="concurrent send loops")
    return parser.parse_args()


class SimulatedSES:
    """Latency plus SES's own rate enforcement (a one-second sliding window), and a send log."""

    lock = threading.Lock()
    latency = 0.05
    max_rate = 100.0
    sent: collections.Counter = collections.Counter()
    recent: collections.deque = collections.deque()
    throttled = 0

    def __init__(self, *args, **kwargs):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def send_messages(self, messages):
        from botocore.exceptions import ClientError

        time.sleep(self.latency)
        now = time.monotonic()
        with SimulatedSES.lock:
            while SimulatedSES.recent and now - SimulatedSES.recent[0] > 1.0:
                SimulatedSES.recent.popleft()
            # A little slack for timer jitter, as SES itself allows short bursts.
            if len(SimulatedSES.recent) >= self.max_rate * 1.1:
                SimulatedSES.throttled += 1
                error = {"Error": {"Code": "Throttling", "Message": "Maximum sending rate exceeded."}}
                raise ClientError(error, "Send")
            SimulatedSES.recent.append(now)
            for message in messages:
                SimulatedSES.sent[message.extra_headers["X-CPP-Email-Key"]] += 1
                message.extra_headers["message_id"] = f"sim-{len(SimulatedSES.sent)}"
        return len(messages)


def main() -> int:
    args = parse_args()
    database = throwaway_database("email")
    from django.conf import settings
    from django.db import connections
    from django.utils import timezone

    from notifications import services
    from notifications.models import EmailKind, EmailStatus, OutboundEmail

    settings.EMAIL_BACKEND = "bench.email_dispatch.SimulatedSES"
    settings.CPP_EMAIL_MAX_PER_SECOND = args.rate
    SimulatedSES.latency = args.latency_ms / 1000
    SimulatedSES.max_rate = args.rate
    sys.modules.setdefault("bench.email_dispatch", sys.modules[__name__])

    OutboundEmail.objects.bulk_create(
        OutboundEmail(
            key=f"bench:{i}",
            kind=EmailKind.REMINDER_DAY,
            to=f"attendee{i}@example.com",
            subject=f"Reminder {i}",
            body_text="See you tomorrow",
            scheduled_at=timezone.now(),
        )
        for i in range(args.emails)
    )

    def worker():
        try:
            while services.emails_send_due(budget_seconds=3600).sent:
                pass
        finally:
            connections.close_all()

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(args.workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    # Rows a throttle put back for later: the bench lets them be due at once and finishes them.
    retried = OutboundEmail.objects.filter(status=EmailStatus.QUEUED).update(scheduled_at=timezone.now())
    if retried:
        worker()

    sent_rows = OutboundEmail.objects.filter(status=EmailStatus.SENT).count()
    duplicates = sum(n - 1 for n in SimulatedSES.sent.values() if n > 1)
    losses = args.emails - len(SimulatedSES.sent)
    achieved = len(SimulatedSES.sent) / elapsed
    print(f"database            {database.label}")
    print(f"emails              {args.emails}")
    print(f"workers             {args.workers}")
    print(f"simulated latency   {args.latency_ms:.0f} ms per send")
    print(f"configured rate     {args.rate:.1f} /s")
    print(f"wall time           {elapsed:.2f} s")
    print(f"achieved rate       {achieved:.1f} /s")
    print(f"rate / configured   {achieved / args.rate:.3f}")
    print(f"throttled by SES    {SimulatedSES.throttled}")
    print(f"rows marked sent    {sent_rows}")
    print(f"duplicates          {duplicates}")
    print(f"losses              {losses}")
    database.drop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
