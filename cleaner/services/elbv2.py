"""Elastic Load Balancing v2: application, network and gateway load balancers, target groups.

Listeners and their rules are deleted by AWS with their load balancer.
"""

from __future__ import annotations

from collections.abc import Iterator

from cleaner.registry import Item, Resource, resource, tags_of

# DescribeTags takes at most 20 ARNs a call.
_TAGS_PER_CALL = 20


def tags_by_arn(client, arns: list[str]) -> dict[str, dict[str, str]]:
    """The tags of up to a page of load balancers or target groups, 20 ARNs a call."""
    found: dict[str, dict[str, str]] = {}
    for start in range(0, len(arns), _TAGS_PER_CALL):
        answer = client.describe_tags(ResourceArns=arns[start : start + _TAGS_PER_CALL])
        for description in answer["TagDescriptions"]:
            found[description["ResourceArn"]] = tags_of(description.get("Tags"))
    return found


# An API Gateway VPC link (v1) or an endpoint service points at a load balancer: AWS will not delete it under them.
@resource("elbv2.load_balancer", depends_on=["apigateway.vpc_link", "ec2.vpc_endpoint_service"])
class LoadBalancer(Resource):
    def list(self) -> Iterator[Item]:
        for page in self.client.get_paginator("describe_load_balancers").paginate():
            balancers = page["LoadBalancers"]
            tags = tags_by_arn(self.client, [b["LoadBalancerArn"] for b in balancers])
            for balancer in balancers:
                arn = balancer["LoadBalancerArn"]
                yield Item(
                    id=arn,
                    name=balancer["LoadBalancerName"],
                    tags=tags.get(arn, {}),
                    created=balancer.get("CreatedTime"),
                    extra={"type": balancer.get("Type", "")},
                )

    def prepare(self, item: Item) -> None:
        attributes = self.client.describe_load_balancer_attributes(LoadBalancerArn=item.id)["Attributes"]
        if {a["Key"]: a["Value"] for a in attributes}.get("deletion_protection.enabled") == "true":
            self.client.modify_load_balancer_attributes(
                LoadBalancerArn=item.id, Attributes=[{"Key": "deletion_protection.enabled", "Value": "false"}]
            )

    def delete(self, item: Item) -> None:
        self.client.delete_load_balancer(LoadBalancerArn=item.id)


@resource("elbv2.target_group", depends_on=["elbv2.load_balancer", "autoscaling.group"])
class TargetGroup(Resource):
    # AWS refuses to delete a target group a listener rule forwards to; groups that register
    # their instances in it hold it too.

    def list(self) -> Iterator[Item]:
        for page in self.client.get_paginator("describe_target_groups").paginate():
            groups = page["TargetGroups"]
            tags = tags_by_arn(self.client, [g["TargetGroupArn"] for g in groups])
            for group in groups:
                arn = group["TargetGroupArn"]
                yield Item(id=arn, name=group["TargetGroupName"], tags=tags.get(arn, {}))

    def delete(self, item: Item) -> None:
        self.client.delete_target_group(TargetGroupArn=item.id)
