"""The developer tools, Elastic Beanstalk and Systems Manager against moto, and against stateful
stand-ins where moto lacks them.

CodeArtifact and CodeStar connections are missing from moto altogether; CodeCommit cannot list,
CodeDeploy cannot delete, Beanstalk cannot terminate, and a few listings (report groups, webhooks,
custom actions, SSM associations) are absent. `Fake` (devapp_fakes.py) stands in for those.
"""

from __future__ import annotations

import json

from cleaner.services import devtools, elasticbeanstalk, ssm_automation
from tests.cleaner.devapp_fakes import (
    Fake,
    account_fixture,  # noqa: F401 (the `account` fixture)
    role_arn,
)
from tests.cleaner.test_services_app import RecordingContext, protected_items, sweep

# --- The developer tools ----------------------------------------------------------------------------


class DevTools:
    """What moto lacks of the developer tools, on one context."""

    def __init__(self, context: RecordingContext):
        from moto.codecommit.models import codecommit_backends

        repositories = codecommit_backends[context.account_id][context.region].repositories
        context.stand_ins["codecommit:ListRepositories"] = lambda params: {
            "repositories": [
                {"repositoryName": name, "repositoryId": repo.repository_metadata["repositoryId"]}
                for name, repo in repositories.items()
            ]
        }
        self.report_groups = Fake(
            context, "codebuild", ("ListReportGroups", "reportGroups"), ("DeleteReportGroup", "arn"), "arn"
        )
        # ListReportGroups answers ARNs alone.
        context.stand_ins["codebuild:ListReportGroups"] = lambda params: {
            "reportGroups": list(self.report_groups.things)
        }
        self.webhooks = Fake(context, "codepipeline", ("ListWebhooks", "webhooks"), ("DeleteWebhook", "name"), "name")
        context.stand_ins["codepipeline:ListWebhooks"] = lambda params: {
            "webhooks": [
                {"definition": {"name": name, "targetPipeline": hook["pipeline"]}, "arn": hook["arn"], "url": "u"}
                for name, hook in self.webhooks.things.items()
            ]
        }
        self.action_types = Fake(
            context,
            "codepipeline",
            ("ListActionTypes", "actionTypes"),
            ("DeleteCustomActionType", "provider"),
            "provider",
        )
        context.stand_ins["codepipeline:ListActionTypes"] = lambda params: {
            "actionTypes": [
                {"id": {"category": t["category"], "owner": "Custom", "provider": p, "version": t["version"]}}
                for p, t in self.action_types.things.items()
            ]
        }
        self.applications = Fake(
            context, "codedeploy", ("ListApplications", "applications"), ("DeleteApplication", "applicationName"), "n"
        )
        context.stand_ins["codedeploy:ListApplications"] = lambda params: {
            "applications": list(self.applications.things)
        }
        self.deploy_configs = Fake(
            context,
            "codedeploy",
            ("ListDeploymentConfigs", "deploymentConfigsList"),
            ("DeleteDeploymentConfig", "deploymentConfigName"),
            "n",
        )
        context.stand_ins["codedeploy:ListDeploymentConfigs"] = lambda params: {
            "deploymentConfigsList": ["CodeDeployDefault.AllAtOnce", "CodeDeployDefault.OneAtATime"]
            + list(self.deploy_configs.things)
        }
        self.artifact_repositories = Fake(
            context, "codeartifact", ("ListRepositories", "repositories"), ("DeleteRepository", "repository"), "name"
        )
        self.domains = Fake(context, "codeartifact", ("ListDomains", "domains"), ("DeleteDomain", "domain"), "name")
        self.connections = Fake(
            context,
            "codestar-connections",
            ("ListConnections", "Connections"),
            ("DeleteConnection", "ConnectionArn"),
            "ConnectionArn",
        )
        self.hosts = Fake(context, "codestar-connections", ("ListHosts", "Hosts"), ("DeleteHost", "HostArn"), "HostArn")
        self.account_id = context.account_id
        # moto finishes a build the moment anyone looks at it: the builds are stood in for.
        self.builds: dict[str, str] = {}
        context.stand_ins["codebuild:ListBuilds"] = lambda params: {"ids": list(self.builds)}
        context.stand_ins["codebuild:BatchGetBuilds"] = lambda params: {
            "builds": [{"id": i, "buildStatus": self.builds[i]} for i in params["ids"]]
        }
        context.stand_ins["codebuild:StopBuild"] = self._stop_build

    def _stop_build(self, params: dict) -> dict:
        self.builds[params["id"]] = "STOPPED"
        return {"build": {"id": params["id"], "buildStatus": "STOPPED"}}

    def artifact_domain(self, domain: str, repositories: list[str], owner: str = "") -> None:
        owner = owner or self.account_id
        self.domains.add(name=domain, owner=owner, arn=f"arn:aws:codeartifact:::domain/{domain}", status="Active")
        for name in repositories:
            self.artifact_repositories.add(
                name=name,
                domainName=domain,
                domainOwner=owner,
                administratorAccount=owner,
                arn=f"arn:aws:codeartifact:::repository/{domain}/{name}",
            )


def build_project(context: RecordingContext, name: str) -> None:
    context.client("codebuild").create_project(
        name=name,
        source={"type": "S3", "location": "bucket/source.zip"},
        artifacts={"type": "NO_ARTIFACTS"},
        environment={
            "type": "LINUX_CONTAINER",
            "image": "aws/codebuild/standard:7.0",
            "computeType": "BUILD_GENERAL1_SMALL",
        },
        serviceRole=role_arn(context),
    )


def pipeline(context: RecordingContext, name: str) -> None:
    stages = [
        {
            "name": "Source",
            "actions": [
                {
                    "name": "Source",
                    "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "S3", "version": "1"},
                    "configuration": {"S3Bucket": "b", "S3ObjectKey": "k"},
                    "outputArtifacts": [{"name": "src"}],
                }
            ],
        },
        {
            "name": "Build",
            "actions": [
                {
                    "name": "Build",
                    "actionTypeId": {"category": "Build", "owner": "AWS", "provider": "CodeBuild", "version": "1"},
                    "configuration": {"ProjectName": "p"},
                    "inputArtifacts": [{"name": "src"}],
                }
            ],
        },
    ]
    context.client("codepipeline").create_pipeline(
        pipeline={
            "name": name,
            "roleArn": role_arn(context),
            "artifactStore": {"type": "S3", "location": "artifacts"},
            "stages": stages,
        }
    )


def devops_footprint(context: RecordingContext) -> DevTools:
    """A DevOps workshop's leftovers in one region: a repository, a build (running), a pipeline and its
    webhook and custom action, a deploy application and config, an artifact domain, connections."""
    tools = DevTools(context)
    context.client("codecommit").create_repository(repositoryName="workshop-repo")
    build_project(context, "workshop-build")
    tools.builds["workshop-build:1"] = "IN_PROGRESS"
    tools.builds["workshop-build:0"] = "SUCCEEDED"
    tools.report_groups.add(
        arn=f"arn:aws:codebuild:{context.region}:{context.account_id}:report-group/workshop-build-tests"
    )
    pipeline(context, "workshop-pipeline")
    tools.webhooks.add(name="workshop-hook", pipeline="workshop-pipeline", arn="arn:aws:codepipeline:::webhook:w")
    tools.action_types.add(provider="WorkshopDeployer", category="Deploy", version="1")
    tools.applications.add(n="workshop-app")
    tools.deploy_configs.add(n="WorkshopHalf")
    tools.artifact_domain("workshop", ["npm-store", "app-packages"])
    tools.connections.add(
        ConnectionArn=f"arn:aws:codestar-connections:{context.region}:{context.account_id}:connection/c1",
        ConnectionName="github",
        ConnectionStatus="AVAILABLE",
        HostArn="arn:host/h1",
    )
    tools.hosts.add(HostArn="arn:host/h1", Name="gitlab", Status="AVAILABLE")
    return tools


def test_devtools_sweep_leaves_nothing_but_the_predefined_deploy_configs(account):
    tools = devops_footprint(account)

    assert sweep(account, devtools) == {}
    assert protected_items(account, devtools) == {
        "CodeDeployDefault.AllAtOnce": "predefined by CodeDeploy",
        "CodeDeployDefault.OneAtATime": "predefined by CodeDeploy",
    }
    assert account.params_of("DeleteRepository")[0] == {"repositoryName": "workshop-repo"}
    assert account.params_of("DeleteReportGroup") == [
        {
            "arn": f"arn:aws:codebuild:{account.region}:{account.account_id}:report-group/workshop-build-tests",
            "deleteReports": True,
        }
    ]
    assert account.params_of("DeleteCustomActionType") == [
        {"category": "Deploy", "provider": "WorkshopDeployer", "version": "1"}
    ]
    assert tools.deploy_configs.deleted == ["WorkshopHalf"]
    assert account.params_of("DeleteDomain") == [{"domain": "workshop", "domainOwner": account.account_id}]
    # What uses a thing goes before it.
    assert account.last("StopBuild") < account.first("DeleteProject") < account.first("DeleteReportGroup")
    assert account.first("DeleteWebhook") < account.first("DeletePipeline") < account.first("DeleteCustomActionType")
    assert account.first("DeleteApplication") < account.first("DeleteDeploymentConfig")
    assert account.last("DeleteRepository") < account.first("DeleteDomain")
    assert account.first("DeleteConnection") < account.first("DeleteHost")


def test_a_running_build_is_stopped_and_a_finished_one_is_left_alone(account):
    tools = DevTools(account)
    tools.builds.update({"pp:2": "IN_PROGRESS", "pp:1": "FAILED"})

    assert [item.id for item in devtools.Build(account).list()] == ["pp:2"]
    devtools.Build(account).delete(next(devtools.Build(account).list()))
    assert account.params_of("StopBuild") == [{"id": "pp:2"}]
    assert list(devtools.Build(account).list()) == []


def test_a_codeartifact_repository_another_account_administers_is_kept(account):
    tools = DevTools(account)
    tools.artifact_domain("shared", ["theirs"], owner="999999999999")

    assert protected_items(account, devtools)["theirs"] == "administered by account 999999999999"


# --- Elastic Beanstalk -------------------------------------------------------------------------------


class Beanstalk:
    """moto gives every environment the id "" and cannot terminate one: environments are stood in for,
    and a terminated one stays listed as Terminated, as AWS keeps it for an hour."""

    def __init__(self, context: RecordingContext):
        self.environments: dict[str, dict] = {}
        context.stand_ins["elasticbeanstalk:DescribeEnvironments"] = lambda params: {
            "Environments": list(self.environments.values())
        }
        context.stand_ins["elasticbeanstalk:TerminateEnvironment"] = self._terminate
        self.context = context

    def _terminate(self, params: dict) -> dict:
        self.environments[params["EnvironmentId"]]["Status"] = "Terminated"
        return {"EnvironmentId": params["EnvironmentId"], "Status": "Terminating"}

    def add(self, application: str, name: str, status: str = "Ready") -> None:
        self.context.client("elasticbeanstalk").create_application(ApplicationName=application)
        environment_id = f"e-{name}"
        self.environments[environment_id] = {
            "EnvironmentId": environment_id,
            "EnvironmentName": name,
            "ApplicationName": application,
            "EnvironmentArn": f"arn:aws:elasticbeanstalk:::environment/{application}/{name}",
            "Status": status,
        }


def test_beanstalk_terminates_environments_by_force_before_their_application(account):
    beanstalk = Beanstalk(account)
    beanstalk.add("shop", "shop-prod")

    assert sweep(account, elasticbeanstalk) == {}
    assert account.params_of("TerminateEnvironment") == [
        {"EnvironmentId": "e-shop-prod", "TerminateResources": True, "ForceTerminate": True}
    ]
    assert account.params_of("DeleteApplication") == [{"ApplicationName": "shop", "TerminateEnvByForce": True}]
    assert account.first("TerminateEnvironment") < account.first("DeleteApplication")


def test_a_terminating_beanstalk_environment_is_waited_for_not_terminated_again(account):
    beanstalk = Beanstalk(account)
    beanstalk.add("shop", "shop-old", status="Terminating")

    (environment,) = elasticbeanstalk.Environment(account).list()
    elasticbeanstalk.Environment(account).delete(environment)
    assert "TerminateEnvironment" not in account.operations()
    beanstalk.environments["e-shop-old"]["Status"] = "Terminated"
    assert list(elasticbeanstalk.Environment(account).list()) == []


# --- Systems Manager -----------------------------------------------------------------------------------


def test_ssm_sweeps_own_documents_after_their_associations_and_unshares_them_first(account):
    client = account.client("ssm")
    content = {
        "schemaVersion": "2.2",
        "description": "d",
        "mainSteps": [{"action": "aws:runShellScript", "name": "run", "inputs": {"runCommand": ["echo hi"]}}],
    }
    client.create_document(Content=json.dumps(content), Name="WorkshopSetup", DocumentType="Command")
    client.modify_document_permission(Name="WorkshopSetup", PermissionType="Share", AccountIdsToAdd=["111122223333"])
    client.create_maintenance_window(
        Name="nightly", Schedule="cron(0 2 * * ? *)", Duration=2, Cutoff=1, AllowUnassociatedTargets=True
    )
    associations = Fake(
        account, "ssm", ("ListAssociations", "Associations"), ("DeleteAssociation", "AssociationId"), "AssociationId"
    )
    associations.add(AssociationId="a-1", Name="WorkshopSetup", AssociationName="run-setup")

    assert sweep(account, ssm_automation) == {}
    assert account.params_of("ModifyDocumentPermission")[-1] == {
        "Name": "WorkshopSetup",
        "PermissionType": "Share",
        "AccountIdsToRemove": ["111122223333"],
    }
    assert account.params_of("DeleteDocument") == [{"Name": "WorkshopSetup", "Force": True}]
    assert account.index("DeleteAssociation") < account.index("DeleteDocument")
    assert len(account.params_of("DeleteMaintenanceWindow")) == 1
    # AWS's own documents are never even listed.
    assert all(p.get("Filters") == [{"Key": "Owner", "Values": ["Self"]}] for p in account.params_of("ListDocuments"))
