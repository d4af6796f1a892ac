"""The cleaner's data, container and key services against moto, in a member account.

Same harness as test_services_app.py: fill a sandbox account, sweep it with one module's types,
check nothing is left, protection went off first, dependencies were kept in the order AWS
enforces (and moto does not), and what is AWS's was left alone.
"""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from botocore.stub import Stubber

from cleaner.services import dynamodb, ecr, ecs, eks, kinesis, kms, rds, sagemaker, secretsmanager, ssm
from tests.cleaner.test_services_app import REGION, RecordingContext, member_account, protected_items, sweep


@pytest.fixture
def account():
    with member_account() as context:
        yield context


def assert_all_before(context: RecordingContext, earlier: str, later: str) -> None:
    """Every `earlier` call came before the first `later` one, and both were made."""
    assert earlier in context.operations() and later in context.operations()
    assert context.last(earlier) < context.first(later)


# --- DynamoDB ------------------------------------------------------------------------------------


def test_tables_lose_deletion_protection_first_and_their_backups_go_too(account):
    client = account.client("dynamodb")
    for name, protected in (("orders", True), ("sessions", False)):
        client.create_table(
            TableName=name,
            BillingMode="PAY_PER_REQUEST",
            DeletionProtectionEnabled=protected,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            Tags=[{"Key": "workshop", "Value": "data-101"}],
        )
    client.create_backup(TableName="orders", BackupName="before-lab")

    found = {item.name: item for item in dynamodb.Table(account).list()}
    assert found["orders"].extra["deletion_protection"] is True
    assert found["orders"].tags == {"workshop": "data-101"}
    assert sweep(account, dynamodb) == {}

    assert account.params_of("UpdateTable") == [{"TableName": "orders", "DeletionProtectionEnabled": False}]
    assert_all_before(account, "UpdateTable", "DeleteTable")
    assert client.list_tables()["TableNames"] == []
    assert client.list_backups()["BackupSummaries"] == []


# --- RDS -----------------------------------------------------------------------------------------


def test_rds_instances_go_before_their_cluster_without_final_snapshots_and_automated_ones_are_not_touched(account):
    client = account.client("rds")
    common = {"MasterUsername": "admin", "MasterUserPassword": "workshop-password-1", "DeletionProtection": True}
    client.create_db_instance(
        DBInstanceIdentifier="orders-db",
        Engine="postgres",
        DBInstanceClass="db.t3.micro",
        AllocatedStorage=20,
        Tags=[{"Key": "workshop", "Value": "data-101"}],
        **common,
    )
    client.create_db_cluster(DBClusterIdentifier="analytics", Engine="aurora-postgresql", **common)
    client.create_db_instance(
        DBInstanceIdentifier="analytics-1",
        DBClusterIdentifier="analytics",
        Engine="aurora-postgresql",
        DBInstanceClass="db.r6g.large",
    )
    client.create_db_snapshot(DBInstanceIdentifier="orders-db", DBSnapshotIdentifier="orders-before-lab")
    client.create_db_cluster_snapshot(DBClusterIdentifier="analytics", DBClusterSnapshotIdentifier="analytics-v1")
    automated = [
        s["DBSnapshotIdentifier"] for s in client.describe_db_snapshots(SnapshotType="automated")["DBSnapshots"]
    ]
    assert automated, "moto makes automated snapshots: the sweep must leave them to RDS"

    assert [item.name for item in rds.DBSnapshot(account).list()] == ["orders-before-lab"]
    # moto cannot list option groups without a name (rds.option_group is tested in test_services_data_backup.py).
    account.stand_ins["DescribeOptionGroups"] = {"OptionGroupsList": []}
    assert sweep(account, rds) == {}

    # Protection off, immediately, before each delete.
    assert {p["DBInstanceIdentifier"]: p for p in account.params_of("ModifyDBInstance")}["orders-db"] == {
        "DBInstanceIdentifier": "orders-db",
        "DeletionProtection": False,
        "ApplyImmediately": True,
    }
    assert account.params_of("ModifyDBCluster") == [
        {"DBClusterIdentifier": "analytics", "DeletionProtection": False, "ApplyImmediately": True}
    ]
    assert_all_before(account, "ModifyDBInstance", "DeleteDBInstance")
    # Aurora refuses to delete the last instance of a protected cluster: the cluster's protection
    # goes before its instances do.
    assert account.first("ModifyDBCluster") < account.index("DeleteDBInstance", DBInstanceIdentifier="analytics-1")
    # AWS refuses to delete a cluster that still has instances.
    assert_all_before(account, "DeleteDBInstance", "DeleteDBCluster")
    for params in account.params_of("DeleteDBInstance") + account.params_of("DeleteDBCluster"):
        assert params["SkipFinalSnapshot"] is True and params["DeleteAutomatedBackups"] is True
    assert [p["DBSnapshotIdentifier"] for p in account.params_of("DeleteDBSnapshot")] == ["orders-before-lab"]
    assert [p["DBClusterSnapshotIdentifier"] for p in account.params_of("DeleteDBClusterSnapshot")] == ["analytics-v1"]
    assert client.describe_db_instances()["DBInstances"] == []
    assert client.describe_db_clusters()["DBClusters"] == []


# --- ECS -----------------------------------------------------------------------------------------


def test_ecs_services_tasks_and_instances_go_before_their_cluster_and_task_definitions_are_deleted(account):
    client = account.client("ecs")
    cluster = client.create_cluster(clusterName="shop", tags=[{"key": "workshop", "value": "containers-101"}])
    cluster_arn = cluster["cluster"]["clusterArn"]
    container = {"name": "web", "image": "nginx", "memory": 128}
    for _ in range(2):
        client.register_task_definition(family="web", containerDefinitions=[container])
    client.deregister_task_definition(taskDefinition="web:1")  # an inactive revision, left from a lab
    client.create_service(cluster="shop", serviceName="web", taskDefinition="web:2", desiredCount=2)
    # Container instances are EC2 instances that joined the cluster.
    ec2 = account.client("ec2")
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    instance = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    document = json.dumps({"instanceId": instance, "region": REGION, "accountId": account.account_id})
    client.register_container_instance(cluster="shop", instanceIdentityDocument=document)
    client.run_task(cluster="shop", taskDefinition="web:2", count=1)

    services = list(ecs.Service(account).list())
    assert [(s.name, s.extra["desired"]) for s in services] == [("web", 2)]
    assert {item.name: item.extra["status"] for item in ecs.TaskDefinition(account).list()} == {
        "web:1": "INACTIVE",
        "web:2": "ACTIVE",
    }
    assert sweep(account, ecs) == {}

    # Scaled to zero, then deleted with force; AWS refuses the cluster while any of it remains
    # (moto does not): services, then tasks and container instances, then the cluster.
    assert account.params_of("UpdateService") == [
        {"cluster": cluster_arn, "service": services[0].id, "desiredCount": 0}
    ]
    assert account.params_of("DeleteService")[0]["force"] is True
    assert_all_before(account, "UpdateService", "DeleteService")
    assert_all_before(account, "DeleteService", "StopTask")
    assert_all_before(account, "StopTask", "DeleteCluster")
    assert_all_before(account, "DeregisterContainerInstance", "DeleteCluster")
    assert [p["taskDefinition"] for p in account.params_of("DeregisterTaskDefinition")][-1].endswith("web:2")
    assert sorted(p["taskDefinitions"][0].rsplit("/", 1)[-1] for p in account.params_of("DeleteTaskDefinitions")) == [
        "web:1",
        "web:2",
    ]
    # A deleted cluster stays INACTIVE for a while in AWS (and in moto).
    assert [c["status"] for c in client.describe_clusters(clusters=[cluster_arn])["clusters"]] == ["INACTIVE"]


# --- ECR -----------------------------------------------------------------------------------------


def test_repositories_are_deleted_with_their_images(account):
    client = account.client("ecr")
    client.create_repository(repositoryName="shop/web", tags=[{"Key": "workshop", "Value": "containers-101"}])
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {"digest": "sha256:" + "0" * 64, "size": 1},
        "layers": [],
    }
    client.put_image(repositoryName="shop/web", imageManifest=json.dumps(manifest), imageTag="v1")

    assert [item.tags for item in ecr.Repository(account).list()] == [{"workshop": "containers-101"}]
    assert sweep(account, ecr) == {}
    assert account.params_of("DeleteRepository") == [{"repositoryName": "shop/web", "force": True}]
    assert client.describe_repositories()["repositories"] == []


# --- EKS -----------------------------------------------------------------------------------------


def test_eks_node_groups_and_fargate_profiles_go_before_their_cluster(account):
    client = account.client("eks")
    role = f"arn:aws:iam::{account.account_id}:role/eks"
    client.create_cluster(
        name="shop",
        roleArn=role,
        resourcesVpcConfig={"subnetIds": ["subnet-1", "subnet-2"]},
        tags={"workshop": "k8s-101"},
    )
    client.create_nodegroup(clusterName="shop", nodegroupName="workers", nodeRole=role, subnets=["subnet-1"])
    client.create_fargate_profile(
        clusterName="shop", fargateProfileName="batch", podExecutionRoleArn=role, selectors=[{"namespace": "batch"}]
    )

    assert [item.name for item in eks.Nodegroup(account).list()] == ["shop/workers"]
    assert [item.tags for item in eks.Cluster(account).list()] == [{"workshop": "k8s-101"}]
    assert sweep(account, eks) == {}

    assert_all_before(account, "DeleteNodegroup", "DeleteCluster")
    assert_all_before(account, "DeleteFargateProfile", "DeleteCluster")
    assert client.list_clusters()["clusters"] == []


def test_an_eks_cluster_loses_deletion_protection_and_what_is_deleting_is_not_asked_again(account):
    cluster = eks.Cluster(account)
    with Stubber(cluster.client) as stub:
        stub.add_response("update_cluster_config", {}, {"name": "shop", "deletionProtection": False})
        stub.add_response("delete_cluster", {}, {"name": "shop"})
        item = eks.Item(id="shop", name="shop", extra={"status": "ACTIVE", "deletion_protection": True})
        cluster.prepare(item)
        cluster.delete(item)
        eks.Nodegroup(account).delete(
            eks.Item(id="ng", name="shop/ng", extra={"cluster": "shop", "nodegroup": "ng", "status": "DELETING"})
        )
        stub.assert_no_pending_responses()


# --- KMS -----------------------------------------------------------------------------------------


def test_customer_keys_lose_their_aliases_then_are_scheduled_for_deletion_and_aws_keys_stay(account):
    client = account.client("kms")
    key = client.create_key(Description="orders data", Tags=[{"TagKey": "workshop", "TagValue": "data-101"}])
    key_id = key["KeyMetadata"]["KeyId"]
    client.create_alias(AliasName="alias/orders", TargetKeyId=key_id)
    gone = client.create_key(Description="left from an earlier run")["KeyMetadata"]["KeyId"]
    client.schedule_key_deletion(KeyId=gone, PendingWindowInDays=7)
    # moto has no AWS-managed keys: one is made in its backend, as AWS makes them on first use.
    from moto.kms.models import kms_backends

    backend = kms_backends[account.account_id][REGION]
    aws_key = client.create_key(Description="Default key that protects my EBS volumes")["KeyMetadata"]["KeyId"]
    backend.keys[aws_key].key_manager = "AWS"
    backend.create_alias(aws_key, "alias/aws/ebs")

    keys = {item.id: item for item in kms.Key(account).list()}
    assert set(keys) == {key_id, aws_key, gone}
    # Pending deletion: kept, with the day AWS deletes it; never asked again, never holding the account.
    assert keys[gone].protected.startswith("pending deletion: AWS deletes it on 20")
    assert keys[key_id].tags == {"workshop": "data-101"}
    assert sweep(account, kms) == {}

    protected = protected_items(account, kms)
    assert protected["Default key that protects my EBS volumes"] == "AWS-managed key"
    # AWS lists an alias/aws/… for every service, with a key or not yet.
    assert {name for name in protected if name.startswith("alias/")} >= {"alias/aws/ebs", "alias/aws/s3"}
    assert {reason for name, reason in protected.items() if name.startswith("alias/")} == {"AWS-managed alias"}
    assert account.params_of("DeleteAlias") == [{"AliasName": "alias/orders"}]
    assert account.last("DeleteAlias") < account.index("ScheduleKeyDeletion", KeyId=key_id, PendingWindowInDays=7)
    assert client.describe_key(KeyId=aws_key)["KeyMetadata"]["KeyState"] == "Enabled"


# --- Secrets Manager and SSM ---------------------------------------------------------------------


def test_secrets_are_deleted_at_once_and_replicated_ones_let_go_of_their_replicas(account):
    client = account.client("secretsmanager")
    client.create_secret(Name="shop/db", SecretString="pw", Tags=[{"Key": "workshop", "Value": "data-101"}])
    client.create_secret(Name="shop/api-key", SecretString="key", AddReplicaRegions=[{"Region": "eu-central-1"}])

    found = {item.name: item for item in secretsmanager.Secret(account).list()}
    assert found["shop/db"].tags == {"workshop": "data-101"}
    assert sweep(account, secretsmanager) == {}

    assert account.params_of("RemoveRegionsFromReplication")[0]["RemoveReplicaRegions"] == ["eu-central-1"]
    assert_all_before(account, "RemoveRegionsFromReplication", "DeleteSecret")
    assert all(p["ForceDeleteWithoutRecovery"] for p in account.params_of("DeleteSecret"))
    assert client.list_secrets()["SecretList"] == []


def test_a_replica_secret_is_made_standalone_before_it_is_deleted(account):
    # The primary lives in another region; this sweep is the replica's region's.
    primary = RecordingContext(account_id=account.account_id, region="eu-central-1").client("secretsmanager")
    primary.create_secret(Name="shop/api-key", SecretString="key", AddReplicaRegions=[{"Region": REGION}])
    # moto has no StopReplicationToReplica: the call is answered here.
    account.stand_ins["StopReplicationToReplica"] = lambda params: {"ARN": params["SecretId"]}

    secrets = secretsmanager.Secret(account)
    (replica,) = secrets.list()
    secrets.prepare(replica)
    assert account.params_of("StopReplicationToReplica") == [{"SecretId": replica.id}]
    assert "RemoveRegionsFromReplication" not in account.operations()


def test_secrets_another_service_manages_are_left_to_it(account):
    client = account.client("secretsmanager")
    with Stubber(client) as stub:
        stub.add_response(
            "list_secrets",
            {"SecretList": [{"ARN": "arn:aws:secretsmanager:x", "Name": "rds!db-1234", "OwningService": "rds"}]},
        )
        assert [item.protected for item in secretsmanager.Secret(account).list()] == ["managed by rds"]


def test_parameters_are_deleted_ten_at_a_time(account):
    client = account.client("ssm")
    for n in range(23):
        client.put_parameter(Name=f"/shop/config/{n:02d}", Value="x", Type="String")
    client.add_tags_to_resource(
        ResourceType="Parameter", ResourceId="/shop/config/00", Tags=[{"Key": "workshop", "Value": "ops-101"}]
    )

    assert next(iter(ssm.Parameter(account).list())).tags == {"workshop": "ops-101"}
    assert sweep(account, ssm) == {}
    assert [len(p["Names"]) for p in account.params_of("DeleteParameters")] == [10, 10, 3]
    assert client.describe_parameters()["Parameters"] == []


# --- Kinesis -------------------------------------------------------------------------------------


def test_streams_are_deleted_with_their_consumers(account):
    client = account.client("kinesis")
    client.create_stream(StreamName="clicks", ShardCount=1)
    client.add_tags_to_stream(StreamName="clicks", Tags={"workshop": "streaming-101"})
    arn = client.describe_stream_summary(StreamName="clicks")["StreamDescriptionSummary"]["StreamARN"]
    client.register_stream_consumer(StreamARN=arn, ConsumerName="dashboard")

    (stream,) = kinesis.Stream(account).list()
    assert stream.tags == {"workshop": "streaming-101"} and isinstance(stream.created, datetime)
    assert sweep(account, kinesis) == {}
    assert account.params_of("DeleteStream") == [{"StreamName": "clicks", "EnforceConsumerDeletion": True}]
    assert client.list_streams()["StreamNames"] == []


# --- SageMaker -----------------------------------------------------------------------------------


def test_notebooks_are_stopped_before_deletion_and_endpoints_configs_and_models_go_in_order(account):
    client = account.client("sagemaker")
    role = f"arn:aws:iam::{account.account_id}:role/sagemaker"
    client.create_notebook_instance(
        NotebookInstanceName="lab",
        InstanceType="ml.t3.medium",
        RoleArn=role,
        Tags=[{"Key": "workshop", "Value": "ml-101"}],
    )
    client.create_model(
        ModelName="churn",
        ExecutionRoleArn=role,
        PrimaryContainer={"Image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/churn:1"},
    )
    client.create_endpoint_config(
        EndpointConfigName="churn-v1",
        ProductionVariants=[
            {"VariantName": "main", "ModelName": "churn", "InstanceType": "ml.m5.large", "InitialInstanceCount": 1}
        ],
    )
    client.create_endpoint(EndpointName="churn", EndpointConfigName="churn-v1")

    (notebook,) = sagemaker.NotebookInstance(account).list()
    assert (notebook.extra["status"], notebook.tags) == ("InService", {"workshop": "ml-101"})
    assert sweep(account, sagemaker) == {}

    assert_all_before(account, "StopNotebookInstance", "DeleteNotebookInstance")
    assert_all_before(account, "DeleteEndpoint", "DeleteEndpointConfig")
    assert_all_before(account, "DeleteEndpointConfig", "DeleteModel")
    assert client.list_notebook_instances()["NotebookInstances"] == []
    assert client.list_models()["Models"] == []


def test_a_notebook_still_stopping_is_left_for_the_rescan(account):
    # In AWS stopping takes minutes (moto stops at once): Stubber plays the slow AWS.
    notebooks = sagemaker.NotebookInstance(account)
    item = sagemaker.Item(id="lab", name="lab", extra={"status": "InService"})
    with Stubber(notebooks.client) as stub:
        stub.add_response("stop_notebook_instance", {}, {"NotebookInstanceName": "lab"})
        stub.add_response("describe_notebook_instance", {"NotebookInstanceStatus": "Stopping"})
        notebooks.prepare(item)
        notebooks.delete(item)  # no DeleteNotebookInstance: it would be refused
        stub.assert_no_pending_responses()
