"""Signing up and signing in by magic link, and completing a customer's profile.

Customers never have a password (DESIGN.md section 7). A known customer's link is a django-sesame
token in the "login" scope, spent by signing in (one-time tokens hang on the last login). A new
address gets an encrypted token that carries it (cpp_portal.secret_box), and its account is made only
when that link is used, which also spends it: a sign-up link works only while its address has no
account. Only a POST signs in (accounts.views), so mail scanners that prefetch links use nothing
up. Staff sign in with a password and a second factor: links for them are never sent and never work.
"""

from __future__ import annotations

import json
import logging
import secrets
from urllib.parse import urlencode

import sesame.utils
from cryptography.fernet import InvalidToken
from django.conf import settings
from django.contrib.auth import login
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from accounts.models import CustomerOrganisation, User, normalise_organisation_name
from accounts.sesame_tokens import is_canonical
from cpp_portal.secret_box import box_for
from notifications.models import EmailKind
from notifications.rendering import email_language, render_email
from notifications.services import email_enqueue_rendered

log = logging.getLogger(__name__)

# A token for signing in is useless anywhere else that reads sesame tokens, and vice versa.
MAGIC_LINK_SCOPE = "login"
# The salt of sign-up tokens (django.core.signing): a signature made for anything else is no sign-up.
SIGN_UP_SALT = "accounts.sign_up"

# What customer_profile_update writes on the user from the profile form's cleaned data.
PROFILE_FIELDS = ("first_name", "last_name", "job_title", "phone", "country", "preferred_language")


def magic_link_url(*, token: str, next_path: str = "") -> str:
    """The absolute sign-in link that carries `token`."""
    query = {settings.SESAME_TOKEN_NAME: token}
    if next_path:
        query["next"] = next_path
    return f"{settings.SITE_URL}{reverse('accounts:magic_link')}?{urlencode(query)}"


def sign_up_token(*, email: str, language: str) -> str:
    """An encrypted token carrying a new address: the account is made only when it is used.

    Encrypted, not only signed: the link travels through mail servers and lands in web-server logs,
    where a signed token would show the address to anyone who reads them.
    """
    return box_for(SIGN_UP_SALT).encrypt(json.dumps({"email": email, "language": language}).encode()).decode()


def _sign_up_address(token: str) -> tuple[str, str] | None:
    """(address, language) of a valid, unexpired sign-up token; None for anything else."""
    # Padded base64 has bits the decoder ignores: only the spelling encoding gives back is accepted.
    if not is_canonical(token, padded=True):
        return None
    try:
        data = json.loads(box_for(SIGN_UP_SALT).decrypt(token.encode(), ttl=settings.CPP_MAGIC_LINK_MINUTES * 60))
    except (InvalidToken, ValueError):  # tampered, expired, or not one of ours
        return None
    if not isinstance(data, dict) or not isinstance(data.get("email"), str):
        return None
    return data["email"], email_language(data.get("language"))


def magic_link_send(*, email: str, language: str, next_path: str = "") -> None:
    """Queue a sign-in link to `email`; a new address gets a sign-up link, and no account yet.

    Returns nothing on purpose: callers must answer the same whatever happened here. Staff sign in
    with a password and a second factor, never by link, and inactive people not at all: neither gets
    an email, but a link is still made and rendered so the request costs about the same time as
    one that sends.
    """
    address = email.strip().lower()
    user = User.objects.filter(email__iexact=address).first()
    if user is None:
        # The row is made when the link is used (magic_link_sign_in): asking makes nothing.
        language = email_language(language)
        token = sign_up_token(email=address, language=language)
    else:
        language = user.preferred_language
        token = sesame.utils.get_token(user, scope=MAGIC_LINK_SCOPE)
    context = {
        "link": magic_link_url(token=token, next_path=next_path),
        "expires_minutes": settings.CPP_MAGIC_LINK_MINUTES,
    }
    if user is not None and (user.is_staff or not user.is_active):
        # Rendered all the same, only for the time it takes: the answer must not tell who is staff or inactive.
        render_email(kind=EmailKind.MAGIC_LINK, language=language, context=context)
        log.info("magic link: not sent to %s user %s", "staff" if user.is_staff else "inactive", user.pk)
        return
    email_enqueue_rendered(
        kind=EmailKind.MAGIC_LINK,
        # Every request is a new link, so the key never repeats (the outbox dedupes on it); it names
        # nobody, since keys outlive the anonymisation that blanks the recipient.
        key=f"magic_link:{secrets.token_hex(16)}",
        to=address,
        language=language,
        context=context,
        recipient_id=user.pk if user else None,
    )


def magic_link_user(*, token: str | None) -> User | None:
    """The active customer a valid, unspent sign-in token belongs to; None for anything else.

    Staff never sign in by link, not even with one made before this rule: theirs are refused.
    """
    if not token:
        return None
    # update_last_login=False: looking must not spend the link, only signing in does.
    user = sesame.utils.get_user(token, scope=MAGIC_LINK_SCOPE, update_last_login=False)
    if user is None or user.is_staff:
        return None
    return user


def magic_link_email(*, token: str | None) -> str | None:
    """The address a usable sign-in or sign-up link is for (what its page shows); None if it is neither."""
    user = magic_link_user(token=token)
    if user is not None:
        return user.email
    signed_up = _sign_up_address(token or "")
    if signed_up is None or User.objects.filter(email__iexact=signed_up[0]).exists():
        return None
    return signed_up[0]


def magic_link_sign_in(*, request: HttpRequest, token: str | None) -> User | None:
    """Sign in with a sign-in or sign-up token and spend it; None if it is not (or no longer) valid."""
    user = magic_link_user(token=token)
    if user is None:
        return _sign_up_and_sign_in(request=request, token=token or "")
    with transaction.atomic():
        # Two POSTs of one link at the same moment: the row lock makes the second wait, and
        # the fresh check after it sees the last_login the first one wrote, so it fails.
        User.objects.select_for_update().filter(pk=user.pk).first()
        user = magic_link_user(token=token)
        if user is None:
            return None
        # login() updates last_login, which changes the token's signature: the link is spent.
        login(request, user)
    return user


def _sign_up_and_sign_in(*, request: HttpRequest, token: str) -> User | None:
    signed_up = _sign_up_address(token)
    if signed_up is None:
        return None
    email, language = signed_up
    try:
        with transaction.atomic():
            # A sign-up link is good only while its address has no account: the account it makes
            # spends it, and so does one made any other way (a second link, an SA in the admin).
            if User.objects.filter(email__iexact=email).exists():
                return None
            user = User.objects.create_user(email, preferred_language=language)
    except IntegrityError:  # the same link (or another for the address) pressed twice at once
        return None
    login(request, user, backend="sesame.backends.ModelBackend")
    return user


def home_url(user: User) -> str:
    """Where someone lands after signing in when nothing asked for a particular page."""
    if roles.is_solutions_architect(user):
        return reverse("admin:index")
    if roles.is_account_manager(user):
        return reverse("staff:am_workshops")
    if user.is_staff:
        return reverse("admin:index")
    return reverse("workshops:my_workshops")


def organisation_for_name(*, name: str, country: str, account_manager: User | None = None) -> CustomerOrganisation:
    """The organisation whose name matches `name` ignoring case and spacing, else a new one.

    `country` and `account_manager` are used only when the organisation is created; an existing
    one is returned as it is.
    """
    normalised = normalise_organisation_name(name)
    if not normalised:
        raise ValueError("An organisation needs a name.")
    defaults = {"name": name, "country": country, "account_manager": account_manager}
    try:
        with transaction.atomic():
            organisation, _created = CustomerOrganisation.objects.get_or_create(
                normalised_name=normalised, defaults=defaults
            )
    except IntegrityError:  # another request created the same company between our get and insert
        organisation = CustomerOrganisation.objects.get(normalised_name=normalised)
    return organisation


@transaction.atomic(durable=True)
def customer_profile_update(*, user: User, data: dict) -> User:
    """Save who a person is: names, company, job, phone, country, language and consent.

    `data` is the profile form's cleaned data. `company` (a name) is matched to an organisation;
    it is absent for staff, who belong to no customer organisation. A true `consent` records
    consent to the current privacy notice, keeping the original time if it was already given.
    """
    fields = [name for name in PROFILE_FIELDS if name in data]
    for name in fields:
        setattr(user, name, data[name])
    company = data.get("company")
    if company:
        current = user.organisation
        if current is None or current.normalised_name != normalise_organisation_name(company):
            user.organisation = organisation_for_name(name=company, country=data.get("country") or "")
            fields.append("organisation")
    version = settings.CPP_PRIVACY_NOTICE_VERSION
    if data.get("consent") and user.privacy_consent_version != version:
        user.privacy_consent_version = version
        user.privacy_consent_at = timezone.now()
        fields += ["privacy_consent_version", "privacy_consent_at"]
    user.save(update_fields=fields)
    return user
