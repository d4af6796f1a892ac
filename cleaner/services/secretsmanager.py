"""Secrets Manager: secrets, deleted at once (no recovery window)."""

from __future__ import annotations

from cleaner.registry import Item, Resource, resource, tags_of


@resource("secretsmanager.secret")
class Secret(Resource):
    def list(self):
        # Secrets already scheduled for deletion are not listed (IncludePlannedDeletion is off).
        for page in self.client.get_paginator("list_secrets").paginate():
            for secret in page["SecretList"]:
                owner = secret.get("OwningService")
                yield Item(
                    id=secret["ARN"],
                    name=secret["Name"],
                    tags=tags_of(secret.get("Tags")),
                    created=secret.get("CreatedDate"),
                    # A secret that RDS or another service manages goes with what owns it.
                    protected=f"managed by {owner}" if owner else "",
                )

    def prepare(self, item):
        # A replica cannot be deleted, nor a primary that still has replicas: a replica is made a
        # secret of its own (its primary may be in a region this run does not sweep), and a
        # primary deletes its replicas. Only DescribeSecret tells which is which.
        secret = self.client.describe_secret(SecretId=item.id)
        primary = secret.get("PrimaryRegion")
        if primary and primary != self.context.region:
            self.client.stop_replication_to_replica(SecretId=item.id)
        elif secret.get("ReplicationStatus"):
            regions = [replica["Region"] for replica in secret["ReplicationStatus"]]
            self.client.remove_regions_from_replication(SecretId=item.id, RemoveReplicaRegions=regions)

    def delete(self, item):
        self.client.delete_secret(SecretId=item.id, ForceDeleteWithoutRecovery=True)
