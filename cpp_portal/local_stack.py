"""`make run`: the whole portal on this machine, with nothing installed but Python.

Prepares the database, starts a fake AWS with a sandbox Organization, imports its pool, seeds
demo data, then runs the web server, a Celery worker and celery beat side by side, with every
line of their output prefixed by who wrote it. Ctrl-C (or SIGTERM) stops all of them; if one
dies on its own, the rest are stopped too and the exit status says something went wrong.

The defaults are the embedded ones (SQLite and the file broker under CPP_LOCAL_DIR); set
DATABASE_URL or REDIS_URL beforehand to use real servers instead.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
STOP_TIMEOUT = 10  # seconds a process gets to stop on SIGTERM before it is killed
READY_TIMEOUT = 90  # seconds the web server gets to answer /healthz
_COLOURS = ["36", "33", "35", "32", "34", "31"]


class Stop(Exception):
    """Startup was interrupted by Ctrl-C or SIGTERM."""


class Failed(Exception):
    """A step or a process failed; the message says which."""


@dataclass
class Child:
    name: str
    process: subprocess.Popen
    pump: threading.Thread
    lines: list[str] = field(default_factory=list)


class Stack:
    """The processes `make run` started, and how to stop every one of them."""

    def __init__(self) -> None:
        self.children: list[Child] = []
        self.stop_requested = threading.Event()
        self.signals = 0
        self._print_lock = threading.Lock()
        self._colour = sys.stdout.isatty() and not os.environ.get("NO_COLOR")

    # --- output --------------------------------------------------------------------------

    def say(self, text: str = "") -> None:
        self._write(f"{text}\n")

    def _prefixed(self, name: str, colour: str, line: str) -> None:
        label = f"{name:<9}|"
        if self._colour:
            label = f"\033[{colour}m{label}\033[0m"
        self._write(f"{label} {line}\n")

    def _write(self, text: str) -> None:
        with self._print_lock:
            try:
                sys.stdout.write(text)
                sys.stdout.flush()
            except OSError:
                # The reader went away (`make run | head`): keep draining children, or they block.
                pass

    # --- processes -----------------------------------------------------------------------

    def spawn(self, name: str, command: list[str]) -> Child:
        colour = _COLOURS[len(self.children) % len(_COLOURS)]
        # Its own session: Ctrl-C reaches only this supervisor, which stops children in order, and
        # a whole process tree (runserver's reloader, Celery's pool) can be killed as one group.
        process = subprocess.Popen(
            command,
            cwd=BASE_DIR,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        lines: list[str] = []

        def pump() -> None:
            for raw in process.stdout:
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                lines.append(line)
                self._prefixed(name, colour, line)

        thread = threading.Thread(target=pump, name=f"output-of-{name}", daemon=True)
        thread.start()
        child = Child(name, process, thread, lines)
        self.children.append(child)
        return child

    def run_step(self, name: str, command: list[str]) -> list[str]:
        """Run one preparation command to its end; Ctrl-C interrupts it."""
        child = self.spawn(name, command)
        while child.process.poll() is None:
            if self.stop_requested.wait(0.1):
                raise Stop
        child.pump.join(5)
        self.children.remove(child)
        if child.process.returncode != 0:
            raise Failed(f"{name} failed: it {_how_it_ended(child.process.returncode)}; see its output above.")
        return child.lines

    def first_dead(self) -> Child | None:
        return next((c for c in self.children if c.process.poll() is not None), None)

    def stop_all(self) -> None:
        """SIGTERM every process, SIGKILL what is left after STOP_TIMEOUT (or a second Ctrl-C)."""
        for child in reversed(self.children):
            if child.process.poll() is None:
                _signal_leader(child.process, signal.SIGTERM)
        interrupts = self.signals
        deadline = time.monotonic() + STOP_TIMEOUT
        forced = False
        while any(c.process.poll() is None for c in self.children) and time.monotonic() < deadline:
            if self.signals > interrupts:
                self.say("Interrupted again: killing everything now.")
                forced = True
                break
            time.sleep(0.1)
        for child in self.children:
            if child.process.poll() is None and not forced:
                self.say(f"{child.name} did not stop in time: killing it.")
            # Its helpers too (the reloaded server, the worker's pool), even when it stopped itself.
            _signal_group(child.process, signal.SIGKILL)
            try:
                child.process.wait(5)
            except subprocess.TimeoutExpired:
                self.say(f"{child.name} (pid {child.process.pid}) could not be killed.")
            child.pump.join(2)
        self.children.clear()


def _signal_leader(process: subprocess.Popen, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signum)


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signum)


# --- the environment ----------------------------------------------------------------------------


def _port(name: str, default: int | None = None) -> int | None:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise Failed(f"{name}={raw!r} is not a port number.")
    return int(raw)


def _check_port_free(port: int, name: str) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As the servers themselves do, so a port left in TIME_WAIT does not count as taken.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise Failed(
                    f"Port {port} on {HOST} is already in use, so the {name} cannot start there. "
                    f"Stop whatever uses it, or choose another port, e.g. {_port_hint(name)}."
                )
            raise Failed(f"Cannot use port {port} on {HOST}: {error.strerror}.")


def _port_hint(name: str) -> str:
    return "MOTO_PORT=5055 make run" if name == "fake AWS" else "PORT=8001 make run"


def _prepare_environment(port: int, moto_port: int) -> str:
    """Set the embedded defaults for this process and its children; return the fake AWS endpoint."""
    from cpp_portal import fake_aws

    endpoint = f"http://{HOST}:{moto_port}"
    defaults = {
        "DJANGO_SETTINGS_MODULE": "cpp_portal.settings",
        # DEBUG gives a development SECRET_KEY, readable errors, and lets seed_demo run.
        "DEBUG": "true",
        "SITE_URL": f"http://{HOST}:{port}",
    }
    for name, value in defaults.items():
        os.environ.setdefault(name, value)
    # Always the fake: real credentials from the shell must never reach it, nor real AWS be touched.
    os.environ.update(fake_aws.environment(endpoint))
    os.environ.pop("AWS_PROFILE", None)
    os.environ["PYTHONUNBUFFERED"] = "1"  # or children's lines arrive in bursts, long after the fact
    return endpoint


def _manage(*args: str) -> list[str]:
    return [sys.executable, str(BASE_DIR / "manage.py"), *args]


def _celery(*args: str) -> list[str]:
    return [sys.executable, "-m", "celery", "-A", "cpp_portal", *args]


def _wait_until_healthy(stack: Stack, url: str) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while True:
        _raise_if_stopped_or_dead(stack)
        try:
            with urllib.request.urlopen(url, timeout=3) as answer:  # noqa: S310 (loopback only)
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            raise Failed(f"{url} did not answer 200 within {READY_TIMEOUT} s; see the output above.")
        stack.stop_requested.wait(0.3)


def _wait_for_fake_aws(stack: Stack, endpoint: str) -> None:
    from cpp_portal import fake_aws

    deadline = time.monotonic() + READY_TIMEOUT
    while True:
        _raise_if_stopped_or_dead(stack)
        try:
            fake_aws.wait_until_up(endpoint, timeout=0.5)
            return
        except fake_aws.FakeAwsError:
            if time.monotonic() > deadline:
                raise Failed(f"The fake AWS at {endpoint} did not answer within {READY_TIMEOUT} s.")


def _raise_if_stopped_or_dead(stack: Stack) -> None:
    if stack.stop_requested.is_set():
        raise Stop
    dead = stack.first_dead()
    if dead is not None:
        raise Failed(f"{dead.name} {_how_it_ended(dead.process.returncode)} unexpectedly.")


def _how_it_ended(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"was killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"was killed by signal {-returncode}"
    return f"exited with exit code {returncode}"


def _logins(seed_output: list[str]) -> list[str]:
    """The login block seed_demo printed, so the banner shows exactly what it said."""
    for index, line in enumerate(seed_output):
        if line.startswith("Demo logins"):
            return [line, *(login for login in seed_output[index + 1 :] if login.startswith("  "))]
    return ["(seed_demo printed no logins)"]


def _banner(url: str, endpoint: str, ou_id: str, logins: list[str], seconds: float) -> str:
    rule = "=" * 78
    return "\n".join(
        [
            "",
            rule,
            f"  CPP Portal is running at {url}",
            f"  Admin:    {url}admin/",
            f"  Fake AWS: {endpoint} (sandbox OU {ou_id})",
            "",
            *(f"  {line}" for line in logins),
            "",
            f"  Ready in {seconds:.1f} s. Press Ctrl-C to stop everything.",
            rule,
            "",
        ]
    )


def main() -> int:
    started = time.monotonic()
    stack = Stack()

    first_signal_at: list[float] = []

    def on_signal(signum, frame):
        # Ctrl-C reaches `make` and this process both, and make passes it on: signals within a
        # second of the first are that one keypress, not a second Ctrl-C asking to kill at once.
        now = time.monotonic()
        if not first_signal_at:
            first_signal_at.append(now)
        elif now - first_signal_at[0] < 1.0:
            return
        stack.signals += 1
        stack.stop_requested.set()

    # SIGHUP too: the children live in sessions of their own, so a closed terminal would orphan them.
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, on_signal)
    try:
        port = _port("PORT", 8000)
        _check_port_free(port, "web server")
        from cpp_portal import fake_aws

        moto_port = _port("MOTO_PORT") or fake_aws.free_port()
        _check_port_free(moto_port, "fake AWS")
        endpoint = _prepare_environment(port, moto_port)
        url = f"http://{HOST}:{port}/"

        # The fake AWS takes a few seconds to start: let it while the database is migrated.
        moto = stack.spawn("fake-aws", fake_aws.server_command(moto_port))
        stack.run_step("migrate", _manage("migrate", "--no-input"))
        stack.run_step("cache", _manage("createcachetable"))

        import django

        django.setup()
        _wait_for_fake_aws(stack, endpoint)
        try:
            ou_id = fake_aws.prepare(endpoint, process=moto.process)
        except fake_aws.FakeAwsError as error:
            raise Failed(str(error))
        os.environ["CPP_SANDBOX_OU_ID"] = ou_id
        stack.run_step("pool", _manage("sync_accounts"))
        logins = _logins(stack.run_step("seed", _manage("seed_demo")))

        stack.spawn(
            "worker",
            _celery(
                "worker",
                "-Q",
                "default,cleaner",
                "--concurrency",
                "2",
                "--loglevel",
                "INFO",
                "--without-gossip",
                "--without-mingle",
            ),
        )
        stack.spawn(
            "beat",
            _celery("beat", "--loglevel", "INFO", "--scheduler", "django_celery_beat.schedulers:DatabaseScheduler"),
        )
        stack.spawn("web", _manage("runserver", f"{HOST}:{port}"))
        _wait_until_healthy(stack, f"{url}healthz")
        stack.say(_banner(url, endpoint, ou_id, logins, time.monotonic() - started))

        while True:
            _raise_if_stopped_or_dead(stack)
            stack.stop_requested.wait(0.5)
    except Stop:
        stack.say("Stopping every process...")
        stack.stop_all()
        stack.say("Stopped.")
        return 0
    except Failed as failure:
        stack.say(f"\nmake run: {failure}")
        if stack.children:
            stack.say("Stopping the other processes...")
        stack.stop_all()
        return 1
    except BaseException:
        stack.stop_all()
        raise


if __name__ == "__main__":
    sys.exit(main())
