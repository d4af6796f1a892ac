"""Comprehend: endpoints (billed by the hour), then the document classifiers and entity
recognizers they serve. A model still training is asked to stop, and deleted once stopped."""

from __future__ import annotations

from cleaner.registry import Deleting, Listed, Listing, resource

DELETING = frozenset({"DELETING"})
# A model in these states refuses deletion; stopping takes it out of them.
TRAINING = frozenset({"SUBMITTED", "TRAINING"})


@resource("comprehend.endpoint")
class Endpoint(Listed):
    listing = Listing(
        "list_endpoints",
        "EndpointPropertiesList",
        id="EndpointArn",
        created="CreationTime",
        state="Status",
        going=DELETING,
    )
    deleting = Deleting("delete_endpoint", {"EndpointArn": "id"})


class _Model(Listed):
    stop = ""  # "stop_training_document_classifier"
    remove = ""  # "delete_document_classifier"
    arn = ""  # "DocumentClassifierArn"

    def delete(self, item):
        state = item.extra.get("state")
        if state in TRAINING:
            getattr(self.client, self.stop)(**{self.arn: item.id})
            return  # deleted by a later scan, once stopped
        if state in DELETING or state == "STOP_REQUESTED":
            return
        getattr(self.client, self.remove)(**{self.arn: item.id})


@resource("comprehend.document_classifier", depends_on=["comprehend.endpoint"])
class DocumentClassifier(_Model):
    gone_within = 300
    stop, remove, arn = "stop_training_document_classifier", "delete_document_classifier", "DocumentClassifierArn"
    listing = Listing(
        "list_document_classifiers", "DocumentClassifierPropertiesList", id=arn, created="SubmitTime", state="Status"
    )


@resource("comprehend.entity_recognizer", depends_on=["comprehend.endpoint"])
class EntityRecognizer(_Model):
    gone_within = 300
    stop, remove, arn = "stop_training_entity_recognizer", "delete_entity_recognizer", "EntityRecognizerArn"
    listing = Listing(
        "list_entity_recognizers", "EntityRecognizerPropertiesList", id=arn, created="SubmitTime", state="Status"
    )
