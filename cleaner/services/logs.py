"""CloudWatch Logs: log groups.

DescribeLogGroups and DeleteLogGroup allow 5 calls a second per account and region; the pacer
(cleaner/context.py, OPERATION_RATES) keeps to that.
"""

from __future__ import annotations

from datetime import UTC, datetime

from cleaner.registry import Item, Resource, resource


@resource("logs.log_group")
class LogGroup(Resource):
    def list(self):
        for page in self.client.get_paginator("describe_log_groups").paginate():
            for group in page["logGroups"]:
                name = group["logGroupName"]
                # "arn" ends in ":*" (every stream); the tagging API wants the group's own ARN.
                arn = group.get("logGroupArn") or group["arn"].removesuffix(":*")
                yield Item(
                    id=name,
                    name=name,
                    # With the stack's aws:cloudformation:stack-id: what a StackSet deployed stays.
                    tags=self.client.list_tags_for_resource(resourceArn=arn).get("tags", {}),
                    created=datetime.fromtimestamp(group["creationTime"] / 1000, tz=UTC),
                    extra={"deletion_protection": group.get("deletionProtectionEnabled", False)},
                )

    def prepare(self, item):
        if item.extra.get("deletion_protection"):
            self.client.put_log_group_deletion_protection(logGroupIdentifier=item.id, deletionProtectionEnabled=False)

    def delete(self, item):
        self.client.delete_log_group(logGroupName=item.id)
