"""Systems Manager: Parameter Store parameters, deleted ten at a time."""

from __future__ import annotations

from cleaner.registry import Item, Resource, resource, tags_of

# DeleteParameters takes at most this many names.
DELETE_BATCH = 10


@resource("ssm.parameter")
class Parameter(Resource):
    def list(self):
        for page in self.client.get_paginator("describe_parameters").paginate():
            for parameter in page["Parameters"]:
                name = parameter["Name"]
                tags = self.client.list_tags_for_resource(ResourceType="Parameter", ResourceId=name).get("TagList")
                yield Item(
                    id=name,
                    name=name,
                    tags=tags_of(tags),
                    # Parameters keep no creation time: the last change is the nearest they have.
                    created=parameter.get("LastModifiedDate"),
                )

    def delete(self, item):
        self.delete_many([item])

    def delete_many(self, items):
        """Delete many parameters in a tenth of the calls; names already gone are ignored."""
        names = [item.id for item in items]
        for start in range(0, len(names), DELETE_BATCH):
            self.client.delete_parameters(Names=names[start : start + DELETE_BATCH])
