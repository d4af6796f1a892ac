"""Attendee credentials: accounts handed out at the start, IAM users made, and removed at the close.

- Start (a workshop enters running): its reserved accounts go in use, topped up from the pool if
  short, and every confirmed registration gets a Credential (teams fill accounts in registration
  order). Then one task makes the IAM users: per account one after the other, accounts in
  parallel on a bounded thread pool (runs.py), because AWS limits are per account.
- One Celery task per workshop rather than one per account: clients and assumed roles are cached
  per process, the concurrency is bounded per run rather than by however many workers are free,
  and the work is I/O bound, so threads suffice. The threads only talk to AWS (iam.py); the
  calling thread does every database read and write, so they need no connections of their own.
- Everything is safe to run again: an existing user is reused, an existing login profile gets a
  new password (the one stored), a user already gone counts as removed, and a credential is
  worked on by one run at a time.
- The password exists in plaintext only in memory between being generated and being encrypted
  (workshops.sandbox.key_ring). The "account ready" email carries a magic link to the credentials page,
  never the password.
- Close: every user is removed, every secret wiped, and accounts whose credentials are all
  revoked go to cleaning.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from workshops.models import (
    FINISHED_STAGES,
    Credential,
    CredentialStatus,
    Registration,
    RegistrationStatus,
    SandboxAccount,
    SandboxAccountState,
    Stage,
    StageChange,
    Workshop,
)
from workshops.sandbox import accounts
from workshops.sandbox.credentials import credentials_link
from workshops.sandbox.provisioning import runs
from workshops.sandbox.provisioning.iam import new_iam_user_name
from workshops.sandbox.provisioning.runs import PROVISIONABLE, REVOCABLE, RunReport

__all__ = [
    "Assignment",
    "ProvisioningError",
    "ProvisioningProgress",
    "RevocationIncomplete",
    "RunReport",
    "account_ready_emails_queue",
    "RETRYABLE",
    "credential_retry",
    "credential_retry_refusal",
    "credentials_link",
    "provisioning_progress",
    "registration_provision",
    "workshop_accounts_assign",
    "workshop_provision",
    "workshop_revoke",
    "workshops_with_stalled_provisioning",
]

log = logging.getLogger(__name__)


class ProvisioningError(Exception):
    """A provisioning request that cannot be carried out now; the message says why."""


class RevocationIncomplete(Exception):
    """Some credentials of a closed workshop are still in AWS; the task tries again later."""


# --- Assignment ----------------------------------------------------------------------------------


@dataclass
class Assignment:
    credentials: int = 0  # made by this call
    accounts_added: int = 0  # taken from the pool on top of the reservation
    unassigned: int = 0  # confirmed registrations the pool had no account for


@transaction.atomic(durable=True)
def workshop_accounts_assign(*, workshop_id: int) -> Assignment:
    """Put a running workshop's accounts in use and give each confirmed registration a credential.

    A registration that has a credential keeps it, so running this again (or for a late
    confirmation) only places the newcomers, in the free seats of the accounts already in use.
    """
    workshop = Workshop.objects.select_for_update().get(pk=workshop_id)
    result = Assignment()
    if workshop.stage != Stage.RUNNING:
        return result
    accounts.sandbox_accounts_start_using(workshop=workshop)
    waiting = list(
        Registration.objects.filter(
            workshop=workshop, status=RegistrationStatus.CONFIRMED, credential__isnull=True
        ).order_by("queued_at", "pk")
    )
    if not waiting:
        return result
    team = workshop.attendees_per_account
    seated = Counter(
        Credential.objects.filter(registration__workshop=workshop).values_list("sandbox_account_id", flat=True)
    )
    in_use = list(
        SandboxAccount.objects.filter(workshop=workshop, state=SandboxAccountState.IN_USE).order_by("aws_account_id")
    )
    room = sum(max(0, team - seated[a.pk]) for a in in_use)
    missing = math.ceil(max(0, len(waiting) - room) / team)
    if missing:
        added = accounts.free_accounts_take(workshop=workshop, count=missing, to=SandboxAccountState.IN_USE)
        result.accounts_added = len(added)
        in_use += added

    taken_names = set(
        Credential.objects.filter(sandbox_account__in=in_use).values_list("sandbox_account_id", "iam_user_name")
    )
    seats = (account for account in in_use for _ in range(max(0, team - seated[account.pk])))
    credentials = []
    # zip stops at the shorter: when the pool is dry there are fewer seats than people.
    for registration, account in zip(waiting, seats):  # noqa: B905
        name = new_iam_user_name()
        while (account.pk, name) in taken_names:
            name = new_iam_user_name()
        taken_names.add((account.pk, name))
        credentials.append(Credential(registration=registration, sandbox_account=account, iam_user_name=name))
    Credential.objects.bulk_create(credentials)
    result.credentials = len(credentials)
    result.unassigned = len(waiting) - len(credentials)
    if result.unassigned:
        log.warning("workshop %s: %s confirmed attendees have no sandbox account", workshop.pk, result.unassigned)
    return result


# --- Provisioning --------------------------------------------------------------------------------


def workshop_provision(*, workshop_id: int) -> RunReport:
    """Make the IAM user of every pending or failed credential of a running workshop."""
    workshop_accounts_assign(workshop_id=workshop_id)  # newcomers, and room the pool has gained since
    workshop = Workshop.objects.get(pk=workshop_id)
    if workshop.stage != Stage.RUNNING:
        log.info("workshop %s is %s: nothing to provision", workshop.pk, workshop.stage)
        return RunReport()
    credentials = list(Credential.objects.filter(registration__workshop=workshop, status__in=PROVISIONABLE))
    report = runs.provision(workshop, credentials)
    account_ready_emails_queue(workshop_id=workshop.pk)
    return report


def workshops_with_stalled_provisioning(*, now=None) -> list[int]:
    """Running workshops with credentials left pending longer than a run's lease: their run was lost.

    A worker killed outright (its machine, or the OOM killer) leaves its task unacknowledged in
    Redis until the broker's visibility timeout, days later; nothing else would come back for them.
    """
    cutoff = (now or timezone.now()) - timedelta(seconds=runs.LEASE_SECONDS)
    return sorted(
        set(
            Credential.objects.filter(
                status=CredentialStatus.PENDING, updated_at__lt=cutoff, registration__workshop__stage=Stage.RUNNING
            ).values_list("registration__workshop_id", flat=True)
        )
    )


def workshops_with_stalled_revocation(*, now=None) -> list[int]:
    """Closed workshops closed longer than a lease ago whose credentials are still live: their revocation was lost.

    Only credentials that were handed out (ready) count: a failed revocation is the SA's to retry,
    and revoke_workshop comes back for those itself while its message lives.
    """
    cutoff = (now or timezone.now()) - timedelta(seconds=runs.LEASE_SECONDS)
    closed_long_ago = StageChange.objects.filter(target=Stage.CLOSED, created_at__lt=cutoff).values("workshop")
    return sorted(
        set(
            Credential.objects.filter(
                status=CredentialStatus.READY,
                registration__workshop__stage=Stage.CLOSED,
                registration__workshop__in=closed_long_ago,
            ).values_list("registration__workshop_id", flat=True)
        )
    )


RETRYABLE = (*PROVISIONABLE, CredentialStatus.REVOKE_FAILED)


def credential_retry_refusal(credential: Credential) -> str:
    """Why another try of this credential would do nothing now; "" when it would try.

    The staff page asks before it queues the retry, so the SA reads the reason at once rather than
    in a worker's log; credential_retry asks again when the task runs.
    """
    workshop = credential.registration.workshop
    if credential.status not in RETRYABLE:
        return _("Credential %(user)s is “%(status)s”: there is nothing to retry.") % {
            "user": credential.iam_user_name,
            "status": credential.get_status_display(),
        }
    if credential.status in PROVISIONABLE and workshop.stage != Stage.RUNNING:
        return _("“%(title)s” is %(stage)s: credentials are made only while it runs.") % {
            "title": workshop.title,
            "stage": workshop.get_stage_display().lower(),
        }
    return ""


def credential_retry(*, credential_id: int) -> Credential:
    """Try one attendee's credential again: make it if it failed, remove it if revoking failed."""
    credential = Credential.objects.select_related("registration__workshop").get(pk=credential_id)
    workshop = credential.registration.workshop
    if refusal := credential_retry_refusal(credential):
        if credential.status not in RETRYABLE:
            return credential  # ready or revoked: nothing to retry
        raise ProvisioningError(refusal)
    if credential.status == CredentialStatus.REVOKE_FAILED:
        report = runs.revoke(workshop, [credential])
        runs.accounts_to_cleaning(workshop)
    else:
        report = runs.provision(workshop, [credential])
        account_ready_emails_queue(workshop_id=workshop.pk)
    if report.busy:
        raise ProvisioningError(
            f"Credential {credential.iam_user_name} is being worked on by another run right now; "
            "look again in a minute."
        )
    credential.refresh_from_db()
    return credential


def registration_provision(*, registration_id: int) -> Credential | None:
    """Give a registration confirmed while its workshop runs its credential now; None if it gets none."""
    registration = Registration.objects.select_related("workshop").get(pk=registration_id)
    if registration.status != RegistrationStatus.CONFIRMED or registration.workshop.stage != Stage.RUNNING:
        return None
    workshop_accounts_assign(workshop_id=registration.workshop_id)
    credential = Credential.objects.filter(registration=registration).first()
    if credential is None:
        return None  # the pool had no account left: the progress view counts them as unassigned
    if credential.status in PROVISIONABLE:
        runs.provision(registration.workshop, [credential])
        account_ready_emails_queue(workshop_id=registration.workshop_id)
        credential.refresh_from_db()
    return credential


# --- The "account ready" email -------------------------------------------------------------------


def account_ready_key(credential_id: int) -> str:
    return f"account_ready:{credential_id}"


def account_ready_emails_queue(*, workshop_id: int) -> int:
    """Queue the "account ready" email of every ready credential that has none yet; returns how many."""
    from notifications.models import EmailKind, OutboundEmail
    from notifications.services import email_enqueue_for

    workshop = Workshop.objects.get(pk=workshop_id)
    if workshop.stage != Stage.RUNNING:
        return 0  # closed meanwhile: the link would open a page without credentials
    ready = list(
        Credential.objects.filter(registration__workshop=workshop, status=CredentialStatus.READY)
        .select_related("registration__attendee")
        .order_by("pk")
    )
    queued_before = set(
        OutboundEmail.objects.filter(key__in=[account_ready_key(c.pk) for c in ready]).values_list("key", flat=True)
    )
    queued = 0
    for credential in ready:
        if account_ready_key(credential.pk) in queued_before:
            continue
        registration = credential.registration
        attendee = registration.attendee
        try:
            email_enqueue_for(
                recipient=attendee,
                kind=EmailKind.ACCOUNT_READY,
                key=account_ready_key(credential.pk),
                context={
                    "workshop": workshop,
                    "attendee": attendee,
                    "credentials_link": credentials_link(registration),
                },
                workshop_id=workshop.pk,
                registration_id=registration.pk,
            )
        except Exception:
            # The credential is ready whatever happens to its email; the next run queues what is missing.
            log.exception("credential %s: the account-ready email could not be queued", credential.pk)
            continue
        queued += 1
    return queued


# --- Revocation ----------------------------------------------------------------------------------


def workshop_revoke(*, workshop_id: int) -> RunReport:
    """Remove every attendee's IAM user of a closed workshop, wipe the secrets, send the accounts to cleaning."""
    workshop = Workshop.objects.get(pk=workshop_id)
    if workshop.stage not in FINISHED_STAGES:
        raise ProvisioningError(
            f"“{workshop.title}” is {workshop.get_stage_display().lower()}: credentials are revoked only once "
            "it has closed."
        )
    credentials = list(Credential.objects.filter(registration__workshop=workshop, status__in=REVOCABLE))
    report = runs.revoke(workshop, credentials)
    runs.accounts_to_cleaning(workshop)
    _withdraw_account_ready_emails(workshop)
    return report


def _withdraw_account_ready_emails(workshop: Workshop) -> None:
    # One still waiting to go out would now invite the attendee to credentials that are gone.
    from notifications.services import email_cancel

    for pk in Credential.objects.filter(registration__workshop=workshop).values_list("pk", flat=True):
        email_cancel(key=account_ready_key(pk), reason="The workshop closed before it was sent.")


# --- Progress ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProvisioningProgress:
    by_status: dict[str, int]  # every CredentialStatus value, zeros included
    unassigned: int  # confirmed attendees of a running workshop without a credential (the pool ran dry)

    @property
    def total(self) -> int:
        return sum(self.by_status.values()) + self.unassigned

    @property
    def in_progress(self) -> bool:
        return bool(self.by_status[CredentialStatus.PENDING] or self.unassigned)


def provisioning_progress(workshop: Workshop) -> ProvisioningProgress:
    """A workshop's credentials counted per status, for the SA's progress view."""
    counts = dict(
        Credential.objects.filter(registration__workshop=workshop)
        .order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
    )
    unassigned = 0
    if workshop.stage == Stage.RUNNING:
        unassigned = Registration.objects.filter(
            workshop=workshop, status=RegistrationStatus.CONFIRMED, credential__isnull=True
        ).count()
    return ProvisioningProgress(
        by_status={status: counts.get(status, 0) for status in CredentialStatus.values}, unassigned=unassigned
    )
