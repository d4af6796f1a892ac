"""The attendee's credentials page: how to sign in to their own sandbox account, on the day only.

The "account ready" email links here with a django-sesame token scoped to the one registration
(`credentials:<id>`). As with the sign-in link (accounts.views), opening the link changes nothing
and shows one button; only its POST signs in and spends the token, so mail scanners that prefetch
links cannot use it up. A signed-in attendee reaches the page directly from My workshops.

Who sees what (`credentials.credentials_page_for`): only the attendee of the registration, and the secrets
only while the workshop runs and the credential is ready. Anyone else (another customer, staff, an
anonymous visitor) gets the same 404 as for a registration that does not exist, so the page
tells them nothing. The password is never in a GET response: it is shown in the answer to the
"Reveal" POST. Every page view and every reveal is audited (CredentialView), and nothing here may
be cached or framed.
"""

from __future__ import annotations

from http import HTTPStatus
from urllib.parse import urlencode

from csp.constants import NONE
from csp.utils import build_policy
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_deny
from django.views.decorators.http import require_http_methods, require_POST

from accounts.forms import MagicLinkRequestForm
from accounts.views import remember_language
from workshops.sandbox.credentials import (
    CredentialsPage,
    PasswordUnreadable,
    credential_password_reveal,
    credentials_page_for,
    credentials_page_seen,
    credentials_path,
    credentials_sign_in,
    credentials_token_user,
)

TEMPLATE = "workshops/credentials.html"


def _sealed(response: HttpResponse) -> HttpResponse:
    """No cache, no frame, no Referer to other sites: the page or its link must leave no copy anywhere."""
    # never_cache sets Cache-Control (with no-store); the policy covers framing in browsers that
    # only read CSP, and Referrer-Policy keeps the URL (which may carry a token) out of Referer
    # headers to the console. Not "no-referrer": under it browsers send "Origin: null" with the
    # page's own forms (sign in, reveal), which Django's CSRF check refuses.
    # The site-wide policy (settings.CONTENT_SECURITY_POLICY) with frame-ancestors pinned here, so
    # a change to the site's policy can never let this page be framed; the middleware leaves a
    # header a view set alone, so this one is the page's whole policy.
    response["Content-Security-Policy"] = build_policy(replace={"frame-ancestors": [NONE]})
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
