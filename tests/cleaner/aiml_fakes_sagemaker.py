"""The SageMaker part of an AI/ML workshop's footprint, played by stateful stand-ins (aiml_fakes)."""

from __future__ import annotations

from tests.cleaner.aiml_fakes import Shelf, removing, setting, stock
from tests.cleaner.test_services_app import RecordingContext


def sagemaker_footprint(context: RecordingContext, s: dict[str, Shelf]) -> None:
    """Studio, running jobs, MLflow, feature groups, the model registry, pipelines and projects."""
    sm = "sagemaker"

    # Studio: a domain, a user profile with its JupyterLab app, a shared space with its own app.
    apps = s["apps"] = Shelf("Apps", "AppName")
    spaces = s["spaces"] = Shelf("Spaces", "SpaceName")
    users = s["users"] = Shelf("UserProfiles", "UserProfileName")
    domains = s["domains"] = Shelf("Domains", "DomainId")
    live_apps = lambda: [a for a in apps.rows.values() if a["Status"] != "Deleted"]  # noqa: E731
    stock(context, sm, "ListApps", apps, {"DeleteApp": setting(apps, "AppName", "Status", "Deleted")})
    stock(
        context,
        sm,
        "ListSpaces",
        spaces,
        {"DeleteSpace": removing(spaces, "SpaceName", lambda p: "has apps" if live_apps() else "")},
    )
    stock(
        context,
        sm,
        "ListUserProfiles",
        users,
        {
            "DeleteUserProfile": removing(
                users, "UserProfileName", lambda p: "has apps or spaces" if live_apps() or spaces.rows else ""
            )
        },
    )
    stock(
        context,
        sm,
        "ListDomains",
        domains,
        {
            "DeleteDomain": removing(
                domains, "DomainId", lambda p: "has user profiles" if users.rows or spaces.rows else ""
            )
        },
    )
    domains.put(DomainId="d-lab", DomainName="lab", DomainArn="arn:aws:sagemaker:::domain/d-lab", Status="InService")
    users.put(DomainId="d-lab", UserProfileName="ada", Status="InService")
    spaces.put(DomainId="d-lab", SpaceName="team", Status="InService")
    apps.put(DomainId="d-lab", UserProfileName="ada", AppType="JupyterLab", AppName="default", Status="InService")
    apps.put(DomainId="d-lab", SpaceName="team", AppType="CodeEditor", AppName="editor", Status="InService")
    apps.put(DomainId="d-lab", UserProfileName="ada", AppType="JupyterServer", AppName="old", Status="Deleted")

    # Jobs: one running of each kind, one finished (not listed: nothing to stop).
    for kind, op in [
        ("TrainingJob", "training_job"),
        ("ProcessingJob", "processing_job"),
        ("TransformJob", "transform_job"),
        ("HyperParameterTuningJob", "hyper_parameter_tuning_job"),
    ]:
        shelf = s[op] = Shelf(f"{kind}Summaries", f"{kind}Name")
        camel = "".join(part.capitalize() for part in op.split("_")).replace("Hyper", "Hyper")
        stock(
            context,
            sm,
            f"List{camel}s",
            shelf,
            {f"Stop{camel}": setting(shelf, f"{kind}Name", f"{kind}Status", "Stopped")},
        )
        shelf.put(**{f"{kind}Name": "running", f"{kind}Arn": f"arn:{op}/running", f"{kind}Status": "InProgress"})
        shelf.put(**{f"{kind}Name": "done", f"{kind}Arn": f"arn:{op}/done", f"{kind}Status": "Completed"})

    mlflow = s["mlflow"] = Shelf("TrackingServerSummaries", "TrackingServerName")
    stock(
        context,
        sm,
        "ListMlflowTrackingServers",
        mlflow,
        {"DeleteMlflowTrackingServer": removing(mlflow, "TrackingServerName")},
    )
    mlflow.put(TrackingServerName="tracking", TrackingServerArn="arn:mlflow/tracking", TrackingServerStatus="Created")
    features = s["features"] = Shelf("FeatureGroupSummaries", "FeatureGroupName")
    stock(context, sm, "ListFeatureGroups", features, {"DeleteFeatureGroup": removing(features, "FeatureGroupName")})
    features.put(FeatureGroupName="customers", FeatureGroupArn="arn:fg/customers", FeatureGroupStatus="Created")
    packages = s["packages"] = Shelf("ModelPackageSummaryList", "ModelPackageArn")
    groups = s["groups"] = Shelf("ModelPackageGroupSummaryList", "ModelPackageGroupName")
    stock(context, sm, "ListModelPackages", packages, {"DeleteModelPackage": removing(packages, "ModelPackageName")})
    stock(
        context,
        sm,
        "ListModelPackageGroups",
        groups,
        {
            "DeleteModelPackageGroup": removing(
                groups, "ModelPackageGroupName", lambda p: "has packages" if packages.rows else ""
            )
        },
    )
    groups.put(ModelPackageGroupName="churn", ModelPackageGroupArn="arn:mpg/churn", ModelPackageGroupStatus="Completed")
    packages.put(ModelPackageArn="arn:mp/churn/1", ModelPackageName="churn", ModelPackageStatus="Completed")
    pipelines = s["pipelines"] = Shelf("PipelineSummaries", "PipelineName")
    stock(context, sm, "ListPipelines", pipelines, {"DeletePipeline": removing(pipelines, "PipelineName")})
    pipelines.put(PipelineName="train", PipelineArn="arn:pipeline/train")
    projects = s["projects"] = Shelf("ProjectSummaryList", "ProjectName")
    stock(context, sm, "ListProjects", projects, {"DeleteProject": removing(projects, "ProjectName")})
    projects.put(ProjectName="mlops", ProjectArn="arn:project/mlops", ProjectId="p-1", ProjectStatus="CreateCompleted")
