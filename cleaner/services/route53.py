"""Route 53 (global): hosted zones, their query logging configurations, traffic policies and the
records they made, and health checks.

AWS refuses to delete a hosted zone that holds any record set but its own SOA and apex NS, so the
zone's records go first, in one change batch per zone (chunked where a zone is large: one batch
takes at most 1,000 records). A signed zone is refused too: DNSSEC signing goes off and its
key-signing keys go first. A private zone's VPC associations go with the zone. A zone or health
check that another service made for itself (Cloud Map's namespaces) carries a LinkedService and is
deleted by that service, with the namespace: listed, never touched.
"""

from __future__ import annotations

from collections.abc import Iterator

from botocore.exceptions import ClientError

from cleaner.registry import Item, Resource, resource
from cleaner.services._paging import pages
from cleaner.services.cloud9 import not_offered

# Records in one ChangeResourceRecordSets call: AWS caps a batch at 1,000 records and 32,000
# characters of values; a zone rarely holds more than this, and a larger one takes a few batches.
CHANGES_PER_BATCH = 500


def linked_to(raw: dict) -> str:
    service = (raw.get("LinkedService") or {}).get("ServicePrincipal")
    return f"managed by {service}, deleted with what it belongs to" if service else ""


def _asked(call, **params) -> dict:
    """One call of a listing; a bare 404 (an endpoint without traffic policies: the local fake AWS)
    means the kind is not offered there, which the engine reports and sweeps on."""
    try:
        return call(**params)
    except ClientError as error:
        if not_offered(error):
            raise NotImplementedError(f"{call.__name__} is not offered by this endpoint") from error
        raise


def _tags_of(client, kind: str, ids: list[str]) -> dict[str, dict[str, str]]:
    """Tags of up to ten zones or health checks per call (ListTagsForResources' limit)."""
    found: dict[str, dict[str, str]] = {}
    for start in range(0, len(ids), 10):
        answer = client.list_tags_for_resources(ResourceType=kind, ResourceIds=ids[start : start + 10])
        for entry in answer.get("ResourceTagSets", ()):
            found[entry["ResourceId"]] = {tag["Key"]: tag.get("Value", "") for tag in entry.get("Tags", ())}
    return found


@resource("route53.query_logging_config", is_global=True)
class QueryLoggingConfig(Resource):
    """A hosted zone's DNS query logging into CloudWatch Logs: one per zone, deleted before the zone."""

    def list(self) -> Iterator[Item]:
        for page in self.client.get_paginator("list_query_logging_configs").paginate():
            for config in page["QueryLoggingConfigs"]:
                yield Item(
                    id=config["Id"],
                    name=config["HostedZoneId"],
                    extra={"zone": config["HostedZoneId"], "log_group": config.get("CloudWatchLogsLogGroupArn")},
                )

    def delete(self, item: Item) -> None:
        self.client.delete_query_logging_config(Id=item.id)


@resource("route53.traffic_policy_instance", is_global=True)
class TrafficPolicyInstance(Resource):
    within = "route53.hosted_zone"  # none without one: not listed when there is none
    """The record sets a traffic policy made in a zone (billed monthly each): only deleting the
    instance deletes them, as ChangeResourceRecordSets may not touch them, so they go before the zone."""

    def list(self) -> Iterator[Item]:
        markers: dict = {}
        while True:
            page = _asked(self.client.list_traffic_policy_instances, **markers)
            for instance in page.get("TrafficPolicyInstances", ()):
                yield Item(
                    id=instance["Id"],
                    name=instance.get("Name", instance["Id"]),
                    extra={"zone": instance.get("HostedZoneId"), "state": instance.get("State")},
                )
            if not page.get("IsTruncated"):
                return
            markers = {
                key: page[key]
                for key in ("HostedZoneIdMarker", "TrafficPolicyInstanceNameMarker", "TrafficPolicyInstanceTypeMarker")
                if page.get(key)
            }

    def delete(self, item: Item) -> None:
        self.client.delete_traffic_policy_instance(Id=item.id)


# A traffic policy version that an instance still uses is refused.
@resource("route53.traffic_policy", depends_on=["route53.traffic_policy_instance"], is_global=True)
class TrafficPolicy(Resource):
    """A traffic policy is deleted version by version; it is gone when its last version is."""

    def list(self) -> Iterator[Item]:
        listing = pages(
            lambda **marker: _asked(self.client.list_traffic_policies, **marker),
            "TrafficPolicyIdMarker",
            "TrafficPolicyIdMarker",
        )
        for page in listing:
            for policy in page.get("TrafficPolicySummaries", ()):
                yield Item(id=policy["Id"], name=policy.get("Name", policy["Id"]))
            if not page.get("IsTruncated"):
                return

    def delete(self, item: Item) -> None:
        versions = []
        marker: dict = {}
        while True:
            page = self.client.list_traffic_policy_versions(Id=item.id, **marker)
            versions += [policy["Version"] for policy in page.get("TrafficPolicies", ())]
            if not page.get("IsTruncated"):
                break
            marker = {"TrafficPolicyVersionMarker": page["TrafficPolicyVersionMarker"]}
        for version in versions:
            self.client.delete_traffic_policy(Id=item.id, Version=version)


@resource(
    "route53.hosted_zone",
    depends_on=["route53.query_logging_config", "route53.traffic_policy_instance"],
    is_global=True,
)
class HostedZone(Resource):
    def list(self) -> Iterator[Item]:
        pages = self.client.get_paginator("list_hosted_zones").paginate()
        zones = [zone for page in pages for zone in page["HostedZones"]]
        ids = [zone["Id"].rsplit("/", 1)[-1] for zone in zones]
        tags = _tags_of(self.client, "hostedzone", ids) if ids else {}
        for zone_id, zone in zip(ids, zones, strict=True):
            yield Item(
                id=zone_id,
                name=zone["Name"],
                tags=tags.get(zone_id, {}),
                extra={"private": zone.get("Config", {}).get("PrivateZone", False)},
                protected=linked_to(zone),
            )

    def records_to_delete(self, item: Item) -> list[dict]:
        records = []
        for page in self.client.get_paginator("list_resource_record_sets").paginate(HostedZoneId=item.id):
            for record in page["ResourceRecordSets"]:
                # The zone's own SOA and apex NS: AWS made them with the zone and deletes them with it.
                if record["Type"] in ("SOA", "NS") and record["Name"] == item.name:
                    continue
                records.append(record)
        return records

    def prepare(self, item: Item) -> None:
        if not item.extra.get("private"):
            self.unsign(item)
        records = self.records_to_delete(item)
        for start in range(0, len(records), CHANGES_PER_BATCH):
            changes = [{"Action": "DELETE", "ResourceRecordSet": r} for r in records[start : start + CHANGES_PER_BATCH]]
            self.client.change_resource_record_sets(
                HostedZoneId=item.id, ChangeBatch={"Comment": "sandbox cleanup", "Changes": changes}
            )

    def unsign(self, item: Item) -> None:
        """Switch DNSSEC signing off and delete the zone's key-signing keys (a KSK, deactivated first):
        AWS deletes no zone that still has them. Private zones are never signed."""
        found = self.client.get_dnssec(HostedZoneId=item.id)
        keys = found.get("KeySigningKeys", ())
        if not keys:
            return
        if found.get("Status", {}).get("ServeSignature") not in ("NOT_SIGNING", "DELETING"):
            self.client.disable_hosted_zone_dnssec(HostedZoneId=item.id)
        for key in keys:
            if key.get("Status") in ("ACTIVE", "ACTION_NEEDED"):
                self.client.deactivate_key_signing_key(HostedZoneId=item.id, Name=key["Name"])
            self.client.delete_key_signing_key(HostedZoneId=item.id, Name=key["Name"])

    def delete(self, item: Item) -> None:
        self.client.delete_hosted_zone(Id=item.id)


# A health check that a record set still uses is refused: the zones (and their records) go first.
@resource("route53.health_check", depends_on=["route53.hosted_zone"], is_global=True)
class HealthCheck(Resource):
    def list(self) -> Iterator[Item]:
        pages = self.client.get_paginator("list_health_checks").paginate()
        checks = [check for page in pages for check in page["HealthChecks"]]
        tags = _tags_of(self.client, "healthcheck", [c["Id"] for c in checks]) if checks else {}
        for check in checks:
            config = check.get("HealthCheckConfig", {})
            yield Item(
                id=check["Id"],
                name=config.get("FullyQualifiedDomainName") or config.get("IPAddress") or check["Id"],
                tags=tags.get(check["Id"], {}),
                protected=linked_to(check),
            )

    def delete(self, item: Item) -> None:
        self.client.delete_health_check(HealthCheckId=item.id)
