"""Amazon WorkSpaces: workspaces, then the directories registered with the service.

Terminating a workspace takes a few minutes, during which it is TERMINATING (listed, not asked
again); a TERMINATED one is gone. A directory is deregistered from WorkSpaces only once it has no
workspace left; the directory itself is Directory Service's (ds.*), swept there.
"""

from __future__ import annotations

from botocore.exceptions import ClientError

from cleaner.registry import Deleting, Listed, Listing, resource

# TerminateWorkspaces takes at most this many workspaces a call.
TERMINATE_BATCH = 25


@resource("workspaces.workspace")
class Workspace(Listed):
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
class Directory(Listed):
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
