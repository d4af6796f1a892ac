"""A CloudFormation stack's service role waits for the stack: the stack needs it to delete itself.

Stacks are regional and roles global, so the two are swept apart; the role's own sweep (the real
engine, here) refuses to delete it while a live stack in any enabled region runs as it.
"""

from __future__ import annotations

import json

from cleaner.context import GLOBAL_REGION, SweepContext
from cleaner.engine import sweep
from cleaner.models import CleanupItem
from cleaner.services.iam import Role, trusts_cloudformation
from cpp_portal.aws import member_client
from tests.cleaner.test_engine import PROTECTION, ListRecorder

Action = CleanupItem.Action
TEMPLATE = json.dumps({"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}})


def trust(*services: str) -> str:
    principal = {"Service": list(services) if len(services) > 1 else services[0]}
    statement = {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def test_a_stacks_service_role_waits_for_the_stack_and_then_goes(org, few_regions):
    (account_id,) = org.add_accounts(1, pool=False)
    iam = member_client(account_id, "iam", GLOBAL_REGION)
    deployer = iam.create_role(RoleName="lab-deployer", AssumeRolePolicyDocument=trust("cloudformation.amazonaws.com"))
    iam.create_role(RoleName="lab-spare", AssumeRolePolicyDocument=trust("cloudformation.amazonaws.com"))
    baseline = iam.create_role(RoleName="baseline", AssumeRolePolicyDocument=trust("cloudformation.amazonaws.com"))
    iam.create_role(RoleName="lab-app", AssumeRolePolicyDocument=trust("lambda.amazonaws.com"))
    stacks = member_client(account_id, "cloudformation", "eu-west-1")
    stacks.create_stack(StackName="lab", TemplateBody=TEMPLATE, RoleARN=deployer["Role"]["Arn"])
    stacks.create_stack(StackName="StackSet-baseline-1", TemplateBody=TEMPLATE, RoleARN=baseline["Role"]["Arn"])

    class RegionalSweepMeanwhile(ListRecorder):
        def scanned(self, scans, clean_scans_in_a_row):
            super().scanned(scans, clean_scans_in_a_row)
            if scans == 1:
                # What the region's own sweep does meanwhile: "StackSet-baseline-1" is only a name
                # an attendee chose (the Organization's stacks are known by id), so it goes too.
                stacks.delete_stack(StackName="lab")
                stacks.delete_stack(StackName="StackSet-baseline-1")

    recorder = RegionalSweepMeanwhile()
    outcome = sweep(
        SweepContext(account_id, GLOBAL_REGION), [Role], dry_run=False, recorder=recorder, protection=PROTECTION
    )

    assert outcome.converged
    failed = sorted((item_id, error) for _type, item_id, action, error in recorder.rows if action == Action.FAILED)
    waits = "runs as this role and needs it to delete itself: waits for it"
    assert failed == [
        ("baseline", f"DeleteConflict: stack StackSet-baseline-1 in eu-west-1 {waits}"),
        ("lab-deployer", f"DeleteConflict: stack lab in eu-west-1 {waits}"),
    ]
    assert sorted(recorder.actions(Action.DELETED)) == ["baseline", "lab-app", "lab-deployer", "lab-spare"]
    assert sorted(r["RoleName"] for r in iam.list_roles()["Roles"]) == ["OrganizationAccountAccessRole"]


def test_only_roles_cloudformation_may_assume_send_the_sweep_looking_for_stacks():
    assert trusts_cloudformation({"AssumeRolePolicyDocument": json.loads(trust("cloudformation.amazonaws.com"))})
    both = json.loads(trust("lambda.amazonaws.com", "cloudformation.amazonaws.com"))
    assert trusts_cloudformation({"AssumeRolePolicyDocument": both})
    assert trusts_cloudformation({"AssumeRolePolicyDocument": trust("cloudformation.amazonaws.com")})
    assert not trusts_cloudformation({"AssumeRolePolicyDocument": json.loads(trust("lambda.amazonaws.com"))})
    account_principal = {"Statement": {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::1:root"}}}
    assert not trusts_cloudformation({"AssumeRolePolicyDocument": account_principal})
    assert not trusts_cloudformation({})
