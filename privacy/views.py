"""A person's own data: download it, or have it anonymised now (DESIGN.md section 8).

Both pages act on the signed-in person only: there is no id in the URL, so no one can ask for
anybody else's data.
"""

from __future__ import annotations

import json
from http import HTTPStatus

from django.contrib.auth import logout as auth_logout
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from privacy import selectors, services
from privacy.models import AnonymisationRun


def data_download_response(data, *, filename: str) -> HttpResponse:
    """A JSON file to save, never kept by a browser or a proxy cache."""
    response = HttpResponse(
        json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2), content_type="application/json"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@login_required
@require_GET
def my_data(request: HttpRequest) -> HttpResponse:
    """Download my data: everything the portal holds on the signed-in person."""
    return data_download_response(
        selectors.person_data(request.user), filename=f"cpp-portal-my-data-{timezone.localdate():%Y-%m-%d}.json"
    )


def refusal_message(refusal: selectors.Refusal) -> str:
    """Why the signed-in person cannot anonymise themselves now, and what to do about it."""

    def titles():
        return ", ".join(f"“{w.title}” ({date_format(w.local_start, 'DATE_FORMAT')})" for w in refusal.workshops)

    if refusal.reason == "staff":
        return _("Staff accounts are not anonymised here: ask a Solutions Architect.")
    if refusal.reason == "anonymised":
        return _("Your data is already anonymised.")
    if refusal.reason == "running":
        return _(
            "You are attending %(workshops)s, which is running now. Your sandbox account and attendance are still "
            "in use: come back once it has closed."
        ) % {"workshops": titles()}
    return _(
        "You still hold a place at %(workshops)s. Cancel it on My workshops first, so the seat goes to someone "
        "on the waitlist; then come back here."
    ) % {"workshops": titles()}


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def anonymise_me(request: HttpRequest) -> HttpResponse:
    """Anonymise me now: a confirmation page whose POST does it and signs the person out."""
    person = request.user
    refusal = selectors.anonymisation_refusal(person)
    if refusal is None and request.method == "POST":
        try:
            services.person_anonymise(person=person, trigger=AnonymisationRun.Trigger.SELF_SERVICE, requested_by=person)
        except services.AnonymisationRefused as refused:  # something changed since the check
            refusal = refused.refusal
        else:
            auth_logout(request)
            return redirect("privacy:anonymised")
    status = HTTPStatus.OK
    if refusal is not None:
        status = HTTPStatus.FORBIDDEN if refusal.reason == "staff" else HTTPStatus.CONFLICT
    return render(
        request,
        "privacy/anonymise_confirm.html",
        {
            "refusal": refusal_message(refusal) if refusal else "",
            "can_cancel": bool(refusal and refusal.reason == "upcoming"),
        },
        status=status,
    )


@require_GET
def anonymised(request: HttpRequest) -> HttpResponse:
    """What someone sees after anonymising themselves (they are signed out by then)."""
    return render(request, "privacy/anonymised.html")
