"""The AI/ML topic: what a workshop leaves in two regions (Studio domains, running jobs, the model
registry, Kendra, Bedrock, Comprehend, Rekognition, Lex) is swept by the real engine to nothing,
children before parents."""

from __future__ import annotations

from cleaner.context import GLOBAL_REGION
from cleaner.services import bedrock, comprehend, kendra, lex, rekognition, sagemaker, sagemaker_studio
from tests.cleaner.aiml_fakes import ThreadedContext, footprint
from tests.cleaner.test_services_app import member_account, types_of
from tests.cleaner.topics import sweep_topic

# sweep_topic sweeps a context keyed GLOBAL_REGION (us-east-1) with account-wide types only: the
# regional sweep of us-east-1 goes under another key, its context still in us-east-1.
US_EAST = f"{GLOBAL_REGION} (regional)"
REGIONS = ("eu-west-1", US_EAST)
MODULES = (sagemaker, sagemaker_studio, kendra, bedrock, comprehend, rekognition, lex)


def test_an_ai_ml_workshop_is_swept_clean_in_both_regions():
    with member_account() as first:
        account = first.account_id
        contexts = {
            REGIONS[0]: ThreadedContext(account_id=account, region=REGIONS[0]),
            REGIONS[1]: ThreadedContext(account_id=account, region=GLOBAL_REGION),
        }
        shelves = {region: footprint(context) for region, context in contexts.items()}

        done = sweep_topic(contexts, types_of(*MODULES))

        assert done.left() == {}
        done.assert_dependencies_respected()
        for region in REGIONS:
            kinds = done.deleted_types(region)
            assert kinds.index("sagemaker.app") < kinds.index("sagemaker.space") < kinds.index("sagemaker.user_profile")
            assert kinds.index("sagemaker.user_profile") < kinds.index("sagemaker.domain")
            assert kinds.index("bedrock-agent.data_source") < kinds.index("bedrock-agent.knowledge_base")
            assert kinds.index("bedrock.provisioned_model_throughput") < kinds.index("bedrock.custom_model")
            assert kinds.index("comprehend.endpoint") < kinds.index("comprehend.document_classifier")
            assert kinds.index("rekognition.project_version") < kinds.index("rekognition.project")
            left = {name: shelf.rows for name, shelf in shelves[region].items()}
            assert not any(
                rows
                for name, rows in left.items()
                if name not in ("apps", "customizations") and not name.endswith("_job")
            ), {name: rows for name, rows in left.items() if rows}.keys()
            assert all(app["Status"] == "Deleted" for app in left["apps"].values())
            assert all(
                job[next(k for k in job if k.endswith("Status"))] != "InProgress"
                for name in left
                if name.endswith("_job")
                for job in left[name].values()
            )
            context = contexts[region]
            assert context.params_of("DeleteDomain") == [
                {"DomainId": "d-lab", "RetentionPolicy": {"HomeEfsFileSystem": "Delete"}}
            ]
