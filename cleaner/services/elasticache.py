"""ElastiCache: replication groups, clusters outside one, serverless caches, then the subnet groups,
parameter groups, user groups and users they used.

Everything is deleted without a final snapshot (no FinalSnapshotIdentifier is passed) and
asynchronously: a cache that is "deleting" is still listed, and not asked again.
"""

from __future__ import annotations

from cleaner.registry import Deleting, Listing, resource
from cleaner.services._offered import ListedHere

# Names AWS reserves for what it makes itself: attendees cannot create groups named so.
DEFAULT_SUBNET_GROUP = "default"
DEFAULT_PARAMETER_GROUP_PREFIX = "default."
# The user every account has; AWS refuses to delete it.
DEFAULT_USER_ID = "default"
CACHES = ("elasticache.replication_group", "elasticache.cache_cluster", "elasticache.serverless_cache")


class _Cache(ListedHere):
    gone_within = 600
    # ElastiCache queues changes per cache; a few at once keeps it from refusing.
    parallel_deletes = 2


@resource("elasticache.replication_group")
class ReplicationGroup(_Cache):
    in_vpc = True  # its network interfaces sit in the VPC's subnets
    listing = Listing(
        operation="describe_replication_groups",
        items="ReplicationGroups",
        id="ReplicationGroupId",
        arn="ARN",
        created="ReplicationGroupCreateTime",
        state="Status",
        going=frozenset({"deleting"}),
    )
    # Its member clusters go with it.
    deleting = Deleting("delete_replication_group", {"ReplicationGroupId": "id"}, {"RetainPrimaryCluster": False})


@resource("elasticache.cache_cluster", depends_on=["elasticache.replication_group"])
class CacheCluster(_Cache):
    in_vpc = True  # its network interfaces sit in the VPC's subnets
    listing = Listing(
        operation="describe_cache_clusters",
        items="CacheClusters",
        id="CacheClusterId",
        arn="ARN",
        created="CacheClusterCreateTime",
        state="CacheClusterStatus",
        going=frozenset({"deleting"}),
        extra={"group": "ReplicationGroupId"},
    )
    deleting = Deleting("delete_cache_cluster", {"CacheClusterId": "id"})

    def list(self):
        # A member of a replication group goes with its group (AWS refuses to delete it alone).
        return (item for item in super().list() if not item.extra.get("group"))


@resource("elasticache.serverless_cache")
class ServerlessCache(_Cache):
    in_vpc = True  # its network interfaces sit in the VPC's subnets
    listing = Listing(
        operation="describe_serverless_caches",
        items="ServerlessCaches",
        id="ServerlessCacheName",
        arn="ARN",
        created="CreateTime",
        state="Status",
        going=frozenset({"deleting"}),
    )
    deleting = Deleting("delete_serverless_cache", {"ServerlessCacheName": "id"})


@resource("elasticache.subnet_group", depends_on=CACHES)
class SubnetGroup(ListedHere):
    listing = Listing(
        operation="describe_cache_subnet_groups", items="CacheSubnetGroups", id="CacheSubnetGroupName", arn="ARN"
    )
    deleting = Deleting("delete_cache_subnet_group", {"CacheSubnetGroupName": "id"})

    def protect(self, raw):
        return "the default subnet group AWS makes" if raw.get("CacheSubnetGroupName") == DEFAULT_SUBNET_GROUP else ""


@resource("elasticache.parameter_group", depends_on=CACHES)
class ParameterGroup(ListedHere):
    listing = Listing(
        operation="describe_cache_parameter_groups",
        items="CacheParameterGroups",
        id="CacheParameterGroupName",
        arn="ARN",
    )
    deleting = Deleting("delete_cache_parameter_group", {"CacheParameterGroupName": "id"})

    def protect(self, raw):
        name = raw.get("CacheParameterGroupName", "")
        return "a default parameter group of AWS" if name.startswith(DEFAULT_PARAMETER_GROUP_PREFIX) else ""


@resource("elasticache.user_group", depends_on=CACHES)
class UserGroup(ListedHere):
    # AWS refuses to delete a user group a cache still uses.
    listing = Listing(
        operation="describe_user_groups",
        items="UserGroups",
        id="UserGroupId",
        arn="ARN",
        state="Status",
        going=frozenset({"deleting"}),
    )
    deleting = Deleting("delete_user_group", {"UserGroupId": "id"})


@resource("elasticache.user", depends_on=["elasticache.user_group"])
class User(ListedHere):
    listing = Listing(
        operation="describe_users",
        items="Users",
        id="UserId",
        name="UserName",
        arn="ARN",
        state="Status",
        going=frozenset({"deleting"}),
    )
    deleting = Deleting("delete_user", {"UserId": "id"})

    def protect(self, raw):
        return "the default user AWS makes" if raw.get("UserId") == DEFAULT_USER_ID else ""
