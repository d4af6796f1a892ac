"""The programme's statistics for Solutions Architects: tables, bar charts and CSV downloads.

Only SAs (and superusers) see this page; anyone else signed in gets a 404, as for every staff page.
An Account Manager's own figures (their invitations, registrations, attendance) are on their own
page, where they see nobody else's.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts import roles
from cpp_portal.spreadsheets import csv_writer
from stats import selectors
from stats.charts import bar_chart

MIN_YEAR, MAX_YEAR = 2000, 2100


def _solutions_architects_only(request) -> None:
    if not roles.is_solutions_architect(request.user):
        raise Http404


def _year(request) -> tuple[int | None, str]:
    """The year asked for in `?year=` (None: every year), and a message when it is not a year."""
    raw = request.GET.get("year", "").strip()
    if not raw:
        return None, ""
    if raw.isascii() and raw.isdigit() and MIN_YEAR <= int(raw) <= MAX_YEAR:
        return int(raw), ""
    return None, _("“%(value)s” is not a year: showing every year.") % {"value": raw[:20]}


def score(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def month_label(month) -> str:
    return date_format(month, "YEAR_MONTH_FORMAT")


def _charts(months, topics, account_managers, pool) -> list:
    return [
        bar_chart(_("Attendees per month"), [(month_label(f.key), f.attendees, str(f.attendees)) for f in months]),
        bar_chart(
            _("Satisfaction per month (1 to 5)"),
            [(month_label(f.key), f.satisfaction, score(f.satisfaction) or "–") for f in months],
            scale_max=5,
        ),
        bar_chart(_("Attendees per topic"), [(str(f.key), f.attendees, str(f.attendees)) for f in topics]),
        bar_chart(
            _("Satisfaction per topic (1 to 5)"),
            [(str(f.key), f.satisfaction, score(f.satisfaction) or "–") for f in topics],
            scale_max=5,
        ),
        bar_chart(_("Cost per topic (USD)"), [(str(f.key), float(f.cost), money(f.cost)) for f in topics]),
        bar_chart(
            _("Attended per Account Manager"),
            [(a.name or _("Not invited by an AM"), a.attended, str(a.attended)) for a in account_managers],
        ),
        bar_chart(
            _("Sandbox accounts used per workshop (share of the pool)"),
            # The 20 latest: the table below and its CSV have them all.
            [(p.title, p.share_of_pool, f"{p.accounts_used}/{p.pool_size}") for p in pool[:20]],
            scale_max=1,
        ),
    ]


@require_GET
@login_required
def dashboard(request):
    """The figures the programme reports: per month, per topic, per AM, and the pool's use."""
    _solutions_architects_only(request)
    year, problem = _year(request)
    if problem:
        messages.error(request, problem)
    months = selectors.figures_by_month(year=year)
    topics = selectors.figures_by_topic(year=year)
    account_managers = selectors.account_manager_figures(year=year)
    pool = selectors.pool_use_by_workshop(year=year)
    context = {
        "year": year,
        "years": selectors.years_delivered(),
        "year_query": f"?year={year}" if year else "",
        "totals": selectors.programme_totals(year=year),
        "months": months,
        "topics": topics,
        "account_managers": account_managers,
        "pool": pool,
        "pool_size": pool[0].pool_size if pool else selectors.pool_size(),
        "charts": _charts(months, topics, account_managers, pool),
    }
    return render(request, "stats/dashboard.html", context)


# --- CSV -----------------------------------------------------------------------------------------

FIGURES_COLUMNS = [
    "workshops",
    "attendees",
    "customers",
    "survey_answers",
    "satisfaction",
    "would_recommend_share",
    "cost_usd",
    "cost_per_attendee_usd",
]


def money(value) -> str:
    return "" if value is None else f"{value:.2f}"


def _figures_cells(figures: selectors.Figures) -> list:
    return [
        figures.workshops,
        figures.attendees,
        figures.customers,
        figures.answers,
        score(figures.satisfaction),
        "" if figures.recommend_rate is None else f"{figures.recommend_rate:.4f}",
        money(figures.cost),
        money(figures.cost_per_attendee),
    ]


def _months_table(year):
    rows = [[f.key.strftime("%Y-%m"), *_figures_cells(f)] for f in selectors.figures_by_month(year=year)]
    return ["month", *FIGURES_COLUMNS], rows


def _topics_table(year):
    return ["topic", *FIGURES_COLUMNS], [
        [str(f.key), *_figures_cells(f)] for f in selectors.figures_by_topic(year=year)
    ]


def _account_managers_table(year):
    rows = [
        [
            a.name,
            a.invited,
            a.registered,
            a.attended,
            a.no_shows,
            "" if a.no_show_rate is None else f"{a.no_show_rate:.4f}",
        ]
        for a in selectors.account_manager_figures(year=year)
    ]
    return ["account_manager", "invited", "registered", "attended", "no_shows", "no_show_rate"], rows


def _pool_table(year):
    rows = [
        [
            p.workshop_id,
            p.title,
            p.starts_at.date().isoformat(),
            p.attendees,
            p.accounts_needed,
            p.accounts_used,
            p.pool_size,
            "" if p.share_of_pool is None else f"{p.share_of_pool:.4f}",
            money(p.cost),
            money(p.cost_per_attendee),
        ]
        for p in selectors.pool_use_by_workshop(year=year)
    ]
    header = [
        "workshop_id",
        "workshop",
        "starts_on",
        "attendees",
        "accounts_needed",
        "accounts_used",
        "pool_size",
        "share_of_pool",
        "cost_usd",
        "cost_per_attendee_usd",
    ]
    return header, rows


TABLES = {
    "months": _months_table,
    "topics": _topics_table,
    "account-managers": _account_managers_table,
    "pool": _pool_table,
}


@require_GET
@login_required
def download(request, table: str):
    """One table of the page as CSV; the column names are fixed English keys for spreadsheets and scripts."""
    _solutions_architects_only(request)
    if table not in TABLES:
        raise Http404
    year, problem = _year(request)
    if problem:
        return HttpResponse(problem, status=400, content_type="text/plain; charset=utf-8")
    header, rows = TABLES[table](year)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"cpp-{table}-{year}" if year else f"cpp-{table}"
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    # Topic and AM names are typed by people: csv_writer keeps them from running as formulas.
    writer = csv_writer(response)
    writer.writerow(header)
    writer.writerows(rows)
    return response
