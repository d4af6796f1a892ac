"""CloudTrail: trails, each swept in its home region (a multi-region trail shows in every region), and
CloudTrail Lake's event data stores.

An organization trail that the management account made shows in every member account, but only
its owner may delete it: it is told by what it is (an organization trail whose ARN names another
account) and never touched; so is the baseline trail an older Control Tower landing zone deployed
by StackSet into the account (see _stacks.py). An attendee's own trail, whatever it is called, goes.
"""

from __future__ import annotations

from collections.abc import Iterator

from cleaner.registry import Item, Resource, resource
from cleaner.services._paging import pages
from cleaner.services._stacks import owning_stack


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
                name = summary.get("Name", arn)
                stack_id = "" if protected else owning_stack(self.context, name)
                yield Item(id=arn, name=name, extra={"arn": arn, "stack_id": stack_id}, protected=protected)

    def delete(self, item: Item) -> None:
        # By name: AWS takes the ARN too, the local fake AWS only the name; both in the home region.
        self.client.delete_trail(Name=item.name)


@resource("cloudtrail.event_data_store")
class EventDataStore(Resource):
    """CloudTrail Lake's event data stores: billed for what they ingest and keep.

    AWS refuses to delete one with termination protection on, or with Lake query federation on;
    both are switched off first. A deleted store waits seven days in PENDING_DELETION (restorable,
    no longer ingesting): it is gone for the sweep.
    """

    def list(self) -> Iterator[Item]:
        for page in pages(self.client.list_event_data_stores, "NextToken", "NextToken"):
            for summary in page.get("EventDataStores", ()):
                arn = summary["EventDataStoreArn"]
                # The summary's status fields are deprecated (and may be absent): the store says.
                store = self.client.get_event_data_store(EventDataStore=arn)
                if store.get("Status") == "PENDING_DELETION":
                    continue
                owner = arn.split(":")[4]
                protected = ""
                if owner != self.context.account_id:
                    protected = f"the Organization's event data store, owned by {owner}"
                yield Item(
                    id=arn,
                    name=store.get("Name", arn),
                    created=store.get("CreatedTimestamp"),
                    extra={
                        "arn": arn,
                        "termination_protection": store.get("TerminationProtectionEnabled", False),
                        "federation": store.get("FederationStatus"),
                    },
                    protected=protected,
                )

    def prepare(self, item: Item) -> None:
        if item.extra.get("termination_protection"):
            self.client.update_event_data_store(EventDataStore=item.id, TerminationProtectionEnabled=False)
        if item.extra.get("federation") in ("ENABLED", "ENABLING"):
            self.client.disable_federation(EventDataStore=item.id)

    def delete(self, item: Item) -> None:
        self.client.delete_event_data_store(EventDataStore=item.id)
