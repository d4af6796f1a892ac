"""The sweep of one (account, region): list everything, delete in dependency order, list again.

It repeats until two scans in a row find nothing to delete (Innovation Sandbox's rule: one clean
scan may only mean AWS has not caught up yet) or the wait budget is spent; then one last scan
says what is really left. Every AWS error is caught per item (or per type, for a listing) and
reported; the sweep itself never stops on one. Within a scan each type starts deleting as soon as
the types it depends on are done, so a big S3 bucket being emptied holds up only what needs it gone.

The engine only talks to AWS: what it finds and does goes to a Recorder (cleaner.runs writes it
to the database), called from the sweep's own thread, never from the deleting threads.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from botocore.exceptions import BotoCoreError, ClientError

from cleaner.answers import already_gone, describe_error, unavailable
from cleaner.context import SweepContext
from cleaner.models import CleanupItem
from cleaner.registry import Item, NotYet, Resource, batch_size_of, discover
from cleaner.safety import Filters, Protection

log = logging.getLogger(__name__)

Action = CleanupItem.Action
CLEAN_SCANS_NEEDED = 2
# Deleting threads per sweep; AWS's buckets (cleaner.context) pace them, this only bounds the threads.
DEFAULT_WORKERS = 8
# How often the sweep's thread looks up from waiting to let the recorder flush and renew its claim.
TICK_SECONDS = 1.0
# Things a CloudFormation stack made carry its id in a tag only AWS may set ("aws:" is reserved).
STACK_TAG = "aws:cloudformation:stack-id"
STACK_TYPE = "cloudformation.stack"


class Recorder(Protocol):
    def record(self, resource_type: str, item: Item, action: str, error: str = "") -> None: ...

    def scanned(self, scans: int, clean_scans_in_a_row: int) -> None: ...

    def tick(self) -> None: ...


class NullRecorder:
    def record(self, resource_type: str, item: Item, action: str, error: str = "") -> None:
        pass

    def scanned(self, scans: int, clean_scans_in_a_row: int) -> None:
        pass

    def tick(self) -> None:
        pass


@dataclass(frozen=True)
class Remaining:
    resource_type: str
    item: Item
    error: str
    failed: bool  # its last delete attempt raised (else: not attempted, or deleted but still listed)


@dataclass(frozen=True)
class Held:
    resource_type: str
    item: Item
    until: datetime
    why: str


@dataclass
class SweepOutcome:
    scans: int = 0
    clean_scans_in_a_row: int = 0
    converged: bool = False
    budget_spent: bool = False
    found: int = 0  # distinct deletable items seen (would_delete in a dry run)
    deleted: int = 0
    protected: int = 0
    skipped: int = 0
    remaining: list[Remaining] = field(default_factory=list)
    # What AWS will not let anyone delete before a date (NotYet): never a failure, but not clean.
    held: list[Held] = field(default_factory=list)
    list_errors: dict[str, str] = field(default_factory=dict)  # type → why its last listing failed
    unavailable: set[str] = field(default_factory=set)  # types whose service is not offered there

    @property
    def failed(self) -> int:
        return sum(r.failed for r in self.remaining) + len(self.list_errors)

    @property
    def left(self) -> int:
        return sum(not r.failed for r in self.remaining)

    @property
    def last_error(self) -> str:
        errors = [f"{t}: {e}" for t, e in self.list_errors.items()]
        errors += [f"{r.resource_type} {r.item.id}: {r.error}" for r in self.remaining if r.failed]
        # In dependency order: the first is the likely cause (a stuck volume), not its consequence (its VPC).
        return errors[0] if errors else ""


# --- Resource types ------------------------------------------------------------------------------


def dependency_order(types: Iterable[type[Resource]]) -> list[type[Resource]]:
    """`types` with every type after those it depends on (ignoring types not in the list); ValueError on a cycle."""
    by_name = {t.type: t for t in types}
    ordered: list[type[Resource]] = []
    state: dict[str, str] = {}

    def visit(name: str, path: tuple[str, ...]) -> None:
        if state.get(name) == "done":
            return
        if state.get(name) == "visiting":
            raise ValueError(f"depends_on makes a cycle: {' → '.join((*path, name))}")
        state[name] = "visiting"
        for dep in by_name[name].depends_on:
            if dep in by_name:
                visit(dep, (*path, name))
        state[name] = "done"
        ordered.append(by_name[name])

    for name in sorted(by_name):
        visit(name, ())
    return ordered


def resource_types(services: Iterable[str] = ()) -> list[type[Resource]]:
    """Every registered type, or those of the given services ("ec2") and type names ("ec2.volume")."""
    wanted = set(services)
    types = discover().values()
    if wanted:
        types = [t for t in types if t.type in wanted or t.type.split(".", 1)[0] in wanted]
    return dependency_order(types)


# --- The sweep -----------------------------------------------------------------------------------


def _empty_listing() -> Future:
    future: Future = Future()
    future.set_result([])
    return future


def sweep(
    context: SweepContext,
    types: Iterable[type[Resource]],
    *,
    dry_run: bool = True,
    filters: Filters | None = None,
    protection: Protection | None = None,
    budget_seconds: float = 1800,
    recorder: Recorder | None = None,
    pause_seconds: float = 0.0,
    workers: int = DEFAULT_WORKERS,
    clock: Callable[[], float] = time.monotonic,
) -> SweepOutcome:
    """Clean one (account, region) of `types`: dry run unless told otherwise; never raises for AWS errors."""
    return _Sweep(
        context,
        dependency_order(types),
        dry_run=dry_run,
        filters=filters or Filters(),
        protection=protection or Protection(identity_names=frozenset()),
        budget_seconds=budget_seconds,
        recorder=recorder or NullRecorder(),
        pause_seconds=pause_seconds,
        workers=max(1, workers),
        clock=clock,
    ).run()


class _Sweep:
    def __init__(
        self, context, types, *, dry_run, filters, protection, budget_seconds, recorder, pause_seconds, workers, clock
    ):
        self.context, self.types, self.dry_run = context, types, dry_run
        self.filters, self.protection, self.recorder = filters, protection, recorder
        self.pause_seconds, self.workers, self.clock = pause_seconds, workers, clock
        self.deadline = clock() + budget_seconds
        self.outcome = SweepOutcome()
        self.resources: dict[str, Resource] = {}
        self.resources_lock = threading.Lock()
        self.seen: set[tuple[str, str]] = set()
        self.deleted: set[tuple[str, str]] = set()
        self.errors: dict[tuple[str, str], str] = {}  # the last delete error of each item still failing
        self.held: dict[tuple[str, str], Held] = {}
        # type → the type it waited for in the last scan, still listed when it should have been gone
        self.waiting_for: dict[str, str] = {}
        # How often a dependency still listed is looked at again within a scan (0: once, as in tests).
        self.settle_poll = min(pause_seconds, 5.0)
        self.stopping = False  # set when the sweep dies: the deleting threads take no more items
        self.popping = threading.Lock()
        self.live_stacks: set[str] = set()

    def time_left(self) -> float:
        return self.deadline - self.clock()

    def run(self) -> SweepOutcome:
        outcome = self.outcome
        with ThreadPoolExecutor(self.workers, thread_name_prefix=f"sweep-{self.context.account_id}") as pool:
            try:
                self._loop(pool)
            except BaseException:
                self.stopping = True
                raise
        for left in outcome.remaining:
            self.recorder.record(left.resource_type, left.item, Action.LEFT, left.error)
        outcome.held = sorted(self.held.values(), key=lambda held: (held.until, held.resource_type, held.item.id))
        return outcome

    def _loop(self, pool: ThreadPoolExecutor) -> None:
        """Scan, delete, scan again, until two clean scans in a row, the second of them full.

        The first scan lists every type. After it, only the types that had something (or could not
        be listed) are listed again: deleting touches nothing else, and listing ~300 empty types on
        every round is most of a sweep's calls. Once those are clean, the next scan lists every type
        again, so "clean" still rests on two clean scans in a row and a full look at the account; if
        it finds something, the sweep goes on from there.
        """
        outcome = self.outcome
        touched: set[str] = set()
        full = True
        while True:
            over_budget = outcome.scans > 0 and outcome.clean_scans_in_a_row == 0 and self.time_left() <= 0
            deletable = self._scan(pool, None if full else touched)
            touched |= set(deletable) | set(outcome.list_errors)
            found_now = sum(len(items) for items in deletable.values())
            clean = found_now == 0 and not outcome.list_errors
            outcome.clean_scans_in_a_row = outcome.clean_scans_in_a_row + 1 if clean else 0
            self.recorder.scanned(outcome.scans, outcome.clean_scans_in_a_row)
            if self.dry_run:
                break
            if outcome.clean_scans_in_a_row >= CLEAN_SCANS_NEEDED and full:
                outcome.converged = True
                break
            if over_budget:
                outcome.budget_spent = True
                outcome.remaining = self._what_is_left(deletable)
                break
            # The scan that would make it two clean in a row lists everything.
            full = outcome.clean_scans_in_a_row >= CLEAN_SCANS_NEEDED - 1
            if found_now:
                self._delete(pool, deletable)
            self._pause()

    def _pause(self) -> None:
        pause = min(self.pause_seconds, self.time_left())
        while pause > 0:
            step = min(pause, TICK_SECONDS)
            time.sleep(step)
            pause -= step
            self.recorder.tick()

    def _what_is_left(self, deletable: dict[str, list[Item]]) -> list[Remaining]:
        remaining = []
        for type_name, items in deletable.items():
            for item in items:
                key = (type_name, item.id)
                if key in self.errors:
                    remaining.append(Remaining(type_name, item, self.errors[key], failed=True))
                elif key in self.deleted:
                    why = "deleted, but still listed (deletion in progress?)"
                    remaining.append(Remaining(type_name, item, why, failed=False))
                elif type_name in self.waiting_for:
                    why = f"waits for every {self.waiting_for[type_name]} to be gone from its listing"
                    remaining.append(Remaining(type_name, item, why, failed=False))
                else:
                    why = "not deleted before the wait budget ran out"
                    remaining.append(Remaining(type_name, item, why, failed=False))
        return remaining

    # --- Listing ---------------------------------------------------------------------------------

    def _resource(self, cls: type[Resource]) -> Resource:
        with self.resources_lock:
            resource = self.resources.get(cls.type)
        if resource is None:
            resource = cls(self.context)  # builds its client: assumes the role the first time
            resource.time_left = self.time_left
            with self.resources_lock:
                self.resources[cls.type] = resource
        return resource

    def _list_one(self, cls: type[Resource]) -> list[Item]:
        return list(self._resource(cls).list())

    def _scan(self, pool: ThreadPoolExecutor, only: set[str] | None = None) -> dict[str, list[Item]]:
        """List every type at once; record what is new; return what may be deleted, by type.

        Not listed again: a type whose service is not offered here (it will not be within the
        sweep), and a type `within` another that listed nothing (a table with no database). Those
        wait for their holder's listing; everything else is listed at once.
        """
        wanted = [
            cls for cls in self.types if cls.type not in self.outcome.unavailable and (only is None or cls.type in only)
        ]
        names = {cls.type for cls in wanted}
        first = [cls for cls in wanted if not cls.within or cls.within not in names]
        futures = {cls.type: pool.submit(self._list_one, cls) for cls in first}
        self._wait_all(futures.values())
        for cls in wanted:
            if cls.type in futures:
                continue
            holder = futures.get(cls.within)
            if holder is not None and holder.exception() is None and not holder.result():
                futures[cls.type] = _empty_listing()
            else:
                futures[cls.type] = pool.submit(self._list_one, cls)
        self._wait_all(futures.values())
        skipped = [cls for cls in self.types if cls.type not in futures]
        self.outcome.scans += 1
        self.outcome.list_errors = {}
        now = datetime.now(UTC)
        deletable: dict[str, list[Item]] = {}
        stacks = futures.get(STACK_TYPE)
        stacks_listed = stacks is not None and stacks.exception() is None
        self.live_stacks = {item.id for item in stacks.result()} if stacks_listed else set()
        for cls in self.types:
            if cls in skipped:
                continue
            error = futures[cls.type].exception()
            if isinstance(error, Exception):
                if unavailable(error):
                    self.outcome.unavailable.add(cls.type)
                else:
                    if not isinstance(error, ClientError | BotoCoreError):
                        log.error("listing %s in %s failed", cls.type, self.context, exc_info=error)
                    self.outcome.list_errors[cls.type] = describe_error(error)
                continue
            if error is not None:
                raise error  # the thread was told to stop (a dying worker): so is the sweep
            deletable[cls.type] = self._classify(cls.type, futures[cls.type].result(), now)
        return {t: items for t, items in deletable.items() if items}

    def _classify(self, type_name: str, items: list[Item], now: datetime) -> list[Item]:
        deletable, ids = [], set()
        for item in items:
            if item.id in ids:
                continue  # listed twice (overlapping pages): one item all the same
            ids.add(item.id)
            key = (type_name, item.id)
            first_sight = key not in self.seen
            self.seen.add(key)
            if key in self.held:
                continue  # AWS refuses it until a date: reported once, not asked again in this sweep
            reason = self.protection.reason(item)
            if reason:
                if first_sight:
                    self.outcome.protected += 1
                    self.recorder.record(type_name, item, Action.PROTECTED, reason)
                continue
            stack = item.tags.get(STACK_TAG)
            if stack and stack in self.live_stacks and type_name != STACK_TYPE:
                # Its stack deletes it (or keeps it, by its DeletionPolicy): deleting it first would
                # fail the stack's delete. Once the stack is gone, what it kept is swept like the rest.
                continue
            reason = self.filters.reason_to_skip(item, now)
            if reason:
                if first_sight:
                    self.outcome.skipped += 1
                    self.recorder.record(type_name, item, Action.SKIPPED_BY_FILTER, reason)
                continue
            if first_sight:
                self.outcome.found += 1
                self.recorder.record(type_name, item, Action.WOULD_DELETE if self.dry_run else Action.FOUND)
            deletable.append(item)
        return deletable

    # --- Deleting --------------------------------------------------------------------------------

    def _failure(self, resource: Resource, item: Item, error: Exception) -> str:
        """What an item's delete error says; "" when it means the item is already gone."""
        if isinstance(error, ClientError):
            return "" if already_gone(error) else describe_error(error)
        if not isinstance(error, BotoCoreError):
            # A bug in a service module must not stop the sweep of everything else.
            log.error("deleting %s %s in %s failed", resource.type, item.id, self.context, exc_info=error)
        return describe_error(error)

    def _delete_one(self, resource: Resource, item: Item, *, prepared: bool = False) -> str | NotYet:
        """Delete one item; the error that stopped it, a NotYet, or "" when it is gone."""
        try:
            if not prepared:
                resource.prepare(item)
            resource.delete(item)
        except NotYet as held:
            return held
        except Exception as error:
            return self._failure(resource, item, error)
        return ""

    def _delete_batch(self, resource: Resource, batch: list[Item]) -> list[tuple[Item, str]]:
        """Delete a batch in one call where the type can; every item still gets its own answer."""
        answers, prepared = [], []
        for item in batch:
            try:
                resource.prepare(item)
            except NotYet as held:
                answers.append((item, held))
            except Exception as error:
                answers.append((item, self._failure(resource, item, error)))
            else:
                prepared.append(item)
        if not prepared:
            return answers
        try:
            refused = resource.delete_many(prepared) or {}
        except Exception as error:
            if not isinstance(error, ClientError | BotoCoreError):
                log.error("deleting a batch of %s in %s failed", resource.type, self.context, exc_info=error)
            # The call as a whole failed (denied, throttled past its retries, a bad name in the
            # batch, a bug): one by one, each item gets AWS's answer about itself.
            return answers + [(item, self._delete_one(resource, item, prepared=True)) for item in prepared]
        return answers + [
            (item, self._failure(resource, item, refused[item.id]) if item.id in refused else "") for item in prepared
        ]

    def _drain(self, resource: Resource, items: deque, results: queue.SimpleQueue) -> None:
        batch_size = batch_size_of(resource)
        while self.time_left() > 0 and not self.stopping:
            batch = []
            with self.popping:  # several threads drain one deque: whole batches, each item once
                while items and len(batch) < batch_size:
                    batch.append(items.popleft())
            if not batch:
                return
            if batch_size == 1:
                answers = [(batch[0], self._delete_one(resource, batch[0]))]
            else:
                answers = self._delete_batch(resource, batch)
            for item, error in answers:
                results.put((resource.type, item, error))

    def _delete(self, pool: ThreadPoolExecutor, deletable: dict[str, list[Item]]) -> None:
        """Delete by type, each type once those it depends on are gone, its items a few at a time.

        "Gone" means gone from the listing, not that the delete call returned: AWS deletes many
        things asynchronously (a NAT gateway, a cluster), and the dependant's delete is refused until
        then. So a type whose items were deleted is listed again (for up to its `gone_within`) before
        its dependants start; if it is still listed then, they wait for the next scan.
        """
        results: queue.SimpleQueue = queue.SimpleQueue()
        pending = {cls.type: deque(deletable.get(cls.type, ())) for cls in self.types}
        # Transitively: a subnet waits for a database being deleted even when no interface is listed
        # between them yet (the types are in dependency order, so each one's needs are known first).
        needs: dict[str, list[str]] = {}
        for cls in self.types:
            found = dict.fromkeys(d for d in cls.depends_on if d in pending)
            for dependency in list(found):
                found.update(dict.fromkeys(needs.get(dependency, ())))
            needs[cls.type] = list(found)
        wanted_by_others = {d for names in needs.values() for d in names}
        done = {name for name, items in pending.items() if not items}
        blocked: set[str] = set()  # types still listed (or waiting themselves): dependants skip this scan
        jobs: dict[str, list[Future]] = {}
        settling: dict[str, Future] = {}
        self.waiting_for = {}
        by_name = {cls.type: cls for cls in self.types}
        while len(done) < len(pending):
            for cls in self.types:
                name = cls.type
                if name in done or name in jobs or not all(d in done for d in needs[name]):
                    continue
                waits_for = next((d for d in needs[name] if d in blocked), None)
                if waits_for:
                    self.waiting_for[name] = self.waiting_for.get(waits_for, waits_for)
                    blocked.add(name)
                    done.add(name)
                    continue
                resource = self.resources.get(name)
                if resource is None:  # it listed items, so it exists; defensive all the same
                    done.add(name)
                    continue
                batches = -(-len(pending[name]) // batch_size_of(cls))
                threads = max(1, min(cls.parallel_deletes, batches, self.workers))
                jobs[name] = [pool.submit(self._drain, resource, pending[name], results) for _ in range(threads)]
            # Only those still going: a finished one would wake the wait at once and spin this loop.
            running = [f for name, fs in jobs.items() if name not in done for f in fs if not f.done()]
            running += [f for name, f in settling.items() if name not in done and not f.done()]
            if running:
                wait(running, timeout=TICK_SECONDS, return_when=FIRST_COMPLETED)
            elif not any(name not in done for name in jobs):
                break  # nothing running and nothing startable: only possible if needs were unmet
            self._take(results)
            for name, futures in jobs.items():
                if name not in done and name not in settling and all(f.done() for f in futures):
                    for future in futures:
                        if future.exception() is not None:
                            raise future.exception()  # only BaseExceptions get here: a dying worker
                    if name in wanted_by_others:
                        ids = {item.id for item in deletable[name] if (name, item.id) not in self.held}
                        settling[name] = pool.submit(self._settle, by_name[name], ids)
                    else:
                        done.add(name)
            for name, future in settling.items():
                if name not in done and future.done():
                    if future.exception() is not None:
                        raise future.exception()
                    if not future.result():
                        blocked.add(name)
                    done.add(name)
            self.recorder.tick()
        self._take(results)

    def _settle(self, cls: type[Resource], ids: set[str]) -> bool:
        """Whether `ids` are gone from the type's listing, looking again for up to its `gone_within`."""
        if not ids:
            return True
        give_up_at = self.clock() + min(cls.gone_within, max(0.0, self.time_left()))
        while not self.stopping:
            try:
                listed = {item.id for item in self._resource(cls).list()}
            except Exception:
                return False  # the next scan's listing reports why
            if not ids & listed:
                return True
            if self.settle_poll <= 0 or self.clock() + self.settle_poll > give_up_at:
                return False
            time.sleep(self.settle_poll)
        return False

    def _take(self, results: queue.SimpleQueue) -> None:
        while True:
            try:
                type_name, item, error = results.get_nowait()
            except queue.Empty:
                return
            key = (type_name, item.id)
            if isinstance(error, NotYet):
                self.errors.pop(key, None)
                if key not in self.held:
                    self.held[key] = Held(type_name, item, error.until, error.why)
                    self.recorder.record(type_name, item, Action.NOT_YET, str(error))
                continue
            if not error:
                self.errors.pop(key, None)
                if key not in self.deleted:
                    self.deleted.add(key)
                    self.outcome.deleted += 1
                    self.recorder.record(type_name, item, Action.DELETED)
            elif self.errors.get(key) != error:  # a new reason, not the same refusal scan after scan
                self.errors[key] = error
                self.recorder.record(type_name, item, Action.FAILED, error)

    def _wait_all(self, futures: Iterable[Future]) -> None:
        pending = set(futures)
        while pending:
            pending = wait(pending, timeout=TICK_SECONDS).not_done
            self.recorder.tick()
