"""Network Firewall: firewalls (delete protection off first), then their policies, then the rule
groups and TLS inspection configurations those policies used.

AWS refuses to delete a policy a firewall uses, and a rule group or TLS configuration a policy
uses. Everything is deleted asynchronously: "DELETING" stays listed a while, and is not asked again.
"""

from __future__ import annotations

from collections.abc import Iterator

from cleaner.registry import Item, Resource, resource
from cleaner.services._offered import offered

GOING = "DELETING"


class _NetworkFirewall(Resource):
    def delete(self, item: Item) -> None:
        if item.extra.get("state") == GOING:
            return
        self.delete_now(item)

    def delete_now(self, item: Item) -> None:
        raise NotImplementedError


@resource("network-firewall.firewall")
class Firewall(_NetworkFirewall):
    in_vpc = True  # its network interfaces sit in the VPC's subnets
    gone_within = 600

    def list(self) -> Iterator[Item]:
        with offered(self.type):
            for page in self.client.get_paginator("list_firewalls").paginate():
                for summary in page["Firewalls"]:
                    answer = self.client.describe_firewall(FirewallArn=summary["FirewallArn"])
                    firewall = answer.get("Firewall") or {}
                    yield Item(
                        id=summary["FirewallArn"],
                        name=summary.get("FirewallName", ""),
                        tags={t["Key"]: t.get("Value", "") for t in firewall.get("Tags") or ()},
                        extra={
                            "state": (answer.get("FirewallStatus") or {}).get("Status"),
                            "delete_protection": firewall.get("DeleteProtection", False),
                        },
                    )

    def prepare(self, item: Item) -> None:
        if item.extra.get("delete_protection") and item.extra.get("state") != GOING:
            self.client.update_firewall_delete_protection(FirewallArn=item.id, DeleteProtection=False)

    def delete_now(self, item: Item) -> None:
        self.client.delete_firewall(FirewallArn=item.id)


@resource("network-firewall.firewall_policy", depends_on=["network-firewall.firewall"])
class FirewallPolicy(_NetworkFirewall):
    def list(self) -> Iterator[Item]:
        with offered(self.type):
            for page in self.client.get_paginator("list_firewall_policies").paginate():
                for summary in page["FirewallPolicies"]:
                    answer = self.client.describe_firewall_policy(FirewallPolicyArn=summary["Arn"])
                    policy = answer.get("FirewallPolicyResponse") or {}
                    yield Item(
                        id=summary["Arn"],
                        name=summary.get("Name", ""),
                        tags={t["Key"]: t.get("Value", "") for t in policy.get("Tags") or ()},
                        extra={"state": policy.get("FirewallPolicyStatus")},
                    )

    def delete_now(self, item: Item) -> None:
        self.client.delete_firewall_policy(FirewallPolicyArn=item.id)


@resource("network-firewall.rule_group", depends_on=["network-firewall.firewall_policy"])
class RuleGroup(_NetworkFirewall):
    def list(self) -> Iterator[Item]:
        with offered(self.type):
            # The account's own groups only: AWS's managed ones are listed under Scope MANAGED.
            for page in self.client.get_paginator("list_rule_groups").paginate(Scope="ACCOUNT"):
                for summary in page["RuleGroups"]:
                    answer = self.client.describe_rule_group(RuleGroupArn=summary["Arn"])
                    group = answer.get("RuleGroupResponse") or {}
                    yield Item(
                        id=summary["Arn"],
                        name=summary.get("Name", ""),
                        tags={t["Key"]: t.get("Value", "") for t in group.get("Tags") or ()},
                        extra={"state": group.get("RuleGroupStatus")},
                    )

    def delete_now(self, item: Item) -> None:
        self.client.delete_rule_group(RuleGroupArn=item.id)


@resource("network-firewall.tls_inspection_configuration", depends_on=["network-firewall.firewall_policy"])
class TlsInspectionConfiguration(_NetworkFirewall):
    def list(self) -> Iterator[Item]:
        with offered(self.type):
            for page in self.client.get_paginator("list_tls_inspection_configurations").paginate():
                for summary in page["TLSInspectionConfigurations"]:
                    yield Item(id=summary["Arn"], name=summary.get("Name", ""))

    def delete_now(self, item: Item) -> None:
        self.client.delete_tls_inspection_configuration(TLSInspectionConfigurationArn=item.id)
