"""Redshift: provisioned clusters and their manual snapshots; Redshift Serverless workgroups and namespaces.

Clusters are deleted without a final snapshot. Automated snapshots are AWS's and go with their
cluster, so only manual ones are listed. A namespace cannot be deleted while a workgroup uses it.
"""

from __future__ import annotations

from cleaner.registry import Deleting, Listed, Listing, resource


@resource("redshift.cluster")
class Cluster(Listed):
    in_vpc = True  # its network interfaces sit in the VPC's subnets
    gone_within = 600.0
    listing = Listing(
        operation="describe_clusters",
        items="Clusters",
        id="ClusterIdentifier",
        created="ClusterCreateTime",
        tags="Tags",
        state="ClusterStatus",
        going=frozenset({"deleting", "final-snapshot"}),
    )
    deleting = Deleting(
        operation="delete_cluster", args={"ClusterIdentifier": "id"}, fixed={"SkipFinalClusterSnapshot": True}
    )


@resource("redshift.snapshot")
class Snapshot(Listed):
    listing = Listing(
        operation="describe_cluster_snapshots",
        items="Snapshots",
        id="SnapshotIdentifier",
        created="SnapshotCreateTime",
        tags="Tags",
        state="Status",
        # Snapshots shared by other accounts are listed too unless the owner is given; only the
        # account's own can be deleted.
        params={"SnapshotType": "manual"},
        gone=frozenset({"deleted"}),
        extra={"cluster": "ClusterIdentifier", "type": "SnapshotType", "owner": "OwnerAccount"},
    )
    deleting = Deleting(
        operation="delete_cluster_snapshot",
        args={"SnapshotIdentifier": "id", "SnapshotClusterIdentifier": "cluster"},
    )

    def item(self, raw):
        item = super().item(raw)
        # The filter already says manual; checked again because fakes ignore it. Snapshots other
        # accounts share with this one are theirs to delete.
        if item is None or item.extra["type"] != "manual":
            return None
        if item.extra.get("owner") and item.extra["owner"] != self.context.account_id:
            return None
        return item


@resource("redshift-serverless.workgroup")
class Workgroup(Listed):
    in_vpc = True  # its network interfaces sit in the VPC's subnets
    gone_within = 600.0
    listing = Listing(
        operation="list_workgroups",
        items="workgroups",
        id="workgroupName",
        arn="workgroupArn",
        created="creationDate",
        state="status",
        going=frozenset({"DELETING"}),
    )
    deleting = Deleting(operation="delete_workgroup", args={"workgroupName": "id"})


@resource("redshift-serverless.namespace", depends_on=["redshift-serverless.workgroup"])
class Namespace(Listed):
    gone_within = 300.0
    listing = Listing(
        operation="list_namespaces",
        items="namespaces",
        id="namespaceName",
        arn="namespaceArn",
        created="creationDate",
        state="status",
        going=frozenset({"DELETING"}),
    )
    # Without finalSnapshotName no snapshot is kept.
    deleting = Deleting(operation="delete_namespace", args={"namespaceName": "id"})


@resource("redshift-serverless.snapshot")
class ServerlessSnapshot(Listed):
    listing = Listing(
        operation="list_snapshots",
        items="snapshots",
        id="snapshotName",
        arn="snapshotArn",
        created="snapshotCreateTime",
        state="status",
        gone=frozenset({"DELETED", "CANCELLED"}),
        extra={"owner": "ownerAccount"},
    )
    deleting = Deleting(operation="delete_snapshot", args={"snapshotName": "id"})

    def item(self, raw):
        item = super().item(raw)
        # Snapshots other accounts share with this one are theirs to delete.
        if item is not None and item.extra.get("owner") not in (None, self.context.account_id):
            return None
        return item
