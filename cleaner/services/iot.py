"""IoT Core's registry: certificates, things, thing groups, billing groups, thing types and policies.

AWS refuses to delete a thing, a certificate or a policy while they are attached to each other,
and an ACTIVE certificate at all: each is let go of its attachments first, and a certificate set
INACTIVE. A thing type goes only five minutes after it was deprecated, and only once no thing
uses it: that wait is AWS's own, so the cleaner reports it as not yet deletable until then.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cleaner.registry import Deleting, Item, Listed, Listing, NotYet, Resource, resource
from cleaner.services._offered import OfferedOnly

# AWS keeps a deprecated thing type at least this long before it may be deleted.
DEPRECATION_WAIT = timedelta(minutes=5)


def paged(client, operation: str, key: str, **params):
    for page in client.get_paginator(operation).paginate(**params):
        yield from page.get(key, ())


@resource("iot.certificate")
class Certificate(OfferedOnly, Listed):
    listing = Listing(
        "list_certificates",
        "certificates",
        id="certificateId",
        arn="certificateArn",
        created="creationDate",
        state="status",
    )
    deleting = Deleting("delete_certificate", {"certificateId": "id"}, fixed={"forceDelete": True})

    def prepare(self, item):
        arn = item.extra["arn"]
        if item.extra.get("state") == "PENDING_TRANSFER":
            # Offered to another account: taken back, or AWS refuses every change.
            self.client.cancel_certificate_transfer(certificateId=item.id)
        for thing in paged(self.client, "list_principal_things", "things", principal=arn):
            self.client.detach_thing_principal(thingName=thing, principal=arn)
        for policy in paged(self.client, "list_attached_policies", "policies", target=arn):
            self.client.detach_policy(policyName=policy["policyName"], target=arn)
        # Taken back from a transfer, a certificate is INACTIVE already; a REVOKED one stays so.
        if item.extra.get("state") in ("ACTIVE", "PENDING_ACTIVATION"):
            self.client.update_certificate(certificateId=item.id, newStatus="INACTIVE")


@resource("iot.thing")
class Thing(OfferedOnly, Listed):
    listing = Listing("list_things", "things", id="thingName", arn="thingArn", extra={"type": "thingTypeName"})
    deleting = Deleting("delete_thing", {"thingName": "id"})

    def prepare(self, item):
        for principal in paged(self.client, "list_thing_principals", "principals", thingName=item.id):
            self.client.detach_thing_principal(thingName=item.id, principal=principal)


@resource("iot.thing_group")
class ThingGroup(OfferedOnly, Listed):
    # A parent is refused while it has child groups: it is deleted on the re-scan after them.
    listing = Listing("list_thing_groups", "thingGroups", id="groupName", arn="groupArn")

    def delete(self, item):
        # A dynamic group (one defined by a fleet-index query) has a delete call of its own.
        found = self.client.describe_thing_group(thingGroupName=item.id)
        if found.get("queryString"):
            self.client.delete_dynamic_thing_group(thingGroupName=item.id)
        else:
            self.client.delete_thing_group(thingGroupName=item.id)


@resource("iot.billing_group")
class BillingGroup(OfferedOnly, Listed):
    listing = Listing("list_billing_groups", "billingGroups", id="groupName", arn="groupArn")
    deleting = Deleting("delete_billing_group", {"billingGroupName": "id"})


@resource("iot.thing_type", depends_on=["iot.thing"])
class ThingType(OfferedOnly, Listed):
    listing = Listing(
        "list_thing_types",
        "thingTypes",
        id="thingTypeName",
        arn="thingTypeArn",
        created="thingTypeMetadata.creationDate",
        extra={"deprecated": "thingTypeMetadata.deprecated"},
    )

    def prepare(self, item):
        if not item.extra.get("deprecated"):
            self.client.deprecate_thing_type(thingTypeName=item.id, undoDeprecate=False)

    def delete(self, item):
        found = self.client.describe_thing_type(thingTypeName=item.id)["thingTypeMetadata"]
        since = found.get("deprecationDate")
        if since is not None:
            until = since + DEPRECATION_WAIT
            if datetime.now(UTC) < until:
                raise NotYet(until, f"thing type {item.id} was deprecated less than five minutes ago")
        # Without a deprecation date, AWS itself says whether it is time.
        self.client.delete_thing_type(thingTypeName=item.id)


# Certificates let go of their policies before going; a policy still attached elsewhere (a
# Cognito identity, a thing group) is let go of here.
@resource("iot.policy", depends_on=["iot.certificate"])
class Policy(OfferedOnly, Resource):
    def list(self):
        for policy in paged(self.client, "list_policies", "policies"):
            yield Item(id=policy["policyName"], name=policy["policyName"], extra={"arn": policy.get("policyArn")})

    def prepare(self, item):
        for target in paged(self.client, "list_targets_for_policy", "targets", policyName=item.id):
            self.client.detach_policy(policyName=item.id, target=target)
        # AWS deletes a policy only once it has no version but the default one.
        for version in self.client.list_policy_versions(policyName=item.id)["policyVersions"]:
            if not version.get("isDefaultVersion"):
                self.client.delete_policy_version(policyName=item.id, policyVersionId=version["versionId"])

    def delete(self, item):
        self.client.delete_policy(policyName=item.id)
