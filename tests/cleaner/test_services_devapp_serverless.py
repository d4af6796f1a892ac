"""The serverless extras against moto, and against stateful stand-ins where moto lacks them: AppSync,
Amplify, App Runner, Cloud Map, Synthetics, Transfer, Pipes, and API Gateway's and ECS's additions.

Amplify and App Runner are missing from moto altogether; Synthetics can neither stop nor delete,
and a few listings (client certificates, Transfer workflows) are absent. `Fake` (devapp_fakes.py)
stands in for those: a dict that creates fill, listings read and deletes empty.
"""

from __future__ import annotations

import pytest

from cleaner.services import (
    amplify,
    apigateway,
    apigateway_access,
    apprunner,
    appsync,
    devtools,
    ecs,
    ecs_capacity,
    pipes,
    servicediscovery,
    synthetics,
    transfer,
)
from tests.cleaner.devapp_fakes import (
    Fake,
    account_fixture,  # noqa: F401 (the `account` fixture)
    role_arn,
)
from tests.cleaner.test_services_app import RecordingContext, protected_items, sweep

# --- Serverless: AppSync, Amplify, App Runner, Cloud Map, Synthetics, Transfer, Pipes ----------------------


class Serverless:
    """What moto lacks of the serverless services, on one context."""

    def __init__(self, context: RecordingContext):
        from moto.synthetics.models import synthetics_backends

        self.context = context
        self.amplify = Fake(context, "amplify", ("ListApps", "apps"), ("DeleteApp", "appId"), "appId")
        self.apprunner_services = Fake(
            context,
            "apprunner",
            ("ListServices", "ServiceSummaryList"),
            ("DeleteService", "ServiceArn"),
            "ServiceArn",
            # AWS answers at once and deletes in its own time: the service is listed as going once more.
            on_delete=lambda thing, params: self.apprunner_services.things.__setitem__(
                params["ServiceArn"], {**thing, "Status": "OPERATION_IN_PROGRESS"}
            ),
        )
        context.stand_ins["apprunner:ListServices"] = self._list_apprunner_services
        self.scaling = Fake(
            context,
            "apprunner",
            ("ListAutoScalingConfigurations", "AutoScalingConfigurationSummaryList"),
            ("DeleteAutoScalingConfiguration", "AutoScalingConfigurationArn"),
            "AutoScalingConfigurationArn",
        )
        self.connectors = Fake(
            context,
            "apprunner",
            ("ListVpcConnectors", "VpcConnectors"),
            ("DeleteVpcConnector", "VpcConnectorArn"),
            "VpcConnectorArn",
        )
        self.connections = Fake(
            context,
            "apprunner",
            ("ListConnections", "ConnectionSummaryList"),
            ("DeleteConnection", "ConnectionArn"),
            "ConnectionArn",
        )
        self.workflows = Fake(
            context, "transfer", ("ListWorkflows", "Workflows"), ("DeleteWorkflow", "WorkflowId"), "WorkflowId"
        )
        self.certificates = Fake(
            context,
            "apigateway",
            ("GetClientCertificates", "items"),
            ("DeleteClientCertificate", "clientCertificateId"),
            "clientCertificateId",
        )
        canaries = synthetics_backends[context.account_id][context.region].canaries
        self.canaries = canaries
        context.stand_ins["synthetics:StopCanary"] = lambda params: (
            setattr(canaries[params["Name"]], "state", "STOPPED") or {}
        )
        context.stand_ins["synthetics:DeleteCanary"] = lambda params: canaries.pop(params["Name"]) and {}

    def _list_apprunner_services(self, params: dict) -> dict:
        services = self.apprunner_services.things
        answer = {"ServiceSummaryList": list(services.values())}
        for arn in [arn for arn, service in services.items() if service["Status"] == "OPERATION_IN_PROGRESS"]:
            del services[arn]  # finished by the next listing
        return answer

    def apprunner(self, name: str) -> None:
        prefix = f"arn:aws:apprunner:{self.context.region}:{self.context.account_id}"
        self.apprunner_services.add(ServiceArn=f"{prefix}:service/{name}/1", ServiceName=name, Status="RUNNING")
        for revision in (1, 2):
            self.scaling.add(
                AutoScalingConfigurationArn=f"{prefix}:autoscalingconfiguration/{name}-scaling/{revision}",
                AutoScalingConfigurationName=f"{name}-scaling",
                AutoScalingConfigurationRevision=revision,
                Status="ACTIVE",
                IsDefault=False,
            )
        self.scaling.add(
            AutoScalingConfigurationArn=f"{prefix}:autoscalingconfiguration/DefaultConfiguration/1",
            AutoScalingConfigurationName="DefaultConfiguration",
            AutoScalingConfigurationRevision=1,
            Status="ACTIVE",
            IsDefault=True,
        )
        self.connectors.add(VpcConnectorArn=f"{prefix}:vpcconnector/{name}/1", VpcConnectorName=name, Status="ACTIVE")
        self.connectors.add(VpcConnectorArn=f"{prefix}:vpcconnector/old/1", VpcConnectorName="old", Status="INACTIVE")
        self.connections.add(ConnectionArn=f"{prefix}:connection/gh/1", ConnectionName="gh", Status="AVAILABLE")


def canary(context: RecordingContext, name: str, state: str = "READY") -> None:
    from moto.synthetics.models import synthetics_backends

    context.client("synthetics").create_canary(
        Name=name,
        Code={"Handler": "index.handler", "S3Bucket": "b", "S3Key": "k"},
        ArtifactS3Location="s3://b/canary",
        ExecutionRoleArn=role_arn(context),
        Schedule={"Expression": "rate(5 minutes)"},
        RuntimeVersion="syn-python-selenium-5.0",
    )
    synthetics_backends[context.account_id][context.region].canaries[name].state = state


def cloud_map(context: RecordingContext, namespace: str) -> None:
    client = context.client("servicediscovery")
    client.create_http_namespace(Name=namespace)
    namespace_id = next(n["Id"] for n in client.list_namespaces()["Namespaces"] if n["Name"] == namespace)
    service_id = client.create_service(Name="orders", NamespaceId=namespace_id)["Service"]["Id"]
    for n in range(2):
        client.register_instance(
            ServiceId=service_id, InstanceId=f"i-{n}", Attributes={"AWS_INSTANCE_IPV4": "10.0.0.1"}
        )


def api_gateway_edge(context: RecordingContext, domain: str) -> str:
    """A REST API behind a custom domain, with a usage plan, an API key, a VPC link; returns the API's id."""
    client = context.client("apigateway")
    api = client.create_rest_api(name="orders-api")["id"]
    root = client.get_resources(restApiId=api)["items"][0]["id"]
    client.put_method(restApiId=api, resourceId=root, httpMethod="GET", authorizationType="NONE")
    client.put_integration(restApiId=api, resourceId=root, httpMethod="GET", type="MOCK")
    client.create_deployment(restApiId=api, stageName="prod")
    client.create_domain_name(domainName=domain, regionalCertificateArn="arn:aws:acm:::certificate/c")
    client.create_base_path_mapping(domainName=domain, restApiId=api, stage="prod")
    plan = client.create_usage_plan(name="gold", apiStages=[{"apiId": api, "stage": "prod"}])["id"]
    key = client.create_api_key(name="partner", enabled=True)["id"]
    client.create_usage_plan_key(usagePlanId=plan, keyId=key, keyType="API_KEY")
    client.create_vpc_link(name="to-nlb", targetArns=["arn:aws:elasticloadbalancing:::loadbalancer/net/n/1"])
    return api


def test_appsync_deletes_graphql_and_event_apis(account):
    client = account.client("appsync")
    api = client.create_graphql_api(name="orders", authenticationType="API_KEY")["graphqlApi"]["apiId"]
    client.create_api_key(apiId=api)
    client.create_api(
        name="events",
        eventConfig={
            "authProviders": [{"authType": "API_KEY"}],
            "connectionAuthModes": [{"authType": "API_KEY"}],
            "defaultPublishAuthModes": [{"authType": "API_KEY"}],
            "defaultSubscribeAuthModes": [{"authType": "API_KEY"}],
        },
    )

    assert sweep(account, appsync) == {}
    assert account.params_of("DeleteGraphqlApi") == [{"apiId": api}]
    assert len(account.params_of("DeleteApi")) == 1
    assert account.params_of("ListGraphqlApis")[0] == {"owner": "CURRENT_ACCOUNT"}


def test_amplify_apps_go_with_their_branches(account):
    fakes = Serverless(account)
    fakes.amplify.add(appId="d1", name="site", appArn="arn:aws:amplify:::apps/d1", tags={"team": "a"})

    (app,) = amplify.App(account).list()
    assert app.tags == {"team": "a"}
    assert sweep(account, amplify) == {}
    assert fakes.amplify.deleted == ["d1"]


def test_apprunner_waits_for_its_service_before_configurations_connectors_and_connections(account):
    fakes = Serverless(account)
    fakes.apprunner("shop")

    sweep(account, apprunner, passes=1)
    # The service was still deleting when its pass ended: what it used waited.
    assert len(account.params_of("DeleteService")) == 1
    assert not {"DeleteAutoScalingConfiguration", "DeleteVpcConnector", "DeleteConnection"} & set(account.operations())

    assert sweep(account, apprunner) == {}
    assert len(account.params_of("DeleteService")) == 1
    assert len(fakes.scaling.deleted) == 2 and all("/shop-scaling/" in arn for arn in fakes.scaling.deleted)
    assert [c.rsplit("/", 2)[-2] for c in fakes.connectors.deleted] == ["shop"]  # an INACTIVE one is gone already
    assert protected_items(account, apprunner) == {
        "DefaultConfiguration:1": "the account's default auto scaling configuration"
    }
    assert account.last("DeleteService") < account.first("DeleteVpcConnector")


def test_cloud_map_deregisters_instances_then_services_then_namespaces(account):
    cloud_map(account, "shop.local")

    assert sweep(account, servicediscovery) == {}
    assert len(account.params_of("DeregisterInstance")) == 2
    assert account.last("DeregisterInstance") < account.first("DeleteService") < account.first("DeleteNamespace")


def test_a_cloud_map_namespace_being_deleted_is_not_asked_again(account):
    client = account.client("servicediscovery")
    client.create_http_namespace(Name="shop.local")
    (namespace,) = servicediscovery.Namespace(account).list()
    operation = {"Id": "op-1", "Status": "PENDING", "Type": "DELETE_NAMESPACE", "Targets": {"NAMESPACE": namespace.id}}
    account.stand_ins["ListOperations"] = {"Operations": [{"Id": "op-1", "Status": "PENDING"}]}
    account.stand_ins["GetOperation"] = {"Operation": operation}

    (namespace,) = servicediscovery.Namespace(account).list()
    servicediscovery.Namespace(account).delete(namespace)
    assert "DeleteNamespace" not in account.operations()
    assert account.params_of("ListOperations")[-1]["Filters"][0] == {"Name": "TYPE", "Values": ["DELETE_NAMESPACE"]}


def test_a_running_canary_is_stopped_then_deleted_with_its_function(account):
    fakes = Serverless(account)
    canary(account, "homepage", state="RUNNING")
    canary(account, "checkout")

    assert sweep(account, synthetics) == {}
    assert account.params_of("StopCanary") == [{"Name": "homepage"}]
    assert sorted(account.params_of("DeleteCanary"), key=str) == [
        {"Name": "checkout", "DeleteLambda": True},
        {"Name": "homepage", "DeleteLambda": True},
    ]
    assert account.index("StopCanary") < account.index("DeleteCanary", Name="homepage")
    assert fakes.canaries == {}


def test_transfer_deletes_servers_with_their_users_then_workflows(account):
    fakes = Serverless(account)
    client = account.client("transfer")
    server = client.create_server(Protocols=["SFTP"])["ServerId"]
    client.create_user(ServerId=server, UserName="alice", Role=role_arn(account))
    connector = client.create_connector(
        Url="sftp://partner.example", AccessRole=role_arn(account), SftpConfig={"UserSecretId": "s"}
    )["ConnectorId"]
    fakes.workflows.add(
        WorkflowId="w-1234567890abcdef0",
        Arn="arn:aws:transfer:::workflow/w-1234567890abcdef0",
        Description="scan uploads",
    )

    assert sweep(account, transfer) == {}
    assert account.params_of("DeleteServer") == [{"ServerId": server}]
    assert account.params_of("DeleteConnector") == [{"ConnectorId": connector}]
    assert account.index("DeleteServer") < account.index("DeleteWorkflow")


def test_pipes_are_deleted(account):
    sqs = account.client("sqs")
    source = sqs.get_queue_attributes(
        QueueUrl=sqs.create_queue(QueueName="in")["QueueUrl"], AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    account.client("pipes").create_pipe(Name="orders", Source=source, Target=source, RoleArn=role_arn(account))

    assert sweep(account, pipes) == {}
    assert account.params_of("DeletePipe") == [{"Name": "orders"}]


# --- API Gateway and ECS additions ------------------------------------------------------------------------


def test_api_gateway_takes_domains_plans_and_keys_before_the_api_then_links_and_certificates(account):
    fakes = Serverless(account)
    api = api_gateway_edge(account, "api.shop.example")
    fakes.certificates.add(clientCertificateId="cc-1", description="backend mTLS")

    assert sweep(account, apigateway, apigateway_access) == {}
    assert account.params_of("DeleteDomainName") == [{"domainName": "api.shop.example"}]
    assert len(account.params_of("DeleteApiKey")) == 1
    assert account.params_of("DeleteRestApi") == [{"restApiId": api}]
    assert len(account.params_of("DeleteVpcLink")) == 1
    assert fakes.certificates.deleted == ["cc-1"]
    assert account.index("DeleteDomainName") < account.index("DeleteRestApi")
    assert account.index("DeleteUsagePlan") < account.index("DeleteRestApi")
    assert account.index("DeleteRestApi") < account.index("DeleteVpcLink")
    assert account.index("DeleteRestApi") < account.index("DeleteClientCertificate")


def test_a_private_custom_domain_is_deleted_by_its_id(account):
    account.stand_ins["GetDomainNames"] = {
        "items": [{"domainName": "internal.shop", "domainNameId": "abc123", "domainNameArn": "arn:dn/abc123"}]
    }
    account.stand_ins["DeleteDomainName"] = {}
    (domain,) = apigateway_access.DomainName(account).list()
    apigateway_access.DomainName(account).delete(domain)

    assert account.params_of("DeleteDomainName") == [{"domainName": "internal.shop", "domainNameId": "abc123"}]


def stand_in_capacity_provider_listing(context: RecordingContext) -> None:
    """moto answers DescribeCapacityProviders only for names it is given; AWS, without names, lists
    them all, its own FARGATE and FARGATE_SPOT among them."""
    from moto.ecs.models import ecs_backends

    backend = ecs_backends[context.account_id][context.region]
    aws_own = [
        {"capacityProviderArn": f"arn:aws:ecs:::capacity-provider/{n}", "name": n, "status": "ACTIVE"}
        for n in ("FARGATE", "FARGATE_SPOT")
    ]
    context.stand_ins["ecs:DescribeCapacityProviders"] = lambda params: {
        "capacityProviders": aws_own
        + [
            {"capacityProviderArn": p.capacity_provider_arn, "name": p.name, "status": p.status}
            for p in backend.capacity_providers.values()
        ]
    }


def test_ecs_clusters_let_go_of_capacity_providers_which_go_after_them_and_fargate_stays(account):
    stand_in_capacity_provider_listing(account)
    client = account.client("ecs")
    autoscaling = account.client("autoscaling")
    autoscaling.create_launch_configuration(
        LaunchConfigurationName="lc", ImageId="ami-12c6146b", InstanceType="t3.micro"
    )
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName="ecs-asg",
        LaunchConfigurationName="lc",
        MinSize=0,
        MaxSize=1,
        AvailabilityZones=[f"{account.region}a"],
    )
    asg = autoscaling.describe_auto_scaling_groups()["AutoScalingGroups"][0]["AutoScalingGroupARN"]
    client.create_capacity_provider(name="workers", autoScalingGroupProvider={"autoScalingGroupArn": asg})
    client.create_cluster(clusterName="shop")
    client.put_cluster_capacity_providers(
        cluster="shop",
        capacityProviders=["workers", "FARGATE"],
        defaultCapacityProviderStrategy=[{"capacityProvider": "workers", "weight": 1}],
    )

    assert sweep(account, ecs, ecs_capacity) == {}
    assert account.params_of("PutClusterCapacityProviders")[-1] == {
        "cluster": next(p["cluster"] for p in account.params_of("DeleteCluster")),
        "capacityProviders": [],
        "defaultCapacityProviderStrategy": [],
    }
    assert [p["capacityProvider"].rsplit("/", 1)[-1] for p in account.params_of("DeleteCapacityProvider")] == [
        "workers"
    ]
    assert account.last("PutClusterCapacityProviders") < account.first("DeleteCluster")
    assert account.first("DeleteCluster") < account.first("DeleteCapacityProvider")
    assert protected_items(account, ecs_capacity) == {
        "FARGATE": "AWS's own capacity provider",
        "FARGATE_SPOT": "AWS's own capacity provider",
    }


def test_an_apprunner_service_mid_operation_is_not_asked_to_delete(account):
    fakes = Serverless(account)
    fakes.apprunner_services.add(ServiceArn="arn:svc/busy", ServiceName="busy", Status="OPERATION_IN_PROGRESS")

    (service,) = apprunner.Service(account).list()
    apprunner.Service(account).delete(service)
    assert "DeleteService" not in account.operations()


def test_services_the_endpoint_lacks_are_not_offered_rather_than_failing(account):
    # moto has no Amplify, App Runner, CodeArtifact or CodeStar connections, and lists no client
    # certificates or capacity providers without names: the engine skips such types as "not offered".
    for lacking in (
        amplify.App,
        apprunner.Service,
        devtools.ArtifactDomain,
        devtools.Connection,
        apigateway_access.ClientCertificate,
        ecs_capacity.CapacityProvider,
    ):
        with pytest.raises(NotImplementedError):
            list(lacking(account).list())


def test_a_stopping_canary_is_left_for_a_later_scan(account):
    Serverless(account)
    canary(account, "homepage", state="STOPPING")

    (found,) = synthetics.Canary(account).list()
    synthetics.Canary(account).prepare(found)
    synthetics.Canary(account).delete(found)
    assert not {"StopCanary", "DeleteCanary"} & set(account.operations())


def test_a_cloud_map_instance_being_deregistered_is_not_asked_again(account):
    cloud_map(account, "shop.local")
    operation = {"Id": "op-2", "Status": "SUBMITTED", "Type": "DEREGISTER_INSTANCE", "Targets": {"INSTANCE": "i-0"}}
    account.stand_ins["ListOperations"] = {"Operations": [{"Id": "op-2", "Status": "SUBMITTED"}]}
    account.stand_ins["GetOperation"] = {"Operation": operation}

    for instance in servicediscovery.Instance(account).list():
        servicediscovery.Instance(account).delete(instance)
    assert [p["InstanceId"] for p in account.params_of("DeregisterInstance")] == ["i-1"]
