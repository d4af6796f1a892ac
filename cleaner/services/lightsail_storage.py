"""Lightsail's storage side: disks, buckets, snapshots, certificates, and the us-east-1 distributions and DNS zones.

A disk still attached to an instance is detached first (AWS refuses to delete it otherwise); an
instance's own system disk is never listed as a disk, it goes with the instance. Buckets are
deleted with their objects and access keys (forceDelete). Distributions and domains (DNS zones)
are account-wide: Lightsail serves them from us-east-1 only, so they are swept once per account.
"""

from __future__ import annotations

from cleaner.registry import Deleting, Listing, resource
from cleaner.services.lightsail_compute import Pages, named


@resource("lightsail.disk", depends_on=["lightsail.instance"])
class Disk(Pages):
    listing = named(
        "get_disks", "disks", state="state", going=frozenset({"deleting"}), extra={"attached": "attachedTo"}
    )

    def item(self, raw):
        return None if raw.get("isSystemDisk") else super().item(raw)

    def prepare(self, item):
        if item.extra.get("attached"):
            self.client.detach_disk(diskName=item.id)

    deleting = Deleting("delete_disk", {"diskName": "id"}, fixed={"forceDeleteAddOns": True})


@resource("lightsail.bucket")
class Bucket(Pages):
    listing = named("get_buckets", "buckets", state="state.code")
    # forceDelete empties it and deletes its access keys: no one else can.
    deleting = Deleting("delete_bucket", {"bucketName": "id"}, fixed={"forceDelete": True})


@resource("lightsail.instance_snapshot")
class InstanceSnapshot(Pages):
    listing = named("get_instance_snapshots", "instanceSnapshots", state="state")
    deleting = Deleting("delete_instance_snapshot", {"instanceSnapshotName": "id"})


@resource("lightsail.disk_snapshot")
class DiskSnapshot(Pages):
    listing = named("get_disk_snapshots", "diskSnapshots", state="state")
    deleting = Deleting("delete_disk_snapshot", {"diskSnapshotName": "id"})


@resource("lightsail.relational_database_snapshot")
class RelationalDatabaseSnapshot(Pages):
    listing = named("get_relational_database_snapshots", "relationalDatabaseSnapshots", state="state")
    deleting = Deleting("delete_relational_database_snapshot", {"relationalDatabaseSnapshotName": "id"})


# A certificate still used by a container service is refused: the services go first.
@resource("lightsail.certificate", depends_on=["lightsail.container_service"])
class Certificate(Pages):
    listing = Listing(
        "get_certificates",
        "certificates",
        id="certificateName",
        name="certificateName",
        arn="certificateArn",
        tags="tags",
        params={"includeCertificateDetails": False},
    )
    deleting = Deleting("delete_certificate", {"certificateName": "id"})


@resource("lightsail.distribution", is_global=True)
class Distribution(Pages):
    # Like CloudFront's, whose edge it uses: minutes to go.
    gone_within = 900.0
    listing = named("get_distributions", "distributions", state="status")
    deleting = Deleting("delete_distribution", {"distributionName": "id"})


@resource("lightsail.domain", is_global=True)
class Domain(Pages):
    # The DNS zone only: a domain registered through Route 53 Domains stays registered.
    listing = named("get_domains", "domains")
    deleting = Deleting("delete_domain", {"domainName": "id"})
