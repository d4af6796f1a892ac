"""Cleanup runs in the admin, read-only (runs are written by the cleaner, never by hand), and the actions
that start one on chosen pool accounts, offered on the pool's own page (workshops.sandbox.admin).
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts import roles
from cleaner import findings, runs, safety
from cleaner.models import CleanupItem, CleanupRun, CleanupTarget, Finding
from cpp_portal.admin_confirm import action_confirmation_page, action_confirmed
from cpp_portal.read_only_admin import ReadOnlyAdminMixin, ReadOnlyInline
from workshops.sandbox.admin import sandbox_account_actions_add, sandbox_account_inlines_add


class CleanupTargetInline(ReadOnlyInline):
    model = CleanupTarget
    fields = (
        "account_id",
        "region",
        "status",
        "scans",
        "found",
        "deleted",
        "failed",
        "left",
        "protected",
        "skipped",
        "held",
        "last_error",
        "started_at",
        "finished_at",
    )
    readonly_fields = fields
    ordering = ("account_id", "region")


@admin.register(CleanupRun)
class CleanupRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("__str__", "created_at", "workshop", "requested_by", "dry_run", "status", "progress_page")
    list_filter = ("status", "trigger", "dry_run")
    search_fields = ("workshop__title", "accounts__aws_account_id")
    list_select_related = ("workshop", "requested_by")
    readonly_fields = (
        "trigger",
        "workshop",
        "requested_by",
        "dry_run",
        "accounts",
        "regions",
        "services",
        "keep_tags",
        "only_tags",
        "name_patterns",
        "keep_name_patterns",
        "min_age_hours",
        "budget_seconds",
        "status",
        "error",
        "summary",
        "created_at",
        "started_at",
        "finished_at",
        "progress_page",
    )
    fields = readonly_fields
    inlines = [CleanupTargetInline]

    @admin.display(description=_("progress"))
    def progress_page(self, run: CleanupRun):
        return format_html('<a href="{}">{}</a>', reverse("cleaner:run", args=[run.pk]), gettext("Open"))


@admin.register(CleanupItem)
class CleanupItemAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("at", "run", "account_id", "region", "resource_type", "resource_id", "name", "action", "error")
    list_filter = ("action", "resource_type")
    search_fields = ("resource_id", "name", "account_id")
    list_select_related = ("run",)
    show_full_result_count = False  # a long run has many rows; counting them all costs a full scan


# --- Starting a cleanup from the pool's admin page ------------------------------------------------


def _start(modeladmin, request, queryset, *, dry_run: bool):
    if not (roles.is_solutions_architect(request.user) and request.user.has_perm("workshops.change_sandboxaccount")):
        modeladmin.message_user(request, gettext("Only Solutions Architects start cleanups."), messages.ERROR)
        return None
    accounts = list(queryset.order_by("aws_account_id"))
    if not dry_run and request.POST.get("confirmed") != "yes":
        return action_confirmation_page(
            modeladmin,
            request,
            title=gettext("Delete everything in these accounts: are you sure?"),
            question=gettext("Sweep these accounts clean, deleting every resource that is not protected?"),
            consequences=gettext("This cannot be undone. A dry run shows first what would be deleted."),
            items=[{"object": a, "status": a.get_state_display(), "warning": ""} for a in accounts],
            confirm_label=gettext("Delete: yes, I’m sure"),
            action_name="start_cleanup",
        )
    try:
        run = runs.sandbox_accounts_start_cleanup(
            account_pks=[a.pk for a in accounts], dry_run=dry_run, actor=request.user
        )
    except safety.SafetyError as refused:
        modeladmin.message_user(request, str(refused), messages.ERROR)
        return None
    link = format_html('<a href="{}">#{}</a>', reverse("cleaner:run", args=[run.pk]), run.pk)
    text = gettext("Dry run %(link)s started.") if dry_run else gettext("Cleanup %(link)s started.")
    modeladmin.message_user(request, format_html(text.replace("%(link)s", "{}"), link), messages.SUCCESS)
    return None


@admin.action(permissions=["sweep"], description=_("Dry run of a cleanup (deletes nothing)"))
def start_dry_run_cleanup(modeladmin, request, queryset):
    return _start(modeladmin, request, queryset, dry_run=True)


@admin.action(permissions=["sweep"], description=_("Clean up: delete everything not protected"))
def start_cleanup(modeladmin, request, queryset):
    return _start(modeladmin, request, queryset, dry_run=False)


sandbox_account_actions_add(start_dry_run_cleanup, start_cleanup)


# --- What the detector found ----------------------------------------------------------------------


@admin.register(Finding)
class FindingAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """What accounts still held after a clean sweep; an SA dismisses what is harmless (or cleans again)."""

    list_display = ("account_id", "region", "source", "resource_type", "identifier", "detail", "status", "run")
    list_filter = ("status", "source")
    search_fields = ("account_id", "identifier", "resource_type")
    list_select_related = ("run",)
    readonly_fields = (*list_display, "found_at", "decided_by", "decided_at")
    fields = readonly_fields
    actions = ["dismiss"]

    def has_dismiss_permission(self, request) -> bool:
        return roles.is_solutions_architect(request.user) and request.user.has_perm("workshops.change_sandboxaccount")

    @admin.action(permissions=["dismiss"], description=_("Dismiss: harmless, the account may go back to the pool"))
    def dismiss(self, request, queryset):
        chosen = list(queryset.filter(status=Finding.Status.OPEN).order_by("account_id", "identifier"))
        if not chosen:
            self.message_user(request, gettext("None of these findings is open."), messages.WARNING)
            return None
        if not action_confirmed(request):
            return action_confirmation_page(
                self,
                request,
                title=gettext("Dismiss these findings: are you sure?"),
                question=gettext("Is each of these harmless, so its account may go back to the pool?"),
                consequences=gettext(
                    "An account with nothing else open and a clean last sweep goes back to the pool, "
                    "with whatever these are still in it. To delete them, clean the account again instead."
                ),
                items=[{"object": f, "status": f.get_source_display(), "warning": f.detail} for f in chosen],
                confirm_label=gettext("Dismiss: yes, I’m sure"),
                action_name="dismiss",
            )
        dismissed, returned = findings.findings_dismiss(finding_pks=[f.pk for f in chosen], actor=request.user)
        text = gettext("%(count)s findings dismissed.") % {"count": dismissed}
        if returned:
            text += " " + gettext("Back in the pool: %(accounts)s.") % {"accounts": ", ".join(returned)}
        self.message_user(request, text, messages.SUCCESS)
        return None


class FindingInline(ReadOnlyInline):
    model = Finding
    fields = ("region", "source", "resource_type", "identifier", "detail", "status", "run", "found_at")
    readonly_fields = fields
    ordering = ("-found_at",)
    verbose_name_plural = _("found by the detector after a cleanup")


sandbox_account_inlines_add(FindingInline)
