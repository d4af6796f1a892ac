"""ECS capacity providers: after the clusters, which let go of them first (ecs.py).

A capacity provider is deleted asynchronously: one that is DELETE_IN_PROGRESS is listed, not asked
again; once INACTIVE it is gone, though AWS lists it a while longer.
"""

from __future__ import annotations

from cleaner.registry import Item, Resource, resource
from cleaner.services.ecs import ecs_tags

# FARGATE and FARGATE_SPOT are AWS's, in every account (names beginning "aws", "ecs" or "fargate"
# are refused to anyone else). The others wrap an Auto Scaling group, which is the autoscaling
# types' to delete.
AWS_CAPACITY_PROVIDERS = {"FARGATE", "FARGATE_SPOT"}


@resource("ecs.capacity_provider", depends_on=["ecs.service", "ecs.cluster"])
class CapacityProvider(Resource):
    def list(self):
        token = None
        while True:  # DescribeCapacityProviders pages by hand: boto3 has no paginator for it
            page = self.describe(token)
            for provider in page["capacityProviders"]:
                if provider.get("status") == "INACTIVE" and provider.get("updateStatus") != "DELETE_IN_PROGRESS":
                    continue  # deleted; AWS lists it for a while
                name = provider["name"]
                yield Item(
                    id=provider["capacityProviderArn"],
                    name=name,
                    tags=ecs_tags(provider),
                    extra={"status": provider.get("updateStatus")},
                    protected="AWS's own capacity provider" if name in AWS_CAPACITY_PROVIDERS else "",
                )
            token = page.get("nextToken")
            if not token:
                return

    def describe(self, token: str | None) -> dict:
        try:
            return self.client.describe_capacity_providers(include=["TAGS"], **({"nextToken": token} if token else {}))
        except TypeError as error:
            # moto (tests, the local stack) answers only for the names it is given, and crashes
            # without them; AWS lists them all. Nothing AWS answers raises a TypeError here.
            raise NotImplementedError("this endpoint cannot list capacity providers") from error

    def delete(self, item):
        if item.extra.get("status") == "DELETE_IN_PROGRESS":
            return
        self.client.delete_capacity_provider(capacityProvider=item.id)
