"""SageMaker Studio and MLOps: apps, spaces, user profiles and domains; MLflow tracking servers,
feature groups, the model registry, pipelines and projects.

A domain refuses to go while it has user profiles or spaces, and those while they have apps;
an app that AWS has deleted stays listed, "Deleted", for a while and no longer counts.
"""

from __future__ import annotations

from cleaner.registry import Deleting, Listed, Listing, resource

DELETING = frozenset({"Deleting"})


@resource("sagemaker.app")
class App(Listed):
    within = "sagemaker.domain"  # none without one: not listed when there is none
    listing = Listing(
        "list_apps",
        "Apps",
        id="AppName",
        created="CreationTime",
        state="Status",
        gone=frozenset({"Deleted"}),
        going=DELETING,
        extra={"domain": "DomainId", "type": "AppType", "user": "UserProfileName", "space": "SpaceName"},
    )

    def delete(self, item):
        if self.is_going(item):
            return
        # An app belongs to either a user profile or a space, and is named by its owner.
        owner = {"UserProfileName": item.extra["user"]} if item.extra.get("user") else {}
        if item.extra.get("space"):
            owner = {"SpaceName": item.extra["space"]}
        self.client.delete_app(DomainId=item.extra["domain"], AppType=item.extra["type"], AppName=item.id, **owner)


@resource("sagemaker.space", depends_on=["sagemaker.app"])
class Space(Listed):
    within = "sagemaker.domain"  # none without one: not listed when there is none
    listing = Listing(
        "list_spaces",
        "Spaces",
        id="SpaceName",
        created="CreationTime",
        state="Status",
        going=DELETING,
        extra={"domain": "DomainId"},
    )
    deleting = Deleting("delete_space", {"DomainId": "domain", "SpaceName": "id"})


# A private space is owned by a user profile, which refuses to go before it.
@resource("sagemaker.user_profile", depends_on=["sagemaker.app", "sagemaker.space"])
class UserProfile(Listed):
    within = "sagemaker.domain"  # none without one: not listed when there is none
    listing = Listing(
        "list_user_profiles",
        "UserProfiles",
        id="UserProfileName",
        created="CreationTime",
        state="Status",
        going=DELETING,
        extra={"domain": "DomainId"},
    )
    deleting = Deleting("delete_user_profile", {"DomainId": "domain", "UserProfileName": "id"})


@resource("sagemaker.domain", depends_on=["sagemaker.app", "sagemaker.space", "sagemaker.user_profile"])
class Domain(Listed):
    in_vpc = True  # its network interfaces sit in the VPC's subnets
    # Deleting a domain also deletes its EFS home volume (only if asked to) and its security groups.
    gone_within = 600
    listing = Listing(
        "list_domains", "Domains", id="DomainId", name="DomainName", arn="DomainArn", state="Status", going=DELETING
    )
    deleting = Deleting("delete_domain", {"DomainId": "id"}, fixed={"RetentionPolicy": {"HomeEfsFileSystem": "Delete"}})


@resource("sagemaker.mlflow_tracking_server")
class MlflowTrackingServer(Listed):
    gone_within = 900
    listing = Listing(
        "list_mlflow_tracking_servers",
        "TrackingServerSummaries",
        id="TrackingServerName",
        arn="TrackingServerArn",
        created="CreationTime",
        state="TrackingServerStatus",
        going=DELETING,
    )
    deleting = Deleting("delete_mlflow_tracking_server", {"TrackingServerName": "id"})


@resource("sagemaker.feature_group")
class FeatureGroup(Listed):
    listing = Listing(
        "list_feature_groups",
        "FeatureGroupSummaries",
        id="FeatureGroupName",
        arn="FeatureGroupArn",
        created="CreationTime",
        state="FeatureGroupStatus",
        going=DELETING,
    )
    deleting = Deleting("delete_feature_group", {"FeatureGroupName": "id"})


@resource("sagemaker.model_package")
class ModelPackage(Listed):
    # "Both": versioned packages (in a group) as well as unversioned ones.
    listing = Listing(
        "list_model_packages",
        "ModelPackageSummaryList",
        id="ModelPackageArn",
        name="ModelPackageName",
        created="CreationTime",
        state="ModelPackageStatus",
        going=DELETING,
        params={"ModelPackageType": "Both"},
    )
    deleting = Deleting("delete_model_package", {"ModelPackageName": "id"})


# A group with model packages in it refuses to go.
@resource("sagemaker.model_package_group", depends_on=["sagemaker.model_package"])
class ModelPackageGroup(Listed):
    listing = Listing(
        "list_model_package_groups",
        "ModelPackageGroupSummaryList",
        id="ModelPackageGroupName",
        arn="ModelPackageGroupArn",
        created="CreationTime",
        state="ModelPackageGroupStatus",
        gone=frozenset({"Deleted"}),
        going=DELETING,
    )
    deleting = Deleting("delete_model_package_group", {"ModelPackageGroupName": "id"})


@resource("sagemaker.pipeline")
class Pipeline(Listed):
    listing = Listing(
        "list_pipelines", "PipelineSummaries", id="PipelineName", arn="PipelineArn", created="CreationTime"
    )
    deleting = Deleting("delete_pipeline", {"PipelineName": "id"})


# Deleting a project deletes its Service Catalog product and the CloudFormation stack it launched.
@resource("sagemaker.project")
class Project(Listed):
    gone_within = 300
    listing = Listing(
        "list_projects",
        "ProjectSummaryList",
        id="ProjectName",
        arn="ProjectArn",
        created="CreationTime",
        state="ProjectStatus",
        gone=frozenset({"DeleteCompleted"}),
        going=frozenset({"DeleteInProgress"}),
    )
    deleting = Deleting("delete_project", {"ProjectName": "id"})
