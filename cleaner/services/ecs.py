"""ECS: services, standalone tasks, container instances, clusters and task definitions.

AWS refuses to delete a cluster that still has services, running tasks or container instances
(moto does not, so the order lives in depends_on and is tested explicitly).
"""

from __future__ import annotations

from cleaner.registry import Item, Resource, resource

# describe_services, describe_tasks and describe_container_instances take at most this many.
DESCRIBE_BATCH = 10


def batched(things, size: int = DESCRIBE_BATCH):
    """Lists of at most `size` (itertools.batched needs Python 3.12)."""
    things = list(things)
    for start in range(0, len(things), size):
        yield things[start : start + size]


def ecs_tags(thing: dict) -> dict[str, str]:
    # ECS spells its tags in lower case.
    return {tag["key"]: tag.get("value", "") for tag in thing.get("tags") or ()}


class _InCluster(Resource):
    def cluster_arns(self):
        for page in self.client.get_paginator("list_clusters").paginate():
            yield from page["clusterArns"]


@resource("ecs.service")
class Service(_InCluster):
    def list(self):
        for cluster in self.cluster_arns():
            arns = [
                arn
                for page in self.client.get_paginator("list_services").paginate(cluster=cluster)
                for arn in page["serviceArns"]
            ]
            for batch in batched(arns):
                found = self.client.describe_services(cluster=cluster, services=batch, include=["TAGS"])
                for service in found["services"]:
                    if service.get("status") == "INACTIVE":
                        continue  # deleted: AWS leaves it to DescribeServices a while, moto in ListServices too
                    yield Item(
                        id=service["serviceArn"],
                        name=service["serviceName"],
                        tags=ecs_tags(service),
                        created=service.get("createdAt"),
                        extra={
                            "cluster": cluster,
                            "status": service.get("status"),
                            "desired": service.get("desiredCount", 0),
                        },
                    )

    def prepare(self, item):
        # Scaling to zero first stops the service from starting new tasks while it drains.
        if item.extra.get("status") == "ACTIVE" and item.extra.get("desired"):
            self.client.update_service(cluster=item.extra["cluster"], service=item.id, desiredCount=0)

    def delete(self, item):
        if item.extra.get("status") != "ACTIVE":
            return  # DRAINING: AWS is deleting it
        self.client.delete_service(cluster=item.extra["cluster"], service=item.id, force=True)


# A service's tasks stop with it: only the tasks left once services are gone are stopped here.
@resource("ecs.task", depends_on=["ecs.service"])
class Task(_InCluster):
    def list(self):
        for cluster in self.cluster_arns():
            pages = self.client.get_paginator("list_tasks").paginate(cluster=cluster, desiredStatus="RUNNING")
            arns = [arn for page in pages for arn in page["taskArns"]]
            for batch in batched(arns):
                for task in self.client.describe_tasks(cluster=cluster, tasks=batch, include=["TAGS"])["tasks"]:
                    yield Item(
                        id=task["taskArn"],
                        name=task["taskArn"].rsplit("/", 1)[-1],
                        tags=ecs_tags(task),
                        created=task.get("createdAt"),
                        extra={"cluster": cluster},
                    )

    def delete(self, item):
        self.client.stop_task(cluster=item.extra["cluster"], task=item.id, reason="Sandbox account cleanup")


# Container instances are EC2 instances (terminated by the EC2 types); here they only leave the
# cluster, after their tasks.
@resource("ecs.container_instance", depends_on=["ecs.service", "ecs.task"])
class ContainerInstance(_InCluster):
    def list(self):
        for cluster in self.cluster_arns():
            pages = self.client.get_paginator("list_container_instances").paginate(cluster=cluster)
            arns = [arn for page in pages for arn in page["containerInstanceArns"]]
            for batch in batched(arns):
                found = self.client.describe_container_instances(
                    cluster=cluster, containerInstances=batch, include=["TAGS"]
                )
                for instance in found["containerInstances"]:
                    yield Item(
                        id=instance["containerInstanceArn"],
                        name=instance.get("ec2InstanceId", ""),
                        tags=ecs_tags(instance),
                        created=instance.get("registeredAt"),
                        extra={"cluster": cluster},
                    )

    def delete(self, item):
        self.client.deregister_container_instance(cluster=item.extra["cluster"], containerInstance=item.id, force=True)


@resource("ecs.cluster", depends_on=["ecs.service", "ecs.task", "ecs.container_instance"])
class Cluster(_InCluster):
    def list(self):
        for batch in batched(self.cluster_arns()):
            for cluster in self.client.describe_clusters(clusters=batch, include=["TAGS"])["clusters"]:
                if cluster.get("status") == "INACTIVE":
                    continue  # deleted; AWS lists it for a while
                # Clusters keep no creation time.
                yield Item(
                    id=cluster["clusterArn"],
                    name=cluster["clusterName"],
                    tags=ecs_tags(cluster),
                    extra={"capacity_providers": cluster.get("capacityProviders") or []},
                )

    def prepare(self, item):
        # A capacity provider cannot be deleted while a cluster names it: the cluster lets go of
        # its providers (and its default strategy) first.
        if item.extra.get("capacity_providers"):
            self.client.put_cluster_capacity_providers(
                cluster=item.id, capacityProviders=[], defaultCapacityProviderStrategy=[]
            )

    def delete(self, item):
        self.client.delete_cluster(cluster=item.id)


@resource("ecs.task_definition", depends_on=["ecs.service", "ecs.task"])
class TaskDefinition(Resource):
    """Active revisions are deregistered, then deleted; inactive ones (deregistered before) deleted."""

    def list(self):
        # DELETE_IN_PROGRESS revisions are not listed: AWS finishes them once no task uses them.
        for status in ("ACTIVE", "INACTIVE"):
            pages = self.client.get_paginator("list_task_definitions").paginate(status=status)
            for page in pages:
                for arn in page["taskDefinitionArns"]:
                    found = self.client.describe_task_definition(taskDefinition=arn, include=["TAGS"])
                    definition = found["taskDefinition"]
                    yield Item(
                        id=arn,
                        name=arn.rsplit("/", 1)[-1],
                        tags=ecs_tags(found),
                        created=definition.get("registeredAt"),
                        extra={"status": definition.get("status", status)},
                    )

    def delete(self, item):
        if item.extra.get("status") == "ACTIVE":
            self.client.deregister_task_definition(taskDefinition=item.id)
        answer = self.client.delete_task_definitions(taskDefinitions=[item.id])
        if answer.get("failures"):
            failure = answer["failures"][0]
            raise RuntimeError(
                f"ECS refused to delete {item.name}: {failure.get('reason')} {failure.get('detail', '')}"
            )
