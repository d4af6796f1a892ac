"""AWS IoT Greengrass V2: deployments, core devices and the account's own components.

A deployment is an IoT job underneath: AWS deletes only one that is no longer ACTIVE, so active
ones are cancelled first (the devices keep what they run, the deployment just stops). Deleting a
core device forgets its Greengrass status only; its IoT thing is swept as an iot.thing.
Components are deleted version by version; AWS's public components are never listed (PRIVATE).
"""

from __future__ import annotations

from cleaner.registry import Deleting, Item, Listed, Listing, Resource, resource
from cleaner.services._offered import OfferedOnly


class _Greengrass:
    # IAM calls the service "greengrass" for V1 and V2 alike.
    service = "greengrassv2"
    iam_prefix = "greengrass"


@resource("greengrassv2.deployment")
class Deployment(OfferedOnly, _Greengrass, Listed):
    listing = Listing(
        "list_deployments",
        "deployments",
        id="deploymentId",
        name="deploymentName",
        created="creationTimestamp",
        state="deploymentStatus",
        # Every revision, not only each target's latest: the older ones are deployments too.
        params={"historyFilter": "ALL"},
    )
    deleting = Deleting("delete_deployment", {"deploymentId": "id"})

    def prepare(self, item):
        if item.extra.get("state") == "ACTIVE":
            self.client.cancel_deployment(deploymentId=item.id)


@resource("greengrassv2.core_device", depends_on=["greengrassv2.deployment"])
class CoreDevice(OfferedOnly, _Greengrass, Listed):
    listing = Listing("list_core_devices", "coreDevices", id="coreDeviceThingName")
    deleting = Deleting("delete_core_device", {"coreDeviceThingName": "id"})


@resource("greengrassv2.component_version", depends_on=["greengrassv2.deployment"])
class ComponentVersion(OfferedOnly, _Greengrass, Resource):
    def list(self):
        for page in self.client.get_paginator("list_components").paginate(scope="PRIVATE"):
            for component in page["components"]:
                versions = self.client.get_paginator("list_component_versions").paginate(arn=component["arn"])
                for found in versions:
                    for version in found["componentVersions"]:
                        yield Item(
                            id=version["arn"],
                            name=f"{version['componentName']}:{version['componentVersion']}",
                        )

    def delete(self, item):
        self.client.delete_component(arn=item.id)
