"""Which stack made a resource that carries no tags (a Config recorder, a trail): CloudFormation says, by
the resource's physical id.

Control Tower and StackSets put their baseline into each member account as stacks: a Config
recorder and delivery channel, Config rules (its detective controls), in older landing zones a
trail. Whether such a stack is the Organization's is decided by identity, in cleaner.safety (the
stacks the management account's StackSets list in this account), never by the stack's name: the
module only says which stack it is, in Item.extra["stack_id"]. AWS answers ValidationError for a
resource no stack made.
"""

from __future__ import annotations

from botocore.exceptions import ClientError


def owning_stack(context, physical_id: str) -> str:
    """The id of the stack that made this resource ("" when none did)."""
    client = context.client("cloudformation")
    try:
        resources = client.describe_stack_resources(PhysicalResourceId=physical_id)["StackResources"]
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ValidationError":
            return ""
        raise
    return next((r["StackId"] for r in resources if r.get("StackId")), "")
