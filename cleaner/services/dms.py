"""Database Migration Service: replication tasks, then the instances and endpoints they use, then
subnet groups.

A running task must be stopped before it can be deleted, and an instance or endpoint that a task
still uses cannot be deleted; an instance's subnet group only once the instance is gone.
"""

from __future__ import annotations

from cleaner.registry import Deleting, Item, Listed, Listing, resource

RUNNING = {"running", "starting", "resuming"}


@resource("dms.replication_task")
class ReplicationTask(Listed):
    gone_within = 120.0
    listing = Listing(
        operation="describe_replication_tasks",
        items="ReplicationTasks",
        id="ReplicationTaskArn",
        name="ReplicationTaskIdentifier",
        arn="ReplicationTaskArn",
        created="ReplicationTaskCreationDate",
        state="Status",
        params={"WithoutSettings": True},
        going=frozenset({"deleting"}),
    )
    deleting = Deleting(operation="delete_replication_task", args={"ReplicationTaskArn": "id"})

    def prepare(self, item: Item) -> None:
        # Stopping takes a moment ("stopping"): a delete refused meanwhile is asked again next scan.
        if item.extra.get("state") in RUNNING:
            self.client.stop_replication_task(ReplicationTaskArn=item.id)


@resource("dms.replication_instance", depends_on=["dms.replication_task"])
class ReplicationInstance(Listed):
    in_vpc = True  # its network interfaces sit in the VPC's subnets
    gone_within = 600.0
    listing = Listing(
        operation="describe_replication_instances",
        items="ReplicationInstances",
        id="ReplicationInstanceArn",
        name="ReplicationInstanceIdentifier",
        arn="ReplicationInstanceArn",
        created="InstanceCreateTime",
        state="ReplicationInstanceStatus",
        going=frozenset({"deleting"}),
    )
    deleting = Deleting(operation="delete_replication_instance", args={"ReplicationInstanceArn": "id"})


@resource("dms.endpoint", depends_on=["dms.replication_task"])
class Endpoint(Listed):
    listing = Listing(
        operation="describe_endpoints",
        items="Endpoints",
        id="EndpointArn",
        name="EndpointIdentifier",
        arn="EndpointArn",
        state="Status",
        going=frozenset({"deleting"}),
    )
    deleting = Deleting(operation="delete_endpoint", args={"EndpointArn": "id"})


@resource("dms.replication_subnet_group", depends_on=["dms.replication_instance"])
class ReplicationSubnetGroup(Listed):
    in_vpc = True  # its network interfaces sit in the VPC's subnets
    listing = Listing(
        operation="describe_replication_subnet_groups",
        items="ReplicationSubnetGroups",
        id="ReplicationSubnetGroupIdentifier",
    )
    deleting = Deleting(operation="delete_replication_subnet_group", args={"ReplicationSubnetGroupIdentifier": "id"})
