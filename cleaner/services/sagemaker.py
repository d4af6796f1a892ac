"""SageMaker: notebook instances, endpoints with their configurations and models, and running jobs.

A notebook instance must be stopped before it can be deleted, and stopping takes minutes in
AWS: prepare() asks it to stop, delete() deletes it once stopped and otherwise leaves it listed
for the re-scan to come back to.
"""

from __future__ import annotations

from cleaner.registry import Deleting, Item, Listed, Listing, Resource, resource, tags_of

# A notebook instance in these states can be deleted; in the others (Pending, Stopping,
# Updating, Deleting) AWS is busy with it and the re-scan waits.
DELETABLE = {"Stopped", "Failed"}


class _SageMaker(Resource):
    operation = ""  # "list_endpoints"
    key = ""  # "Endpoints"
    prefix = ""  # "Endpoint": the fields are EndpointName, EndpointArn, EndpointStatus

    def list(self):
        for page in self.client.get_paginator(self.operation).paginate():
            for thing in page[self.key]:
                arn = thing[f"{self.prefix}Arn"]
                yield Item(
                    id=thing[f"{self.prefix}Name"],
                    name=thing[f"{self.prefix}Name"],
                    tags=tags_of(self.client.list_tags(ResourceArn=arn).get("Tags")),
                    created=thing.get("CreationTime"),
                    extra={"status": thing.get(f"{self.prefix}Status")},
                )


@resource("sagemaker.notebook_instance")
class NotebookInstance(_SageMaker):
    operation, key, prefix = "list_notebook_instances", "NotebookInstances", "NotebookInstance"

    def prepare(self, item):
        if item.extra.get("status") == "InService":
            self.client.stop_notebook_instance(NotebookInstanceName=item.id)

    def delete(self, item):
        # Asked afresh: prepare() has just changed it.
        status = self.client.describe_notebook_instance(NotebookInstanceName=item.id)["NotebookInstanceStatus"]
        if status in DELETABLE:
            self.client.delete_notebook_instance(NotebookInstanceName=item.id)


@resource("sagemaker.endpoint")
class Endpoint(_SageMaker):
    operation, key, prefix = "list_endpoints", "Endpoints", "Endpoint"

    def delete(self, item):
        if item.extra.get("status") == "Deleting":
            return
        self.client.delete_endpoint(EndpointName=item.id)


# An endpoint in use keeps its configuration; a configuration names its models.
@resource("sagemaker.endpoint_config", depends_on=["sagemaker.endpoint"])
class EndpointConfig(_SageMaker):
    operation, key, prefix = "list_endpoint_configs", "EndpointConfigs", "EndpointConfig"

    def delete(self, item):
        self.client.delete_endpoint_config(EndpointConfigName=item.id)


@resource("sagemaker.model", depends_on=["sagemaker.endpoint_config"])
class Model(_SageMaker):
    operation, key, prefix = "list_models", "Models", "Model"

    def delete(self, item):
        self.client.delete_model(ModelName=item.id)


# --- Jobs: stopping is their delete. A stopped, completed or failed job costs nothing and cannot
# be deleted (AWS keeps its record), so it is not listed; a stopping one is, until it has stopped.

JOB_DONE = frozenset({"Completed", "Failed", "Stopped"})
JOB_STOPPING = frozenset({"Stopping"})


def _job(kind: str, summaries: str) -> Listing:
    return Listing(
        f"list_{kind}s",
        summaries,
        id=f"{summaries[:-9]}Name",
        arn=f"{summaries[:-9]}Arn",
        created="CreationTime",
        state=f"{summaries[:-9]}Status",
        gone=JOB_DONE,
        going=JOB_STOPPING,
    )


# A tuning job (and an Autopilot job, below) stops the jobs it started; stopping those first would
# only race it.
@resource("sagemaker.hyper_parameter_tuning_job")
class HyperParameterTuningJob(Listed):
    listing = _job("hyper_parameter_tuning_job", "HyperParameterTuningJobSummaries")
    deleting = Deleting("stop_hyper_parameter_tuning_job", {"HyperParameterTuningJobName": "id"})


@resource("sagemaker.training_job", depends_on=["sagemaker.hyper_parameter_tuning_job", "sagemaker.auto_ml_job"])
class TrainingJob(Listed):
    listing = _job("training_job", "TrainingJobSummaries")
    deleting = Deleting("stop_training_job", {"TrainingJobName": "id"})


@resource("sagemaker.processing_job", depends_on=["sagemaker.auto_ml_job"])
class ProcessingJob(Listed):
    listing = _job("processing_job", "ProcessingJobSummaries")
    deleting = Deleting("stop_processing_job", {"ProcessingJobName": "id"})


@resource("sagemaker.transform_job", depends_on=["sagemaker.auto_ml_job"])
class TransformJob(Listed):
    listing = _job("transform_job", "TransformJobSummaries")
    deleting = Deleting("stop_transform_job", {"TransformJobName": "id"})


# Autopilot starts its own processing, training and transform jobs: stopping it stops them too.
@resource("sagemaker.auto_ml_job")
class AutoMLJob(Listed):
    listing = _job("auto_ml_job", "AutoMLJobSummaries")
    deleting = Deleting("stop_auto_ml_job", {"AutoMLJobName": "id"})
