"""SQS: queues."""

from __future__ import annotations

from datetime import UTC, datetime

from cleaner.registry import Item, Resource, resource


@resource("sqs.queue")
class Queue(Resource):
    def list(self):
        for page in self.client.get_paginator("list_queues").paginate():
            for url in page.get("QueueUrls", []):
                attributes = self.client.get_queue_attributes(QueueUrl=url, AttributeNames=["CreatedTimestamp"])
                created = attributes.get("Attributes", {}).get("CreatedTimestamp")
                yield Item(
                    id=url,
                    name=url.rsplit("/", 1)[-1],
                    tags=self.client.list_queue_tags(QueueUrl=url).get("Tags", {}),
                    created=datetime.fromtimestamp(float(created), tz=UTC) if created else None,
                )

    def delete(self, item):
        # AWS may list a deleted queue for up to a minute; deleting it again then answers
        # NonExistentQueue, which the engine counts as already gone.
        self.client.delete_queue(QueueUrl=item.id)
