"""A pool account moves only along the lifecycle's arrows, and only through workshops.sandbox.accounts."""

import pathlib
import re

import pytest

from tests.factories import SandboxAccountFactory, SolutionsArchitectFactory, workshop_in
from workshops.models import SandboxAccount, Stage
from workshops.models import SandboxAccountState as State
from workshops.sandbox import accounts

pytestmark = pytest.mark.django_db

ROOT = pathlib.Path(__file__).resolve().parents[2]
EVERY_MOVE = [(source, target) for source in State.values for target in State.values if source != target]


def account_in(state: str, **fields) -> SandboxAccount:
    account = SandboxAccountFactory()
    SandboxAccount.objects.filter(pk=account.pk).update(state=state, **fields)  # the scene, set by hand
    account.refresh_from_db()
    return account


@pytest.mark.parametrize(("source", "target"), EVERY_MOVE)
def test_a_move_happens_exactly_when_the_lifecycle_allows_it(source, target):
    account = account_in(source)
    one = SandboxAccount.objects.filter(pk=account.pk)
    if target in accounts.ALLOWED_MOVES[source]:
        assert accounts.move(one, source=source, to=target) == 1
        assert one.get().state == target
    else:
        with pytest.raises(accounts.IllegalMove, match=f"from {source} to {target}"):
            accounts.move(one, source=source, to=target)
        with pytest.raises(accounts.IllegalMove):
            accounts.move_one(account, to=target)
        assert one.get().state == source  # refused before anything is written


def test_the_allowed_moves_are_exactly_the_documented_ones():
    allowed = {(source, target) for source, targets in accounts.ALLOWED_MOVES.items() for target in targets}
    leaving_the_ou = {(state, State.RETIRED) for state in State.values if state != State.RETIRED}
    assert allowed == leaving_the_ou | {
        (State.AVAILABLE, State.ASSIGNED),
        (State.AVAILABLE, State.IN_USE),
        (State.AVAILABLE, State.QUARANTINED),
        (State.AVAILABLE, State.CLEANING),
        (State.ASSIGNED, State.IN_USE),
        (State.ASSIGNED, State.AVAILABLE),
        (State.ASSIGNED, State.CLEANING),
        (State.IN_USE, State.CLEANING),
        (State.CLEANING, State.AVAILABLE),
        (State.CLEANING, State.QUARANTINED),
        (State.QUARANTINED, State.AVAILABLE),
        (State.RETIRED, State.AVAILABLE),
    }
    # Above all: an account in use never goes back to the pool, or to another workshop, uncleaned.
    assert accounts.ALLOWED_MOVES[State.IN_USE] == {State.CLEANING, State.RETIRED}


def test_a_bulk_move_leaves_alone_the_accounts_that_moved_on_meanwhile():
    workshop = workshop_in(Stage.CANCELLED)
    reserved = account_in(State.ASSIGNED, workshop=workshop)
    taken_on = account_in(State.IN_USE, workshop=workshop)  # started meanwhile: not the cancel's to free
    assert accounts.sandbox_accounts_release(workshop_id=workshop.pk) == 1
    reserved.refresh_from_db()
    taken_on.refresh_from_db()
    assert (reserved.state, reserved.workshop) == (State.AVAILABLE, None)
    assert (taken_on.state, taken_on.workshop) == (State.IN_USE, workshop)


def test_a_move_sets_only_the_state_and_who_holds_the_account():
    account = account_in(State.AVAILABLE)
    with pytest.raises(TypeError, match="name"):
        accounts.move(SandboxAccount.objects.filter(pk=account.pk), source=State.AVAILABLE, to=State.RETIRED, name="x")


def test_free_accounts_are_taken_in_account_order_and_never_twice():
    workshop = workshop_in(Stage.REGISTRATION_OPEN)
    free = [account_in(State.AVAILABLE) for _ in range(3)]
    account_in(State.QUARANTINED)
    first = accounts.free_accounts_take(workshop=workshop, count=2, to=State.ASSIGNED)
    assert [a.pk for a in first] == [a.pk for a in free[:2]]
    second = accounts.free_accounts_take(workshop=workshop, count=5, to=State.ASSIGNED)
    assert [a.pk for a in second] == [free[2].pk]
    with pytest.raises(accounts.IllegalMove):
        accounts.free_accounts_take(workshop=workshop, count=1, to=State.AVAILABLE)


def test_the_third_failed_cleanup_quarantines_and_a_release_starts_the_count_again():
    account = account_in(State.CLEANING)
    assert accounts.sandbox_account_record_cleanup(account.pk, succeeded=False) == State.CLEANING
    assert accounts.sandbox_account_record_cleanup(account.pk, succeeded=False) == State.CLEANING
    assert accounts.sandbox_account_record_cleanup(account.pk, succeeded=False) == State.QUARANTINED
    account = accounts.sandbox_account_release_quarantine(account_id=account.pk, actor=SolutionsArchitectFactory())
    assert (account.state, account.failed_cleanups) == (State.AVAILABLE, 0)


def test_nothing_but_the_accounts_module_writes_the_state():
    # Every assignment of a pool account's state, or bulk update of it, in the project's code.
    writes = re.compile(r"\baccount\.state\s*=(?!=)|\.update\([^)]*\bstate=", re.DOTALL)
    offenders = []
    for path in ROOT.glob("**/*.py"):
        relative = path.relative_to(ROOT).as_posix()
        # Tests and benches set their scene by hand; the portal itself never does.
        if relative.startswith((".venv/", "tests/", "bench/")) or "/migrations/" in relative:
            continue
        if relative == "workshops/sandbox/accounts.py":
            continue
        text = path.read_text()
        if "SandboxAccount" in text:
            offenders += [f"{relative}: {m.group(0)[:80]}" for m in writes.finditer(text)]
    assert offenders == []
