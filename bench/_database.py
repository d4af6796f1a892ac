"""What every in-process benchmark starts with: Django on a database of its own."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass


@dataclass
class BenchDatabase:
    on_postgres: bool
    test_db: str | None
    workdir: str

    @property
    def label(self) -> str:
        return "PostgreSQL" if self.on_postgres else "SQLite"

    def drop(self) -> None:
        """Drop the PostgreSQL database made for the run (a SQLite file dies with its folder)."""
        if self.test_db:
            from django.db import connection

            connection.creation.destroy_test_db(self.test_db, verbosity=0)


def throwaway_database(name: str) -> BenchDatabase:
    """Set Django up on a throwaway SQLite file, or on a PostgreSQL test database when DATABASE_URL says so.

    Never the database DATABASE_URL names itself: a test database is created beside it (and
    dropped by `drop`), so a bench can be pointed at a developer's or CI's server safely.
    """
    workdir = tempfile.mkdtemp(prefix=f"cpp-bench-{name}-")
    os.environ.setdefault("CPP_LOCAL_DIR", workdir)
    on_postgres = os.environ.get("DATABASE_URL", "").startswith("postgres")
    if not on_postgres:
        os.environ["DATABASE_URL"] = f"sqlite:///{workdir}/bench.sqlite3"
    os.environ["DJANGO_SETTINGS_MODULE"] = "cpp_portal.test_settings"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    test_db = None
    if on_postgres:
        test_db = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    else:
        call_command("migrate", verbosity=0)
        call_command("createcachetable", verbosity=0)
    return BenchDatabase(on_postgres=on_postgres, test_db=test_db, workdir=workdir)
