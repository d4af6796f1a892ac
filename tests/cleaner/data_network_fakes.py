"""What the data and network group's tests share: the member account, an order check, and the
stateful stand-ins where moto lacks an API. Each keeps its records in a dict that the delete calls
change and the list calls read, so a sweep really sees things go (and a test can fail when the
cleaner forgets a step). Used by test_services_data_caches.py, test_services_data_backup.py and
test_services_network_extras.py."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from botocore.exceptions import ClientError

from tests.cleaner.test_services_app import RecordingContext, member_account


@pytest.fixture(name="account")
def account_fixture():
    with member_account() as context:
        yield context


def assert_all_before(context: RecordingContext, earlier: str, later: str) -> None:
    """Every `earlier` call came before the first `later` one, and both were made."""
    assert earlier in context.operations() and later in context.operations()
    assert context.last(earlier) < context.first(later)


def listed(store: dict, key: str, **also) -> Callable[[dict], dict]:
    """A list call's answer: every record left in `store`."""
    return lambda params: {key: list(store.values()), **also}


def removed(store: dict, param: str, answer: dict | None = None) -> Callable[[dict], dict]:
    """A delete call: takes the record named by `param` out of `store` (AWS's "not found" if absent)."""

    def delete(params: dict) -> dict:
        if params[param] not in store:
            raise ClientError({"Error": {"Code": "NotFoundFault", "Message": params[param]}}, "Delete")
        del store[params[param]]
        return answer or {}

    return delete


def moto_finishes_deleting(context: RecordingContext, operation: str, records: Callable[[], dict], status: str) -> None:
    """moto leaves what it deletes "deleting" for ever; AWS finishes. Here a record a listing has
    seen "deleting" is gone by the next listing (so the sweep does see it "deleting" once)."""
    seen: set[str] = set()
    service, name = operation.split(":")

    def settle(**kwargs):
        found = records()
        for key, record in list(found.items()):
            if getattr(record, status) == "deleting":
                if key in seen:
                    del found[key]
                seen.add(key)

    context.client(service).meta.events.register(f"before-call.{service}.{name}", settle)


def elasticache_settles(context: RecordingContext) -> None:
    from moto.elasticache.models import elasticache_backends

    backend = elasticache_backends[context.account_id][context.region]
    moto_finishes_deleting(
        context, "elasticache:DescribeReplicationGroups", lambda: backend.replication_groups, "status"
    )
    moto_finishes_deleting(
        context, "elasticache:DescribeCacheClusters", lambda: backend.cache_clusters, "cache_cluster_status"
    )
    moto_finishes_deleting(context, "elasticache:DescribeUsers", lambda: backend.users, "status")
    # moto makes subnet groups but cannot delete them.
    context.stand_ins["DeleteCacheSubnetGroup"] = removed(backend.cache_subnet_groups, "CacheSubnetGroupName")


def vpc_with_subnets(context: RecordingContext, count: int = 2) -> tuple[str, list[str]]:
    ec2 = context.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.7.0.0/16")["Vpc"]["VpcId"]
    zones = [f"{context.region}a", f"{context.region}b", f"{context.region}c"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.7.{n}.0/24", AvailabilityZone=zones[n % 3])["Subnet"]["SubnetId"]
        for n in range(count)
    ]
    return vpc, subnets
