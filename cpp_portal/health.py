"""/healthz: whether the database and the Celery broker answer, for load balancers and ops."""

import time

from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from cpp_portal.celery import app as celery_app


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _check_broker() -> None:
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)


CHECKS = {"database": _check_database, "broker": _check_broker}


@never_cache
@require_GET
def healthz(request):
    report, healthy = {}, True
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            check()
        except Exception as error:  # any failure is the answer, not a crash
            healthy = False
            # The error class tells ops what broke without leaking hosts or credentials.
            report[name] = {"ok": False, "error": type(error).__name__}
        else:
            report[name] = {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1)}
    return JsonResponse({"ok": healthy, "checks": report}, status=200 if healthy else 503)
