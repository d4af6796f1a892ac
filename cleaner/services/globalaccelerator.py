"""Global Accelerator: endpoint groups, then listeners, then accelerators (disabled first).

An account-wide service whose API lives in us-west-2 alone (no endpoint answers in us-east-1,
where the cleaner calls global services from): its clients are made for us-west-2 whatever the
sweep's region. AWS refuses to delete an accelerator that still has listeners, or one that is
enabled; disabling takes it a while (Status IN_PROGRESS, then DEPLOYED), so an accelerator is
disabled in prepare() and deleted once AWS has deployed that.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from cleaner.registry import Item, Resource, resource
from cleaner.services._offered import offered

# The one region Global Accelerator's API is offered in.
API_REGION = "us-west-2"
DEPLOYED = "DEPLOYED"


class _GlobalAccelerator(Resource):
    def __init__(self, context):
        super().__init__(dataclasses.replace(context, region=API_REGION))

    def accelerators(self) -> Iterator[dict]:
        for page in self.client.get_paginator("list_accelerators").paginate():
            yield from page["Accelerators"]

    def listeners(self) -> Iterator[tuple[dict, dict]]:
        for accelerator in self.accelerators():
            pages = self.client.get_paginator("list_listeners").paginate(AcceleratorArn=accelerator["AcceleratorArn"])
            for page in pages:
                for listener in page["Listeners"]:
                    yield accelerator, listener


@resource("globalaccelerator.endpoint_group", is_global=True)
class EndpointGroup(_GlobalAccelerator):
    def list(self) -> Iterator[Item]:
        with offered(self.type):
            for accelerator, listener in self.listeners():
                pages = self.client.get_paginator("list_endpoint_groups").paginate(ListenerArn=listener["ListenerArn"])
                for page in pages:
                    for group in page["EndpointGroups"]:
                        yield Item(
                            id=group["EndpointGroupArn"],
                            name=f"{accelerator.get('Name', '')} {group.get('EndpointGroupRegion', '')}".strip(),
                        )

    def delete(self, item: Item) -> None:
        self.client.delete_endpoint_group(EndpointGroupArn=item.id)


@resource("globalaccelerator.listener", depends_on=["globalaccelerator.endpoint_group"], is_global=True)
class Listener(_GlobalAccelerator):
    def list(self) -> Iterator[Item]:
        with offered(self.type):
            for accelerator, listener in self.listeners():
                ports = ",".join(f"{r['FromPort']}-{r['ToPort']}" for r in listener.get("PortRanges") or ())
                yield Item(id=listener["ListenerArn"], name=f"{accelerator.get('Name', '')} {ports}".strip())

    def delete(self, item: Item) -> None:
        self.client.delete_listener(ListenerArn=item.id)


@resource("globalaccelerator.accelerator", depends_on=["globalaccelerator.listener"], is_global=True)
class Accelerator(_GlobalAccelerator):
    gone_within = 300

    def list(self) -> Iterator[Item]:
        with offered(self.type):
            for accelerator in self.accelerators():
                yield Item(
                    id=accelerator["AcceleratorArn"],
                    name=accelerator.get("Name", ""),
                    created=accelerator.get("CreatedTime"),
                    extra={"enabled": accelerator.get("Enabled", False), "status": accelerator.get("Status")},
                )

    def prepare(self, item: Item) -> None:
        if item.extra.get("enabled"):
            self.client.update_accelerator(AcceleratorArn=item.id, Enabled=False)

    def delete(self, item: Item) -> None:
        # Disabled just now, or still deploying an earlier change: AWS would refuse; the re-scan
        # finds it disabled and deployed, and deletes it then.
        if item.extra.get("enabled") or item.extra.get("status") != DEPLOYED:
            return
        self.client.delete_accelerator(AcceleratorArn=item.id)
