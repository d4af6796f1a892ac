"""SNS: topics. Deleting a topic deletes its subscriptions with it."""

from __future__ import annotations

from cleaner.registry import Item, Resource, resource, tags_of


@resource("sns.topic")
class Topic(Resource):
    def list(self):
        for page in self.client.get_paginator("list_topics").paginate():
            for topic in page["Topics"]:
                arn = topic["TopicArn"]
                name = arn.rsplit(":", 1)[-1]
                # Topics keep no creation time. Their tags carry a stack's aws:cloudformation:stack-id:
                # what a StackSet deployed (Control Tower's notifications) stays.
                yield Item(
                    id=arn,
                    name=name,
                    tags=tags_of(self.client.list_tags_for_resource(ResourceArn=arn).get("Tags")),
                )

    def delete(self, item):
        self.client.delete_topic(TopicArn=item.id)
