"""Every gate of cleaner.safety refuses what it must, says why, and lets the rest through."""

from __future__ import annotations

from datetime import timedelta

import pytest
from botocore.stub import Stubber
from django.test import override_settings

from cleaner import safety
from cleaner.context import GLOBAL_REGION
from cleaner.registry import Item
from cleaner.safety import Filters, Protection, SafetyError
from cpp_portal.aws import hub_client, member_client
from tests.cleaner.conftest import now
from tests.factories import SandboxAccountFactory, workshop_in
from workshops.models import SandboxAccount, SandboxAccountState, Stage

pytestmark = pytest.mark.django_db


def test_pool_accounts_pass_and_come_back_in_the_order_asked(pool):
    ids = [a.aws_account_id for a in reversed(pool)]
    assert [a.aws_account_id for a in safety.accounts_check(ids, dry_run=False)] == ids


def test_the_management_account_is_refused_even_if_it_were_in_the_pool(org):
    SandboxAccountFactory(aws_account_id=org.management_account_id)
    with pytest.raises(SafetyError, match="management account: the cleaner never touches it"):
        safety.accounts_check([org.management_account_id], dry_run=True)


def test_the_portals_own_account_is_refused(org, db):
    own = SandboxAccountFactory(aws_account_id="222233334444")
    safety._identity = None
    with Stubber(hub_client("sts")) as sts:
        sts.add_response(
            "get_caller_identity",
            {"Account": own.aws_account_id, "Arn": f"arn:aws:iam::{own.aws_account_id}:user/cpp-portal", "UserId": "X"},
        )
        with pytest.raises(SafetyError, match="222233334444 is the portal's own account"):
            safety.accounts_check([own.aws_account_id], dry_run=True)
    # …but its principal's name protects nothing in a sandbox, where it is only a name an attendee may choose.
    assert "cpp-portal" not in safety.protection().identity_names


def test_an_account_outside_the_pool_is_refused(org):
    (outsider,) = org.add_accounts(1, pool=False)
    with pytest.raises(SafetyError, match=f"{outsider} is not in the sandbox pool"):
        safety.accounts_check([outsider], dry_run=True)


def test_a_retired_account_is_refused(pool):
    SandboxAccount.objects.filter(pk=pool[0].pk).update(state=SandboxAccountState.RETIRED)
    with pytest.raises(SafetyError, match="has left the pool"):
        safety.accounts_check([pool[0].aws_account_id], dry_run=True)


def test_an_account_in_use_may_be_looked_at_but_not_cleaned(pool):
    workshop = workshop_in(Stage.RUNNING, title="Serverless Day")
    SandboxAccount.objects.filter(pk=pool[0].pk).update(state=SandboxAccountState.IN_USE, workshop=workshop)
    assert safety.accounts_check([pool[0].aws_account_id], dry_run=True)
    with pytest.raises(SafetyError, match="in use by “Serverless Day”: attendees are working in it"):
        safety.accounts_check([pool[0].aws_account_id], dry_run=False)


def test_every_problem_is_named_at_once(pool, org):
    with pytest.raises(SafetyError) as refused:
        safety.accounts_check([org.management_account_id, "999988887777", pool[0].aws_account_id], dry_run=True)
    lines = str(refused.value).splitlines()
    assert len(lines) == 2 and "management" in lines[0] and "999988887777" in lines[1]


@pytest.mark.parametrize("bad", ["12345", "abcdefghijkl", "1234567890123"])
def test_something_that_is_not_an_account_id_is_refused_before_aws_is_asked(bad, db):
    with pytest.raises(SafetyError, match="is not an AWS account id"):
        safety.accounts_check([bad], dry_run=True)


def test_no_accounts_at_all_is_refused(db):
    with pytest.raises(SafetyError, match="No accounts"):
        safety.accounts_check([], dry_run=True)


def test_when_aws_cannot_say_who_is_off_limits_nothing_is_done(org, db):
    safety._identity = None
    with Stubber(hub_client("organizations")) as organizations:
        organizations.add_client_error("describe_organization", "AccessDeniedException", "no")
        with pytest.raises(SafetyError, match="Could not ask AWS which accounts are off limits"):
            safety.accounts_check(["123412341234"], dry_run=True)


def test_unknown_regions_and_services_are_refused():
    assert safety.regions_check(["eu-west-1", " us-east-1 ", ""]) == ["eu-west-1", "us-east-1"]
    with pytest.raises(SafetyError, match="Unknown AWS regions: eu-west-9"):
        safety.regions_check(["eu-west-9"])
    assert safety.services_check(["ec2", "s3.bucket"], ["ec2.volume", "s3.bucket"]) == ["ec2", "s3.bucket"]
    with pytest.raises(SafetyError, match="Unknown services: ec3. Known: ec2, s3"):
        safety.services_check(["ec3"], ["ec2.volume", "s3.bucket"])


def test_only_regions_the_account_has_enabled_are_swept(org):
    (account_id,) = org.add_accounts(1, pool=False)
    # moto ignores opt-in; a stub answers as AWS does for an account that opted in to one region.
    with Stubber(member_client(account_id, "ec2", GLOBAL_REGION)) as ec2:
        ec2.add_response(
            "describe_regions",
            {
                "Regions": [
                    {"RegionName": "eu-west-1", "OptInStatus": "opt-in-not-required"},
                    {"RegionName": "eu-south-1", "OptInStatus": "opted-in"},
                    {"RegionName": "af-south-1", "OptInStatus": "not-opted-in"},
                ]
            },
            {"AllRegions": False},
        )
        assert safety.enabled_regions(account_id) == ["eu-south-1", "eu-west-1"]


# --- Items -----------------------------------------------------------------------------------------

PROTECTION = Protection(identity_names=frozenset({"OrganizationAccountAccessRole", "cpp-portal"}))


ROLE_ARN = "arn:aws:iam::111122223333:role/"
USER_ARN = "arn:aws:iam::111122223333:user/"


@pytest.mark.parametrize(
    ("item", "why"),
    [
        (Item(id="access-role", extra={"arn": ROLE_ARN + "OrganizationAccountAccessRole"}), "access role"),
        (Item(id="policy-1", extra={"roles": ["OrganizationAccountAccessRole"]}), "access role"),
        (Item(id="profile-1", extra={"role": "OrganizationAccountAccessRole"}), "access role"),
        (Item(id="arn:aws:iam::aws:policy/AdministratorAccess"), "AWS-managed policy"),
        (Item(id="r", extra={"arn": ROLE_ARN + "aws-service-role/x.amazonaws.com/Foo"}), "service-linked"),
        (
            Item(id="sso", extra={"arn": ROLE_ARN + "aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_1"}),
            "Identity Center",
        ),
        (Item(id="alias/aws/s3"), "KMS"),
        (Item(id="vpc-1", protected="the default VPC"), "the default VPC"),
    ],
)
def test_what_aws_and_the_portal_need_is_protected_by_identity(item, why):
    assert why in PROTECTION.reason(item)


@pytest.mark.parametrize(
    "item",
    [
        Item(id="lab-bucket"),
        Item(id="/aws/lambda/attendee-function"),  # the log group of an attendee's function
        Item(id="arn:aws:sns:eu-west-1:123456789012:lab-topic"),
        Item(id="i-0123456789", name="workshop-server"),
        Item(id="policy-2", extra={"roles": ["lab-role"]}),
        # Names an attendee can choose protect nothing: a stranger's keys or data would outlive the sweep.
        Item(id="AWSBackdoor", extra={"arn": USER_ARN + "AWSBackdoor"}),
        Item(id="aws-x", extra={"arn": USER_ARN + "aws-x"}),
        Item(id="StackSet-x", extra={"arn": USER_ARN + "StackSet-x"}),
        Item(id="AWSReservedSSO_x", extra={"arn": USER_ARN + "AWSReservedSSO_x"}),
        Item(id="OrganizationAccountAccessRole", extra={"arn": USER_ARN + "OrganizationAccountAccessRole"}),
        Item(id="cpp-portal", extra={"arn": USER_ARN + "cpp-portal"}),  # the portal's own principal's name
        Item(id="AWSServiceRoleForSupport", extra={"arn": ROLE_ARN + "AWSServiceRoleForSupport"}),  # not its path
        Item(id="aws-controltower-logs-123456789012-eu-west-1"),  # a bucket
        Item(id="aws-sam-cli-managed-default"),
        Item(id="OrganizationAccountAccessRole/AdministratorAccess"),  # an SSM parameter may be called that
        Item(id="/aws-reserved/x", extra={"arn": "arn:aws:ssm:eu-west-1:1:parameter/aws-reserved/x"}),
    ],
)
def test_what_attendees_made_is_not_protected_whatever_its_name(item):
    assert PROTECTION.reason(item) == ""


@override_settings(CPP_SANDBOX_ROLE_NAME="CppPortalAccess")
def test_the_configured_access_role_is_protected(org):
    role = Item(id="CppPortalAccess", extra={"arn": ROLE_ARN + "CppPortalAccess"})
    assert "access role" in safety.protection().reason(role)


@pytest.mark.parametrize(
    ("filters", "item", "why"),
    [
        (Filters(keep_tags={"keep": "*"}), Item(id="a", tags={"keep": "no"}), "kept by tag keep=no"),
        (Filters(keep_tags={"env": "prod"}), Item(id="a", tags={"env": "dev"}), ""),
        (Filters(only_tags={"team": "a"}), Item(id="a", tags={"team": "b"}), "not tagged team=a"),
        (Filters(only_tags={"team": "*"}), Item(id="a", tags={"team": "b"}), ""),
        (Filters(name_patterns=("lab-*",)), Item(id="i-1", name="prod"), "name matches none of lab-*"),
        (Filters(name_patterns=("i-*",)), Item(id="i-1", name="prod"), ""),  # the id counts as a name too
        (Filters(keep_name_patterns=("*-golden",)), Item(id="ami-golden"), "kept by name pattern *-golden"),
        (Filters(min_age=timedelta(hours=2)), Item(id="a", created=now() - timedelta(hours=1)), "younger than 2.0"),
        (Filters(min_age=timedelta(hours=2)), Item(id="a", created=now() - timedelta(hours=3)), ""),
        (Filters(min_age=timedelta(hours=2)), Item(id="a"), "creation time unknown"),
    ],
)
def test_user_filters(filters, item, why):
    reason = filters.reason_to_skip(item, now())
    assert reason.startswith(why) if why else reason == ""


def test_tag_filters_are_parsed_or_refused():
    assert safety.parse_tags(["env=prod", "keep", "a = b "]) == {"env": "prod", "keep": "*", "a": "b"}
    with pytest.raises(SafetyError, match="is not a tag filter"):
        safety.parse_tags(["=x"])
