"""The attendee's credentials: who may see them, their links, and every look audited.

The "account ready" email links to the credentials page with a django-sesame token scoped to the
one registration (`credentials:<id>`). Opening the link changes nothing; only signing in spends it.

Who sees what (`credentials_page_for`): only the attendee of the registration, and the secrets
only while the workshop runs and the credential is ready. Every page view and every reveal is
audited (CredentialView). The page itself is workshops.sandbox.views.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from urllib.parse import urlencode

import sesame.utils
from django.conf import settings
from django.contrib.auth import login
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse

from accounts.models import User
from workshops.models import (
    FINISHED_STAGES,
    Credential,
    CredentialStatus,
    CredentialView,
    Registration,
    RegistrationStatus,
    Stage,
    Workshop,
)
from workshops.sandbox import key_ring

log = logging.getLogger(__name__)

# --- Links ---------------------------------------------------------------------------------------


def credentials_scope(registration_id: int) -> str:
    """The sesame scope of a credentials link: it opens this registration's page, and nothing else."""
    return f"credentials:{registration_id}"


def credentials_path(registration_id: int) -> str:
    return reverse("workshops:credentials", args=[registration_id])


def credentials_link(registration: Registration) -> str:
    """A magic link that opens this registration's credentials page, and nothing else."""
    token = sesame.utils.get_token(registration.attendee, scope=credentials_scope(registration.pk))
    path = credentials_path(registration.pk)
    return f"{settings.SITE_URL}{path}?{urlencode({settings.SESAME_TOKEN_NAME: token})}"


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
    if stage in FINISHED_STAGES:
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
        password = key_ring.decrypt(page.credential.password_encrypted)
    except key_ring.SecretUnreadable as error:
        # A key dropped before its passwords were rotated, or a damaged row: log which, never the token.
        log.error("credential %s: stored password unreadable with every key", page.credential.pk)
        raise PasswordUnreadable from error
    CredentialView.objects.create(credential=page.credential, viewer=viewer, action=CredentialView.Action.REVEAL)
    return password
