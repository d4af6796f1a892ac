"""CloudFormation: stacks.

Deleting a stack is asynchronous in AWS: a stack in DELETE_IN_PROGRESS is still listed (the
re-scan waits for it) and is not asked again. Stacks that the Organization's StackSets deployed
(Control Tower's baseline among them) are protected by their id, which the management account
lists (cleaner.safety.Protection): never by a name, which an attendee may choose ("StackSet-x").
"""

from __future__ import annotations

from cleaner.registry import Item, Resource, resource, tags_of


# A Cloud9 environment deletes its own "aws-cloud9-…" stack; deleting that stack first breaks it.
@resource("cloudformation.stack", depends_on=["cloud9.environment"])
class Stack(Resource):
    def list(self):
        stacks = [
            stack
            for page in self.client.get_paginator("describe_stacks").paginate()
            for stack in page["Stacks"]
            if stack["StackStatus"] != "DELETE_COMPLETE"
        ]
        present = {stack["StackId"] for stack in stacks}
        for stack in stacks:
            # A nested stack goes with its root; deleting it alone would fail the root's update.
            if stack.get("RootId") in present and stack["RootId"] != stack["StackId"]:
                continue
            yield Item(
                id=stack["StackId"],
                name=stack["StackName"],
                tags=tags_of(stack.get("Tags")),
                created=stack.get("CreationTime"),
                extra={
                    "status": stack["StackStatus"],
                    "termination_protection": stack.get("EnableTerminationProtection", False),
                },
            )

    def prepare(self, item):
        if item.extra.get("termination_protection"):
            self.client.update_termination_protection(StackName=item.id, EnableTerminationProtection=False)

    def delete(self, item):
        status = item.extra.get("status")
        if status == "DELETE_IN_PROGRESS":
            return
        if status == "DELETE_FAILED":
            # What the stack could not delete (a full bucket, a custom resource whose function is
            # gone) is left behind and swept by its own resource type on the next pass.
            self.client.delete_stack(StackName=item.id, DeletionMode="FORCE_DELETE_STACK")
            return
        self.client.delete_stack(StackName=item.id)
