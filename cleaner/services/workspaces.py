"""Amazon WorkSpaces: workspaces, then the directories registered with the service, and the
account's own bundles, images and IP access control groups.

Terminating a workspace takes a few minutes, during which it is TERMINATING (listed, not asked
again); a TERMINATED one is gone. A directory is deregistered from WorkSpaces only once it has no
workspace left; the directory itself is Directory Service's (ds.*), swept there. A custom bundle
goes after the workspaces made from it, and an image after the bundles that use it; AWS's public
bundles and images are never listed (they are asked for only by owner AMAZON / type SHARED).
"""

from __future__ import annotations

from botocore.exceptions import ClientError

from cleaner.registry import Deleting, Listed, Listing, resource
from cleaner.services._offered import OfferedOnly

# TerminateWorkspaces takes at most this many workspaces a call.
TERMINATE_BATCH = 25


@resource("workspaces.workspace")
class Workspace(OfferedOnly, Listed):
    within = "workspaces.directory"  # none without one: not listed when there is none
    in_vpc = True  # its network interfaces sit in the VPC's subnets
    gone_within = 600.0
    batch_size = TERMINATE_BATCH
    listing = Listing(
        "describe_workspaces",
        "Workspaces",
        id="WorkspaceId",
        name="WorkspaceName || ComputerName || UserName",
        state="State",
        gone=frozenset({"TERMINATED"}),
        going=frozenset({"TERMINATING"}),
        extra={"directory": "DirectoryId"},
    )

    def delete(self, item):
        refused = self.delete_many([item])
        if item.id in refused:
            raise refused[item.id]

    def delete_many(self, items):
        wanted = [item for item in items if not self.is_going(item)]
        refused = {}
        # The engine hands at most batch_size; chunked again for any caller that does not.
        for start in range(0, len(wanted), TERMINATE_BATCH):
            chunk = wanted[start : start + TERMINATE_BATCH]
            answer = self.client.terminate_workspaces(
                TerminateWorkspaceRequests=[{"WorkspaceId": item.id} for item in chunk]
            )
            for failed in answer.get("FailedRequests", ()):
                error = {"Code": failed.get("ErrorCode", ""), "Message": failed.get("ErrorMessage", "")}
                refused[failed["WorkspaceId"]] = ClientError({"Error": error}, "TerminateWorkspaces")
        return refused


@resource("workspaces.directory", depends_on=["workspaces.workspace"])
class Directory(OfferedOnly, Listed):
    gone_within = 300.0
    listing = Listing(
        "describe_workspace_directories",
        "Directories",
        id="DirectoryId",
        name="DirectoryName || Alias || DirectoryId",
        state="State",
        gone=frozenset({"DEREGISTERED"}),
        going=frozenset({"DEREGISTERING"}),
    )
    deleting = Deleting("deregister_workspace_directory", {"DirectoryId": "id"})


@resource("workspaces.bundle", depends_on=["workspaces.workspace"])
class Bundle(OfferedOnly, Listed):
    # Without an Owner, AWS answers with this account's own bundles only.
    listing = Listing(
        "describe_workspace_bundles",
        "Bundles",
        id="BundleId",
        name="Name",
        created="CreationTime",
        state="State",
        extra={"owner": "Owner"},
    )
    deleting = Deleting("delete_workspace_bundle", {"BundleId": "id"})

    def protect(self, raw):
        return "a bundle AWS publishes" if raw.get("Owner") == "AMAZON" else ""


@resource("workspaces.image", depends_on=["workspaces.bundle"])
class Image(OfferedOnly, Listed):
    listing = Listing(
        "describe_workspace_images",
        "Images",
        id="ImageId",
        name="Name",
        created="Created",
        state="State",
        params={"ImageType": "OWNED"},
    )
    deleting = Deleting("delete_workspace_image", {"ImageId": "id"})


# Deregistering a directory lets go of its IP groups; AWS refuses to delete one still associated.
@resource("workspaces.ip_group", depends_on=["workspaces.directory"])
class IpGroup(OfferedOnly, Listed):
    listing = Listing("describe_ip_groups", "Result", id="groupId", name="groupName")
    deleting = Deleting("delete_ip_group", {"GroupId": "id"})
