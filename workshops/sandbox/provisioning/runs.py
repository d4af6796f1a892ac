"""One run over a set of credentials: lease them, fan the AWS work out per account, record outcomes.

The calling thread owns the database: it leases and re-reads the credentials, groups them by
account, hands each group to a pool thread (workshops.sandbox.provisioning.iam, AWS only) and writes each
outcome as its account finishes. A write only lands on a credential still in a state the run
may change, so a rerun or a late result never undoes another run's work.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.db.models import F
from django.utils import timezone

from cpp_portal.aws import hub_client
from workshops.models import Credential, CredentialStatus, SandboxAccount, SandboxAccountState, Workshop
from workshops.sandbox import accounts, key_ring
from workshops.sandbox.provisioning.iam import Job, Outcome, UserSpec, provision_account, revoke_account

log = logging.getLogger(__name__)

# Accounts worked on at once by one run; the setting CPP_PROVISIONING_THREADS overrides it.
DEFAULT_THREADS = 16
# Longer than any healthy run takes; a worker that dies frees its credentials after this.
LEASE_SECONDS = 15 * 60

PROVISIONABLE = (CredentialStatus.PENDING, CredentialStatus.FAILED)
REVOCABLE = (CredentialStatus.PENDING, CredentialStatus.READY, CredentialStatus.FAILED, CredentialStatus.REVOKE_FAILED)


@dataclass
class RunReport:
    """What one provisioning or revocation run did."""

    done: int = 0
    failed: int = 0
    busy: int = 0  # skipped: another run holds them right now
    errors: dict[int, str] = field(default_factory=dict)  # credential id → the AWS error

    def summary(self, verb: str) -> str:
        return f"{self.done} {verb}, {self.failed} failed, {self.busy} left to a run already working on them."


def threads() -> int:
    return max(1, int(getattr(settings, "CPP_PROVISIONING_THREADS", DEFAULT_THREADS)))


@contextmanager
def _leased(credential_ids: Iterable[int]) -> Iterator[set[int]]:
    """The credentials this run may work on: those no other run, in any process, holds.

    An SA's retry while the start-of-day run is still going, or a revocation racing a late
    provisioning, would otherwise leave AWS holding a password other than the one stored.
    """
    token = uuid.uuid4().hex
    claimed = {pk for pk in credential_ids if cache.add(_lease_key(pk), token, LEASE_SECONDS)}
    try:
        yield claimed
    finally:
        for pk in claimed:
            if cache.get(_lease_key(pk)) == token:
                cache.delete(_lease_key(pk))


def _lease_key(credential_id: int) -> str:
    return f"cpp:credential-lease:{credential_id}"


def _fan_out(
    work: Callable[..., list[Outcome]], jobs_by_account: dict[str, list[Job]], *args
) -> Iterator[list[Outcome]]:
    """Run `work(account_id, jobs, *args)` per account on a bounded pool; yield results as they finish."""
    if not jobs_by_account:
        return
    # Built here, once: threads building the same hub client at the same moment race inside boto3.
    hub_client("sts")
    unexpected: list[BaseException] = []
    with ThreadPoolExecutor(max_workers=min(threads(), len(jobs_by_account)), thread_name_prefix="cpp-iam") as pool:
        futures = {pool.submit(work, account, jobs, *args): account for account, jobs in jobs_by_account.items()}
        for future in as_completed(futures):
            try:
                outcomes = future.result()
            except Exception as error:  # a bug, not an AWS answer: let the other accounts finish first
                log.exception("credentials in account %s: unexpected error", futures[future])
                unexpected.append(error)
                continue
            yield outcomes
    if unexpected:
        raise unexpected[0]


def _touchable(account: SandboxAccount, workshop: Workshop) -> bool:
    # Only accounts this workshop holds: one that left the OU (retired) or moved on to another state
    # is no longer the portal's to touch.
    return account.workshop_id == workshop.pk and account.state in (
        SandboxAccountState.IN_USE,
        SandboxAccountState.ASSIGNED,
    )


def _run(
    workshop: Workshop,
    credentials: list[Credential],
    *,
    statuses: tuple[str, ...],
    work: Callable[..., list[Outcome]],
    record: Callable[[Outcome, RunReport], None],
    args: tuple = (),
) -> RunReport:
    report = RunReport()
    with _leased(c.pk for c in credentials) as claimed:
        report.busy = len({c.pk for c in credentials}) - len(claimed)
        # Re-read under the lease: the run that held some a moment ago may have finished them.
        fresh = Credential.objects.select_related("sandbox_account").filter(pk__in=claimed, status__in=statuses)
        jobs: dict[str, list[Job]] = defaultdict(list)
        for credential in fresh.order_by("pk"):
            account = credential.sandbox_account
            if not _touchable(account, workshop):
                error = (
                    f"Not touched: sandbox account {account.aws_account_id} "
                    f"({account.get_state_display().lower()}) is not held by this workshop."
                )
                record(Outcome(credential.pk, error=error), report)
                continue
            jobs[account.aws_account_id].append(Job(credential.pk, credential.iam_user_name))
        for outcomes in _fan_out(work, jobs, *args):
            for outcome in outcomes:
                record(outcome, report)
    return report


# --- Provisioning --------------------------------------------------------------------------------


def _record_provisioning(outcome: Outcome, report: RunReport) -> None:
    now = timezone.now()
    pending = Credential.objects.filter(pk=outcome.credential_id, status__in=PROVISIONABLE)
    if outcome.error:
        pending.update(
            status=CredentialStatus.FAILED, last_error=outcome.error, attempts=F("attempts") + 1, updated_at=now
        )
        report.failed += 1
        report.errors[outcome.credential_id] = outcome.error
        return
    stored = pending.update(
        status=CredentialStatus.READY,
        password_encrypted=key_ring.encrypt(outcome.password),
        provisioned_at=now,
        last_error="",
        attempts=F("attempts") + 1,
        updated_at=now,
    )
    if stored:
        report.done += 1
    else:  # every status change holds the lease, so only a bug gets here; revocation still removes the user
        log.error("credential %s changed status while being provisioned", outcome.credential_id)


def provision(workshop: Workshop, credentials: list[Credential]) -> RunReport:
    """Make the IAM users of `credentials` (pending or failed ones; the rest are left alone)."""
    # A password made in AWS that cannot be stored is a user nobody can sign in as: check first.
    key_ring.ensure_configured()
    spec = UserSpec(
        workshop_id=workshop.pk,
        policy_arns=tuple(workshop.attendee_policy_arns or ()),
        boundary_arn=workshop.permissions_boundary_arn,
    )
    report = _run(
        workshop,
        credentials,
        statuses=PROVISIONABLE,
        work=provision_account,
        record=_record_provisioning,
        args=(spec,),
    )
    log.info("workshop %s: %s", workshop.pk, report.summary("provisioned"))
    return report


# --- Revocation ----------------------------------------------------------------------------------


def _record_revocation(outcome: Outcome, report: RunReport) -> None:
    now = timezone.now()
    still_open = Credential.objects.filter(pk=outcome.credential_id, status__in=REVOCABLE)
    # The secret goes either way: once the workshop is closed nobody may read it again.
    if outcome.error:
        still_open.update(
            status=CredentialStatus.REVOKE_FAILED, last_error=outcome.error, password_encrypted="", updated_at=now
        )
        report.failed += 1
        report.errors[outcome.credential_id] = outcome.error
    else:
        still_open.update(
            status=CredentialStatus.REVOKED, revoked_at=now, last_error="", password_encrypted="", updated_at=now
        )
        report.done += 1


def revoke(workshop: Workshop, credentials: list[Credential]) -> RunReport:
    """Remove the IAM users of `credentials` and wipe their secrets."""
    report = _run(workshop, credentials, statuses=REVOCABLE, work=revoke_account, record=_record_revocation)
    log.info("workshop %s: %s", workshop.pk, report.summary("revoked"))
    return report


def accounts_to_cleaning(workshop: Workshop) -> int:
    """Hand the cleaner every account of the workshop whose credentials are all revoked."""
    outstanding = (
        Credential.objects.filter(registration__workshop=workshop)
        .exclude(status=CredentialStatus.REVOKED)
        .values("sandbox_account_id")
    )
    return accounts.sandbox_accounts_to_cleaning(workshop=workshop, exclude_ids=outstanding)
