"""Lightsail's compute side: instances, databases, load balancers, container services, static IPs, key pairs.

Lightsail is regional, like EC2, but the account's DNS zones and content-delivery distributions
are served from us-east-1 only (see lightsail_storage.py). Every listing pages with a
`pageToken`; some of its Get* calls have no boto3 paginator, so `Pages` follows the token itself.
Deleting an instance takes its automatic snapshots and add-ons with it and leaves its extra disks
detached (lightsail.disk waits for it); a database goes without a final snapshot.
"""

from __future__ import annotations

from collections.abc import Iterator

from cleaner.registry import Deleting, Listed, Listing, resource
from cleaner.services._offered import OfferedOnly


class Pages(OfferedOnly, Listed):
    """A Lightsail Get* call, paged by hand where boto3 has no paginator for it."""

    def pages(self) -> Iterator[dict]:
        spec = self.listing
        if self.client.can_paginate(spec.operation):
            yield from super().pages()
            return
        token = None
        while True:
            page = getattr(self.client, spec.operation)(**spec.params, **({"pageToken": token} if token else {}))
            yield page
            token = page.get("nextPageToken")
            if not token:
                return


def named(operation: str, items: str, **fields) -> Listing:
    """Every Lightsail resource is named, and its name is what the delete calls take."""
    return Listing(operation, items, id="name", name="name", arn="arn", created="createdAt", tags="tags", **fields)


@resource("lightsail.instance")
class Instance(Pages):
    listing = named(
        "get_instances",
        "instances",
        state="state.name",
        gone=frozenset({"terminated"}),
        going=frozenset({"shutting-down"}),
    )
    # Add-ons (automatic snapshots) would otherwise keep the instance from going.
    deleting = Deleting("delete_instance", {"instanceName": "id"}, fixed={"forceDeleteAddOns": True})


@resource("lightsail.relational_database")
class RelationalDatabase(Pages):
    gone_within = 600.0
    listing = named("get_relational_databases", "relationalDatabases", state="state", going=frozenset({"deleting"}))
    deleting = Deleting(
        "delete_relational_database", {"relationalDatabaseName": "id"}, fixed={"skipFinalSnapshot": True}
    )


@resource("lightsail.load_balancer")
class LoadBalancer(Pages):
    # Its TLS certificates belong to it and go with it.
    listing = named("get_load_balancers", "loadBalancers", state="state")
    deleting = Deleting("delete_load_balancer", {"loadBalancerName": "id"})


@resource("lightsail.container_service")
class ContainerService(Pages):
    gone_within = 300.0
    listing = Listing(
        "get_container_services",
        "containerServices",
        id="containerServiceName",
        name="containerServiceName",
        arn="arn",
        created="createdAt",
        tags="tags",
        state="state",
        going=frozenset({"DELETING"}),
    )
    deleting = Deleting("delete_container_service", {"serviceName": "id"})


@resource("lightsail.static_ip")
class StaticIp(Pages):
    # Releasing an attached static IP detaches it first: the instance keeps a dynamic address.
    listing = named("get_static_ips", "staticIps")
    deleting = Deleting("release_static_ip", {"staticIpName": "id"})


@resource("lightsail.key_pair")
class KeyPair(Pages):
    # Only the key pairs someone created or uploaded: the region's default key pair, which
    # Lightsail makes itself the first time an instance uses it, is not asked for.
    listing = named("get_key_pairs", "keyPairs")
    deleting = Deleting("delete_key_pair", {"keyPairName": "id"})
