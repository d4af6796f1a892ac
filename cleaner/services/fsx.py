"""FSx: backups, ONTAP and OpenZFS volumes (and ONTAP's storage virtual machines), then file systems.

Nothing gets a final backup (SkipFinalBackup). AWS refuses to delete an ONTAP file system that
still has storage virtual machines, or one of those that still has volumes; a root volume goes
with what it is the root of. Deletions are asynchronous: "DELETING" stays listed.
"""

from __future__ import annotations

from cleaner.registry import Deleting, Listing, resource
from cleaner.services._offered import ListedHere

GONE = frozenset({"DELETED"})
GOING = frozenset({"DELETING"})
# Backups AWS made: automatic ones go with their file system, AWS Backup's are recovery points
# (backup.recovery_point) and only AWS Backup may delete them.
NOT_OURS = frozenset({"AUTOMATIC", "AWS_BACKUP"})


@resource("fsx.backup")
class Backup(ListedHere):
    listing = Listing(
        operation="describe_backups",
        items="Backups",
        id="BackupId",
        arn="ResourceARN",
        created="CreationTime",
        tags="Tags",
        state="Lifecycle",
        gone=GONE,
        going=GOING,
        extra={"kind": "Type"},
    )
    deleting = Deleting("delete_backup", {"BackupId": "id"})

    def list(self):
        return (item for item in super().list() if item.extra.get("kind") not in NOT_OURS)


@resource("fsx.volume")
class Volume(ListedHere):
    listing = Listing(
        operation="describe_volumes",
        items="Volumes",
        id="VolumeId",
        name="Name",
        arn="ResourceARN",
        created="CreationTime",
        tags="Tags",
        state="Lifecycle",
        gone=GONE,
        going=GOING,
        extra={
            "kind": "VolumeType",
            "ontap_root": "OntapConfiguration.StorageVirtualMachineRoot",
            "zfs_parent": "OpenZFSConfiguration.ParentVolumeId",
        },
    )

    def list(self):
        for item in super().list():
            kind = item.extra.get("kind")
            if kind == "ONTAP" and item.extra.get("ontap_root"):
                continue  # goes with its storage virtual machine
            if kind == "OPENZFS" and not item.extra.get("zfs_parent"):
                continue  # the file system's root volume goes with it
            yield item

    def delete(self, item):
        if self.is_going(item):
            return
        if item.extra.get("kind") == "ONTAP":
            self.client.delete_volume(
                VolumeId=item.id,
                OntapConfiguration={"SkipFinalBackup": True, "BypassSnaplockEnterpriseRetention": True},
            )
        else:
            self.client.delete_volume(
                VolumeId=item.id, OpenZFSConfiguration={"Options": ["DELETE_CHILD_VOLUMES_AND_SNAPSHOTS"]}
            )


@resource("fsx.storage_virtual_machine", depends_on=["fsx.volume"])
class StorageVirtualMachine(ListedHere):
    listing = Listing(
        operation="describe_storage_virtual_machines",
        items="StorageVirtualMachines",
        id="StorageVirtualMachineId",
        name="Name",
        arn="ResourceARN",
        created="CreationTime",
        tags="Tags",
        state="Lifecycle",
        gone=GONE,
        going=GOING,
    )
    deleting = Deleting("delete_storage_virtual_machine", {"StorageVirtualMachineId": "id"})


@resource("fsx.file_system", depends_on=["fsx.volume", "fsx.storage_virtual_machine"])
class FileSystem(ListedHere):
    in_vpc = True  # its network interfaces sit in the VPC's subnets
    gone_within = 900
    parallel_deletes = 2
    listing = Listing(
        operation="describe_file_systems",
        items="FileSystems",
        id="FileSystemId",
        arn="ResourceARN",
        created="CreationTime",
        tags="Tags",
        state="Lifecycle",
        gone=GONE,
        going=GOING,
        extra={"kind": "FileSystemType"},
    )

    def delete(self, item):
        if self.is_going(item):
            return
        kind = item.extra.get("kind")
        options = {}
        if kind == "WINDOWS":
            options["WindowsConfiguration"] = {"SkipFinalBackup": True}
        elif kind == "LUSTRE":
            options["LustreConfiguration"] = {"SkipFinalBackup": True}
        elif kind == "OPENZFS":
            options["OpenZFSConfiguration"] = {
                "SkipFinalBackup": True,
                "Options": ["DELETE_CHILD_VOLUMES_AND_SNAPSHOTS"],
            }
        # ONTAP takes no final backup of a file system: its volumes had their say.
        self.client.delete_file_system(FileSystemId=item.id, **options)
