"""AWS Batch: jobs, job queues, compute environments, job definitions and scheduling policies.

AWS deletes a job queue or a compute environment only once it is DISABLED and its status has
settled (VALID or INVALID, not CREATING/UPDATING); a queue still holding unfinished jobs keeps
them running, so they are terminated first. A compute environment goes only after every queue
that uses it, and a scheduling policy only after the queues that name it. Job definitions are
never deleted, only deregistered: an INACTIVE one is gone for good.
"""

from __future__ import annotations

import time

from cleaner.registry import Deleting, Item, Listed, Listing, Resource, resource
from cleaner.services._offered import OfferedOnly

# Jobs in these states still hold (or wait for) compute; SUCCEEDED and FAILED ones are history.
UNFINISHED = ("SUBMITTED", "PENDING", "RUNNABLE", "STARTING", "RUNNING")
# How long one delete waits for AWS to settle a queue or environment it has just disabled.
SETTLE_SECONDS = 20.0
SETTLE_STEP = 2.0


class StillSettling(Exception):
    """AWS is still applying the disable: the re-scan tries again."""


@resource("batch.job")
class Job(OfferedOnly, Resource):
    def list(self):
        for queues in self.client.get_paginator("describe_job_queues").paginate():
            for queue in queues["jobQueues"]:
                if queue.get("status") == "DELETED":
                    continue
                for status in UNFINISHED:
                    pages = self.client.get_paginator("list_jobs").paginate(
                        jobQueue=queue["jobQueueArn"], jobStatus=status
                    )
                    for page in pages:
                        for job in page["jobSummaryList"]:
                            yield Item(
                                id=job["jobId"],
                                name=job.get("jobName", job["jobId"]),
                                extra={"queue": queue["jobQueueName"], "status": job.get("status", status)},
                            )

    def delete(self, item):
        # TerminateJob also cancels jobs that have not started yet; asked again it does no harm.
        self.client.terminate_job(jobId=item.id, reason="Sandbox account cleanup")


class _Disabled(Listed):
    """A queue or a compute environment: disabled first, deleted once AWS has settled it."""

    describe: str  # the describe call, taking a list of ARNs under `key`
    key: str
    answer: str  # where the describe call's answer has the list

    def prepare(self, item):
        if item.extra.get("enabled") == "ENABLED":
            self.disable(item)

    def settled(self, item) -> bool:
        deadline = time.monotonic() + SETTLE_SECONDS
        while True:
            found = getattr(self.client, self.describe)(**{self.key: [item.extra["arn"]]})[self.answer]
            if not found or (found[0].get("state") == "DISABLED" and found[0].get("status") in ("VALID", "INVALID")):
                return True
            if time.monotonic() + SETTLE_STEP > deadline:
                return False
            time.sleep(SETTLE_STEP)

    def delete(self, item):
        if self.is_going(item):
            return
        if not self.settled(item):
            raise StillSettling(f"{item.name} is still being disabled")
        self.remove(item)

    def disable(self, item): ...

    def remove(self, item): ...


@resource("batch.job_queue", depends_on=["batch.job"])
class JobQueue(OfferedOnly, _Disabled):
    listing = Listing(
        "describe_job_queues",
        "jobQueues",
        id="jobQueueArn",
        name="jobQueueName",
        arn="jobQueueArn",
        tags="tags",
        state="status",
        gone=frozenset({"DELETED"}),
        going=frozenset({"DELETING"}),
        extra={"enabled": "state"},
    )
    describe, key, answer = "describe_job_queues", "jobQueues", "jobQueues"

    def disable(self, item):
        self.client.update_job_queue(jobQueue=item.id, state="DISABLED")

    def remove(self, item):
        self.client.delete_job_queue(jobQueue=item.id)


# Queues name their compute environments and their scheduling policy: both wait for the queues.
@resource("batch.compute_environment", depends_on=["batch.job_queue"])
class ComputeEnvironment(OfferedOnly, _Disabled):
    in_vpc = True  # its network interfaces sit in the VPC's subnets
    # Deleting one also tears down its ECS cluster and Auto Scaling group: minutes, not seconds.
    gone_within = 300.0
    listing = Listing(
        "describe_compute_environments",
        "computeEnvironments",
        id="computeEnvironmentArn",
        name="computeEnvironmentName",
        arn="computeEnvironmentArn",
        tags="tags",
        state="status",
        gone=frozenset({"DELETED"}),
        going=frozenset({"DELETING"}),
        extra={"enabled": "state"},
    )
    describe, key, answer = "describe_compute_environments", "computeEnvironments", "computeEnvironments"

    def disable(self, item):
        self.client.update_compute_environment(computeEnvironment=item.id, state="DISABLED")

    def remove(self, item):
        self.client.delete_compute_environment(computeEnvironment=item.id)


@resource("batch.job_definition")
class JobDefinition(OfferedOnly, Listed):
    # Every revision is its own item; deregistered (INACTIVE) ones cannot be used again and are
    # not listed with status=ACTIVE.
    listing = Listing(
        "describe_job_definitions",
        "jobDefinitions",
        id="jobDefinitionArn",
        name="join(':', [jobDefinitionName, to_string(revision)])",
        tags="tags",
        state="status",
        params={"status": "ACTIVE"},
        gone=frozenset({"INACTIVE"}),
    )
    deleting = Deleting("deregister_job_definition", {"jobDefinition": "id"})


@resource("batch.scheduling_policy", depends_on=["batch.job_queue"])
class SchedulingPolicy(OfferedOnly, Listed):
    listing = Listing("list_scheduling_policies", "schedulingPolicies", id="arn", name="arn")
    deleting = Deleting("delete_scheduling_policy", {"arn": "id"})

    def item(self, raw):
        found = super().item(raw)
        # The listing has only the ARN; the name is its last part.
        return Item(id=found.id, name=found.id.rsplit("/", 1)[-1], extra=found.extra) if found else None
