"""The attendee's credentials page: how to sign in to their own sandbox account, on the day only.

The "account ready" email links here with a django-sesame token scoped to the one registration
(`credentials:<id>`). As with the sign-in link (accounts.views), opening the link changes nothing
and shows one button; only its POST signs in and spends the token, so mail scanners that prefetch
links cannot use it up. A signed-in attendee reaches the page directly from My workshops.

Who sees what (`credentials_page_for`): only the attendee of the registration, and the secrets
only while the workshop runs and the credential is ready. Anyone else (another customer, staff, an
anonymous visitor) gets the same 404 as for a registration that does not exist, so the page
tells them nothing. The password is never in a GET response: it is shown in the answer to the
"Reveal" POST. Every page view and every reveal is audited (CredentialView), and nothing here may
be cached or framed.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from http import HTTPStatus
from urllib.parse import urlencode

import sesame.utils
from django.conf import settings
from django.contrib.auth import login
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_deny
from django.views.decorators.http import require_http_methods, require_POST

from accounts.forms import MagicLinkRequestForm
from accounts.models import User
from accounts.views import remember_language
from workshops import secrets
from workshops.models import (
    Credential,
    CredentialStatus,
    CredentialView,
    Registration,
    RegistrationStatus,
    Stage,
    Workshop,
)

log = logging.getLogger(__name__)

TEMPLATE = "workshops/credentials.html"


# --- Links ---------------------------------------------------------------------------------------


def credentials_scope(registration_id: int) -> str:
    """The sesame scope of a credentials link (workshops.provisioning.credentials_link makes them)."""
    return f"credentials:{registration_id}"


def credentials_path(registration_id: int) -> str:
    return reverse("workshops:credentials", args=[registration_id])


def credentials_token_user(*, token: str, registration_id: int) -> User | None:
    """The attendee a valid, unspent credentials token of this registration belongs to; else None."""
    attendee_id = Registration.objects.filter(pk=registration_id).values_list("attendee_id", flat=True).first()
    if attendee_id is None or not token:
        return None
    # update_last_login=False: looking must not spend the link, only signing in does.
    user = sesame.utils.get_user(
        token,
        scope=credentials_scope(registration_id),
        max_age=settings.CPP_CREDENTIALS_LINK_MAX_AGE,
        update_last_login=False,
    )
    if user is None or user.pk != attendee_id or user.is_staff:
        return None
    return user


def credentials_sign_in(*, request: HttpRequest, token: str, registration_id: int) -> User | None:
    """Sign the attendee in with a credentials token and spend it; None if it is not (or no longer) valid."""
    user = credentials_token_user(token=token, registration_id=registration_id)
    if user is None:
        return None
    with transaction.atomic():
        # As accounts.services.magic_link_sign_in: two POSTs of one link at once queue on the row
        # lock, and the second one's fresh check sees the last_login the first wrote.
        User.objects.select_for_update().filter(pk=user.pk).first()
        user = credentials_token_user(token=token, registration_id=registration_id)
        if user is None:
            return None
        login(request, user)  # updates last_login, which spends this token and every older one
    return user


# --- Who may see what ----------------------------------------------------------------------------


class Availability(enum.StrEnum):
    READY = "ready"  # running, credential ready: the secrets are shown
    NOT_YET = "not_yet"  # before the workshop runs
    PREPARING = "preparing"  # running, the account is still being set up
    PROBLEM = "problem"  # running, but setting up the account failed
    ENDED = "ended"  # closed, or the credential revoked
    CANCELLED = "cancelled"  # the workshop was cancelled
    NO_SEAT = "no_seat"  # waitlisted or cancelled registration: no account for them


@dataclass(frozen=True)
class CredentialsPage:
    registration: Registration
    credential: Credential | None
    availability: Availability

    @property
    def workshop(self) -> Workshop:
        return self.registration.workshop

    @property
    def shows_secrets(self) -> bool:
        return self.availability == Availability.READY

    @property
    def account_id(self) -> str:
        return self.credential.sandbox_account.aws_account_id if self.shows_secrets else ""

    @property
    def console_url(self) -> str:
        return settings.CPP_CONSOLE_SIGNIN_URL.format(account_id=self.account_id) if self.shows_secrets else ""


def credentials_page_for(*, viewer: User, registration_id: int) -> CredentialsPage | None:
    """What `viewer` may see of a registration's credentials; None when it is not theirs to see."""
    if not viewer.is_authenticated or viewer.is_staff or not viewer.is_active:
        return None
    registration = (
        Registration.objects.select_related("workshop", "credential__sandbox_account")
        .filter(pk=registration_id, attendee=viewer)
        .first()
    )
    if registration is None:
        return None
    credential = getattr(registration, "credential", None)
    return CredentialsPage(registration, credential, _availability(registration, credential))


def _availability(registration: Registration, credential: Credential | None) -> Availability:
    stage = registration.workshop.stage
    if stage == Stage.CANCELLED:
        return Availability.CANCELLED
    if stage in (Stage.CLOSED, Stage.ANONYMISED):
        return Availability.ENDED
    if registration.status != RegistrationStatus.CONFIRMED:
        return Availability.NO_SEAT
    if stage != Stage.RUNNING:
        return Availability.NOT_YET
    if credential is None or credential.status == CredentialStatus.PENDING:
        return Availability.PREPARING
    if credential.status in (CredentialStatus.REVOKED, CredentialStatus.REVOKE_FAILED):
        return Availability.ENDED
    if credential.status == CredentialStatus.READY and credential.password_encrypted:
        return Availability.READY
    return Availability.PROBLEM


def credentials_page_seen(*, page: CredentialsPage, viewer: User) -> None:
    """Audit one opening of the page (only a page about an existing credential has anything to audit)."""
    if page.credential is not None:
        CredentialView.objects.create(credential=page.credential, viewer=viewer, action=CredentialView.Action.PAGE)


class PasswordUnreadable(Exception):
    """The stored password cannot be decrypted (its key is gone): the attendee needs a human."""


def credential_password_reveal(*, page: CredentialsPage, viewer: User) -> str | None:
    """The console password, audited; None when this page may not show it."""
    if not page.shows_secrets:
        return None
    try:
        password = secrets.decrypt(page.credential.password_encrypted)
    except secrets.SecretUnreadable as error:
        # A key dropped before its passwords were rotated, or a damaged row: log which, never the token.
        log.error("credential %s: stored password unreadable with every key", page.credential.pk)
        raise PasswordUnreadable from error
    CredentialView.objects.create(credential=page.credential, viewer=viewer, action=CredentialView.Action.REVEAL)
    return password


# --- Views ---------------------------------------------------------------------------------------


def _sealed(response: HttpResponse) -> HttpResponse:
    """No cache, no frame, no Referer to other sites: the page or its link must leave no copy anywhere."""
    # never_cache sets Cache-Control (with no-store); these cover framing in browsers that only
    # read CSP, and keep the URL (which may carry a token) out of Referer headers to the console.
    # Not "no-referrer": under it browsers send "Origin: null" with the page's own forms (sign in,
    # reveal), which Django's CSRF check refuses.
    response["Content-Security-Policy"] = "frame-ancestors 'none'"
    response["Referrer-Policy"] = "same-origin"
    return response


def _not_found(request: HttpRequest, registration_id: int) -> HttpResponse:
    # The same answer for a page that does not exist and one that is someone else's.
    context = {"login_url": f"{reverse('accounts:login')}?{urlencode({'next': credentials_path(registration_id)})}"}
    return render(request, "workshops/credentials_not_found.html", context, status=HTTPStatus.NOT_FOUND)


def _invalid_link(request: HttpRequest, registration_id: int) -> HttpResponse:
    # The sign-in link page's own answer, whose form sends a new sign-in link back to this page.
    context = {
        "form": MagicLinkRequestForm(),
        "next": credentials_path(registration_id),
        "minutes": settings.CPP_MAGIC_LINK_MINUTES,
    }
    return render(request, "accounts/magic_link_invalid.html", context, status=HTTPStatus.GONE)


def _profile_first(request: HttpRequest, registration_id: int) -> HttpResponse | None:
    # As every customer page (accounts.decorators): a changed privacy notice is accepted first.
    if request.user.profile_is_complete:
        return None
    return redirect(f"{reverse('accounts:profile')}?{urlencode({'next': credentials_path(registration_id)})}")


def _with_token(request: HttpRequest, registration_id: int, token: str) -> HttpResponse:
    """The magic link: GET shows one button and changes nothing; its POST signs in."""
    clean_page = credentials_path(registration_id)
    if request.method == "GET":
        user = credentials_token_user(token=token, registration_id=registration_id)
        if user is None:
            return _invalid_link(request, registration_id)
        if request.user.is_authenticated and request.user.pk == user.pk:
            return redirect(clean_page)  # already signed in: keep the link for another device
        return render(request, "workshops/credentials_sign_in.html", {"token": token, "email": user.email})
    user = credentials_sign_in(request=request, token=token, registration_id=registration_id)
    if user is None:
        return _invalid_link(request, registration_id)
    return remember_language(redirect(clean_page), user.preferred_language)


def _page(request: HttpRequest, page: CredentialsPage, **extra) -> HttpResponse:
    return render(request, TEMPLATE, {"page": page, "workshop": page.workshop, **extra})


@never_cache
@xframe_options_deny
@require_http_methods(["GET", "POST"])
def credentials(request: HttpRequest, registration_id: int) -> HttpResponse:
    """An attendee's sandbox account: how to sign in, or why it is not (or no longer) there."""
    data = request.POST if request.method == "POST" else request.GET
    token = data.get(settings.SESAME_TOKEN_NAME)
    if token is not None:
        return _sealed(_with_token(request, registration_id, token))
    page = credentials_page_for(viewer=request.user, registration_id=registration_id)
    if page is None or request.method == "POST":
        return _sealed(_not_found(request, registration_id))
    if (response := _profile_first(request, registration_id)) is not None:
        return _sealed(response)
    credentials_page_seen(page=page, viewer=request.user)
    return _sealed(_page(request, page))


@never_cache
@xframe_options_deny
@require_POST
def credentials_reveal(request: HttpRequest, registration_id: int) -> HttpResponse:
    """The page again, with the password shown: the only response that ever carries it."""
    page = credentials_page_for(viewer=request.user, registration_id=registration_id)
    if page is None:
        return _sealed(_not_found(request, registration_id))
    if (response := _profile_first(request, registration_id)) is not None:
        return _sealed(response)
    try:
        password = credential_password_reveal(page=page, viewer=request.user)
    except PasswordUnreadable:
        return _sealed(_page(request, page, password_unreadable=True))
    if password is None:
        # Not (or no longer) running: the page itself says why.
        return _sealed(redirect(credentials_path(registration_id)))
    return _sealed(_page(request, page, password=password))
