"""Topic "web app at the edge": what an attendee leaves after putting a site behind CloudFront.

In eu-west-1 and us-east-1: an ACM certificate, a regional WAF web ACL protecting a load balancer
(with an IP set), an SES identity and configuration set, a trail and a CloudTrail Lake event data
store, a Config recorder with its delivery channel and a rule, a GuardDuty detector, Security Hub,
an Access Analyzer analyzer, a Resolver outbound endpoint with a forwarding rule associated with a
VPC, a query log configuration and DNS Firewall. Account-wide (from us-east-1): a public hosted
zone with records and a private one, a traffic policy applied in a zone, a health check, a
CloudFront distribution reaching its origin through an origin access control and protected by a
CLOUDFRONT-scope web ACL, a custom cache policy, an OIDC provider. The real engine sweeps it all;
nothing may be left, and parents go only after their children.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from botocore.awsrequest import AWSResponse

from cleaner.context import GLOBAL_REGION
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
from tests.cleaner.test_services_app import RecordingContext, member_account, types_of
from tests.cleaner.test_services_edge_cdn import (
    CloudFrontExtras,
    WebACLAssociations,
    distribution_config,
    waf_footprint,
)
from tests.cleaner.test_services_edge_dns import DnsFirewall, QueryLogConfigs, TrafficPolicies, make_zone, network
from tests.cleaner.test_services_edge_security import ConformancePacks, EventDataStores
from tests.cleaner.topics import sweep_topic

REGIONS = ("eu-west-1", "us-east-1")
# The same account's us-east-1 holds both its regional resources and the account-wide ones; the
# engine sweeps them apart, so the topic names the regional sweep of us-east-1 apart from the global one.
US_EAST_1_REGIONAL = "us-east-1 (regional)"
MODULES = (
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


class ThreadedRecordingContext(RecordingContext):
    """RecordingContext whose stand-ins read the parameters of their own call.

    The engine deletes on several threads at once: the shared harness hands a stand-in the last
    recorded call's parameters, which may be another thread's; here each thread keeps its own.
    """

    _mine = threading.local()

    def _record(self, params, model, **kwargs):
        super()._record(params, model, **kwargs)
        self._mine.params = dict(params)

    def _stand_in(self, model, **kwargs):
        answer = self.stand_ins.get(f"{model.service_model.service_name}:{model.name}", self.stand_ins.get(model.name))
        if answer is None:
            return None
        parsed = answer(self._mine.params) if callable(answer) else answer
        return AWSResponse(None, 200, {}, None), dict(parsed)


class Analyzers:
    """IAM Access Analyzer, which moto lacks: analyzers the sweep lists and deletes."""

    def __init__(self, *names: str):
        self.names = set(names)

    def install(self, stand_ins: dict) -> None:
        created = datetime(2026, 12, 1, tzinfo=UTC)
        stand_ins["ListAnalyzers"] = lambda params: {
            "analyzers": [
                {"arn": f"arn:{n}", "name": n, "type": "ACCOUNT", "createdAt": created, "status": "ACTIVE"}
                for n in sorted(self.names)
            ]
        }
        stand_ins["DeleteAnalyzer"] = self.delete

    def delete(self, params: dict) -> dict:
        self.names.remove(params["analyzerName"])
        return {}


def build_region(context: RecordingContext) -> dict:
    """One region's part of the footprint; returns what the checks need."""
    region, account = context.region, context.account_id
    bucket = f"logs-{region}"
    location = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    context.client("s3").create_bucket(Bucket=bucket, **location)

    context.client("acm").request_certificate(DomainName=f"{region}.shop.example.com", ValidationMethod="DNS")

    waf = waf_footprint(context, "REGIONAL")
    associations = WebACLAssociations()
    associations.install(context.stand_ins)
    alb = f"arn:aws:elasticloadbalancing:{region}:{account}:loadbalancer/app/shop/1"
    associations.protected[waf["acl_arn"]] = {alb: "APPLICATION_LOAD_BALANCER"}

    sesv2 = context.client("sesv2")
    sesv2.create_email_identity(EmailIdentity=f"orders@{region}.shop.example.com")
    sesv2.create_configuration_set(ConfigurationSetName="orders")

    context.client("cloudtrail").create_trail(Name=f"audit-{region}", S3BucketName=bucket)
    lake = EventDataStores(context)
    lake.install(context.stand_ins)
    lake.add(f"lake-{region}", protected=True)

    config = context.client("config")
    config.put_configuration_recorder(
        ConfigurationRecorder={"name": "default", "roleARN": f"arn:aws:iam::{account}:role/config"}
    )
    config.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": bucket})
    config.start_configuration_recorder(ConfigurationRecorderName="default")
    config.put_config_rule(
        ConfigRule={
            "ConfigRuleName": "versioning",
            "Source": {"Owner": "AWS", "SourceIdentifier": "S3_BUCKET_VERSIONING_ENABLED"},
        }
    )
    packs = ConformancePacks(**{"operational-best-practices": ""})
    packs.install(context.stand_ins)

    context.client("guardduty").create_detector(Enable=True)
    context.client("securityhub").enable_security_hub()
    analyzers = Analyzers(f"analyzer-{region}")
    analyzers.install(context.stand_ins)

    vpc, subnets, group = network(context)
    resolver = context.client("route53resolver")
    endpoint = resolver.create_resolver_endpoint(
        CreatorRequestId=f"ep-{region}",
        Name="to-corp",
        SecurityGroupIds=[group],
        Direction="OUTBOUND",
        IpAddresses=[{"SubnetId": s} for s in subnets],
    )["ResolverEndpoint"]["Id"]
    rule = resolver.create_resolver_rule(
        CreatorRequestId=f"rule-{region}",
        Name="corp",
        RuleType="FORWARD",
        DomainName="corp.example",
        TargetIps=[{"Ip": "192.168.0.2", "Port": 53}],
        ResolverEndpointId=endpoint,
    )["ResolverRule"]["Id"]
    resolver.associate_resolver_rule(ResolverRuleId=rule, VPCId=vpc)
    logs = QueryLogConfigs(context)
    logs.install(context.stand_ins)
    logs.add(f"rqlc-{region}", vpc)
    firewall = DnsFirewall(context)
    firewall.install(context.stand_ins)
    firewall.fill()
    return {
        "packs": packs,
        "analyzers": analyzers,
        "logs": logs,
        "associations": associations,
        "alb": alb,
        "lake": lake,
        "firewall": firewall,
    }


def build_global(context: RecordingContext) -> dict:
    client = context.client("cloudfront")
    web_acl = waf_footprint(context, "CLOUDFRONT")
    oac = client.create_origin_access_control(
        OriginAccessControlConfig={
            "Name": "shop-oac",
            "SigningProtocol": "sigv4",
            "SigningBehavior": "always",
            "OriginAccessControlOriginType": "s3",
        }
    )["OriginAccessControl"]["Id"]
    config = distribution_config("shop", oac=oac, web_acl=web_acl["acl_arn"])
    distribution = client.create_distribution(DistributionConfig=config)["Distribution"]["Id"]
    extras = CloudFrontExtras()
    extras.add("CachePolicy", "cp-1", "shop-assets")
    extras.install(context.stand_ins)

    traffic = TrafficPolicies()
    traffic.install(context.stand_ins)
    traffic.versions, traffic.instances = {"tp-geo": [1, 2]}, {"tpi-www": "tp-geo"}
    public = make_zone(context, "shop.example.com.", records=3)
    vpc = context.client("ec2").create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    private = make_zone(context, "shop.internal.", vpc=vpc)
    context.client("route53").create_health_check(
        CallerReference="shop",
        HealthCheckConfig={"Type": "HTTPS", "FullyQualifiedDomainName": "shop.example.com", "Port": 443},
    )
    context.client("iam").create_open_id_connect_provider(
        Url="https://token.actions.githubusercontent.com", ClientIDList=["sts.amazonaws.com"], ThumbprintList=["a" * 40]
    )
    return {
        "distribution": distribution,
        "oac": oac,
        "web_acl": web_acl["acl"],
        "zones": {public, private},
        "extras": extras,
        "traffic": traffic,
    }


def position(context: RecordingContext, operation: str, **params) -> int:
    return context.index(operation, **params)


def test_the_edge_footprint_is_swept_clean_in_both_regions_and_account_wide():
    with member_account() as first:
        account = first.account_id
        eu = ThreadedRecordingContext(account_id=account, region="eu-west-1")
        # One context for us-east-1: its regional and its global sweep use the same (cached) clients.
        us = ThreadedRecordingContext(account_id=account, region="us-east-1")
        regional = {"eu-west-1": build_region(eu), "us-east-1": build_region(us)}
        made = build_global(us)

        topic = sweep_topic({"eu-west-1": eu, US_EAST_1_REGIONAL: us, GLOBAL_REGION: us}, types_of(*MODULES))

        assert topic.left() == {}
        topic.assert_dependencies_respected()

        # Account-wide: the distribution was disabled, then deleted, before its OAC, its web ACL and cache policy.
        disabled = position(us, "UpdateDistribution", Id=made["distribution"])
        deleted = position(us, "DeleteDistribution", Id=made["distribution"])
        assert disabled < deleted
        assert deleted < position(us, "DeleteOriginAccessControl", Id=made["oac"])
        assert deleted < position(us, "DeleteWebACL", Id=made["web_acl"], Scope="CLOUDFRONT")
        assert deleted < position(us, "DeleteCachePolicy", Id="cp-1")
        for zone in made["zones"]:
            assert position(us, "ChangeResourceRecordSets", HostedZoneId=zone) < position(
                us, "DeleteHostedZone", Id=zone
            )
        assert us.last("DeleteHostedZone") < us.first("DeleteHealthCheck")
        assert us.first("DeleteTrafficPolicyInstance") < us.first("DeleteHostedZone")
        assert made["traffic"].versions == {} and made["traffic"].instances == {}
        assert made["extras"].objects["CachePolicy"] == {}
        global_types = topic.deleted_types(GLOBAL_REGION)
        assert {"cloudfront.distribution", "wafv2.global_web_acl", "route53.hosted_zone", "iam.oidc_provider"} <= set(
            global_types
        )
        assert not any(kind in global_types for kind in ("acm.certificate", "wafv2.web_acl", "guardduty.detector"))

        # Each region: its own things, in AWS's order.
        for label, context, region in (("eu-west-1", eu, "eu-west-1"), (US_EAST_1_REGIONAL, us, "us-east-1")):
            built = regional[region]
            kinds = topic.deleted_types(label)
            for kind in (
                "acm.certificate",
                "wafv2.web_acl",
                "wafv2.ip_set",
                "sesv2.email_identity",
                "cloudtrail.trail",
                "cloudtrail.event_data_store",
                "config.configuration_recorder",
                "config.delivery_channel",
                "guardduty.detector",
                "securityhub.hub",
                "accessanalyzer.analyzer",
                "route53resolver.endpoint",
            ):
                assert kind in kinds, f"{region}: no {kind} deleted"
            assert kinds.index("route53resolver.rule") < kinds.index("route53resolver.endpoint")
            assert kinds.index("config.configuration_recorder") < kinds.index("config.delivery_channel")
            assert kinds.index("wafv2.web_acl") < kinds.index("wafv2.ip_set")
            assert not built["associations"].protected[next(iter(built["associations"].protected))]
            assert built["packs"].packs == {} and built["analyzers"].names == set() and built["logs"].deleted
            assert context.client("cloudtrail").list_trails()["Trails"] == []
            assert {store["Status"] for store in built["lake"].stores.values()} == {"PENDING_DELETION"}
            assert set(built["firewall"].groups) == {"rg-shared"} and set(built["firewall"].associations) == {"rga-fms"}
            assert context.client("guardduty").list_detectors()["DetectorIds"] == []


def test_an_empty_account_sweeps_clean_where_the_fake_aws_lacks_some_of_these_services():
    # Without stand-ins, what moto lacks must read as "not offered here", never as a failed listing:
    # otherwise no sweep of the local fake AWS could finish clean.
    with member_account() as first:
        eu = RecordingContext(account_id=first.account_id, region="eu-west-1")
        us = RecordingContext(account_id=first.account_id, region="us-east-1")
        topic = sweep_topic({"eu-west-1": eu, GLOBAL_REGION: us}, types_of(*MODULES))
        assert topic.left() == {}
        assert "accessanalyzer.analyzer" in topic.outcomes["eu-west-1"].unavailable
        assert "cloudfront.cache_policy" in topic.outcomes[GLOBAL_REGION].unavailable
