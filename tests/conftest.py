"""Fixtures every test folder shares, and the rule that CI never skips a service test."""

import os

import pytest
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
