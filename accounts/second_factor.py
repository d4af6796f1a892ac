"""Staff's second factor (allauth.mfa): who must have one, and the gate until they do.

Solutions Architects and superusers hold the admin's power, so a password alone is not enough for
them: one without an authenticator app (TOTP) or a security key (WebAuthn) is sent to set one up
and reaches nothing else until it is done. Account Managers are offered one. Customers never have
a password, so allauth's second factor is not theirs: its pages are a 404 to them.
"""

from __future__ import annotations

from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from accounts import roles
from accounts.models import User
from cpp_portal.secret_box import box_for

# Recovery codes only back up one of these: on their own they are no second factor.
SECOND_FACTOR_TYPES = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)

# What a person who must set up a second factor may still open: the pages that set it up (and
# confirm their password for it), signing out, and choosing a language.
SET_UP_PAGES = frozenset(
    {
        "mfa_index",
        "mfa_activate_totp",
        "mfa_add_webauthn",
        "mfa_list_webauthn",
        "mfa_reauthenticate",
        "mfa_reauthenticate_webauthn",
        "mfa_view_recovery_codes",
        "mfa_generate_recovery_codes",
        "mfa_download_recovery_codes",
        "account_reauthenticate",
        "account_logout",
        "accounts:logout",
        "set_language",
        "healthz",
    }
)


def second_factor_required(user: User) -> bool:
    """Whether `user` may use the portal only with a second factor: SAs and superusers."""
    return bool(user.is_active and user.is_staff and (user.is_superuser or roles.is_solutions_architect(user)))


def has_second_factor(user: User) -> bool:
    return Authenticator.objects.filter(user_id=user.pk, type__in=SECOND_FACTOR_TYPES).exists()


# Whether the signed-in person has a second factor, kept in their session from the sign-in on (and
# updated when they add or remove one), so that the gate costs no query on every page.
SESSION_KEY = "accounts.has_second_factor"


def remember_second_factor(*, request: HttpRequest | None, user: User, **kwargs) -> None:
    """Receiver of user_logged_in and allauth.mfa's authenticator signals."""
    if request is not None and hasattr(request, "session") and user.is_staff:
        request.session[SESSION_KEY] = has_second_factor(user)


def totp_authenticator_set(*, user: User, secret: str) -> Authenticator:
    """Give `user` an authenticator app with this base32 secret, replacing any they had.

    For demo data and tests, where the secret must be known in advance; people set up their own
    on allauth's page, where the secret is random and never leaves their session.
    """
    Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).delete()
    return TOTP.activate(user, secret).instance


# Whose key opens the stored authenticator secrets (cpp_portal.secret_box): theirs alone.
SECRETS_PURPOSE = "accounts.second_factor.secrets"


class SecondFactorAdapter(DefaultMFAAdapter):
    # A TOTP secret or recovery-code seed is a staff member's second factor: stored in the clear, anyone
    # who reads the database (a backup, a replica, an admin shell) holds it. allauth stores what these return.
    def encrypt(self, text: str) -> str:
        return box_for(SECRETS_PURPOSE).encrypt(text.encode()).decode()

    def decrypt(self, encrypted_text: str) -> str:
        return box_for(SECRETS_PURPOSE).decrypt(encrypted_text.encode()).decode()

    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        # Whoever must have a second factor may swap one for another, never drop the last.
        user = authenticator.user
        if authenticator.type in SECOND_FACTOR_TYPES and second_factor_required(user):
            others = Authenticator.objects.filter(user=user, type__in=SECOND_FACTOR_TYPES).exclude(pk=authenticator.pk)
            return others.exists()
        return super().can_delete_authenticator(authenticator)


class SecondFactorRequiredMiddleware:
    """Sends an SA or superuser without a second factor to set one up; keeps customers out of allauth.mfa.

    In process_view, after the CSRF middleware's: a forged POST is refused as forged first.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> HttpResponse | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        match = request.resolver_match
        page = (match.view_name if match else "") or ""
        if not user.is_staff:
            if page.startswith("mfa_"):
                raise Http404
            return None
        if page in SET_UP_PAGES or request.session.get(SESSION_KEY) or not second_factor_required(user):
            return None
        if has_second_factor(user):  # a session from before the key was kept
            request.session[SESSION_KEY] = True
            return None
        messages.warning(
            request,
            _(
                "Solutions Architects and administrators need a second factor: set up an authenticator app "
                "or a security key to continue."
            ),
        )
        return redirect("mfa_index")
