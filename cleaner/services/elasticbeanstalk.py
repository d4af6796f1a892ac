"""Elastic Beanstalk: environments, then the applications they run.

Terminating an environment deletes the CloudFormation stack behind it (instances, load balancer,
Auto Scaling group, security groups) and takes AWS minutes; a terminated environment stays in
the answers for an hour, and is gone for every purpose. The account's "elasticbeanstalk-<region>-
<account>" bucket is an S3 bucket like any other, for the S3 types.
"""

from __future__ import annotations

from cleaner.registry import Deleting, Listed, Listing, resource

TERMINATED = frozenset({"Terminated"})
TERMINATING = frozenset({"Terminating"})


@resource("elasticbeanstalk.environment")
class Environment(Listed):
    within = "elasticbeanstalk.application"  # none without one: not listed when there is none
    gone_within = 900
    listing = Listing(
        "describe_environments",
        "Environments",
        id="EnvironmentId",
        name="EnvironmentName",
        arn="EnvironmentArn",
        created="DateCreated",
        state="Status",
        params={"IncludeDeleted": False},
        gone=TERMINATED,
        going=TERMINATING,
    )
    # TerminateResources: the stack's resources go too. ForceTerminate: even when the environment's
    # configuration is invalid (a deleted role or key), which otherwise blocks terminating it.
    deleting = Deleting(
        "terminate_environment", {"EnvironmentId": "id"}, fixed={"TerminateResources": True, "ForceTerminate": True}
    )


@resource("elasticbeanstalk.application", depends_on=["elasticbeanstalk.environment"])
class Application(Listed):
    # DescribeApplications answers all of them in one page.
    listing = Listing("describe_applications", "Applications", id="ApplicationName", created="DateCreated")
    # TerminateEnvByForce: an environment started meanwhile goes with its application rather
    # than refusing the delete; versions and saved configurations go along.
    deleting = Deleting("delete_application", {"ApplicationName": "id"}, fixed={"TerminateEnvByForce": True})
