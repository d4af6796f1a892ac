"""The resource types the cleaner knows, declared one AWS service per module in cleaner/services/.

A resource type is a small class: how to list its items (paginated), how to delete one (or a
batch, where AWS deletes many in one call), which types must be gone before it can go
(`depends_on`), and whether it lives once per account (global, e.g. IAM) or in every region.
The engine does everything else: safety gates, ordering, pacing, re-scans and records. Modules
are found automatically; `cleaner/services/_template.py` is the one to copy for a new service.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

import jmespath

if TYPE_CHECKING:
    from cleaner.context import SweepContext


@dataclass(frozen=True)
class Item:
    """One thing found in an account: enough to show it, filter it and delete it."""

    id: str
    name: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    created: datetime | None = None
    # Whatever delete() needs beyond the id (a bucket's region, a VPC id, an ARN…).
    extra: dict = field(default_factory=dict, compare=False, hash=False)
    # Set by list() for things that must never be touched (a default VPC's parts, AWS-managed
    # objects); the engine reports them as protected and never calls delete().
    protected: str = ""


def tags_of(pairs: Iterable[dict] | None, key: str = "Key", value: str = "Value") -> dict[str, str]:
    """AWS's [{"Key": k, "Value": v}, …] as a dict (services spell the fields differently)."""
    return {pair[key]: pair.get(value, "") for pair in pairs or ()}


class Resource:
    """A resource type. Subclasses set the class attributes through @resource and implement list/delete."""

    type: ClassVar[str] = ""  # "ec2.instance"
    service: ClassVar[str] = ""  # the boto3 service name: "ec2"
    depends_on: ClassVar[tuple[str, ...]] = ()
    is_global: ClassVar[bool] = False
    # The API class whose rate bucket delete calls draw from (see cleaner/context.py).
    pace: ClassVar[str] = "mutating"
    # How many items of this type one sweep deletes at once; 1 where AWS refuses concurrent changes.
    parallel_deletes: ClassVar[int] = 4
    # The IAM prefix of its actions ("states" for boto3's "stepfunctions"), when the two differ: the
    # guardrails let attendees use a service by that prefix.
    iam_prefix: ClassVar[str] = ""
    # How long AWS usually takes to make a deleted item vanish from its listing (CloudFront's
    # distributions: a quarter of an hour; most things: seconds). Dependants wait, re-listing, at
    # most this long within one scan before they are left to the next.
    gone_within: ClassVar[float] = 30.0
    # A global listing whose items each live in one region (S3's buckets, in Item.extra["region"]):
    # a run confined to some regions still sweeps those of its regions, and nothing else global.
    regional_items: ClassVar[bool] = False
    # Its items put network interfaces in a VPC's subnets (a database, a cluster, a mount target):
    # the VPC's own parts (after_vpc_users) wait for every such type, whichever module declares it.
    in_vpc: ClassVar[bool] = False
    after_vpc_users: ClassVar[bool] = False
    # The type whose items hold this type's items (a Glue table's database, a Cloud Map instance's
    # service): when that one lists nothing, this one cannot have anything and is not listed.
    within: ClassVar[str] = ""

    def __init__(self, context: SweepContext):
        self.context = context
        self.client = context.client(self.service)

    def list(self) -> Iterator[Item]:
        raise NotImplementedError

    def delete(self, item: Item) -> None:
        raise NotImplementedError

    def time_left(self) -> float:
        """Seconds left of the sweep's wait budget: a long delete (emptying a bucket) stops when it runs
        out, so one item cannot hold a sweep past its budget. The engine sets it; alone: no limit."""
        return float("inf")

    def prepare(self, item: Item) -> None:
        """Make an item deletable (switch off deletion protection, empty it …); default: nothing."""

    # A type whose API deletes many items in one call (SSM's DeleteParameters) also defines
    #     def delete_many(self, items: list[Item]) -> dict[str, Exception]
    # taking at most `batch_size` prepared items and returning, by item id, the error of each one it
    # could not delete (a "…NotFound" one counts as already gone, as from delete()). If the call
    # fails as a whole, the engine deletes that batch one item at a time with delete().
    batch_size: ClassVar[int] = 1


@dataclass(frozen=True)
class Listing:
    """How a type is listed, in the manner of Cloud Custodian's enumeration spec: one (paginated)
    call, where its items are in the answer, and which field of an item is which.

    Fields are JMESPath expressions on one item ("ClusterIdentifier", "Endpoint.Address").
    """

    operation: str  # the boto3 method: "describe_clusters"
    items: str  # JMESPath to the list in one page of the answer: "Clusters"
    id: str
    name: str = ""  # defaults to the id
    arn: str = ""
    created: str = ""
    tags: str = ""  # a list of {Key, Value} (any spelling of the two) or a dict
    state: str = ""  # the item's lifecycle status, for `gone` and `going`
    params: dict = field(default_factory=dict)  # fixed arguments of the call
    # Lifecycle states that mean the item no longer exists for billing or deletion (a terminated
    # EMR cluster, a DELETED knowledge base): not yielded at all.
    gone: frozenset[str] = frozenset()
    # States in which AWS is already deleting it: listed (not clean yet), never deleted twice.
    going: frozenset[str] = frozenset()
    # Other fields delete() needs, by name in Item.extra: {"cluster": "ClusterArn"}.
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Deleting:
    """How one item is deleted: the boto3 method and its arguments, each a field of the item.

    `args` maps a parameter to "id", "name", "arn" or a key of Item.extra; `fixed` are constants
    (SkipFinalClusterSnapshot=True).
    """

    operation: str
    args: dict
    fixed: dict = field(default_factory=dict)


def _tags(value: Any) -> dict[str, str]:
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    pairs = value or ()
    if pairs and isinstance(pairs[0], dict):
        key = next((k for k in ("Key", "key", "TagKey") if k in pairs[0]), "Key")
        value_key = next((k for k in ("Value", "value", "TagValue") if k in pairs[0]), "Value")
        return tags_of(pairs, key=key, value=value_key)
    return {}


class Listed(Resource):
    """A type said in a few lines: a Listing, a Deleting, and (where needed) a prepare().

    Subclasses may still override list() or delete() where one call does not say it all; the
    `protect(raw)` hook marks AWS-made items by what they are (never by a name an attendee chose).
    """

    listing: ClassVar[Listing]
    deleting: ClassVar[Deleting | None] = None

    def pages(self) -> Iterator[dict]:
        spec = self.listing
        if self.client.can_paginate(spec.operation):
            yield from self.client.get_paginator(spec.operation).paginate(**spec.params)
        else:
            yield getattr(self.client, spec.operation)(**spec.params)

    def raw_items(self) -> Iterator[dict]:
        for page in self.pages():
            yield from jmespath.search(self.listing.items, page) or ()

    def protect(self, raw: dict) -> str:
        """Why this item must never be deleted ("" when it may): what AWS made, by what it is."""
        return ""

    def item(self, raw: dict) -> Item | None:
        spec = self.listing

        def field_of(expression: str):
            return jmespath.search(expression, raw) if expression else None

        state = field_of(spec.state)
        if state in spec.gone:
            return None
        item_id = str(field_of(spec.id))
        extra = {name: field_of(path) for name, path in spec.extra.items()}
        extra["state"] = state
        if spec.arn:
            extra["arn"] = field_of(spec.arn)
        return Item(
            id=item_id,
            name=str(field_of(spec.name) or item_id) if spec.name else item_id,
            tags=_tags(field_of(spec.tags)),
            created=field_of(spec.created),
            extra=extra,
            protected=self.protect(raw),
        )

    def list(self) -> Iterator[Item]:
        for raw in self.raw_items():
            item = self.item(raw)
            if item is not None:
                yield item

    def is_going(self, item: Item) -> bool:
        return item.extra.get("state") in self.listing.going

    def delete(self, item: Item) -> None:
        if self.is_going(item):
            return  # AWS is at it already; a second call would be refused, the re-scan waits
        spec = self.deleting
        if spec is None:
            raise NotImplementedError(f"{self.type} says no Deleting and no delete()")
        fields = {"id": item.id, "name": item.name, **item.extra}
        arguments = {param: fields[source] for param, source in spec.args.items()}
        getattr(self.client, spec.operation)(**arguments, **spec.fixed)


class NotYet(Exception):
    """An item AWS will not let anyone delete before a date (S3 compliance retention, AMI
    deregistration protection, a KMS key's pending deletion): reported with its date, never counted
    as a failure of the sweep, tried again after that date."""

    def __init__(self, until: datetime, why: str):
        super().__init__(f"{why} (not before {until:%Y-%m-%d %H:%M} UTC)")
        self.until, self.why = until, why


def batch_size_of(resource: Resource | type[Resource]) -> int:
    """How many items one delete call of this type takes: 1 unless it declares delete_many."""
    return max(1, resource.batch_size) if callable(getattr(resource, "delete_many", None)) else 1


REGISTRY: dict[str, type[Resource]] = {}

# IAM's name of a service where it differs from boto3's: the guardrails allow attendees a service by
# the prefix its actions carry in a policy ("states:StartExecution"), not by the client's name.
IAM_PREFIXES = {
    "apigatewayv2": "apigateway",
    "elbv2": "elasticloadbalancing",
    "stepfunctions": "states",
}


def iam_prefix_of(cls: type[Resource]) -> str:
    return cls.iam_prefix or IAM_PREFIXES.get(cls.service, cls.service)


def iam_prefixes() -> list[str]:
    """The IAM prefix of every service the cleaner has a module for: what attendees may use."""
    return sorted({iam_prefix_of(cls) for cls in discover().values()})


def resource(type_name: str, *, depends_on: Iterable[str] = (), is_global: bool = False, pace: str = "mutating"):
    """Register a resource type under "<service>.<kind>"; the service is the part before the dot."""

    def register(cls: type[Resource]) -> type[Resource]:
        if type_name in REGISTRY and REGISTRY[type_name] is not cls:
            raise ValueError(f"Resource type {type_name} is declared twice.")
        cls.type = type_name
        cls.service = cls.service or type_name.split(".", 1)[0]
        cls.depends_on = tuple(depends_on)
        cls.is_global = is_global
        cls.pace = pace
        REGISTRY[type_name] = cls
        return cls

    return register


def discover() -> dict[str, type[Resource]]:
    """Import every module of cleaner/services/ (not those starting with "_") and return the registry."""
    import cleaner.services as package

    for module in pkgutil.iter_modules(package.__path__):
        if not module.name.startswith("_"):
            importlib.import_module(f"{package.__name__}.{module.name}")
    users = sorted(t.type for t in REGISTRY.values() if t.in_vpc)
    for cls in REGISTRY.values():
        if cls.after_vpc_users:
            cls.depends_on = tuple(dict.fromkeys((*cls.depends_on, *(u for u in users if u != cls.type))))
    unknown = {dep for cls in REGISTRY.values() for dep in cls.depends_on if dep not in REGISTRY}
    unknown |= {cls.within for cls in REGISTRY.values() if cls.within and cls.within not in REGISTRY}
    if unknown:
        raise ValueError(f"depends_on names unknown resource types: {', '.join(sorted(unknown))}")
    return REGISTRY
