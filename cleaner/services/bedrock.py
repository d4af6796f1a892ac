"""Bedrock: provisioned model throughput (billed by the hour until deleted), model customization
jobs, custom models and guardrails; and Bedrock Agents' agents, knowledge bases and their data
sources (boto3's "bedrock-agent", whose actions IAM names "bedrock:…").
"""

from __future__ import annotations

from datetime import UTC, datetime

from cleaner.registry import Deleting, Item, Listed, Listing, NotYet, Resource, resource

DELETING = frozenset({"Deleting"})


@resource("bedrock.provisioned_model_throughput")
class ProvisionedModelThroughput(Listed):
    listing = Listing(
        "list_provisioned_model_throughputs",
        "provisionedModelSummaries",
        id="provisionedModelArn",
        name="provisionedModelName",
        created="creationTime",
        state="status",
        extra={"commitment_ends": "commitmentExpirationTime"},
    )
    deleting = Deleting("delete_provisioned_model_throughput", {"provisionedModelId": "id"})

    def delete(self, item):
        # Throughput bought with a one- or six-month commitment cannot be deleted before its term
        # ends (and is billed until then whatever happens).
        ends = item.extra.get("commitment_ends")
        if isinstance(ends, datetime) and ends > datetime.now(UTC):
            raise NotYet(ends, "Bedrock provisioned throughput bought with a commitment")
        super().delete(item)


# Stopping is a job's delete; a finished job costs nothing and AWS keeps its record.
@resource("bedrock.model_customization_job")
class ModelCustomizationJob(Listed):
    listing = Listing(
        "list_model_customization_jobs",
        "modelCustomizationJobSummaries",
        id="jobArn",
        name="jobName",
        created="creationTime",
        state="status",
        gone=frozenset({"Completed", "Failed", "Stopped"}),
        going=frozenset({"Stopping"}),
    )
    deleting = Deleting("stop_model_customization_job", {"jobIdentifier": "id"})


# A custom model with provisioned throughput on it refuses to go.
@resource(
    "bedrock.custom_model", depends_on=["bedrock.provisioned_model_throughput", "bedrock.model_customization_job"]
)
class CustomModel(Listed):
    listing = Listing("list_custom_models", "modelSummaries", id="modelArn", name="modelName", created="creationTime")
    deleting = Deleting("delete_custom_model", {"modelIdentifier": "id"})


# Listed without an identifier, guardrails show once each (their draft); deleting the draft's
# identifier deletes every version.
@resource("bedrock.guardrail", depends_on=["bedrock-agent.agent"])
class Guardrail(Listed):
    listing = Listing(
        "list_guardrails",
        "guardrails",
        id="id",
        name="name",
        arn="arn",
        created="createdAt",
        state="status",
        going=frozenset({"DELETING"}),
    )
    deleting = Deleting("delete_guardrail", {"guardrailIdentifier": "id"})


class _Agent(Listed):
    iam_prefix = "bedrock"


# Deleting an agent deletes its action groups, aliases and versions with it; the in-use check
# would refuse while an alias points at it.
@resource("bedrock-agent.agent")
class Agent(_Agent):
    listing = Listing(
        "list_agents",
        "agentSummaries",
        id="agentId",
        name="agentName",
        created="updatedAt",
        state="agentStatus",
        going=frozenset({"DELETING"}),
    )
    deleting = Deleting("delete_agent", {"agentId": "id"}, fixed={"skipResourceInUseCheck": True})


KNOWLEDGE_BASES = Listing(
    "list_knowledge_bases",
    "knowledgeBaseSummaries",
    id="knowledgeBaseId",
    name="name",
    created="updatedAt",
    state="status",
    going=frozenset({"DELETING"}),
)


@resource("bedrock-agent.data_source")
class DataSource(Resource):
    iam_prefix = "bedrock"

    def list(self):
        for page in self.client.get_paginator("list_knowledge_bases").paginate():
            for base in page["knowledgeBaseSummaries"]:
                pages = self.client.get_paginator("list_data_sources").paginate(knowledgeBaseId=base["knowledgeBaseId"])
                for found in pages:
                    for source in found["dataSourceSummaries"]:
                        yield Item(
                            id=source["dataSourceId"],
                            name=source.get("name", ""),
                            created=source.get("updatedAt"),
                            extra={"base": base["knowledgeBaseId"], "status": source.get("status")},
                        )

    def delete(self, item):
        if item.extra.get("status") == "DELETING":
            return
        self.client.delete_data_source(knowledgeBaseId=item.extra["base"], dataSourceId=item.id)


# Data sources first: a knowledge base deleted with them may leave their vectors in the store.
@resource("bedrock-agent.knowledge_base", depends_on=["bedrock-agent.data_source", "bedrock-agent.agent"])
class KnowledgeBase(_Agent):
    listing = KNOWLEDGE_BASES
    deleting = Deleting("delete_knowledge_base", {"knowledgeBaseId": "id"})
