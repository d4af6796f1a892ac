"""A worker killed with SIGKILL in the middle of its work: after a restart everything finishes, once.

Real `celery worker` processes (tests/faults/celery_worker.py) on a Redis of the test's own, with
AWS answered by a moto server in this process, so what AWS holds can be counted exactly:

- sending emails: the whole worker dies while it holds an email it has claimed but not sent; a
  new worker and the beat's dispatcher send every email, each exactly once;
- provisioning: the process running the task dies half-way through the IAM users; Celery hands
  the task out again and it finishes once the dead run's leases run out, each user made once,
  with the password the portal stored. When the whole worker dies, Redis keeps its task
  unacknowledged until the visibility timeout (days): the beat's tend_lost_work takes it up;
- cleaning: the process sweeping an account dies half-way; the redelivered sweep waits out the
  dead one's claim and finishes, each resource deleted and counted once.

The claims a dead worker leaves last minutes in production; the worker here shortens them to a few
seconds (FAULTS_LEASE_SECONDS) so the test watches the recovery happen.
"""

from __future__ import annotations

import contextlib
import email
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
from django.db import connection
from django.test import override_settings
from moto.core import DEFAULT_ACCOUNT_ID
from moto.server import ThreadedMotoServer

from cleaner import runs
from cleaner.models import CleanupItem, CleanupRun, CleanupTarget
from cpp_portal.aws import forget_clients, hub_client, member_client
from cpp_portal.celery import app as celery_app
from notifications import services as outbox
from notifications.models import EmailStatus, OutboundEmail, RateLimitSlot
from notifications.tasks import dispatch_due_emails
from tests.aws_fakes import FakeOrganization, workshop_with_attendees
from tests.faults.servers import stop_process_group
from tests.workshops.test_real_worker import wait_until
from workshops import services
from workshops.models import Credential, CredentialStatus, SandboxAccount, SandboxAccountState
from workshops.sandbox import key_ring
from workshops.tasks import tend_lost_work

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

BASE_DIR = Path(__file__).resolve().parent.parent.parent
LEASE_SECONDS = 3
LONG_LEASE = 10
REGION = "eu-west-1"
SENDER = "cpp@example.com"


class Worker:
    """One `celery worker` process group; its log is kept for the failure message."""

    def __init__(self, environment: dict[str, str], log: Path, queues: str):
        self.log = log
        with open(log, "ab") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tests.faults.celery_worker", queues],
                cwd=BASE_DIR,
                env=environment,
                start_new_session=True,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        wait_until(lambda: " ready." in self.text(), timeout=60, what=f"a celery worker to start:\n{self.tail()}")

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.text().splitlines()[-lines:])

    def pool_processes(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()] if children.exists() else []

    def kill_the_task_process(self) -> None:
        """SIGKILL the pool process running the task: the worker itself sees it die and starts another."""
        [child] = self.pool_processes()
        os.kill(child, signal.SIGKILL)

    def kill_everything(self) -> None:
        """SIGKILL the worker and its pool at once, as when its machine or container dies."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        stop_process_group(self.process)


@pytest.fixture
def moto_server(monkeypatch):
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    requests.post(f"{url}/moto-api/reset", timeout=10)
    monkeypatch.setenv("AWS_ENDPOINT_URL", url)
    forget_clients()
    try:
        with override_settings(AWS_ENDPOINT_URL=url, AWS_SES_REGION_ENDPOINT_URL=url):
            yield url
    finally:
        forget_clients()
        server.stop()


def the_test_database_url() -> str:
    """The test database, which this test's transactions really commit to (transactional_db)."""
    db = connection.settings_dict
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    return f"postgres://{quote(db['USER'], safe='')}{password}@{host}:{port}/{db['NAME']}"


@pytest.fixture
def start_worker(require_postgres, redis_everywhere, moto_server, transactional_db, tmp_path):
    """start_worker(queues="default", **environment) → a running Worker; all are stopped at the end."""
    started: list[Worker] = []
    prefix = celery_app.conf.broker_transport_options["global_keyprefix"]
    base = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DEBUG")}
    base.update(
        DJANGO_SETTINGS_MODULE="cpp_portal.test_settings",
        DATABASE_URL=the_test_database_url(),
        REDIS_URL=redis_everywhere.url(0),
        AWS_ENDPOINT_URL=moto_server,
        AWS_SES_REGION_ENDPOINT_URL=moto_server,
        CPP_LOCAL_DIR=str(tmp_path / "local"),
        FAULTS_BROKER_PREFIX=prefix,
        FAULTS_LEASE_SECONDS=str(LEASE_SECONDS),
    )

    def start(queues: str = "default", **environment: str) -> Worker:
        worker = Worker({**base, **environment}, tmp_path / f"worker-{len(started)}.log", queues)
        started.append(worker)
        return worker

    try:
        yield start
    finally:
        for worker in started:
            worker.stop()


# --- Sending emails ---------------------------------------------------------------------------


def sent_by_ses() -> Counter:
    """Every email SES accepted, by the outbox key it carries."""
    from moto.ses.models import ses_backends

    backend = ses_backends[DEFAULT_ACCOUNT_ID][REGION]
    return Counter(email.message_from_string(m.raw_data)["X-CPP-Email-Key"] for m in backend.sent_messages)


def test_emails_of_a_worker_killed_while_sending_go_out_after_the_restart_each_once(start_worker):
    hub_client("ses", REGION).verify_email_identity(EmailAddress=SENDER)
    keys = [f"faults:{n}" for n in range(16)]
    for key in keys:
        outbox.email_enqueue(
            key=key,
            kind="reminder_day",
            to=f"{key.replace(':', '-')}@example.com",
            subject="See you tomorrow",
            body_text="Doors open at 9.",
        )
    email_worker = {"FAULTS_EMAIL_BACKEND": "django_ses.SESBackend", "CPP_EMAIL_MAX_PER_SECOND": "8"}
    worker = start_worker(**email_worker)
    wait_until(lambda: sum(sent_by_ses().values()) >= 4, what=f"the first emails to go out:\n{worker.tail()}")

    # From now on the next send waits an hour for its rate slot: the worker claims an email, then
    # holds it unsent. That is where it dies.
    RateLimitSlot.objects.filter(name=outbox.RATE_LIMIT_NAME).update(next_free_at=time.time() + 3600)

    def holding_one_unsent() -> bool:
        # Held, not merely between SES's answer and the row's update (a kill there would send it
        # twice; see notifications.services): the same claimed row and nothing sent for a second.
        def state():
            held = list(OutboundEmail.objects.filter(status=EmailStatus.SENDING).values_list("pk", flat=True))
            return held, sum(sent_by_ses().values()), OutboundEmail.objects.filter(status=EmailStatus.SENT).count()

        first = state()
        time.sleep(1.0)
        held, sent, marked_sent = state()
        return len(held) == 1 and (held, sent, marked_sent) == first and sent == marked_sent

    wait_until(holding_one_unsent, what=f"the worker to hold a claimed email:\n{worker.tail()}")
    worker.kill_everything()
    held = OutboundEmail.objects.get(status=EmailStatus.SENDING)
    before = sent_by_ses()
    assert held.key not in before and 4 <= sum(before.values()) < len(keys)

    RateLimitSlot.objects.filter(name=outbox.RATE_LIMIT_NAME).update(next_free_at=0)
    time.sleep(LEASE_SECONDS)  # the dead worker's claim runs out (ten minutes in production)
    start_worker(**email_worker)
    dispatch_due_emails.delay()  # the beat's minute tick: hand back what the dead worker held, send the rest

    def all_sent() -> bool:
        return not OutboundEmail.objects.exclude(status=EmailStatus.SENT).exists()

    wait_until(all_sent, timeout=60, what="the outbox to drain after the restart")
    assert sent_by_ses() == dict.fromkeys(keys, 1)
    held.refresh_from_db()
    assert held.attempts == 2 and held.status == EmailStatus.SENT


# --- Provisioning -----------------------------------------------------------------------------


def iam_users(account_id: str) -> set[str]:
    iam = member_client(account_id, "iam")
    return {user["UserName"] for page in iam.get_paginator("list_users").paginate() for user in page["Users"]}


def assert_each_user_made_once_with_the_password_stored(workshop) -> None:
    credentials = list(Credential.objects.filter(registration__workshop=workshop).select_related("sandbox_account"))
    for account in SandboxAccount.objects.filter(workshop=workshop):
        assert account.state == SandboxAccountState.IN_USE
        made_here = {c.iam_user_name for c in credentials if c.sandbox_account_id == account.pk}
        assert iam_users(account.aws_account_id) == made_here  # nothing made twice, nobody left out
    for credential in credentials:  # the password stored is the one that signs in, for those made twice too
        account_id = credential.sandbox_account.aws_account_id
        password = FakeOrganization.console_password(account_id, credential.iam_user_name)
        assert key_ring.decrypt(credential.password_encrypted) == password


def test_provisioning_killed_half_way_finishes_after_the_restart_each_user_made_once(start_worker):
    organization = FakeOrganization()
    accounts = organization.add_accounts(5)
    workshop = workshop_with_attendees(accounts, attendees=10, team=2, attendee_policy_arns=[])
    # The dead run's leases must outlast the redelivery, as 15 minutes outlast any real run.
    worker = start_worker(FAULTS_AWS_LATENCY="0.25", FAULTS_SLOW_CALLS="iam", FAULTS_LEASE_SECONDS=str(LONG_LEASE))

    services.workshop_close_registration(workshop_id=workshop.pk, actor=None)
    services.workshop_start(workshop_id=workshop.pk, actor=None)  # the worker provisions, slowly

    def ready() -> int:
        return Credential.objects.filter(registration__workshop=workshop, status=CredentialStatus.READY).count()

    wait_until(lambda: ready() >= 2, what=f"provisioning to get under way:\n{worker.tail()}")
    worker.kill_the_task_process()
    assert ready() < 10, "the kill came too late: provisioning had finished"

    wait_until(lambda: ready() == 10, timeout=90, what=f"provisioning to finish after the kill:\n{worker.tail(80)}")
    assert "WorkerLostError" in worker.text()  # it really died mid-task, and Celery handed the task out again
    assert_each_user_made_once_with_the_password_stored(workshop)
    credentials = Credential.objects.filter(registration__workshop=workshop)
    ready_emails = OutboundEmail.objects.filter(key__startswith="account_ready:", workshop=workshop)
    assert sorted(ready_emails.values_list("registration_id", flat=True)) == sorted(
        c.registration_id for c in credentials
    )


def test_provisioning_whose_whole_worker_was_killed_is_taken_up_by_the_beat_after_the_lease(start_worker):
    organization = FakeOrganization()
    accounts = organization.add_accounts(3)
    workshop = workshop_with_attendees(accounts, attendees=6, team=2, attendee_policy_arns=[])
    slow = {"FAULTS_AWS_LATENCY": "0.25", "FAULTS_SLOW_CALLS": "iam", "FAULTS_LEASE_SECONDS": str(LEASE_SECONDS)}
    worker = start_worker(**slow)
    services.workshop_close_registration(workshop_id=workshop.pk, actor=None)
    services.workshop_start(workshop_id=workshop.pk, actor=None)

    def ready() -> int:
        return Credential.objects.filter(registration__workshop=workshop, status=CredentialStatus.READY).count()

    wait_until(lambda: ready() >= 2, what=f"provisioning to get under way:\n{worker.tail()}")
    worker.kill_everything()  # its task stays unacknowledged in Redis until the visibility timeout (days)
    assert ready() < 6, "the kill came too late: provisioning had finished"

    start_worker(**slow)
    time.sleep(LEASE_SECONDS)  # the pending credentials outlive a run's lease
    tend_lost_work.delay()  # the beat's tick
    wait_until(lambda: ready() == 6, timeout=60, what="provisioning to be taken up again")
    assert_each_user_made_once_with_the_password_stored(workshop)


# --- Cleaning ---------------------------------------------------------------------------------


def test_a_sweep_killed_half_way_finishes_after_the_restart_each_resource_deleted_and_counted_once(start_worker):
    organization = FakeOrganization()
    [account] = organization.add_accounts(1)
    SandboxAccount.objects.filter(pk=account.pk).update(state=SandboxAccountState.CLEANING)
    sqs = member_client(account.aws_account_id, "sqs", REGION)
    queues = {sqs.create_queue(QueueName=f"attendee-queue-{n}")["QueueUrl"] for n in range(10)}

    def queues_left() -> int:
        from moto.sqs.models import sqs_backends

        return len(sqs_backends[account.aws_account_id][REGION].queues)

    worker = start_worker(
        "default,cleaner",
        FAULTS_AWS_LATENCY="0.4",
        FAULTS_SLOW_CALLS="sqs.DeleteQueue",
        FAULTS_CLEANER_TYPES="sqs.queue",
        FAULTS_REGIONS=REGION,
    )
    run = runs.cleanup_run_create(
        account_ids=[account.aws_account_id], trigger=CleanupRun.Trigger.COMMAND, dry_run=False
    )

    wait_until(lambda: queues_left() <= 8, what=f"the sweep to get under way:\n{worker.tail()}")
    worker.kill_the_task_process()
    assert queues_left() > 0, "the kill came too late: the sweep had finished"

    def run_done() -> bool:
        run.refresh_from_db()
        return run.status != CleanupRun.Status.RUNNING and run.status != CleanupRun.Status.QUEUED

    wait_until(run_done, timeout=90, what=f"the cleanup run to finish after the kill:\n{worker.tail(80)}")
    assert "WorkerLostError" in worker.text()
    assert run.status == CleanupRun.Status.DONE
    assert queues_left() == 0
    target = run.targets.get(region=REGION)
    assert target.status == CleanupTarget.Status.CLEAN and target.failed == 0
    for action in (CleanupItem.Action.FOUND, CleanupItem.Action.DELETED):
        recorded = list(target.items.filter(action=action).values_list("resource_id", flat=True))
        assert sorted(recorded) == sorted(set(recorded)), f"{action} recorded twice"  # across both sweeps
    found = set(target.items.filter(action=CleanupItem.Action.FOUND).values_list("resource_id", flat=True))
    assert found == queues
    deleted = set(target.items.filter(action=CleanupItem.Action.DELETED).values_list("resource_id", flat=True))
    assert deleted == queues
    account.refresh_from_db()
    assert account.state == SandboxAccountState.AVAILABLE  # clean, back in the pool
