"""API Gateway: REST APIs (with the usage plans that point at them), HTTP/WebSocket APIs, custom
domain names, VPC links, API keys and client certificates.

DeleteRestApi is limited to one call every 30 seconds per account, a limit that cannot be raised;
the pacer (cleaner/context.py, OPERATION_RATES) spaces the calls, so an account with many REST
APIs takes minutes here whatever we do.
"""

from __future__ import annotations

from cleaner.registry import Deleting, Item, Listed, Listing, Resource, resource
from cleaner.services._paging import TokenPaged


@resource("apigateway.usage_plan")
class UsagePlan(Resource):
    def list(self):
        for page in self.client.get_paginator("get_usage_plans").paginate():
            for plan in page["items"]:
                yield Item(
                    id=plan["id"],
                    name=plan.get("name", ""),
                    tags=plan.get("tags", {}),
                    extra={"stages": [f"{s['apiId']}:{s['stage']}" for s in plan.get("apiStages", [])]},
                )

    def prepare(self, item):
        # AWS refuses to delete a usage plan that still has API stages.
        if item.extra.get("stages"):
            self.client.update_usage_plan(
                usagePlanId=item.id,
                patchOperations=[{"op": "remove", "path": "/apiStages", "value": s} for s in item.extra["stages"]],
            )

    def delete(self, item):
        self.client.delete_usage_plan(usagePlanId=item.id)


@resource("apigateway.domain_name")
class DomainName(Listed):
    """Custom domain names (REST, HTTP and WebSocket APIs share them); their base path and API
    mappings go with them, and AWS refuses to delete an API that a domain still maps."""

    listing = Listing(
        "get_domain_names",
        "items",
        id="domainNameArn || domainName",
        name="domainName",
        tags="tags",
        extra={"domain": "domainName", "private_id": "domainNameId"},
    )

    def delete(self, item):
        # A private custom domain is told apart from a public one of the same name by its id.
        private = {"domainNameId": item.extra["private_id"]} if item.extra.get("private_id") else {}
        self.client.delete_domain_name(domainName=item.extra["domain"], **private)


@resource("apigateway.api_key")
class ApiKey(Listed):
    # Taken out of its usage plans as it goes.
    listing = Listing("get_api_keys", "items", id="id", name="name", tags="tags", created="createdDate")
    deleting = Deleting("delete_api_key", {"apiKey": "id"})


# A stage that a usage plan names keeps its REST API from being deleted, and so does a domain
# that maps it.
@resource("apigateway.rest_api", depends_on=["apigateway.usage_plan", "apigateway.domain_name"])
class RestApi(Resource):
    # One at a time: at one delete per 30 s, more threads would only sit waiting for the pacer.
    parallel_deletes = 1

    def list(self):
        for page in self.client.get_paginator("get_rest_apis").paginate():
            for api in page["items"]:
                yield Item(
                    id=api["id"], name=api.get("name", ""), tags=api.get("tags", {}), created=api.get("createdDate")
                )

    def delete(self, item):
        self.client.delete_rest_api(restApiId=item.id)


# An integration through a VPC link keeps the link; the link keeps its network load balancer.
@resource("apigateway.vpc_link", depends_on=["apigateway.rest_api"])
class VpcLink(Listed):
    gone_within = 120
    listing = Listing(
        "get_vpc_links",
        "items",
        id="id",
        name="name",
        tags="tags",
        state="status",
        going=frozenset({"DELETING"}),
    )
    deleting = Deleting("delete_vpc_link", {"vpcLinkId": "id"})


# A stage that uses a client certificate goes with its API first.
@resource("apigateway.client_certificate", depends_on=["apigateway.rest_api"])
class ClientCertificate(Listed):
    listing = Listing(
        "get_client_certificates",
        "items",
        id="clientCertificateId",
        name="description || clientCertificateId",
        tags="tags",
        created="createdDate",
    )
    deleting = Deleting("delete_client_certificate", {"clientCertificateId": "id"})


@resource("apigatewayv2.api", depends_on=["apigateway.domain_name"])
class Api(Resource):
    """HTTP and WebSocket APIs (API Gateway v2)."""

    def list(self):
        for page in self.client.get_paginator("get_apis").paginate():
            for api in page["Items"]:
                yield Item(
                    id=api["ApiId"], name=api.get("Name", ""), tags=api.get("Tags", {}), created=api.get("CreatedDate")
                )

    def delete(self, item):
        self.client.delete_api(ApiId=item.id)


# An HTTP API's private integration keeps its VPC link; the link holds network interfaces in its
# subnets until it is deleted.
@resource("apigatewayv2.vpc_link", depends_on=["apigatewayv2.api"])
class VpcLinkV2(TokenPaged):
    gone_within = 120
    listing = Listing(
        "get_vpc_links",
        "Items",
        id="VpcLinkId",
        name="Name",
        tags="Tags",
        created="CreatedDate",
        state="VpcLinkStatus",
        going=frozenset({"DELETING"}),
    )
    deleting = Deleting("delete_vpc_link", {"VpcLinkId": "id"})
