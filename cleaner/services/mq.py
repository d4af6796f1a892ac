"""Amazon MQ: brokers (their users go with them)."""

from __future__ import annotations

from cleaner.registry import Deleting, Listing, resource
from cleaner.services._offered import ListedHere


@resource("mq.broker")
class Broker(ListedHere):
    in_vpc = True  # its network interfaces sit in the VPC's subnets
    gone_within = 900
    listing = Listing(
        operation="list_brokers",
        items="BrokerSummaries",
        id="BrokerId",
        name="BrokerName",
        arn="BrokerArn",
        created="Created",
        state="BrokerState",
        going=frozenset({"DELETION_IN_PROGRESS"}),
    )
    deleting = Deleting("delete_broker", {"BrokerId": "id"})
