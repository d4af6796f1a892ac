"""The settings really come from the environment: each case imports them afresh in a subprocess.

The test process itself has imported its settings once, so only a new interpreter shows what a
web, worker or beat process would get from a given environment.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

# Print what the processes of the stack would use; anything unexpected is a test failure.
REPORT = """
import json
from django.conf import settings
db = settings.DATABASES["default"]
print(json.dumps({
    "engine": db["ENGINE"],
    "name": str(db["NAME"]),
    "host": db.get("HOST", ""),
    "conn_max_age": db.get("CONN_MAX_AGE", 0),
    "conn_health_checks": db.get("CONN_HEALTH_CHECKS", False),
    "cache_backend": settings.CACHES["default"]["BACKEND"],
    "cache_location": settings.CACHES["default"].get("LOCATION", ""),
    "broker_url": settings.CELERY_BROKER_URL,
    "broker_options": settings.CELERY_BROKER_TRANSPORT_OPTIONS,
    "debug": settings.DEBUG,
    "secret_key": settings.SECRET_KEY,
    "allowed_hosts": settings.ALLOWED_HOSTS,
    "languages": [code for code, _ in settings.LANGUAGES],
    "use_tz": settings.USE_TZ,
    "time_zone": settings.TIME_ZONE,
    "eager": settings.CELERY_TASK_ALWAYS_EAGER,
}))
"""


def settings_under(tmp_path, **variables) -> subprocess.CompletedProcess:
    # A clean environment: nothing from the developer's shell or from CI may decide the answer.
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "cpp_portal.settings",
        "CPP_LOCAL_DIR": str(tmp_path / "local"),
        **variables,
    }
    return subprocess.run([sys.executable, "-c", REPORT], cwd=REPO, env=env, capture_output=True, text=True, timeout=60)


def loaded(tmp_path, **variables) -> dict:
    result = settings_under(tmp_path, **variables)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


SECRET = {"SECRET_KEY": "a-test-secret-that-is-long-enough-for-django"}


def test_with_nothing_set_the_portal_runs_alone_on_sqlite_and_a_filesystem_broker(tmp_path):
    got = loaded(tmp_path, **SECRET)
    assert got["engine"] == "django.db.backends.sqlite3"
    assert got["name"] == str(tmp_path / "local" / "db.sqlite3")
    assert got["broker_url"] == "filesystem://"
    assert Path(got["broker_options"]["data_folder_in"]).is_relative_to(tmp_path / "local")
    assert got["cache_backend"] == "django.core.cache.backends.db.DatabaseCache"
    assert got["debug"] is False
    assert got["allowed_hosts"] == []  # production refuses every host it was not told about
    assert got["eager"] is False  # real workers unless a test says otherwise


def test_database_url_puts_the_portal_on_postgresql_with_kept_and_checked_connections(tmp_path):
    got = loaded(tmp_path, **SECRET, DATABASE_URL="postgres://cpp:pw@db.example.com:5432/portal")
    assert got["engine"] == "django.db.backends.postgresql"
    assert (got["name"], got["host"]) == ("portal", "db.example.com")
    assert got["conn_max_age"] > 0
    assert got["conn_health_checks"] is True


def test_conn_max_age_can_be_tuned(tmp_path):
    got = loaded(tmp_path, **SECRET, DATABASE_URL="postgres://cpp@db/portal", CONN_MAX_AGE="5")
    assert got["conn_max_age"] == 5


def test_redis_url_puts_broker_and_cache_on_redis(tmp_path):
    got = loaded(tmp_path, **SECRET, REDIS_URL="redis://cache.example.com:6379/2")
    assert got["broker_url"] == "redis://cache.example.com:6379/2"
    assert got["cache_backend"] == "django.core.cache.backends.redis.RedisCache"
    # The cache is the next database: a cache clear (FLUSHDB) must never wipe queued tasks.
    assert got["cache_location"] == "redis://cache.example.com:6379/3"
    # Late-acked tasks must not come back while a retry's countdown is still running.
    assert got["broker_options"]["visibility_timeout"] >= 24 * 3600


def test_the_cache_can_live_on_its_own_redis(tmp_path):
    got = loaded(tmp_path, **SECRET, REDIS_URL="redis://redis:6379/0", REDIS_CACHE_URL="redis://cache:6379/5")
    assert got["broker_url"] == "redis://redis:6379/0"
    assert got["cache_location"] == "redis://cache:6379/5"


def test_an_empty_database_url_means_the_local_default(tmp_path):
    got = loaded(tmp_path, **SECRET, DATABASE_URL="")
    assert got["engine"] == "django.db.backends.sqlite3"


def test_with_no_variable_at_all_a_checkout_runs_as_a_developer_machine(tmp_path):
    got = loaded(tmp_path)
    assert got["debug"] is True
    assert got["secret_key"]
    assert got["engine"] == "django.db.backends.sqlite3"
    assert set(got["allowed_hosts"]) == {"127.0.0.1", "localhost"}


@pytest.mark.parametrize(
    "deployment",
    [
        {"DATABASE_URL": "postgres://cpp@db/portal"},
        {"REDIS_URL": "redis://redis:6379/0"},
        {"ALLOWED_HOSTS": "portal.example.com"},
        {"CPP_CREDENTIALS_KEYS": "a-key"},
    ],
)
def test_without_secret_key_production_refuses_to_start(tmp_path, deployment):
    result = settings_under(tmp_path, **deployment)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY must be set" in result.stderr


@pytest.mark.parametrize("debug", ["0", "false", "off"])
def test_debug_off_in_any_spelling_still_needs_a_secret_key(tmp_path, debug):
    result = settings_under(tmp_path, DEBUG=debug)
    assert "ImproperlyConfigured" in result.stderr


def test_debug_alone_runs_with_a_local_key_and_local_hosts(tmp_path):
    got = loaded(tmp_path, DEBUG="1")
    assert got["debug"] is True
    assert got["secret_key"]
    assert set(got["allowed_hosts"]) == {"127.0.0.1", "localhost"}


def test_allowed_hosts_is_a_comma_separated_list(tmp_path):
    got = loaded(tmp_path, **SECRET, ALLOWED_HOSTS="portal.example.com,127.0.0.1")
    assert got["allowed_hosts"] == ["portal.example.com", "127.0.0.1"]


def test_languages_and_time_handling(tmp_path):
    got = loaded(tmp_path, **SECRET)
    assert got["languages"] == ["en", "es", "pt", "it"]
    assert got["use_tz"] is True
    assert got["time_zone"] == "UTC"
