"""The cleaner's network types swept the way the engine would, minus its gates, threads and records.

moto deletes at once and refuses few deletes that AWS refuses, so the order AWS needs is checked
on the calls the sweep makes, recorded on the clients it uses (CallLog).
"""

from __future__ import annotations

import copy
import importlib
from dataclasses import dataclass, field

from cleaner.context import GLOBAL_REGION, SweepContext
from cleaner.registry import REGISTRY, Resource
from cpp_portal.aws import member_client

REGION = "eu-west-1"
NETWORK_MODULES = (
    "cleaner.services.ec2",
    "cleaner.services.vpc",
    "cleaner.services.vpc_links",
    "cleaner.services.autoscaling",
    "cleaner.services.elbv2",
)


# --- A tiny sweep: what the engine does, minus gates, threads and records -----------------------


def our_types(modules) -> dict[str, type[Resource]]:
    for module in modules:
        importlib.import_module(module)
    return {name: cls for name, cls in REGISTRY.items() if cls.__module__ in modules}


def deletion_order(types: dict[str, type[Resource]]) -> list[str]:
    """Every type after all it depends_on (types outside `types` are taken as gone)."""
    ordered: list[str] = []
    pending = sorted(types)
    while pending:
        ready = [name for name in pending if all(dep in ordered or dep not in types for dep in types[name].depends_on)]
        assert ready, f"depends_on has a cycle among {pending}"
        ordered += ready
        pending = [name for name in pending if name not in ready]
    return ordered


@dataclass
class Sweep:
    passes: list[list[tuple[str, str]]] = field(default_factory=list)  # what each pass deleted
    protected: dict[str, dict[str, str]] = field(default_factory=dict)  # type → id → reason (last pass)


def sweep(account_id: str, modules=NETWORK_MODULES, *, region: str = REGION, max_passes: int = 5) -> Sweep:
    """List and delete in depends_on order, pass after pass, until a pass finds nothing to delete."""
    types = our_types(modules)
    result = Sweep()
    for _ in range(max_passes):
        deleted, result.protected = [], {}
        for name in deletion_order(types):
            cls = types[name]
            resource = cls(SweepContext(account_id, GLOBAL_REGION if cls.is_global else region))
            try:
                items = list(resource.list())
            except NotImplementedError:
                continue  # moto lacks it (transit gateway Connect): the engine counts it as not offered
            for item in items:
                if item.protected:
                    result.protected.setdefault(name, {})[item.id] = item.protected
                    continue
                resource.prepare(item)
                resource.delete(item)
                deleted.append((name, item.id))
        result.passes.append(deleted)
        if not deleted:
            break
    return result


class CallLog:
    """The AWS calls the sweep makes, in order, recorded on the (cached) clients it will use."""

    def __init__(self):
        self.calls: list[tuple[str, dict, str]] = []

    def watch(self, account_id: str, service: str, region: str = REGION) -> CallLog:
        def record(model, params, **kwargs):
            self.calls.append((model.name, copy.deepcopy(params), region))

        # before-parameter-build sees the parameters as the caller passed them.
        member_client(account_id, service, region).meta.events.register("before-parameter-build", record)
        return self

    def index(self, operation: str, **params) -> int:
        """Where the first call of `operation` with these parameters is (ValueError if none)."""
        for position, (name, sent, _region) in enumerate(self.calls):
            if name == operation and all(sent.get(k) == v for k, v in params.items()):
                return position
        raise ValueError(f"no {operation} call with {params}")

    def named(self, operation: str) -> list[dict]:
        return [params for name, params, _region in self.calls if name == operation]


def ec2_of(account_id: str):
    return member_client(account_id, "ec2", REGION)


# One of the public images moto knows (its own tests use it): listing them all takes seconds.
PUBLIC_IMAGE = "ami-12c6146b"


def items_of(account_id: str, type_name: str, region: str = REGION) -> dict[str, object]:
    our_types(NETWORK_MODULES)
    cls = REGISTRY[type_name]
    return {item.id: item for item in cls(SweepContext(account_id, region)).list()}
