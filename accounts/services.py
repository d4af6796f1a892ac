"""Signing up and signing in by magic link, and completing a customer's profile.

Customers never have a password (DESIGN.md section 7): asking for a link creates the account if
the address is new, and the link itself is a django-sesame token in the "login" scope. Only a
POST spends it (accounts.views), so mail scanners that prefetch links cannot use it up.
"""

from __future__ import annotations

import logging
import secrets
from urllib.parse import urlencode

import sesame.utils
from django.conf import settings
from django.contrib.auth import login
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from accounts.models import CustomerOrganisation, User, normalise_organisation_name
from notifications.models import EmailKind
from notifications.rendering import email_language, render_email
from notifications.services import email_enqueue_for

log = logging.getLogger(__name__)

# A token for signing in is useless anywhere else that reads sesame tokens, and vice versa.
MAGIC_LINK_SCOPE = "login"

# What customer_profile_update writes on the user from the profile form's cleaned data.
PROFILE_FIELDS = ("first_name", "last_name", "job_title", "phone", "country", "preferred_language")


def user_for_email(*, email: str, language: str) -> User:
    """The user with this address (any case), created without a password if there is none."""
    address = email.strip().lower()
    try:
        return User.objects.get(email__iexact=address)
    except User.DoesNotExist:
        pass
    try:
        with transaction.atomic():
            return User.objects.create_user(address, preferred_language=email_language(language))
    except IntegrityError:  # a concurrent request for the same address created it first
        return User.objects.get(email__iexact=address)


def magic_link_url(*, user: User, next_path: str = "") -> str:
    """The absolute sign-in link for `user`, good for SESAME_MAX_AGE and one sign-in."""
    query = {settings.SESAME_TOKEN_NAME: sesame.utils.get_token(user, scope=MAGIC_LINK_SCOPE)}
    if next_path:
        query["next"] = next_path
    return f"{settings.SITE_URL}{reverse('accounts:magic_link')}?{urlencode(query)}"


def magic_link_send(*, email: str, language: str, next_path: str = "") -> None:
    """Queue a sign-in link to `email`, signing the address up if it is new.

    Returns nothing on purpose: callers must answer the same whatever happened here. An
    inactive user gets no email, but the link is still made and rendered so the request costs
    about the same time as one that sends.
    """
    user = user_for_email(email=email, language=language)
    context = {
        "link": magic_link_url(user=user, next_path=next_path),
        "expires_minutes": settings.CPP_MAGIC_LINK_MINUTES,
    }
    if not user.is_active:
        # Rendered all the same, only for the time it takes: the answer must not tell who is inactive.
        render_email(kind=EmailKind.MAGIC_LINK, language=user.preferred_language, context=context)
        log.info("magic link: not sent to inactive user %s", user.pk)
        return
    email_enqueue_for(
        recipient=user,
        kind=EmailKind.MAGIC_LINK,
        # Every request is a new link, so the key never repeats (the outbox dedupes on it).
        key=f"magic_link:{user.pk}:{secrets.token_hex(8)}",
        context=context,
    )


def magic_link_user(*, token: str | None) -> User | None:
    """The active user a valid, unspent sign-in token belongs to; None for anything else."""
    if not token:
        return None
    # update_last_login=False: looking must not spend the link, only signing in does.
    return sesame.utils.get_user(token, scope=MAGIC_LINK_SCOPE, update_last_login=False)


def magic_link_sign_in(*, request: HttpRequest, token: str | None) -> User | None:
    """Sign in with a sign-in token and spend it; None if it is not (or no longer) valid."""
    user = magic_link_user(token=token)
    if user is None:
        return None
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
