"""Benchmark: a rush of customers registering at once for a workshop's few seats, over real HTTP.

The portal runs under gunicorn on PostgreSQL, as in production. One open workshop has `--seats`
seats; `--customers` signed-in customers (each a session of their own, made beforehand, as if they
had followed their magic link) open the AM's invitation page, then all press Register together:
a GET of the page for the CSRF token and the form, and a POST of the form, exactly as a browser
does. It prints registrations per second, the median and 95th-percentile answer times, the same
server's ceiling on a trivial page (/healthz) for comparison, and how many confirmed registrations
exceed the seats (must be 0).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cpp_portal \\
        .venv/bin/python bench/registration_rush.py [--customers 300] [--seats 50] [--workers 5]

A database of its own is created next to the one DATABASE_URL names (`<name>_rush_bench`) and
dropped at the end. With REDIS_URL set, the server uses Redis for its cache and broker as in
production; without it, the embedded defaults (a database cache, a broker in files nobody reads).
The client's threads share the machine with the server: on a small machine the figures are a floor.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
# The seeding process and the server must sign sessions with the same key.
SECRET_KEY = "bench-only-secret-key-not-for-any-deployment"  # noqa: S105
MY_WORKSHOPS = "/me/workshops/"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=300)
    parser.add_argument("--seats", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads per worker (gthread when > 1)")
    parser.add_argument("--clients", type=int, default=0, help="client threads (default: one per customer)")
    parser.add_argument("--healthz-requests", type=int, default=2000)
    return parser.parse_args()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def bench_database_url(url: str) -> tuple[str, str]:
    """The bench's own database next to DATABASE_URL's: (its URL, its name)."""
    base, _, name = url.rpartition("/")
    name = name.split("?")[0] or "cpp_portal"
    own = f"{name}_rush_bench"
    return f"{base}/{own}", own


def create_database(url: str, name: str) -> None:
    import psycopg2

    admin = psycopg2.connect(url.rsplit("/", 1)[0] + "/postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()


def drop_database(url: str, name: str) -> None:
    import psycopg2

    admin = psycopg2.connect(url.rsplit("/", 1)[0] + "/postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


def server_environment(database_url: str, workdir: str) -> dict[str, str]:
    environment = {
        k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DEBUG", "CELERY_BROKER_URL")
    }
    environment.update(
        DJANGO_SETTINGS_MODULE="cpp_portal.settings",
        DATABASE_URL=database_url,
        SECRET_KEY=SECRET_KEY,
        CPP_CREDENTIALS_KEYS="dGVzdC1vbmx5LWZlcm5ldC1rZXktMzItYnl0ZXMhISE=",
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_COOKIES="0",  # plain HTTP on loopback: secure cookies would never come back
        SECURE_SSL_REDIRECT="0",  # nor would a redirect to https be answered
        CPP_LOCAL_DIR=workdir,
        STATIC_ROOT=os.path.join(workdir, "static"),
        LOG_LEVEL="WARNING",
    )
    return environment


def seed(database_url: str, args) -> tuple[str, list[str]]:
    """Migrate, then one open workshop, its AM's invitation and signed-in customers: (page path, session keys)."""
    os.environ["DATABASE_URL"] = database_url
    os.environ["SECRET_KEY"] = SECRET_KEY
    os.environ["DJANGO_SETTINGS_MODULE"] = "cpp_portal.test_settings"
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command
    from django.urls import reverse
    from django.utils import timezone

    from accounts.models import User
    from tests.factories import AccountManagerFactory, CustomerOrganisationFactory, open_workshop
    from workshops.invitations import invitation_for

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    workshop = open_workshop(capacity=args.seats, title="Registration rush")
    invitation = invitation_for(workshop=workshop, account_manager=AccountManagerFactory())
    organisation = CustomerOrganisationFactory()
    now = timezone.now()
    User.objects.bulk_create(
        User(
            email=f"rush{i}@example.com",
            password="!",  # noqa: S106 (unusable, as customers have)
            first_name="Rush",
            last_name=f"Customer {i}",
            organisation=organisation,
            privacy_consent_version=settings.CPP_PRIVACY_NOTICE_VERSION,
            privacy_consent_at=now,
        )
        for i in range(args.customers)
    )
    session_keys = []
    for user in User.objects.filter(email__startswith="rush").order_by("pk"):
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "sesame.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        session_keys.append(session.session_key)
    return reverse("workshops:invitation", args=[invitation.token]), session_keys


def start_server(environment: dict[str, str], port: int, args) -> subprocess.Popen:
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=BASE_DIR, env=environment, check=True
    )
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "cpp_portal.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(args.workers),
        "--backlog",
        "2048",
        "--timeout",
        "120",
        "--log-level",
        "warning",
    ]
    if args.threads > 1:
        command += ["--worker-class", "gthread", "--threads", str(args.threads)]
    process = subprocess.Popen(command, cwd=BASE_DIR, env=environment, start_new_session=True)
    import requests

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=10).status_code in (200, 503):
                return process
        except requests.RequestException:
            time.sleep(0.2)
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited with {process.returncode}")
    raise SystemExit("gunicorn did not answer within 60 s")


def rush(base: str, page: str, session_keys: list[str], clients: int) -> dict:
    """Every customer: GET the page, wait for the others, POST the form. Returns timings and answers."""
    import requests

    barrier = threading.Barrier(len(session_keys) if clients >= len(session_keys) else 1)
    results: list[tuple[int, float, float]] = []
    lock = threading.Lock()

    def customer(session_key: str):
        http = requests.Session()
        http.cookies.set("sessionid", session_key, domain="127.0.0.1", path="/")
        started = time.perf_counter()
        form = http.get(base + page, timeout=120)
        token = CSRF.search(form.text).group(1)
        barrier.wait(timeout=300)
        pressed = time.perf_counter()
        answer = http.post(
            base + page,
            data={"csrfmiddlewaretoken": token},
            headers={"Referer": base + page},
            allow_redirects=False,
            timeout=120,
        )
        done = time.perf_counter()
        with lock:
            # Registered: sent on to "My workshops"; anything else (a sign-in page, an error) is not.
            registered = answer.status_code == 302 and answer.headers.get("Location", "").endswith(MY_WORKSHOPS)
            status = answer.status_code if registered else -answer.status_code
            results.append((status, done - pressed, done - started, pressed, done))

    with ThreadPoolExecutor(max_workers=clients or len(session_keys)) as pool:
        list(pool.map(customer, session_keys))
    first_press = min(r[3] for r in results)
    last_answer = max(r[4] for r in results)
    return {
        "statuses": [r[0] for r in results],
        "post_seconds": [r[1] for r in results],
        "flow_seconds": [r[2] for r in results],
        "wall": last_answer - first_press,
    }


def healthz_ceiling(base: str, requests_total: int, clients: int) -> dict:
    import requests

    local = threading.local()
    timings: list[float] = []
    statuses: list[int] = []
    lock = threading.Lock()

    def one(_):
        http = getattr(local, "http", None) or requests.Session()
        local.http = http
        started = time.perf_counter()
        answer = http.get(base + "/healthz", timeout=60)
        elapsed = time.perf_counter() - started
        with lock:
            timings.append(elapsed)
            statuses.append(answer.status_code)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(one, range(requests_total)))
    return {"wall": time.perf_counter() - started, "timings": timings, "statuses": statuses}


def main() -> int:
    args = parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        print("This benchmark needs PostgreSQL: set DATABASE_URL=postgres://user@host:port/name", file=sys.stderr)
        print("(a database of its own, <name>_rush_bench, is made beside it and dropped afterwards)", file=sys.stderr)
        return 2
    database_url, name = bench_database_url(url)
    create_database(url, name)
    workdir = tempfile.mkdtemp(prefix="cpp-bench-rush-")
    os.environ["CPP_LOCAL_DIR"] = workdir
    server = None
    try:
        page, session_keys = seed(database_url, args)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = start_server(server_environment(database_url, workdir), port, args)

        outcome = rush(base, page, session_keys, args.clients)
        ceiling = healthz_ceiling(base, args.healthz_requests, clients=min(64, len(session_keys)))

        from django.db.models import Count

        from workshops.models import Registration, RegistrationStatus

        counts = dict(Registration.objects.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
        confirmed = counts.get(RegistrationStatus.CONFIRMED, 0)
        waitlisted = counts.get(RegistrationStatus.WAITLISTED, 0)
        answered = sum(1 for status in outcome["statuses"] if status == 302)
        posts = outcome["post_seconds"]
        flows = outcome["flow_seconds"]
        health = ceiling["timings"]

        print(
            f"server              gunicorn, {args.workers} workers x {args.threads} threads, PostgreSQL, "
            f"{'Redis' if os.environ.get('REDIS_URL') else 'no Redis (embedded cache and broker)'}"
        )
        print(f"machine             {os.cpu_count()} cores, client threads on the same machine")
        print(f"customers           {args.customers} at once for {args.seats} seats")
        print(f"registered (302)    {answered} (other answers: {len(posts) - answered})")
        print(f"rows                {confirmed} confirmed, {waitlisted} waitlisted")
        print(f"over capacity       {max(0, confirmed - args.seats)}")
        print(f"wall time           {outcome['wall']:.2f} s (first press to last answer)")
        print(f"registrations/s     {len(posts) / outcome['wall']:.1f}")
        print(
            f"POST latency        median {statistics.median(posts) * 1000:.0f} ms, "
            f"p95 {percentile(posts, 0.95) * 1000:.0f} ms, max {max(posts) * 1000:.0f} ms"
        )
        print(f"GET+POST per person median {statistics.median(flows) * 1000:.0f} ms (page load before the barrier)")
        print(
            f"/healthz ceiling    {len(health) / ceiling['wall']:.1f} req/s over {len(health)} requests, "
            f"median {statistics.median(health) * 1000:.0f} ms, p95 {percentile(health, 0.95) * 1000:.0f} ms, "
            f"non-200: {sum(1 for s in ceiling['statuses'] if s != 200)}"
        )
        lost = args.customers - confirmed - waitlisted
        return 0 if confirmed <= args.seats and lost == 0 and answered == args.customers else 1
    finally:
        if server is not None and server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(30)
        from django.db import connections

        connections.close_all()
        drop_database(url, name)


if __name__ == "__main__":
    sys.exit(main())
