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
# Job runs that keep an EMR Serverless application from stopping.
UNFINISHED_RUNS = ["SUBMITTED", "PENDING", "SCHEDULED", "RUNNING", "QUEUED"]


@resource("emr.cluster")
class Cluster(Listed):
    in_vpc = True  # its network interfaces sit in the VPC's subnets
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
    in_vpc = True  # its network interfaces sit in the VPC's subnets
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
        # DeleteApplication is refused unless the application is CREATED or STOPPED, and StopApplication
        # unless its jobs are finished or cancelled. Both take a moment: a refused call is recorded and
        # the next scan asks again.
        if item.extra.get("state") not in {"STARTING", "STARTED"}:
            return
        runs = self.client.get_paginator("list_job_runs").paginate(applicationId=item.id, states=UNFINISHED_RUNS)
        for page in runs:
            for run in page["jobRuns"]:
                self.client.cancel_job_run(applicationId=item.id, jobRunId=run["id"])
        self.client.stop_application(applicationId=item.id)
