"""Where a sweep runs (one account, one region) and how fast it may call AWS there.

AWS rate limits are per account, per region, per API: so a pacer keeps one token bucket per
(account, region, API class), shared by every thread of the process, and a botocore hook makes
each call take a token before it is sent. botocore's adaptive retries handle what still gets
throttled. Clients come from cpp_portal.aws, which caches them per (account, region, service).
"""

from __future__ import annotations

import threading
import time
import weakref
from dataclasses import dataclass

from cpp_portal import aws

# Where global services (IAM …) are called from.
GLOBAL_REGION = "us-east-1"


@dataclass(frozen=True)
class Rate:
    burst: float
    per_second: float


# AWS's documented defaults (shared/NOTES.md). A call takes a token from its operation's own
# bucket when it has one, else from its service's read or mutating bucket, else the default.
OPERATION_RATES: dict[str, Rate] = {
    "ec2.DeleteNatGateway": Rate(10, 1),
    "ec2.DeleteVpcEndpoints": Rate(4, 0.3),
    "ec2.TerminateInstances": Rate(100, 5),
    "apigateway.DeleteRestApi": Rate(1, 1 / 30),
    "logs.DeleteLogGroup": Rate(5, 5),
    "logs.DescribeLogGroups": Rate(5, 5),
}
SERVICE_RATES: dict[tuple[str, str], Rate] = {
    ("ec2", "read"): Rate(100, 20),
    ("ec2", "mutating"): Rate(50, 5),
    ("lambda", "read"): Rate(15, 15),
    ("lambda", "mutating"): Rate(15, 15),
}
DEFAULT_RATE = Rate(20, 10)
READ_PREFIXES = ("Describe", "List", "Get", "Head", "Lookup", "Search", "Scan", "Query")


def api_class(service: str, operation: str) -> tuple[str, Rate]:
    """The bucket a call draws from, and that bucket's rate."""
    key = f"{service}.{operation}"
    if key in OPERATION_RATES:
        return key, OPERATION_RATES[key]
    kind = "read" if operation.startswith(READ_PREFIXES) else "mutating"
    return f"{service}.{kind}", SERVICE_RATES.get((service, kind), DEFAULT_RATE)


class TokenBucket:
    def __init__(self, rate: Rate):
        self.rate = rate
        self.tokens = rate.burst
        self.updated = time.monotonic()
        self.lock = threading.Lock()

    def take(self) -> float:
        """Take a token; returns how long the caller must wait for it (reserved, so no retry)."""
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.rate.burst, self.tokens + (now - self.updated) * self.rate.per_second)
            self.updated = now
            self.tokens -= 1
            return 0.0 if self.tokens >= 0 else -self.tokens / self.rate.per_second


class Pacer:
    """Token buckets per (account, region, API class), for every client of this process."""

    def __init__(self):
        self._buckets: dict[tuple[str, str, str], TokenBucket] = {}
        self._lock = threading.Lock()
        self._hooked: weakref.WeakSet = weakref.WeakSet()

    def wait(self, account_id: str, region: str, service: str, operation: str) -> None:
        name, rate = api_class(service, operation)
        key = (account_id, region, name)
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = TokenBucket(rate)
        delay = bucket.take()
        if delay:
            time.sleep(delay)

    def hook(self, client, account_id: str, region: str) -> None:
        """Make every call of `client` wait for its token first (once per client)."""
        with self._lock:
            if client in self._hooked:
                return
            self._hooked.add(client)
        service = client.meta.service_model.service_name

        def before_call(model, **kwargs):
            self.wait(account_id, region, service, model.name)

        client.meta.events.register("before-call", before_call)


PACER = Pacer()


@dataclass
class SweepContext:
    """One (account, region) of a sweep: its clients, paced."""

    account_id: str
    region: str
    pacer: Pacer = PACER

    def client(self, service: str):
        client = aws.member_client(self.account_id, service, self.region)
        self.pacer.hook(client, self.account_id, self.region)
        return client
