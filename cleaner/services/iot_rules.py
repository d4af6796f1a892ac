"""IoT Core's other things: jobs and job templates, topic rules, role aliases, custom authorizers,
fleet provisioning templates, and CA certificates.

Jobs are deleted with force, in progress or not (AWS cancels their executions on the way); a job
AWS is already deleting stays listed until it is gone. A custom authorizer and a CA certificate
are set INACTIVE first, as AWS requires; a CA certificate waits for the device certificates it
signed (iot.certificate).
"""

from __future__ import annotations

from cleaner.registry import Deleting, Listed, Listing, resource
from cleaner.services._offered import OfferedOnly


@resource("iot.job")
class Job(OfferedOnly, Listed):
    # Deleting many jobs at once is throttled hard by AWS (a handful a second at most).
    parallel_deletes = 2
    listing = Listing(
        "list_jobs",
        "jobs",
        id="jobId",
        arn="jobArn",
        created="createdAt",
        state="status",
        going=frozenset({"DELETION_IN_PROGRESS"}),
    )
    deleting = Deleting("delete_job", {"jobId": "id"}, fixed={"force": True})


@resource("iot.job_template")
class JobTemplate(OfferedOnly, Listed):
    listing = Listing("list_job_templates", "jobTemplates", id="jobTemplateId", arn="jobTemplateArn")
    deleting = Deleting("delete_job_template", {"jobTemplateId": "id"})


@resource("iot.topic_rule")
class TopicRule(OfferedOnly, Listed):
    listing = Listing("list_topic_rules", "rules", id="ruleName", arn="ruleArn", created="createdAt")
    deleting = Deleting("delete_topic_rule", {"ruleName": "id"})


@resource("iot.role_alias")
class RoleAlias(OfferedOnly, Listed):
    # The listing has only the aliases' names.
    listing = Listing("list_role_aliases", "roleAliases", id="@")
    deleting = Deleting("delete_role_alias", {"roleAlias": "id"})


@resource("iot.authorizer")
class Authorizer(OfferedOnly, Listed):
    listing = Listing("list_authorizers", "authorizers", id="authorizerName", arn="authorizerArn")
    deleting = Deleting("delete_authorizer", {"authorizerName": "id"})

    def prepare(self, item):
        found = self.client.describe_authorizer(authorizerName=item.id)["authorizerDescription"]
        if found.get("status") == "ACTIVE":
            self.client.update_authorizer(authorizerName=item.id, status="INACTIVE")


@resource("iot.provisioning_template")
class ProvisioningTemplate(OfferedOnly, Listed):
    listing = Listing(
        "list_provisioning_templates", "templates", id="templateName", arn="templateArn", created="creationDate"
    )
    deleting = Deleting("delete_provisioning_template", {"templateName": "id"})


@resource("iot.ca_certificate", depends_on=["iot.certificate"])
class CACertificate(OfferedOnly, Listed):
    listing = Listing(
        "list_ca_certificates",
        "certificates",
        id="certificateId",
        arn="certificateArn",
        created="creationDate",
        state="status",
    )
    deleting = Deleting("delete_ca_certificate", {"certificateId": "id"})

    def prepare(self, item):
        if item.extra.get("state") == "ACTIVE":
            self.client.update_ca_certificate(certificateId=item.id, newStatus="INACTIVE")
