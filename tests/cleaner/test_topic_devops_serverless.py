"""Topic: DevOps and serverless workshops, swept by the real engine in two regions.

A DevOps workshop leaves a repository, a build project (with a build still running and its report
group), a pipeline with its webhook and a custom action, a CodeDeploy application and deployment
configuration, a CodeArtifact domain with repositories, connections, and a Beanstalk application
with its environment. A serverless one leaves AppSync APIs, Scheduler schedules in a group, a REST
API behind a custom domain with a usage plan and a key, a Cloud Map namespace with a service and
instances, a running canary, a Transfer server with a user, an App Runner service and what it uses,
and an Amplify app. moto's gaps are stateful stand-ins (tests/cleaner/devapp_fakes.py,
test_services_devapp_devtools.py and test_services_devapp_serverless.py).
"""

from __future__ import annotations

from cleaner import engine
from cleaner.registry import REGISTRY, Resource
from cleaner.safety import Protection
from cleaner.services import (
    amplify,
    apigateway,
    apigateway_access,
    apprunner,
    appsync,
    devtools,
    elasticbeanstalk,
    servicediscovery,
    synthetics,
    transfer,
)
from tests.cleaner.devapp_fakes import role_arn
from tests.cleaner.test_services_app import RecordingContext, member_account, types_of
from tests.cleaner.test_services_devapp_devtools import Beanstalk, devops_footprint
from tests.cleaner.test_services_devapp_serverless import Serverless, api_gateway_edge, canary, cloud_map
from tests.cleaner.topics import OrderRecorder, TopicSweep

REGIONS = ("eu-west-1", "us-east-1")
SCHEDULER = [REGISTRY["scheduler.schedule"], REGISTRY["scheduler.schedule_group"]]


def two_regions(context: RecordingContext) -> dict[str, RecordingContext]:
    """The member account in each region: one recording context a region, stand-ins of its own."""
    return {REGIONS[0]: context, REGIONS[1]: RecordingContext(account_id=context.account_id, region=REGIONS[1])}


def sweep_both(contexts: dict[str, RecordingContext], types: list[type[Resource]]) -> TopicSweep:
    """What sweep_topic does, with two differences: us-east-1 is swept as a region (sweep_topic takes
    the us-east-1 context, GLOBAL_REGION, for the account-wide types alone, and these are regional),
    and one deleting thread: RecordingContext hands a stand-in the parameters of the last call
    recorded, which under several threads may be another thread's."""
    outcomes, recorders = {}, {}
    for region, context in contexts.items():
        recorders[region] = OrderRecorder()
        outcomes[region] = engine.sweep(
            context,
            [t for t in types if not t.is_global],
            dry_run=False,
            protection=Protection(identity_names=frozenset({"OrganizationAccountAccessRole"})),
            budget_seconds=120,
            recorder=recorders[region],
            pause_seconds=0,
            workers=1,
        )
    return TopicSweep(outcomes, recorders)


def first_deleted(order: list[tuple[str, str]], kind: str) -> int:
    return next(i for i, (k, _) in enumerate(order) if k == kind)


def last_deleted(order: list[tuple[str, str]], kind: str) -> int:
    return max(i for i, (k, _) in enumerate(order) if k == kind)


def test_a_devops_workshop_is_swept_clean_in_both_regions():
    with member_account() as home:
        contexts = two_regions(home)
        tools = {}
        for region, context in contexts.items():
            tools[region] = devops_footprint(context)
            Beanstalk(context).add("shop", f"shop-{region}")

        swept = sweep_both(contexts, types_of(devtools, elasticbeanstalk))

        assert swept.left() == {}
        swept.assert_dependencies_respected()
        for region, context in contexts.items():
            order = swept.recorders[region].deleted()
            assert last_deleted(order, "codebuild.build") < first_deleted(order, "codebuild.project")
            assert first_deleted(order, "codepipeline.webhook") < first_deleted(order, "codepipeline.pipeline")
            assert first_deleted(order, "codepipeline.pipeline") < first_deleted(
                order, "codepipeline.custom_action_type"
            )
            assert last_deleted(order, "codeartifact.repository") < first_deleted(order, "codeartifact.domain")
            assert first_deleted(order, "codedeploy.application") < first_deleted(order, "codedeploy.deployment_config")
            assert first_deleted(order, "elasticbeanstalk.environment") < first_deleted(
                order, "elasticbeanstalk.application"
            )
            # Each region's own things, and only those, were deleted there.
            assert context.params_of("TerminateEnvironment") == [
                {"EnvironmentId": f"e-shop-{region}", "TerminateResources": True, "ForceTerminate": True}
            ]
            assert sorted(tools[region].artifact_repositories.deleted) == ["app-packages", "npm-store"]
            assert tools[region].deploy_configs.deleted == ["WorkshopHalf"]


def serverless_footprint(context: RecordingContext) -> Serverless:
    fakes = Serverless(context)
    appsync = context.client("appsync")
    api = appsync.create_graphql_api(name="orders", authenticationType="API_KEY")["graphqlApi"]["apiId"]
    appsync.create_api_key(apiId=api)
    scheduler = context.client("scheduler")
    scheduler.create_schedule_group(Name="reminders")
    for group in ("reminders", "default"):
        scheduler.create_schedule(
            Name=f"nightly-{group}",
            GroupName=group,
            ScheduleExpression="rate(1 day)",
            FlexibleTimeWindow={"Mode": "OFF"},
            Target={"Arn": f"arn:aws:sqs:{context.region}:{context.account_id}:q", "RoleArn": role_arn(context)},
        )
    api_gateway_edge(context, f"api.{context.region}.shop.example")
    fakes.certificates.add(clientCertificateId="cc-1", description="backend mTLS")
    cloud_map(context, "shop.local")
    canary(context, "homepage", state="RUNNING")
    transfer = context.client("transfer")
    server = transfer.create_server(Protocols=["SFTP"])["ServerId"]
    transfer.create_user(ServerId=server, UserName="alice", Role=role_arn(context))
    fakes.apprunner("shop")
    fakes.amplify.add(appId="d1", name="site", appArn="arn:aws:amplify:::apps/d1")
    return fakes


def test_a_serverless_workshop_is_swept_clean_in_both_regions():
    with member_account() as home:
        contexts = two_regions(home)
        fakes = {region: serverless_footprint(context) for region, context in contexts.items()}
        types = (
            types_of(appsync, apigateway, apigateway_access, servicediscovery, synthetics, transfer, apprunner, amplify)
            + SCHEDULER
        )

        swept = sweep_both(contexts, types)

        assert swept.left() == {}
        swept.assert_dependencies_respected()
        for region, context in contexts.items():
            order = swept.recorders[region].deleted()
            assert last_deleted(order, "scheduler.schedule") < first_deleted(order, "scheduler.schedule_group")
            assert first_deleted(order, "apigateway.domain_name") < first_deleted(order, "apigateway.rest_api")
            assert first_deleted(order, "apigateway.usage_plan") < first_deleted(order, "apigateway.rest_api")
            assert first_deleted(order, "apigateway.rest_api") < first_deleted(order, "apigateway.vpc_link")
            assert last_deleted(order, "servicediscovery.instance") < first_deleted(order, "servicediscovery.service")
            assert first_deleted(order, "servicediscovery.service") < first_deleted(order, "servicediscovery.namespace")
            assert first_deleted(order, "apprunner.service") < first_deleted(order, "apprunner.vpc_connector")
            # The schedule in the default group went; the default group itself is every account's.
            deleted_schedules = {p["Name"]: p["GroupName"] for p in context.params_of("DeleteSchedule")}
            assert deleted_schedules == {"nightly-reminders": "reminders", "nightly-default": "default"}
            assert [p["Name"] for p in context.params_of("DeleteScheduleGroup")] == ["reminders"]
            assert context.params_of("StopCanary") == [{"Name": "homepage"}]
            assert context.index("StopCanary") < context.index("DeleteCanary")
            assert context.params_of("DeleteDomainName") == [{"domainName": f"api.{region}.shop.example"}]
            assert fakes[region].amplify.deleted == ["d1"]
            assert fakes[region].canaries == {}
