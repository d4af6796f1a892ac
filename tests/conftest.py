"""Fixtures every test folder shares, and the rule that CI never skips a service test."""

import importlib
import os

import pytest
from django.apps import apps
from django.conf import settings

from tests import factories

# CI sets this: a test that needs PostgreSQL or Redis then fails instead of skipping.
REQUIRE_SERVICES = os.environ.get("CPP_REQUIRE_SERVICES") == "1"


def _missing(reason: str):
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason}, and CI requires it (CPP_REQUIRE_SERVICES=1)")
    pytest.skip(reason)


@pytest.fixture
def require_postgres():
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        _missing("needs PostgreSQL: set DATABASE_URL=postgres://…")


@pytest.fixture
def require_redis():
    if not settings.REDIS_URL:
        _missing("needs Redis: set REDIS_URL=redis://…")


@pytest.fixture
def sa(db):
    return factories.SolutionsArchitectFactory()


@pytest.fixture
def am(db):
    return factories.AccountManagerFactory()


@pytest.fixture
def customer(db):
    return factories.CustomerFactory()


@pytest.fixture
def workshop(db, sa, am):
    return factories.WorkshopFactory(owners=[sa], account_managers=[am])


@pytest.fixture
def org(request, settings):
    """moto in-process with the hub's Organization (tests/aws_fakes.py), for tests of anything that calls AWS.

    Marked `sandbox_ou`, a test (or its module) also gets the OU the pool lives in, set as
    CPP_SANDBOX_OU_ID, for what reads the Organization itself: the pool sync, the guardrails.
    """
    from tests.aws_fakes import fake_aws  # moto takes a second to import: only where a test uses it

    # Through `settings`, and before fake_aws's own override_settings: pytest-django undoes its changes
    # last to first, so undoing this one puts back the settings of before the test, whatever else
    # was changed and undone in between.
    settings.CPP_CLEANER_RESCAN_PAUSE_SECONDS = 0  # moto's deletes are instant: no pause between scans
    with fake_aws(sandbox_ou=request.node.get_closest_marker("sandbox_ou") is not None) as organization:
        if organization.sandbox_ou:
            settings.CPP_SANDBOX_OU_ID = organization.sandbox_ou
        yield organization


# The data migrations that make the staff roles (groups and their permissions).
STAFF_ROLE_MIGRATIONS = [
    ("workshops.migrations.0002_staff_roles", "create_roles"),
    ("notifications.migrations.0002_staff_permissions", "grant"),
]


def staff_roles_restore() -> None:
    """Make the staff roles again, as their migrations do (both are idempotent)."""
    for module, function in STAFF_ROLE_MIGRATIONS:
        getattr(importlib.import_module(module), function)(apps, None)


def _is_transactional(request) -> bool:
    marker = request.node.get_closest_marker("django_db")
    return (
        bool(marker and marker.kwargs.get("transaction"))
        or "transactional_db" in request.fixturenames
        or "live_server" in request.fixturenames
    )


@pytest.fixture(autouse=True)
def staff_roles_after_a_flush(request):
    """A transactional test starts with the staff roles, whatever the one before it flushed.

    Transactional tests end by flushing every table, the groups the data migrations made
    included, so the next one would find no "Account Managers" to join.
    """
    if _is_transactional(request):
        request.getfixturevalue("transactional_db")
        staff_roles_restore()


@pytest.fixture(autouse=True)
def a_fresh_cache():
    """Every test starts with an empty cache.

    The database cache of local runs is rolled back with each test; Redis, CI's cache, is not. A key
    one test leaves behind (the outbox's three-second kick guard, a rate limit's count) would change
    what the next test sees: a test's emails were never sent because the test before had just
    kicked the senders.
    """
    if settings.CACHES["default"]["BACKEND"].endswith("RedisCache"):
        from django.core.cache import cache

        cache.clear()
