"""The developer tools: CodeCommit, CodeBuild, CodeArtifact, CodePipeline, CodeDeploy and CodeStar
connections.

Most go in one call and take what hangs off them along (a deploy application its deployment
groups, a pipeline its stages); what refuses to go while something uses it waits for that thing
through depends_on.
"""

from __future__ import annotations

from cleaner.registry import Deleting, Item, Listed, Listing, Resource, resource
from cleaner.services._paging import Paged

# BatchGetBuilds takes at most this many ids.
BUILD_BATCH = 100


@resource("codecommit.repository")
class Repository(Listed):
    listing = Listing("list_repositories", "repositories", id="repositoryName")
    deleting = Deleting("delete_repository", {"repositoryName": "id"})


@resource("codebuild.build")
class Build(Resource):
    """Builds still running: a deleted project's builds go on (and on the bill) until they time out."""

    def list(self):
        ids = [id_ for page in self.client.get_paginator("list_builds").paginate() for id_ in page["ids"]]
        for start in range(0, len(ids), BUILD_BATCH):
            for build in self.client.batch_get_builds(ids=ids[start : start + BUILD_BATCH])["builds"]:
                if build.get("buildStatus") == "IN_PROGRESS":
                    yield Item(id=build["id"], name=build["id"], created=build.get("startTime"))

    def delete(self, item):
        self.client.stop_build(id=item.id)


@resource("codebuild.project", depends_on=["codebuild.build"])
class Project(Listed):
    listing = Listing("list_projects", "projects", id="@")
    deleting = Deleting("delete_project", {"name": "id"})


@resource("codebuild.report_group", depends_on=["codebuild.project"])
class ReportGroup(Listed):
    # A project with a reports section makes its report groups as it runs; the project goes first
    # so that a last build does not make one again.
    listing = Listing("list_report_groups", "reportGroups", id="@", name="@")
    # A group that still holds reports is refused unless its reports go with it.
    deleting = Deleting("delete_report_group", {"arn": "id"}, fixed={"deleteReports": True})

    def item(self, raw):
        found = super().item(raw)
        return Item(id=found.id, name=found.id.rsplit("/", 1)[-1], extra=found.extra)


@resource("codeartifact.repository")
class ArtifactRepository(Paged):
    within = "codeartifact.domain"  # none without one: not listed when there is none
    listing = Listing(
        "list_repositories",
        "repositories",
        id="arn",
        name="name",
        extra={"domain": "domainName", "owner": "domainOwner", "repository": "name", "admin": "administratorAccount"},
    )
    # A repository that is the upstream of another is refused until that one is gone: the re-scan
    # takes the upstreams after their downstreams.
    deleting = Deleting("delete_repository", {"domain": "domain", "domainOwner": "owner", "repository": "repository"})

    def protect(self, raw):
        admin = raw.get("administratorAccount")
        return f"administered by account {admin}" if admin and admin != self.context.account_id else ""


@resource("codeartifact.domain", depends_on=["codeartifact.repository"])
class ArtifactDomain(Paged):
    listing = Listing(
        "list_domains",
        "domains",
        id="arn",
        name="name",
        state="status",
        created="createdTime",
        gone=frozenset({"Deleted"}),
        extra={"domain": "name", "owner": "owner"},
    )
    deleting = Deleting("delete_domain", {"domain": "domain", "domainOwner": "owner"})


@resource("codepipeline.webhook")
class Webhook(Listed):
    # A webhook registered with GitHub also left a hook there: nothing of AWS's, so the AWS side
    # is all that is deleted.
    listing = Listing("list_webhooks", "webhooks", id="definition.name", arn="arn", tags="tags")
    deleting = Deleting("delete_webhook", {"name": "id"})


@resource("codepipeline.pipeline", depends_on=["codepipeline.webhook"])
class Pipeline(Listed):
    listing = Listing("list_pipelines", "pipelines", id="name", created="created")
    deleting = Deleting("delete_pipeline", {"name": "id"})


# A custom action type goes only once no pipeline uses it.
@resource("codepipeline.custom_action_type", depends_on=["codepipeline.pipeline"])
class CustomActionType(Listed):
    listing = Listing(
        "list_action_types",
        "actionTypes",
        id="join('/', [id.category, id.provider, id.version])",
        params={"actionOwnerFilter": "Custom"},
        extra={"category": "id.category", "provider": "id.provider", "version": "id.version"},
    )
    deleting = Deleting(
        "delete_custom_action_type", {"category": "category", "provider": "provider", "version": "version"}
    )


@resource("codedeploy.application")
class DeployApplication(Listed):
    # Deployment groups and the record of revisions go with the application.
    listing = Listing("list_applications", "applications", id="@")
    deleting = Deleting("delete_application", {"applicationName": "id"})


@resource("codedeploy.deployment_config", depends_on=["codedeploy.application"])
class DeploymentConfig(Listed):
    # AWS refuses to delete a configuration a deployment group still uses.
    listing = Listing("list_deployment_configs", "deploymentConfigsList", id="@")
    deleting = Deleting("delete_deployment_config", {"deploymentConfigName": "id"})

    def protect(self, raw):
        # AWS's predefined configurations, in every account and region: the "CodeDeployDefault."
        # names are AWS's own (a custom configuration cannot take them) and AWS refuses to delete them.
        return "predefined by CodeDeploy" if raw.startswith("CodeDeployDefault.") else ""


@resource("codestar-connections.connection")
class Connection(Paged):
    listing = Listing("list_connections", "Connections", id="ConnectionArn", name="ConnectionName")
    deleting = Deleting("delete_connection", {"ConnectionArn": "id"})


# A host (for a self-managed GitHub Enterprise or GitLab) goes once its connections are gone.
@resource("codestar-connections.host", depends_on=["codestar-connections.connection"])
class Host(Paged):
    listing = Listing("list_hosts", "Hosts", id="HostArn", name="Name", state="Status", going=frozenset({"DELETING"}))
    deleting = Deleting("delete_host", {"HostArn": "id"})
