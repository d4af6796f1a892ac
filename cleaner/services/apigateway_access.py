"""API Gateway, what reaches the APIs: custom domain names (REST, HTTP and WebSocket APIs share
them), API keys, VPC links (REST's, to a network load balancer; HTTP's, into subnets) and client
certificates.

The APIs themselves, and the usage plans, are in apigateway.py; the REST and HTTP APIs wait for the
domains that map them, and the links and certificates wait for the APIs.
"""

from __future__ import annotations

from cleaner.registry import Deleting, Listed, Listing, resource
from cleaner.services._paging import Paged


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
class ClientCertificate(Paged):
    listing = Listing(
        "get_client_certificates",
        "items",
        id="clientCertificateId",
        name="description || clientCertificateId",
        tags="tags",
        created="createdDate",
    )
    deleting = Deleting("delete_client_certificate", {"clientCertificateId": "id"})


# An HTTP API's private integration keeps its VPC link; the link holds network interfaces in its
# subnets until it is deleted.
@resource("apigatewayv2.vpc_link", depends_on=["apigatewayv2.api"])
class VpcLinkV2(Paged):
    in_vpc = True  # its network interfaces sit in the VPC's subnets
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
