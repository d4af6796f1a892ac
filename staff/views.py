"""The Solutions Architects' pages: home, a workshop's page, its form, stage moves, check-in.

Only SAs (and superusers) see them; anyone else signed in gets 404, so the pages' existence tells
them nothing, and anonymous visitors are sent to sign in. Views read through selectors and change
things through services; a service's refusal becomes a message on the page. Live parts are htmx
fragments of the same templates; every form also works as a plain POST without JavaScript.
"""

from __future__ import annotations

from functools import partial, wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import roles
from cleaner.selectors import cleanup_run_progress
from cpp_portal.spreadsheets import csv_writer
from notifications.models import EmailStatus
from staff import moves, selectors
from staff.forms import FIELDSETS, StaffWorkshopForm
from stats.charts import bar_chart
from workshops import services
from workshops.forms import form_time_zone
from workshops.models import (
    ACTIVE_STAGES,
    CHECK_IN_STAGES,
    DELIVERED_STAGES,
    UPCOMING_STAGES,
    AccountFreeze,
    Credential,
    CredentialStatus,
    Registration,
    RegistrationStatus,
    Stage,
    Workshop,
)
from workshops.registrations import AttendanceError, registration_attendance_mark
from workshops.sandbox import provisioning, tasks
from workshops.sandbox.selectors import workshop_spend
from workshops.services import MANUAL_MOVES, StageError

ATTENDEES_PER_PAGE = 100
POLL_SECONDS = 2
ATTENDANCE_VALUES = {"yes": True, "no": False, "clear": None}


def solutions_architects_only(view):
    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not roles.is_solutions_architect(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def _workshop(workshop_id: int) -> Workshop:
    try:
        return selectors.workshop_for_staff(workshop_id)
    except Workshop.DoesNotExist:
        raise Http404 from None


def _fragment(request, target: str) -> bool:
    return bool(request.htmx) and request.htmx.target == target


def _htmx_aware(response: HttpResponse) -> HttpResponse:
    # The same URL answers a whole page or a fragment: caches must keep them apart.
    patch_vary_headers(response, ("HX-Request",))
    return response


# --- Home ----------------------------------------------------------------------------------------


@require_GET
@solutions_architects_only
def home(request):
    workshops = list(selectors.workshops_active())
    for workshop in workshops:
        workshop.next_step = selectors.workshop_next_step(workshop)
        workshop.move_buttons = moves.move_buttons(workshop)
        workshop.pool_short = (
            workshop.stage in UPCOMING_STAGES and workshop.reserved_accounts < workshop.accounts_needed
        )
    context = {
        "workshops": workshops,
        "finished": selectors.workshops_recently_finished(),
        "finished_days": selectors.FINISHED_SHOWN_DAYS,
        "check_in_stages": CHECK_IN_STAGES,
    }
    return render(request, "staff/home.html", context)


# --- A workshop ----------------------------------------------------------------------------------


def _attendee_filters(request) -> dict:
    status = request.GET.get("status", "")
    return {
        "search": request.GET.get("q", "").strip()[:100],
        "status": status if status in RegistrationStatus.values else "",
        "sort": request.GET.get("sort", selectors.DEFAULT_SORT)[:20],
    }


@require_GET
@solutions_architects_only
def workshop_detail(request, workshop_id: int):
    workshop = _workshop(workshop_id)
    filters = _attendee_filters(request)
    attendees = Paginator(selectors.workshop_attendees(workshop, **filters), ATTENDEES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {
        "workshop": workshop,
        "attendees": attendees,
        "filters": filters,
        "statuses": RegistrationStatus.choices,
        "sorts": selectors.ATTENDEE_SORTS,
        "retryable": provisioning.RETRYABLE,
    }
    progress = provisioning.provisioning_progress(workshop) if workshop.stage != Stage.DRAFT else None
    context.update(
        progress=progress,
        credential_counts=selectors.labelled_counts(progress.by_status, CredentialStatus) if progress else [],
        provisioning_underway=bool(progress and progress.by_status.get(CredentialStatus.PENDING)),
        poll_seconds=POLL_SECONDS,
    )
    if _fragment(request, "attendees"):
        return _htmx_aware(render(request, "staff/_attendees.html", {**context, "fragment": True}))
    emails, email_counts = selectors.workshop_emails(workshop)
    context.update(
        next_step=selectors.workshop_next_step(workshop),
        move_buttons=moves.move_buttons(workshop),
        attendance=selectors.attendance_counts(workshop),
        emails=emails,
        email_counts=selectors.labelled_counts(email_counts, EmailStatus),
        history=selectors.workshop_history(workshop),
        editable=workshop.stage in ACTIVE_STAGES,
        check_in_open=workshop.stage in CHECK_IN_STAGES,
        **_cleanup_context(workshop),
        **_spend_context(workshop),
        freezes=selectors.workshop_freezes(workshop),
        budgets_shown=workshop.stage in DELIVERED_STAGES,
    )
    return _htmx_aware(render(request, "staff/workshop_detail.html", context))


def _spend_context(workshop: Workshop) -> dict:
    if workshop.stage not in DELIVERED_STAGES:
        return {}  # no account was used yet: nothing can have cost anything
    spend = workshop_spend(workshop)
    rows = [(s.service, float(s.amount), f"{s.amount:.2f}") for s in spend.services]
    return {"spend": spend, "spend_chart": bar_chart(_("Cost per AWS service (%s)") % spend.currency, rows)}


@require_GET
@solutions_architects_only
def attendees_csv(request, workshop_id: int):
    workshop = _workshop(workshop_id)
    registrations = selectors.workshop_attendees(workshop, **_attendee_filters(request))
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="workshop-{workshop.pk}-attendees.csv"'
    response["Cache-Control"] = "no-store"
    # Names and companies are typed by customers: csv_writer keeps them from running as formulas.
    writer = csv_writer(response)
    writer.writerow(
        [
            _("First name"),
            _("Last name"),
            _("Email"),
            _("Company"),
            _("Job title"),
            _("Status"),
            _("Registered at"),
            _("Account Manager"),
            _("Sandbox account"),
            _("IAM user"),
            _("Credential"),
            _("Attended"),
        ]
    )
    attended = {True: _("yes"), False: _("no"), None: ""}
    tz = workshop.tz
    for registration in registrations:
        person = registration.attendee
        credential = getattr(registration, "credential", None)
        company = registration.organisation or person.organisation
        writer.writerow(
            (
                person.first_name,
                person.last_name,
                person.email,
                company.name if company else "",
                person.job_title,
                registration.get_status_display(),
                registration.queued_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
                registration.account_manager.email if registration.account_manager else "",
                credential.sandbox_account.aws_account_id if credential else "",
                credential.iam_user_name if credential else "",
                credential.get_status_display() if credential else "",
                attended[registration.attended],
            )
        )
    return response


def _cleanup_context(workshop: Workshop) -> dict:
    run = selectors.workshop_latest_cleanup_run(workshop)
    return {
        "cleanup_run": run,
        "cleanup": cleanup_run_progress(run) if run else None,
        "poll_seconds": POLL_SECONDS,
    }


@require_GET
@solutions_architects_only
def cleanup_progress(request, workshop_id: int):
    """The cleanup section alone, which htmx polls while the run goes on."""
    workshop = get_object_or_404(Workshop, pk=workshop_id)
    response = render(request, "staff/_cleanup.html", {"workshop": workshop, **_cleanup_context(workshop)})
    response["Cache-Control"] = "no-store"
    return response


# --- Stage moves ---------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@solutions_architects_only
def stage_move(request, workshop_id: int, target: str):
    """The confirmation page of a stage-move button; its POST makes the move through the service."""
    if target not in MANUAL_MOVES:
        raise Http404
    workshop = _workshop(workshop_id)
    here = reverse("staff:workshop", args=[workshop.pk])
    if request.method == "POST" and request.POST.get("confirmed") == "yes":
        move = MANUAL_MOVES[target]
        extra = {"note": request.POST.get("note", "").strip()[:300]} if target == Stage.CANCELLED else {}
        try:
            move.service(workshop_id=workshop.pk, actor=request.user, **extra)
        except StageError as refused:
            messages.error(request, refused.message)
        else:
            messages.success(
                request,
                _("“%(title)s” is now “%(stage)s”.") % {"title": workshop.title, "stage": Stage(target).label},
            )
        return redirect(reverse("staff:home") if request.POST.get("back") == "home" else here)
    preview = moves.move_preview(workshop, target)
    return render(
        request,
        "staff/stage_move.html",
        {
            "workshop": workshop,
            "target": target,
            "target_label": Stage(target).label,
            "preview": preview,
            "back": "home" if request.GET.get("back") == "home" else "",
        },
    )


# --- Provisioning --------------------------------------------------------------------------------


@require_POST
@solutions_architects_only
def credential_retry(request, workshop_id: int, credential_id: int):
    """Queue another try of one attendee's credential: make it if it failed, remove it if revoking failed."""
    workshop = get_object_or_404(Workshop, pk=workshop_id)
    try:
        credential = selectors.credential_for_staff(workshop, credential_id)
    except Credential.DoesNotExist:
        raise Http404 from None
    refusal = provisioning.credential_retry_refusal(credential)
    if refusal:
        messages.error(request, refusal)
    else:
        # AWS answers in seconds, or not for minutes: a worker makes the calls, never this request.
        transaction.on_commit(partial(tasks.provision_credential.delay, credential.pk))
        messages.success(
            request,
            _("Credential %(user)s: another try is queued. Reload the page in a moment to see how it went.")
            % {"user": credential.iam_user_name},
        )
    return redirect(f"{reverse('staff:workshop', args=[workshop.pk])}#attendees")


@require_POST
@solutions_architects_only
def account_unfreeze(request, workshop_id: int, freeze_id: int):
    """Let a frozen account's attendees back in: a worker detaches the freeze and records who asked."""
    workshop = get_object_or_404(Workshop, pk=workshop_id)
    freeze = get_object_or_404(AccountFreeze.objects.select_related("account"), pk=freeze_id, workshop=workshop)
    if not freeze.is_open:
        messages.info(request, _("Account %(account)s is not frozen.") % {"account": freeze.account.aws_account_id})
    else:
        # AWS Organizations answers in seconds, or not for minutes: a worker makes the call, never this request.
        transaction.on_commit(partial(tasks.unfreeze_account.delay, freeze.pk, request.user.pk))
        messages.success(
            request,
            _("Account %(account)s is being unfrozen. Reload the page in a moment to see it done.")
            % {"account": freeze.account.aws_account_id},
        )
    return redirect(f"{reverse('staff:workshop', args=[workshop.pk])}#budgets")


@require_POST
@solutions_architects_only
def registration_provision(request, workshop_id: int, registration_id: int):
    """Give a confirmed attendee of a running workshop who has no credential yet (the pool was dry) one."""
    workshop = get_object_or_404(Workshop, pk=workshop_id)
    registration = get_object_or_404(Registration, pk=registration_id, workshop=workshop)
    credential = None
    if registration.status == RegistrationStatus.CONFIRMED and workshop.stage == Stage.RUNNING:
        # Only the database: a seat in an account, as a pending credential the page shows (and polls)
        # at once. The IAM user is made by the queued task.
        provisioning.workshop_accounts_assign(workshop_id=workshop.pk)
        credential = Credential.objects.filter(registration=registration).first()
    if credential is None:
        messages.error(
            request,
            _(
                "No credential was made: the workshop must be running, the attendee confirmed, and the pool must "
                "have a free account."
            ),
        )
    else:
        transaction.on_commit(partial(tasks.provision_registration.delay, registration.pk))
        messages.success(
            request,
            _("Credential %(user)s is queued: it is made in a moment, and this page shows it when it is ready.")
            % {"user": credential.iam_user_name},
        )
    return redirect(f"{reverse('staff:workshop', args=[workshop.pk])}#attendees")


# --- Create and edit -----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@solutions_architects_only
def workshop_create(request):
    with timezone.override(form_time_zone(request, None)):
        if request.method == "POST":
            form = StaffWorkshopForm(request.POST)
            if form.is_valid():
                workshop = services.workshop_create(
                    workshop=form.save(commit=False),
                    owners=form.cleaned_data["owners"],
                    account_managers=form.cleaned_data["account_managers"],
                    actor=request.user,
                )
                messages.success(request, _("“%(title)s” is saved as a draft.") % {"title": workshop.title})
                return redirect("staff:workshop", workshop.pk)
        else:
            form = StaffWorkshopForm(initial={"owners": [request.user.pk]})
        return render(request, "staff/workshop_form.html", {"form": form, "fieldsets": _fieldsets(form)})


@require_http_methods(["GET", "POST"])
@solutions_architects_only
def workshop_edit(request, workshop_id: int):
    workshop = get_object_or_404(Workshop, pk=workshop_id)
    if workshop.stage not in ACTIVE_STAGES:
        messages.error(
            request,
            _("“%(title)s” is %(stage)s: it can no longer be edited here.")
            % {"title": workshop.title, "stage": workshop.get_stage_display().lower()},
        )
        return redirect("staff:workshop", workshop.pk)
    with timezone.override(form_time_zone(request, workshop)):
        if request.method == "POST":
            form = StaffWorkshopForm(request.POST, instance=workshop)
            if form.is_valid():
                _save_edit(request, form)
                messages.success(request, _("“%(title)s” is saved.") % {"title": form.instance.title})
                return redirect("staff:workshop", workshop.pk)
        else:
            form = StaffWorkshopForm(instance=workshop)
        context = {"form": form, "fieldsets": _fieldsets(form), "workshop": workshop}
        return render(request, "staff/workshop_form.html", context)


@transaction.atomic
def _save_edit(request, form: StaffWorkshopForm) -> None:
    # The service carries an edit's consequences: calendar updates, moved reminders, seats, the pool,
    # the invitations of added AMs (sent once the owners and AMs below are saved and this commits).
    services.workshop_update(
        workshop=form.save(commit=False),
        changed=set(form.changed_data),
        account_managers_added=form.account_managers_added(),
        actor=request.user,
    )
    form.save_m2m()


def _fieldsets(form) -> list[tuple[str, list]]:
    return [(title, [form[name] for name in names]) for title, names in FIELDSETS]


# --- Check-in ------------------------------------------------------------------------------------


@require_GET
@solutions_architects_only
def check_in(request, workshop_id: int):
    workshop = _workshop(workshop_id)
    search = request.GET.get("q", "").strip()[:100]
    context = {
        "workshop": workshop,
        "registrations": selectors.workshop_check_in_list(workshop, search=search),
        "attendance": selectors.attendance_counts(workshop),
        "q": search,
        "open": workshop.stage in CHECK_IN_STAGES,
    }
    if _fragment(request, "check-in-list"):
        return _htmx_aware(render(request, "staff/_check_in_list.html", context))
    return _htmx_aware(render(request, "staff/check_in.html", context))


@require_POST
@solutions_architects_only
def check_in_mark(request, workshop_id: int, registration_id: int):
    """One tick of the check-in list: htmx swaps the row (and the counts); without JavaScript, back to the list."""
    workshop = get_object_or_404(Workshop, pk=workshop_id)
    registration = get_object_or_404(Registration, pk=registration_id, workshop=workshop)
    value = request.POST.get("attended", "")
    error = ""
    if value not in ATTENDANCE_VALUES:
        error = _("Choose attended, no-show or clear.")
    else:
        try:
            registration_attendance_mark(
                registration_id=registration.pk, attended=ATTENDANCE_VALUES[value], actor=request.user
            )
        except AttendanceError as refused:
            error = str(refused)
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect(f"{reverse('staff:check_in', args=[workshop.pk])}#registration-{registration.pk}")
    row = selectors.workshop_attendees(workshop).get(pk=registration.pk)
    context = {
        "workshop": workshop,
        "registration": row,
        "error": error,
        "attendance": selectors.attendance_counts(workshop),
        "open": workshop.stage in CHECK_IN_STAGES,
        "oob": True,
    }
    return render(request, "staff/_check_in_row.html", context)
