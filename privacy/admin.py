"""Privacy in the admin: the report of every anonymisation run, and two actions on people.

The actions ("Export data", "Anonymise now") are added to the people admin from here so the
accounts app does not depend on this one; only Solutions Architects and superusers see them.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accounts import roles
from accounts.models import User
from cpp_portal.admin_confirm import action_confirmation_page, action_confirmed
from cpp_portal.read_only_admin import ReadOnlyAdminMixin
from privacy import selectors, services
from privacy.models import AnonymisationRun
from privacy.views import data_download_response


@admin.register(AnonymisationRun)
class AnonymisationRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("__str__", "started_at", "finished_at", "trigger", "dry_run", "requested_by", "counts")
    list_filter = ("trigger", "dry_run")
    list_select_related = ("requested_by",)
    fields = ("trigger", "dry_run", "requested_by", "options", "counts", "error", "started_at", "finished_at")
    readonly_fields = fields


def _refusal_text(refusal: selectors.Refusal) -> str:
    titles = ", ".join(f"“{workshop.title}”" for workshop in refusal.workshops)
    return {
        "staff": gettext("staff: never anonymised"),
        "anonymised": gettext("already anonymised"),
        "running": gettext("attending %(workshops)s, running now: wait until it closes") % {"workshops": titles},
        "upcoming": gettext("holds a place at %(workshops)s: cancel the registration first") % {"workshops": titles},
    }[refusal.reason]


@admin.action(permissions=["privacy"], description=_("Export data (JSON)"))
def export_data(modeladmin, request, queryset):
    people = list(queryset.order_by("pk"))
    data = {"people": [selectors.person_data(person) for person in people]}
    return data_download_response(data, filename=f"cpp-portal-people-data-{timezone.localdate():%Y-%m-%d}.json")


@admin.action(permissions=["privacy"], description=_("Anonymise now"))
def anonymise_now(modeladmin, request, queryset):
    people = list(queryset.order_by("email"))
    refusals = {person.pk: selectors.anonymisation_refusal(person) for person in people}
    allowed = [person.pk for person in people if refusals[person.pk] is None]
    if not action_confirmed(request):
        items = [
            {
                "object": person,
                "status": gettext("will be anonymised") if refusals[person.pk] is None else gettext("left as is"),
                "warning": _refusal_text(refusals[person.pk]) if refusals[person.pk] else "",
            }
            for person in people
        ]
        return action_confirmation_page(
            modeladmin,
            request,
            title=gettext("Anonymise now: are you sure?"),
            question=ngettext("Anonymise this person now?", "Anonymise these people now?", len(people)),
            consequences=gettext(
                "Names, email addresses, phone numbers, job titles, survey comments and the emails sent to them are "
                "replaced or deleted, their accounts deactivated and signed out. Company, country, attendance and "
                "survey scores stay for the statistics. This cannot be undone."
            ),
            items=items,
            confirm_label=gettext("Anonymise now: yes, I’m sure"),
            action_name="anonymise_now",
        )
    for person in people:
        if refusals[person.pk] is not None:
            modeladmin.message_user(request, f"{person}: {_refusal_text(refusals[person.pk])}", messages.WARNING)
    if not allowed:
        return None
    run = services.people_anonymise(
        people_ids=allowed, trigger=AnonymisationRun.Trigger.STAFF, requested_by=request.user
    )
    count = run.counts.get("people", 0)
    modeladmin.message_user(
        request,
        ngettext("%(count)s person anonymised.", "%(count)s people anonymised.", count) % {"count": count},
        messages.SUCCESS,
    )
    return None


def _may_use_privacy_actions(request) -> bool:
    return roles.is_solutions_architect(request.user)


def _add_actions_to_people_admin() -> None:
    people_admin = admin.site.get_model_admin(User)
    people_admin.actions = [*(people_admin.actions or ()), export_data, anonymise_now]
    # What `permissions=["privacy"]` asks for: an AM must not export or erase their customers.
    people_admin.has_privacy_permission = _may_use_privacy_actions


_add_actions_to_people_admin()
