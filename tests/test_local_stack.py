"""`make run` end to end: start the stack, publish a workshop in the admin, Ctrl-C, nothing left.

Runs `python -m cpp_portal.local_stack` exactly as the Makefile does, on a free port and in a
throwaway CPP_LOCAL_DIR, with none of the variables that would point it at real services.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from tests.factories import totp_code

pytestmark = pytest.mark.slow

BASE_DIR = Path(__file__).resolve().parent.parent
READY = re.compile(r"CPP Portal is running at (http://\S+)")
SA_LOGIN = re.compile(r"Solutions Architect\s+(\S+@\S+)\s+(\S+)")
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
PUBLISHABLE_DRAFT = "Serverless Immersion Day — Madrid"
# Whatever the test process has that would send the stack elsewhere than its embedded defaults.
NOT_INHERITED = (
    "DJANGO_SETTINGS_MODULE",
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "SECRET_KEY",
    "DEBUG",
    "AWS_ENDPOINT_URL",
    "AWS_PROFILE",
    "CPP_SANDBOX_OU_ID",
    "MOTO_PORT",
    "CELERY_TASK_ALWAYS_EAGER",
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Output:
    """Every line the stack prints, collected by a thread so its pipe never fills up."""

    def __init__(self, stream):
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream):
        for raw in stream:
            self.lines.append(raw.decode("utf-8", "replace").rstrip("\n"))

    def text(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, pattern: re.Pattern, process: subprocess.Popen, timeout: float) -> re.Match:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = pattern.search(self.text())
            if found:
                return found
            if process.poll() is not None:
                pytest.fail(f"the stack exited with {process.returncode} before it was ready:\n{self.tail()}")
            time.sleep(0.2)
        pytest.fail(f"the stack was not ready within {timeout} s:\n{self.tail()}")

    def tail(self, lines: int = 60) -> str:
        return "\n".join(self.lines[-lines:])


def processes_of(local_dir: Path) -> list[int]:
    """Every process whose environment names this stack's directory: the stack and all it spawned."""
    marker = f"CPP_LOCAL_DIR={local_dir}".encode() + b"\0"
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environment = (entry / "environ").read_bytes()
        except OSError:  # gone meanwhile, or not ours to read
            continue
        if marker in environment:
            found.append(int(entry.name))
    return found


def query(database: Path, sql: str, *params):
    connection = sqlite3.connect(database, timeout=10)
    try:
        return connection.execute(sql, params).fetchall()
    finally:
        connection.close()


def poll(check, timeout: float, interval: float = 0.5):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


@pytest.fixture
def stack(tmp_path):
    if not Path("/proc/self/environ").exists():
        pytest.skip("needs /proc to find the stack's processes")
    local_dir = tmp_path / "local"
    environment = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
    environment.update(PORT=str(free_port()), CPP_LOCAL_DIR=str(local_dir), NO_COLOR="1")
    process = subprocess.Popen(
        [sys.executable, "-m", "cpp_portal.local_stack"],
        cwd=BASE_DIR,
        env=environment,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    output = Output(process.stdout)
    try:
        yield process, output, local_dir
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
        for pid in processes_of(local_dir):  # never leave strays behind, even when the test failed
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def log_in(session: requests.Session, base: str, email: str, password: str, totp_secret: str) -> None:
    # As a person would: the admin sends staff to the (rate-limited) allauth sign-in page, which
    # asks for the code of their authenticator app after the password.
    login_page = session.get(f"{base}admin/", timeout=10)
    assert "/accounts/login/" in login_page.url, login_page.url
    token = CSRF.search(login_page.text).group(1)
    response = session.post(
        login_page.url,
        data={"csrfmiddlewaretoken": token, "login": email, "password": password, "next": "/admin/"},
        headers={"Referer": login_page.url},
        timeout=10,
    )
    assert "/accounts/2fa/authenticate/" in response.url, response.url
    response = session.post(
        response.url,
        data={"csrfmiddlewaretoken": CSRF.search(response.text).group(1), "code": totp_code(totp_secret)},
        headers={"Referer": response.url},
        timeout=10,
    )
    assert response.url == f"{base}admin/", response.text[:2000]


def test_make_run_serves_the_admin_runs_tasks_and_stops_everything(stack):
    process, output, local_dir = stack
    database = local_dir / "db.sqlite3"
    base = output.wait_for(READY, process, timeout=75).group(1)
    email, password = SA_LOGIN.search(output.text()).groups()
    totp_secret = re.search(rf"{re.escape(email)}\s+([A-Z2-7]{{32}})", output.text()).group(1)
    assert len(processes_of(local_dir)) >= 5, "moto, web, worker and beat should all be running"

    session = requests.Session()
    log_in(session, base, email, password, totp_secret)
    [(workshop_id,)] = query(database, "SELECT id FROM workshops_workshop WHERE title = ?", PUBLISHABLE_DRAFT)
    changelist = session.get(f"{base}admin/workshops/workshop/?stage__exact=draft", timeout=10)
    assert changelist.status_code == 200
    assert f"/admin/workshops/workshop/{workshop_id}/change/" in changelist.text

    action = {"action": "move_to_registration_open", "_selected_action": str(workshop_id), "index": "0"}
    confirmation = session.post(
        changelist.url, data={**action, "csrfmiddlewaretoken": CSRF.search(changelist.text).group(1)}, timeout=10
    )
    assert confirmation.status_code == 200
    assert 'name="confirmed" value="yes"' in confirmation.text
    assert query(database, "SELECT stage FROM workshops_workshop WHERE id = ?", workshop_id) == [("draft",)]
    done = session.post(
        changelist.url,
        data={**action, "confirmed": "yes", "csrfmiddlewaretoken": CSRF.search(confirmation.text).group(1)},
        timeout=10,
    )
    assert done.status_code == 200
    assert query(database, "SELECT stage FROM workshops_workshop WHERE id = ?", workshop_id) == [("registration_open",)]

    # The worker picks the side effects up through the file broker and stamps the stage change.
    stamped = poll(
        lambda: query(
            database,
            "SELECT side_effects_done_at FROM workshops_stagechange "
            "WHERE workshop_id = ? AND target = 'registration_open' AND side_effects_done_at IS NOT NULL",
            workshop_id,
        ),
        timeout=30,
    )
    assert stamped, f"the worker never ran the publish side effects:\n{output.tail()}"

    # The demo's running workshop gets its attendees' credentials from the fake AWS, which must
    # have the AWS-managed policy the workshop gives them.
    def credentials_of_the_running_workshop() -> list[str]:
        rows = query(
            database,
            "SELECT c.status FROM workshops_credential c JOIN workshops_registration r ON r.id = c.registration_id "
            "JOIN workshops_workshop w ON w.id = r.workshop_id WHERE w.stage = 'running'",
        )
        return [status for (status,) in rows]

    settled = poll(lambda: (found := credentials_of_the_running_workshop()) and "pending" not in found, timeout=60)
    statuses = credentials_of_the_running_workshop()
    assert settled and set(statuses) == {"ready"}, f"credentials: {statuses}\n{output.tail()}"

    process.send_signal(signal.SIGINT)
    assert process.wait(20) == 0, output.tail()
    assert poll(lambda: not processes_of(local_dir), timeout=5), (
        f"still running after Ctrl-C: {processes_of(local_dir)}\n{output.tail()}"
    )
    assert "Stopped." in output.text()


def test_a_taken_port_is_reported_clearly(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        environment = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
        environment.update(PORT=str(port), CPP_LOCAL_DIR=str(tmp_path / "local"))
        finished = subprocess.run(
            [sys.executable, "-m", "cpp_portal.local_stack"],
            cwd=BASE_DIR,
            env=environment,
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert finished.returncode != 0
    assert f"Port {port} on 127.0.0.1 is already in use" in finished.stdout
