"""The Account Managers' pages under /am/: their published workshops with a link to each, and inviting by list.

Only AMs see them; anyone else signed in gets 404, so the pages' existence tells them nothing, and
anonymous visitors are sent to sign in. An AM sees every published workshop but only their own
invitations and customers. Views read through the selectors and change things through the
services; a refusal becomes a message on the page.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import OuterRef, Subquery
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from accounts import roles
from staff.forms import InviteByListForm
from stats.selectors import account_manager_figures, customers_of_account_manager
from workshops.invitations import contacts_parse, customers_invite, invitation_for, invitation_link
from workshops.models import Invitation, RegistrationStatus, Stage
from workshops.registrations import registration_open_for
from workshops.selectors import workshops_of_account_manager

CUSTOMER_ORGANISATIONS_PER_PAGE = 20


def _account_manager_only(request) -> None:
    if not roles.is_account_manager(request.user):
        raise Http404


@require_GET
@login_required
def am_workshops(request):
    """The AM's published workshops with their link to each open one, and their customers' registrations.

    A fixed number of queries whatever the number of workshops or registrations: the AM's
    invitation tokens come with the workshops, and only an open workshop that somehow has no
    invitation yet (an AM added without the usual email) costs one more to create it.
    """
    _account_manager_only(request)
    am = request.user
    own_token = Invitation.objects.filter(workshop=OuterRef("pk"), account_manager=am).values("token")[:1]
    workshops = list(workshops_of_account_manager(am).annotate(invitation_token=Subquery(own_token)))
    for workshop in workshops:
        workshop.is_open = registration_open_for(workshop)
        workshop.invitation_link = ""
        if workshop.is_open:
            if workshop.invitation_token is None:
                workshop.invitation_token = invitation_for(workshop=workshop, account_manager=am).token
            workshop.invitation_link = invitation_link(Invitation(token=workshop.invitation_token))
    own_figures = account_manager_figures(account_manager=am)
    # A page of organisations at a time: an AM of many years has thousands of rows, and rendering
    # them all took seconds.
    customers = Paginator(customers_of_account_manager(am), CUSTOMER_ORGANISATIONS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    _with_labels(customers.object_list)
    context = {
        "workshops": workshops,
        "customers": customers,
        "figures": own_figures[0] if own_figures else None,
    }
    return render(request, "staff/am_workshops.html", context)


def _with_labels(groups: list) -> list:
    # Translated once per page rather than once per row: an AM with many customers has many rows.
    statuses = {value: str(label) for value, label in RegistrationStatus.choices}
    stages = {value: str(label) for value, label in Stage.choices}
    attendance = {True: _("Attended"), False: _("No-show"), None: _("Not marked")}
    for group in groups:
        for registration in group.registrations:
            registration.status_label = statuses[registration.status]
            registration.stage_label = stages[registration.workshop.stage]
            confirmed = registration.status == RegistrationStatus.CONFIRMED
            registration.attendance_label = attendance[registration.attended] if confirmed else "–"
    return groups


@require_http_methods(["GET", "POST"])
@login_required
def am_invite(request, workshop_id: int):
    """The AM's link to one workshop, and sending it to a pasted or uploaded list of contacts."""
    _account_manager_only(request)
    workshop = get_object_or_404(workshops_of_account_manager(request.user), pk=workshop_id)
    is_open = registration_open_for(workshop)
    if not is_open:
        if request.method == "POST":
            messages.error(request, _("Registration for “%(title)s” is closed.") % {"title": workshop.title})
            return redirect("staff:am_invite", workshop.pk)
        return render(request, "staff/am_invite.html", {"workshop": workshop, "is_open": False})
    invitation = invitation_for(workshop=workshop, account_manager=request.user)
    report = None
    if request.method == "POST":
        form = InviteByListForm(request.POST, request.FILES)
        if form.is_valid():
            report = customers_invite(
                invitation=invitation, rows=contacts_parse(form.cleaned_data["text"]), note=form.cleaned_data["note"]
            )
            if report.ok:
                messages.success(request, _sent_message(report))
                return redirect("staff:am_invite", workshop.pk)
    else:
        form = InviteByListForm()
    context = {
        "workshop": workshop,
        "is_open": True,
        "invitation_link": invitation_link(invitation),
        "form": form,
        "report": report,
    }
    return render(request, "staff/am_invite.html", context)


def _sent_message(report) -> str:
    sent = ngettext(
        "Your invitation is on its way to %(count)s contact.",
        "Your invitation is on its way to %(count)s contacts.",
        report.queued,
    ) % {"count": report.queued}
    if not report.already_invited:
        return sent
    skipped = ngettext(
        "%(count)s contact already had it and was not emailed again.",
        "%(count)s contacts already had it and were not emailed again.",
        report.already_invited,
    ) % {"count": report.already_invited}
    return f"{sent} {skipped}"
