"""EKS: node groups and Fargate profiles, then the clusters they belong to.

AWS refuses to delete a cluster that still has node groups or Fargate profiles, and all three
are deleted asynchronously: whatever is DELETING is still listed and not asked again.
"""

from __future__ import annotations

from cleaner.registry import Item, Resource, resource


class _EKS(Resource):
    def cluster_names(self):
        for page in self.client.get_paginator("list_clusters").paginate():
            yield from page["clusters"]

    def delete(self, item):
        if item.extra.get("status") == "DELETING":
            return
        self.delete_now(item)

    def delete_now(self, item):
        raise NotImplementedError


@resource("eks.nodegroup")
class Nodegroup(_EKS):
    def list(self):
        for cluster in self.cluster_names():
            for page in self.client.get_paginator("list_nodegroups").paginate(clusterName=cluster):
                for name in page["nodegroups"]:
                    group = self.client.describe_nodegroup(clusterName=cluster, nodegroupName=name)["nodegroup"]
                    yield Item(
                        id=group.get("nodegroupArn", f"{cluster}/{name}"),
                        name=f"{cluster}/{name}",
                        tags=group.get("tags", {}),
                        created=group.get("createdAt"),
                        extra={"cluster": cluster, "nodegroup": name, "status": group.get("status")},
                    )

    def delete_now(self, item):
        self.client.delete_nodegroup(clusterName=item.extra["cluster"], nodegroupName=item.extra["nodegroup"])


@resource("eks.fargate_profile")
class FargateProfile(_EKS):
    # AWS deletes one Fargate profile of a cluster at a time and refuses a second meanwhile.
    parallel_deletes = 1

    def list(self):
        for cluster in self.cluster_names():
            for page in self.client.get_paginator("list_fargate_profiles").paginate(clusterName=cluster):
                for name in page["fargateProfileNames"]:
                    found = self.client.describe_fargate_profile(clusterName=cluster, fargateProfileName=name)
                    profile = found["fargateProfile"]
                    yield Item(
                        id=profile.get("fargateProfileArn", f"{cluster}/{name}"),
                        name=f"{cluster}/{name}",
                        tags=profile.get("tags", {}),
                        created=profile.get("createdAt"),
                        extra={"cluster": cluster, "profile": name, "status": profile.get("status")},
                    )

    def delete_now(self, item):
        # A profile of another cluster may still be deleting: AWS's refusal is reported and the
        # re-scan asks again.
        self.client.delete_fargate_profile(clusterName=item.extra["cluster"], fargateProfileName=item.extra["profile"])


@resource("eks.cluster", depends_on=["eks.nodegroup", "eks.fargate_profile"])
class Cluster(_EKS):
    def list(self):
        for name in self.cluster_names():
            cluster = self.client.describe_cluster(name=name)["cluster"]
            yield Item(
                id=name,
                name=name,
                tags=cluster.get("tags", {}),
                created=cluster.get("createdAt"),
                extra={
                    "status": cluster.get("status"),
                    "deletion_protection": cluster.get("deletionProtection", False),
                },
            )

    def prepare(self, item):
        if item.extra.get("deletion_protection"):
            self.client.update_cluster_config(name=item.id, deletionProtection=False)

    def delete_now(self, item):
        # Add-ons and access entries go with the cluster.
        self.client.delete_cluster(name=item.id)
