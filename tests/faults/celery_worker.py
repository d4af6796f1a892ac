"""`python -m tests.faults.celery_worker QUEUES`: a real Celery worker process for the fault tests.

It is the portal's own worker (prefork pool, one child, late acks) on the test's database, Redis
and moto server, with three test-only changes read from the environment:

- FAULTS_LEASE_SECONDS: the claims a dead worker leaves behind (credential leases, cleanup target
  claims, emails left `sending`) run out after this many seconds instead of minutes, so a test
  can watch the recovery instead of waiting a quarter of an hour;
- FAULTS_AWS_LATENCY and FAULTS_SLOW_CALLS: every call to those AWS services (or operations) takes that long,
  so a kill lands in the middle of the work (moto answers at once);
- FAULTS_CLEANER_TYPES and FAULTS_REGIONS: the cleaner sweeps only those resource types and
  regions (all ~340 types in every region would take minutes against moto), and its detector
  asks Cloud Control for no type (moto's server has no Cloud Control and answers 500 for it).
"""

from __future__ import annotations

import os
import sys
import time
from datetime import timedelta


def _shorten_leases(seconds: int) -> None:
    from cleaner import runs as cleanup_runs
    from notifications import services as outbox
    from workshops.sandbox.provisioning import runs as provisioning_runs

    provisioning_runs.LEASE_SECONDS = seconds
    cleanup_runs.LEASE = timedelta(seconds=seconds)
    outbox.STALE_AFTER = timedelta(seconds=seconds)


def _slow_aws(latency: float, calls: set[str]) -> None:
    """Slow every call of the services in `calls` ("iam") or just the operations named ("sqs.DeleteQueue")."""
    from botocore import handlers

    def round_trip(event_name: str, **kwargs):
        _, service, operation = event_name.split(".", 2)
        if service in calls or f"{service}.{operation}" in calls:
            time.sleep(latency)
        return None  # let the request go to the (moto) endpoint

    handlers.BUILTIN_HANDLERS.append(("before-send", round_trip))


def _narrow_the_cleaner(types: set[str], regions: list[str]) -> None:
    from cleaner import detector, engine, safety

    detector.CLOUD_CONTROL_TYPES = ()
    every_type = engine.resource_types

    def chosen_types(services=()):
        return [t for t in every_type(services) if t.type in types]

    engine.resource_types = chosen_types
    if regions:
        safety.enabled_regions = lambda account_id: list(regions)


def main(queues: str) -> None:
    import django

    django.setup()
    from django.conf import settings

    from cpp_portal.celery import app

    environ = os.environ
    if environ.get("FAULTS_LEASE_SECONDS"):
        _shorten_leases(int(environ["FAULTS_LEASE_SECONDS"]))
    if environ.get("FAULTS_AWS_LATENCY"):
        _slow_aws(float(environ["FAULTS_AWS_LATENCY"]), set(environ.get("FAULTS_SLOW_CALLS", "").split(",")))
    if environ.get("FAULTS_CLEANER_TYPES"):
        regions = [region for region in environ.get("FAULTS_REGIONS", "").split(",") if region]
        _narrow_the_cleaner(set(environ["FAULTS_CLEANER_TYPES"].split(",")), regions)
    if environ.get("FAULTS_EMAIL_BACKEND"):
        settings.EMAIL_BACKEND = environ["FAULTS_EMAIL_BACKEND"]
    settings.CPP_PROVISIONING_THREADS = int(environ.get("FAULTS_PROVISIONING_THREADS", "2"))
    settings.CPP_CLEANER_RESCAN_PAUSE_SECONDS = 0
    # The test settings run tasks eagerly; a worker hands what its tasks queue to the broker, as in production.
    app.conf.task_always_eager = False
    app.conf.broker_transport_options = {
        **settings.CELERY_BROKER_TRANSPORT_OPTIONS,
        "global_keyprefix": environ["FAULTS_BROKER_PREFIX"],
    }
    app.worker_main(
        [
            "worker",
            "--pool",
            "prefork",
            "--concurrency",
            "1",
            "--queues",
            queues,
            "--loglevel",
            "INFO",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "--hostname",
            f"faults-{os.getpid()}@%h",
        ]
    )


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "default,cleaner")
