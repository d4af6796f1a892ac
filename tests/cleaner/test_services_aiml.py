"""The AI/ML services' types: SageMaker (Studio, jobs, MLOps), Kendra, Bedrock, Comprehend,
Rekognition and Lex V2.

Where moto has the API (SageMaker's jobs, Lex V2 bots), the test runs against moto; the rest is
played by the stateful stand-ins of tests/cleaner/aiml_fakes.py, which refuse what AWS refuses (a
domain with user profiles, a running model version) so a wrong order fails.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cleaner.registry import NotYet, discover, iam_prefix_of
from cleaner.services import bedrock, comprehend, kendra, lex, rekognition, sagemaker, sagemaker_studio
from tests.cleaner.aiml_fakes import footprint
from tests.cleaner.test_services_app import member_account, sweep


@pytest.fixture
def account():
    with member_account() as context:
        yield context


@pytest.fixture
def stocked(account):
    return account, footprint(account)


def test_studio_goes_apps_then_spaces_then_user_profiles_then_the_domain_with_its_home_volume(stocked):
    account, shelves = stocked
    apps = list(sagemaker_studio.App(account).list())
    # An app AWS already deleted lingers in the listing as "Deleted": it is not there any more.
    assert sorted(app.id for app in apps) == ["default", "editor"]
    assert sweep(account, sagemaker_studio) == {}
    assert account.params_of("DeleteApp") == [
        {"DomainId": "d-lab", "AppType": "JupyterLab", "AppName": "default", "UserProfileName": "ada"},
        {"DomainId": "d-lab", "AppType": "CodeEditor", "AppName": "editor", "SpaceName": "team"},
    ]
    assert account.last("DeleteApp") < account.first("DeleteSpace") < account.first("DeleteUserProfile")
    assert account.first("DeleteUserProfile") < account.first("DeleteDomain")
    assert account.params_of("DeleteDomain") == [
        {"DomainId": "d-lab", "RetentionPolicy": {"HomeEfsFileSystem": "Delete"}}
    ]
    assert not shelves["domains"].rows and not shelves["groups"].rows and not shelves["projects"].rows
    assert account.first("DeleteModelPackage") < account.first("DeleteModelPackageGroup")


def test_only_running_jobs_are_listed_and_stopping_is_their_delete(stocked):
    account, shelves = stocked
    assert [item.id for item in sagemaker.TrainingJob(account).list()] == ["running"]
    assert sweep(account, sagemaker) == {}
    for operation, param in [
        ("StopTrainingJob", "TrainingJobName"),
        ("StopProcessingJob", "ProcessingJobName"),
        ("StopTransformJob", "TransformJobName"),
        ("StopHyperParameterTuningJob", "HyperParameterTuningJobName"),
    ]:
        assert account.params_of(operation) == [{param: "running"}]
    assert account.first("StopHyperParameterTuningJob") < account.first("StopTrainingJob")


def test_a_job_still_stopping_is_listed_but_not_stopped_again(stocked):
    account, shelves = stocked
    shelves["training_job"].rows["running"]["TrainingJobStatus"] = "Stopping"
    jobs = sagemaker.TrainingJob(account)
    (item,) = jobs.list()
    jobs.delete(item)
    assert account.params_of("StopTrainingJob") == []


def test_jobs_moto_finished_are_not_listed():
    # moto completes a job at once: a finished job is nothing to stop, and no reason to wait.
    with member_account() as account:
        account.client("sagemaker").create_processing_job(
            ProcessingJobName="prep",
            ProcessingResources={
                "ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 5}
            },
            AppSpecification={"ImageUri": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/prep:1"},
            RoleArn=f"arn:aws:iam::{account.account_id}:role/sagemaker",
        )
        assert account.client("sagemaker").list_processing_jobs()["ProcessingJobSummaries"]
        assert list(sagemaker.ProcessingJob(account).list()) == []


def test_kendra_indexes_go(stocked):
    account, shelves = stocked
    assert sweep(account, kendra) == {}
    assert account.params_of("DeleteIndex") == [{"Id": "a" * 36}] and not shelves["kendra"].rows


def test_bedrock_throughput_goes_before_its_custom_model_and_running_customizations_are_stopped(stocked):
    account, shelves = stocked
    assert sweep(account, bedrock) == {}
    assert account.first("DeleteProvisionedModelThroughput") < account.first("DeleteCustomModel")
    assert account.params_of("StopModelCustomizationJob") == [{"jobIdentifier": "arn:job/tune2"}]
    assert account.params_of("DeleteGuardrail") == [{"guardrailIdentifier": "g1"}]
    assert account.params_of("DeleteAgent") == [{"agentId": "AGENT00001", "skipResourceInUseCheck": True}]
    assert account.params_of("DeleteDataSource") == [{"knowledgeBaseId": "KB00000001", "dataSourceId": "DS00000001"}]
    assert account.first("DeleteDataSource") < account.first("DeleteKnowledgeBase")
    assert not any(shelves[k].rows for k in ("throughput", "custom_models", "guardrails", "agents", "bases", "sources"))


def test_comprehend_endpoints_go_first_and_training_models_are_stopped_then_deleted(stocked):
    account, shelves = stocked
    assert sweep(account, comprehend) == {}
    assert account.first("DeleteEndpoint") < account.first("DeleteDocumentClassifier")
    assert account.first("StopTrainingEntityRecognizer") < account.first("DeleteEntityRecognizer")
    assert not shelves["classifiers"].rows and not shelves["recognizers"].rows


def test_rekognition_running_versions_and_processors_are_stopped_before_deletion(stocked):
    account, shelves = stocked
    assert sweep(account, rekognition) == {}
    assert account.first("StopProjectVersion") < account.first("DeleteProjectVersion") < account.first("DeleteProject")
    assert account.first("StopStreamProcessor") < account.first("DeleteStreamProcessor")
    assert account.params_of("DeleteCollection") == [{"CollectionId": "faces"}]


def test_lex_bots_go_with_their_aliases_against_moto():
    with member_account() as account:
        client = account.client("lexv2-models")
        bot = client.create_bot(
            botName="orders",
            roleArn=f"arn:aws:iam::{account.account_id}:role/lex",
            dataPrivacy={"childDirected": False},
            idleSessionTTLInSeconds=300,
        )["botId"]
        assert [item.name for item in lex.Bot(account).list()] == ["orders"]
        assert sweep(account, lex) == {}
        assert account.params_of("DeleteBot") == [{"botId": bot, "skipResourceInUseCheck": True}]
        assert client.list_bots()["botSummaries"] == []


def test_iam_prefixes_are_the_ones_policies_use():
    types = discover()
    assert iam_prefix_of(types["bedrock-agent.agent"]) == "bedrock"
    assert iam_prefix_of(types["bedrock-agent.knowledge_base"]) == "bedrock"
    assert iam_prefix_of(types["bedrock-agent.data_source"]) == "bedrock"
    assert iam_prefix_of(types["lexv2-models.bot"]) == "lex"
    assert iam_prefix_of(types["kendra.index"]) == "kendra"


def test_bedrock_agents_and_knowledge_bases_go_against_moto():
    with member_account() as account:
        # moto has no data sources (nor throughput or guardrails): an empty answer stands in.
        for operation, key in [
            ("ListDataSources", "dataSourceSummaries"),
            ("ListProvisionedModelThroughputs", "provisionedModelSummaries"),
            ("ListGuardrails", "guardrails"),
        ]:
            account.stand_ins[operation] = {key: []}
        role = f"arn:aws:iam::{account.account_id}:role/bedrock"
        agents = account.client("bedrock-agent")
        agent = agents.create_agent(agentName="helper", agentResourceRoleArn=role)["agent"]["agentId"]
        base = agents.create_knowledge_base(
            name="docs",
            roleArn=role,
            knowledgeBaseConfiguration={
                "type": "VECTOR",
                "vectorKnowledgeBaseConfiguration": {
                    "embeddingModelArn": "arn:aws:bedrock:eu-west-1::foundation-model/x"
                },
            },
            storageConfiguration={
                "type": "OPENSEARCH_SERVERLESS",
                "opensearchServerlessConfiguration": {
                    "collectionArn": "arn:aws:aoss:eu-west-1:123456789012:collection/c",
                    "vectorIndexName": "v",
                    "fieldMapping": {"vectorField": "v", "textField": "t", "metadataField": "m"},
                },
            },
        )["knowledgeBase"]["knowledgeBaseId"]
        assert [item.id for item in bedrock.Agent(account).list()] == [agent]
        assert sweep(account, bedrock) == {}
        assert account.params_of("DeleteAgent") == [{"agentId": agent, "skipResourceInUseCheck": True}]
        assert account.params_of("DeleteKnowledgeBase") == [{"knowledgeBaseId": base}]
        assert agents.list_agents()["agentSummaries"] == agents.list_knowledge_bases()["knowledgeBaseSummaries"] == []


def test_comprehend_entity_recognizers_go_against_moto():
    with member_account() as account:
        client = account.client("comprehend")
        arn = client.create_entity_recognizer(
            RecognizerName="names",
            LanguageCode="en",
            DataAccessRoleArn=f"arn:aws:iam::{account.account_id}:role/comprehend",
            InputDataConfig={"EntityTypes": [{"Type": "PERSON"}], "Documents": {"S3Uri": "s3://b/docs"}},
        )["EntityRecognizerArn"]
        (item,) = comprehend.EntityRecognizer(account).list()
        assert item.id == arn
        assert sweep(account, comprehend) == {}
        assert client.list_entity_recognizers()["EntityRecognizerPropertiesList"] == []


def test_committed_bedrock_throughput_is_not_yet_deletable(stocked):
    account, shelves = stocked
    (row,) = shelves["throughput"].rows.values()
    row["commitmentExpirationTime"] = datetime(2099, 1, 1, tzinfo=UTC)
    throughput = bedrock.ProvisionedModelThroughput(account)
    (item,) = throughput.list()
    with pytest.raises(NotYet):
        throughput.delete(item)
    assert account.params_of("DeleteProvisionedModelThroughput") == []
    row["commitmentExpirationTime"] = datetime(2020, 1, 1, tzinfo=UTC)
    (item,) = throughput.list()
    throughput.delete(item)
    assert not shelves["throughput"].rows


def test_a_running_autopilot_job_is_stopped_against_moto():
    with member_account() as account:
        client = account.client("sagemaker")
        client.create_auto_ml_job_v2(
            AutoMLJobName="churn",
            AutoMLJobInputDataConfig=[
                {"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://b/in"}}}
            ],
            OutputDataConfig={"S3OutputPath": "s3://b/out"},
            AutoMLProblemTypeConfig={
                "TabularJobConfig": {
                    "TargetAttributeName": "churned",
                    "ProblemType": "BinaryClassification",
                    "CompletionCriteria": {"MaxCandidates": 1},
                }
            },
            RoleArn=f"arn:aws:iam::{account.account_id}:role/sagemaker",
        )
        assert [item.id for item in sagemaker.AutoMLJob(account).list()] == ["churn"]
        assert sweep(account, sagemaker) == {}
        assert account.params_of("StopAutoMLJob") == [{"AutoMLJobName": "churn"}]
