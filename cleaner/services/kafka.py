"""MSK: clusters (provisioned and serverless) and the configurations they use.

ListClustersV2 lists both kinds (ListClusters only the provisioned). A configuration a cluster
still uses cannot be deleted, so configurations wait for clusters. Both are deleted asynchronously
and stay listed as DELETING.
"""

from __future__ import annotations

from cleaner.registry import Deleting, Listed, Listing, resource


@resource("kafka.cluster")
class Cluster(Listed):
    in_vpc = True  # its network interfaces sit in the VPC's subnets
    gone_within = 900.0
    listing = Listing(
        operation="list_clusters_v2",
        items="ClusterInfoList",
        id="ClusterArn",
        name="ClusterName",
        arn="ClusterArn",
        created="CreationTime",
        tags="Tags",
        state="State",
        going=frozenset({"DELETING"}),
    )
    deleting = Deleting(operation="delete_cluster", args={"ClusterArn": "id"})


@resource("kafka.configuration", depends_on=["kafka.cluster"])
class Configuration(Listed):
    listing = Listing(
        operation="list_configurations",
        items="Configurations",
        id="Arn",
        name="Name",
        arn="Arn",
        created="CreationTime",
        state="State",
        going=frozenset({"DELETING"}),
    )
    deleting = Deleting(operation="delete_configuration", args={"Arn": "id"})
