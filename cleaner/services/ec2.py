"""EC2 compute: instances, spot requests and fleets, launch templates, key pairs, volumes, snapshots and AMIs.

The network side of EC2 (VPCs and everything that lives in one) is in vpc.py; both use the
helpers at the top of this module.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from botocore.exceptions import ClientError

from cleaner.registry import Item, NotYet, Resource, resource, tags_of

# Instances in these states are gone or on their way: terminating them again would only cost a call.
GONE_INSTANCE_STATES = ("shutting-down", "terminated")


@contextmanager
def unless(*codes: str) -> Iterator[None]:
    """Let AWS errors with these codes pass (for steps another thread or AWS may have done already)."""
    # Left to the engine, a "…NotFound" from a preparatory step would count the item as gone.
    try:
        yield
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") not in codes:
            raise


def describe(client, operation: str, key: str, **params) -> Iterator[dict]:
    """Every record of an EC2 describe call, page by page where the API paginates."""
    if client.can_paginate(operation):
        for page in client.get_paginator(operation).paginate(**params):
            yield from page.get(key, ())
    else:
        yield from getattr(client, operation)(**params).get(key, ())


def tagged(
    record: dict,
    id_key: str,
    created: datetime | str | None = None,
    *,
    name: str | None = None,
    untagged: str = "",
    **fields,
) -> Item:
    """An Item for an EC2 record, named by `name`, else its Name tag, else `untagged`."""
    tags = tags_of(record.get("Tags"))
    if isinstance(created, str):  # DescribeImages gives CreationDate as ISO text
        created = datetime.fromisoformat(created.replace("Z", "+00:00"))
    return Item(id=record[id_key], name=name or tags.get("Name") or untagged, tags=tags, created=created, **fields)


def raise_unsuccessful(answer: dict, key: str, operation: str) -> None:
    """Raise the first failure a batch call reports in its answer while the call itself succeeds."""
    for failure in answer.get(key) or ():
        error = failure.get("Error", {})
        raise ClientError({"Error": {"Code": error.get("Code", ""), "Message": error.get("Message", "")}}, operation)


@resource(
    "ec2.instance",
    depends_on=["autoscaling.group", "ec2.fleet", "ec2.spot_fleet_request", "ec2.spot_instance_request"],
)
class Instance(Resource):
    # An auto scaling group, a fleet or a persistent spot request replaces the instances it loses,
    # so they go first.

    def list(self) -> Iterator[Item]:
        alive = [{"Name": "instance-state-name", "Values": ["pending", "running", "stopping", "stopped"]}]
        for reservation in describe(self.client, "describe_instances", "Reservations", Filters=alive):
            for instance in reservation["Instances"]:
                if instance["State"]["Name"] not in GONE_INSTANCE_STATES:
                    yield tagged(instance, "InstanceId", instance.get("LaunchTime"))

    def prepare(self, item: Item) -> None:
        # Termination protection makes TerminateInstances fail; stop protection goes too, so no
        # setting left on the instance can hold it.
        for attribute, key in (
            ("disableApiTermination", "DisableApiTermination"),
            ("disableApiStop", "DisableApiStop"),
        ):
            answer = self.client.describe_instance_attribute(InstanceId=item.id, Attribute=attribute)
            if answer.get(key, {}).get("Value"):
                self.client.modify_instance_attribute(InstanceId=item.id, **{key: {"Value": False}})

    def delete(self, item: Item) -> None:
        self.client.terminate_instances(InstanceIds=[item.id])


@resource("ec2.spot_fleet_request")
class SpotFleetRequest(Resource):
    def list(self) -> Iterator[Item]:
        for fleet in describe(self.client, "describe_spot_fleet_requests", "SpotFleetRequestConfigs"):
            # cancelled_running / cancelled_terminating: cancelled already, its instances on their own.
            if fleet["SpotFleetRequestState"] not in ("submitted", "active", "modifying"):
                continue
            yield tagged(fleet, "SpotFleetRequestId", fleet.get("CreateTime"))

    def delete(self, item: Item) -> None:
        # Its instances go with it: left running, they would only be terminated one by one later.
        answer = self.client.cancel_spot_fleet_requests(SpotFleetRequestIds=[item.id], TerminateInstances=True)
        # The call succeeds even when the fleet was not cancelled: the reason is in the answer.
        raise_unsuccessful(answer, "UnsuccessfulFleetRequests", "CancelSpotFleetRequests")


@resource("ec2.fleet")
class Fleet(Resource):
    # EC2 Fleet, the newer kind (CreateFleet): a "maintain" fleet replaces what it loses.

    def list(self) -> Iterator[Item]:
        for fleet in describe(self.client, "describe_fleets", "Fleets"):
            # deleted_running / deleted_terminating: deleted already, its instances on their own.
            if fleet["FleetState"] in ("submitted", "active", "modifying"):
                yield tagged(fleet, "FleetId", fleet.get("CreateTime"))

    def delete(self, item: Item) -> None:
        answer = self.client.delete_fleets(FleetIds=[item.id], TerminateInstances=True)
        raise_unsuccessful(answer, "UnsuccessfulFleetDeletions", "DeleteFleets")


@resource("ec2.spot_instance_request", depends_on=["ec2.fleet", "ec2.spot_fleet_request"])
class SpotInstanceRequest(Resource):
    # A persistent request launches a new instance when its instance is terminated: it is
    # cancelled first (cancelling leaves the instance running, for ec2.instance to terminate).
    # Fleets make requests of their own, so fleets go before requests.

    def list(self) -> Iterator[Item]:
        for request in describe(self.client, "describe_spot_instance_requests", "SpotInstanceRequests"):
            if request["State"] in ("open", "active"):
                yield tagged(request, "SpotInstanceRequestId", request.get("CreateTime"))

    def delete(self, item: Item) -> None:
        self.client.cancel_spot_instance_requests(SpotInstanceRequestIds=[item.id])


@resource("ec2.launch_template", depends_on=["autoscaling.group"])
class LaunchTemplate(Resource):
    # A group launching from a template breaks if the template disappears under it.

    def list(self) -> Iterator[Item]:
        for template in describe(self.client, "describe_launch_templates", "LaunchTemplates"):
            yield tagged(template, "LaunchTemplateId", template.get("CreateTime"), name=template["LaunchTemplateName"])

    def delete(self, item: Item) -> None:
        self.client.delete_launch_template(LaunchTemplateId=item.id)


@resource("ec2.key_pair")
class KeyPair(Resource):
    def list(self) -> Iterator[Item]:
        for pair in describe(self.client, "describe_key_pairs", "KeyPairs"):
            yield tagged(pair, "KeyPairId", pair.get("CreateTime"), name=pair["KeyName"])

    def delete(self, item: Item) -> None:
        # By name, which is unique in a region: moto ignores KeyPairId and silently deletes nothing.
        self.client.delete_key_pair(KeyName=item.name)


@resource("ec2.volume", depends_on=["ec2.instance"])
class Volume(Resource):
    def list(self) -> Iterator[Item]:
        for volume in describe(self.client, "describe_volumes", "Volumes"):
            if volume["State"] in ("deleting", "deleted"):
                continue
            attachments = volume.get("Attachments") or []
            if attachments and all(a.get("DeleteOnTermination") for a in attachments):
                continue  # goes with its instance, which the sweep terminates
            instances = [a["InstanceId"] for a in attachments if a.get("InstanceId")]
            yield tagged(volume, "VolumeId", volume.get("CreateTime"), extra={"instances": instances})

    def delete(self, item: Item) -> None:
        # An attached volume is listed, so the account does not look clean while it is there, but
        # never forced off: AWS refuses (VolumeInUse) until its instance has terminated, and the
        # next scan deletes it.
        self.client.delete_volume(VolumeId=item.id)


@resource("ec2.image")
class Image(Resource):
    def list(self) -> Iterator[Item]:
        for image in describe(self.client, "describe_images", "Images", Owners=["self"]):
            if image.get("OwnerId") != self.context.account_id:
                continue  # moto lists some public images to anyone; AWS never should
            yield tagged(
                image,
                "ImageId",
                image.get("CreationDate"),
                name=image.get("Name", ""),
                extra={"deregistration_protection": image.get("DeregistrationProtection", "")},
            )

    def prepare(self, item: Item) -> None:
        # "enabled", "enabled-with-cooldown" or "disabled-until <time>" (AWS's spelling). Switched off
        # with a cooldown, an image stays protected 24 hours more: held until then, not a failure.
        protection = item.extra.get("deregistration_protection") or ""
        if protection.startswith("enabled"):
            self.client.disable_image_deregistration_protection(ImageId=item.id)
            if protection == "enabled-with-cooldown":
                raise NotYet(datetime.now(UTC) + COOLDOWN, "AMI deregistration protection's cooldown")
        until = _disabled_until(protection)
        if until and until > datetime.now(UTC):
            raise NotYet(until, "AMI deregistration protection's cooldown")

    def delete(self, item: Item) -> None:
        self.client.deregister_image(ImageId=item.id)


# How long an image switched off "with cooldown" stays protected (AWS: 24 hours).
COOLDOWN = timedelta(hours=24)


def _disabled_until(protection: str) -> datetime | None:
    if not protection.startswith("disabled-until"):
        return None
    text = protection.removeprefix("disabled-until").strip()
    try:
        until = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return until if until.tzinfo else until.replace(tzinfo=UTC)


@resource("ec2.snapshot", depends_on=["ec2.image"])
class Snapshot(Resource):
    # AWS refuses to delete a snapshot that a registered AMI is made of.

    def list(self) -> Iterator[Item]:
        for snapshot in describe(self.client, "describe_snapshots", "Snapshots", OwnerIds=["self"]):
            # OwnerIds=["self"] still brings public snapshots in moto (~1,300 of them): only ours go.
            if snapshot.get("OwnerId") == self.context.account_id:
                yield tagged(snapshot, "SnapshotId", snapshot.get("StartTime"))

    def delete(self, item: Item) -> None:
        self.client.delete_snapshot(SnapshotId=item.id)
