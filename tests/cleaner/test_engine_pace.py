"""Real AWS's pace in the engine: dependencies met only when gone from the listing, items AWS will not
delete before a date, and what a CloudFormation stack owns left to the stack.

The in-memory types of conftest.py stand in for AWS: `lingers` keeps a deleted thing listed for that
many listings, as AWS does while a NAT gateway or a cluster is being deleted.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from cleaner.engine import STACK_TAG, sweep
from cleaner.models import CleanupItem
from cleaner.registry import Item, NotYet, Resource
from tests.cleaner import conftest
from tests.cleaner.test_engine import ACCOUNT, PROTECTION, REGION, ListRecorder

Action = CleanupItem.Action


def run(types, **options):
    from cleaner.context import SweepContext

    recorder = ListRecorder()
    outcome = sweep(
        SweepContext(ACCOUNT, REGION),
        types,
        dry_run=False,
        protection=PROTECTION,
        recorder=recorder,
        **options,
    )
    return outcome, recorder


def test_a_dependant_waits_until_what_it_needs_is_gone_from_the_listing_not_until_the_delete_returned(
    cloud, in_memory_types
):
    # AWS accepts the delete at once and lists the volume for two more listings (deleting).
    cloud.add(ACCOUNT, REGION, "cleanertest.volume", "vol-slow", lingers=2)
    cloud.add(ACCOUNT, REGION, "cleanertest.network", "net-0")

    outcome, _ = run(in_memory_types)

    assert outcome.converged and outcome.failed == 0
    calls = cloud.log
    network_deleted = calls.index(("delete", "cleanertest.network", "net-0"))
    last_listing_with_the_volume = max(
        i for i, call in enumerate(calls[:network_deleted]) if call == ("list", "cleanertest.volume", ACCOUNT)
    )
    # Deleted only after a listing of volumes that no longer showed it, and never refused.
    assert last_listing_with_the_volume < network_deleted
    assert not cloud.present(ACCOUNT, REGION, "cleanertest.network")


def test_a_dependency_still_listed_after_its_wait_leaves_the_dependant_to_the_next_scan(cloud, in_memory_types):
    cloud.add(ACCOUNT, REGION, "cleanertest.volume", "vol-slow", lingers=3)
    cloud.add(ACCOUNT, REGION, "cleanertest.network", "net-0")

    outcome, recorder = run(in_memory_types)

    assert outcome.converged
    assert not [row for row in recorder.rows if row[2] == Action.FAILED]  # never asked while it would be refused
    assert recorder.actions(Action.DELETED) == ["vol-slow", "net-0"]


class _Protected(Resource):
    """A type whose items AWS refuses to delete until a date, as S3 under compliance-mode retention."""

    type = "cleanertest.locked"
    service = "cleanertest"
    depends_on = ()
    is_global = False
    until = datetime(2027, 1, 31, tzinfo=UTC)
    asked = 0

    def __init__(self, context):
        self.context = context

    def list(self) -> Iterator[Item]:
        yield Item(id="bucket-under-retention", name="bucket-under-retention")

    def delete(self, item: Item) -> None:
        type(self).asked += 1
        raise NotYet(self.until, "objects under compliance-mode retention")


def test_what_aws_will_not_delete_before_a_date_is_held_with_its_date_not_failed(cloud, in_memory_types):
    cloud.add(ACCOUNT, REGION, "cleanertest.instance", "i-0")
    _Protected.asked = 0

    outcome, recorder = run([*in_memory_types, _Protected])

    assert outcome.converged and outcome.failed == 0 and outcome.left == 0
    assert [(h.resource_type, h.item.id, h.until) for h in outcome.held] == [
        ("cleanertest.locked", "bucket-under-retention", _Protected.until)
    ]
    (row,) = [row for row in recorder.rows if row[2] == Action.NOT_YET]
    assert "not before 2027-01-31" in row[3] and "compliance-mode" in row[3]
    assert _Protected.asked == 1  # asked once: AWS's answer does not change before the date
    assert recorder.actions(Action.DELETED) == ["i-0"]


class _Stack(Resource):
    """Stacks in memory: deleting one deletes what it made (its instance), as CloudFormation does."""

    type = "cloudformation.stack"
    service = "cloudformation"
    depends_on = ()
    is_global = False
    stacks: set[str] = set()

    def __init__(self, context):
        self.context = context

    def list(self) -> Iterator[Item]:
        for stack_id in sorted(self.stacks):
            yield Item(id=stack_id, name=stack_id.rsplit("/", 2)[-2])

    def delete(self, item: Item) -> None:
        type(self).stacks.discard(item.id)
        conftest.CLOUD.things[(ACCOUNT, REGION, "cleanertest.instance")].pop("i-of-the-stack", None)


def test_what_a_stack_made_is_left_to_the_stack(cloud, in_memory_types):
    stack_id = f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/lab/0123"
    _Stack.stacks = {stack_id}
    cloud.add(ACCOUNT, REGION, "cleanertest.instance", "i-of-the-stack", tags={STACK_TAG: stack_id})
    cloud.add(ACCOUNT, REGION, "cleanertest.instance", "i-by-hand")
    # An attendee cannot set an aws: tag; but one naming a stack that does not exist protects nothing.
    gone = f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/deleted-long-ago/4567"
    cloud.add(ACCOUNT, REGION, "cleanertest.instance", "i-of-a-gone-stack", tags={STACK_TAG: gone})

    outcome, recorder = run([*in_memory_types, _Stack])

    assert outcome.converged
    assert ("delete", "cleanertest.instance", "i-of-the-stack") not in cloud.log  # the stack took it
    assert sorted(recorder.actions(Action.DELETED)) == sorted([stack_id, "i-by-hand", "i-of-a-gone-stack"])
    assert not cloud.present(ACCOUNT, REGION, "cleanertest.instance")


def test_the_wait_for_a_dependency_respects_the_budget(cloud, in_memory_types):
    # A volume that never leaves its listing: the network is never asked, and the sweep ends in budget.
    cloud.add(ACCOUNT, REGION, "cleanertest.volume", "vol-forever", lingers=10_000)
    cloud.add(ACCOUNT, REGION, "cleanertest.network", "net-0")
    ticks = iter(range(0, 10_000, 7))

    outcome, _ = run(in_memory_types, budget_seconds=60, clock=lambda: float(next(ticks)))

    assert outcome.budget_spent and not outcome.converged
    assert ("delete", "cleanertest.network", "net-0") not in cloud.log
    assert {r.item.id: r.error for r in outcome.remaining}["net-0"].startswith("waits for every cleanertest.volume")


# --- Fewer listings as the registry grows ----------------------------------------------------------


def _listings(cloud, type_name: str) -> int:
    return sum(1 for call in cloud.log if call[0] == "list" and call[1] == type_name)


def test_a_type_within_another_is_not_listed_while_its_holder_lists_nothing(cloud, test_types, in_memory_types):
    volume = test_types["cleanertest.volume"]
    volume.within = "cleanertest.instance"
    try:
        outcome, _ = run(in_memory_types)
        assert outcome.converged and _listings(cloud, "cleanertest.volume") == 0

        cloud.add(ACCOUNT, REGION, "cleanertest.instance", "i-0")
        cloud.add(ACCOUNT, REGION, "cleanertest.volume", "vol-0")
        outcome, recorder = run(in_memory_types)
        assert outcome.converged
        assert sorted(recorder.actions(Action.DELETED)) == ["i-0", "vol-0"]  # listed while an instance was
    finally:
        volume.within = ""


def test_a_type_whose_service_is_not_offered_is_listed_once_per_sweep(cloud, in_memory_types):
    cloud.add(ACCOUNT, REGION, "cleanertest.instance", "i-0", lingers=1)
    cloud.list_errors["cleanertest.network"] = NotImplementedError("not offered here")

    outcome, _ = run(in_memory_types)

    assert outcome.converged and outcome.scans >= 3
    assert outcome.unavailable == {"cleanertest.network"}
    assert _listings(cloud, "cleanertest.network") == 1


def test_between_the_first_and_the_last_scan_only_types_that_had_something_are_listed(cloud, in_memory_types):
    cloud.add(ACCOUNT, REGION, "cleanertest.instance", "i-0", lingers=1)

    outcome, _ = run(in_memory_types)

    # Full (deleted; listed again for its dependants, still there), then instances alone (gone:
    # clean), then full again for the second clean scan in a row.
    assert outcome.converged and outcome.scans == 3
    assert _listings(cloud, "cleanertest.network") == 2  # the first and the last scan
    assert _listings(cloud, "cleanertest.instance") > 2
