"""Sign-in pages: asking for a magic link, using it, the profile, the privacy notice, sign-out.

The answer to "send me a link" never tells whether an address has an account: known, unknown
and deactivated addresses get the same redirect to the same page, and the rate limit counts
per address whether or not it exists.
"""

import logging
from http import HTTPStatus
from urllib.parse import urlencode

from allauth.account import views as allauth_views
from allauth.core import ratelimit
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import services
from accounts.forms import MagicLinkRequestForm, ProfileForm

log = logging.getLogger(__name__)


def safe_next(request: HttpRequest, value: str | None) -> str:
    """`value` if it is a path on this site, else "" (open redirects go nowhere)."""
    value = (value or "").strip()
    # Paths only (no host is allowed, so "//evil.example" fails too): the value travels in
    # emails built on SITE_URL, where this request's host means nothing.
    if not value.startswith("/") or not url_has_allowed_host_and_scheme(
        value, allowed_hosts=None, require_https=request.is_secure()
    ):
        return ""
    return value


def _with_next(url: str, next_path: str) -> str:
    return f"{url}?{urlencode({'next': next_path})}" if next_path else url


def remember_language(response: HttpResponse, language: str) -> HttpResponse:
    # The same cookie Django's set_language view writes, so LocaleMiddleware picks it up.
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def login(request: HttpRequest) -> HttpResponse:
    """Ask for a sign-in link by email; a new address gets a link that signs it up when used."""
    next_path = safe_next(request, request.POST.get("next") if request.method == "POST" else request.GET.get("next"))
    form = MagicLinkRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        # Per IP, then per address (ACCOUNT_RATE_LIMITS["magic_link"]); unknown addresses count too.
        if not ratelimit.consume(request, action="magic_link", key=email):
            log.warning("magic link: rate limited, nothing sent (ip or address over the limit)")
            return render(
                request,
                "accounts/login_limited.html",
                {"next": next_path, "minutes": settings.CPP_MAGIC_LINK_MINUTES},
                status=HTTPStatus.TOO_MANY_REQUESTS,
            )
        services.magic_link_send(email=email, language=translation.get_language(), next_path=next_path)
        return redirect(_with_next(reverse("accounts:login_sent"), next_path))
    return render(request, "accounts/login.html", {"form": form, "next": next_path})


@require_GET
def login_sent(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "accounts/login_sent.html",
        {"next": safe_next(request, request.GET.get("next")), "minutes": settings.CPP_MAGIC_LINK_MINUTES},
    )


def _invalid_link(request: HttpRequest, next_path: str, *, status: int) -> HttpResponse:
    return render(
        request,
        "accounts/magic_link_invalid.html",
        {"form": MagicLinkRequestForm(), "next": next_path, "minutes": settings.CPP_MAGIC_LINK_MINUTES},
        status=status,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def magic_link(request: HttpRequest) -> HttpResponse:
    """GET shows one button and changes nothing (mail scanners open links); POST signs in."""
    data = request.POST if request.method == "POST" else request.GET
    token, next_path = data.get(settings.SESAME_TOKEN_NAME), safe_next(request, data.get("next"))
    if not token:
        return _invalid_link(request, next_path, status=HTTPStatus.BAD_REQUEST)
    if request.method == "GET":
        email = services.magic_link_email(token=token)
        if email is None:
            return _invalid_link(request, next_path, status=HTTPStatus.GONE)
        return render(request, "accounts/magic_link.html", {"token": token, "next": next_path, "email": email})

    user = services.magic_link_sign_in(request=request, token=token)
    if user is None:
        return _invalid_link(request, next_path, status=HTTPStatus.GONE)
    if not user.profile_is_complete:
        target = _with_next(reverse("accounts:profile"), next_path)
    else:
        target = next_path or services.home_url(user)
    return remember_language(redirect(target), user.preferred_language)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    """Who you are: completed on the first sign-in, editable afterwards."""
    user = request.user
    next_path = safe_next(request, request.POST.get("next") if request.method == "POST" else request.GET.get("next"))
    form = ProfileForm(request.POST or None, instance=user)
    if request.method == "POST" and form.is_valid():
        user = services.customer_profile_update(user=user, data=form.cleaned_data)
        # The page speaks the language just chosen, from the message on the next page onwards.
        translation.activate(user.preferred_language)
        messages.success(request, _("Your profile is saved."))
        response = redirect(next_path or services.home_url(user))
        return remember_language(response, user.preferred_language)
    return render(
        request,
        "accounts/profile.html",
        {
            "form": form,
            "next": next_path,
            "first_time": not user.profile_is_complete,
            "notice_version": settings.CPP_PRIVACY_NOTICE_VERSION,
        },
    )


@require_GET
def privacy(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "accounts/privacy.html",
        {
            "notice_version": settings.CPP_PRIVACY_NOTICE_VERSION,
            "retention_days": settings.CPP_GDPR_RETENTION_DAYS,
        },
    )


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    auth_logout(request)
    messages.info(request, _("You are signed out."))
    return redirect("accounts:login")


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The front door: each person's own start page, or the sign-in page."""
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    return redirect(services.home_url(request.user))


def admin_login(request: HttpRequest) -> HttpResponse:
    """The admin's sign-in, sent to allauth's so staff get its rate limits there too."""
    if request.user.is_authenticated and not request.user.is_staff:
        # allauth would send a signed-in user straight back to `next` (the admin), which sends
        # them here again: a loop. Say plainly that the admin is for staff.
        return render(
            request,
            "accounts/staff_only.html",
            {"home": services.home_url(request.user)},
            status=HTTPStatus.FORBIDDEN,
        )
    query = request.META.get("QUERY_STRING", "")
    return redirect(f"{reverse('account_login')}?{query}" if query else reverse("account_login"))


def email_addresses(request: HttpRequest) -> HttpResponse:
    """allauth's page for adding and choosing addresses, closed: a person's address is who they are
    here (sign-in links go to it), and an unverified one must never replace it. SAs change it in the admin."""
    raise Http404


def password_set(request: HttpRequest) -> HttpResponse:
    """allauth's "set a password", for staff only: customers sign in by link and never have a password."""
    if request.user.is_authenticated and not request.user.is_staff:
        raise Http404
    return allauth_views.password_set(request)
