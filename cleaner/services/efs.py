"""EFS: mount targets and access points, then the file systems they belong to.

AWS refuses to delete a file system that still has mount targets; both are deleted
asynchronously, and stay listed as "deleting" a while.
"""

from __future__ import annotations

from botocore.exceptions import ClientError

from cleaner.registry import Deleting, Item, Listing, resource
from cleaner.services._offered import ListedHere, not_offered
from cleaner.services.ec2 import unless

GONE = frozenset({"deleted"})
GOING = frozenset({"deleting"})


class _Efs(ListedHere):
    iam_prefix = "elasticfilesystem"


@resource("efs.file_system", depends_on=["efs.mount_target", "efs.access_point"])
class FileSystem(_Efs):
    listing = Listing(
        operation="describe_file_systems",
        items="FileSystems",
        id="FileSystemId",
        name="Name",
        arn="FileSystemArn",
        created="CreationTime",
        tags="Tags",
        state="LifeCycleState",
        gone=GONE,
        going=GOING,
    )
    deleting = Deleting("delete_file_system", {"FileSystemId": "id"})

    def prepare(self, item):
        # AWS refuses to delete a file system that is the source or the destination of a
        # replication: the replication goes first (named by its source).
        if self.is_going(item):
            return
        try:
            answer = self.client.describe_replication_configurations(FileSystemId=item.id)
        except ClientError as error:
            # An endpoint without replications at all (the local fake AWS) has none to remove.
            if error.response.get("Error", {}).get("Code") in ("ReplicationNotFound", "InvalidAction"):
                return
            if not_offered(error):
                return
            raise
        except NotImplementedError:
            return  # moto in this process lacks replications: there are none
        for replication in answer.get("Replications") or ():
            with unless("ReplicationNotFound"):
                self.client.delete_replication_configuration(SourceFileSystemId=replication["SourceFileSystemId"])


@resource("efs.mount_target")
class MountTarget(_Efs):
    in_vpc = True  # its network interfaces sit in the VPC's subnets

    def list(self):
        for system in FileSystem(self.context).list():
            pages = self.client.get_paginator("describe_mount_targets").paginate(FileSystemId=system.id)
            for page in pages:
                for target in page["MountTargets"]:
                    state = target.get("LifeCycleState")
                    if state in GONE:
                        continue
                    yield Item(
                        id=target["MountTargetId"],
                        name=f"{system.name} {target.get('AvailabilityZoneName', '')}".strip(),
                        extra={"state": state, "file_system": system.id},
                    )

    def delete(self, item):
        if item.extra.get("state") in GOING:
            return
        self.client.delete_mount_target(MountTargetId=item.id)


@resource("efs.access_point")
class AccessPoint(_Efs):
    within = "efs.file_system"  # none without one: not listed when there is none
    listing = Listing(
        operation="describe_access_points",
        items="AccessPoints",
        id="AccessPointId",
        name="Name",
        arn="AccessPointArn",
        tags="Tags",
        state="LifeCycleState",
        gone=GONE,
        going=GOING,
    )
    deleting = Deleting("delete_access_point", {"AccessPointId": "id"})
