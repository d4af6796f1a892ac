"""/healthz: what load balancers and ops see when the database or the broker is up or down."""

import json

import pytest
from django.conf import settings
from django.db import OperationalError

from cpp_portal import health
from cpp_portal.celery import app as celery_app

pytestmark = pytest.mark.django_db

# Something that must never reach a response body: hosts, ports, users, passwords.
LEAKY_BROKER_URL = "redis://cpp:broker-password-123@127.0.0.1:1/0"
LEAKY_DB_ERROR = 'could not connect to server: "db.internal" (10.1.2.3), user "cpp" password "db-password-456"'


@pytest.fixture
def broker_url(monkeypatch):
    """Point the Celery app at another broker for one test, and back afterwards."""
    conf = celery_app.conf
    saved = conf.broker_url, conf.broker_transport_options
    # The environment variables beat app.conf: a developer's own must not decide the test.
    for name in ("CELERY_BROKER_URL", "CELERY_BROKER_WRITE_URL"):
        monkeypatch.delenv(name, raising=False)

    def point_at(url: str, transport_options: dict | None = None) -> None:
        conf.broker_url = url
        conf.broker_transport_options = transport_options or {}

    yield point_at
    conf.broker_url, conf.broker_transport_options = saved


def get_health(client):
    response = client.get("/healthz")
    return response, json.loads(response.content)


def test_healthy_portal_answers_200_with_every_check_ok(client):
    response, body = get_health(client)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert body["ok"] is True
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"]["ok"] is True
    # A cached "healthy" would hide an outage from the load balancer.
    assert "no-cache" in response["Cache-Control"]


def test_the_broker_checked_is_the_configured_one():
    # With REDIS_URL the broker is Redis; without it, the embedded filesystem transport.
    with celery_app.connection_for_write() as conn:
        expected = "redis" if settings.REDIS_URL else "filesystem"
        assert conn.transport_cls == expected


@pytest.mark.redis
def test_healthz_reaches_the_real_redis(require_redis, client, broker_url):
    broker_url(settings.REDIS_URL)
    response, body = get_health(client)
    assert response.status_code == 200, body
    assert body["checks"]["broker"]["ok"] is True


def test_unreachable_broker_answers_503_and_names_only_the_error_class(client, broker_url):
    broker_url(LEAKY_BROKER_URL)  # nothing listens on port 1
    response, body = get_health(client)
    assert response.status_code == 503
    assert body["ok"] is False
    assert body["checks"]["broker"]["ok"] is False
    assert body["checks"]["broker"]["error"]  # a class name, for ops
    assert body["checks"]["database"]["ok"] is True
    for secret in ("broker-password-123", "cpp:", "127.0.0.1", ":1/", "redis://"):
        assert secret not in response.content.decode()


class _BrokenConnection:
    def cursor(self):
        raise OperationalError(LEAKY_DB_ERROR)


def test_failing_database_answers_503_without_the_error_text(client, monkeypatch):
    # Break only the check's connection: the test client and the session still need theirs.
    monkeypatch.setattr(health, "connection", _BrokenConnection())
    response, body = get_health(client)
    assert response.status_code == 503
    assert body["ok"] is False
    assert body["checks"]["database"] == {"ok": False, "error": "OperationalError"}
    assert body["checks"]["broker"]["ok"] is True
    text = response.content.decode()
    for secret in ("db-password-456", "db.internal", "10.1.2.3", "cpp"):
        assert secret not in text


def test_a_check_that_crashes_is_reported_not_raised(client, monkeypatch):
    def explode():
        raise RuntimeError("postgres://admin:hunter2@db:5432/portal")

    monkeypatch.setitem(health.CHECKS, "database", explode)
    response, body = get_health(client)
    assert response.status_code == 503
    assert body["checks"]["database"] == {"ok": False, "error": "RuntimeError"}
    assert "hunter2" not in response.content.decode()


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete", "options"])
def test_only_get_is_allowed(client, method):
    response = getattr(client, method)("/healthz")
    assert response.status_code == 405
    assert response["Allow"] == "GET"
