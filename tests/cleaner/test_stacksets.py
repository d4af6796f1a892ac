"""The Organization's StackSets (Control Tower's baseline among them) are known by identity: the
stack ids the management account lists as their instances, and the "aws:cloudformation:stack-id"
tag that only AWS sets on what such a stack made. Names an attendee chose protect nothing.

moto's stack sets give instances stack ids that match no stack in the member account, so the
hub's answers are played by botocore's Stubber; the member account is moto's.
"""

from __future__ import annotations

import io
import json
import logging
import zipfile

import pytest
from botocore.stub import Stubber
from django.conf import settings

from cleaner import safety, stacksets
from cleaner.safety import STACK_ID_TAG, Protection
from cleaner.services import awslambda, cloudformation, events, logs, sns
from cpp_portal import aws
from tests.cleaner.test_services_app import RecordingContext, member_account, types_of
from tests.cleaner.topics import Action, sweep_topic

REGION = "eu-west-1"
TEMPLATE = json.dumps({"Resources": {"Queue": {"Type": "AWS::SQS::Queue"}}})
NOT_DELEGATED = "Account used is not a delegated administrator"


@pytest.fixture
def account():
    with member_account() as context:
        yield context


@pytest.fixture
def hub(account):
    """The management account's CloudFormation, played by Stubber: every expected call must come."""
    client = aws.hub_client("cloudformation", settings.AWS_REGION)
    with Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def lists_stack_sets(hub: Stubber, account_id: str, pages: list[dict[str, list[dict]]], *, caller: str = "SELF"):
    """The hub answers ListStackSets (page by page) and each set's ListStackInstances for the account."""
    for number, page in enumerate(pages):
        params = {"Status": "ACTIVE", "CallAs": caller, **({"NextToken": f"sets-{number}"} if number else {})}
        answer = {"Summaries": [{"StackSetName": name, "StackSetId": f"{name}:1"} for name in page]}
        if number + 1 < len(pages):
            answer["NextToken"] = f"sets-{number + 1}"
        hub.add_response("list_stack_sets", answer, params)
        for name, instances in page.items():
            params = {"StackSetName": name, "StackInstanceAccount": account_id, "CallAs": caller}
            hub.add_response("list_stack_instances", {"Summaries": instances}, params)


def not_a_delegated_admin(hub: Stubber):
    hub.add_client_error("list_stack_sets", "ValidationError", NOT_DELEGATED, 400)


def instance(account_id: str, stack_id: str | None, stack_set: str = "set") -> dict:
    summary = {"StackSetId": f"{stack_set}:1", "Region": REGION, "Account": account_id, "Status": "CURRENT"}
    return {**summary, "StackId": stack_id} if stack_id else summary


def stack_arn(account_id: str, name: str) -> str:
    return f"arn:aws:cloudformation:{REGION}:{account_id}:stack/{name}/0a1b2c3d"


# --- Asking the management account ----------------------------------------------------------------


def test_the_hub_lists_the_stacks_of_every_stack_set_in_the_account_page_by_page(account, hub):
    me, other = account.account_id, "210987654321"
    lists_stack_sets(
        hub,
        me,
        [
            {"AWSControlTowerBP-BASELINE-CLOUDWATCH": [instance(me, stack_arn(me, "cw")), instance(other, "x")]},
            {"guardrails": [instance(me, stack_arn(me, "gr")), instance(me, None)]},  # one not yet deployed
        ],
    )
    not_a_delegated_admin(hub)

    assert stacksets.organization_stacks(me) == {stack_arn(me, "cw"), stack_arn(me, "gr")}
    # Asked once a while, not once per region's sweep: no further answer is queued.
    assert stacksets.organization_stacks(me) == {stack_arn(me, "cw"), stack_arn(me, "gr")}


def test_a_delegated_administrator_lists_the_organizations_stack_sets_as_such(account, hub):
    me = account.account_id
    lists_stack_sets(hub, me, [{}])
    lists_stack_sets(hub, me, [{"org-baseline": [instance(me, stack_arn(me, "org"))]}], caller="DELEGATED_ADMIN")

    assert stacksets.organization_stacks(me) == {stack_arn(me, "org")}


def test_a_hub_that_may_not_list_stack_sets_protects_nothing_and_says_so(account, hub, caplog):
    hub.add_client_error("list_stack_sets", "AccessDenied", "not authorized", 403)
    not_a_delegated_admin(hub)

    with caplog.at_level(logging.WARNING, logger="cleaner.stacksets"):
        found = safety.protection(account.account_id)

    assert found.organization_stacks == frozenset()
    (warning,) = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert "may not list the Organization's stack sets" in warning.getMessage()
    assert account.account_id in warning.getMessage()


def test_any_other_failure_to_ask_refuses_the_sweep(account, hub):
    hub.add_client_error("list_stack_sets", "Throttling", "slow down", 400)

    with pytest.raises(safety.SafetyError, match="StackSets"):
        safety.protection(account.account_id)


def test_without_an_account_protection_asks_nobody():
    assert safety.protection().organization_stacks == frozenset()


# --- The rule --------------------------------------------------------------------------------------


def test_only_the_listed_stack_and_what_carries_its_aws_tag_are_protected():
    from cleaner.registry import Item

    org = stack_arn("123456789012", "StackSet-AWSControlTowerBP-BASELINE-CLOUDWATCH-1")
    rule = Protection(identity_names=frozenset(), organization_stacks=frozenset({org}))

    assert rule.reason(Item(id=org, name="StackSet-AWSControlTowerBP-BASELINE-CLOUDWATCH-1"))
    assert rule.reason(Item(id="fn", tags={STACK_ID_TAG: org})) == "made by the Organization's StackSet"
    assert rule.reason(Item(id=stack_arn("123456789012", "StackSet-x"), name="StackSet-x")) == ""
    assert rule.reason(Item(id="fn", tags={"managed-by": "ControlTower", "stack-id": org})) == ""
    assert rule.reason(Item(id="fn", tags={STACK_ID_TAG: stack_arn("123456789012", "lab")})) == ""
    assert Protection(identity_names=frozenset()).reason(Item(id="fn", tags={STACK_ID_TAG: org})) == ""


# --- A sweep: spoofs go, the Organization's stack and what it made stay -------------------------------


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return 1\n")
    return buffer.getvalue()


def leave_things(context: RecordingContext, name: str, tags: dict[str, str]) -> dict[str, str]:
    """A function fed by a queue, a log group, a topic and a rule named like Control Tower's, tagged `tags`.

    Their ids, by type.
    """
    trust = {"Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:*"}]}
    iam = context.client("iam")
    role = iam.create_role(RoleName=f"{name}-role", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    pairs = [{"Key": k, "Value": v} for k, v in tags.items()]
    function = f"aws-controltower-{name}"
    context.client("lambda").create_function(
        FunctionName=function,
        Runtime="python3.12",
        Role=role,
        Handler="index.handler",
        Code={"ZipFile": _zip()},
        Tags=tags,
    )
    group = f"aws-controltower/CloudTrailLogs-{name}"
    context.client("logs").create_log_group(logGroupName=group, tags=tags)
    topic = context.client("sns").create_topic(Name=f"aws-controltower-SecurityNotifications-{name}", Tags=pairs)
    queue = context.client("sqs").create_queue(QueueName=f"feed-{name}")["QueueUrl"]
    queue_arn = context.client("sqs").get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
    mapping = context.client("lambda").create_event_source_mapping(
        EventSourceArn=queue_arn["Attributes"]["QueueArn"], FunctionName=function, Tags=tags
    )
    rule = context.client("events").put_rule(
        Name=f"aws-controltower-ConfigComplianceChangeEventRule-{name}",
        EventPattern='{"source": ["aws.config"]}',
        Tags=pairs,
    )
    return {
        "lambda.function": function,
        "lambda.event_source_mapping": mapping["UUID"],
        "logs.log_group": group,
        "sns.topic": topic["TopicArn"],
        "events.rule": rule["RuleArn"],
    }


def test_spoofs_of_control_tower_names_go_and_the_organizations_stack_and_what_it_made_stay(account, hub):
    stacks = account.client("cloudformation")
    org = stacks.create_stack(StackName="StackSet-AWSControlTowerBP-BASELINE-CLOUDWATCH-7", TemplateBody=TEMPLATE)
    spoof = stacks.create_stack(StackName="StackSet-x", TemplateBody=TEMPLATE)
    lists_stack_sets(
        hub,
        account.account_id,
        [{"AWSControlTowerBP-BASELINE-CLOUDWATCH": [instance(account.account_id, org["StackId"])]}],
    )
    not_a_delegated_admin(hub)
    kept = leave_things(account, "baseline", {STACK_ID_TAG: org["StackId"]})
    # The attendee's own: Control Tower's names, a tag anyone may set, their own stack's aws: tag.
    gone = leave_things(account, "x", {"managed-by": "ControlTower"})
    theirs = leave_things(account, "theirs", {STACK_ID_TAG: spoof["StackId"]})

    protection = safety.protection(account.account_id)
    done = sweep_topic(
        {REGION: account},
        types_of(cloudformation, awslambda, logs, sns, events),
        protection=protection,
    )

    assert done.left() == {}
    done.assert_dependencies_respected()
    deleted = set(done.recorders[REGION].deleted())
    assert ("cloudformation.stack", spoof["StackId"]) in deleted
    assert set(gone.items()) <= deleted
    assert set(theirs.items()) <= deleted
    protected = {
        (kind, item_id): why
        for kind, item_id, action, why in done.recorders[REGION].events
        if action == Action.PROTECTED
    }
    assert protected[("cloudformation.stack", org["StackId"])] == "a stack of the Organization's StackSet"
    assert not set(kept.items()) & deleted
    # What the stack made stays with it, and says why when asked on its own (a sweep without stacks).
    left = {(cls.type, item.id): item for cls in types_of(awslambda, logs, sns, events) for item in cls(account).list()}
    assert set(left) == set(kept.items())
    assert {protection.reason(item) for item in left.values()} == {"made by the Organization's StackSet"}
    assert [s["StackName"] for s in stacks.describe_stacks()["Stacks"]] == [
        "StackSet-AWSControlTowerBP-BASELINE-CLOUDWATCH-7"
    ]
    assert [f["FunctionName"] for f in account.client("lambda").list_functions()["Functions"]] == [
        kept["lambda.function"]
    ]
    assert [g["logGroupName"] for g in account.client("logs").describe_log_groups()["logGroups"]] == [
        kept["logs.log_group"]
    ]
    assert [t["TopicArn"] for t in account.client("sns").list_topics()["Topics"]] == [kept["sns.topic"]]
    assert [r["Arn"] for r in account.client("events").list_rules()["Rules"]] == [kept["events.rule"]]
