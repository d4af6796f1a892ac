"""Kinesis Data Streams: streams, with their enhanced fan-out consumers."""

from __future__ import annotations

from cleaner.registry import Item, Resource, resource, tags_of


@resource("kinesis.stream")
class Stream(Resource):
    def list(self):
        for page in self.client.get_paginator("list_streams").paginate():
            summaries = page.get("StreamSummaries")
            if summaries is None:  # older answers carry only the names
                summaries = [
                    self.client.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
                    for name in page.get("StreamNames", [])
                ]
            for stream in summaries:
                name = stream["StreamName"]
                yield Item(
                    id=name,
                    name=name,
                    tags=tags_of(self.client.list_tags_for_stream(StreamName=name).get("Tags")),
                    created=stream.get("StreamCreationTimestamp"),
                    extra={"status": stream.get("StreamStatus")},
                )

    def delete(self, item):
        if item.extra.get("status") == "DELETING":
            return  # still listed until AWS is done; the re-scan waits
        # Without EnforceConsumerDeletion AWS refuses a stream that has registered consumers.
        self.client.delete_stream(StreamName=item.id, EnforceConsumerDeletion=True)
