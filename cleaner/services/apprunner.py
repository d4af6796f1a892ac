"""App Runner: services, then the auto scaling configurations, VPC connectors and source
connections they use.

A service deletes asynchronously (OPERATION_IN_PROGRESS while it goes, then DELETED, and listed
as such a while); AWS refuses a configuration, connector or connection a live service still uses.
"""

from __future__ import annotations

from cleaner.registry import Deleting, Listing, resource
from cleaner.services._paging import Paged

SERVICE = ["apprunner.service"]


@resource("apprunner.service")
class Service(Paged):
    gone_within = 300
    # A service being created, changed or deleted is OPERATION_IN_PROGRESS and refuses another
    # operation: listed without a delete, and deleted on a later scan if it turns out to live on.
    listing = Listing(
        "list_services",
        "ServiceSummaryList",
        id="ServiceArn",
        name="ServiceName",
        created="CreatedAt",
        state="Status",
        gone=frozenset({"DELETED"}),
        going=frozenset({"OPERATION_IN_PROGRESS"}),
    )
    deleting = Deleting("delete_service", {"ServiceArn": "id"})


@resource("apprunner.auto_scaling_configuration", depends_on=SERVICE)
class AutoScalingConfiguration(Paged):
    # Every revision is its own item (each is deleted alone).
    listing = Listing(
        "list_auto_scaling_configurations",
        "AutoScalingConfigurationSummaryList",
        id="AutoScalingConfigurationArn",
        name="join(':', [AutoScalingConfigurationName, to_string(AutoScalingConfigurationRevision)])",
        created="CreatedAt",
        state="Status",
        params={"LatestOnly": False},
        gone=frozenset({"INACTIVE"}),
    )
    deleting = Deleting("delete_auto_scaling_configuration", {"AutoScalingConfigurationArn": "id"})

    def protect(self, raw):
        # The account's default (App Runner's own DefaultConfiguration unless someone chose another):
        # App Runner gives it to every service created without one. It costs nothing.
        return "the account's default auto scaling configuration" if raw.get("IsDefault") else ""


@resource("apprunner.vpc_connector", depends_on=SERVICE)
class VpcConnector(Paged):
    in_vpc = True  # its network interfaces sit in the VPC's subnets
    # Holds network interfaces in its subnets until it is deleted.
    listing = Listing(
        "list_vpc_connectors",
        "VpcConnectors",
        id="VpcConnectorArn",
        name="VpcConnectorName",
        created="CreatedAt",
        state="Status",
        gone=frozenset({"INACTIVE"}),
    )
    deleting = Deleting("delete_vpc_connector", {"VpcConnectorArn": "id"})


@resource("apprunner.connection", depends_on=SERVICE)
class Connection(Paged):
    """Connections to GitHub or Bitbucket for services built from source."""

    listing = Listing(
        "list_connections",
        "ConnectionSummaryList",
        id="ConnectionArn",
        name="ConnectionName",
        created="CreatedAt",
        state="Status",
        gone=frozenset({"DELETED"}),
    )
    deleting = Deleting("delete_connection", {"ConnectionArn": "id"})
