"""The admin of workshops and the sandbox pool, for the two staff roles.

What a role may do at all comes from the group permissions of the staff-roles migration; which
rows it sees comes from the selectors. An AM gets every published workshop read-only and nothing
else here. State changes (stage moves, quarantine release) never happen in a form: they are
actions that go through the services, each behind a confirmation page.
"""

from __future__ import annotations

import zoneinfo

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import format_lazy
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from cpp_portal.admin_confirm import action_confirmation_page, action_confirmed
from cpp_portal.read_only_admin import ReadOnlyAdminMixin, ReadOnlyInline
from workshops import services
from workshops.forms import WORKSHOP_FIELDSETS, WORKSHOP_READONLY, WorkshopForm, form_time_zone
from workshops.models import (
    UPCOMING_STAGES,
    Stage,
    StageChange,
    Topic,
    Workshop,
)
from workshops.selectors import workshops_visible_to
from workshops.services import ALLOWED_MOVES, MANUAL_MOVES, Move, StageError


class StageChangeInline(ReadOnlyInline):
    """The audit history of a workshop's stage: written by the services only, never by hand."""

    model = StageChange
    fields = ("created_at", "source", "target", "actor", "automatic", "note")
    readonly_fields = fields
    verbose_name_plural = _("stage history")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


def _stage_move_action(move: Move):
    def action(modeladmin, request, queryset):
        return modeladmin.stage_move(request, list(queryset), move, action_name=action.__name__)

    action.__name__ = f"move_to_{move.target}"
    return admin.action(permissions=["move_stage"], description=_move_label(move))(action)


def _move_label(move: Move):
    # "Cancel" alone would read like leaving the page; the target stage says what it does.
    return format_lazy("{} (→ {})", move.verb, Stage(move.target).label)


@admin.register(Workshop)
class WorkshopAdmin(admin.ModelAdmin):
    form = WorkshopForm
    list_display = ("title", "topic", "stage", "local_start", "capacity", "accounts", "owner_names")
    list_filter = ("stage", "topic", "language")
    search_fields = ("title",)
    date_hierarchy = "starts_at"
    readonly_fields = WORKSHOP_READONLY
    filter_horizontal = ("owners", "account_managers")
    inlines = [StageChangeInline]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}  # as in WorkshopForm
    actions = [_stage_move_action(move) for move in MANUAL_MOVES.values()]
    fieldsets = WORKSHOP_FIELDSETS

    def get_queryset(self, request):
        return workshops_visible_to(request.user).prefetch_related("owners")

    def get_changeform_initial_data(self, request):
        return {"owners": [request.user.pk], **super().get_changeform_initial_data(request)}

    def save_model(self, request, obj, form, change):
        if not change:
            services.workshop_create(
                workshop=obj,
                owners=form.cleaned_data["owners"],
                account_managers=form.cleaned_data["account_managers"],
                actor=request.user,
            )
            return
        # An edit of a published workshop has consequences (calendar updates, moved reminders,
        # promotions into new seats, invitations of added AMs): the service carries them.
        services.workshop_update(
            workshop=obj,
            changed=set(form.changed_data),
            account_managers_added=form.account_managers_added(),
            actor=request.user,
        )

    @admin.display(description=_("starts (local time)"), ordering="starts_at")
    def local_start(self, workshop):
        return f"{workshop.local_start:%Y-%m-%d %H:%M} {workshop.time_zone}"

    @admin.display(description=_("accounts reserved / needed"))
    def accounts(self, workshop):
        if workshop.pk is None:
            return "-"
        reserved, needed = getattr(workshop, "reserved_accounts", 0), workshop.accounts_needed
        if workshop.stage in UPCOMING_STAGES and reserved < needed:
            return format_html("<strong>{} / {}</strong> ({})", reserved, needed, _("the pool is short"))
        return f"{reserved} / {needed}"

    @admin.display(description=_("owners"))
    def owner_names(self, workshop):
        return ", ".join(str(owner) for owner in workshop.owners.all())

    # --- Times in the workshop's own time zone ---------------------------------------------------

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # Staff type a workshop's times as its attendees will read them, in the workshop's zone.
        # The page is rendered inside the override because the form formats its values then.
        with timezone.override(self._form_time_zone(request, object_id)):
            response = super().changeform_view(request, object_id, form_url, extra_context)
            if isinstance(response, TemplateResponse) and not response.is_rendered:
                response.render()
        return response

    def _form_time_zone(self, request, object_id) -> zoneinfo.ZoneInfo:
        workshop = self.get_object(request, unquote(object_id)) if object_id else None
        return form_time_zone(request, workshop)

    # --- Stage moves -----------------------------------------------------------------------------

    def has_move_stage_permission(self, request) -> bool:
        return request.user.has_perm("workshops.move_stage")

    def get_urls(self):
        move = path(
            "<path:object_id>/move/<str:target>/",
            self.admin_site.admin_view(self.stage_move_view),
            name="workshops_workshop_move",
        )
        return [move, *super().get_urls()]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and self.has_move_stage_permission(request):
            context["stage_move_buttons"] = [
                {"url": reverse("admin:workshops_workshop_move", args=[obj.pk, target]), "label": _move_label(move)}
                for target, move in MANUAL_MOVES.items()
                if target in ALLOWED_MOVES[obj.stage]
            ]
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    def stage_move_view(self, request, object_id, target):
        """The button on a workshop's page: the same confirmation as the action, for one workshop."""
        move = MANUAL_MOVES.get(target)
        if move is None:
            raise Http404(f"No stage move to {target!r}.")
        if not self.has_move_stage_permission(request):
            raise PermissionDenied
        workshop = self.get_object(request, unquote(object_id))
        if workshop is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        change_url = reverse("admin:workshops_workshop_change", args=[workshop.pk])
        response = self.stage_move(request, [workshop], move, original=workshop, cancel_url=change_url)
        return response or HttpResponseRedirect(change_url)

    def stage_move(self, request, workshops: list[Workshop], move: Move, **page):
        """Ask first; once confirmed, move each workshop on its own so one refusal stops no other."""
        if not action_confirmed(request):
            return action_confirmation_page(
                self,
                request,
                title=f"{move.verb}: {gettext('are you sure?')}",
                question=ngettext(
                    "Move this workshop to “%(stage)s”?", "Move these workshops to “%(stage)s”?", len(workshops)
                )
                % {"stage": Stage(move.target).label},
                consequences=move.consequences,
                items=[self._stage_move_preview(workshop, move) for workshop in workshops],
                confirm_label=f"{move.verb}: {gettext('yes, I’m sure')}",
                note_label=gettext("Reason (kept in the stage history)") if move.target == Stage.CANCELLED else "",
                **page,
            )
        extra = {"note": request.POST.get("note", "").strip()} if move.target == Stage.CANCELLED else {}
        moved = []
        for workshop in workshops:
            try:
                move.service(workshop_id=workshop.pk, actor=request.user, **extra)
            except StageError as refused:
                self.message_user(request, refused.message, messages.ERROR)
            else:
                moved.append(workshop)
        if moved:
            message = ngettext("%(titles)s is now “%(stage)s”.", "%(titles)s are now “%(stage)s”.", len(moved)) % {
                "titles": ", ".join(f"“{w.title}”" for w in moved),
                "stage": Stage(move.target).label,
            }
            self.message_user(request, message, messages.SUCCESS)
        return None

    @staticmethod
    def _stage_move_preview(workshop: Workshop, move: Move) -> dict:
        warning = ""
        if workshop.stage == move.target:
            warning = gettext("Already there: nothing will change.")
        elif move.target not in ALLOWED_MOVES[workshop.stage]:
            warning = gettext("This move is not allowed from its stage: it will be left as it is.")
        status = gettext("now “%(stage)s”") % {"stage": workshop.get_stage_display()}
        return {"object": workshop, "status": status, "warning": warning}


@admin.register(StageChange)
class StageChangeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every stage move of every workshop, as the services recorded it."""

    list_display = ("created_at", "workshop", "source", "target", "actor", "automatic", "note", "side_effects_done_at")
    list_filter = ("target", "automatic")
    search_fields = ("workshop__title",)
    list_select_related = ("workshop", "actor")


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ("name",)
    search_fields = ("name",)


# The pool's and the credentials' pages live with the rest of the sandbox side.
from workshops.sandbox import admin as sandbox_admin  # noqa: E402, F401
