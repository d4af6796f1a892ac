"""Fixtures for the engine's tests: resource types of their own, so they do not depend on the service modules.

- `cloud`: an in-memory stand-in for AWS (`FakeCloud`) behind four test-only types registered under
  "cleanertest.*" (instances, volumes that AWS refuses to delete while an instance is there,
  networks that need both gone, and a global user type). Items can fail N times, never go, linger
  in listings after their deletion, or break the module with a bug.
- `moto_types`: two types over real moto calls (SQS queues, SNS topics) and one over IAM roles, for
  the tests that need AWS's own answers: throttling, the Celery fan-out, the command.
- `only_test_types`: the runs, tasks and the command see only the test types (they sweep every
  registered type otherwise); `few_regions`: every account has two enabled regions, not moto's 30.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from botocore.exceptions import ClientError

from cleaner import engine, safety
from cleaner.registry import REGISTRY, Item, Resource, resource, tags_of

TEST_SERVICE = "cleanertest"
REGIONS = ["eu-west-1", "us-east-1"]


def aws_error(code: str, message: str = "refused", operation: str = "Delete") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, operation)


@dataclass
class Thing:
    id: str
    name: str = ""
    tags: dict = field(default_factory=dict)
    created: datetime | None = None
    protected: str = ""
    extra: dict = field(default_factory=dict)
    fail_times: int = 0  # refuse this many deletes first
    undeletable: str = ""  # always refuse, with this error code
    lingers: int = 0  # scans it is still listed after being deleted
    bug: bool = False  # delete() raises a plain Python error, as a buggy module would


class FakeCloud:
    """Things per (account, region, type), with a log of every call in order."""

    def __init__(self):
        self.things: dict[tuple[str, str, str], dict[str, Thing]] = defaultdict(dict)
        self.gone: dict[tuple[str, str, str], dict[str, Thing]] = defaultdict(dict)
        self.log: list[tuple[str, str, str]] = []
        self.lock = threading.Lock()
        self.on_delete: Callable[[str, str], None] | None = None  # a hook: raise in it to kill the sweep
        self.list_errors: dict[str, Exception] = {}

    def add(self, account: str, region: str, type_name: str, thing_id: str, **fields) -> Thing:
        thing = Thing(id=thing_id, **fields)
        self.things[(account, region, type_name)][thing_id] = thing
        return thing

    def present(self, account: str, region: str, type_name: str) -> set[str]:
        return set(self.things[(account, region, type_name)])

    def list(self, account: str, region: str, type_name: str) -> list[Thing]:
        with self.lock:
            self.log.append(("list", type_name, account))
            if type_name in self.list_errors:
                raise self.list_errors[type_name]
            lingering = self.gone[(account, region, type_name)]
            for thing in list(lingering.values()):
                if thing.lingers <= 0:
                    del lingering[thing.id]
                thing.lingers -= 1
            return [*self.things[(account, region, type_name)].values(), *lingering.values()]

    def delete(self, account: str, region: str, type_name: str, thing_id: str, blockers: tuple[str, ...] = ()):
        if self.on_delete:
            self.on_delete(type_name, thing_id)
        with self.lock:
            self.log.append(("delete", type_name, thing_id))
            things = self.things[(account, region, type_name)]
            thing = things.get(thing_id)
            if thing is None:
                if thing_id in self.gone[(account, region, type_name)]:
                    return  # deleting again what is still being deleted: AWS accepts it
                raise aws_error("InvalidThing.NotFound", f"{thing_id} does not exist")
            if thing.bug:
                raise KeyError("Widgets")
            if thing.undeletable:
                raise aws_error(thing.undeletable, f"{thing_id} cannot be deleted")
            if thing.fail_times > 0:
                thing.fail_times -= 1
                raise aws_error("RequestLimitExceeded", f"{thing_id}: try again")
            for blocker in blockers:
                if self.things[(account, region, blocker)]:
                    raise aws_error("DependencyViolation", f"{thing_id} is still used by a {blocker}")
            del things[thing_id]
            if thing.lingers:
                self.gone[(account, region, type_name)][thing_id] = thing


CLOUD: FakeCloud | None = None


class _InMemory(Resource):
    blockers: tuple[str, ...] = ()

    def __init__(self, context):  # no boto3 client: the cloud is in memory
        self.context = context

    def list(self) -> Iterator[Item]:
        for thing in CLOUD.list(self.context.account_id, self.context.region, self.type):
            yield Item(
                id=thing.id,
                name=thing.name,
                tags=dict(thing.tags),
                created=thing.created,
                protected=thing.protected,
                extra=dict(thing.extra),
            )

    def delete(self, item: Item) -> None:
        CLOUD.delete(self.context.account_id, self.context.region, self.type, item.id, self.blockers)


def _in_memory_types() -> list[type[Resource]]:
    @resource("cleanertest.instance")
    class Instance(_InMemory):
        pass

    @resource("cleanertest.volume", depends_on=["cleanertest.instance"])
    class Volume(_InMemory):
        blockers = ("cleanertest.instance",)

    @resource("cleanertest.network", depends_on=["cleanertest.volume", "cleanertest.instance"])
    class Network(_InMemory):
        blockers = ("cleanertest.instance", "cleanertest.volume")
        parallel_deletes = 1

    @resource("cleanertest.user", is_global=True)
    class User(_InMemory):
        pass

    return [Instance, Volume, Network, User]


def _moto_types() -> list[type[Resource]]:
    @resource("cleanertest.queue")
    class Queue(Resource):
        service = "sqs"

        def list(self) -> Iterator[Item]:
            for page in self.client.get_paginator("list_queues").paginate():
                for url in page.get("QueueUrls", ()):
                    tags = self.client.list_queue_tags(QueueUrl=url).get("Tags", {})
                    yield Item(id=url, name=url.rsplit("/", 1)[-1], tags=tags)

        def delete(self, item: Item) -> None:
            self.client.delete_queue(QueueUrl=item.id)

    @resource("cleanertest.topic", depends_on=["cleanertest.queue"])
    class Topic(Resource):
        service = "sns"

        def list(self) -> Iterator[Item]:
            for page in self.client.get_paginator("list_topics").paginate():
                for topic in page.get("Topics", ()):
                    arn = topic["TopicArn"]
                    yield Item(id=arn, name=arn.rsplit(":", 1)[-1], extra={"arn": arn})

        def delete(self, item: Item) -> None:
            self.client.delete_topic(TopicArn=item.id)

    @resource("cleanertest.role", is_global=True)
    class Role(Resource):
        service = "iam"

        def list(self) -> Iterator[Item]:
            for page in self.client.get_paginator("list_roles").paginate():
                for role in page["Roles"]:
                    name = role["RoleName"]
                    tags = tags_of(self.client.list_role_tags(RoleName=name).get("Tags"))
                    yield Item(id=name, name=name, tags=tags, created=role["CreateDate"], extra={"arn": role["Arn"]})

        def delete(self, item: Item) -> None:
            self.client.delete_role(RoleName=item.id)

    return [Queue, Topic, Role]


@pytest.fixture
def test_types():
    """Every test type registered for the test, and gone from the registry afterwards."""
    global CLOUD
    CLOUD = FakeCloud()
    types = {cls.type: cls for cls in [*_in_memory_types(), *_moto_types()]}
    try:
        yield types
    finally:
        # Only ours go: the service modules' types stay registered for every other test.
        for name in [n for n in REGISTRY if n.startswith(f"{TEST_SERVICE}.")]:
            del REGISTRY[name]
        CLOUD = None


@pytest.fixture
def cloud(test_types) -> FakeCloud:
    return CLOUD


@pytest.fixture
def in_memory_types(test_types) -> list[type[Resource]]:
    return [test_types[name] for name in ("cleanertest.instance", "cleanertest.volume", "cleanertest.network")]


@pytest.fixture
def moto_types(test_types) -> list[type[Resource]]:
    return [test_types[name] for name in ("cleanertest.queue", "cleanertest.topic", "cleanertest.role")]


@pytest.fixture
def only_test_types(test_types, monkeypatch):
    """Runs, tasks and the command sweep the test types alone (of the services asked for)."""
    real = engine.resource_types

    def test_types_only(services=()):
        return [t for t in real(services) if t.type.startswith(f"{TEST_SERVICE}.")]

    monkeypatch.setattr(engine, "resource_types", test_types_only)


@pytest.fixture
def few_regions(monkeypatch):
    monkeypatch.setattr(safety, "enabled_regions", lambda account_id: list(REGIONS))


@pytest.fixture
def pool(db, org):
    """Two member accounts in the pool, in state cleaning (as a closed workshop leaves them)."""
    from workshops.models import SandboxAccount, SandboxAccountState

    accounts = org.add_accounts(2)
    SandboxAccount.objects.filter(pk__in=[a.pk for a in accounts]).update(state=SandboxAccountState.CLEANING)
    return list(SandboxAccount.objects.filter(pk__in=[a.pk for a in accounts]).order_by("aws_account_id"))


def fill_with_things(cloud: FakeCloud, account_id: str, regions=REGIONS, *, per_type: int = 3) -> None:
    """An attendee's footprint in the in-memory cloud: instances, their volumes, a network, users."""
    for region in regions:
        for n in range(per_type):
            cloud.add(account_id, region, "cleanertest.instance", f"i-{n}")
            cloud.add(account_id, region, "cleanertest.volume", f"vol-{n}")
        cloud.add(account_id, region, "cleanertest.network", "net-0")
    cloud.add(account_id, "us-east-1", "cleanertest.user", "attendee-1")


def now() -> datetime:
    return datetime.now(UTC)
