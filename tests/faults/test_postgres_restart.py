"""PostgreSQL restarts (or is briefly down) under a running portal: pages recover by themselves.

The portal keeps its database connections (CONN_MAX_AGE) and checks them before reuse
(CONN_HEALTH_CHECKS), so the first request after a restart reconnects instead of failing on a
dead connection, and nothing needs the portal itself restarted. The database is a PostgreSQL of
this test's own, on another port; the portal is gunicorn, as in production.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import requests

from tests.faults.servers import PostgresServer, free_port, stop_process_group

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

BASE_DIR = Path(__file__).resolve().parent.parent.parent
DATABASE = "h_faults_restart"
WORKSHOP_TITLE = "Data Lake Immersion Day"

SEED = textwrap.dedent(
    f"""
    import django
    django.setup()
    from django.core.management import call_command
    call_command("migrate", verbosity=0)
    from tests.factories import AccountManagerFactory, open_workshop
    from workshops.invitations import invitation_for
    workshop = open_workshop(title="{WORKSHOP_TITLE}")
    print(invitation_for(workshop=workshop, account_manager=AccountManagerFactory()).token)
    """
)


def portal_environment(database_url: str, local_dir: Path) -> dict[str, str]:
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE", "DEBUG")
    }
    environment.update(
        DJANGO_SETTINGS_MODULE="cpp_portal.test_settings",
        DATABASE_URL=database_url,
        ALLOWED_HOSTS="127.0.0.1",
        CPP_LOCAL_DIR=str(local_dir),
        CONN_MAX_AGE="600",  # the connection certainly outlives the restart
        LOG_LEVEL="WARNING",
    )
    return environment


@pytest.fixture
def own_postgres(require_postgres):
    server = PostgresServer()
    try:
        server.start()
        subprocess.run(
            ["psql", server.url("postgres"), "-q", "-c", f"CREATE DATABASE {DATABASE}"], check=True, capture_output=True
        )
        yield server
    finally:
        server.remove()


@pytest.fixture
def portal(own_postgres, tmp_path):
    environment = portal_environment(own_postgres.url(DATABASE), tmp_path / "local")
    seeded = subprocess.run(
        [sys.executable, "-c", SEED], cwd=BASE_DIR, env=environment, capture_output=True, text=True, timeout=180
    )
    assert seeded.returncode == 0, seeded.stderr[-3000:]
    token = seeded.stdout.strip().splitlines()[-1]
    port = free_port()
    # One worker, one thread: every request goes through the one connection the restart breaks.
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "cpp_portal.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--timeout",
            "60",
            "--log-level",
            "warning",
        ],
        cwd=BASE_DIR,
        env=environment,
        start_new_session=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(f"{base}/healthz", timeout=10)
                break
            except requests.ConnectionError:
                assert process.poll() is None, process.stderr.read().decode()[-3000:]
                assert time.monotonic() < deadline, "gunicorn did not answer within 60 s"
                time.sleep(0.2)
        yield base, f"/i/{token}/", process
    finally:
        stop_process_group(process)


def workers_of(master: subprocess.Popen) -> set[int]:
    children = Path(f"/proc/{master.pid}/task/{master.pid}/children")
    return {int(pid) for pid in children.read_text().split()} if children.exists() else set()


def test_pages_recover_after_postgres_restarts_or_is_down_for_a_while_without_restarting_the_portal(
    own_postgres, portal
):
    base, invitation_page, master = portal
    http = requests.Session()
    assert http.get(f"{base}/healthz", timeout=10).json()["checks"]["database"]["ok"] is True
    assert WORKSHOP_TITLE in http.get(base + invitation_page, timeout=10).text
    workers = workers_of(master)

    own_postgres.restart()  # fast mode: every open connection, the portal's included, is cut

    health = http.get(f"{base}/healthz", timeout=10)
    assert health.status_code == 200, health.text
    assert health.json()["checks"]["database"]["ok"] is True
    page = http.get(base + invitation_page, timeout=10)
    assert page.status_code == 200
    assert WORKSHOP_TITLE in page.text

    own_postgres.stop()
    started = time.monotonic()
    health = http.get(f"{base}/healthz", timeout=30)
    assert health.status_code == 503
    assert health.json()["checks"]["database"] == {"ok": False, "error": "OperationalError"}
    assert http.get(base + invitation_page, timeout=30).status_code == 500
    assert time.monotonic() - started < 10  # refused at once, not hung on the dead connection

    own_postgres.start()
    assert http.get(f"{base}/healthz", timeout=10).status_code == 200
    page = http.get(base + invitation_page, timeout=10)
    assert page.status_code == 200
    assert WORKSHOP_TITLE in page.text
    assert workers_of(master) == workers  # the same worker process answered throughout: nothing was restarted
