"""The cleaner's security and governance services against moto, in a member account of the Organization.

SES, CloudTrail, Config, GuardDuty, Security Hub, Access Analyzer, IAM's federation objects and RAM.
Same harness as test_services_app.py; where moto lacks a call, a stand-in that keeps state answers
for it (so the sweep really sees things go), or botocore's Stubber plays the whole API (Access Analyzer).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from botocore.exceptions import ClientError
from botocore.stub import Stubber

from cleaner.context import GLOBAL_REGION
from cleaner.services import accessanalyzer, awsconfig, cloudtrail, guardduty, iam_federation, ram, securityhub, ses
from tests.cleaner.edge_fakes import (
    account_fixture,  # noqa: F401 (the `account` fixture)
    at,
)
from tests.cleaner.test_services_app import REGION, RecordingContext, protected_items, sweep

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
