"""OpenSearch Service domains, and OpenSearch Serverless collections with their policies and VPC endpoints.

A domain takes a quarter of an hour or more to go; while it goes, DescribeDomains says
`Deleted: true` and the domain stays listed. Serverless collections are deleted in minutes; an
encryption policy that a collection still uses cannot be deleted, so policies wait for collections.
"""

from __future__ import annotations

from collections.abc import Iterator

from cleaner.registry import Deleting, Item, Listed, Listing, Resource, resource

# DescribeDomains takes at most this many names.
DESCRIBE_BATCH = 5


@resource("opensearch.domain")
class Domain(Resource):
    in_vpc = True  # its network interfaces sit in the VPC's subnets
    iam_prefix = "es"
    gone_within = 900.0
    # Domain changes are slow and AWS refuses many at once from one account.
    parallel_deletes = 2

    def list(self) -> Iterator[Item]:
        # Both engines (OpenSearch and legacy Elasticsearch) are listed unless EngineType is given.
        names = [domain["DomainName"] for domain in self.client.list_domain_names().get("DomainNames", [])]
        for start in range(0, len(names), DESCRIBE_BATCH):
            found = self.client.describe_domains(DomainNames=names[start : start + DESCRIBE_BATCH])
            for domain in found["DomainStatusList"]:
                tags = self.client.list_tags(ARN=domain["ARN"]).get("TagList")
                yield Item(
                    id=domain["DomainName"],
                    name=domain["DomainName"],
                    tags={tag["Key"]: tag.get("Value", "") for tag in tags or ()},
                    extra={"arn": domain["ARN"], "deleted": bool(domain.get("Deleted"))},
                )

    def delete(self, item: Item) -> None:
        if item.extra.get("deleted"):
            return  # AWS is deleting it already: the re-scan waits
        self.client.delete_domain(DomainName=item.id)


class _Serverless(Listed):
    """OpenSearch Serverless lists by nextToken without a boto3 paginator."""

    service = "opensearchserverless"
    iam_prefix = "aoss"

    def pages(self) -> Iterator[dict]:
        params = dict(self.listing.params)
        while True:
            page = getattr(self.client, self.listing.operation)(**params)
            yield page
            if not page.get("nextToken"):
                return
            params["nextToken"] = page["nextToken"]


@resource("opensearchserverless.collection")
class Collection(_Serverless):
    gone_within = 300.0
    listing = Listing(
        operation="list_collections",
        items="collectionSummaries",
        id="id",
        name="name",
        arn="arn",
        state="status",
        going=frozenset({"DELETING"}),
    )
    deleting = Deleting(operation="delete_collection", args={"id": "id"})


@resource("opensearchserverless.vpc_endpoint")
class VpcEndpoint(_Serverless):
    in_vpc = True  # its network interfaces sit in the VPC's subnets
    gone_within = 300.0
    listing = Listing(
        operation="list_vpc_endpoints",
        items="vpcEndpointSummaries",
        id="id",
        name="name",
        state="status",
        going=frozenset({"DELETING"}),
    )
    deleting = Deleting(operation="delete_vpc_endpoint", args={"id": "id"})


class _Policy(_Serverless):
    """Policies are named within their type: the id is "type/name"."""

    kind = ""  # the policy's type, as the API spells it

    def list(self) -> Iterator[Item]:
        for item in super().list():
            yield Item(id=f"{self.kind}/{item.id}", name=item.name, created=item.created, extra={"policy": item.id})

    def delete(self, item: Item) -> None:
        getattr(self.client, self.deleting.operation)(name=item.extra["policy"], type=self.kind)


def _policy_listing(operation: str, items: str, kind: str) -> Listing:
    return Listing(operation=operation, items=items, id="name", params={"type": kind})


@resource("opensearchserverless.encryption_policy", depends_on=["opensearchserverless.collection"])
class EncryptionPolicy(_Policy):
    kind = "encryption"
    listing = _policy_listing("list_security_policies", "securityPolicySummaries", kind)
    deleting = Deleting(operation="delete_security_policy", args={})


@resource(
    "opensearchserverless.network_policy",
    depends_on=["opensearchserverless.collection", "opensearchserverless.vpc_endpoint"],
)
class NetworkPolicy(_Policy):
    kind = "network"
    listing = _policy_listing("list_security_policies", "securityPolicySummaries", kind)
    deleting = Deleting(operation="delete_security_policy", args={})


@resource("opensearchserverless.access_policy", depends_on=["opensearchserverless.collection"])
class AccessPolicy(_Policy):
    kind = "data"
    listing = _policy_listing("list_access_policies", "accessPolicySummaries", kind)
    deleting = Deleting(operation="delete_access_policy", args={})


@resource("opensearchserverless.lifecycle_policy", depends_on=["opensearchserverless.collection"])
class LifecyclePolicy(_Policy):
    kind = "retention"
    listing = _policy_listing("list_lifecycle_policies", "lifecyclePolicySummaries", kind)
    deleting = Deleting(operation="delete_lifecycle_policy", args={})
