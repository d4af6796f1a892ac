"""Cloud9: environments.

Deleting an EC2 environment also terminates its instance and deletes its "aws-cloud9-…"
CloudFormation stack, asynchronously: an environment that is deleting stays listed.
"""

from __future__ import annotations

from botocore.exceptions import ClientError

from cleaner.answers import no_such_api
from cleaner.registry import Item, Resource, resource, tags_of

# DescribeEnvironments takes at most this many ids.
DESCRIBE_BATCH = 25


def not_offered(error: ClientError) -> bool:
    """moto, which lacks Cloud9, answers a bare 404 in tests and in the local stack; without this the
    type's listing would fail on every scan and no sweep there could ever finish clean."""
    return no_such_api(error)


@resource("cloud9.environment")
class Environment(Resource):
    def list(self):
        try:
            ids = [
                id_
                for page in self.client.get_paginator("list_environments").paginate()
                for id_ in page["environmentIds"]
            ]
        except ClientError as error:
            if not_offered(error):
                # The engine reports a type that raises this as not offered here, and sweeps on.
                raise NotImplementedError("Cloud9 is not offered by this endpoint") from error
            raise
        for start in range(0, len(ids), DESCRIBE_BATCH):
            found = self.client.describe_environments(environmentIds=ids[start : start + DESCRIBE_BATCH])
            for environment in found["environments"]:
                tags = self.client.list_tags_for_resource(ResourceARN=environment["arn"]).get("Tags")
                # Environments keep no creation time.
                yield Item(
                    id=environment["id"],
                    name=environment.get("name", ""),
                    tags=tags_of(tags),
                    extra={"status": environment.get("lifecycle", {}).get("status")},
                )

    def delete(self, item):
        if item.extra.get("status") == "DELETING":
            return
        self.client.delete_environment(environmentId=item.id)
