"""Rekognition: Custom Labels projects and their model versions (a running version is billed by
the hour and must be stopped before it can be deleted), face collections and stream processors."""

from __future__ import annotations

from cleaner.registry import Deleting, Item, Listed, Listing, Resource, resource

PROJECTS = Listing(
    "describe_projects",
    "ProjectDescriptions",
    id="ProjectArn",
    created="CreationTimestamp",
    state="Status",
    going=frozenset({"DELETING"}),
)
# A version in these states is being started or running: stopped first, deleted by a later scan.
RUNNING = frozenset({"STARTING", "RUNNING"})
BUSY = frozenset({"STOPPING", "DELETING"})


@resource("rekognition.project_version")
class ProjectVersion(Resource):
    gone_within = 300

    def list(self):
        for page in self.client.get_paginator("describe_projects").paginate():
            for project in page["ProjectDescriptions"]:
                versions = self.client.get_paginator("describe_project_versions")
                for found in versions.paginate(ProjectArn=project["ProjectArn"]):
                    for version in found["ProjectVersionDescriptions"]:
                        yield Item(
                            id=version["ProjectVersionArn"],
                            created=version.get("CreationTimestamp"),
                            extra={"project": project["ProjectArn"], "status": version.get("Status")},
                        )

    def delete(self, item):
        status = item.extra.get("status")
        if status in RUNNING:
            self.client.stop_project_version(ProjectVersionArn=item.id)
        elif status not in BUSY:
            self.client.delete_project_version(ProjectVersionArn=item.id)


@resource("rekognition.project", depends_on=["rekognition.project_version"])
class Project(Listed):
    listing = PROJECTS
    deleting = Deleting("delete_project", {"ProjectArn": "id"})


@resource("rekognition.collection")
class Collection(Listed):
    listing = Listing("list_collections", "CollectionIds", id="@")
    deleting = Deleting("delete_collection", {"CollectionId": "id"})


@resource("rekognition.stream_processor")
class StreamProcessor(Listed):
    listing = Listing("list_stream_processors", "StreamProcessors", id="Name", state="Status")

    def delete(self, item):
        status = item.extra.get("state")
        if status in {"STARTING", "RUNNING", "UPDATING"}:
            # A running processor refuses deletion; a later scan deletes it once stopped.
            self.client.stop_stream_processor(Name=item.id)
        elif status != "STOPPING":
            self.client.delete_stream_processor(Name=item.id)
