"""Classic Load Balancers (Elastic Load Balancing's first API). Listeners and policies go with them."""

from __future__ import annotations

from collections.abc import Iterator

from cleaner.registry import Item, Resource, resource, tags_of

# DescribeTags takes at most 20 names a call.
_TAGS_PER_CALL = 20


@resource("elb.load_balancer")
class ClassicLoadBalancer(Resource):
    in_vpc = True  # its network interfaces sit in the VPC's subnets
    iam_prefix = "elasticloadbalancing"

    def list(self) -> Iterator[Item]:
        for page in self.client.get_paginator("describe_load_balancers").paginate():
            balancers = page["LoadBalancerDescriptions"]
            tags = self._tags([b["LoadBalancerName"] for b in balancers])
            for balancer in balancers:
                name = balancer["LoadBalancerName"]
                yield Item(
                    id=name,
                    name=name,
                    tags=tags.get(name, {}),
                    created=balancer.get("CreatedTime"),
                    extra={"vpc": balancer.get("VPCId")},
                )

    def _tags(self, names: list[str]) -> dict[str, dict[str, str]]:
        found: dict[str, dict[str, str]] = {}
        for start in range(0, len(names), _TAGS_PER_CALL):
            answer = self.client.describe_tags(LoadBalancerNames=names[start : start + _TAGS_PER_CALL])
            for description in answer["TagDescriptions"]:
                found[description["LoadBalancerName"]] = tags_of(description.get("Tags"))
        return found

    def delete(self, item: Item) -> None:
        # Classic load balancers have no deletion protection; registered instances are let go.
        self.client.delete_load_balancer(LoadBalancerName=item.id)
