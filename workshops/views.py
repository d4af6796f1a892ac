"""Pages of workshops for customers: the public invitation and a customer's own workshops.

The Account Managers' pages (/am/…) are in staff/am_views.py.

Views only read through the selectors and change things through the services; a refusal from a
service becomes a message on the page, never a trace. Whatever a visitor may not see answers 404,
so a page's existence tells them nothing.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.decorators import customer_profile_required
from notifications.calendar import workshop_calendar
from workshops import registrations as registration_services
from workshops.models import UPCOMING_STAGES, Invitation, Registration, RegistrationStatus, Stage
from workshops.registrations import RegistrationError, registration_open_for, waitlist_position
from workshops.selectors import (
    registration_held,
    registrations_of,
    seats_left,
    with_waitlist_position,
)
from workshops.survey import survey_refusal

# Invitations opened in this session, by workshop: attribution and the way back survive signing in.
SESSION_INVITATIONS = "workshops.invitations"
MAX_REMEMBERED = 20
# Real tokens are 24 URL-safe characters; anything else (say, a NUL that PostgreSQL refuses) is not worth a query.
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,64}")


def _with_next(name: str, next_path: str) -> str:
    return f"{reverse(name)}?{urlencode({'next': next_path})}"


def _remember(request, invitation: Invitation) -> None:
    remembered = dict(request.session.get(SESSION_INVITATIONS, {}))
    key = str(invitation.workshop_id)
    if remembered.get(key) == invitation.token:
        return
    remembered.pop(key, None)  # the latest link opened for a workshop is the one that counts
    remembered[key] = invitation.token
    request.session[SESSION_INVITATIONS] = dict(list(remembered.items())[-MAX_REMEMBERED:])


def _remembered_invitations(request, *, exclude_workshops: set[int]) -> list[Invitation]:
    """Invitations opened in this session whose workshop is still open and not yet registered for."""
    tokens = list(request.session.get(SESSION_INVITATIONS, {}).values())
    if not tokens:
        return []
    invitations = Invitation.objects.select_related("workshop", "account_manager").filter(token__in=tokens)
    return [
        invitation
        for invitation in invitations
        if invitation.workshop_id not in exclude_workshops and registration_open_for(invitation.workshop)
    ]


def _unavailable(request, invitation: Invitation | None):
    """The clear 404 of a link that does not (or no longer) lead to an open registration."""
    workshop = invitation.workshop if invitation else None
    held = None
    if workshop and request.user.is_authenticated:
        held = registration_held(attendee=request.user, workshop=workshop)
    context = {
        "workshop": workshop,
        "registration": held,
        "cancelled": bool(workshop and workshop.stage == Stage.CANCELLED),
    }
    return render(request, "workshops/invitation_unavailable.html", context, status=404)


@require_http_methods(["GET", "POST"])
def invitation(request, token: str):
    """The page an invitation link opens: the workshop, and the way to a seat."""
    found = None
    if TOKEN_SHAPE.fullmatch(token):
        found = Invitation.objects.select_related("workshop__topic", "account_manager").filter(token=token).first()
    if found is None:
        return _unavailable(request, None)
    if request.method == "POST":
        return _register(request, found)
    workshop = found.workshop
    if not registration_open_for(workshop):
        return _unavailable(request, found)
    _remember(request, found)
    user = request.user
    context = {
        "invitation": found,
        "workshop": workshop,
        "seats_left": seats_left(workshop),
        "registration": registration_held(attendee=user, workshop=workshop) if user.is_authenticated else None,
        "login_url": _with_next("accounts:login", request.path),
        "profile_url": _with_next("accounts:profile", request.path),
    }
    return render(request, "workshops/invitation.html", context)


def _register(request, invitation: Invitation):
    page = request.path
    user = request.user
    if not user.is_authenticated:
        return redirect(_with_next("accounts:login", page))
    if not user.profile_is_complete:
        return redirect(_with_next("accounts:profile", page))
    if user.is_staff:
        # Staff open links to see what customers see; a seat is for a customer.
        messages.error(request, _("Staff accounts cannot register for workshops."))
        return redirect(page)
    _remember(request, invitation)
    try:
        registration = registration_services.registration_create(
            workshop_id=invitation.workshop_id, attendee=user, invitation=invitation
        )
    except RegistrationError as error:
        messages.error(request, error.message)
        return redirect(page)
    title = registration.workshop.title
    if registration.status == RegistrationStatus.CONFIRMED:
        messages.success(
            request,
            _("You have a seat at “%(title)s”. A confirmation with a calendar invite is on its way to %(email)s.")
            % {"title": title, "email": user.email},
        )
    else:
        messages.info(
            request,
            _("“%(title)s” is full: you are number %(position)s on the waitlist. We will email you if a seat frees up.")
            % {"title": title, "position": waitlist_position(registration)},
        )
    return redirect("workshops:my_workshops")


def _mark_actions(registration: Registration) -> Registration:
    registration.can_cancel = (
        registration.status != RegistrationStatus.CANCELLED and registration.workshop.stage in UPCOMING_STAGES
    )
    registration.holds_seat = (
        registration.status == RegistrationStatus.CONFIRMED and registration.workshop.stage != Stage.CANCELLED
    )
    return registration


def _mark_survey(registration: Registration) -> Registration:
    # registrations_of brings the answer along (select_related): no query per registration.
    registration.survey_waiting = survey_refusal(registration) is None and not hasattr(registration, "survey_answer")
    return registration


@require_GET
@customer_profile_required
def my_workshops(request):
    """A customer's registrations: upcoming first, then past, each with what they can do about it."""
    upcoming, past = registrations_of(request.user)
    for registration in (*upcoming, *past):
        _mark_survey(_mark_actions(registration))
    held = {r.workshop_id for r in upcoming if r.status != RegistrationStatus.CANCELLED}
    context = {
        "upcoming": upcoming,
        "past": past,
        "waiting": _remembered_invitations(request, exclude_workshops=held),
    }
    return render(request, "workshops/my_workshops.html", context)


def _own_registration(request, registration_id: int) -> Registration:
    # Someone else's registration is a 404, the same as one that does not exist.
    registration = get_object_or_404(
        Registration.objects.select_related("workshop__topic"), pk=registration_id, attendee=request.user
    )
    return _mark_actions(with_waitlist_position(registration))


@require_http_methods(["GET", "POST"])
@customer_profile_required
def cancel_registration(request, registration_id: int):
    """Ask first; cancel only on the confirmed POST."""
    registration = _own_registration(request, registration_id)
    if registration.status == RegistrationStatus.CANCELLED:
        messages.info(request, _("This registration is already cancelled."))
        return redirect("workshops:my_workshops")
    if request.method == "POST" and request.POST.get("confirm") == "yes":
        try:
            registration_services.registration_cancel(registration_id=registration.pk, actor=request.user)
        except RegistrationError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request, _("Your registration for “%(title)s” is cancelled.") % {"title": registration.workshop.title}
            )
        return redirect("workshops:my_workshops")
    return render(request, "workshops/registration_cancel.html", {"registration": registration})


@require_GET
@customer_profile_required
def registration_calendar(request, registration_id: int):
    """The workshop as a calendar file: the event while the person holds a seat, a cancellation otherwise."""
    registration = _own_registration(request, registration_id)
    workshop = registration.workshop
    cancelled = not registration.holds_seat
    body = workshop_calendar(
        workshop=workshop,
        attendee_email=request.user.email,
        sequence=workshop.calendar_sequence,
        cancelled=cancelled,
    )
    method = "CANCEL" if cancelled else "REQUEST"
    response = HttpResponse(body, content_type=f"text/calendar; charset=utf-8; method={method}")
    response["Content-Disposition"] = f'attachment; filename="workshop-{workshop.pk}.ics"'
    return response
