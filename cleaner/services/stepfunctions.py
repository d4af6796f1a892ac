"""Step Functions: state machines and activities."""

from __future__ import annotations

from cleaner.registry import Item, Resource, resource, tags_of


class _Listed(Resource):
    operation = ""  # "list_state_machines"
    key = ""  # "stateMachines"
    arn = ""  # "stateMachineArn"

    def list(self):
        for page in self.client.get_paginator(self.operation).paginate():
            for thing in page[self.key]:
                tags = self.client.list_tags_for_resource(resourceArn=thing[self.arn]).get("tags")
                yield Item(
                    id=thing[self.arn],
                    name=thing["name"],
                    tags=tags_of(tags, key="key", value="value"),
                    created=thing.get("creationDate"),
                )


@resource("stepfunctions.state_machine")
class StateMachine(_Listed):
    operation, key, arn = "list_state_machines", "stateMachines", "stateMachineArn"

    def delete(self, item):
        # Deletion is asynchronous: running executions are stopped first, and the state machine
        # is listed (DELETING) until then.
        self.client.delete_state_machine(stateMachineArn=item.id)


@resource("stepfunctions.activity")
class Activity(_Listed):
    operation, key, arn = "list_activities", "activities", "activityArn"

    def delete(self, item):
        self.client.delete_activity(activityArn=item.id)
