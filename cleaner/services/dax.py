"""DynamoDB Accelerator (DAX): clusters, then their subnet groups and parameter groups."""

from __future__ import annotations

from cleaner.registry import Deleting, Listing, resource
from cleaner.services._offered import ListedHere

# AWS's own parameter group ("default.dax1.0"); attendees cannot take a "default." name.
DEFAULT_PARAMETER_GROUP_PREFIX = "default."


@resource("dax.cluster")
class Cluster(ListedHere):
    in_vpc = True  # its network interfaces sit in the VPC's subnets
    gone_within = 600
    listing = Listing(
        operation="describe_clusters",
        items="Clusters",
        id="ClusterName",
        arn="ClusterArn",
        state="Status",
        going=frozenset({"deleting"}),
    )
    deleting = Deleting("delete_cluster", {"ClusterName": "id"})


@resource("dax.subnet_group", depends_on=["dax.cluster"])
class SubnetGroup(ListedHere):
    listing = Listing(operation="describe_subnet_groups", items="SubnetGroups", id="SubnetGroupName")
    deleting = Deleting("delete_subnet_group", {"SubnetGroupName": "id"})


@resource("dax.parameter_group", depends_on=["dax.cluster"])
class ParameterGroup(ListedHere):
    listing = Listing(operation="describe_parameter_groups", items="ParameterGroups", id="ParameterGroupName")
    deleting = Deleting("delete_parameter_group", {"ParameterGroupName": "id"})

    def protect(self, raw):
        name = raw.get("ParameterGroupName", "")
        return "a default parameter group of AWS" if name.startswith(DEFAULT_PARAMETER_GROUP_PREFIX) else ""
