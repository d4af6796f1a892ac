"""A real Celery worker, not eager mode, runs what a published workshop queues.

Eager mode runs a task inside `.delay()`, in the caller's transaction and without serialising
anything, so it hides the bugs that matter in production: a task queued before the commit (the
worker cannot see the rows yet), arguments that do not survive JSON, a task routed to a queue
no worker listens to. Here the message goes through a broker to a worker thread that has its own
database connection, exactly as `celery -A cpp_portal worker -Q default` would receive it.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import kombu.pools
import pytest
from billiard.einfo import ExceptionInfo
from celery import signals
from celery.contrib.testing.mocks import TaskMessage
from celery.contrib.testing.worker import start_worker
from celery.exceptions import WorkerLostError
from celery.worker.request import Request
from django.conf import settings
from django.db import OperationalError
from kombu import Connection

from cpp_portal.celery import DEFAULT_QUEUE
from cpp_portal.celery import app as celery_app
from tests.factories import SandboxAccountFactory, WorkshopFactory
from workshops import services, tasks
from workshops.models import SandboxAccount, SandboxAccountState, Stage, StageChange

# Generous: a healthy run takes well under a second, but CI machines are small and shared.
TASK_TIMEOUT = 30.0


def _drop_broker_pools() -> None:
    """Forget pooled broker connections, so the next publish uses the broker config in force now."""
    if celery_app._pool is not None:
        celery_app._pool.force_close_all()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    # kombu keeps producer pools in a process-wide registry keyed by connection: a pool closed
    # above would otherwise be handed out again, closed, to the next test on the same broker.
    kombu.pools.reset()


@contextmanager
def real_delivery(broker_url: str, transport_options: dict) -> Iterator[None]:
    """Point the app at `broker_url` with eager mode off, and put everything back afterwards."""
    conf = celery_app.conf
    saved = {
        "broker_url": conf.broker_url,
        "broker_transport_options": conf.broker_transport_options,
        "task_always_eager": conf.task_always_eager,
    }
    _drop_broker_pools()
    conf.update(broker_url=broker_url, broker_transport_options=transport_options, task_always_eager=False)
    try:
        yield
    finally:
        _drop_broker_pools()
        conf.update(saved)


@contextmanager
def quiet_worker_logging() -> Iterator[None]:
    """Keep the embedded worker from reconfiguring the test process's logging.

    Celery configures logging itself unless a `setup_logging` receiver exists; left alone it
    empties the root logger's handlers and sets its level, which would change what every later
    test's caplog sees.
    """

    def leave_logging_alone(**kwargs):
        return None

    signals.setup_logging.connect(leave_logging_alone)
    try:
        yield
    finally:
        signals.setup_logging.disconnect(leave_logging_alone)
        logging.captureWarnings(False)


@pytest.fixture(
    params=[
        pytest.param("redis", marks=pytest.mark.redis, id="redis"),
        # No server at all: the broker that `make run` and developers without Redis use.
        pytest.param("filesystem", id="filesystem"),
    ]
)
def broker(request, tmp_path, monkeypatch) -> Iterator[str]:
    # The environment variable beats app.conf, so a developer's own setting must not leak in.
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    monkeypatch.delenv("CELERY_BROKER_WRITE_URL", raising=False)
    monkeypatch.delenv("CELERY_BROKER_READ_URL", raising=False)
    # Celery exports these while setting up a worker's logging; keep them out of later tests.
    monkeypatch.setenv("CELERY_LOG_LEVEL", "")
    monkeypatch.setenv("CELERY_LOG_FILE", "")
    if request.param == "redis":
        request.getfixturevalue("require_redis")
        # A key prefix of its own keeps this run's queues apart from any other test run or
        # worker on the same Redis, and lets the test remove exactly what it created.
        prefix = f"cpp-test-{uuid.uuid4().hex}:"
        options = {**settings.CELERY_BROKER_TRANSPORT_OPTIONS, "global_keyprefix": prefix}
        with real_delivery(settings.REDIS_URL, options):
            yield "redis"
        with Connection(settings.REDIS_URL) as conn:
            client = conn.default_channel.client
            stale = list(client.scan_iter(match=f"{prefix}*"))
            if stale:
                client.delete(*stale)
    else:
        folders = {name: tmp_path / name for name in ("queue", "processed", "control")}
        for folder in folders.values():
            folder.mkdir()
        options = {
            "data_folder_in": str(folders["queue"]),
            "data_folder_out": str(folders["queue"]),
            "processed_folder": str(folders["processed"]),
            "control_folder": str(folders["control"]),
            "store_processed": False,
            # The worker polls the folder; the default second would make this test slow for nothing.
            "polling_interval": 0.1,
        }
        with real_delivery("filesystem://", options):
            yield "filesystem"


@contextmanager
def running_worker(queues: list[str]) -> Iterator[None]:
    with (
        quiet_worker_logging(),
        start_worker(
            celery_app,
            pool="solo",
            concurrency=1,
            queues=queues,
            # The ping check needs a result backend; the portal has none (results are ignored).
            perform_ping_check=False,
            shutdown_timeout=TASK_TIMEOUT,
        ),
    ):
        # The worker thread's database connection does not outlive its task (PostgreSQL would
        # refuse to drop the test database): Celery's Django fixup closes it after every task.
        yield


def wait_until(condition: Callable[[], bool], timeout: float = TASK_TIMEOUT, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except OperationalError:
            pass  # SQLite's shared in-memory test database may be locked while the worker writes
        time.sleep(0.1)
    pytest.fail(f"gave up after {timeout:.0f}s waiting for {what or condition.__name__}")


@pytest.mark.slow
def test_publishing_reserves_accounts_through_a_real_worker(broker, transactional_db):
    workshop = WorkshopFactory(capacity=3)
    pool = SandboxAccountFactory.create_batch(4)

    runs = []

    def record_run(sender, task_id, task, args, **kwargs):
        runs.append((task.name, tuple(args), bool(task.request.is_eager), threading.get_ident()))

    signals.task_postrun.connect(record_run, weak=False)
    try:
        with running_worker([DEFAULT_QUEUE]):
            # transactional_db: the move really commits, so its on-commit hook publishes the task
            # and the worker's own connection can read the rows.
            services.workshop_publish(workshop_id=workshop.pk, actor=None)
            change = StageChange.objects.get(workshop=workshop, target=Stage.REGISTRATION_OPEN)

            def side_effects_done() -> bool:
                change.refresh_from_db()
                return change.side_effects_done_at is not None

            wait_until(side_effects_done, what=f"run_stage_side_effects({change.pk}) on a {broker} worker")
    finally:
        signals.task_postrun.disconnect(record_run)

    # Run once, from a message (not eagerly), in the worker's thread rather than this one.
    assert [run[:3] for run in runs] == [(tasks.run_stage_side_effects.name, (change.pk,), False)]
    assert runs[0][3] != threading.get_ident()

    reserved = SandboxAccount.objects.filter(workshop=workshop, state=SandboxAccountState.ASSIGNED)
    assert reserved.count() == 3
    assert SandboxAccount.objects.filter(state=SandboxAccountState.AVAILABLE, workshop=None).count() == 1
    assert {a.pk for a in reserved} < {a.pk for a in pool}


# --- A worker that dies mid-task ----------------------------------------------------------------
# Killing a real worker process is a later issue; these pin the configuration that makes the
# broker hand the task out again, and show Celery's own decision for a lost worker under it.


def test_tasks_are_acknowledged_only_after_they_ran_and_redelivered_if_the_worker_died():
    conf = celery_app.conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    # One message at a time: a dying worker strands nothing it had merely prefetched.
    assert conf.worker_prefetch_multiplier == 1
    portal_tasks = [task for name, task in celery_app.tasks.items() if not name.startswith("celery.")]
    assert tasks.run_stage_side_effects in portal_tasks
    for task in portal_tasks:  # a task may override the app's defaults: none of ours may
        assert (task.name, task.acks_late, task.reject_on_worker_lost) == (task.name, True, True)


@pytest.mark.redis
def test_redis_visibility_timeout_outlasts_the_longest_retry_backoff(require_redis):
    # On Redis an unacknowledged message comes back after the visibility timeout; were it
    # shorter than a retry's countdown, a late-acked task would run twice while still waiting.
    timeout = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    task = tasks.run_stage_side_effects
    longest_backoff = getattr(task, "retry_backoff_max", 600)  # Celery's cap on exponential backoff
    assert timeout > longest_backoff
    assert timeout >= 24 * 3600  # settings promise room for a day of email backoff


def test_a_task_whose_worker_was_lost_is_requeued_not_acknowledged():
    message = TaskMessage(tasks.run_stage_side_effects.name, args=(1,))
    rejected = []
    request = Request(
        message,
        app=celery_app,
        task=tasks.run_stage_side_effects,
        on_reject=lambda logger, errors, requeue: rejected.append(requeue),
        on_ack=lambda logger, errors: pytest.fail("a lost worker's task must not be acknowledged"),
    )
    try:
        raise WorkerLostError("Worker exited prematurely: signal 9 (SIGKILL).")
    except WorkerLostError:
        request.on_failure(ExceptionInfo(), send_failed_event=False)
    assert rejected == [True]
