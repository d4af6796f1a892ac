"""Data Firehose delivery streams and Managed Service for Apache Flink applications.

Both are deleted asynchronously and stay listed (DELETING) for a while. A running Flink application
is stopped by its deletion; DeleteApplication needs its creation time, which only DescribeApplication
gives, so a stale delete cannot hit a newer application of the same name.
"""

from __future__ import annotations

from collections.abc import Iterator

from cleaner.registry import Item, Listed, Listing, Resource, resource


@resource("firehose.delivery_stream")
class DeliveryStream(Resource):
    in_vpc = True  # its network interfaces sit in the VPC's subnets
    gone_within = 120.0

    def names(self) -> Iterator[str]:
        # No paginator: the next page starts after the last name of this one.
        params: dict = {}
        while True:
            page = self.client.list_delivery_streams(**params)
            names = page.get("DeliveryStreamNames", [])
            yield from names
            if not page.get("HasMoreDeliveryStreams") or not names:
                return
            params["ExclusiveStartDeliveryStreamName"] = names[-1]

    def list(self) -> Iterator[Item]:
        for name in self.names():
            stream = self.client.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"]
            yield Item(
                id=name,
                name=name,
                created=stream.get("CreateTimestamp"),
                extra={"arn": stream.get("DeliveryStreamARN"), "status": stream.get("DeliveryStreamStatus")},
            )

    def delete(self, item: Item) -> None:
        if item.extra.get("status") == "DELETING":
            return
        # A stream whose customer-managed key is gone or disabled is refused without the force.
        self.client.delete_delivery_stream(DeliveryStreamName=item.id, AllowForceDelete=True)


@resource("kinesisanalyticsv2.application")
class FlinkApplication(Listed):
    in_vpc = True  # its network interfaces sit in the VPC's subnets
    iam_prefix = "kinesisanalytics"
    gone_within = 300.0
    listing = Listing(
        operation="list_applications",
        items="ApplicationSummaries",
        id="ApplicationName",
        arn="ApplicationARN",
        state="ApplicationStatus",
        going=frozenset({"DELETING"}),
    )

    def delete(self, item: Item) -> None:
        if self.is_going(item):
            return
        found = self.client.describe_application(ApplicationName=item.id)["ApplicationDetail"]
        self.client.delete_application(ApplicationName=item.id, CreateTimestamp=found["CreateTimestamp"])
