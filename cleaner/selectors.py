"""Reads of cleanup runs that the pages share: the list, and one run's progress as plain data (also the JSON)."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from cleaner.models import CleanupItem, CleanupRun, CleanupTarget, Finding

COUNTERS = ("found", "deleted", "failed", "left", "protected", "skipped", "held")
PROBLEMS_SHOWN = 200


def cleanup_runs_recent() -> QuerySet[CleanupRun]:
    return (
        CleanupRun.objects.select_related("workshop", "requested_by")
        .annotate(account_count=Count("accounts", distinct=True))
        .order_by("-created_at", "-pk")
    )


def cleanup_run_progress(run: CleanupRun) -> dict:
    """Counts per account (and per region within it), and for the whole run, as the page and its JSON show them."""
    targets = list(run.targets.order_by("account_id", "region"))
    accounts: dict[str, dict] = {}
    for target in targets:
        account = accounts.setdefault(
            target.account_id, {"account_id": target.account_id, "regions": [], **dict.fromkeys(COUNTERS, 0)}
        )
        for counter in COUNTERS:
            account[counter] += getattr(target, counter)
        account["regions"].append(
            {
                "region": target.region,
                "status": target.status,
                "status_label": str(target.get_status_display()),
                "scans": target.scans,
                "clean_scans_in_a_row": target.clean_scans_in_a_row,
                "last_error": target.last_error,
                **{counter: getattr(target, counter) for counter in COUNTERS},
            }
        )
    for account in accounts.values():
        statuses = {r["status"] for r in account["regions"]}
        account["status"] = _account_status(statuses)
        account["regions_done"] = sum(r["status"] in CleanupTarget.FINISHED for r in account["regions"])
    finished = sum(t.is_finished for t in targets)
    return {
        "id": run.pk,
        "status": run.status,
        "status_label": str(run.get_status_display()),
        "dry_run": run.dry_run,
        "finished": run.is_finished,
        "targets_total": len(targets),
        "targets_finished": finished,
        "totals": {counter: sum(a[counter] for a in accounts.values()) for counter in COUNTERS},
        "accounts": list(accounts.values()),
    }


def _account_status(statuses: set[str]) -> str:
    S = CleanupTarget.Status
    for status in (S.RUNNING, S.QUEUED, S.ERROR, S.DIRTY, S.WAITING):
        if status in statuses:
            return status
    return S.CLEAN


def cleanup_run_problems(run: CleanupRun) -> QuerySet[CleanupItem]:
    """What a finished run left behind (with why), or what is failing while it runs."""
    action = CleanupItem.Action.LEFT if run.is_finished else CleanupItem.Action.FAILED
    return run.items.filter(action=action).order_by("-at", "-pk")[:PROBLEMS_SHOWN]


def cleanup_run_kept(run: CleanupRun) -> QuerySet[CleanupItem]:
    """What the run kept on purpose, apart from the rest, each with why (the access role, AWS's own …)."""
    return run.items.filter(action=CleanupItem.Action.PROTECTED).order_by("account_id", "region", "resource_type")[
        :PROBLEMS_SHOWN
    ]


def cleanup_run_held(run: CleanupRun) -> QuerySet[CleanupItem]:
    """What AWS will not delete before a date, with that date."""
    return run.items.filter(action=CleanupItem.Action.NOT_YET).order_by("account_id", "region", "resource_type")[
        :PROBLEMS_SHOWN
    ]


def cleanup_run_findings(run: CleanupRun) -> QuerySet[Finding]:
    """What the detector saw in the run's accounts that no type of the cleaner knows."""
    return run.findings.order_by("account_id", "region", "resource_type", "identifier")[:PROBLEMS_SHOWN]
