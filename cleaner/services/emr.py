"""EMR clusters and EMR Serverless applications.

A terminated EMR cluster stays listed for two months but costs nothing and cannot be deleted: it is
gone. Termination protection must be off before TerminateJobFlows, which takes minutes. An EMR
Serverless application must be stopped before it can be deleted.
"""

from __future__ import annotations

from cleaner.registry import Deleting, Item, Listed, Listing, resource

# Every state but TERMINATED and TERMINATED_WITH_ERRORS: ListClusters otherwise returns two months of
# terminated clusters on every scan.
LIVE_STATES = ["STARTING", "BOOTSTRAPPING", "RUNNING", "WAITING", "TERMINATING"]


@resource("emr.cluster")
class Cluster(Listed):
    iam_prefix = "elasticmapreduce"
    gone_within = 300.0
    listing = Listing(
        operation="list_clusters",
        items="Clusters",
        id="Id",
        name="Name",
        arn="ClusterArn",
        created="Status.Timeline.CreationDateTime",
        state="Status.State",
        params={"ClusterStates": LIVE_STATES},
        gone=frozenset({"TERMINATED", "TERMINATED_WITH_ERRORS"}),
        going=frozenset({"TERMINATING"}),
    )

    def prepare(self, item: Item) -> None:
        if self.is_going(item):
            return
        # Idempotent, and one call either way: ListClusters does not say whether it is on.
        self.client.set_termination_protection(JobFlowIds=[item.id], TerminationProtected=False)

    def delete(self, item: Item) -> None:
        if not self.is_going(item):
            self.client.terminate_job_flows(JobFlowIds=[item.id])


@resource("emr-serverless.application")
class ServerlessApplication(Listed):
    iam_prefix = "emr-serverless"
    gone_within = 120.0
    listing = Listing(
        operation="list_applications",
        items="applications",
        id="id",
        name="name",
        arn="arn",
        created="createdAt",
        state="state",
        gone=frozenset({"TERMINATED"}),
    )
    deleting = Deleting(operation="delete_application", args={"applicationId": "id"})

    def prepare(self, item: Item) -> None:
        # DeleteApplication is refused unless the application is CREATED or STOPPED. Stopping takes a
        # moment: if it is not stopped yet the delete is refused and the next scan asks again.
        if item.extra.get("state") in {"STARTING", "STARTED"}:
            self.client.stop_application(applicationId=item.id)
