"""The sweep of one (account, region): order, re-scans, budget, errors, dry run, protection, throttling.

Most tests use the in-memory types of conftest.py (AWS's behaviour made explicit: a volume cannot go
while an instance is there); the throttling test and the last test use moto, the last one with
the real service modules.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from cleaner.context import GLOBAL_REGION, SweepContext
from cleaner.engine import dependency_order, resource_types, sweep
from cleaner.models import CleanupItem
from cleaner.safety import Filters, Protection
from cpp_portal.aws import member_client
from tests.aws_fakes import BotocoreHooks
from tests.cleaner.conftest import aws_error, fill_with_things, now

Action = CleanupItem.Action
ACCOUNT = "210987654321"
REGION = "eu-west-1"
PROTECTION = Protection(identity_names=frozenset({"OrganizationAccountAccessRole"}))


class ListRecorder:
    def __init__(self):
        self.rows: list[tuple[str, str, str, str]] = []
        self.scans: list[tuple[int, int]] = []
        self.thread_ids: set[int] = set()

    def record(self, resource_type, item, action, error=""):
        self.thread_ids.add(threading.get_ident())
        self.rows.append((resource_type, item.id, action, error))

    def scanned(self, scans, clean_scans_in_a_row):
        self.scans.append((scans, clean_scans_in_a_row))

    def tick(self):
        pass

    def actions(self, action) -> list[str]:
        return [row[1] for row in self.rows if row[2] == action]


class Clock:
    """A clock the test moves: budgets run out when the test says so, not when the machine is slow."""

    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def run(types, *, dry_run=False, region=REGION, **options):
    recorder = ListRecorder()
    outcome = sweep(
        SweepContext(ACCOUNT, region), types, dry_run=dry_run, recorder=recorder, protection=PROTECTION, **options
    )
    return outcome, recorder


def test_types_go_after_what_they_depend_on_and_the_sweep_stops_after_two_clean_scans(cloud, in_memory_types):
    fill_with_things(cloud, ACCOUNT, [REGION])

    outcome, recorder = run(in_memory_types)

    assert outcome.converged and not outcome.budget_spent
    assert (outcome.scans, outcome.clean_scans_in_a_row) == (3, 2)  # one scan that deleted, two clean ones
    assert recorder.scans == [(1, 0), (2, 1), (3, 2)]
    deletes = [type_name for op, type_name, _ in cloud.log if op == "delete"]
    order = ["cleanertest.instance", "cleanertest.volume", "cleanertest.network"]
    assert deletes == sorted(deletes, key=order.index)  # AWS would have refused a volume before its instance
    assert (outcome.deleted, outcome.failed, outcome.left) == (7, 0, 0)
    assert sorted(recorder.actions(Action.DELETED)) == ["i-0", "i-1", "i-2", "net-0", "vol-0", "vol-1", "vol-2"]
    assert sorted(recorder.actions(Action.FOUND)) == sorted(recorder.actions(Action.DELETED))
    assert not any(cloud.present(ACCOUNT, REGION, t) for t in order)
    # Every report comes from the sweep's own thread, never from a deleting thread.
    assert recorder.thread_ids == {threading.get_ident()}


def test_dependency_order_puts_dependants_first_and_refuses_a_cycle(test_types):
    volume, instance, network = (
        test_types["cleanertest.volume"],
        test_types["cleanertest.instance"],
        test_types["cleanertest.network"],
    )
    assert dependency_order([network, volume, instance]) == [instance, volume, network]
    instance.depends_on = ("cleanertest.network",)
    try:
        with pytest.raises(ValueError, match="cycle"):
            dependency_order([network, volume, instance])
    finally:
        instance.depends_on = ()


def test_something_still_listed_after_its_deletion_keeps_the_sweep_going_until_it_is_gone(cloud, in_memory_types):
    cloud.add(ACCOUNT, REGION, "cleanertest.instance", "i-slow", lingers=2)

    outcome, recorder = run(in_memory_types)

    assert outcome.converged
    # Scan 1 deletes it and lists it again for its dependants (still there: they wait); scan 2 still
    # lists it (deleted again, harmlessly); then two clean scans.
    assert outcome.scans == 4
    assert recorder.actions(Action.DELETED) == ["i-slow"]  # one item, one row, however often it was asked
    assert outcome.deleted == 1


def test_a_refused_delete_is_recorded_and_tried_again_on_the_next_scan(cloud, in_memory_types):
    cloud.add(ACCOUNT, REGION, "cleanertest.instance", "i-0", fail_times=2)
    cloud.add(ACCOUNT, REGION, "cleanertest.instance", "i-1")

    outcome, recorder = run(in_memory_types)

    assert outcome.converged and outcome.failed == 0
    # The same refusal twice is one row: a stuck item does not flood the report scan after scan.
    assert [r for r in recorder.rows if r[2] == Action.FAILED] == [
        ("cleanertest.instance", "i-0", Action.FAILED, "RequestLimitExceeded: i-0: try again")
    ]
    assert sorted(recorder.actions(Action.DELETED)) == ["i-0", "i-1"]


def test_when_the_budget_runs_out_what_is_left_is_reported_with_its_last_error(cloud, in_memory_types):
    clock = Clock()
    fill_with_things(cloud, ACCOUNT, [REGION], per_type=2)
    cloud.things[(ACCOUNT, REGION, "cleanertest.volume")]["vol-1"].undeletable = "VolumeInUse"

    def time_passes(type_name, thing_id):
        clock.now += 10

    cloud.on_delete = time_passes

    outcome, recorder = run(in_memory_types, budget_seconds=60, clock=clock)

    assert outcome.budget_spent and not outcome.converged
    left = {(r.resource_type, r.item.id): (r.error, r.failed) for r in outcome.remaining}
    assert left == {
        ("cleanertest.volume", "vol-1"): ("VolumeInUse: vol-1 cannot be deleted", True),
        # Never asked: AWS would refuse it while a volume is still listed.
        ("cleanertest.network", "net-0"): ("waits for every cleanertest.volume to be gone from its listing", False),
    }
    assert (outcome.failed, outcome.left, outcome.deleted) == (1, 1, 3)
    assert sorted(recorder.actions(Action.LEFT)) == ["net-0", "vol-1"]
    assert outcome.last_error.startswith("cleanertest.")


def test_items_not_reached_before_the_budget_ran_out_are_left_not_failed(cloud, in_memory_types):
    clock = Clock()
    for n in range(10):
        cloud.add(ACCOUNT, REGION, "cleanertest.instance", f"i-{n}")

    def slow_delete(type_name, thing_id):
        clock.now += 1

    cloud.on_delete = slow_delete

    outcome, recorder = run(in_memory_types, budget_seconds=3.5, clock=clock, workers=1)

    assert outcome.budget_spent
    assert outcome.deleted == 4  # the fourth delete started before the budget ran out
    assert (outcome.failed, outcome.left) == (0, 6)
    assert {r.error for r in outcome.remaining} == {"not deleted before the wait budget ran out"}
    assert len(recorder.actions(Action.LEFT)) == 6


def test_a_type_that_cannot_be_listed_is_reported_and_the_others_are_still_cleaned(cloud, in_memory_types):
    clock = Clock()
    fill_with_things(cloud, ACCOUNT, [REGION], per_type=1)
    cloud.list_errors["cleanertest.network"] = aws_error("AccessDenied", "not allowed", "ListNetworks")
    instance, volume, network = in_memory_types
    original = cloud.list

    def listing_takes_time(*args):
        clock.now += 5
        return original(*args)

    cloud.list = listing_takes_time

    outcome, _recorder = run(in_memory_types, budget_seconds=30, clock=clock)

    assert not outcome.converged and outcome.budget_spent
    assert outcome.list_errors == {"cleanertest.network": "AccessDenied: not allowed"}
    assert outcome.failed == 1
    assert not cloud.present(ACCOUNT, REGION, "cleanertest.instance")
    assert not cloud.present(ACCOUNT, REGION, "cleanertest.volume")


def test_a_service_not_offered_in_the_region_counts_as_empty(cloud, in_memory_types):
    cloud.add(ACCOUNT, REGION, "cleanertest.instance", "i-0")
    cloud.list_errors["cleanertest.network"] = NotImplementedError("moto lacks it")

    outcome, _recorder = run(in_memory_types)

    assert outcome.converged and outcome.unavailable == {"cleanertest.network"}


def test_a_bug_in_a_service_module_is_recorded_against_its_item_and_the_sweep_goes_on(cloud, in_memory_types):
    clock = Clock()
    cloud.add(ACCOUNT, REGION, "cleanertest.instance", "i-bad", bug=True)
    cloud.add(ACCOUNT, REGION, "cleanertest.instance", "i-good")

    def time_passes(type_name, thing_id):
        clock.now += 20

    cloud.on_delete = time_passes

    outcome, recorder = run(in_memory_types, budget_seconds=60, clock=clock)

    assert recorder.actions(Action.DELETED) == ["i-good"]
    assert [(r.item.id, r.error) for r in outcome.remaining] == [("i-bad", "KeyError: 'Widgets'")]


def test_something_already_gone_when_its_delete_comes_counts_as_deleted(cloud, in_memory_types):
    cloud.add(ACCOUNT, REGION, "cleanertest.instance", "i-0")

    def someone_else_deleted_it(type_name, thing_id):
        cloud.things[(ACCOUNT, REGION, type_name)].pop(thing_id, None)

    cloud.on_delete = someone_else_deleted_it

    outcome, recorder = run(in_memory_types)

    assert outcome.converged and recorder.actions(Action.DELETED) == ["i-0"] and outcome.failed == 0


def test_a_dry_run_lists_once_and_deletes_nothing(cloud, in_memory_types):
    fill_with_things(cloud, ACCOUNT, [REGION])

    outcome, recorder = run(in_memory_types, dry_run=True)

    assert outcome.scans == 1
    assert not [entry for entry in cloud.log if entry[0] == "delete"]
    assert len(recorder.actions(Action.WOULD_DELETE)) == outcome.found == 7
    assert not recorder.actions(Action.DELETED) and not recorder.actions(Action.FOUND)
    assert cloud.present(ACCOUNT, REGION, "cleanertest.instance") == {"i-0", "i-1", "i-2"}


def test_protected_items_are_reported_and_never_deleted(cloud, in_memory_types):
    add = cloud.add
    role = f"arn:aws:iam::{ACCOUNT}:role/"
    add(ACCOUNT, REGION, "cleanertest.instance", "i-default", protected="part of the default VPC")
    access_role = "OrganizationAccountAccessRole"
    add(ACCOUNT, REGION, "cleanertest.instance", access_role, extra={"arn": role + access_role})
    add(ACCOUNT, REGION, "cleanertest.instance", "i-1", extra={"arn": role + "aws-service-role/x.amazonaws.com/X"})
    add(ACCOUNT, REGION, "cleanertest.instance", "i-2", extra={"arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"})
    # Names alone protect nothing (issue 17): these go with the attendee's server.
    add(ACCOUNT, REGION, "cleanertest.instance", "i-3", name="StackSet-baseline-1234")
    add(ACCOUNT, REGION, "cleanertest.instance", "i-4", name="aws-controltower-BaselineCloudTrail")
    add(ACCOUNT, REGION, "cleanertest.instance", "i-5", name="attendee-server")

    outcome, recorder = run(in_memory_types)

    assert outcome.converged and outcome.protected == 4
    assert sorted(recorder.actions(Action.DELETED)) == ["i-3", "i-4", "i-5"]
    assert len(recorder.actions(Action.PROTECTED)) == 4  # once each, not once per scan
    assert not [entry for entry in cloud.log if entry[0] == "delete" and entry[2] not in ("i-3", "i-4", "i-5")]
    reasons = {row[1]: row[3] for row in recorder.rows if row[2] == Action.PROTECTED}
    assert reasons["i-default"] == "part of the default VPC"
    assert "access role" in reasons["OrganizationAccountAccessRole"]


def test_user_filters_keep_by_tag_name_and_age_and_target_by_tag(cloud, in_memory_types):
    old, young = now() - timedelta(days=3), now() - timedelta(minutes=5)
    add = cloud.add
    add(ACCOUNT, REGION, "cleanertest.instance", "i-keep", tags={"keep": "yes"}, created=old)
    add(ACCOUNT, REGION, "cleanertest.instance", "i-young", tags={"team": "a"}, created=young)
    add(ACCOUNT, REGION, "cleanertest.instance", "i-undated", tags={"team": "a"})
    add(ACCOUNT, REGION, "cleanertest.instance", "i-other-team", tags={"team": "b"}, created=old)
    add(ACCOUNT, REGION, "cleanertest.instance", "i-named", name="golden-image", tags={"team": "a"}, created=old)
    add(ACCOUNT, REGION, "cleanertest.instance", "i-go", name="lab-server", tags={"team": "a"}, created=old)
    filters = Filters(
        keep_tags={"keep": "*"}, only_tags={"team": "a"}, keep_name_patterns=("golden-*",), min_age=timedelta(hours=1)
    )

    outcome, recorder = run(in_memory_types, filters=filters)

    assert outcome.converged and recorder.actions(Action.DELETED) == ["i-go"]
    reasons = {row[1]: row[3] for row in recorder.rows if row[2] == Action.SKIPPED_BY_FILTER}
    assert reasons == {
        "i-keep": "kept by tag keep=yes",
        "i-young": "younger than 1.0 hours",
        "i-undated": "creation time unknown, so not provably older than the minimum age",
        "i-other-team": "not tagged team=a",
        "i-named": "kept by name pattern golden-*",
    }
    assert cloud.present(ACCOUNT, REGION, "cleanertest.instance") == set(reasons)


def test_name_patterns_target_only_matching_items(cloud, in_memory_types):
    cloud.add(ACCOUNT, REGION, "cleanertest.instance", "i-1", name="lab-1")
    cloud.add(ACCOUNT, REGION, "cleanertest.instance", "i-2", name="prod-1")

    outcome, recorder = run(in_memory_types, filters=Filters(name_patterns=("lab-*",)))

    assert recorder.actions(Action.DELETED) == ["i-1"] and outcome.skipped == 1


# --- Against moto ------------------------------------------------------------------------------------


def _queues_and_topics(account_id: str, count: int) -> None:
    sqs, sns = member_client(account_id, "sqs", REGION), member_client(account_id, "sns", REGION)
    for n in range(count):
        sqs.create_queue(QueueName=f"lab-queue-{n}")
        sns.create_topic(Name=f"lab-topic-{n}")


def test_throttling_answered_by_aws_is_absorbed_and_the_sweep_still_converges(org, moto_types):
    (account_id,) = org.add_accounts(1, pool=False)
    _queues_and_topics(account_id, 6)

    # AWS's answer to too many calls: a bucket of 4, refilled at 8 a second, per account, for SQS and SNS.
    with BotocoreHooks(throttle=(4, 8), throttled_services=("sqs", "sns")) as hooks:
        outcome = sweep(SweepContext(account_id, REGION), moto_types[:2], dry_run=False, budget_seconds=120)

    assert hooks.throttled[account_id] > 0  # AWS really did say no, and more than once
    assert outcome.converged and (outcome.deleted, outcome.failed, outcome.left) == (12, 0, 0)
    assert not member_client(account_id, "sqs", REGION).list_queues().get("QueueUrls")
    assert not member_client(account_id, "sns", REGION).list_topics()["Topics"]


def test_the_access_role_survives_a_sweep_of_every_role(org, moto_types):
    (account_id,) = org.add_accounts(1, pool=False)
    iam = member_client(account_id, "iam", GLOBAL_REGION)
    iam.create_role(RoleName="lab-role", AssumeRolePolicyDocument="{}")

    outcome = sweep(SweepContext(account_id, GLOBAL_REGION), moto_types[2:], dry_run=False, protection=PROTECTION)

    assert outcome.converged and outcome.deleted == 1 and outcome.protected == 1
    assert [r["RoleName"] for r in iam.list_roles()["Roles"]] == ["OrganizationAccountAccessRole"]


def test_the_service_modules_sweep_an_attendees_leftovers_and_spare_what_must_stay(org):
    """The real modules of the registry, all of them: everything made here goes."""
    types = resource_types()
    assert types, "the cleaner's registry is empty: no module of cleaner/services/ registered a resource type"
    (account_id,) = org.add_accounts(1, pool=False)
    ec2, s3 = member_client(account_id, "ec2", REGION), member_client(account_id, "s3", REGION)
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.1.0/24")["Subnet"]["SubnetId"]
    ec2.create_security_group(GroupName="lab", Description="lab", VpcId=vpc)
    ec2.run_instances(ImageId="ami-12c6146b", MinCount=2, MaxCount=2, SubnetId=subnet)
    s3.create_bucket(Bucket=f"lab-{account_id}", CreateBucketConfiguration={"LocationConstraint": REGION})
    for n in range(5):
        s3.put_object(Bucket=f"lab-{account_id}", Key=f"data/{n}", Body=b"x")
    _queues_and_topics(account_id, 2)
    member_client(account_id, "logs", REGION).create_log_group(logGroupName="/lab/app")
    iam = member_client(account_id, "iam", GLOBAL_REGION)
    iam.create_user(UserName="attendee-leftover")
    iam.create_access_key(UserName="attendee-leftover")
    default_vpcs = {v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"] if v["IsDefault"]}
    protection = PROTECTION

    # A budget, so a module that never converges fails this test with what it left instead of hanging it.
    options = {"dry_run": False, "protection": protection, "budget_seconds": 180}
    regional = sweep(SweepContext(account_id, REGION), [t for t in types if not t.is_global], **options)
    global_ = sweep(SweepContext(account_id, GLOBAL_REGION), [t for t in types if t.is_global], **options)

    assert regional.converged and global_.converged, (regional.remaining, global_.remaining, regional.list_errors)
    assert {v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]} == default_vpcs
    running = [i for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]]
    assert all(i["State"]["Name"] == "terminated" for i in running)
    assert not s3.list_buckets()["Buckets"]
    assert not member_client(account_id, "sqs", REGION).list_queues().get("QueueUrls")
    assert not iam.list_users()["Users"]
    assert "OrganizationAccountAccessRole" in {r["RoleName"] for r in iam.list_roles()["Roles"]}
