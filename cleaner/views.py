"""Staff pages of the cleaner: the runs, and one run's live progress (its page polls a JSON twin every 2 s).

Only Solutions Architects see them; anyone else signed in gets 404, so the pages' existence tells
them nothing.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from accounts import roles
from cleaner.models import CleanupRun
from cleaner.selectors import (
    cleanup_run_findings,
    cleanup_run_held,
    cleanup_run_kept,
    cleanup_run_problems,
    cleanup_run_progress,
    cleanup_runs_recent,
)

POLL_MILLISECONDS = 2000


def _solutions_architects_only(request) -> None:
    if not roles.is_solutions_architect(request.user):
        raise Http404


@require_GET
@login_required
def run_list(request):
    _solutions_architects_only(request)
    page = Paginator(cleanup_runs_recent(), 50).get_page(request.GET.get("page"))
    return render(request, "cleaner/run_list.html", {"page": page})


@require_GET
@login_required
def run_detail(request, run_id: int):
    _solutions_architects_only(request)
    run = get_object_or_404(CleanupRun.objects.select_related("workshop", "requested_by"), pk=run_id)
    return render(
        request,
        "cleaner/run_detail.html",
        {
            "run": run,
            "progress": cleanup_run_progress(run),
            "problems": cleanup_run_problems(run),
            "kept": cleanup_run_kept(run),
            "held": cleanup_run_held(run),
            "findings": cleanup_run_findings(run),
            "poll_milliseconds": POLL_MILLISECONDS,
        },
    )


@require_GET
@login_required
def run_progress(request, run_id: int):
    _solutions_architects_only(request)
    run = get_object_or_404(CleanupRun, pk=run_id)
    response = JsonResponse(cleanup_run_progress(run))
    response["Cache-Control"] = "no-store"
    return response
