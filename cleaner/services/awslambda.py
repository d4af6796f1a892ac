"""AWS Lambda: functions, their event source mappings, and layer versions.

The module is not called `lambda` because that is a Python keyword; the boto3 service is "lambda".
Lambda's control plane allows 15 calls a second per account and region, all APIs together: the
pacer in cleaner/context.py holds every call of this module to that.
"""

from __future__ import annotations

from datetime import datetime

from cleaner.registry import Item, Resource, resource


def lambda_time(value: str | None) -> datetime | None:
    """Lambda's timestamps are strings ("2024-05-01T12:00:00.000+0000"), not datetimes."""
    if not value:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%f%z")
    except ValueError:
        return datetime.fromisoformat(value)


@resource("lambda.event_source_mapping")
class EventSourceMapping(Resource):
    """What feeds a function from a queue or stream; it outlives the function unless deleted."""

    def list(self):
        for page in self.client.get_paginator("list_event_source_mappings").paginate():
            for mapping in page["EventSourceMappings"]:
                if mapping.get("State") == "Deleting":
                    continue
                function = mapping.get("FunctionArn", "").rsplit(":", 1)[-1]
                source = mapping.get("EventSourceArn", "").rsplit(":", 1)[-1]
                # A call each, but a workshop leaves few mappings; the tags carry a stack's
                # aws:cloudformation:stack-id, so what a StackSet deployed stays. Older mappings
                # have no ARN, hence no tags: no such mapping is protected as a StackSet's.
                arn = mapping.get("EventSourceMappingArn")
                yield Item(
                    id=mapping["UUID"],
                    name=f"{source} → {function}",
                    tags=self.client.list_tags(Resource=arn).get("Tags", {}) if arn else {},
                    created=mapping.get("LastModified"),
                )

    def delete(self, item):
        self.client.delete_event_source_mapping(UUID=item.id)


@resource("lambda.function")
class Function(Resource):
    def list(self):
        for page in self.client.get_paginator("list_functions").paginate():
            for function in page["Functions"]:
                name = function["FunctionName"]
                yield Item(
                    id=name,
                    name=name,
                    # With the stack's aws:cloudformation:stack-id: what a StackSet deployed stays.
                    tags=self.client.list_tags(Resource=function["FunctionArn"]).get("Tags", {}),
                    # Lambda keeps no creation time: the last change is the nearest it has.
                    created=lambda_time(function.get("LastModified")),
                )

    def delete(self, item):
        # Versions, aliases and function URLs go with the function.
        self.client.delete_function(FunctionName=item.id)


@resource("lambda.layer_version")
class LayerVersion(Resource):
    # Layers take no tags: one a StackSet published cannot be told from an attendee's, so none
    # is protected as a StackSet's.

    def list(self):
        for page in self.client.get_paginator("list_layers").paginate():
            for layer in page["Layers"]:
                name = layer["LayerName"]
                versions = self.client.get_paginator("list_layer_versions").paginate(LayerName=name)
                for versions_page in versions:
                    for version in versions_page["LayerVersions"]:
                        yield Item(
                            id=version["LayerVersionArn"],
                            name=f"{name}:{version['Version']}",
                            created=lambda_time(version.get("CreatedDate")),
                            extra={"layer": name, "version": version["Version"]},
                        )

    def delete(self, item):
        self.client.delete_layer_version(LayerName=item.extra["layer"], VersionNumber=item.extra["version"])
