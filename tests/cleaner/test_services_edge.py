"""The cleaner's edge and security services against moto, in a member account of the Organization.

Route 53 and its Resolver, ACM and private CAs, CloudFront, WAFv2 in both scopes, SES, CloudTrail,
Config, GuardDuty, Security Hub, Access Analyzer, IAM's federation objects and RAM. Same harness as
test_services_app.py; where moto lacks a call, a stand-in that keeps state answers for it (so the
sweep really sees things go), or botocore's Stubber plays the whole API (Access Analyzer).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from cleaner.context import GLOBAL_REGION
from cleaner.registry import Item
from cleaner.services import (
    accessanalyzer,
    acm,
    awsconfig,
    cloudfront,
    cloudtrail,
    guardduty,
    iam_federation,
    ram,
    route53,
    route53resolver,
    securityhub,
    ses,
    wafv2,
)
from tests.cleaner.test_services_app import REGION, RecordingContext, member_account, protected_items, sweep


@pytest.fixture
def account():
    with member_account() as context:
        yield context


def at(context: RecordingContext, region: str, **stand_ins) -> RecordingContext:
    """The same account in another region (sharing the record of calls)."""
    return RecordingContext(
        account_id=context.account_id, region=region, calls=context.calls, stand_ins=stand_ins or context.stand_ins
    )


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


# --- ACM and private CAs -------------------------------------------------------------------------------


def test_certificates_of_every_key_type_go(account):
    client = account.client("acm")
    rsa = client.request_certificate(DomainName="shop.example.com", ValidationMethod="DNS")["CertificateArn"]
    ec = client.request_certificate(DomainName="api.example.com", ValidationMethod="DNS", KeyAlgorithm="EC_prime256v1")[
        "CertificateArn"
    ]

    assert sweep(account, acm) == {}

    # Without Includes, ListCertificates shows RSA-2048 certificates only: the EC one would stay.
    assert "EC_prime256v1" in account.params_of("ListCertificates")[0]["Includes"]["keyTypes"]
    assert {p["CertificateArn"] for p in account.params_of("DeleteCertificate")} == {rsa, ec}


def test_a_private_ca_is_disabled_then_deleted_with_the_shortest_restore_window(account):
    client = account.client("acm-pca")
    config = {
        "KeyAlgorithm": "RSA_2048",
        "SigningAlgorithm": "SHA256WITHRSA",
        "Subject": {"CommonName": "workshop-root"},
    }
    active = client.create_certificate_authority(
        CertificateAuthorityConfiguration=config, CertificateAuthorityType="ROOT"
    )["CertificateAuthorityArn"]
    client.update_certificate_authority(CertificateAuthorityArn=active, Status="ACTIVE")
    pending = client.create_certificate_authority(
        CertificateAuthorityConfiguration=config | {"Subject": {"CommonName": "pending"}},
        CertificateAuthorityType="SUBORDINATE",
    )["CertificateAuthorityArn"]

    assert sweep(account, acm) == {}

    assert account.params_of("UpdateCertificateAuthority")[-1] == {
        "CertificateAuthorityArn": active,
        "Status": "DISABLED",
    }
    assert account.index("UpdateCertificateAuthority", Status="DISABLED") < account.index(
        "DeleteCertificateAuthority", CertificateAuthorityArn=active
    )
    deletes = account.params_of("DeleteCertificateAuthority")
    assert {p["CertificateAuthorityArn"] for p in deletes} == {active, pending}
    assert {p["PermanentDeletionTimeInDays"] for p in deletes} == {7}
    # The pending CA was deleted as it was: only an active CA needs disabling.
    assert len(account.params_of("UpdateCertificateAuthority")) == 2


# --- CloudFront ------------------------------------------------------------------------------------------


def distribution_config(reference: str, *, oac: str = "", web_acl: str = "") -> dict:
    origin = {"Id": "site", "DomainName": "site.s3.amazonaws.com", "S3OriginConfig": {"OriginAccessIdentity": ""}}
    if oac:
        origin["OriginAccessControlId"] = oac
    config = {
        "CallerReference": reference,
        "Comment": "workshop",
        "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [origin]},
        "DefaultCacheBehavior": {
            "TargetOriginId": "site",
            "ViewerProtocolPolicy": "redirect-to-https",
            "MinTTL": 0,
            "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}},
        },
    }
    if web_acl:
        config["WebACLId"] = web_acl
    return config


def _summary(kind: str, config: str):
    """How a CloudFront list answer shows one object of a kind with a named configuration."""
    return lambda object_id, name: {kind: {"Id": object_id, config: {"Name": name}}}


class CloudFrontExtras:
    """What moto's CloudFront lacks — origin access identities, the policies, real-time log
    configurations, VPC origins, key groups' deletion — kept as state the sweep changes, each object
    with a version (ETag) that deletes must name (real-time log configurations have none)."""

    KINDS = {  # kind → (its list call, the list in the answer, how the answer shows one)
        "CloudFrontOriginAccessIdentity": (
            "ListCloudFrontOriginAccessIdentities",
            "CloudFrontOriginAccessIdentityList",
            lambda i, n: {"Id": i, "S3CanonicalUserId": "x", "Comment": n},
        ),
        "CachePolicy": ("ListCachePolicies", "CachePolicyList", _summary("CachePolicy", "CachePolicyConfig")),
        "OriginRequestPolicy": (
            "ListOriginRequestPolicies",
            "OriginRequestPolicyList",
            _summary("OriginRequestPolicy", "OriginRequestPolicyConfig"),
        ),
        "ResponseHeadersPolicy": (
            "ListResponseHeadersPolicies",
            "ResponseHeadersPolicyList",
            _summary("ResponseHeadersPolicy", "ResponseHeadersPolicyConfig"),
        ),
        "ContinuousDeploymentPolicy": (
            "ListContinuousDeploymentPolicies",
            "ContinuousDeploymentPolicyList",
            lambda i, n: {
                "ContinuousDeploymentPolicy": {
                    "Id": i,
                    "ContinuousDeploymentPolicyConfig": {"StagingDistributionDnsNames": {"Items": [n]}},
                }
            },
        ),
        "RealtimeLogConfig": ("ListRealtimeLogConfigs", "RealtimeLogConfigs", lambda i, n: {"Name": i, "ARN": n}),
        "VpcOrigin": ("ListVpcOrigins", "VpcOriginList", lambda i, n: {"Id": i, "Name": n, "Status": "Deployed"}),
        "KeyGroup": ("ListKeyGroups", "KeyGroupList", _summary("KeyGroup", "KeyGroupConfig")),
    }

    def __init__(self):
        self.objects: dict[str, dict[str, str]] = {kind: {} for kind in self.KINDS}
        self.list_params: list[dict] = []

    def add(self, kind: str, object_id: str, name: str) -> None:
        self.objects[kind][object_id] = name

    def install(self, stand_ins: dict) -> None:
        for kind, (list_call, _, _) in self.KINDS.items():
            stand_ins[list_call] = lambda params, kind=kind: self.listing(kind, params)
            stand_ins[f"Get{kind}"] = lambda params, kind=kind: {"ETag": f"E-{params['Id']}"}
            stand_ins[f"Delete{kind}"] = lambda params, kind=kind: self.delete(kind, params)

    def listing(self, kind: str, params: dict) -> dict:
        self.list_params.append(params)
        _, key, shown = self.KINDS[kind]
        items = [shown(i, n) for i, n in self.objects[kind].items()]
        return {key: {"Items": items, "Quantity": len(items), "MaxItems": 100, "Marker": "", "IsTruncated": False}}

    def delete(self, kind: str, params: dict) -> dict:
        if kind == "RealtimeLogConfig":
            del self.objects[kind][params["Name"]]
            return {}
        assert params["IfMatch"] == f"E-{params['Id']}", "CloudFront deletes only the version it is told"
        del self.objects[kind][params["Id"]]
        return {}


def test_distributions_are_disabled_deployed_and_deleted_before_what_they_use(account):
    glob = at(account, GLOBAL_REGION)
    client = glob.client("cloudfront")
    oac = client.create_origin_access_control(
        OriginAccessControlConfig={
            "Name": "site-oac",
            "SigningProtocol": "sigv4",
            "SigningBehavior": "always",
            "OriginAccessControlOriginType": "s3",
        }
    )["OriginAccessControl"]["Id"]
    distribution = client.create_distribution(DistributionConfig=distribution_config("d1", oac=oac))["Distribution"]
    client.create_function(
        Name="rewrite",
        FunctionConfig={"Comment": "", "Runtime": "cloudfront-js-2.0"},
        FunctionCode=b"function handler(event) { return event.request; }",
    )
    store = client.create_key_value_store(Name="redirects")["KeyValueStore"]["Name"]
    key = client.create_public_key(
        PublicKeyConfig={"CallerReference": "k", "Name": "signer", "EncodedKey": "-----BEGIN PUBLIC KEY-----x"}
    )["PublicKey"]["Id"]
    extras = CloudFrontExtras()
    for kind in CloudFrontExtras.KINDS:
        extras.add(kind, f"{kind[:4]}1", f"mine-{kind}")
    extras.install(glob.stand_ins)

    assert sweep(glob, cloudfront) == {}

    update = glob.params_of("UpdateDistribution")[0]
    assert update["Id"] == distribution["Id"] and update["DistributionConfig"]["Enabled"] is False
    assert glob.first("UpdateDistribution") < glob.first("DeleteDistribution")
    assert glob.params_of("DeleteDistribution")[0]["IfMatch"]
    for operation in ("DeleteOriginAccessControl", "DeleteFunction", "DeleteCachePolicy", "DeleteKeyGroup"):
        assert glob.first("DeleteDistribution") < glob.first(operation)
    assert glob.first("DeleteKeyGroup") < glob.index("DeletePublicKey", Id=key)
    assert glob.params_of("DeleteRealtimeLogConfig") == [{"Name": "Real1"}]
    assert glob.params_of("DeleteVpcOrigin") == [{"Id": "VpcO1", "IfMatch": "E-VpcO1"}]
    for operation in ("DeleteRealtimeLogConfig", "DeleteVpcOrigin", "DeleteContinuousDeploymentPolicy"):
        assert glob.first("DeleteDistribution") < glob.first(operation)
    # A key value store goes after the functions that read it, named with its ETag too.
    assert glob.first("DeleteFunction") < glob.index("DeleteKeyValueStore", Name=store)
    assert glob.params_of("DeleteKeyValueStore")[0]["IfMatch"]
    assert all(objects == {} for objects in extras.objects.values())
    # AWS's managed policies are every account's: only custom ones are asked for.
    assert {p.get("Type") for p in extras.list_params if "Type" in p} == {"custom"}


def test_kinds_of_cloudfront_object_the_endpoint_does_not_know_are_not_offered_there(account):
    # moto answers a bare 404 for origin access identities and the policies: the engine's "not offered".
    glob = at(account, GLOBAL_REGION)
    with pytest.raises(NotImplementedError):
        list(cloudfront.CachePolicy(glob).list())
    with pytest.raises(NotImplementedError):
        list(cloudfront.OriginAccessIdentity(glob).list())


def test_a_distribution_still_deploying_its_disabling_is_not_deleted_yet(account):
    glob = at(account, GLOBAL_REGION)
    deploying = {"Id": "E1", "Status": "InProgress", "DistributionConfig": {"Enabled": False}}
    glob.stand_ins["GetDistribution"] = {"Distribution": deploying, "ETag": "E-1"}
    cloudfront.Distribution(glob).delete(Item(id="E1"))
    assert glob.operations() == ["GetDistribution"]


# --- WAFv2 ---------------------------------------------------------------------------------------------


VISIBILITY = {"SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": False, "MetricName": "m"}


def waf_footprint(context: RecordingContext, scope: str) -> dict[str, str]:
    waf = context.client("wafv2")
    ip_set = waf.create_ip_set(Name="blocked", Scope=scope, IPAddressVersion="IPV4", Addresses=["203.0.113.0/24"])[
        "Summary"
    ]
    regex = waf.create_regex_pattern_set(Name="bots", Scope=scope, RegularExpressionList=[{"RegexString": "bot.*"}])[
        "Summary"
    ]
    statement = {"IPSetReferenceStatement": {"ARN": ip_set["ARN"]}}
    rule = {
        "Name": "block",
        "Priority": 0,
        "Statement": statement,
        "Action": {"Block": {}},
        "VisibilityConfig": VISIBILITY,
    }
    group = waf.create_rule_group(Name="mine", Scope=scope, Capacity=10, Rules=[rule], VisibilityConfig=VISIBILITY)[
        "Summary"
    ]
    acl = waf.create_web_acl(
        Name="site", Scope=scope, DefaultAction={"Allow": {}}, Rules=[], VisibilityConfig=VISIBILITY
    )["Summary"]
    return {"ip_set": ip_set["Id"], "regex": regex["Id"], "group": group["Id"], "acl": acl["Id"], "acl_arn": acl["ARN"]}


class WebACLAssociations:
    """Which resources each regional web ACL protects: moto cannot list them by web ACL."""

    def __init__(self):
        self.protected: dict[str, dict[str, str]] = {}  # web ACL ARN → {resource ARN: resource type}

    def install(self, stand_ins: dict) -> None:
        stand_ins["ListResourcesForWebACL"] = self.list_resources
        stand_ins["DisassociateWebACL"] = self.disassociate

    def list_resources(self, params):
        if params.get("ResourceType") == "AMPLIFY":
            # What AWS answers for a kind of resource the API names but the region's web ACLs cannot protect.
            raise ClientError({"Error": {"Code": "WAFInvalidParameterException", "Message": "bad"}}, "List")
        found = self.protected.get(params["WebACLArn"], {})
        return {"ResourceArns": [arn for arn, kind in found.items() if kind == params.get("ResourceType")]}

    def disassociate(self, params):
        for found in self.protected.values():
            found.pop(params["ResourceArn"], None)
        return {}


def test_regional_web_acls_leave_their_resources_then_go_before_their_rule_groups_and_sets(account):
    made = waf_footprint(account, "REGIONAL")
    associations = WebACLAssociations()
    associations.install(account.stand_ins)
    alb = f"arn:aws:elasticloadbalancing:{REGION}:{account.account_id}:loadbalancer/app/site/1"
    pool = f"arn:aws:cognito-idp:{REGION}:{account.account_id}:userpool/{REGION}_abc"
    associations.protected[made["acl_arn"]] = {alb: "APPLICATION_LOAD_BALANCER", pool: "COGNITO_USER_POOL"}

    assert sweep(account, wafv2) == {}

    assert {p["ResourceArn"] for p in account.params_of("DisassociateWebACL")} == {alb, pool}
    # Every kind the API names was asked about, past the one AWS refused as a bad parameter.
    kinds = account.client("wafv2").meta.service_model.shape_for("ResourceType").enum
    assert [p["ResourceType"] for p in account.params_of("ListResourcesForWebACL")] == kinds
    assert account.last("DisassociateWebACL") < account.first("DeleteWebACL")
    assert account.first("DeleteWebACL") < account.first("DeleteRuleGroup") < account.first("DeleteIPSet")
    assert account.first("DeleteRuleGroup") < account.first("DeleteRegexPatternSet")
    assert all(p["Scope"] == "REGIONAL" and p["LockToken"] for p in account.params_of("DeleteWebACL"))


def test_cloudfront_web_acls_wait_for_the_distributions_and_are_swept_once_from_us_east_1(account):
    glob = at(account, GLOBAL_REGION)
    made = waf_footprint(glob, "CLOUDFRONT")
    waf_types = [wafv2.GlobalWebACL, wafv2.GlobalRuleGroup, wafv2.GlobalIPSet, wafv2.GlobalRegexPatternSet]
    assert all(cls.is_global for cls in waf_types)
    assert "cloudfront.distribution" in wafv2.GlobalWebACL.depends_on

    assert sweep(glob, wafv2) == {}

    assert {p["Id"] for p in glob.params_of("DeleteWebACL")} == {made["acl"]}
    assert {p["Scope"] for p in glob.params_of("DeleteIPSet")} == {"CLOUDFRONT"}
    # The regional types found nothing in us-east-1's REGIONAL scope: the CloudFront scope is not theirs.
    assert "DisassociateWebACL" not in glob.operations()


def test_a_web_acl_firewall_manager_made_is_left_alone(account):
    made = waf_footprint(account, "REGIONAL")
    managed = {"Name": "site", "Id": made["acl"], "ARN": made["acl_arn"], "ManagedByFirewallManager": True}
    account.stand_ins["GetWebACL"] = {"WebACL": managed, "LockToken": "t"}
    assert protected_items(account, wafv2) == {"site": "managed by Firewall Manager for the Organization"}


# --- SES, CloudTrail -------------------------------------------------------------------------------------


def test_ses_identities_and_configuration_sets_go(account):
    client = account.client("sesv2")
    client.create_email_identity(EmailIdentity="trainer@example.com")
    client.create_email_identity(EmailIdentity="example.org")
    client.create_configuration_set(ConfigurationSetName="tracking")
    client.create_dedicated_ip_pool(PoolName="managed-pool", ScalingMode="MANAGED")
    client.create_contact_list(ContactListName="newsletter")

    assert sweep(account, ses) == {}

    assert {p["EmailIdentity"] for p in account.params_of("DeleteEmailIdentity")} == {
        "trainer@example.com",
        "example.org",
    }
    assert account.params_of("DeleteConfigurationSet") == [{"ConfigurationSetName": "tracking"}]
    assert account.params_of("DeleteDedicatedIpPool") == [{"PoolName": "managed-pool"}]
    assert account.params_of("DeleteContactList") == [{"ContactListName": "newsletter"}]
    assert ses.EmailIdentity.iam_prefix == "ses"


class EventDataStores:
    """CloudTrail Lake's event data stores, which moto lacks: deleted ones wait in PENDING_DELETION."""

    def __init__(self, context: RecordingContext):
        self.context = context
        self.stores: dict[str, dict] = {}

    def add(self, name: str, *, protected: bool = False, federated: bool = False, owner: str = "") -> str:
        arn = f"arn:aws:cloudtrail:{self.context.region}:{owner or self.context.account_id}:eventdatastore/{name}"
        self.stores[arn] = {
            "EventDataStoreArn": arn,
            "Name": name,
            "Status": "ENABLED",
            "TerminationProtectionEnabled": protected,
            "FederationStatus": "ENABLED" if federated else "DISABLED",
        }
        return arn

    def install(self, stand_ins: dict) -> None:
        stand_ins["ListEventDataStores"] = lambda params: {
            "EventDataStores": [{"EventDataStoreArn": a, "Name": s["Name"]} for a, s in self.stores.items()]
        }
        stand_ins["GetEventDataStore"] = lambda params: self.stores[params["EventDataStore"]]
        stand_ins["UpdateEventDataStore"] = self.update
        stand_ins["DisableFederation"] = self.unfederate
        stand_ins["DeleteEventDataStore"] = self.delete

    def update(self, params: dict) -> dict:
        self.stores[params["EventDataStore"]]["TerminationProtectionEnabled"] = params["TerminationProtectionEnabled"]
        return {}

    def unfederate(self, params: dict) -> dict:
        self.stores[params["EventDataStore"]]["FederationStatus"] = "DISABLED"
        return {}

    def delete(self, params: dict) -> dict:
        store = self.stores[params["EventDataStore"]]
        assert not store["TerminationProtectionEnabled"], "CloudTrail refuses: termination protection is on"
        assert store["FederationStatus"] == "DISABLED", "CloudTrail refuses: Lake query federation is on"
        store["Status"] = "PENDING_DELETION"
        return {}


def test_event_data_stores_lose_termination_protection_and_federation_then_go(account):
    stores = EventDataStores(account)
    stores.install(account.stand_ins)
    guarded = stores.add("audit-lake", protected=True, federated=True)
    plain = stores.add("scratch")
    org = stores.add("org-lake", owner="111111111111")

    assert sweep(account, cloudtrail) == {}

    assert {arn for arn, s in stores.stores.items() if s["Status"] == "PENDING_DELETION"} == {guarded, plain}
    assert account.params_of("UpdateEventDataStore") == [
        {"EventDataStore": guarded, "TerminationProtectionEnabled": False}
    ]
    assert account.first("DisableFederation") < account.index("DeleteEventDataStore", EventDataStore=guarded)
    assert protected_items(account, cloudtrail) == {
        "org-lake": "the Organization's event data store, owned by 111111111111"
    }
    assert org not in {p["EventDataStore"] for p in account.params_of("DeleteEventDataStore")}


def test_trails_go_from_their_home_region_only(account):
    EventDataStores(account).install(account.stand_ins)
    account.client("s3").create_bucket(Bucket="trail-logs", CreateBucketConfiguration={"LocationConstraint": REGION})
    client = account.client("cloudtrail")
    arn = client.create_trail(Name="audit", S3BucketName="trail-logs", IsMultiRegionTrail=True)["TrailARN"]
    elsewhere = at(account, "us-east-1")

    assert [item.id for item in cloudtrail.Trail(elsewhere).list()] == []
    assert sweep(account, cloudtrail) == {}
    assert account.params_of("DeleteTrail") == [{"Name": "audit"}]
    assert client.list_trails()["Trails"] == [] and arn


def test_the_organizations_trail_is_never_touched(account):
    EventDataStores(account).install(account.stand_ins)
    management = "111111111111"
    org_trail = f"arn:aws:cloudtrail:{REGION}:{management}:trail/aws-controltower-BaselineCloudTrail"
    mine = f"arn:aws:cloudtrail:{REGION}:{account.account_id}:trail/aws-controltower-BaselineCloudTrail"
    account.stand_ins["ListTrails"] = {
        "Trails": [
            {"TrailARN": org_trail, "Name": "org", "HomeRegion": REGION},
            {"TrailARN": mine, "Name": "mine", "HomeRegion": REGION},
        ]
    }
    account.stand_ins["GetTrail"] = {"Trail": {"Name": "org", "TrailARN": org_trail, "IsOrganizationTrail": True}}
    # Named like Control Tower's, the attendee's own trail is not protected: only the other account's is.
    assert protected_items(account, cloudtrail) == {"org": f"the Organization's trail, owned by account {management}"}
    assert account.params_of("GetTrail") == [{"Name": org_trail}]


# --- AWS Config -----------------------------------------------------------------------------------------


class ConformancePacks:
    """Config's conformance packs, which moto lacks."""

    def __init__(self, **packs: str):
        self.packs = dict(packs)  # name → CreatedBy ("" for the account's own)

    def install(self, stand_ins: dict) -> None:
        stand_ins["DescribeConformancePacks"] = lambda params: {
            "ConformancePackDetails": [
                {"ConformancePackName": name, "ConformancePackArn": f"arn:{name}", "ConformancePackId": name}
                | ({"CreatedBy": creator} if creator else {})
                for name, creator in self.packs.items()
            ]
        }
        stand_ins["DeleteConformancePack"] = self.delete

    def delete(self, params: dict) -> dict:
        del self.packs[params["ConformancePackName"]]
        return {}


def test_config_packs_and_rules_go_before_the_recorder_stops_and_goes_then_its_channel(account):
    account.client("s3").create_bucket(Bucket="config-logs", CreateBucketConfiguration={"LocationConstraint": REGION})
    client = account.client("config")
    role = f"arn:aws:iam::{account.account_id}:role/config"
    client.put_configuration_recorder(ConfigurationRecorder={"name": "default", "roleARN": role})
    client.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": "config-logs"})
    client.start_configuration_recorder(ConfigurationRecorderName="default")
    client.put_config_rule(
        ConfigRule={
            "ConfigRuleName": "versioning",
            "Source": {"Owner": "AWS", "SourceIdentifier": "S3_BUCKET_VERSIONING_ENABLED"},
        }
    )
    packs = ConformancePacks(baseline="")
    packs.install(account.stand_ins)
    client.put_configuration_aggregator(
        ConfigurationAggregatorName="all-regions",
        AccountAggregationSources=[{"AccountIds": [account.account_id], "AllAwsRegions": True}],
    )
    client.put_retention_configuration(RetentionPeriodInDays=30)

    assert sweep(account, awsconfig) == {}

    assert packs.packs == {}
    assert account.params_of("DeleteConfigRule") == [{"ConfigRuleName": "versioning"}]
    assert account.first("DeleteConformancePack") < account.first("DeleteConfigRule")
    assert account.first("DeleteConfigRule") < account.first("StopConfigurationRecorder")
    assert account.first("StopConfigurationRecorder") < account.first("DeleteConfigurationRecorder")
    assert account.first("DeleteConfigurationRecorder") < account.first("DeleteDeliveryChannel")
    assert client.describe_configuration_recorders()["ConfigurationRecorders"] == []
    assert account.params_of("DeleteConfigurationAggregator") == [{"ConfigurationAggregatorName": "all-regions"}]
    assert account.params_of("DeleteRetentionConfiguration") == [{"RetentionConfigurationName": "default"}]


def test_config_objects_another_service_made_are_left_to_it(account):
    ConformancePacks(**{"OrgConformsPack-ops": "config-conforms.amazonaws.com"}).install(account.stand_ins)
    account.stand_ins["DescribeConfigRules"] = {
        "ConfigRules": [
            {"ConfigRuleName": "securityhub-s3-1", "CreatedBy": "securityhub.amazonaws.com", "Source": {}},
            {"ConfigRuleName": "securityhub-lookalike", "Source": {}},
        ]
    }
    account.stand_ins["DescribeConfigurationRecorders"] = {
        "ConfigurationRecorders": [{"name": "AWSConfigurationRecorderForX", "ServicePrincipal": "x.amazonaws.com"}]
    }
    assert protected_items(account, awsconfig) == {
        "OrgConformsPack-ops": "made by config-conforms.amazonaws.com, goes with it",
        "securityhub-s3-1": "made by securityhub.amazonaws.com, goes with it",
        "AWSConfigurationRecorderForX": "service-linked recorder of x.amazonaws.com",
    }


def stack_id(account, name: str) -> str:
    return f"arn:aws:cloudformation:{REGION}:{account.account_id}:stack/{name}/0a1b2c3d"


def baseline_stacks(account, made: dict[str, str]) -> None:
    """CloudFormation's answer to "which stack made this?": `made` maps physical ids to stack names."""

    def describe(params):
        stack = made.get(params.get("PhysicalResourceId"))
        if stack is None:
            message = f"Stack for {params.get('PhysicalResourceId')} does not exist"
            raise ClientError({"Error": {"Code": "ValidationError", "Message": message}}, "DescribeStackResources")
        resource = {
            "StackName": stack,
            "StackId": stack_id(account, stack),
            "LogicalResourceId": "R",
            "ResourceType": "AWS::X",
            "ResourceStatus": "OK",
        }
        return {"StackResources": [resource | {"PhysicalResourceId": params["PhysicalResourceId"]}]}

    account.stand_ins["DescribeStackResources"] = describe


def test_control_towers_baseline_stays_by_its_stacks_identity_an_attendees_lookalikes_go(account):
    from cleaner.safety import Protection
    from tests.cleaner.test_services_app import types_of
    from tests.cleaner.topics import sweep_topic

    account.client("s3").create_bucket(Bucket="ct-logs", CreateBucketConfiguration={"LocationConstraint": REGION})
    config = account.client("config")
    role = f"arn:aws:iam::{account.account_id}:role/aws-controltower-ConfigRecorderRole"
    config.put_configuration_recorder(
        ConfigurationRecorder={"name": "aws-controltower-BaselineConfigRecorder", "roleARN": role}
    )
    config.put_delivery_channel(
        DeliveryChannel={"name": "aws-controltower-BaselineConfigDeliveryChannel", "s3BucketName": "ct-logs"}
    )
    for name in ("AWSControlTower_AWS-GR_ENCRYPTED_VOLUMES", "AWSControlTower_AWS-GR_lookalike"):
        source = {"Owner": "AWS", "SourceIdentifier": "ENCRYPTED_VOLUMES"}
        config.put_config_rule(ConfigRule={"ConfigRuleName": name, "Source": source})
    trail = "aws-controltower-BaselineCloudTrail"
    account.client("cloudtrail").create_trail(Name=trail, S3BucketName="ct-logs")
    account.client("cloudtrail").create_trail(Name="aws-controltower-lookalike", S3BucketName="ct-logs")
    ConformancePacks().install(account.stand_ins)
    EventDataStores(account).install(account.stand_ins)
    baseline = "StackSet-AWSControlTowerBP-BASELINE-CONFIG-0a1b2c"
    guardrail = "StackSet-AWSControlTowerGuardrailAWS-GR-ENCRYPTED-VOLUMES-1"
    trail_stack = "StackSet-AWSControlTowerBP-BASELINE-CLOUDTRAIL-3d4e5f"
    baseline_stacks(
        account,
        {
            "aws-controltower-BaselineConfigRecorder": baseline,
            "aws-controltower-BaselineConfigDeliveryChannel": baseline,
            "AWSControlTower_AWS-GR_ENCRYPTED_VOLUMES": guardrail,
            trail: trail_stack,
            # An attendee's own stack, named like a StackSet's: its name protects nothing.
            "aws-controltower-lookalike": "StackSet-AWSControlTowerBP-lookalike",
        },
    )
    # The stacks the management account's StackSets list in this account.
    organization = frozenset(stack_id(account, name) for name in (baseline, guardrail, trail_stack))
    protection = Protection(
        identity_names=frozenset({"OrganizationAccountAccessRole"}), organization_stacks=organization
    )

    swept = sweep_topic({REGION: account}, types_of(awsconfig, cloudtrail), protection=protection)

    assert swept.left() == {}
    kept = {item_id: why for _type, item_id, action, why in swept.recorders[REGION].events if action == "protected"}
    assert {name.rsplit("/", 1)[-1] if "trail/" in name else name for name in kept} == {
        "aws-controltower-BaselineConfigRecorder",
        "aws-controltower-BaselineConfigDeliveryChannel",
        "AWSControlTower_AWS-GR_ENCRYPTED_VOLUMES",
        trail,
    }
    assert set(kept.values()) == {"made by the Organization's StackSet"}
    assert account.params_of("DeleteConfigRule") == [{"ConfigRuleName": "AWSControlTower_AWS-GR_lookalike"}]
    assert account.params_of("DeleteTrail") == [{"Name": "aws-controltower-lookalike"}]
    assert "StopConfigurationRecorder" not in account.operations()


# --- GuardDuty, Security Hub, Access Analyzer -------------------------------------------------------------


def test_the_accounts_own_detector_goes_one_the_organization_manages_stays(account):
    mine = account.client("guardduty").create_detector(Enable=True)["DetectorId"]
    assert sweep(account, guardduty) == {}
    assert account.params_of("DeleteDetector") == [{"DetectorId": mine}]

    managed = account.client("guardduty").create_detector(Enable=True)["DetectorId"]
    account.stand_ins["GetAdministratorAccount"] = {
        "Administrator": {"AccountId": "222222222222", "InvitationId": "i", "RelationshipStatus": "Enabled"}
    }
    assert protected_items(account, guardduty) == {
        managed: "managed by the Organization's GuardDuty administrator 222222222222"
    }
    account.stand_ins["GetAdministratorAccount"] = {
        "Administrator": {"AccountId": "222222222222", "InvitationId": "i", "RelationshipStatus": "Resigned"}
    }
    assert protected_items(account, guardduty) == {}


def test_security_hub_is_switched_off_unless_the_organization_administers_it(account):
    hub = account.client("securityhub")
    assert list(securityhub.Hub(account).list()) == []  # not switched on: nothing to do
    hub.enable_security_hub()

    assert sweep(account, securityhub) == {}
    assert account.operations().count("DisableSecurityHub") == 1

    hub.enable_security_hub()
    account.stand_ins["securityhub:GetAdministratorAccount"] = {
        "Administrator": {"AccountId": "333333333333", "MemberStatus": "Enabled"}
    }
    assert protected_items(account, securityhub) == {
        "Security Hub": "managed by the Organization's Security Hub administrator 333333333333"
    }
    account.stand_ins["securityhub:GetAdministratorAccount"] = {
        "Administrator": {"AccountId": "333333333333", "MemberStatus": "Invited"}
    }
    assert protected_items(account, securityhub) == {}


def test_access_analyzers_are_deleted_by_name(account):
    # moto lacks IAM Access Analyzer: Stubber plays it.
    context = account
    client = context.client("accessanalyzer")
    analyzer = {"arn": "arn:a", "name": "unused", "type": "ACCOUNT_UNUSED_ACCESS", "status": "ACTIVE"}
    analyzer["createdAt"] = datetime(2026, 12, 1, tzinfo=UTC)
    with Stubber(client) as stub:
        stub.add_response("list_analyzers", {"analyzers": [analyzer]}, {})
        stub.add_response("delete_analyzer", {}, {"analyzerName": "unused"})
        stub.add_response("list_analyzers", {"analyzers": []}, {})
        assert sweep(context, accessanalyzer) == {}
        stub.assert_no_pending_responses()
    assert accessanalyzer.Analyzer.iam_prefix == "access-analyzer"


# --- IAM federation, RAM --------------------------------------------------------------------------------

IDENTITY_CENTER_METADATA = (
    '<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" '
    'entityID="https://portal.sso.eu-west-1.amazonaws.com/saml/assertion/ABCDEF">'
    + "<!-- signing keys -->" * 60
    + "</EntityDescriptor>"
)
# IAM takes no metadata document shorter than 1,000 characters.
OTHER_METADATA = IDENTITY_CENTER_METADATA.replace("portal.sso.eu-west-1.amazonaws.com/saml/assertion", "idp.example")


def test_identity_providers_certificates_and_mfa_devices_go_but_identity_centers_provider_stays(account):
    glob = at(account, GLOBAL_REGION)
    iam = glob.client("iam")
    oidc = iam.create_open_id_connect_provider(
        Url="https://token.actions.githubusercontent.com", ClientIDList=["sts.amazonaws.com"], ThumbprintList=["a" * 40]
    )["OpenIDConnectProviderArn"]
    kept = iam.create_saml_provider(Name="AWSSSO_abc_DO_NOT_DELETE", SAMLMetadataDocument=IDENTITY_CENTER_METADATA)[
        "SAMLProviderArn"
    ]
    # Named like Identity Center's but issued by someone else: the attendee's, and goes.
    lookalike = iam.create_saml_provider(Name="AWSSSO_x_DO_NOT_DELETE", SAMLMetadataDocument=OTHER_METADATA)[
        "SAMLProviderArn"
    ]
    # Whatever its metadata says, the provider Identity Center's own roles trust is Identity Center's.
    trusted = iam.create_saml_provider(Name="AWSSSO_def_DO_NOT_DELETE", SAMLMetadataDocument=OTHER_METADATA)[
        "SAMLProviderArn"
    ]
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Federated": trusted}, "Action": ["sts:AssumeRoleWithSAML"]}],
    }
    iam.create_role(
        RoleName="AWSReservedSSO_Admin_0123456789abcdef",
        Path="/aws-reserved/sso.amazonaws.com/eu-west-1/",
        AssumeRolePolicyDocument=json.dumps(trust),
    )
    iam.upload_server_certificate(
        ServerCertificateName="legacy-elb", CertificateBody="-----BEGIN CERTIFICATE-----", PrivateKey="key"
    )
    iam.create_user(UserName="dev")
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName="dev-phone")["VirtualMFADevice"]["SerialNumber"]
    iam.enable_mfa_device(
        UserName="dev", SerialNumber=device, AuthenticationCode1="123456", AuthenticationCode2="654321"
    )
    spare = iam.create_virtual_mfa_device(VirtualMFADeviceName="spare")["VirtualMFADevice"]["SerialNumber"]

    assert sweep(glob, iam_federation) == {}

    assert glob.params_of("DeleteOpenIDConnectProvider") == [{"OpenIDConnectProviderArn": oidc}]
    assert glob.params_of("DeleteSAMLProvider") == [{"SAMLProviderArn": lookalike}]
    assert {p["Arn"] for p in iam.list_saml_providers()["SAMLProviderList"]} == {kept, trusted}
    assert glob.params_of("DeleteServerCertificate") == [{"ServerCertificateName": "legacy-elb"}]
    assert glob.params_of("DeactivateMFADevice") == [{"UserName": "dev", "SerialNumber": device}]
    assert glob.index("DeactivateMFADevice") < glob.index("DeleteVirtualMFADevice", SerialNumber=device)
    assert {p["SerialNumber"] for p in glob.params_of("DeleteVirtualMFADevice")} == {device, spare}


def test_the_root_users_mfa_device_is_never_touched(account):
    root = f"arn:aws:iam::{account.account_id}:root"
    serial = f"arn:aws:iam::{account.account_id}:mfa/root-account-mfa-device"
    account.stand_ins["ListVirtualMFADevices"] = {
        "VirtualMFADevices": [{"SerialNumber": serial, "User": {"Arn": root, "UserId": account.account_id}}],
        "IsTruncated": False,
    }
    assert protected_items(account, iam_federation) == {"root-account-mfa-device": "the root user's MFA device"}


def test_resource_shares_the_account_owns_go(account):
    client = account.client("ram")
    share = client.create_resource_share(name="subnets", principals=["999999999999"])["resourceShare"]
    assert sweep(account, ram) == {}
    assert account.params_of("DeleteResourceShare") == [{"resourceShareArn": share["resourceShareArn"]}]
    assert {p["resourceOwner"] for p in account.params_of("GetResourceShares")} == {"SELF"}


def test_a_config_rule_being_deleted_is_still_listed_but_not_asked_again(account):
    account.stand_ins["DescribeConfigRules"] = {
        "ConfigRules": [{"ConfigRuleName": "versioning", "ConfigRuleState": "DELETING", "Source": {}}]
    }
    rules = awsconfig.Rule(account)
    (item,) = rules.list()
    rules.delete(item)
    assert "DeleteConfigRule" not in account.operations()
    # Which stack made it was asked once, however often the rule is listed.
    list(rules.list())
    assert account.operations().count("DescribeStackResources") == 1
