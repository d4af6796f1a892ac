"""Whether a resource belongs to a stack the cleaner never deletes (StackSets', Control Tower's).

Control Tower and StackSets put their baseline into each member account as stacks: a Config
recorder and delivery channel, Config rules (its detective controls), in older landing zones a
trail. The stack is the Organization's, and so is what it made: deleting that breaks the baseline
and its drift checks. CloudFormation says which stack made a resource, by the resource's physical
id; AWS answers ValidationError for one no stack made.
"""

from __future__ import annotations

from botocore.exceptions import ClientError

from cleaner.services.cloudformation import protection_of


def stack_protection(context, physical_id: str) -> str:
    """Why the resource must stay because a protected stack made it ("" when no such stack did)."""
    client = context.client("cloudformation")
    try:
        resources = client.describe_stack_resources(PhysicalResourceId=physical_id)["StackResources"]
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ValidationError":
            return ""
        raise
    for resource in resources:
        reason = protection_of(resource.get("StackName", ""))
        if reason:
            return f"made by stack {resource['StackName']} ({reason})"
    return ""
