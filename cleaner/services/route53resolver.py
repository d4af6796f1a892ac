"""Route 53 Resolver (regional): rules, endpoints, query log configurations and DNS Firewall.

A rule associated with VPCs, or a query log configuration still logging VPCs, is refused: their
associations go first. A forwarding rule sends through an outbound endpoint, which AWS will not
delete while rules use it. Never touched, by what they are: AWS's own rules (RuleType SYSTEM or
owned by "Route 53 Resolver", e.g. "Internet Resolver") and whatever another account shared with
this one (its owner is not this account; only the owner can delete it).
"""

from __future__ import annotations

from collections.abc import Iterator

from cleaner.registry import Item, Resource, resource

GOING = {"DELETING"}
# The owner AWS gives the rules it defines in every VPC (an account id otherwise).
RESOLVER_ITSELF = "Route 53 Resolver"


class _Resolver(Resource):
    def each(self, operation: str, key: str, **params) -> Iterator[dict]:
        for page in self.client.get_paginator(operation).paginate(**params):
            yield from page.get(key, ())

    def shared_by_another(self, raw: dict) -> str:
        owner = raw.get("OwnerId")
        if owner and owner != self.context.account_id:
            return f"owned by {owner}, shared with this account"
        return ""

    def delete(self, item: Item) -> None:
        if item.extra.get("status") in GOING:
            return
        self.delete_now(item)

    def delete_now(self, item: Item) -> None:
        raise NotImplementedError


@resource("route53resolver.rule")
class Rule(_Resolver):
    def list(self) -> Iterator[Item]:
        for rule in self.each("list_resolver_rules", "ResolverRules"):
            protected = self.shared_by_another(rule)
            # "Internet Resolver" is RECURSIVE, the reverse-lookup ones SYSTEM: AWS's by their owner.
            if rule.get("RuleType") == "SYSTEM" or rule.get("OwnerId") == RESOLVER_ITSELF:
                protected = "Route 53 Resolver's own rule"
            yield Item(
                id=rule["Id"],
                name=rule.get("Name") or rule.get("DomainName", rule["Id"]),
                extra={"arn": rule.get("Arn"), "status": rule.get("Status")},
                protected=protected,
            )

    def prepare(self, item: Item) -> None:
        associations = self.each(
            "list_resolver_rule_associations",
            "ResolverRuleAssociations",
            Filters=[{"Name": "ResolverRuleId", "Values": [item.id]}],
        )
        for association in associations:
            if association.get("Status") not in ("DELETING", "DELETED"):
                self.client.disassociate_resolver_rule(ResolverRuleId=item.id, VPCId=association["VPCId"])

    def delete_now(self, item: Item) -> None:
        self.client.delete_resolver_rule(ResolverRuleId=item.id)


@resource("route53resolver.endpoint", depends_on=["route53resolver.rule"])
class Endpoint(_Resolver):
    in_vpc = True  # its network interfaces sit in the VPC's subnets

    def list(self) -> Iterator[Item]:
        for endpoint in self.each("list_resolver_endpoints", "ResolverEndpoints"):
            yield Item(
                id=endpoint["Id"],
                name=endpoint.get("Name") or endpoint["Id"],
                extra={"arn": endpoint.get("Arn"), "status": endpoint.get("Status")},
            )

    def delete_now(self, item: Item) -> None:
        self.client.delete_resolver_endpoint(ResolverEndpointId=item.id)


@resource("route53resolver.query_log_config")
class QueryLogConfig(_Resolver):
    def list(self) -> Iterator[Item]:
        for config in self.each("list_resolver_query_log_configs", "ResolverQueryLogConfigs"):
            yield Item(
                id=config["Id"],
                name=config.get("Name") or config["Id"],
                extra={"arn": config.get("Arn"), "status": config.get("Status")},
                protected=self.shared_by_another(config),
            )

    def prepare(self, item: Item) -> None:
        associations = self.each(
            "list_resolver_query_log_config_associations",
            "ResolverQueryLogConfigAssociations",
            Filters=[{"Name": "ResolverQueryLogConfigId", "Values": [item.id]}],
        )
        for association in associations:
            if association.get("Status") not in ("DELETING", "DELETED", "FAILED"):
                self.client.disassociate_resolver_query_log_config(
                    ResolverQueryLogConfigId=item.id, ResourceId=association["ResourceId"]
                )

    def delete_now(self, item: Item) -> None:
        self.client.delete_resolver_query_log_config(ResolverQueryLogConfigId=item.id)


# --- DNS Firewall: associations with VPCs, then rule groups (emptied of their rules), then domain lists.


@resource("route53resolver.firewall_rule_group_association")
class FirewallRuleGroupAssociation(_Resolver):
    """A rule group's association with a VPC (billed per hour). One with mutation protection on is
    refused until it is switched off; one another service manages (Firewall Manager) is its."""

    def list(self) -> Iterator[Item]:
        for association in self.each("list_firewall_rule_group_associations", "FirewallRuleGroupAssociations"):
            manager = association.get("ManagedOwnerName")
            yield Item(
                id=association["Id"],
                name=association.get("Name") or association["Id"],
                created=association.get("CreationTime"),
                extra={
                    "arn": association.get("Arn"),
                    "status": association.get("Status"),
                    "protection": association.get("MutationProtection"),
                },
                protected=f"managed by {manager}" if manager else "",
            )

    def prepare(self, item: Item) -> None:
        if item.extra.get("protection") == "ENABLED" and item.extra.get("status") not in GOING:
            self.client.update_firewall_rule_group_association(
                FirewallRuleGroupAssociationId=item.id, MutationProtection="DISABLED"
            )

    def delete_now(self, item: Item) -> None:
        self.client.disassociate_firewall_rule_group(FirewallRuleGroupAssociationId=item.id)


@resource("route53resolver.firewall_rule_group", depends_on=["route53resolver.firewall_rule_group_association"])
class FirewallRuleGroup(_Resolver):
    # The fields of a rule that name it within its group, where it has them.
    RULE_KEYS = ("FirewallDomainListId", "FirewallThreatProtectionId", "Qtype")

    def list(self) -> Iterator[Item]:
        for group in self.each("list_firewall_rule_groups", "FirewallRuleGroups"):
            yield Item(
                id=group["Id"],
                name=group.get("Name") or group["Id"],
                extra={"arn": group.get("Arn")},
                protected=self.shared_by_another(group),
            )

    def prepare(self, item: Item) -> None:
        # AWS deletes no rule group that still holds rules.
        for rule in self.each("list_firewall_rules", "FirewallRules", FirewallRuleGroupId=item.id):
            keys = {key: rule[key] for key in self.RULE_KEYS if rule.get(key)}
            self.client.delete_firewall_rule(FirewallRuleGroupId=item.id, **keys)

    def delete_now(self, item: Item) -> None:
        self.client.delete_firewall_rule_group(FirewallRuleGroupId=item.id)


@resource("route53resolver.firewall_domain_list", depends_on=["route53resolver.firewall_rule_group"])
class FirewallDomainList(_Resolver):
    def list(self) -> Iterator[Item]:
        for domain_list in self.each("list_firewall_domain_lists", "FirewallDomainLists"):
            manager = domain_list.get("ManagedOwnerName")
            yield Item(
                id=domain_list["Id"],
                name=domain_list.get("Name") or domain_list["Id"],
                extra={"arn": domain_list.get("Arn"), "status": domain_list.get("Status")},
                protected=f"managed by {manager}" if manager else "",
            )

    def delete_now(self, item: Item) -> None:
        self.client.delete_firewall_domain_list(FirewallDomainListId=item.id)
