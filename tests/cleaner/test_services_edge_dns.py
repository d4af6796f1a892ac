"""The cleaner's DNS services against moto, in a member account of the Organization.

Route 53 (zones, traffic policies, DNSSEC, query logging) and its Resolver (query logs, DNS Firewall,
rules and endpoints). Same harness as test_services_app.py; where moto lacks a call, a stand-in that
keeps state answers for it (so the sweep really sees things go).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from cleaner.context import GLOBAL_REGION
from cleaner.services import route53, route53resolver
from tests.cleaner.edge_fakes import (
    account_fixture,  # noqa: F401 (the `account` fixture)
    at,
)
from tests.cleaner.test_services_app import RecordingContext, protected_items, sweep

# --- Route 53 --------------------------------------------------------------------------------------


def make_zone(context, name: str, *, records: int = 2, vpc: str = "") -> str:
    client = context.client("route53")
    params = {"Name": name, "CallerReference": str(uuid.uuid4())}
    if vpc:
        params |= {"VPC": {"VPCRegion": context.region, "VPCId": vpc}, "HostedZoneConfig": {"PrivateZone": True}}
    zone_id = client.create_hosted_zone(**params)["HostedZone"]["Id"].rsplit("/", 1)[-1]
    changes = [
        {
            "Action": "CREATE",
            "ResourceRecordSet": {
                "Name": f"host{i}.{name}",
                "Type": "A",
                "TTL": 60,
                "ResourceRecords": [{"Value": f"10.0.0.{i + 1}"}],
            },
        }
        for i in range(records)
    ]
    changes.append(
        {
            "Action": "CREATE",
            "ResourceRecordSet": {
                "Name": f"sub.{name}",
                "Type": "NS",
                "TTL": 60,
                "ResourceRecords": [{"Value": "ns.example.net."}],
            },
        }
    )
    client.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": changes})
    return zone_id


class TrafficPolicies:
    """Route 53 traffic policies (by version) and their instances, which moto lacks."""

    def __init__(self):
        self.versions: dict[str, list[int]] = {}
        self.instances: dict[str, str] = {}  # instance id → the policy it applies

    def install(self, stand_ins: dict) -> None:
        stand_ins["ListTrafficPolicyInstances"] = lambda params: {
            "TrafficPolicyInstances": [
                {"Id": i, "Name": f"{i}.shop.example.com.", "HostedZoneId": "Z1", "State": "Applied"}
                | {"TTL": 60, "Message": "", "TrafficPolicyId": p, "TrafficPolicyVersion": 1, "TrafficPolicyType": "A"}
                for i, p in self.instances.items()
            ],
            "IsTruncated": False,
            "MaxItems": "100",
        }
        stand_ins["DeleteTrafficPolicyInstance"] = self.delete_instance
        stand_ins["ListTrafficPolicies"] = lambda params: {
            "TrafficPolicySummaries": [
                {"Id": i, "Name": f"policy-{i}", "Type": "A", "LatestVersion": max(v), "TrafficPolicyCount": len(v)}
                for i, v in self.versions.items()
            ],
            "IsTruncated": False,
            "TrafficPolicyIdMarker": "",
            "MaxItems": "100",
        }
        stand_ins["ListTrafficPolicyVersions"] = lambda params: {
            "TrafficPolicies": [
                {"Id": params["Id"], "Version": v, "Name": "p", "Type": "A", "Document": "{}"}
                for v in self.versions[params["Id"]]
            ],
            "IsTruncated": False,
            "TrafficPolicyVersionMarker": "",
            "MaxItems": "100",
        }
        stand_ins["DeleteTrafficPolicy"] = self.delete_version

    def delete_instance(self, params: dict) -> dict:
        del self.instances[params["Id"]]
        return {}

    def delete_version(self, params: dict) -> dict:
        assert params["Id"] not in self.instances.values(), "Route 53 refuses: an instance still applies it"
        versions = self.versions[params["Id"]]
        versions.remove(params["Version"])
        if not versions:
            del self.versions[params["Id"]]
        return {}


def test_traffic_policy_instances_go_before_their_zone_and_policies_version_by_version(account):
    glob = at(account, GLOBAL_REGION)
    zone = make_zone(glob, "shop.example.com.", records=1)
    policies = TrafficPolicies()
    policies.install(glob.stand_ins)
    policies.versions = {"tp-1": [1, 2, 3]}
    policies.instances = {"tpi-1": "tp-1"}

    assert sweep(glob, route53) == {}

    assert policies.versions == {} and policies.instances == {}
    assert [p["Version"] for p in glob.params_of("DeleteTrafficPolicy")] == [1, 2, 3]
    assert glob.first("DeleteTrafficPolicyInstance") < glob.index("DeleteHostedZone", Id=zone)
    assert glob.first("DeleteTrafficPolicyInstance") < glob.first("DeleteTrafficPolicy")


def test_hosted_zones_lose_their_records_in_one_batch_then_go_with_their_health_checks(account):
    glob = at(account, GLOBAL_REGION)
    TrafficPolicies().install(glob.stand_ins)
    vpc = glob.client("ec2").create_vpc(CidrBlock="10.8.0.0/16")["Vpc"]["VpcId"]
    public = make_zone(glob, "shop.example.com.", records=3)
    private = make_zone(glob, "internal.example.", vpc=vpc)
    check = glob.client("route53").create_health_check(
        CallerReference="hc-1",
        HealthCheckConfig={"Type": "HTTPS", "FullyQualifiedDomainName": "shop.example.com", "Port": 443},
    )["HealthCheck"]["Id"]

    assert sweep(glob, route53) == {}

    batches = {p["HostedZoneId"]: p["ChangeBatch"]["Changes"] for p in glob.params_of("ChangeResourceRecordSets")}
    deleted = {(c["ResourceRecordSet"]["Name"], c["ResourceRecordSet"]["Type"]) for c in batches[public]}
    # The zone's own SOA and apex NS are left for AWS; a delegation NS below the apex goes.
    assert deleted == {
        ("host0.shop.example.com.", "A"),
        ("host1.shop.example.com.", "A"),
        ("host2.shop.example.com.", "A"),
        ("sub.shop.example.com.", "NS"),
    }
    assert all(c["Action"] == "DELETE" for c in batches[private])
    assert glob.index("ChangeResourceRecordSets", HostedZoneId=public) < glob.index("DeleteHostedZone", Id=public)
    assert {p["Id"] for p in glob.params_of("DeleteHostedZone")} == {public, private}
    assert glob.last("DeleteHostedZone") < glob.index("DeleteHealthCheck", HealthCheckId=check)


class Dnssec:
    """A signed zone's DNSSEC state, which moto cannot change: signing, and one active key-signing key."""

    def __init__(self, zone: str):
        self.zone, self.signing, self.keys = zone, True, {"ksk1": "ACTIVE"}

    def install(self, stand_ins: dict) -> None:
        stand_ins["GetDNSSEC"] = self.get
        stand_ins["DisableHostedZoneDNSSEC"] = lambda params: self.change(signing=False)
        stand_ins["DeactivateKeySigningKey"] = lambda params: self.change(key=params["Name"], status="INACTIVE")
        stand_ins["DeleteKeySigningKey"] = self.delete_key

    def get(self, params):
        if params["HostedZoneId"] != self.zone:
            return {"Status": {"ServeSignature": "NOT_SIGNING"}, "KeySigningKeys": []}
        keys = [{"Name": name, "Status": status} for name, status in self.keys.items()]
        return {"Status": {"ServeSignature": "SIGNING" if self.signing else "NOT_SIGNING"}, "KeySigningKeys": keys}

    def change(self, signing: bool | None = None, key: str = "", status: str = "") -> dict:
        if signing is not None:
            self.signing = signing
        if key:
            self.keys[key] = status
        return {"ChangeInfo": {"Id": "c", "Status": "PENDING", "SubmittedAt": datetime.now(UTC)}}

    def delete_key(self, params):
        assert self.keys[params["Name"]] == "INACTIVE", "Route 53 deletes no active key-signing key"
        del self.keys[params["Name"]]
        return self.change()


def test_a_signed_zone_stops_signing_and_loses_its_keys_and_query_logging_first(account):
    glob = at(account, GLOBAL_REGION)
    zone = make_zone(glob, "signed.example.com.", records=1)
    TrafficPolicies().install(glob.stand_ins)
    dnssec = Dnssec(zone)
    dnssec.install(glob.stand_ins)
    logs = glob.client("logs")
    logs.create_log_group(logGroupName="/aws/route53/signed.example.com")
    group = logs.describe_log_groups()["logGroups"][0]["arn"]
    config = glob.client("route53").create_query_logging_config(HostedZoneId=zone, CloudWatchLogsLogGroupArn=group)[
        "QueryLoggingConfig"
    ]["Id"]

    assert sweep(glob, route53) == {}

    assert dnssec.keys == {} and not dnssec.signing
    assert (
        glob.first("DisableHostedZoneDNSSEC")
        < glob.first("DeactivateKeySigningKey")
        < glob.first("DeleteKeySigningKey")
    )
    assert glob.first("DeleteKeySigningKey") < glob.index("DeleteHostedZone", Id=zone)
    assert glob.index("DeleteQueryLoggingConfig", Id=config) < glob.index("DeleteHostedZone", Id=zone)


def test_a_zone_another_service_made_for_itself_is_left_to_it(account):
    glob = at(account, GLOBAL_REGION)
    linked = {"ServicePrincipal": "servicediscovery.amazonaws.com", "Description": "namespace"}
    zones = {
        "HostedZones": [
            {"Id": "/hostedzone/Z1", "Name": "svc.local.", "CallerReference": "x", "LinkedService": linked}
        ],
        "IsTruncated": False,
        "MaxItems": "100",
        "Marker": "",
    }
    glob.stand_ins.update({"ListHostedZones": zones, "ListTagsForResources": {"ResourceTagSets": []}})
    TrafficPolicies().install(glob.stand_ins)
    glob.stand_ins["ListHealthChecks"] = {"HealthChecks": [], "IsTruncated": False, "MaxItems": "100", "Marker": ""}
    assert protected_items(glob, route53) == {
        "svc.local.": "managed by servicediscovery.amazonaws.com, deleted with what it belongs to"
    }


# --- Route 53 Resolver -------------------------------------------------------------------------------


def network(context) -> tuple[str, list[str], str]:
    ec2 = context.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    zones = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]][:2]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.9.{i}.0/24", AvailabilityZone=zone)["Subnet"]["SubnetId"]
        for i, zone in enumerate(zones)
    ]
    group = ec2.create_security_group(GroupName="dns", Description="dns", VpcId=vpc)["GroupId"]
    return vpc, subnets, group


class QueryLogConfigs:
    """Resolver's query log configurations, which moto can create and list but not disassociate or delete."""

    def __init__(self, context: RecordingContext):
        self.context = context
        self.associations: dict[str, list[str]] = {}
        self.deleted: set[str] = set()

    def install(self, stand_ins: dict) -> None:
        stand_ins.update(
            {
                "ListResolverQueryLogConfigs": self.list_configs,
                "ListResolverQueryLogConfigAssociations": self.list_associations,
                "DisassociateResolverQueryLogConfig": self.disassociate,
                "DeleteResolverQueryLogConfig": self.delete,
            }
        )

    def add(self, config_id: str, *vpcs: str) -> None:
        self.associations[config_id] = list(vpcs)

    def list_configs(self, params):
        configs = [
            {"Id": i, "Name": f"log-{i}", "OwnerId": self.context.account_id, "Status": "CREATED", "Arn": f"arn:{i}"}
            for i in self.associations
            if i not in self.deleted
        ]
        return {"ResolverQueryLogConfigs": configs, "TotalCount": len(configs)}

    def list_associations(self, params):
        (wanted,) = params["Filters"][0]["Values"]
        found = [
            {"ResolverQueryLogConfigId": wanted, "ResourceId": vpc, "Status": "ACTIVE"}
            for vpc in self.associations.get(wanted, [])
        ]
        return {"ResolverQueryLogConfigAssociations": found}

    def disassociate(self, params):
        self.associations[params["ResolverQueryLogConfigId"]].remove(params["ResourceId"])
        return {"ResolverQueryLogConfigAssociation": {"Id": "a", "Status": "DELETING"}}

    def delete(self, params):
        config = params["ResolverQueryLogConfigId"]
        assert not self.associations[config], "Resolver refuses to delete a configuration still logging VPCs"
        self.deleted.add(config)
        return {"ResolverQueryLogConfig": {"Id": config, "Status": "DELETING"}}


class DnsFirewall:
    """Route 53 Resolver DNS Firewall, which moto lacks: associations, rule groups with rules, domain lists."""

    def __init__(self, context: RecordingContext):
        self.account = context.account_id
        self.associations: dict[str, dict] = {}  # id → {"group", "protection", "manager"}
        self.groups: dict[str, dict] = {}  # id → {"owner", "rules": [domain list ids]}
        self.lists: dict[str, str] = {}  # id → managing owner ("" for the account's own)

    def install(self, stand_ins: dict) -> None:
        stand_ins.update(
            {
                "ListFirewallRuleGroupAssociations": lambda params: {
                    "FirewallRuleGroupAssociations": [
                        {"Id": i, "Name": i, "FirewallRuleGroupId": a["group"], "VpcId": "vpc-1", "Status": "COMPLETE"}
                        | {"MutationProtection": a["protection"]}
                        | ({"ManagedOwnerName": a["manager"]} if a["manager"] else {})
                        for i, a in self.associations.items()
                    ]
                },
                "UpdateFirewallRuleGroupAssociation": self.unprotect,
                "DisassociateFirewallRuleGroup": self.disassociate,
                "ListFirewallRuleGroups": lambda params: {
                    "FirewallRuleGroups": [{"Id": i, "Name": i, "OwnerId": g["owner"]} for i, g in self.groups.items()]
                },
                "ListFirewallRules": lambda params: {
                    "FirewallRules": [
                        {"FirewallRuleGroupId": params["FirewallRuleGroupId"], "FirewallDomainListId": d, "Name": d}
                        for d in self.groups[params["FirewallRuleGroupId"]]["rules"]
                    ]
                },
                "DeleteFirewallRule": self.delete_rule,
                "DeleteFirewallRuleGroup": self.delete_group,
                "ListFirewallDomainLists": lambda params: {
                    "FirewallDomainLists": [
                        {"Id": i, "Name": i} | ({"ManagedOwnerName": m} if m else {}) for i, m in self.lists.items()
                    ]
                },
                "DeleteFirewallDomainList": self.delete_list,
            }
        )

    def unprotect(self, params):
        self.associations[params["FirewallRuleGroupAssociationId"]]["protection"] = params["MutationProtection"]
        return {}

    def disassociate(self, params):
        association = self.associations[params["FirewallRuleGroupAssociationId"]]
        assert association["protection"] == "DISABLED", "Resolver refuses: mutation protection is on"
        del self.associations[params["FirewallRuleGroupAssociationId"]]
        return {}

    def delete_rule(self, params):
        self.groups[params["FirewallRuleGroupId"]]["rules"].remove(params["FirewallDomainListId"])
        return {}

    def delete_group(self, params):
        group = params["FirewallRuleGroupId"]
        assert not self.groups[group]["rules"], "Resolver refuses: the rule group holds rules"
        assert group not in {a["group"] for a in self.associations.values()}, "Resolver refuses: still associated"
        del self.groups[group]
        return {}

    def delete_list(self, params):
        used = {d for g in self.groups.values() for d in g["rules"]}
        assert params["FirewallDomainListId"] not in used, "Resolver refuses: a rule uses the list"
        del self.lists[params["FirewallDomainListId"]]
        return {}

    def fill(self) -> None:
        self.lists = {"dl-mine": "", "dl-aws-malware": "Route 53 Resolver DNS Firewall"}
        self.groups = {"rg-mine": {"owner": self.account, "rules": ["dl-mine", "dl-aws-malware"]}}
        self.groups["rg-shared"] = {"owner": "999999999999", "rules": []}
        self.associations = {
            "rga-mine": {"group": "rg-mine", "protection": "ENABLED", "manager": ""},
            "rga-fms": {"group": "rg-shared", "protection": "ENABLED", "manager": "AWS Firewall Manager"},
        }


def test_dns_firewall_associations_go_unprotected_then_emptied_rule_groups_then_domain_lists(account):
    firewall = DnsFirewall(account)
    firewall.install(account.stand_ins)
    firewall.fill()
    QueryLogConfigs(account).install(account.stand_ins)

    assert sweep(account, route53resolver) == {}

    assert set(firewall.associations) == {"rga-fms"} and set(firewall.groups) == {"rg-shared"}
    assert firewall.lists == {"dl-aws-malware": "Route 53 Resolver DNS Firewall"}
    assert account.first("UpdateFirewallRuleGroupAssociation") < account.first("DisassociateFirewallRuleGroup")
    assert account.last("DeleteFirewallRule") < account.first("DeleteFirewallRuleGroup")
    assert account.first("DeleteFirewallRuleGroup") < account.first("DeleteFirewallDomainList")
    assert protected_items(account, route53resolver) == {
        "rga-fms": "managed by AWS Firewall Manager",
        "rg-shared": "owned by 999999999999, shared with this account",
        "dl-aws-malware": "managed by Route 53 Resolver DNS Firewall",
    }


def test_resolver_rules_leave_their_vpcs_before_they_and_then_their_endpoint_go(account):
    DnsFirewall(account).install(account.stand_ins)
    vpc, subnets, group = network(account)
    client = account.client("route53resolver")
    endpoint = client.create_resolver_endpoint(
        CreatorRequestId="ep",
        Name="outbound",
        SecurityGroupIds=[group],
        Direction="OUTBOUND",
        IpAddresses=[{"SubnetId": s} for s in subnets],
    )["ResolverEndpoint"]["Id"]
    rule = client.create_resolver_rule(
        CreatorRequestId="rule",
        Name="corp",
        RuleType="FORWARD",
        DomainName="corp.example",
        TargetIps=[{"Ip": "192.168.0.2", "Port": 53}],
        ResolverEndpointId=endpoint,
    )["ResolverRule"]["Id"]
    client.associate_resolver_rule(ResolverRuleId=rule, VPCId=vpc)
    logs = QueryLogConfigs(account)
    logs.install(account.stand_ins)
    logs.add("rqlc-1", vpc)

    assert sweep(account, route53resolver) == {}

    assert account.params_of("DisassociateResolverRule") == [{"ResolverRuleId": rule, "VPCId": vpc}]
    assert account.first("DisassociateResolverRule") < account.first("DeleteResolverRule")
    assert account.first("DeleteResolverRule") < account.index("DeleteResolverEndpoint", ResolverEndpointId=endpoint)
    assert account.params_of("DisassociateResolverQueryLogConfig") == [
        {"ResolverQueryLogConfigId": "rqlc-1", "ResourceId": vpc}
    ]
    assert logs.deleted == {"rqlc-1"}


def test_resolvers_own_rules_and_those_shared_with_the_account_are_never_touched(account):
    DnsFirewall(account).install(account.stand_ins)
    rules = [
        {"Id": "rslvr-autodefined-rr-internet-resolver", "Name": "Internet Resolver", "RuleType": "RECURSIVE"},
        {"Id": "rslvr-autodefined-rr-1", "Name": "Internet Resolver", "RuleType": "SYSTEM"},
        {"Id": "rslvr-rr-shared", "Name": "corp", "RuleType": "FORWARD", "OwnerId": "999999999999"},
        {"Id": "rslvr-rr-mine", "Name": "AWS-Internet Resolver", "RuleType": "FORWARD"},
    ]
    rules[0]["OwnerId"] = rules[1]["OwnerId"] = "Route 53 Resolver"
    rules[3]["OwnerId"] = account.account_id
    account.stand_ins["ListResolverRules"] = {"ResolverRules": rules}
    found = {item.id: item.protected for item in route53resolver.Rule(account).list()}
    assert found == {
        "rslvr-autodefined-rr-internet-resolver": "Route 53 Resolver's own rule",
        "rslvr-autodefined-rr-1": "Route 53 Resolver's own rule",
        "rslvr-rr-shared": "owned by 999999999999, shared with this account",
        "rslvr-rr-mine": "",
    }
