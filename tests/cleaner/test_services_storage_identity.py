"""S3 and IAM resource types against moto, in a member account.

moto deletes a bucket that still holds versions only if told to, and deletes IAM users and
policies that real IAM would refuse (a user with keys, an attached policy): so the calls are
recorded, and the order AWS needs is checked on them.
"""

from __future__ import annotations

import datetime
import json

import pytest
from botocore.awsrequest import AWSResponse
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from cleaner.context import GLOBAL_REGION, SweepContext
from cleaner.registry import REGISTRY
from cleaner.services import iam as iam_module
from cleaner.services.s3 import BATCH_SIZE
from cpp_portal.aws import hub_client, member_client
from tests.aws_fakes import POWER_USER, READ_ONLY, BotocoreHooks, fake_aws, self_signed_certificate
from tests.cleaner.network_sweep import CallLog, deletion_order, our_types, sweep

S3_MODULES = ("cleaner.services.s3",)
IAM_MODULES = ("cleaner.services.iam",)


@pytest.fixture
def account():
    """A member account of a fake Organization, reached through the access role like the cleaner does."""
    with fake_aws() as org:
        yield org.add_accounts(1, pool=False)[0]


def items_of(account_id: str, type_name: str, modules) -> dict:
    our_types(modules)
    cls = REGISTRY[type_name]
    return {item.id: item for item in cls(SweepContext(account_id, GLOBAL_REGION)).list()}


# --- S3 -----------------------------------------------------------------------------------------


def s3_in(account_id: str, region: str):
    return member_client(account_id, "s3", region)


def make_bucket(account_id: str, name: str, region: str, *, versioned: bool = False):
    s3 = s3_in(account_id, region)
    where = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    s3.create_bucket(Bucket=name, **where)
    if versioned:
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return s3


def what_is_left(account_id: str, bucket: str) -> int:
    """Versions, delete markers and unfinished uploads still in a bucket (through a client the sweep never uses)."""
    s3 = s3_in(account_id, "ap-southeast-2")
    versions = s3.list_object_versions(Bucket=bucket)
    uploads = s3.list_multipart_uploads(Bucket=bucket)
    return len(versions.get("Versions", [])) + len(versions.get("DeleteMarkers", [])) + len(uploads.get("Uploads", []))


def test_buckets_in_any_region_are_emptied_of_every_version_and_upload_then_deleted_in_their_region(account):
    eu = make_bucket(account, "lab-data-eu", "eu-west-2", versioned=True)
    for body in (b"one", b"two"):
        eu.put_object(Bucket="lab-data-eu", Key="report.csv", Body=body)
    eu.delete_object(Bucket="lab-data-eu", Key="report.csv")  # a delete marker on top of two versions
    eu.create_multipart_upload(Bucket="lab-data-eu", Key="video.mp4")
    eu.put_bucket_tagging(Bucket="lab-data-eu", Tagging={"TagSet": [{"Key": "team", "Value": "blue"}]})
    eu.put_bucket_policy(
        Bucket="lab-data-eu",
        Policy='{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", '
        '"Action": "s3:DeleteObject", "Resource": "arn:aws:s3:::lab-data-eu/*"}]}',
    )
    us = make_bucket(account, "lab-plain-us", "us-east-1")
    us.put_object(Bucket="lab-plain-us", Key="a.txt", Body=b"a")

    found = items_of(account, "s3.bucket", S3_MODULES)
    assert REGISTRY["s3.bucket"].is_global, "ListBuckets is global: buckets are listed once per account"
    assert {name: item.extra["region"] for name, item in found.items()} == {
        "lab-data-eu": "eu-west-2",
        "lab-plain-us": "us-east-1",
    }
    assert found["lab-data-eu"].tags == {"team": "blue"}

    left_at_delete: dict[str, int] = {}
    log = CallLog().watch(account, "s3", "us-east-1").watch(account, "s3", "eu-west-2")

    def check_empty(params, **kwargs):
        left_at_delete[params["Bucket"]] = what_is_left(account, params["Bucket"])

    for region in ("us-east-1", "eu-west-2"):
        s3_in(account, region).meta.events.register("before-parameter-build.s3.DeleteBucket", check_empty)

    result = sweep(account, S3_MODULES)

    assert result.passes[0] == [("s3.bucket", "lab-data-eu"), ("s3.bucket", "lab-plain-us")]
    assert result.passes[-1] == []
    assert left_at_delete == {"lab-data-eu": 0, "lab-plain-us": 0}, "every bucket is empty when it is deleted"
    assert [region for name, params, region in log.calls if name == "DeleteBucket"] == ["eu-west-2", "us-east-1"]
    eu_calls = [name for name, params, region in log.calls if params.get("Bucket") == "lab-data-eu"]
    assert eu_calls.index("DeleteBucketPolicy") < eu_calls.index("DeleteObjects") < eu_calls.index("DeleteBucket")
    assert eu_calls.index("AbortMultipartUpload") < eu_calls.index("DeleteBucket")
    deleted = [o for p in log.named("DeleteObjects") if p["Bucket"] == "lab-data-eu" for o in p["Delete"]["Objects"]]
    assert len(deleted) == 3 and all(o["VersionId"] for o in deleted), "two versions and the delete marker"
    assert s3_in(account, "us-east-1").list_buckets()["Buckets"] == []


def test_a_bucket_of_more_than_a_thousand_versions_is_emptied_in_batches_of_at_most_a_thousand(account):
    s3 = make_bucket(account, "lab-big", "eu-west-1", versioned=True)
    keys = [f"logs/{number:04d}.txt" for number in range(120)]
    for key in keys:
        s3.put_object(Bucket="lab-big", Key=key, Body=b"v1")
    # Every delete without a version id stacks one more delete marker on each key: 1,200 of them.
    for _ in range(10):
        s3.delete_objects(Bucket="lab-big", Delete={"Objects": [{"Key": key} for key in keys], "Quiet": True})
    log = CallLog().watch(account, "s3", "eu-west-1")

    sweep(account, S3_MODULES)

    batches = [len(p["Delete"]["Objects"]) for p in log.named("DeleteObjects")]
    assert len(batches) >= 2 and max(batches) <= BATCH_SIZE == 1000
    assert sum(batches) == 120 + 1200
    assert log.named("DeleteBucket") == [{"Bucket": "lab-big", "ExpectedBucketOwner": account}]


def test_a_bucket_is_never_kept_for_its_name(account):
    # Control Tower's real buckets live in the Log Archive account; in a pool account the name is an attendee's.
    make_bucket(account, "aws-controltower-logs-123456789012-eu-west-1", "eu-west-1")
    make_bucket(account, "aws-athena-results-last-attendee", "eu-west-1")

    result = sweep(account, S3_MODULES)

    assert sorted(i for _t, i in result.passes[0]) == [
        "aws-athena-results-last-attendee",
        "aws-controltower-logs-123456789012-eu-west-1",
    ]
    assert result.passes[-1] == [] and not result.protected.get("s3.bucket")


# --- IAM ----------------------------------------------------------------------------------------


def ssh_public_key() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    return key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()


POLICY = (
    '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}]}'
)
TRUST = (
    '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", '
    '"Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}'
)


OFF_LIMITS = "off limits (Organizations, Control Tower or StackSets)"


def trust_of(principal: str) -> str:
    statement = {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def test_a_user_goes_with_everything_that_hangs_on_it_as_real_iam_demands(account):
    with BotocoreHooks() as hooks:
        hooks.delete_user_like_aws()  # moto deletes a user with keys left; IAM refuses
        iam = member_client(account, "iam", GLOBAL_REGION)
        iam.create_user(UserName="attendee-7f3a", Tags=[{"Key": "workshop", "Value": "w-42"}])
        iam.create_login_profile(UserName="attendee-7f3a", Password="Sandbox-password-1!")
        for _ in range(2):
            iam.create_access_key(UserName="attendee-7f3a")
        serial = iam.create_virtual_mfa_device(VirtualMFADeviceName="attendee-7f3a")["VirtualMFADevice"]["SerialNumber"]
        iam.enable_mfa_device(
            UserName="attendee-7f3a", SerialNumber=serial, AuthenticationCode1="123456", AuthenticationCode2="654321"
        )
        iam.upload_signing_certificate(UserName="attendee-7f3a", CertificateBody=self_signed_certificate("lab"))
        iam.upload_ssh_public_key(UserName="attendee-7f3a", SSHPublicKeyBody=ssh_public_key())
        iam.put_user_policy(UserName="attendee-7f3a", PolicyName="inline", PolicyDocument=POLICY)
        own = iam.create_policy(PolicyName="lab-access", PolicyDocument=POLICY)["Policy"]["Arn"]
        iam.attach_user_policy(UserName="attendee-7f3a", PolicyArn=own)
        iam.attach_user_policy(UserName="attendee-7f3a", PolicyArn=POWER_USER)
        iam.create_group(GroupName="attendees")
        iam.add_user_to_group(GroupName="attendees", UserName="attendee-7f3a")
        iam.put_group_policy(GroupName="attendees", PolicyName="inline", PolicyDocument=POLICY)
        iam.attach_group_policy(GroupName="attendees", PolicyArn=READ_ONLY)
        assert items_of(account, "iam.user", IAM_MODULES)["attendee-7f3a"].tags == {"workshop": "w-42"}
        log = CallLog().watch(account, "iam", GLOBAL_REGION)

        result = sweep(account, IAM_MODULES)

        assert not hooks.refused, "IAM would have refused a delete"
        assert ("iam.user", "attendee-7f3a") in result.passes[0]
        assert ("iam.group", "attendees") in result.passes[0]
        assert ("iam.policy", own) in result.passes[0]
        assert result.passes[-1] == []
        assert iam.list_users()["Users"] == []
        assert iam.list_groups()["Groups"] == []
        assert iam.list_virtual_mfa_devices()["VirtualMFADevices"] == []
        assert iam.list_policies(Scope="Local")["Policies"] == []
        for managed in (POWER_USER, READ_ONLY):
            assert iam.get_policy(PolicyArn=managed)["Policy"]["Arn"] == managed
        user_calls = [name for name, params, _r in log.calls if params.get("UserName") == "attendee-7f3a"]
        assert user_calls[-1] == "DeleteUser"
        for needed in (
            "DeleteLoginProfile",
            "DeleteAccessKey",
            "DeactivateMFADevice",
            "DeleteSigningCertificate",
            "DeleteSSHPublicKey",
            "DeleteUserPolicy",
            "DetachUserPolicy",
            "RemoveUserFromGroup",
        ):
            assert needed in user_calls, needed
        assert log.index("DeleteVirtualMFADevice", SerialNumber=serial) < log.index(
            "DeleteUser", UserName="attendee-7f3a"
        )


def answer(client, operation: str, parsed: dict) -> None:
    """Answer `operation` on this client with `parsed`, for an API moto lacks."""

    def respond(**kwargs):
        return AWSResponse("https://iam.amazonaws.com/", 200, {}, None), parsed

    client.meta.events.register(f"before-call.iam.{operation}", respond)


def test_service_specific_credentials_are_looked_for_when_iam_refuses_to_delete_the_user(account):
    with BotocoreHooks() as hooks:
        iam = member_client(account, "iam", GLOBAL_REGION)
        iam.create_user(UserName="attendee-git")
        # moto has no service-specific credentials: IAM's refusal and its answers are played here.
        hooks.refuse(
            "DeleteUser", "DeleteConflict", "Cannot delete entity, must delete credentials first.", status=409, times=1
        )
        credential = {
            "UserName": "attendee-git",
            "ServiceSpecificCredentialId": "ACCAEXAMPLEGITCRED0001",
            "ServiceName": "codecommit.amazonaws.com",
            "ServiceUserName": "attendee-git-at-1",
            "Status": "Active",
            "CreateDate": datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
        }
        answer(iam, "ListServiceSpecificCredentials", {"ServiceSpecificCredentials": [credential]})
        answer(iam, "DeleteServiceSpecificCredential", {})
        log = CallLog().watch(account, "iam", GLOBAL_REGION)

        sweep(account, IAM_MODULES)

        tail = [name for name, params, _r in log.calls if params.get("UserName") == "attendee-git"][-4:]
        assert tail == ["DeleteUser", "ListServiceSpecificCredentials", "DeleteServiceSpecificCredential", "DeleteUser"]
        assert log.named("DeleteServiceSpecificCredential") == [
            {"UserName": "attendee-git", "ServiceSpecificCredentialId": "ACCAEXAMPLEGITCRED0001"}
        ]
        assert iam.list_users()["Users"] == []


def test_roles_profiles_and_policies_go_except_what_aws_and_the_portal_need(account):
    iam = member_client(account, "iam", GLOBAL_REGION)
    iam.create_role(RoleName="lab-role", AssumeRolePolicyDocument=TRUST, Tags=[{"Key": "Name", "Value": "lab"}])
    own = iam.create_policy(PolicyName="lab-access", PolicyDocument=POLICY)["Policy"]["Arn"]
    for _ in range(2):
        iam.create_policy_version(PolicyArn=own, PolicyDocument=POLICY, SetAsDefault=True)
    iam.attach_role_policy(RoleName="lab-role", PolicyArn=own)
    iam.attach_role_policy(RoleName="lab-role", PolicyArn=POWER_USER)
    iam.put_role_policy(RoleName="lab-role", PolicyName="inline", PolicyDocument=POLICY)
    iam.create_instance_profile(InstanceProfileName="lab-profile")
    iam.add_role_to_instance_profile(InstanceProfileName="lab-profile", RoleName="lab-role")

    linked = iam.create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com")["Role"]["RoleName"]
    management = hub_client("organizations").describe_organization()["Organization"]["MasterAccountId"]
    # What Control Tower and StackSets put in a member account trusts the management account.
    made_by_aws = [
        "aws-controltower-AdministratorExecutionRole",
        "AWSControlTowerExecution",
        "stacksets-exec-0123456789abcdef",
    ]
    for name in made_by_aws:
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust_of(f"arn:aws:iam::{management}:root"))
    # The same kind of names an attendee chose, trusting a stranger's account or a service: they go.
    spoofs = ["AWSReservedSSO_Admin_spoof", "aws-controltower-Spoof", "AWSAdminBackdoor", "stacksets-exec-spoof"]
    iam.create_role(RoleName=spoofs[0], AssumeRolePolicyDocument=TRUST)
    for name in spoofs[1:]:
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust_of("arn:aws:iam::444455556666:root"))
    # A policy the access role uses stays, whoever else uses it; so does a profile holding a protected role.
    shared = iam.create_policy(PolicyName="portal-extras", PolicyDocument=POLICY)["Policy"]["Arn"]
    iam.attach_role_policy(RoleName="OrganizationAccountAccessRole", PolicyArn=shared)
    iam.attach_role_policy(RoleName="lab-role", PolicyArn=shared)
    iam.create_instance_profile(InstanceProfileName="controltower-profile")
    iam.add_role_to_instance_profile(
        InstanceProfileName="controltower-profile", RoleName="aws-controltower-AdministratorExecutionRole"
    )
    assert items_of(account, "iam.role", IAM_MODULES)["lab-role"].tags == {"Name": "lab"}
    log = CallLog().watch(account, "iam", GLOBAL_REGION)

    result = sweep(account, IAM_MODULES)

    assert sorted(result.passes[0]) == sorted(
        [("iam.instance_profile", "lab-profile"), ("iam.policy", own), ("iam.role", "lab-role")]
        + [("iam.role", name) for name in spoofs]
    )
    assert result.passes[-1] == []
    protected_roles = {"OrganizationAccountAccessRole", linked, *made_by_aws}
    assert {r["RoleName"] for r in iam.list_roles()["Roles"]} == protected_roles
    assert result.protected["iam.role"] == {
        "OrganizationAccountAccessRole": "the portal's access role",
        linked: "service-linked role",
        **dict.fromkeys(made_by_aws, f"trusted by account {management}, {OFF_LIMITS}"),
    }
    assert result.protected["iam.policy"] == {shared: "used by protected role OrganizationAccountAccessRole"}
    assert result.protected["iam.instance_profile"] == {
        "controltower-profile": "holds protected role aws-controltower-AdministratorExecutionRole"
    }
    for name, params, _region in log.calls:
        assert params.get("RoleName") not in protected_roles, (name, params)
        assert not str(params.get("PolicyArn", "")).startswith("arn:aws:iam::aws:") or name == "DetachRolePolicy"
    deletes = [p["VersionId"] for p in log.named("DeletePolicyVersion")]
    assert sorted(deletes) == ["v1", "v2"], "every version but the default"
    assert log.index("DeletePolicyVersion", PolicyArn=own) < log.index("DeletePolicy", PolicyArn=own)
    assert iam.get_policy(PolicyArn=POWER_USER)["Policy"]["Arn"] == POWER_USER
    attached = iam.list_attached_role_policies(RoleName="OrganizationAccountAccessRole")["AttachedPolicies"]
    assert shared in {p["PolicyArn"] for p in attached}


def test_the_configured_access_role_is_protected_whatever_its_name(settings):
    settings.CPP_SANDBOX_ROLE_NAME = "CppPortalAccess"

    assert iam_module.role_protection({"RoleName": "CppPortalAccess", "Path": "/"}) == "the portal's access role"
    assert iam_module.role_protection({"RoleName": "anything", "Path": "/aws-service-role/ecs.amazonaws.com/"})
    assert iam_module.role_protection({"RoleName": "lab-role", "Path": "/"}) == ""
    # Organizations' own role is kept because the management account is trusted by it, not for its name.
    trusting = {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999988887777:root"}}]}
    organizations_role = {"RoleName": "ops", "Path": "/", "AssumeRolePolicyDocument": trusting}
    assert iam_module.role_protection(organizations_role, trusted_accounts=frozenset({"999988887777"}))
    assert iam_module.role_protection({"RoleName": "OrganizationAccountAccessRole", "Path": "/"}) == ""


def test_policies_wait_for_every_user_group_and_role_that_could_hold_them():
    order = deletion_order(our_types(IAM_MODULES))

    for holder in ("iam.user", "iam.group", "iam.role"):
        assert order.index(holder) < order.index("iam.policy"), holder
    assert all(REGISTRY[name].is_global for name in order), "IAM is listed once per account"


ADMIN = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}'


def test_users_with_names_that_look_like_aws_s_go_with_their_keys(account):
    # Issue 17's spoofs, each with an admin policy and a key: through the engine and the built-in
    # protection, as a real run sweeps, so that a name alone would have kept them.
    from cleaner import engine, safety

    iam = member_client(account, "iam", GLOBAL_REGION)
    spoofs = ["AWSBackdoor", "aws-x", "StackSet-x", "AWSReservedSSO_x", "OrganizationAccountAccessRole"]
    for name in spoofs:
        iam.create_user(UserName=name)
        iam.put_user_policy(UserName=name, PolicyName="admin", PolicyDocument=ADMIN)
        iam.create_access_key(UserName=name)
    our_types(IAM_MODULES)

    outcome = engine.sweep(
        SweepContext(account, GLOBAL_REGION),
        [REGISTRY["iam.user"]],
        dry_run=False,
        protection=safety.protection(),
        budget_seconds=60,
    )

    assert outcome.converged and outcome.protected == 0 and outcome.deleted == len(spoofs)
    assert iam.list_users()["Users"] == []
    # The access role of that name is a role, and stays.
    assert iam.get_role(RoleName="OrganizationAccountAccessRole")["Role"]["RoleName"] == "OrganizationAccountAccessRole"
