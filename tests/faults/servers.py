"""Throwaway Redis and PostgreSQL servers a fault test may stop and start at will.

The shared servers on the standard ports serve every other test run on the machine, so a test that
stops a server starts its own, on a free port, in its own temporary folder, and removes it after.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

POSTGRES_BIN = Path("/usr/lib/postgresql/15/bin")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _answers(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _wait(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} within {timeout:.0f}s")
        time.sleep(0.05)


class RedisServer:
    """A redis-server of its own: nothing persisted, so a restart comes back empty, like a lost node."""

    def __init__(self, folder: Path):
        if not shutil.which("redis-server"):
            pytest.skip("needs redis-server")
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
                "--logfile",
                str(self.folder / "redis.log"),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait(lambda: _answers(self.port), 20, f"redis-server did not answer on port {self.port}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(20)
        self.process = None
        _wait(lambda: not _answers(self.port), 10, f"redis-server still answers on port {self.port}")


class PostgresServer:
    """A PostgreSQL cluster of its own (trust auth, loopback only), to restart under a running portal."""

    def __init__(self):
        if not (POSTGRES_BIN / "initdb").exists():
            pytest.skip(f"needs PostgreSQL's server binaries in {POSTGRES_BIN}")
        # Not under pytest's tmp_path: as root, the cluster runs as `postgres`, who cannot enter that.
        self.folder = Path(tempfile.mkdtemp(prefix="cpp-faults-pg-"))
        folder = self.folder
        self.data = folder / "data"
        self.port = free_port()
        environment = {**os.environ, "LC_ALL": "C.UTF-8"}
        subprocess.run(
            [POSTGRES_BIN / "initdb", "-D", self.data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"],
            check=True,
            capture_output=True,
            env=environment,
            **_unprivileged(folder),
        )

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def _ctl(self, *args: str) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        subprocess.run(
            [POSTGRES_BIN / "pg_ctl", "-D", self.data, "-l", self.folder / "postgres.log", "-o", options, "-w", *args],
            check=True,
            capture_output=True,
            **_unprivileged(self.folder),
        )

    def start(self) -> None:
        self._ctl("start")

    def stop(self) -> None:
        self._ctl("stop", "-m", "fast")

    def restart(self) -> None:
        self._ctl("restart", "-m", "fast")

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self._ctl("stop", "-m", "immediate")
        shutil.rmtree(self.folder, ignore_errors=True)


def _unprivileged(folder: Path) -> dict:
    """PostgreSQL refuses to run as root: run its tools as the folder's owner, `postgres` if root owns it."""
    if os.geteuid() != 0:
        return {}
    import pwd

    user = pwd.getpwnam("postgres")
    for path in [folder, *folder.rglob("*")]:
        os.chown(path, user.pw_uid, user.pw_gid)
    os.chmod(folder, 0o700)

    def demote():
        os.setgid(user.pw_gid)
        os.setuid(user.pw_uid)

    return {"preexec_fn": demote, "cwd": folder}


def stop_process_group(process: subprocess.Popen, *, timeout: float = 20) -> None:
    """Stop a process started with its own session and everything it started (TERM, then KILL)."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)
