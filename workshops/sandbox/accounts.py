"""The one owner of `SandboxAccount.state`: every move of a pool account goes through `move`.

A workshop's round trip, and the detours::

    available ──reserve──▶ assigned ──start──▶ in_use ──revoked──▶ cleaning ──clean──▶ available
        │                     │                                       │
        │                     └──cancel──▶ available                  └──3rd failure──▶ quarantined
        └──start, pool short──▶ in_use                                   quarantined ──SA releases──▶ available

    available   → assigned     publishing reserves it for the workshop's seats
    available   → in_use       a workshop that starts short of accounts takes it straight from the pool
    available   → quarantined  a pool account's own sweep failed the third time, or the bill shows
                               a service still billing after its last cleanup
    available   → cleaning     the scheduled full sweep of every enabled region takes an idle account
    assigned    → in_use       the workshop starts
    assigned    → available    the workshop is cancelled
    assigned    → cleaning     closed with its credentials revoked, never having been put in use
    in_use      → cleaning     its attendees' credentials are revoked
    cleaning    → available    clean: two scans in a row found nothing
    cleaning    → quarantined  the third failed cleanup in a row
    quarantined → available    an SA has checked it and releases it
    (any)       → retired      it left the sandbox OU; outside it the portal touches nothing
    retired     → available    it came back to the OU

A move names the states it leaves and the one it enters; one that `ALLOWED_MOVES` does not list
raises `IllegalMove` before anything is written. Bulk moves filter on the states they leave, so an
account that moved on meanwhile (another workshop took it, it left the OU) is left alone.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from workshops.models import UPCOMING_STAGES, SandboxAccount, Workshop
from workshops.models import SandboxAccountState as State

log = logging.getLogger(__name__)

ALLOWED_MOVES: dict[str, frozenset[str]] = {
    State.AVAILABLE: frozenset({State.ASSIGNED, State.IN_USE, State.QUARANTINED, State.CLEANING, State.RETIRED}),
    State.ASSIGNED: frozenset({State.AVAILABLE, State.IN_USE, State.CLEANING, State.RETIRED}),
    State.IN_USE: frozenset({State.CLEANING, State.RETIRED}),
    State.CLEANING: frozenset({State.AVAILABLE, State.QUARANTINED, State.RETIRED}),
    State.QUARANTINED: frozenset({State.AVAILABLE, State.RETIRED}),
    State.RETIRED: frozenset({State.AVAILABLE}),
}
# Besides the state, what a move may set: which workshop holds the account, its failure count.
MOVE_FIELDS = frozenset({"workshop", "workshop_id", "failed_cleanups"})
# A cleanup that fails this many times in a row sends the account to quarantine, for an SA to look at.
QUARANTINE_AFTER = 3


class IllegalMove(ValueError):
    """A state change the account lifecycle does not allow."""

    def __init__(self, source: str, target: str):
        self.source, self.target = source, target
        super().__init__(f"a sandbox account cannot move from {source} to {target}")


def _check(sources: Iterable[str], target: str, changes: dict) -> None:
    for source in sources:
        if target not in ALLOWED_MOVES[source]:
            raise IllegalMove(source, target)
    if unknown := set(changes) - MOVE_FIELDS:
        raise TypeError(f"a move sets only the state and {sorted(MOVE_FIELDS)}, not {sorted(unknown)}")


def move(accounts: QuerySet[SandboxAccount], *, source: str | Iterable[str], to: str, **changes) -> int:
    """Move the accounts of `accounts` that are in `source` to `to`; returns how many moved."""
    sources = (source,) if isinstance(source, str) else tuple(source)
    _check(sources, to, changes)
    return accounts.filter(state__in=sources).update(state=to, updated_at=timezone.now(), **changes)


def move_one(account: SandboxAccount, *, to: str, **changes) -> SandboxAccount:
    """Move one account (the caller holds its row lock) from the state it is in to `to`."""
    _check((account.state,), to, changes)
    account.state = to
    for field, value in changes.items():
        setattr(account, field, value)
    account.save(update_fields=["state", *(f.removesuffix("_id") for f in changes), "updated_at"])
    return account


def free_accounts_take(*, workshop: Workshop, count: int, to: str) -> list[SandboxAccount]:
    """Take up to `count` free pool accounts for `workshop` into `to`, in account-id order.

    skip_locked: two workshops published or started at once take different accounts instead of
    waiting for each other. Call it inside a transaction.
    """
    if count <= 0:
        return []
    free = list(
        SandboxAccount.objects.select_for_update(skip_locked=True)
        .filter(state=State.AVAILABLE, workshop__isnull=True)
        .order_by("aws_account_id")
        .values_list("pk", flat=True)[:count]
    )
    move(SandboxAccount.objects.filter(pk__in=free), source=State.AVAILABLE, to=to, workshop=workshop)
    return list(SandboxAccount.objects.filter(pk__in=free, workshop=workshop, state=to).order_by("aws_account_id"))


# --- The workshops' hold on accounts ---------------------------------------------------------------


@transaction.atomic(durable=True)
def sandbox_accounts_reserve(*, workshop_id: int) -> int:
    """Reserve accounts for a published workshop's seats; returns how many the pool lacks."""
    workshop = Workshop.objects.select_for_update().get(pk=workshop_id)
    if workshop.stage not in UPCOMING_STAGES:
        return 0  # cancelled or moved on before this ran
    missing = workshop.accounts_needed - workshop.sandbox_accounts.count()
    if missing <= 0:
        return 0
    shortfall = missing - len(free_accounts_take(workshop=workshop, count=missing, to=State.ASSIGNED))
    if shortfall:
        log.warning("workshop %s lacks %s sandbox accounts", workshop.pk, shortfall)
    return shortfall


@transaction.atomic(durable=True)
def sandbox_accounts_release(*, workshop_id: int) -> int:
    """Give a cancelled workshop's untouched reservations back to the pool."""
    reserved = SandboxAccount.objects.filter(workshop_id=workshop_id)
    return move(reserved, source=State.ASSIGNED, to=State.AVAILABLE, workshop=None)


def sandbox_accounts_start_using(*, workshop: Workshop) -> int:
    """A workshop that starts running puts the accounts it reserved in use."""
    return move(SandboxAccount.objects.filter(workshop=workshop), source=State.ASSIGNED, to=State.IN_USE)


def sandbox_accounts_to_cleaning(*, workshop: Workshop, exclude_ids: QuerySet | Iterable[int] = ()) -> int:
    """Hand the cleaner the workshop's held accounts, but those in `exclude_ids` (credentials still live)."""
    held = SandboxAccount.objects.filter(workshop=workshop).exclude(pk__in=exclude_ids)
    return move(held, source=(State.IN_USE, State.ASSIGNED), to=State.CLEANING)


@transaction.atomic(durable=True)
def sandbox_account_release_quarantine(*, account_id: int, actor: User) -> SandboxAccount:
    """An SA's decision that a quarantined account is clean enough to go back to the pool."""
    account = SandboxAccount.objects.select_for_update().get(pk=account_id)
    if account.state != State.QUARANTINED:
        raise ValueError(
            _("Account %(id)s is %(state)s, not quarantined.")
            % {"id": account.aws_account_id, "state": account.get_state_display()}
        )
    move_one(account, to=State.AVAILABLE, failed_cleanups=0, workshop=None)
    log.info("sandbox account %s released from quarantine by %s", account.aws_account_id, actor.pk)
    return account


def sandbox_account_record_cleanup(account_pk: int, *, succeeded: bool, held: bool = False) -> str:
    """A cleanup's verdict on one account: back to the pool when clean, quarantined after three failures.

    `held`: not clean, but through no failure (AWS refuses a delete until a date; the detector saw
    something an SA must look at): it stays where it is and no failure is counted.
    Call it inside a transaction; returns the account's state afterwards.
    """
    account = SandboxAccount.objects.select_for_update().get(pk=account_pk)
    if held and not succeeded:
        return account.state
    if succeeded:
        if account.state == State.CLEANING:
            return move_one(account, to=State.AVAILABLE, failed_cleanups=0, workshop=None).state
        account.failed_cleanups = 0
    else:
        account.failed_cleanups += 1
        movable = (State.CLEANING, State.AVAILABLE)
        if account.failed_cleanups >= QUARANTINE_AFTER and account.state in movable:
            log.warning("sandbox account %s quarantined: %s failed cleanups", account.aws_account_id, QUARANTINE_AFTER)
            return move_one(account, to=State.QUARANTINED, failed_cleanups=account.failed_cleanups).state
    account.save(update_fields=["failed_cleanups", "updated_at"])
    return account.state


def sandbox_accounts_to_full_sweep(accounts: QuerySet[SandboxAccount]) -> int:
    """Idle pool accounts out of the pool for a sweep of every region; how many moved.

    A reservation that got to an account first wins: the move filters on `available`, and in
    PostgreSQL an update waiting on a reserving transaction's lock sees the row it committed.
    """
    return move(accounts, source=State.AVAILABLE, to=State.CLEANING)


def sandbox_account_hold(account_pk: int, *, why: str) -> str:
    """Something the cleaner missed was seen after the account went back to the pool: out of it until an SA decides.

    Only an account nobody holds moves (to quarantine); one already given to a workshop stays with
    it, and the finding waits for its next cleanup. Call it inside a transaction.
    """
    account = SandboxAccount.objects.select_for_update().get(pk=account_pk)
    if account.state == State.AVAILABLE:
        log.warning("sandbox account %s held out of the pool: %s", account.aws_account_id, why)
        return move_one(account, to=State.QUARANTINED).state
    return account.state


# --- The pool following the sandbox OU (pool.py reads the Organization, these record it) ----------


def sandbox_accounts_return(accounts: QuerySet[SandboxAccount]) -> int:
    """Accounts back in the sandbox OU: usable again, with a clean slate of failures."""
    return move(accounts, source=State.RETIRED, to=State.AVAILABLE, workshop=None, failed_cleanups=0)


def sandbox_accounts_retire(accounts: QuerySet[SandboxAccount]) -> int:
    """Accounts that left the sandbox OU: outside it the portal must not touch them."""
    leaving = [s for s in State.values if s != State.RETIRED]
    return move(accounts, source=leaving, to=State.RETIRED, workshop=None)
