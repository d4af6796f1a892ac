"""Fixtures of the fault tests: servers of their own to break, and the broker pointed at them."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from tests.faults.servers import RedisServer
from tests.workshops.test_real_worker import real_delivery


@pytest.fixture
def own_redis(tmp_path, require_redis) -> Iterator[RedisServer]:
    """A Redis of this test's own, which it may stop and start; the shared one is never touched."""
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def redis_everywhere(own_redis, settings, monkeypatch) -> Iterator[RedisServer]:
    """Cache and broker on `own_redis`, delivery real (not eager): stopping it stops both, as in production."""
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    # Celery exports these while setting up a worker's logging; keep them out of later tests.
    monkeypatch.setenv("CELERY_LOG_LEVEL", "")
    monkeypatch.setenv("CELERY_LOG_FILE", "")
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": own_redis.url(1)}
    }
    options = {**settings.CELERY_BROKER_TRANSPORT_OPTIONS, "global_keyprefix": f"cpp-faults-{uuid.uuid4().hex}:"}
    with real_delivery(own_redis.url(0), options):
        yield own_redis
