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
from typing import TYPE_CHECKING, ClassVar

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

    def __init__(self, context: SweepContext):
        self.context = context
        self.client = context.client(self.service)

    def list(self) -> Iterator[Item]:
        raise NotImplementedError

    def delete(self, item: Item) -> None:
        raise NotImplementedError

    def prepare(self, item: Item) -> None:
        """Make an item deletable (switch off deletion protection, empty it …); default: nothing."""

    # A type whose API deletes many items in one call (SSM's DeleteParameters) also defines
    #     def delete_many(self, items: list[Item]) -> dict[str, Exception]
    # taking at most `batch_size` prepared items and returning, by item id, the error of each one it
    # could not delete (a "…NotFound" one counts as already gone, as from delete()). If the call
    # fails as a whole, the engine deletes that batch one item at a time with delete().
    batch_size: ClassVar[int] = 1


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


def iam_prefixes() -> list[str]:
    """The IAM prefix of every service the cleaner has a module for: what attendees may use."""
    return sorted({IAM_PREFIXES.get(cls.service, cls.service) for cls in discover().values()})


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
    unknown = {dep for cls in REGISTRY.values() for dep in cls.depends_on if dep not in REGISTRY}
    if unknown:
        raise ValueError(f"depends_on names unknown resource types: {', '.join(sorted(unknown))}")
    return REGISTRY
