"""CloudTrail: trails, each swept in its home region (a multi-region trail shows in every region).

An organization trail that the management account made shows in every member account, but only
its owner may delete it: it is told by what it is (an organization trail whose ARN names another
account) and never touched. An attendee's own trail, whatever it is called, goes.
"""

from __future__ import annotations

from collections.abc import Iterator

from cleaner.registry import Item, Resource, resource


@resource("cloudtrail.trail")
class Trail(Resource):
    def list(self) -> Iterator[Item]:
        for page in self.client.get_paginator("list_trails").paginate():
            for summary in page["Trails"]:
                # Listed where it lives: other regions list it as a shadow of a trail they cannot delete.
                if summary.get("HomeRegion") != self.context.region:
                    continue
                arn = summary["TrailARN"]
                owner = arn.split(":")[4]
                protected = ""
                # Another account's trail shows here only as an organization trail; asked to be sure.
                if owner != self.context.account_id:
                    trail = self.client.get_trail(Name=arn)["Trail"]
                    kind = "the Organization's trail" if trail.get("IsOrganizationTrail") else "a trail"
                    protected = f"{kind}, owned by account {owner}"
                yield Item(id=arn, name=summary.get("Name", arn), extra={"arn": arn}, protected=protected)

    def delete(self, item: Item) -> None:
        # By name: AWS takes the ARN too, the local fake AWS only the name; both in the home region.
        self.client.delete_trail(Name=item.name)
