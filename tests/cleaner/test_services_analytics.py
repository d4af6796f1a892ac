"""The cleaner's data analytics services against moto, in a member account.

Same harness as test_services_app.py. moto lacks Redshift Serverless, MSK configurations, parts of
OpenSearch Serverless (policy deletes, access and lifecycle policies, VPC endpoint listing), Flink's
DeleteApplication, Glue's DeleteConnection and Athena's DeleteDataCatalog: stateful stand-ins
(`Fake`) answer for them, so a sweep sees things go, and refuse what AWS refuses (a namespace
with a workgroup, an encryption policy a collection uses).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from botocore.exceptions import ClientError

from cleaner.services import analytics_streams, athena, dms, emr, glue, kafka, opensearch, redshift
from tests.cleaner.test_services_app import RecordingContext, member_account, protected_items, sweep

ROLE = "arn:aws:iam::123456789012:role/lab"


@pytest.fixture
def account():
    with member_account() as context:
        yield context


def refused(operation: str, code: str, message: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, operation)


class Fake:
    """One kind of thing moto lacks, kept in a dict: stand-ins to list it and delete it."""

    def __init__(self, key: str = "name"):
        self.key, self.items = key, {}

    def add(self, **fields) -> dict:
        self.items[fields[self.key]] = fields
        return fields

    def lister(self, answer_key: str, match: dict | None = None):
        def answer(params):
            wanted = {k: params[k] for k in match or () if k in params}
            found = [v for v in self.items.values() if all(v.get((match or {})[k]) == w for k, w in wanted.items())]
            return {answer_key: found}

        return answer

    def deleter(self, param: str, refuse=None):
        def answer(params):
            if params[param] not in self.items:
                raise refused("Delete", "ResourceNotFoundException", f"{params[param]} not found")
            if refuse and refuse(self.items[params[param]]):
                raise refused("Delete", "ConflictException", f"{params[param]} is in use")
            return {"deleted": self.items.pop(params[param])}

        return answer


def assert_all_before(context: RecordingContext, earlier: str, later: str) -> None:
    assert earlier in context.operations() and later in context.operations()
    assert context.last(earlier) < context.first(later)


def _subnet(context: RecordingContext) -> tuple[str, str]:
    ec2 = context.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    zone = f"{context.region}a"
    return vpc, ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24", AvailabilityZone=zone)["Subnet"]["SubnetId"]


# --- Builders: what an attendee leaves behind (shared with the topic test) ------------------------


def build_opensearch(context: RecordingContext) -> dict[str, Fake]:
    context.client("opensearch").create_domain(DomainName="logs", EngineVersion="OpenSearch_2.11")
    aoss = context.client("opensearchserverless")
    rule = [{"ResourceType": "collection", "Resource": ["collection/vectors"]}]
    aoss.create_security_policy(
        name="vectors-enc",
        type="encryption",
        policy=json.dumps({"Rules": rule, "KmsARN": f"arn:aws:kms:{context.region}:1:key/lab"}),
    )
    collection = aoss.create_collection(name="vectors", type="VECTORSEARCH")["createCollectionDetail"]
    # moto takes a collection's key from the first policy naming it: the network one comes after.
    aoss.create_security_policy(
        name="vectors-net", type="network", policy=json.dumps([{"Rules": rule, "AllowFromPublic": True}])
    )
    # Moto keeps policies and collections but deletes no policy and lists no VPC endpoint, access or
    # lifecycle policy: those live here; an encryption policy is refused while a collection uses it.
    fakes = {kind: Fake() for kind in ("encryption", "network", "data", "retention", "endpoint")}
    fakes["encryption"].add(name="vectors-enc", type="encryption")
    fakes["network"].add(name="vectors-net", type="network")
    fakes["data"].add(name="vectors-access", type="data")
    fakes["retention"].add(name="vectors-keep", type="retention")
    fakes["endpoint"] = Fake("id")
    fakes["endpoint"].add(id="vpce-aoss1", name="private", status="ACTIVE")

    def collections_left() -> bool:
        return bool(aoss.list_collections()["collectionSummaries"])

    def list_policies(answer_key):
        return lambda params: fakes[params["type"]].lister(answer_key)(params)

    def delete_policy(params):
        if params["type"] == "encryption" and collections_left():
            raise refused("DeleteSecurityPolicy", "ValidationException", "policy in use by a collection")
        return fakes[params["type"]].deleter("name")(params)

    context.stand_ins.update(
        {
            "opensearchserverless:ListSecurityPolicies": list_policies("securityPolicySummaries"),
            "opensearchserverless:DeleteSecurityPolicy": delete_policy,
            "opensearchserverless:ListAccessPolicies": list_policies("accessPolicySummaries"),
            "opensearchserverless:DeleteAccessPolicy": delete_policy,
            "opensearchserverless:ListLifecyclePolicies": list_policies("lifecyclePolicySummaries"),
            "opensearchserverless:DeleteLifecyclePolicy": delete_policy,
            "opensearchserverless:ListVpcEndpoints": fakes["endpoint"].lister("vpcEndpointSummaries"),
            "opensearchserverless:DeleteVpcEndpoint": fakes["endpoint"].deleter("id"),
        }
    )
    fakes["collection_id"] = collection["id"]
    return fakes


def build_redshift(context: RecordingContext) -> dict[str, Fake]:
    client = context.client("redshift")
    client.create_cluster(
        ClusterIdentifier="warehouse",
        NodeType="ra3.xlplus",
        ClusterType="single-node",
        MasterUsername="admin",
        MasterUserPassword="Passw0rd!x",
        Tags=[{"Key": "workshop", "Value": "analytics-101"}],
    )
    client.create_cluster_snapshot(SnapshotIdentifier="before-lab", ClusterIdentifier="warehouse")
    workgroups, namespaces, snapshots = Fake("workgroupName"), Fake("namespaceName"), Fake("snapshotName")
    namespaces.add(namespaceName="lab-ns", namespaceArn="arn:ns/lab-ns", status="AVAILABLE")
    workgroups.add(workgroupName="lab-wg", workgroupArn="arn:wg/lab-wg", namespaceName="lab-ns", status="AVAILABLE")
    snapshots.add(snapshotName="lab-snap", namespaceName="lab-ns", status="AVAILABLE", ownerAccount=context.account_id)
    snapshots.add(snapshotName="shared", namespaceName="theirs", status="AVAILABLE", ownerAccount="999999999999")

    def in_use(namespace):
        return any(wg["namespaceName"] == namespace["namespaceName"] for wg in workgroups.items.values())

    context.stand_ins.update(
        {
            "redshift-serverless:ListWorkgroups": workgroups.lister("workgroups"),
            "redshift-serverless:DeleteWorkgroup": workgroups.deleter("workgroupName"),
            "redshift-serverless:ListNamespaces": namespaces.lister("namespaces"),
            "redshift-serverless:DeleteNamespace": namespaces.deleter("namespaceName", refuse=in_use),
            "redshift-serverless:ListSnapshots": snapshots.lister("snapshots"),
            "redshift-serverless:DeleteSnapshot": snapshots.deleter("snapshotName"),
        }
    )
    return {"workgroups": workgroups, "namespaces": namespaces, "snapshots": snapshots}


def build_emr(context: RecordingContext) -> None:
    context.client("emr").run_job_flow(
        Name="spark-lab",
        ReleaseLabel="emr-7.1.0",
        Instances={
            "MasterInstanceType": "m5.xlarge",
            "InstanceCount": 1,
            "KeepJobFlowAliveWhenNoSteps": True,
            "TerminationProtected": True,
        },
        JobFlowRole="EMR_EC2_DefaultRole",
        ServiceRole="EMR_DefaultRole",
    )
    serverless = context.client("emr-serverless")
    started = serverless.create_application(name="spark-serverless", releaseLabel="emr-7.1.0", type="SPARK")
    serverless.start_application(applicationId=started["applicationId"])
    # moto's job runs finish at once: a running one lives here, until cancelled.
    runs = Fake("id")
    runs.add(id="run-1", applicationId=started["applicationId"], state="RUNNING")
    context.stand_ins.update(
        {
            "emr-serverless:ListJobRuns": runs.lister("jobRuns", match={"applicationId": "applicationId"}),
            "emr-serverless:CancelJobRun": runs.deleter("jobRunId"),
        }
    )
    idle = serverless.create_application(name="idle", releaseLabel="emr-7.1.0", type="HIVE")
    serverless.stop_application(applicationId=idle["applicationId"])


def build_kafka(context: RecordingContext) -> Fake:
    _, subnet = _subnet(context)
    client = context.client("kafka")
    client.create_cluster_v2(ClusterName="events-serverless", Serverless={"VpcConfigs": [{"SubnetIds": [subnet]}]})
    client.create_cluster(
        ClusterName="events",
        KafkaVersion="3.6.0",
        NumberOfBrokerNodes=1,
        BrokerNodeGroupInfo={"InstanceType": "kafka.t3.small", "ClientSubnets": [subnet]},
    )
    configurations = Fake("Arn")
    configurations.add(Arn="arn:aws:kafka:cfg/lab", Name="lab", State="ACTIVE")

    def in_use(_):
        return bool(client.list_clusters_v2()["ClusterInfoList"])

    context.stand_ins.update(
        {
            "kafka:ListConfigurations": configurations.lister("Configurations"),
            "kafka:DeleteConfiguration": configurations.deleter("Arn", refuse=in_use),
        }
    )
    return configurations


def build_streams(context: RecordingContext) -> Fake:
    s3 = context.client("s3")
    bucket = f"landing-{context.region}"
    location = (
        {} if context.region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": context.region}}
    )
    s3.create_bucket(Bucket=bucket, **location)
    context.client("firehose").create_delivery_stream(
        DeliveryStreamName="clicks",
        ExtendedS3DestinationConfiguration={"RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{bucket}"},
    )
    flink = Fake("ApplicationName")
    created = datetime(2026, 12, 1, tzinfo=UTC)
    flink.add(ApplicationName="clickstream", ApplicationARN="arn:flink/clickstream", ApplicationStatus="RUNNING")

    def describe(params):
        return {"ApplicationDetail": {**flink.items[params["ApplicationName"]], "CreateTimestamp": created}}

    def delete(params):
        assert params["CreateTimestamp"] == created
        return flink.deleter("ApplicationName")(params)

    context.stand_ins.update(
        {
            "kinesisanalyticsv2:ListApplications": flink.lister("ApplicationSummaries"),
            "kinesisanalyticsv2:DescribeApplication": describe,
            "kinesisanalyticsv2:DeleteApplication": delete,
        }
    )
    return flink


def build_glue(context: RecordingContext) -> Fake:
    client = context.client("glue")
    client.create_database(DatabaseInput={"Name": "sales"})
    for table in ("orders", "customers"):
        client.create_table(DatabaseName="sales", TableInput={"Name": table})
    client.create_crawler(Name="sales-crawler", Role=ROLE, Targets={"S3Targets": [{"Path": "s3://landing/sales"}]})
    client.start_crawler(Name="sales-crawler")
    script = "s3://landing/etl.py"
    client.create_job(Name="etl", Role=ROLE, Command={"Name": "glueetl", "ScriptLocation": script})
    client.create_workflow(Name="nightly")
    client.create_trigger(Name="at-night", Type="ON_DEMAND", WorkflowName="nightly", Actions=[{"JobName": "etl"}])
    client.create_dev_endpoint(EndpointName="notebook", RoleArn=ROLE)
    client.create_session(Id="interactive", Role=ROLE, Command={"Name": "glueetl"})
    # moto keeps connections but cannot delete one.
    connections = Fake("Name")
    connections.add(Name="warehouse-jdbc", ConnectionType="JDBC")
    context.stand_ins.update(
        {
            "glue:GetConnections": connections.lister("ConnectionList"),
            "glue:DeleteConnection": connections.deleter("ConnectionName"),
        }
    )
    return connections


def build_athena(context: RecordingContext) -> dict[str, Fake]:
    # botocore speaks a protocol to Athena that moto does not answer (a bare 404): all stand-ins.
    workgroups, catalogs = Fake("Name"), Fake("CatalogName")
    workgroups.add(Name="primary", State="ENABLED")
    workgroups.add(Name="analysts", State="ENABLED")
    catalogs.add(CatalogName="AwsDataCatalog", Type="GLUE", Status="CREATE_COMPLETE")
    catalogs.add(CatalogName="federated", Type="LAMBDA", Status="CREATE_COMPLETE")

    def aws_made(thing):
        return thing.get("Name") == "primary" or thing.get("CatalogName") == "AwsDataCatalog"

    context.stand_ins.update(
        {
            "athena:ListWorkGroups": workgroups.lister("WorkGroups"),
            "athena:DeleteWorkGroup": workgroups.deleter("WorkGroup", refuse=aws_made),
            "athena:ListDataCatalogs": catalogs.lister("DataCatalogsSummary"),
            "athena:DeleteDataCatalog": catalogs.deleter("Name", refuse=aws_made),
        }
    )
    return {"workgroups": workgroups, "catalogs": catalogs}


def build_dms(context: RecordingContext) -> None:
    _, subnet = _subnet(context)
    client = context.client("dms")
    client.create_replication_subnet_group(
        ReplicationSubnetGroupIdentifier="migration",
        ReplicationSubnetGroupDescription="lab",
        SubnetIds=[subnet],
    )
    instance = client.create_replication_instance(
        ReplicationInstanceIdentifier="mover",
        ReplicationInstanceClass="dms.t3.micro",
        ReplicationSubnetGroupIdentifier="migration",
    )["ReplicationInstance"]["ReplicationInstanceArn"]
    arns = {}
    for kind in ("source", "target"):
        arns[kind] = client.create_endpoint(
            EndpointIdentifier=f"db-{kind}", EndpointType=kind, EngineName="mysql", ServerName="db", Port=3306
        )["Endpoint"]["EndpointArn"]
    task = client.create_replication_task(
        ReplicationTaskIdentifier="copy",
        SourceEndpointArn=arns["source"],
        TargetEndpointArn=arns["target"],
        ReplicationInstanceArn=instance,
        MigrationType="full-load",
        TableMappings=json.dumps({"rules": []}),
    )["ReplicationTask"]["ReplicationTaskArn"]
    client.start_replication_task(ReplicationTaskArn=task, StartReplicationTaskType="start-replication")


# --- OpenSearch ----------------------------------------------------------------------------------


def test_opensearch_domains_and_serverless_collections_go_before_their_policies(account):
    fakes = build_opensearch(account)
    domains = list(opensearch.Domain(account).list())
    assert [d.name for d in domains] == ["logs"] and domains[0].extra["arn"].endswith(":domain/logs")
    assert [c.name for c in opensearch.Collection(account).list()] == ["vectors"]
    assert [p.id for p in opensearch.EncryptionPolicy(account).list()] == ["encryption/vectors-enc"]

    assert sweep(account, opensearch) == {}

    assert account.params_of("DeleteDomain") == [{"DomainName": "logs"}]
    assert [p["id"] for p in account.params_of("DeleteCollection")] == [fakes["collection_id"]]
    deleted = sorted((p["name"], p["type"]) for p in account.params_of("DeleteSecurityPolicy"))
    assert deleted == [("vectors-enc", "encryption"), ("vectors-net", "network")]
    assert [(p["name"], p["type"]) for p in account.params_of("DeleteAccessPolicy")] == [("vectors-access", "data")]
    assert [p["id"] for p in account.params_of("DeleteVpcEndpoint")] == ["vpce-aoss1"]
    assert_all_before(account, "DeleteCollection", "DeleteSecurityPolicy")
    assert all(not fake.items for key, fake in fakes.items() if key != "collection_id")
    assert account.client("opensearch").list_domain_names()["DomainNames"] == []


def test_a_domain_aws_is_deleting_is_listed_but_not_deleted_again(account):
    account.stand_ins["opensearch:ListDomainNames"] = {"DomainNames": [{"DomainName": "old"}]}
    status = {"DomainName": "old", "ARN": "arn:aws:es:eu-west-1:1:domain/old", "Deleted": True}
    account.stand_ins["opensearch:DescribeDomains"] = {"DomainStatusList": [status]}
    account.stand_ins["opensearch:ListTags"] = {"TagList": []}
    (item,) = opensearch.Domain(account).list()
    opensearch.Domain(account).delete(item)
    assert "DeleteDomain" not in account.operations()


def test_opensearch_domains_are_described_five_at_a_time(account):
    client = account.client("opensearch")
    for number in range(7):
        client.create_domain(DomainName=f"lab-{number}")
    assert len(list(opensearch.Domain(account).list())) == 7
    assert sorted(len(p["DomainNames"]) for p in account.params_of("DescribeDomains")) == [2, 5]


def test_opensearch_serverless_listings_follow_next_tokens(account):
    pages = {
        None: {"collectionSummaries": [{"id": "a1", "name": "one"}], "nextToken": "more"},
        "more": {"collectionSummaries": [{"id": "b2", "name": "two", "status": "DELETING"}]},
    }
    account.stand_ins["opensearchserverless:ListCollections"] = lambda params: pages[params.get("nextToken")]
    found = list(opensearch.Collection(account).list())
    assert [c.name for c in found] == ["one", "two"]
    opensearch.Collection(account).delete(found[1])  # AWS is deleting it already
    assert "DeleteCollection" not in account.operations()


def test_opensearch_types_carry_their_iam_prefixes():
    assert opensearch.Domain.iam_prefix == "es" and opensearch.Collection.iam_prefix == "aoss"


# --- Redshift ------------------------------------------------------------------------------------


def test_redshift_clusters_go_without_a_final_snapshot_and_namespaces_after_workgroups(account):
    fakes = build_redshift(account)
    (cluster,) = redshift.Cluster(account).list()
    assert cluster.tags == {"workshop": "analytics-101"}
    assert [s.name for s in redshift.Snapshot(account).list()] == ["before-lab"]

    assert sweep(account, redshift) == {}

    assert account.params_of("DeleteCluster") == [{"ClusterIdentifier": "warehouse", "SkipFinalClusterSnapshot": True}]
    assert account.params_of("DeleteClusterSnapshot") == [
        {"SnapshotIdentifier": "before-lab", "SnapshotClusterIdentifier": "warehouse"}
    ]
    assert_all_before(account, "DeleteWorkgroup", "DeleteNamespace")
    assert not fakes["workgroups"].items and not fakes["namespaces"].items
    # Another account's shared snapshot is not listed, so not deleted.
    assert list(fakes["snapshots"].items) == ["shared"]
    client = account.client("redshift")
    assert client.describe_clusters()["Clusters"] == []
    assert client.describe_cluster_snapshots(SnapshotType="manual")["Snapshots"] == []


def test_redshift_snapshots_other_accounts_share_are_not_listed(account):
    shared = {"SnapshotIdentifier": "theirs", "SnapshotType": "manual", "OwnerAccount": "999999999999"}
    own = {"SnapshotIdentifier": "ours", "SnapshotType": "manual", "OwnerAccount": account.account_id}
    automated = {"SnapshotIdentifier": "rs:auto", "SnapshotType": "automated", "OwnerAccount": account.account_id}
    account.stand_ins["redshift:DescribeClusterSnapshots"] = {"Snapshots": [shared, own, automated]}
    assert [s.name for s in redshift.Snapshot(account).list()] == ["ours"]


# --- EMR -----------------------------------------------------------------------------------------


def test_emr_clusters_lose_termination_protection_then_terminate_and_serverless_apps_stop_first(account):
    build_emr(account)
    (cluster,) = emr.Cluster(account).list()
    assert cluster.name == "spark-lab"
    states = {a.name: a.extra["state"] for a in emr.ServerlessApplication(account).list()}
    assert states == {"spark-serverless": "STARTED", "idle": "STOPPED"}
    account.calls.clear()

    assert sweep(account, emr) == {}

    assert account.params_of("SetTerminationProtection") == [
        {"JobFlowIds": [cluster.id], "TerminationProtected": False}
    ]
    assert_all_before(account, "SetTerminationProtection", "TerminateJobFlows")
    (cancelled,) = account.params_of("CancelJobRun")
    assert account.params_of("StopApplication") == [{"applicationId": cancelled["applicationId"]}]
    assert_all_before(account, "CancelJobRun", "StopApplication")
    assert_all_before(account, "StopApplication", "DeleteApplication")
    assert len(account.params_of("DeleteApplication")) == 2
    # Terminated clusters stay in ListClusters, but are not asked for again.
    assert list(emr.Cluster(account).list()) == []
    assert account.client("emr").list_clusters()["Clusters"][0]["Status"]["State"] == "TERMINATED"


# --- MSK -----------------------------------------------------------------------------------------


def test_msk_clusters_of_both_kinds_go_before_configurations(account):
    configurations = build_kafka(account)
    assert {c.name for c in kafka.Cluster(account).list()} == {"events", "events-serverless"}

    assert sweep(account, kafka) == {}

    assert len(account.params_of("DeleteCluster")) == 2
    assert_all_before(account, "DeleteCluster", "DeleteConfiguration")
    assert account.params_of("DeleteConfiguration") == [{"Arn": "arn:aws:kafka:cfg/lab"}]
    assert not configurations.items
    assert account.client("kafka").list_clusters_v2()["ClusterInfoList"] == []


# --- Firehose and Flink --------------------------------------------------------------------------


def test_delivery_streams_and_flink_applications_go(account):
    flink = build_streams(account)
    assert [s.name for s in analytics_streams.DeliveryStream(account).list()] == ["clicks"]

    assert sweep(account, analytics_streams) == {}

    assert account.params_of("DeleteDeliveryStream") == [{"DeliveryStreamName": "clicks", "AllowForceDelete": True}]
    assert_all_before(account, "DescribeApplication", "DeleteApplication")
    assert not flink.items
    assert account.client("firehose").list_delivery_streams()["DeliveryStreamNames"] == []


def test_flink_applications_of_moto_are_listed_and_deleted_with_their_creation_time(account):
    account.client("kinesisanalyticsv2").create_application(
        ApplicationName="real", RuntimeEnvironment="FLINK-1_18", ServiceExecutionRole=ROLE
    )
    (item,) = analytics_streams.FlinkApplication(account).list()
    account.stand_ins["kinesisanalyticsv2:DeleteApplication"] = {}
    analytics_streams.FlinkApplication(account).delete(item)
    (params,) = account.params_of("DeleteApplication")
    assert params["ApplicationName"] == "real" and isinstance(params["CreateTimestamp"], datetime)


def test_firehose_lists_every_page():
    class Client:
        def __init__(self):
            self.asked = []

        def list_delivery_streams(self, **params):
            self.asked.append(params)
            if not params:
                return {"DeliveryStreamNames": ["a", "b"], "HasMoreDeliveryStreams": True}
            return {"DeliveryStreamNames": ["c"], "HasMoreDeliveryStreams": False}

    stream = analytics_streams.DeliveryStream.__new__(analytics_streams.DeliveryStream)
    stream.client = Client()
    assert list(stream.names()) == ["a", "b", "c"]
    assert stream.client.asked[1] == {"ExclusiveStartDeliveryStreamName": "b"}


# --- Glue ----------------------------------------------------------------------------------------


def test_glue_tables_go_before_databases_crawlers_stop_first_and_everything_goes(account):
    connections = build_glue(account)
    tables = {t.name for t in glue.Table(account).list()}
    assert tables == {"sales.orders", "sales.customers"}

    assert sweep(account, glue) == {}

    assert_all_before(account, "DeleteTable", "DeleteDatabase")
    assert account.params_of("StopCrawler") == [{"Name": "sales-crawler"}]
    assert_all_before(account, "StopCrawler", "DeleteCrawler")
    assert account.params_of("StopSession") == [{"Id": "interactive"}]
    assert_all_before(account, "DeleteTrigger", "DeleteJob")
    assert account.params_of("DeleteWorkflow") == [{"Name": "nightly"}]
    assert account.params_of("DeleteDevEndpoint") == [{"EndpointName": "notebook"}]
    assert not connections.items
    client = account.client("glue")
    assert client.get_databases()["DatabaseList"] == []
    assert client.get_crawlers()["Crawlers"] == [] and client.get_jobs()["Jobs"] == []


# --- Athena --------------------------------------------------------------------------------------


def test_athena_workgroups_go_recursively_but_primary_and_the_glue_catalog_stay(account):
    fakes = build_athena(account)
    protected = protected_items(account, athena)
    assert set(protected) == {"primary", "AwsDataCatalog"}

    assert sweep(account, athena) == {}

    assert account.params_of("DeleteWorkGroup") == [{"WorkGroup": "analysts", "RecursiveDeleteOption": True}]
    assert account.params_of("DeleteDataCatalog") == [{"Name": "federated"}]
    assert list(fakes["catalogs"].items) == ["AwsDataCatalog"]
    assert list(fakes["workgroups"].items) == ["primary"]


def test_athena_where_the_endpoint_does_not_know_it_is_not_offered(account):
    # moto answers botocore's Athena protocol with a bare 404: the engine must see "not offered".
    with pytest.raises(NotImplementedError):
        list(athena.Workgroup(account).list())


# --- DMS -----------------------------------------------------------------------------------------


def test_dms_tasks_stop_and_go_before_instances_endpoints_and_subnet_groups(account):
    build_dms(account)
    (task,) = dms.ReplicationTask(account).list()
    assert task.extra["state"] == "running"

    assert sweep(account, dms) == {}

    assert account.params_of("StopReplicationTask") == [{"ReplicationTaskArn": task.id}]
    assert_all_before(account, "StopReplicationTask", "DeleteReplicationTask")
    assert_all_before(account, "DeleteReplicationTask", "DeleteReplicationInstance")
    assert_all_before(account, "DeleteReplicationTask", "DeleteEndpoint")
    assert_all_before(account, "DeleteReplicationInstance", "DeleteReplicationSubnetGroup")
    client = account.client("dms")
    assert client.describe_replication_instances()["ReplicationInstances"] == []
    assert client.describe_endpoints()["Endpoints"] == []


def test_glue_tables_behind_a_resource_link_are_another_accounts(account):
    link = {"Name": "shared", "TargetDatabase": {"CatalogId": "999999999999", "DatabaseName": "theirs"}}
    account.stand_ins["glue:GetDatabases"] = {"DatabaseList": [link]}
    assert list(glue.Table(account).list()) == []
    assert "GetTables" not in account.operations()
    # The link itself is the account's own, and goes.
    assert [d.name for d in glue.Database(account).list()] == ["shared"]
