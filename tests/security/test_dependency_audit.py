"""`make audit` fails on a known vulnerability in an installed dependency, passes when there is
none, and never passes when the vulnerability database cannot be asked.

pip-audit is pointed at a small stand-in for OSV's query API on loopback, so the verdict depends
on what the database says, not on whether this machine can reach the real one.
"""

import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ADVISORY = "GHSA-test-0000-0000"


class _FakeOsv(BaseHTTPRequestHandler):
    vulnerable: set[str] = set()

    def do_POST(self):  # noqa: N802 (http.server's naming)
        query = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        name, version = query["package"]["name"], query["version"]
        answer = {}
        if name in self.vulnerable:
            answer = {
                "vulns": [
                    {
                        "id": ADVISORY,
                        "aliases": ["CVE-2099-0001"],
                        "summary": f"A made-up hole in {name} {version}",
                        "affected": [
                            {
                                "package": {"name": name, "ecosystem": "PyPI"},
                                "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "9999.0"}]}],
                            }
                        ],
                    }
                ]
            }
        body = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def osv():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeOsv)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    _FakeOsv.vulnerable = set()


def make_audit(tmp_path, osv_url: str) -> subprocess.CompletedProcess:
    # This interpreter's environment is the one audited; -o keeps make from reinstalling it.
    bin_dir = Path(sys.executable).parent
    args = f"--osv-url {osv_url} --cache-dir {tmp_path / 'cache'} --timeout 20"
    return subprocess.run(
        [
            "make",
            "--no-print-directory",
            f"BIN={bin_dir}",
            "-o",
            ".venv/.installed",
            "-o",
            "install",
            "audit",
            f"AUDIT_ARGS={args}",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )


def url(server) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}/v1/query"


def test_a_known_vulnerability_in_an_installed_dependency_fails_the_audit(tmp_path, osv):
    _FakeOsv.vulnerable = {"django"}
    result = make_audit(tmp_path, url(osv))
    assert result.returncode != 0, result.stdout + result.stderr
    assert "Found 1 known vulnerability in 1 package" in result.stderr
    [row] = [line for line in result.stdout.splitlines() if line.startswith("django ")]
    assert "CVE-2099-0001" in row  # pip-audit shows the advisory by its CVE alias
    assert row.split()[-1] == "9999.0"  # the fixed version to bump the pin to


def test_the_audit_passes_when_the_database_knows_no_vulnerability(tmp_path, osv):
    result = make_audit(tmp_path, url(osv))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No known vulnerabilities found" in result.stdout + result.stderr


def test_an_unreachable_database_never_passes_for_a_clean_audit(tmp_path, osv):
    port = osv.server_address[1]
    osv.shutdown()
    osv.server_close()  # nothing listens on the port now
    result = make_audit(tmp_path, f"http://127.0.0.1:{port}/v1/query")
    assert result.returncode != 0, result.stdout + result.stderr
