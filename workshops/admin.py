"""The admin of workshops and the sandbox pool, for the two staff roles.

What a role may do at all comes from the group permissions of the staff-roles migration; which
rows it sees comes from the selectors. An AM gets every published workshop read-only and nothing
else here. State changes (stage moves, quarantine release) never happen in a form: they are
actions that go through the services, each behind a confirmation page.
"""

from __future__ import annotations

import functools
import re
import zoneinfo
from functools import partial

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import format_lazy
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from cpp_portal.admin_confirm import confirmation_page as _confirmation_page
from cpp_portal.admin_confirm import confirmed as _confirmed
from cpp_portal.read_only_admin import ReadOnlyAdminMixin, ReadOnlyInline
from workshops import invitations, services
from workshops.models import (
    Stage,
    StageChange,
    Topic,
    Workshop,
    validate_time_zone,
)
from workshops.selectors import workshops_visible_to
from workshops.services import ALLOWED_MOVES, MANUAL_MOVES, Move, StageError

# Reservations matter while the workshop still waits for its day; afterwards a gap is history.
STAGES_HOLDING_RESERVATIONS = (Stage.REGISTRATION_OPEN, Stage.REGISTRATION_CLOSED)


@functools.cache
def _time_zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def form_time_zone(request, workshop: Workshop | None) -> zoneinfo.ZoneInfo:
    """The zone a workshop form's times are typed in: the one posted with them, else the workshop's, else the default.

    Every form that edits a workshop (the admin's, the SA's pages) reads its times through this.
    """
    name = request.POST.get("time_zone", "").strip()
    if name not in _time_zone_names() and workshop is not None:
        name = workshop.time_zone
    if name not in _time_zone_names():
        name = Workshop._meta.get_field("time_zone").default
    return zoneinfo.ZoneInfo(name)


class StringListField(forms.Field):
    """A list of short strings, one per line or comma-separated; pasted JSON lists work too."""

    widget = forms.Textarea(attrs={"rows": 3, "cols": 60})

    def __init__(self, *, encoder=None, decoder=None, **kwargs):
        # The model's JSONField offers its encoder and decoder; a plain list of strings needs neither.
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return "\n".join(map(str, value)) if isinstance(value, list) else value

    def to_python(self, value):
        if isinstance(value, list):
            return value
        return re.findall(r"[^\s,\[\]\"']+", value or "")


WORKSHOP_FIELDSETS = (
    (_("What"), {"fields": ("title", "topic", "language", "agenda")}),
    (
        _("When"),
        {
            "description": _("Dates and times are in the workshop's own time zone."),
            "fields": ("time_zone", "starts_at", "ends_at", "registration_deadline", "provisioning_lead_minutes"),
        },
    ),
    (_("Where"), {"fields": ("venue", "online_link")}),
    (_("Who"), {"fields": ("capacity", "attendees_per_account", "owners", "account_managers")}),
    (_("AWS"), {"fields": ("aws_regions", "attendee_policy_arns")}),
    (_("Stage"), {"fields": ("stage", "accounts")}),
)
# Only the services change these; "accounts" is the count of the pool's reservations.
WORKSHOP_READONLY = ("stage", "accounts")


def _https_by_default(db_field, **kwargs):
    # Staff paste meeting links without a scheme; today they are https (and Django 6's default).
    if isinstance(db_field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return db_field.formfield(**kwargs)


class WorkshopForm(forms.ModelForm):
    class Meta:
        model = Workshop
        formfield_callback = _https_by_default
        fields = [
            name
            for _title, section in WORKSHOP_FIELDSETS
            for name in section["fields"]
            if name not in WORKSHOP_READONLY
        ]
        field_classes = {"aws_regions": StringListField, "attendee_policy_arns": StringListField}
        help_texts = {
            "aws_regions": _("One per line or separated by commas, e.g. eu-west-1, eu-central-1."),
            "attendee_policy_arns": _("One per line, e.g. arn:aws:iam::aws:policy/PowerUserAccess."),
        }

    def clean_time_zone(self):
        # The model validates this too, but only after the form has put the value on the instance,
        # and the page then shows the instance, whose name needs its time zone.
        time_zone = self.cleaned_data["time_zone"]
        validate_time_zone(time_zone)
        return time_zone


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
            super().save_model(request, obj, form, change)
            return
        # An edit of a published workshop has consequences (calendar updates, moved reminders,
        # promotions into new seats): the service carries them.
        services.workshop_update(workshop=obj, changed=set(form.changed_data), actor=request.user)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if change and "account_managers" in form.changed_data:
            # AMs added to a workshop already open get their invitation link like the others did.
            transaction.on_commit(partial(invitations.account_managers_invite, workshop_id=form.instance.pk))

    @admin.display(description=_("starts (local time)"), ordering="starts_at")
    def local_start(self, workshop):
        return f"{workshop.local_start:%Y-%m-%d %H:%M} {workshop.time_zone}"

    @admin.display(description=_("accounts reserved / needed"))
    def accounts(self, workshop):
        if workshop.pk is None:
            return "-"
        reserved, needed = getattr(workshop, "reserved_accounts", 0), workshop.accounts_needed
        if workshop.stage in STAGES_HOLDING_RESERVATIONS and reserved < needed:
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
        if not _confirmed(request):
            return _confirmation_page(
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
