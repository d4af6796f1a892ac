"""Account settings an attendee changed are put back to what AWS hands over, against moto.

moto has no GetEbsDefaultKmsKeyId nor ResetEbsDefaultKmsKeyId: a stateful stand-in plays the
region's setting (ModifyEbsDefaultKmsKeyId changes it, the reset puts the AWS-managed alias back).
moto also makes every key a customer's, so KMS's answer about an AWS-managed key is stood in too.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from cleaner.context import GLOBAL_REGION
from cleaner.services import account_settings, vpc
from cleaner.services.account_settings import (
    AccountAlias,
    DefaultVpc,
    EbsDefaultKmsKey,
    EbsEncryptionByDefault,
    PasswordPolicy,
)
from tests.cleaner.test_services_app import RecordingContext, member_account, types_of
from tests.cleaner.topics import sweep_topic

OTHER_REGION = "us-east-1"
AWS_MANAGED_KEY = "arn:aws:kms:eu-west-1:111122223333:key/aws-managed"


@pytest.fixture
def account():
    with member_account() as context:
        yield context


def ebs_default_key(context: RecordingContext, key: str = "alias/aws/ebs") -> dict:
    """The region's EBS default key, as AWS keeps it: a stand-in for the calls moto lacks."""
    setting = {"key": key}

    def reset(params):
        setting["key"] = "alias/aws/ebs"
        return {"KmsKeyId": setting["key"]}

    context.stand_ins["GetEbsDefaultKmsKeyId"] = lambda params: {"KmsKeyId": setting["key"]}
    context.stand_ins["ResetEbsDefaultKmsKeyId"] = reset
    return setting


def remove_default_vpc(context: RecordingContext) -> str:
    """What an attendee does to make room for their own VPCs."""
    ec2 = context.client("ec2")
    (default,) = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"]
    vpc_id = default["VpcId"]
    for subnet in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]:
        ec2.delete_subnet(SubnetId=subnet["SubnetId"])
    gateways = ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}])
    for gateway in gateways["InternetGateways"]:
        ec2.detach_internet_gateway(InternetGatewayId=gateway["InternetGatewayId"], VpcId=vpc_id)
        ec2.delete_internet_gateway(InternetGatewayId=gateway["InternetGatewayId"])
    ec2.delete_vpc(VpcId=vpc_id)
    return vpc_id


def reset(resource) -> None:
    for item in resource.list():
        resource.prepare(item)
        resource.delete(item)


# --- EBS -----------------------------------------------------------------------------------------


def test_ebs_encryption_by_default_switched_on_is_switched_off(account):
    ec2 = account.client("ec2")
    assert list(EbsEncryptionByDefault(account).list()) == []
    ec2.enable_ebs_encryption_by_default()

    (item,) = EbsEncryptionByDefault(account).list()
    assert item.name == "EBS encryption by default"
    reset(EbsEncryptionByDefault(account))

    assert ec2.get_ebs_encryption_by_default()["EbsEncryptionByDefault"] is False
    assert "DisableEbsEncryptionByDefault" in account.operations()
    assert list(EbsEncryptionByDefault(account).list()) == []


def test_an_attendees_ebs_default_key_is_reset_to_the_aws_managed_one(account):
    key = account.client("kms").create_key(Description="lab key")["KeyMetadata"]["Arn"]
    setting = ebs_default_key(account, key)

    (item,) = EbsDefaultKmsKey(account).list()
    assert (item.name, item.extra["key"]) == ("EBS default KMS key", key)
    assert account.params_of("DescribeKey") == [{"KeyId": key}]
    reset(EbsDefaultKmsKey(account))

    assert setting["key"] == "alias/aws/ebs"
    assert list(EbsDefaultKmsKey(account).list()) == []


def test_the_aws_managed_ebs_key_by_alias_or_by_arn_is_no_change(account):
    setting = ebs_default_key(account)
    assert list(EbsDefaultKmsKey(account).list()) == []
    setting["key"] = "arn:aws:kms:eu-west-1:111122223333:alias/aws/ebs"
    assert list(EbsDefaultKmsKey(account).list()) == []
    # AWS may answer the key behind the alias; only KMS knows AWS manages it (moto says CUSTOMER of all).
    setting["key"] = AWS_MANAGED_KEY
    account.stand_ins["kms:DescribeKey"] = {"KeyMetadata": {"KeyId": "aws-managed", "KeyManager": "AWS"}}
    assert list(EbsDefaultKmsKey(account).list()) == []
    assert "ResetEbsDefaultKmsKeyId" not in account.operations()


def test_a_default_key_that_no_longer_exists_is_reset(account):
    ebs_default_key(account, "arn:aws:kms:eu-west-1:111122223333:key/deleted-since")
    assert [item.name for item in EbsDefaultKmsKey(account).list()] == ["EBS default KMS key"]


# --- The default VPC -----------------------------------------------------------------------------


def test_a_missing_default_vpc_is_made_again_and_then_protected_by_the_vpc_module(account):
    assert list(DefaultVpc(account).list()) == []
    removed = remove_default_vpc(account)

    (item,) = DefaultVpc(account).list()
    assert item.name == "Default VPC (missing)"
    reset(DefaultVpc(account))

    assert list(DefaultVpc(account).list()) == []
    (made,) = account.client("ec2").describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"]
    assert made["VpcId"] != removed
    (listed,) = [v for v in vpc.Vpc(account).list() if v.id == made["VpcId"]]
    assert listed.protected == vpc.DEFAULT_VPC
    assert {s.protected for s in vpc.Subnet(account).list()} == {vpc.DEFAULT_VPC}


def test_a_default_vpc_made_meanwhile_counts_as_reset(account):
    remove_default_vpc(account)
    (item,) = DefaultVpc(account).list()
    account.client("ec2").create_default_vpc()
    DefaultVpc(account).delete(item)  # DefaultVpcAlreadyExists: not an error
    assert account.operations().count("CreateDefaultVpc") == 2


# --- IAM -----------------------------------------------------------------------------------------


@pytest.fixture
def global_account():
    with member_account() as context:
        yield replace(context, region=GLOBAL_REGION, calls=[], stand_ins={}, _hooked=set())


def test_an_account_alias_is_removed(global_account):
    iam = global_account.client("iam")
    iam.create_account_alias(AccountAlias="lab-team-7")

    assert [(i.id, i.name) for i in AccountAlias(global_account).list()] == [("lab-team-7", "Account alias lab-team-7")]
    reset(AccountAlias(global_account))

    assert global_account.params_of("DeleteAccountAlias") == [{"AccountAlias": "lab-team-7"}]
    assert iam.list_account_aliases()["AccountAliases"] == []


def test_a_password_policy_is_removed_and_none_is_no_change(global_account):
    iam = global_account.client("iam")
    assert list(PasswordPolicy(global_account).list()) == []
    iam.update_account_password_policy(MinimumPasswordLength=30, RequireSymbols=True)

    (item,) = PasswordPolicy(global_account).list()
    assert item.name == "IAM password policy"
    reset(PasswordPolicy(global_account))

    assert "DeleteAccountPasswordPolicy" in global_account.operations()
    assert list(PasswordPolicy(global_account).list()) == []


# --- The topic: every setting in two regions and the account's own -------------------------------


def test_a_sweep_resets_every_setting_in_two_regions_and_the_account_and_then_lists_nothing(account):
    # sweep_topic sweeps the global types under the GLOBAL_REGION key (us-east-1 itself): the
    # regional us-east-1 context goes under a key of its own.
    east = replace(account, region=OTHER_REGION, calls=[], stand_ins={}, _hooked=set())
    iam_side = replace(account, region=GLOBAL_REGION, calls=[], stand_ins={}, _hooked=set())
    regional = {"eu-west-1": account, "us-east-1 (regional)": east}
    settings = {}
    for name, context in regional.items():
        ec2 = context.client("ec2")
        ec2.enable_ebs_encryption_by_default()
        settings[name] = ebs_default_key(context, context.client("kms").create_key()["KeyMetadata"]["Arn"])
        remove_default_vpc(context)
        ec2.create_vpc(CidrBlock="10.1.0.0/16")  # the attendee's own
    iam = iam_side.client("iam")
    iam.create_account_alias(AccountAlias="lab-team-7")
    iam.update_account_password_policy(MinimumPasswordLength=30)

    done = sweep_topic({**regional, GLOBAL_REGION: iam_side}, types_of(account_settings, vpc))

    assert done.left() == {}
    done.assert_dependencies_respected()
    for name, context in regional.items():
        assert sorted(set(done.deleted_types(name)) & {cls.type for cls in types_of(account_settings)}) == [
            "ec2.default_vpc",
            "ec2.ebs_default_kms_key",
            "ec2.ebs_encryption_default",
        ]
        assert context.last("DeleteVpc") < context.first("CreateDefaultVpc")
        assert settings[name]["key"] == "alias/aws/ebs"
        for cls in types_of(account_settings):
            if not cls.is_global:
                assert list(cls(context).list()) == []
        (default,) = context.client("ec2").describe_vpcs()["Vpcs"]
        assert default["IsDefault"]
    assert sorted(done.deleted_types(GLOBAL_REGION)) == ["iam.account_alias", "iam.password_policy"]
    assert list(AccountAlias(iam_side).list()) == list(PasswordPolicy(iam_side).list()) == []
