"""The cleaner's application services against moto, in a member account of the Organization.

Each test fills a sandbox account the way a workshop attendee would, sweeps it with the types of
one service module (list → prepare → delete in dependency order, re-listed until nothing is
left, as the engine does), and checks that nothing is left, that protection was switched off
before the delete, and that what belongs to AWS or Control Tower was not touched.

The harness here (`member_account`, `RecordingContext`, `sweep`) is shared with
test_services_data.py. Where moto lacks an operation, a recorded stand-in answers for it (the
call still shows in the record), or botocore's Stubber plays the whole API (Cloud9).
"""

from __future__ import annotations

import io
import json
import threading
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from graphlib import TopologicalSorter
from types import ModuleType

import pytest
from botocore.awsrequest import AWSResponse
from botocore.stub import Stubber

from cleaner.context import Pacer, SweepContext
from cleaner.registry import REGISTRY, Item, Resource
from cleaner.services import (
    apigateway,
    awslambda,
    cloud9,
    cloudformation,
    cloudwatch,
    cognito,
    events,
    logs,
    sns,
    sqs,
    stepfunctions,
)
from tests.aws_fakes import fake_aws

REGION = "eu-west-1"
MAX_PASSES = 5


# --- Harness -------------------------------------------------------------------------------------


class Unpaced(Pacer):
    """These tests check what is called and in which order, not how fast (DeleteRestApi: 1 per 30 s)."""

    def wait(self, account_id, region, service, operation):
        return None


@dataclass
class Call:
    service: str
    operation: str
    params: dict


_last_call = threading.local()


@dataclass
class RecordingContext(SweepContext):
    """A sweep context whose clients record every call, and answer for the calls moto lacks.

    `stand_ins` maps an operation name ("ListDomains"), or a service's operation where two services
    share the name ("opensearchserverless:ListTagsForResource", the name botocore gives the
    service), to its answer, or to a function of the call's parameters that returns it; the call
    is recorded like any other.
    """

    pacer: Pacer = field(default_factory=Unpaced)
    calls: list[Call] = field(default_factory=list)
    stand_ins: dict[str, dict | Callable[[dict], dict]] = field(default_factory=dict)
    _hooked: set[int] = field(default_factory=set)

    def client(self, service: str):
        client = super().client(service)
        if id(client) not in self._hooked:
            self._hooked.add(id(client))
            client.meta.events.register("before-parameter-build", self._record)
            client.meta.events.register("before-call", self._stand_in)
        return client

    def _record(self, params, model, **kwargs):
        call = Call(model.service_model.service_name, model.name, dict(params))
        self.calls.append(call)
        # The engine calls from several threads: each stand-in answers its own thread's call.
        _last_call.call = call

    def _stand_in(self, model, **kwargs):
        answer = self.stand_ins.get(f"{model.service_model.service_name}:{model.name}", self.stand_ins.get(model.name))
        if answer is None:
            return None
        parsed = answer(_last_call.call.params) if callable(answer) else answer
        return AWSResponse(None, 200, {}, None), dict(parsed)

    def operations(self) -> list[str]:
        return [call.operation for call in self.calls]

    def params_of(self, operation: str) -> list[dict]:
        return [call.params for call in self.calls if call.operation == operation]

    def index(self, operation: str, **params) -> int:
        """Where the first `operation` call with (at least) these parameters is in the record."""
        return next(
            i
            for i, call in enumerate(self.calls)
            if call.operation == operation and all(call.params.get(k) == v for k, v in params.items())
        )

    def first(self, operation: str) -> int:
        return self.operations().index(operation)

    def last(self, operation: str) -> int:
        return len(self.calls) - 1 - self.operations()[::-1].index(operation)


@contextmanager
def member_account() -> Iterator[RecordingContext]:
    """A fresh member account of a fresh Organization in moto, reached through the access role."""
    # fake_aws() forgets cached clients on the way in and out: none may outlive its moto.
    with fake_aws() as org:
        (account_id,) = org.add_accounts(1, pool=False)
        yield RecordingContext(account_id=account_id, region=REGION)


def types_of(*modules: ModuleType) -> list[type[Resource]]:
    return [cls for cls in REGISTRY.values() if any(cls.__module__ == module.__name__ for module in modules)]


def in_dependency_order(types: list[type[Resource]]) -> list[type[Resource]]:
    by_name = {cls.type: cls for cls in types}
    graph = {cls.type: [dep for dep in cls.depends_on if dep in by_name] for cls in types}
    return [by_name[name] for name in TopologicalSorter(graph).static_order()]


def deletable(resource: Resource) -> list[Item]:
    return [item for item in resource.list() if not item.protected]


def sweep(context: SweepContext, *modules: ModuleType, passes: int = MAX_PASSES) -> dict[str, list[str]]:
    """What the engine does, in miniature: returns the names of what is left, per type.

    A type is deleted only once every type it depends on has nothing left in this pass; each
    pass re-lists everything, so what AWS deletes asynchronously is waited for.
    """
    resources = [cls(context) for cls in in_dependency_order(types_of(*modules))]
    left: dict[str, list[Item]] = {}
    for _ in range(passes):
        left = {}
        for resource in resources:
            items = deletable(resource)
            if items and not any(left.get(dep) for dep in resource.depends_on):
                for item in items:
                    resource.prepare(item)
                if hasattr(resource, "delete_many"):
                    resource.delete_many(items)
                else:
                    for item in items:
                        resource.delete(item)
                items = deletable(resource)
            left[resource.type] = items
        if not any(left.values()):
            break
    return {name: [item.name for item in items] for name, items in left.items() if items}


def protected_items(context: SweepContext, module: ModuleType) -> dict[str, str]:
    return {item.name: item.protected for cls in types_of(module) for item in cls(context).list() if item.protected}


@pytest.fixture
def account():
    with member_account() as context:
        yield context


def test_the_sweep_orders_types_by_their_dependencies():
    order = [cls.type for cls in in_dependency_order(types_of(cloudwatch))]
    assert order.index("cloudwatch.composite_alarm") < order.index("cloudwatch.metric_alarm")


# --- Lambda --------------------------------------------------------------------------------------


def _zip(source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", source)
    return buffer.getvalue()


def _role(context: RecordingContext, name: str, service: str) -> str:
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
    }
    iam = context.client("iam")
    return iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]


def test_lambda_functions_layers_and_mappings_are_deleted_whatever_their_names(account):
    client = account.client("lambda")
    role = _role(account, "workshop-lambda", "lambda.amazonaws.com")
    code = {"ZipFile": _zip("def handler(event, context):\n    return 1\n")}
    for name in ("orders-api", "orders-worker", "aws-controltower-NotificationForwarder"):
        client.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=role,
            Handler="index.handler",
            Code=code,
            Tags={"workshop": "serverless-101"},
        )
    for _ in range(2):
        client.publish_layer_version(LayerName="shared-libs", Content=code, CompatibleRuntimes=["python3.12"])
    queue = account.client("sqs").create_queue(QueueName="orders")["QueueUrl"]
    queue_arn = account.client("sqs").get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
    client.create_event_source_mapping(
        EventSourceArn=queue_arn["Attributes"]["QueueArn"], FunctionName="orders-worker", BatchSize=10
    )

    functions = {item.name: item for item in awslambda.Function(account).list()}
    assert functions["orders-api"].tags == {"workshop": "serverless-101"}
    assert isinstance(functions["orders-api"].created, datetime)
    assert {item.name for item in awslambda.LayerVersion(account).list()} == {"shared-libs:1", "shared-libs:2"}

    assert protected_items(account, awslambda) == {}  # a name protects nothing (tests/cleaner/test_stacksets.py)
    assert sweep(account, awslambda) == {}
    assert client.list_functions()["Functions"] == []
    assert client.list_event_source_mappings()["EventSourceMappings"] == []


def test_lambda_timestamps_are_read_from_lambdas_own_format():
    assert awslambda.lambda_time("2024-05-01T12:00:00.000+0000") == datetime(2024, 5, 1, 12, tzinfo=UTC)
    assert awslambda.lambda_time(None) is None


# --- CloudWatch Logs -----------------------------------------------------------------------------


def test_log_groups_are_deleted_with_their_tags_read_whatever_their_names(account):
    client = account.client("logs")
    client.create_log_group(logGroupName="/aws/lambda/orders-api", tags={"workshop": "serverless-101"})
    client.create_log_group(logGroupName="app/audit")
    client.create_log_group(logGroupName="aws-controltower/CloudTrailLogs")

    found = {item.name: item for item in logs.LogGroup(account).list()}
    assert found["/aws/lambda/orders-api"].tags == {"workshop": "serverless-101"}
    assert found["aws-controltower/CloudTrailLogs"].protected == ""

    assert sweep(account, logs) == {}
    assert client.describe_log_groups()["logGroups"] == []


def test_log_group_deletion_protection_is_switched_off_before_the_delete(account):
    # moto neither reports nor sets a log group's deletion protection: Stubber plays CloudWatch Logs.
    client = account.client("logs")
    group = {
        "logGroupName": "app/audit",
        "creationTime": 1_714_564_800_000,
        "deletionProtectionEnabled": True,
        "arn": f"arn:aws:logs:{REGION}:{account.account_id}:log-group:app/audit:*",
    }
    with Stubber(client) as stub:
        stub.add_response("describe_log_groups", {"logGroups": [group]})
        stub.add_response("list_tags_for_resource", {"tags": {}}, {"resourceArn": group["arn"][:-2]})
        stub.add_response(
            "put_log_group_deletion_protection",
            {},
            {"logGroupIdentifier": "app/audit", "deletionProtectionEnabled": False},
        )
        stub.add_response("delete_log_group", {}, {"logGroupName": "app/audit"})
        stub.add_response("describe_log_groups", {"logGroups": []})
        assert sweep(account, logs) == {}
        stub.assert_no_pending_responses()


# --- CloudWatch alarms and dashboards ------------------------------------------------------------


def _metric_alarm(client, name: str) -> None:
    client.put_metric_alarm(
        AlarmName=name,
        MetricName="Errors",
        Namespace="AWS/Lambda",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanThreshold",
        Tags=[{"Key": "team", "Value": "a"}],
    )


def test_composite_alarms_go_before_the_metric_alarms_they_watch_and_dashboards_go_too(account):
    client = account.client("cloudwatch")
    _metric_alarm(client, "orders-errors")
    _metric_alarm(client, "orders-latency")
    # moto has no PutCompositeAlarm; its backend makes a composite alarm from a rule.
    from moto.cloudwatch.models import cloudwatch_backends

    cloudwatch_backends[account.account_id][REGION].put_metric_alarm(
        name="orders-unhealthy",
        namespace="",
        metric_name="",
        comparison_operator="",
        evaluation_periods=0,
        period=0,
        threshold=0,
        statistic="",
        description="",
        dimensions=[],
        alarm_actions=[],
        rule='ALARM("orders-errors") OR ALARM("orders-latency")',
    )
    client.put_dashboard(DashboardName="orders", DashboardBody=json.dumps({"widgets": []}))

    assert [item.name for item in cloudwatch.CompositeAlarm(account).list()] == ["orders-unhealthy"]
    assert {item.name for item in cloudwatch.MetricAlarm(account).list()} == {"orders-errors", "orders-latency"}
    assert next(iter(cloudwatch.MetricAlarm(account).list())).tags == {"team": "a"}

    assert sweep(account, cloudwatch) == {}
    deleted = [params["AlarmNames"] for params in account.params_of("DeleteAlarms")]
    assert deleted[0] == ["orders-unhealthy"]
    assert sorted(name for names in deleted[1:] for name in names) == ["orders-errors", "orders-latency"]
    assert client.list_dashboards()["DashboardEntries"] == []


# --- CloudFormation ------------------------------------------------------------------------------

QUEUE_TEMPLATE = json.dumps({"Resources": {"Queue": {"Type": "AWS::SQS::Queue"}}})


def test_stacks_lose_termination_protection_then_go_whatever_their_names(account):
    client = account.client("cloudformation")
    client.create_stack(
        StackName="workshop-app",
        TemplateBody=QUEUE_TEMPLATE,
        EnableTerminationProtection=True,
        Tags=[{"Key": "workshop", "Value": "iac-201"}],
    )
    client.create_stack(StackName="scratch", TemplateBody=QUEUE_TEMPLATE)
    client.create_stack(StackName="StackSet-guardrails-1234", TemplateBody=QUEUE_TEMPLATE)
    client.create_stack(StackName="AWSControlTowerBP-BASELINE-ROLES", TemplateBody=QUEUE_TEMPLATE)
    # moto has no UpdateTerminationProtection (and deletes protected stacks anyway): the call is
    # answered here, and the order of the calls shows the protection went first.
    account.stand_ins["UpdateTerminationProtection"] = lambda params: {"StackId": params["StackName"]}

    assert sweep(account, cloudformation) == {}

    # Names protect nothing: the Organization's stacks are known by id (tests/cleaner/test_stacksets.py).
    assert protected_items(account, cloudformation) == {}
    (unprotect,) = account.params_of("UpdateTerminationProtection")
    assert unprotect["EnableTerminationProtection"] is False
    deletes = [i for i, call in enumerate(account.calls) if call.operation == "DeleteStack"]
    assert len(deletes) == 4
    assert account.first("UpdateTerminationProtection") < deletes[0]
    assert client.describe_stacks()["Stacks"] == []


def test_stacks_still_deleting_are_reported_and_waited_for_and_failed_ones_are_forced(account):
    # moto deletes stacks at once; Stubber plays the asynchronous AWS.
    client = account.client("cloudformation")
    now = datetime(2024, 5, 1, tzinfo=UTC)
    root = f"arn:aws:cloudformation:{REGION}:{account.account_id}:stack/app/1"
    nested = f"arn:aws:cloudformation:{REGION}:{account.account_id}:stack/app-Db-X/2"
    failed = f"arn:aws:cloudformation:{REGION}:{account.account_id}:stack/data/3"
    stacks = [
        {"StackId": root, "StackName": "app", "CreationTime": now, "StackStatus": "DELETE_IN_PROGRESS"},
        {
            "StackId": nested,
            "StackName": "app-Db-X",
            "CreationTime": now,
            "StackStatus": "DELETE_IN_PROGRESS",
            "ParentId": root,
            "RootId": root,
        },
        {"StackId": failed, "StackName": "data", "CreationTime": now, "StackStatus": "DELETE_FAILED"},
    ]
    with Stubber(client) as stub:
        stub.add_response("describe_stacks", {"Stacks": stacks})
        stub.add_response("delete_stack", {}, {"StackName": failed, "DeletionMode": "FORCE_DELETE_STACK"})
        items = list(cloudformation.Stack(account).list())
        # The nested stack goes with its root and is not listed on its own.
        assert [(item.name, item.extra["status"]) for item in items] == [
            ("app", "DELETE_IN_PROGRESS"),
            ("data", "DELETE_FAILED"),
        ]
        for item in items:
            cloudformation.Stack(account).delete(item)  # no call for the one AWS is deleting
        stub.assert_no_pending_responses()


# --- API Gateway ---------------------------------------------------------------------------------


def test_rest_apis_leave_their_usage_plans_first_and_http_apis_go_too(account):
    client = account.client("apigateway")
    api = client.create_rest_api(name="orders", tags={"workshop": "serverless-101"})["id"]
    root = client.get_resources(restApiId=api)["items"][0]["id"]
    client.put_method(restApiId=api, resourceId=root, httpMethod="GET", authorizationType="NONE")
    client.put_integration(restApiId=api, resourceId=root, httpMethod="GET", type="MOCK")
    client.create_deployment(restApiId=api, stageName="prod")
    client.create_usage_plan(name="partners", apiStages=[{"apiId": api, "stage": "prod"}])
    account.client("apigatewayv2").create_api(Name="orders-http", ProtocolType="HTTP", Tags={"team": "a"})

    assert [item.tags for item in apigateway.RestApi(account).list()] == [{"workshop": "serverless-101"}]
    assert sweep(account, apigateway) == {}

    assert account.params_of("UpdateUsagePlan")[0]["patchOperations"] == [
        {"op": "remove", "path": "/apiStages", "value": f"{api}:prod"}
    ]
    assert account.first("UpdateUsagePlan") < account.first("DeleteUsagePlan") < account.first("DeleteRestApi")
    assert client.get_rest_apis()["items"] == []
    assert account.client("apigatewayv2").get_apis()["Items"] == []


# --- SNS and SQS ---------------------------------------------------------------------------------


def test_topics_go_with_their_subscriptions_whatever_their_names(account):
    client = account.client("sns")
    topic = client.create_topic(Name="orders", Tags=[{"Key": "workshop", "Value": "serverless-101"}])["TopicArn"]
    client.create_topic(Name="aws-controltower-SecurityNotifications")
    queue = account.client("sqs").create_queue(QueueName="orders-copy")["QueueUrl"]
    queue_arn = account.client("sqs").get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
    client.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn["Attributes"]["QueueArn"])

    assert [item.tags for item in sns.Topic(account).list() if item.name == "orders"] == [
        {"workshop": "serverless-101"}
    ]
    assert sweep(account, sns) == {}
    assert client.list_topics()["Topics"] == []
    assert client.list_subscriptions()["Subscriptions"] == []


def test_queues_are_deleted_with_tags_and_creation_time_read(account):
    client = account.client("sqs")
    client.create_queue(QueueName="orders", tags={"workshop": "serverless-101"})
    client.create_queue(QueueName="orders-dlq.fifo", Attributes={"FifoQueue": "true"})

    found = {item.name: item for item in sqs.Queue(account).list()}
    assert found["orders"].tags == {"workshop": "serverless-101"}
    assert isinstance(found["orders"].created, datetime)
    assert sweep(account, sqs) == {}
    assert "QueueUrls" not in client.list_queues()


# --- Step Functions ------------------------------------------------------------------------------


def test_state_machines_and_activities_are_deleted(account):
    client = account.client("stepfunctions")
    role = _role(account, "workshop-sfn", "states.amazonaws.com")
    definition = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}})
    client.create_state_machine(
        name="checkout", definition=definition, roleArn=role, tags=[{"key": "workshop", "value": "sfn-101"}]
    )
    client.create_activity(name="approve")

    assert [item.tags for item in stepfunctions.StateMachine(account).list()] == [{"workshop": "sfn-101"}]
    assert sweep(account, stepfunctions) == {}
    assert client.list_state_machines()["stateMachines"] == []
    assert client.list_activities()["activities"] == []


# --- EventBridge and Scheduler -------------------------------------------------------------------


def test_rules_lose_their_targets_on_every_bus_then_buses_and_schedules_go(account):
    client = account.client("events")
    client.create_event_bus(Name="orders-bus", Tags=[{"Key": "workshop", "Value": "eda-101"}])
    client.put_rule(Name="nightly", ScheduleExpression="rate(1 day)")
    client.put_rule(Name="order-placed", EventBusName="orders-bus", EventPattern=json.dumps({"source": ["shop"]}))
    queue = account.client("sqs").create_queue(QueueName="events")["QueueUrl"]
    queue_arn = account.client("sqs").get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
    arn = queue_arn["Attributes"]["QueueArn"]
    client.put_targets(Rule="nightly", Targets=[{"Id": "a", "Arn": arn}, {"Id": "b", "Arn": arn}])
    client.put_targets(Rule="order-placed", EventBusName="orders-bus", Targets=[{"Id": "q", "Arn": arn}])
    client.put_rule(Name="aws-controltower-ConfigComplianceChangeEventRule", EventPattern='{"source": ["aws.config"]}')
    # Only AWS services make managed rules; moto's backend stands in for one.
    from moto.events.models import events_backends

    events_backends[account.account_id][REGION].put_rule(
        "AutoScalingManagedRule", event_pattern='{"source": ["aws.ec2"]}', managed_by="autoscaling.amazonaws.com"
    )
    scheduler = account.client("scheduler")
    scheduler.create_schedule_group(Name="reminders", Tags=[{"Key": "workshop", "Value": "eda-101"}])
    target = {"Arn": arn, "RoleArn": _role(account, "workshop-scheduler", "scheduler.amazonaws.com")}
    for group in ("default", "reminders"):
        scheduler.create_schedule(
            Name=f"ping-{group}",
            GroupName=group,
            ScheduleExpression="rate(1 hour)",
            Target=target,
            FlexibleTimeWindow={"Mode": "OFF"},
        )

    assert sweep(account, events) == {}

    assert protected_items(account, events) == {
        "AutoScalingManagedRule": "managed by autoscaling.amazonaws.com",
    }
    removed = {(p["Rule"], p["EventBusName"]): sorted(p["Ids"]) for p in account.params_of("RemoveTargets")}
    assert removed == {("nightly", "default"): ["a", "b"], ("order-placed", "orders-bus"): ["q"]}
    assert account.last("RemoveTargets") < account.last("DeleteRule") < account.first("DeleteEventBus")
    assert [bus["Name"] for bus in client.list_event_buses()["EventBuses"]] == ["default"]
    assert scheduler.list_schedules()["Schedules"] == []
    assert [group["Name"] for group in scheduler.list_schedule_groups()["ScheduleGroups"]] == ["default"]
    assert account.first("DeleteSchedule") < account.first("DeleteScheduleGroup")


# --- Cognito -------------------------------------------------------------------------------------


def test_user_pools_lose_protection_and_domain_first_and_identity_pools_go(account):
    client = account.client("cognito-idp")
    pool = client.create_user_pool(
        PoolName="customers", DeletionProtection="ACTIVE", UserPoolTags={"workshop": "auth-101"}
    )["UserPool"]["Id"]
    client.create_user_pool_domain(Domain="customers-login-1234", UserPoolId=pool)
    client.create_user_pool(PoolName="staff")
    account.client("cognito-identity").create_identity_pool(
        IdentityPoolName="customers_identities", AllowUnauthenticatedIdentities=False
    )

    found = {item.name: item for item in cognito.UserPool(account).list()}
    assert found["customers"].extra == {"deletion_protection": True, "domains": ["customers-login-1234"]}
    assert found["customers"].tags == {"workshop": "auth-101"}

    assert sweep(account, cognito) == {}
    assert account.params_of("UpdateUserPool") == [{"UserPoolId": pool, "DeletionProtection": "INACTIVE"}]
    deletes = [i for i, call in enumerate(account.calls) if call.operation == "DeleteUserPool"]
    assert account.first("UpdateUserPool") < account.first("DeleteUserPoolDomain") < max(deletes)
    assert client.list_user_pools(MaxResults=60)["UserPools"] == []
    assert account.client("cognito-identity").list_identity_pools(MaxResults=60)["IdentityPools"] == []


# --- Cloud9 --------------------------------------------------------------------------------------


def test_cloud9_environments_are_listed_in_batches_and_deleted_unless_already_deleting(account):
    # moto does not implement Cloud9 at all: Stubber plays the real API.
    client = account.client("cloud9")
    ids = [f"env{n:02d}" for n in range(27)]

    def environment(env_id: str, status: str = "READY") -> dict:
        return {
            "id": env_id,
            "name": f"ide-{env_id}",
            "type": "ec2",
            "lifecycle": {"status": status},
            "arn": f"arn:aws:cloud9:{REGION}:{account.account_id}:environment:{env_id}",
            "ownerArn": f"arn:aws:iam::{account.account_id}:user/attendee",
        }

    described = [environment(env_id, "DELETING" if env_id == "env26" else "READY") for env_id in ids]
    with Stubber(client) as stub:
        stub.add_response("list_environments", {"environmentIds": ids[:20], "nextToken": "page-2"})
        stub.add_response("list_environments", {"environmentIds": ids[20:]}, {"nextToken": "page-2"})
        stub.add_response("describe_environments", {"environments": described[:25]}, {"environmentIds": ids[:25]})
        for _ in described[:25]:
            stub.add_response("list_tags_for_resource", {"Tags": [{"Key": "workshop", "Value": "ide-101"}]})
        stub.add_response("describe_environments", {"environments": described[25:]}, {"environmentIds": ids[25:]})
        for _ in described[25:]:
            stub.add_response("list_tags_for_resource", {"Tags": []})
        items = list(cloud9.Environment(account).list())
        for env_id in ids[:26]:
            stub.add_response("delete_environment", {}, {"environmentId": env_id})
        for item in items:
            cloud9.Environment(account).delete(item)
        stub.assert_no_pending_responses()

    assert len(items) == 27
    assert items[0].tags == {"workshop": "ide-101"}
    assert items[0].name == "ide-env00"


def test_cloud9_reports_itself_not_offered_where_the_endpoint_does_not_know_it(account):
    # moto answers a bare 404; the engine counts NotImplementedError as "not offered here".
    with pytest.raises(NotImplementedError):
        list(cloud9.Environment(account).list())
