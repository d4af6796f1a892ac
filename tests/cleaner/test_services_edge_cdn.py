"""The cleaner's certificates and edge delivery against moto, in a member account of the Organization.

ACM and private CAs, CloudFront, and WAFv2 in both scopes. Same harness as test_services_app.py;
where moto lacks a call, a stand-in that keeps state answers for it (so the sweep really sees things go).
"""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from cleaner.context import GLOBAL_REGION
from cleaner.registry import Item
from cleaner.services import acm, cloudfront, wafv2
from tests.cleaner.edge_fakes import (
    account_fixture,  # noqa: F401 (the `account` fixture)
    at,
)
from tests.cleaner.test_services_app import REGION, RecordingContext, protected_items, sweep

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
