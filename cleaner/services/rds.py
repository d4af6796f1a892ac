"""RDS: DB instances, then DB clusters, and manual snapshots.

Everything is deleted without a final snapshot and with its automated backups: a sandbox keeps
nothing. Automated snapshots are never listed: they are AWS's, and go with their database.
"""

from __future__ import annotations

from cleaner.registry import Item, Resource, resource, tags_of

# Deleting again while AWS is already at it is refused; the re-scan waits instead.
GOING = {"deleting"}


@resource("rds.db_instance")
class DBInstance(Resource):
    def list(self):
        for page in self.client.get_paginator("describe_db_instances").paginate():
            for db in page["DBInstances"]:
                yield Item(
                    id=db["DBInstanceIdentifier"],
                    name=db["DBInstanceIdentifier"],
                    tags=tags_of(db.get("TagList")),
                    created=db.get("InstanceCreateTime"),
                    extra={
                        "status": db.get("DBInstanceStatus"),
                        "deletion_protection": db.get("DeletionProtection", False),
                        "cluster": db.get("DBClusterIdentifier"),
                    },
                )

    def prepare(self, item):
        if item.extra.get("deletion_protection"):
            self.client.modify_db_instance(
                DBInstanceIdentifier=item.id, DeletionProtection=False, ApplyImmediately=True
            )
        # Aurora keeps the protection on the cluster, and refuses to delete its last instance
        # while the cluster is protected.
        cluster = item.extra.get("cluster")
        if cluster:
            found = self.client.describe_db_clusters(DBClusterIdentifier=cluster)["DBClusters"]
            if found and found[0].get("DeletionProtection"):
                self.client.modify_db_cluster(
                    DBClusterIdentifier=cluster, DeletionProtection=False, ApplyImmediately=True
                )

    def delete(self, item):
        if item.extra.get("status") in GOING:
            return
        self.client.delete_db_instance(
            DBInstanceIdentifier=item.id, SkipFinalSnapshot=True, DeleteAutomatedBackups=True
        )


# A cluster cannot be deleted while it has instances.
@resource("rds.db_cluster", depends_on=["rds.db_instance"])
class DBCluster(Resource):
    def list(self):
        for page in self.client.get_paginator("describe_db_clusters").paginate():
            for cluster in page["DBClusters"]:
                yield Item(
                    id=cluster["DBClusterIdentifier"],
                    name=cluster["DBClusterIdentifier"],
                    tags=tags_of(cluster.get("TagList")),
                    created=cluster.get("ClusterCreateTime"),
                    extra={
                        "status": cluster.get("Status"),
                        "deletion_protection": cluster.get("DeletionProtection", False),
                    },
                )

    def prepare(self, item):
        if item.extra.get("deletion_protection"):
            self.client.modify_db_cluster(DBClusterIdentifier=item.id, DeletionProtection=False, ApplyImmediately=True)

    def delete(self, item):
        if item.extra.get("status") in GOING:
            return
        self.client.delete_db_cluster(DBClusterIdentifier=item.id, SkipFinalSnapshot=True, DeleteAutomatedBackups=True)


@resource("rds.db_snapshot")
class DBSnapshot(Resource):
    def list(self):
        pages = self.client.get_paginator("describe_db_snapshots").paginate(SnapshotType="manual")
        for page in pages:
            for snapshot in page["DBSnapshots"]:
                # The filter already says manual; checked again because fakes and old APIs ignore it.
                # A snapshot being deleted cannot fail to go, and nothing waits for it: it is gone.
                if snapshot.get("SnapshotType") != "manual" or snapshot.get("Status") in GOING:
                    continue
                yield Item(
                    id=snapshot["DBSnapshotIdentifier"],
                    name=snapshot["DBSnapshotIdentifier"],
                    tags=tags_of(snapshot.get("TagList")),
                    created=snapshot.get("SnapshotCreateTime"),
                )

    def delete(self, item):
        self.client.delete_db_snapshot(DBSnapshotIdentifier=item.id)


@resource("rds.db_cluster_snapshot")
class DBClusterSnapshot(Resource):
    def list(self):
        pages = self.client.get_paginator("describe_db_cluster_snapshots").paginate(SnapshotType="manual")
        for page in pages:
            for snapshot in page["DBClusterSnapshots"]:
                if snapshot.get("SnapshotType") != "manual" or snapshot.get("Status") in GOING:
                    continue
                yield Item(
                    id=snapshot["DBClusterSnapshotIdentifier"],
                    name=snapshot["DBClusterSnapshotIdentifier"],
                    tags=tags_of(snapshot.get("TagList")),
                    created=snapshot.get("SnapshotCreateTime"),
                )

    def delete(self, item):
        self.client.delete_db_cluster_snapshot(DBClusterSnapshotIdentifier=item.id)
