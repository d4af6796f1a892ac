"""Systems Manager: Parameter Store parameters, deleted ten at a time. (Documents, associations and
maintenance windows are in ssm_automation.py.)"""

from __future__ import annotations

from cleaner.registry import Item, Resource, resource, tags_of

# DeleteParameters takes at most this many names.
DELETE_BATCH = 10


@resource("ssm.parameter")
class Parameter(Resource):
    batch_size = DELETE_BATCH

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
        self.client.delete_parameter(Name=item.id)

    def delete_many(self, items):
        """Delete parameters in a tenth of the calls; the error of each one that was not deleted, by name."""
        refused: dict[str, Exception] = {}
        for start in range(0, len(items), DELETE_BATCH):
            batch = items[start : start + DELETE_BATCH]
            answer = self.client.delete_parameters(Names=[item.id for item in batch])
            # DeleteParameters names what it did not delete without saying why (most often: gone
            # meanwhile). Asked alone, AWS says: ParameterNotFound (gone, fine) or the real refusal.
            invalid = set(answer.get("InvalidParameters") or ())
            for item in batch:
                if item.id in invalid:
                    try:
                        self.delete(item)
                    except Exception as error:
                        refused[item.id] = error
        return refused
