"""Sweeping a topic's footprint with the real engine: what each topic's test needs.

A topic's test builds, in a member account of a moto Organization (`member_account()`), what
attendees of that topic leave behind, in two regions and the account-wide services; moto's gaps
are filled by stand-ins (`RecordingContext.stand_ins`, stateful where a sweep must see things go).
`sweep_topic` then runs `cleaner.engine.sweep` for real (not a dry run) in each region and once for
the global types, and returns what it did, in order, so the test can check that nothing is left
and that every type went after those it depends on.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from cleaner import engine
from cleaner.context import GLOBAL_REGION
from cleaner.models import CleanupItem
from cleaner.registry import Item, Resource
from cleaner.safety import Protection
from tests.cleaner.test_services_app import RecordingContext

Action = CleanupItem.Action


@dataclass
class OrderRecorder:
    """Every report of the sweep, in the order the engine made them."""

    events: list[tuple[str, str, str, str]] = field(default_factory=list)  # (type, id, action, error)

    def record(self, resource_type: str, item: Item, action: str, error: str = "") -> None:
        self.events.append((resource_type, item.id, action, error))

    def scanned(self, scans: int, clean_scans_in_a_row: int) -> None:
        pass

    def tick(self) -> None:
        pass

    def deleted(self) -> list[tuple[str, str]]:
        return [(kind, item_id) for kind, item_id, action, _ in self.events if action == Action.DELETED]


@dataclass
class TopicSweep:
    outcomes: dict[str, engine.SweepOutcome]  # region (or GLOBAL_REGION) → what the sweep ended with
    recorders: dict[str, OrderRecorder]

    def left(self) -> dict[str, list[str]]:
        """What each region's sweep could not delete: empty when the account is clean."""
        return {
            region: [f"{r.resource_type} {r.item.id}: {r.error}" for r in outcome.remaining]
            + [f"{kind}: {error}" for kind, error in outcome.list_errors.items()]
            for region, outcome in self.outcomes.items()
            if outcome.remaining or outcome.list_errors or not outcome.converged
        }

    def deleted_types(self, region: str) -> list[str]:
        return [kind for kind, _ in self.recorders[region].deleted()]

    def assert_dependencies_respected(self) -> None:
        """No item was deleted before every item of the types it depends on (in its region)."""
        for region, recorder in self.recorders.items():
            order = recorder.deleted()
            last_of: dict[str, int] = {}
            for position, (kind, _) in enumerate(order):
                last_of[kind] = position
            for position, (kind, item_id) in enumerate(order):
                cls = engine.discover()[kind]
                for dependency in cls.depends_on:
                    assert last_of.get(dependency, -1) < position or not any(
                        k == dependency for k, _ in order[position:]
                    ), f"{region}: {kind} {item_id} was deleted before the last {dependency}"


def sweep_topic(
    contexts: dict[str, RecordingContext],
    types: Iterable[type[Resource]],
    *,
    budget_seconds: float = 120,
    protection: Protection | None = None,
) -> TopicSweep:
    """Sweep each context's region with the regional types; the GLOBAL_REGION context with the global ones."""
    types = list(types)
    outcomes, recorders = {}, {}
    for region, context in contexts.items():
        wanted = [t for t in types if t.is_global == (region == GLOBAL_REGION)]
        if not wanted:
            continue
        recorder = OrderRecorder()
        outcomes[region] = engine.sweep(
            context,
            wanted,
            dry_run=False,
            protection=protection or Protection(identity_names=frozenset({"OrganizationAccountAccessRole"})),
            budget_seconds=budget_seconds,
            recorder=recorder,
            pause_seconds=0,
            workers=4,
        )
        recorders[region] = recorder
    return TopicSweep(outcomes, recorders)
