"""MemoryDB: clusters, then the ACLs, users, subnet groups and parameter groups they used.

A cluster is deleted without a final snapshot (none is named) and stays listed while "deleting".
"""

from __future__ import annotations

from cleaner.registry import Deleting, Listing, resource
from cleaner.services._offered import ListedHere

# What AWS makes in every account, under names attendees cannot take: the ACL that lets every
# connection in, the "default" user, the "default" subnet group, the "default.*" parameter groups.
OPEN_ACCESS_ACL = "open-access"
DEFAULT = "default"
DEFAULT_PARAMETER_GROUP_PREFIX = "default."


@resource("memorydb.cluster")
class Cluster(ListedHere):
    in_vpc = True  # its network interfaces sit in the VPC's subnets
    gone_within = 600
    listing = Listing(
        operation="describe_clusters",
        items="Clusters",
        id="Name",
        arn="ARN",
        state="Status",
        going=frozenset({"deleting"}),
        params={"ShowShardDetails": False},
    )
    deleting = Deleting("delete_cluster", {"ClusterName": "id"})


@resource("memorydb.acl", depends_on=["memorydb.cluster"])
class Acl(ListedHere):
    listing = Listing(
        operation="describe_acls", items="ACLs", id="Name", arn="ARN", state="Status", going=frozenset({"deleting"})
    )
    deleting = Deleting("delete_acl", {"ACLName": "id"})

    def protect(self, raw):
        return "the open-access ACL AWS makes" if raw.get("Name") == OPEN_ACCESS_ACL else ""


@resource("memorydb.user", depends_on=["memorydb.acl"])
class User(ListedHere):
    # AWS refuses to delete a user an ACL still names.
    listing = Listing(
        operation="describe_users", items="Users", id="Name", arn="ARN", state="Status", going=frozenset({"deleting"})
    )
    deleting = Deleting("delete_user", {"UserName": "id"})

    def protect(self, raw):
        return "the default user AWS makes" if raw.get("Name") == DEFAULT else ""


@resource("memorydb.subnet_group", depends_on=["memorydb.cluster"])
class SubnetGroup(ListedHere):
    listing = Listing(operation="describe_subnet_groups", items="SubnetGroups", id="Name", arn="ARN")
    deleting = Deleting("delete_subnet_group", {"SubnetGroupName": "id"})

    def protect(self, raw):
        return "the default subnet group AWS makes" if raw.get("Name") == DEFAULT else ""


@resource("memorydb.parameter_group", depends_on=["memorydb.cluster"])
class ParameterGroup(ListedHere):
    listing = Listing(operation="describe_parameter_groups", items="ParameterGroups", id="Name", arn="ARN")
    deleting = Deleting("delete_parameter_group", {"ParameterGroupName": "id"})

    def protect(self, raw):
        name = raw.get("Name", "")
        return "a default parameter group of AWS" if name.startswith(DEFAULT_PARAMETER_GROUP_PREFIX) else ""
