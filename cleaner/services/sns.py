"""SNS: topics. Deleting a topic deletes its subscriptions with it."""

from __future__ import annotations

from cleaner.registry import Item, Resource, resource, tags_of

# Control Tower's security and Config notifications; they must stay.
CONTROL_TOWER_PREFIX = "aws-controltower-"


@resource("sns.topic")
class Topic(Resource):
    def list(self):
        for page in self.client.get_paginator("list_topics").paginate():
            for topic in page["Topics"]:
                arn = topic["TopicArn"]
                name = arn.rsplit(":", 1)[-1]
                # Topics keep no creation time.
                yield Item(
                    id=arn,
                    name=name,
                    tags=tags_of(self.client.list_tags_for_resource(ResourceArn=arn).get("Tags")),
                    protected="Control Tower" if name.startswith(CONTROL_TOWER_PREFIX) else "",
                )

    def delete(self, item):
        self.client.delete_topic(TopicArn=item.id)
