"""Cloud Map: instances, then the services they are registered in, then the namespaces (HTTP,
private and public DNS) that hold the services.

AWS refuses to delete a service that has instances or a namespace that has services. Deregistering
an instance and deleting a namespace are operations AWS carries out in its own time: what is on its
way out is listed, not asked again. A DNS namespace takes its Route 53 hosted
zone with it.
"""

from __future__ import annotations

from cleaner.registry import Item, Resource, resource, tags_of

PENDING = ["SUBMITTED", "PENDING"]


class _CloudMap(Resource):
    def pending(self, kind: str, target: str) -> set[str]:
        """What operations of this kind (DELETE_NAMESPACE …) that AWS has accepted and not finished
        work on: their targets of this sort (NAMESPACE, INSTANCE)."""
        filters = [{"Name": "TYPE", "Values": [kind]}, {"Name": "STATUS", "Values": PENDING}]
        targets = set()
        for page in self.client.get_paginator("list_operations").paginate(Filters=filters):
            for summary in page["Operations"]:
                # Checked again here: the filter is a request, and moto for one ignores it.
                if summary.get("Status") not in PENDING:
                    continue
                operation = self.client.get_operation(OperationId=summary["Id"])["Operation"]
                if operation.get("Type") == kind:
                    targets.update(operation.get("Targets", {}).get(target, "").split(","))
        return targets

    def tags(self, arn):
        return tags_of(self.client.list_tags_for_resource(ResourceARN=arn).get("Tags"))

    def services(self):
        for page in self.client.get_paginator("list_services").paginate():
            yield from page["Services"]


@resource("servicediscovery.instance")
class Instance(_CloudMap):
    def list(self):
        going = self.pending("DEREGISTER_INSTANCE", "INSTANCE")
        for service in self.services():
            for page in self.client.get_paginator("list_instances").paginate(ServiceId=service["Id"]):
                for instance in page["Instances"]:
                    # Instances take no tags and keep no creation time.
                    yield Item(
                        id=f"{service['Id']}/{instance['Id']}",
                        name=f"{service['Name']}/{instance['Id']}",
                        extra={
                            "service": service["Id"],
                            "instance": instance["Id"],
                            "going": instance["Id"] in going,
                        },
                    )

    def delete(self, item):
        if item.extra.get("going"):
            return
        self.client.deregister_instance(ServiceId=item.extra["service"], InstanceId=item.extra["instance"])


@resource("servicediscovery.service", depends_on=["servicediscovery.instance"])
class Service(_CloudMap):
    def list(self):
        for service in self.services():
            yield Item(
                id=service["Id"],
                name=service["Name"],
                tags=self.tags(service["Arn"]),
                created=service.get("CreateDate"),
                extra={"arn": service["Arn"]},
            )

    def delete(self, item):
        self.client.delete_service(Id=item.id)


@resource("servicediscovery.namespace", depends_on=["servicediscovery.service"])
class Namespace(_CloudMap):
    gone_within = 300

    def list(self):
        going = self.pending("DELETE_NAMESPACE", "NAMESPACE")
        for page in self.client.get_paginator("list_namespaces").paginate():
            for namespace in page["Namespaces"]:
                yield Item(
                    id=namespace["Id"],
                    name=namespace["Name"],
                    tags=self.tags(namespace["Arn"]),
                    created=namespace.get("CreateDate"),
                    extra={"arn": namespace["Arn"], "type": namespace.get("Type"), "going": namespace["Id"] in going},
                )

    def delete(self, item):
        if item.extra.get("going"):
            return
        self.client.delete_namespace(Id=item.id)
