"""Amazon AppStream 2.0: fleets, stacks, image builders and the account's own images.

AWS deletes a fleet only once it is STOPPED and no longer associated with a stack, and an image
builder only once it is stopped: both are stopped first, and a delete asked while they are still
stopping is refused, reported, and asked again on the re-scan. Stacks go after the fleets
(disassociated by then). Only PRIVATE images are listed: public and shared ones are AWS's or
another account's.
"""

from __future__ import annotations

from cleaner.registry import Deleting, Listed, Listing, resource
from cleaner.services._offered import OfferedOnly

RUNNING = frozenset({"RUNNING", "STARTING", "PENDING"})


@resource("appstream.fleet")
class Fleet(OfferedOnly, Listed):
    in_vpc = True  # its network interfaces sit in the VPC's subnets
    # Stopping a fleet drains its streaming instances: several minutes.
    gone_within = 600.0
    listing = Listing("describe_fleets", "Fleets", id="Name", arn="Arn", created="CreatedTime", state="State")
    deleting = Deleting("delete_fleet", {"Name": "id"})

    def prepare(self, item):
        if item.extra.get("state") in RUNNING:
            self.client.stop_fleet(Name=item.id)
        for page in self.client.get_paginator("list_associated_stacks").paginate(FleetName=item.id):
            for stack in page.get("Names", ()):
                self.client.disassociate_fleet(FleetName=item.id, StackName=stack)


@resource("appstream.stack", depends_on=["appstream.fleet"])
class Stack(OfferedOnly, Listed):
    listing = Listing("describe_stacks", "Stacks", id="Name", arn="Arn", created="CreatedTime")
    deleting = Deleting("delete_stack", {"Name": "id"})


@resource("appstream.image_builder")
class ImageBuilder(OfferedOnly, Listed):
    in_vpc = True  # its network interfaces sit in the VPC's subnets
    gone_within = 600.0
    listing = Listing(
        "describe_image_builders",
        "ImageBuilders",
        id="Name",
        arn="Arn",
        created="CreatedTime",
        state="State",
        going=frozenset({"DELETING"}),
    )
    deleting = Deleting("delete_image_builder", {"Name": "id"})

    def prepare(self, item):
        if item.extra.get("state") in RUNNING:
            self.client.stop_image_builder(Name=item.id)


# An image a fleet or a builder still uses, or one a builder is still making, is refused.
@resource("appstream.image", depends_on=["appstream.fleet", "appstream.image_builder"])
class Image(OfferedOnly, Listed):
    listing = Listing(
        "describe_images",
        "Images",
        id="Name",
        arn="Arn",
        created="CreatedTime",
        state="State",
        params={"Type": "PRIVATE"},
        going=frozenset({"DELETING"}),
    )
    deleting = Deleting("delete_image", {"Name": "id"})

    def protect(self, raw):
        # The filter already says PRIVATE; checked again so a public base image is never touched.
        return "" if raw.get("Visibility", "PRIVATE") == "PRIVATE" else "an AppStream image this account does not own"
