"""Stateful stand-ins for the AI/ML services moto lacks (or lacks in part): each is a dict that the
test's creations fill, list calls read and delete/stop calls change, so a sweep really sees things
go; a delete AWS would refuse (a parent with children left) is refused here too."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError

from tests.cleaner.test_services_app import RecordingContext


class ThreadedContext(RecordingContext):
    """RecordingContext whose stand-ins answer each thread's own call.

    The engine deletes with several workers: the harness's "the last recorded call" may be another
    thread's by the time a stand-in answers, so each thread keeps the parameters of its own call.
    """

    _mine = threading.local()

    def _record(self, params, model, **kwargs):
        super()._record(params, model, **kwargs)
        self._mine.params = dict(params)

    def _stand_in(self, model, **kwargs):
        answer = self.stand_ins.get(f"{model.service_model.service_name}:{model.name}", self.stand_ins.get(model.name))
        if answer is None:
            return None
        parsed = answer(self._mine.params) if callable(answer) else answer
        return AWSResponse(None, 200, {}, None), dict(parsed)


def refused(operation: str, why: str) -> ClientError:
    return ClientError({"Error": {"Code": "ResourceInUseException", "Message": why}}, operation)


@dataclass
class Shelf:
    """One kind of thing of one service: rows by id, as the list call answers them."""

    key: str  # the list in the answer: "Apps"
    id: str  # the field that names a row: "AppName"
    rows: dict[str, dict] = field(default_factory=dict)
    scope: str = ""  # a list parameter that selects rows by this same field ("knowledgeBaseId")

    def put(self, **row) -> dict:
        self.rows[row[self.id]] = row
        return row

    def listed(self, params: dict) -> dict:
        rows = [row for row in self.rows.values() if not self.scope or row.get(self.scope) == params.get(self.scope)]
        return {self.key: rows}

    def ids(self) -> list[str]:
        return list(self.rows)


def stock(
    context: RecordingContext,
    service: str,
    list_op: str,
    shelf: Shelf,
    changes: dict[str, Callable[[dict], None]],
) -> Shelf:
    """Let `list_op` read the shelf and each of `changes` (operation → what it does to the shelf)."""
    context.stand_ins[f"{service}:{list_op}"] = shelf.listed

    def answering(change):
        def answer(params):
            change(params)
            return {}

        return answer

    for operation, change in changes.items():
        context.stand_ins[f"{service}:{operation}"] = answering(change)
    return shelf


def removing(shelf: Shelf, param: str, unless: Callable[[dict], str] = lambda params: "") -> Callable[[dict], None]:
    def remove(params):
        why = unless(params)
        if why:
            raise refused("Delete", why)
        del shelf.rows[params[param]]

    return remove


def setting(shelf: Shelf, param: str, state_field: str, state: str) -> Callable[[dict], None]:
    def change(params):
        shelf.rows[params[param]][state_field] = state

    return change


def footprint(context: RecordingContext) -> dict[str, Shelf]:
    """What an AI/ML workshop leaves in one region, each thing in the state that makes it hardest."""
    # Imported here: that module builds on the helpers above.
    from tests.cleaner.aiml_fakes_sagemaker import sagemaker_footprint

    s: dict[str, Shelf] = {}
    sagemaker_footprint(context, s)
    indexes = s["kendra"] = Shelf("IndexConfigurationSummaryItems", "Id")
    stock(context, "kendra", "ListIndices", indexes, {"DeleteIndex": removing(indexes, "Id")})
    indexes.put(Id="a" * 36, Name="docs", Status="ACTIVE")

    throughput = s["throughput"] = Shelf("provisionedModelSummaries", "provisionedModelArn")
    models = s["custom_models"] = Shelf("modelSummaries", "modelArn")
    customizations = s["customizations"] = Shelf("modelCustomizationJobSummaries", "jobArn")
    guardrails = s["guardrails"] = Shelf("guardrails", "id")
    stock(
        context,
        "bedrock",
        "ListProvisionedModelThroughputs",
        throughput,
        {"DeleteProvisionedModelThroughput": removing(throughput, "provisionedModelId")},
    )
    stock(
        context,
        "bedrock",
        "ListCustomModels",
        models,
        {"DeleteCustomModel": removing(models, "modelIdentifier", lambda p: "in use" if throughput.rows else "")},
    )
    stock(
        context,
        "bedrock",
        "ListModelCustomizationJobs",
        customizations,
        {"StopModelCustomizationJob": setting(customizations, "jobIdentifier", "status", "Stopped")},
    )
    stock(
        context,
        "bedrock",
        "ListGuardrails",
        guardrails,
        {"DeleteGuardrail": removing(guardrails, "guardrailIdentifier")},
    )
    models.put(
        modelArn="arn:aws:bedrock:::custom-model/tuned",
        modelName="tuned",
        baseModelArn="arn:base",
        baseModelName="b",
        creationTime="2026-12-01T00:00:00Z",
    )
    throughput.put(
        provisionedModelArn="arn:aws:bedrock:::provisioned-model/pt",
        provisionedModelName="pt",
        modelArn="arn:aws:bedrock:::custom-model/tuned",
        desiredModelArn="arn:aws:bedrock:::custom-model/tuned",
        foundationModelArn="arn:base",
        modelUnits=1,
        desiredModelUnits=1,
        status="InService",
        creationTime="2026-12-01T00:00:00Z",
        lastModifiedTime="2026-12-01T00:00:00Z",
    )
    customizations.put(
        jobArn="arn:job/tune2",
        jobName="tune2",
        status="InProgress",
        baseModelArn="arn:base",
        creationTime="2026-12-01T00:00:00Z",
    )
    guardrails.put(
        id="g1",
        arn="arn:guardrail/g1",
        name="safe",
        status="READY",
        version="DRAFT",
        createdAt="2026-12-01T00:00:00Z",
        updatedAt="2026-12-01T00:00:00Z",
    )

    agents = s["agents"] = Shelf("agentSummaries", "agentId")
    bases = s["bases"] = Shelf("knowledgeBaseSummaries", "knowledgeBaseId")
    sources = s["sources"] = Shelf("dataSourceSummaries", "dataSourceId", scope="knowledgeBaseId")
    ba = "bedrock-agent"
    stock(context, ba, "ListAgents", agents, {"DeleteAgent": removing(agents, "agentId")})
    stock(
        context,
        ba,
        "ListKnowledgeBases",
        bases,
        {
            "DeleteKnowledgeBase": removing(
                bases, "knowledgeBaseId", lambda p: "has data sources" if sources.rows else ""
            )
        },
    )
    stock(context, ba, "ListDataSources", sources, {"DeleteDataSource": removing(sources, "dataSourceId")})
    agents.put(agentId="AGENT00001", agentName="helper", agentStatus="PREPARED", updatedAt="2026-12-01T00:00:00Z")
    bases.put(knowledgeBaseId="KB00000001", name="docs", status="ACTIVE", updatedAt="2026-12-01T00:00:00Z")
    sources.put(
        knowledgeBaseId="KB00000001",
        dataSourceId="DS00000001",
        name="s3",
        status="AVAILABLE",
        updatedAt="2026-12-01T00:00:00Z",
    )

    cp = "comprehend"
    endpoints = s["comprehend_endpoints"] = Shelf("EndpointPropertiesList", "EndpointArn")
    classifiers = s["classifiers"] = Shelf("DocumentClassifierPropertiesList", "DocumentClassifierArn")
    recognizers = s["recognizers"] = Shelf("EntityRecognizerPropertiesList", "EntityRecognizerArn")
    stock(context, cp, "ListEndpoints", endpoints, {"DeleteEndpoint": removing(endpoints, "EndpointArn")})

    def model_unless(shelf):
        def why(params):
            row = next(iter(r for k, r in shelf.rows.items() if k in params.values()))
            if row["Status"] in {"TRAINING", "SUBMITTED"}:
                return "still training"
            return "served by an endpoint" if endpoints.rows else ""

        return why

    stock(
        context,
        cp,
        "ListDocumentClassifiers",
        classifiers,
        {
            "DeleteDocumentClassifier": removing(classifiers, "DocumentClassifierArn", model_unless(classifiers)),
            "StopTrainingDocumentClassifier": setting(classifiers, "DocumentClassifierArn", "Status", "STOPPED"),
        },
    )
    stock(
        context,
        cp,
        "ListEntityRecognizers",
        recognizers,
        {
            "DeleteEntityRecognizer": removing(recognizers, "EntityRecognizerArn", model_unless(recognizers)),
            "StopTrainingEntityRecognizer": setting(recognizers, "EntityRecognizerArn", "Status", "STOPPED"),
        },
    )
    classifier = "arn:aws:comprehend:eu-west-1:123456789012:document-classifier/topics"
    endpoints.put(
        EndpointArn="arn:aws:comprehend:eu-west-1:123456789012:document-classifier-endpoint/live",
        Status="IN_SERVICE",
        ModelArn=classifier,
    )
    classifiers.put(DocumentClassifierArn=classifier, Status="TRAINED")
    recognizers.put(
        EntityRecognizerArn="arn:aws:comprehend:eu-west-1:123456789012:entity-recognizer/names", Status="TRAINING"
    )

    rk = "rekognition"
    projects_rk = s["rk_projects"] = Shelf("ProjectDescriptions", "ProjectArn")
    versions = s["rk_versions"] = Shelf("ProjectVersionDescriptions", "ProjectVersionArn")
    collections = s["collections"] = Shelf("CollectionIds", "id")
    processors = s["processors"] = Shelf("StreamProcessors", "Name")
    stock(
        context,
        rk,
        "DescribeProjects",
        projects_rk,
        {"DeleteProject": removing(projects_rk, "ProjectArn", lambda p: "has versions" if versions.rows else "")},
    )
    context.stand_ins[f"{rk}:DescribeProjectVersions"] = lambda p: {
        "ProjectVersionDescriptions": [
            v for v in versions.rows.values() if v["ProjectVersionArn"].startswith(p["ProjectArn"])
        ]
    }

    def delete_version(params):
        if versions.rows[params["ProjectVersionArn"]]["Status"] == "RUNNING":
            raise refused("DeleteProjectVersion", "running")
        del versions.rows[params["ProjectVersionArn"]]

    context.stand_ins[f"{rk}:DeleteProjectVersion"] = lambda p: delete_version(p) or {}
    context.stand_ins[f"{rk}:StopProjectVersion"] = lambda p: (
        setting(versions, "ProjectVersionArn", "Status", "STOPPED")(p) or {"Status": "STOPPING"}
    )
    project = "arn:aws:rekognition:eu-west-1:123456789012:project/logos/1"
    projects_rk.put(ProjectArn=project, Status="CREATED")
    versions.put(ProjectVersionArn=f"{project}/version/v1/1", Status="RUNNING")
    context.stand_ins[f"{rk}:ListCollections"] = lambda p: {"CollectionIds": collections.ids()}
    context.stand_ins[f"{rk}:DeleteCollection"] = lambda p: (
        collections.rows.pop(p["CollectionId"]) and {"StatusCode": 200}
    )
    collections.put(id="faces")

    def delete_processor(params):
        if processors.rows[params["Name"]]["Status"] == "RUNNING":
            raise refused("DeleteStreamProcessor", "running")
        del processors.rows[params["Name"]]

    stock(
        context,
        rk,
        "ListStreamProcessors",
        processors,
        {
            "DeleteStreamProcessor": delete_processor,
            "StopStreamProcessor": setting(processors, "Name", "Status", "STOPPED"),
        },
    )
    processors.put(Name="doorbell", Status="RUNNING")

    bots = s["bots"] = Shelf("botSummaries", "botId")
    stock(context, "lexv2-models", "ListBots", bots, {"DeleteBot": removing(bots, "botId")})
    context.stand_ins["lexv2-models:DeleteBot"] = lambda p: (
        removing(bots, "botId")(p) or {"botId": p["botId"], "botStatus": "Deleting"}
    )
    bots.put(botId="BOT0000001", botName="orders", botStatus="Available")
    return s
