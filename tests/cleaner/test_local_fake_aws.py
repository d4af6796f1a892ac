"""The local fake AWS that `make run` starts (moto's server in its own process), as the cleaner and
provisioning meet it.

moto in-process (the rest of these tests) and moto's server do not answer alike: a service moto
lacks (Cloud9) is a bare 404 in one and was a 500 from a crash in the other, which the sweep had to
report as a failed listing on every scan, so no cleanup of the local stack ever finished clean.
"""

from __future__ import annotations

import subprocess

import pytest
from django.test import override_settings

from cleaner import engine, safety
from cleaner.context import GLOBAL_REGION, SweepContext
from cpp_portal import fake_aws
from cpp_portal.aws import forget_clients, hub_client, member_client

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

REGION = "eu-west-1"


# One server for the module: starting it (the Organization, then AWS's managed policies in each
# account it serves) took 11 s, three times over. Each test works in an account of its own.
@pytest.fixture(scope="module")
def local_fake_aws():
    port = fake_aws.free_port()
    endpoint = f"http://{fake_aws.HOST}:{port}"
    with pytest.MonkeyPatch.context() as patch, override_settings(AWS_ENDPOINT_URL=endpoint):
        for name, value in fake_aws.environment(endpoint).items():
            patch.setenv(name, value)
        forget_clients()
        fake = fake_aws.start(port=port, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            yield fake
        finally:
            fake.stop()
            forget_clients()


def sandbox_account(fake, index: int) -> str:
    organizations = hub_client("organizations")
    accounts = organizations.list_accounts_for_parent(ParentId=fake.sandbox_ou_id)["Accounts"]
    return sorted(a["Id"] for a in accounts)[index]


def test_a_service_moto_lacks_is_a_bare_404_not_a_crash(local_fake_aws):
    cloud9 = member_client(sandbox_account(local_fake_aws, 0), "cloud9", REGION)
    with pytest.raises(cloud9.exceptions.ClientError) as raised:
        cloud9.list_environments()
    answer = raised.value.response
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert answer["ResponseMetadata"]["RetryAttempts"] == 0  # nothing for botocore to retry


def test_the_managed_policy_a_demo_workshop_gives_its_attendees_can_be_attached(local_fake_aws):
    iam = member_client(sandbox_account(local_fake_aws, 1), "iam")
    iam.create_user(UserName="attendee-01")
    iam.attach_user_policy(UserName="attendee-01", PolicyArn="arn:aws:iam::aws:policy/PowerUserAccess")
    attached = iam.list_attached_user_policies(UserName="attendee-01")["AttachedPolicies"]
    assert [p["PolicyName"] for p in attached] == ["PowerUserAccess"]


def test_a_sweep_of_a_sandbox_account_finishes_clean(local_fake_aws):
    account_id = sandbox_account(local_fake_aws, 2)
    ec2 = member_client(account_id, "ec2", REGION)
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.1.0/24")
    ec2.create_security_group(GroupName="lab", Description="lab", VpcId=vpc)
    member_client(account_id, "sqs", REGION).create_queue(QueueName="lab-queue")
    member_client(account_id, "iam").create_user(UserName="attendee-01")

    types = engine.resource_types()
    protection = safety.protection()
    outcomes = {
        region: engine.sweep(
            SweepContext(account_id, region),
            [t for t in types if t.is_global == (region == GLOBAL_REGION)],
            dry_run=False,
            protection=protection,
            budget_seconds=120,
        )
        for region in (REGION, GLOBAL_REGION)
    }

    for region, outcome in outcomes.items():
        assert outcome.list_errors == {}, region
        assert outcome.remaining == [], region
        assert outcome.converged, region
    assert "cloud9.environment" in outcomes[REGION].unavailable
    assert outcomes[REGION].deleted == 4  # the VPC, its subnet, the security group and the queue
    assert outcomes[GLOBAL_REGION].deleted == 1
    assert [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"] if not v["IsDefault"]] == []
