"""IAM: users, groups, roles, instance profiles and customer-managed policies (global).

IAM refuses to delete an entity while anything hangs on it, so each delete() first takes off what
is attached (keys, credentials, memberships, policies) and then deletes. Never touched, each told by
identity and never by a name an attendee could choose: the role the portal and the cleaner come in
through (CPP_SANDBOX_ROLE_NAME), service-linked and Identity Center roles (by their AWS-only paths),
roles the Organization's management account is trusted by (what Organizations, Control Tower and
StackSets put in the account), AWS-managed policies, and any customer-managed policy one of those
protected roles uses. Users are never protected. A role that a live CloudFormation
stack runs as waits for the stack (see Role).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from urllib.parse import unquote

from botocore.exceptions import ClientError
from django.conf import settings

from cleaner import safety
from cleaner.registry import Item, Resource, resource, tags_of

# Never by a name an attendee could choose: a role is kept when it is the access role, lives on a path
# only AWS may create roles under, or is trusted by the Organization's management account (what
# Organizations, Control Tower and StackSets put in a member account: their roles trust it). A role
# called "AWSControlTowerExecution" that trusts anyone else is an attendee's, and goes.
CLOUDFORMATION = "cloudformation.amazonaws.com"
SERVICE_ROLE_PATH = "/aws-service-role/"
IDENTITY_CENTER_PATH = "/aws-reserved/sso.amazonaws.com/"


def role_protection(role: dict, *, trusted_accounts: frozenset[str] = frozenset()) -> str:
    """Why a role must never be deleted ("" when it may); `trusted_accounts`, those off limits to the cleaner."""
    if role["RoleName"] == settings.CPP_SANDBOX_ROLE_NAME:
        return "the portal's access role"
    path = role.get("Path", "/")
    if path.startswith(SERVICE_ROLE_PATH):
        return "service-linked role"
    if path.startswith(IDENTITY_CENTER_PATH):
        return "IAM Identity Center role"
    trusting = sorted(trusted_accounts & _trusted_accounts(role))
    if trusting:
        return f"trusted by account {trusting[0]}, off limits (Organizations, Control Tower or StackSets)"
    return ""


def _trust_document(role: dict) -> dict:
    document = role.get("AssumeRolePolicyDocument") or {}
    if isinstance(document, str):  # URL-encoded JSON where nothing decoded it
        document = json.loads(unquote(document))
    return document


def _trusted_accounts(role: dict) -> set[str]:
    """The accounts whose principals the role's trust policy lets in."""
    accounts = set()
    for statement in _listed(_trust_document(role).get("Statement")):
        if statement.get("Effect") != "Allow":
            continue
        principal = statement.get("Principal")
        values = _listed(principal.get("AWS")) if isinstance(principal, dict) else []
        for value in values:
            value = str(value)
            if value.isdigit() and len(value) == 12:
                accounts.add(value)
            elif value.startswith("arn:aws:iam::"):
                accounts.add(value.split(":")[4])
    return accounts


def trusts_cloudformation(role: dict) -> bool:
    """Whether CloudFormation may assume the role: only such a role can be a stack's service role."""
    for statement in _listed(_trust_document(role).get("Statement")):
        principal = statement.get("Principal")
        if isinstance(principal, dict) and CLOUDFORMATION in _listed(principal.get("Service")):
            return True
    return False


def _listed(value) -> list:
    """IAM policy fields hold one value or a list of them."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _missing(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == "NoSuchEntity"


class _Iam(Resource):
    """Helpers every IAM type uses."""

    def each(self, operation: str, key: str, **params) -> Iterator[dict]:
        if self.client.can_paginate(operation):
            for page in self.client.get_paginator(operation).paginate(**params):
                yield from page.get(key, ())
        else:
            yield from getattr(self.client, operation)(**params).get(key, ())

    def trusted_accounts(self) -> frozenset[str]:
        # The management account and the portal's own: a role trusting them belongs to the Organization.
        return frozenset(safety.forbidden_accounts())

    def protected_roles(self) -> set[str]:
        trusted = self.trusted_accounts()
        return {
            role["RoleName"]
            for role in self.each("list_roles", "Roles")
            if role_protection(role, trusted_accounts=trusted)
        }


@resource("iam.user", is_global=True)
class User(_Iam):
    def list(self) -> Iterator[Item]:
        for user in self.each("list_users", "Users"):
            name = user["UserName"]
            yield Item(
                id=name,
                name=name,
                tags=tags_of(self.each("list_user_tags", "Tags", UserName=name)),
                created=user.get("CreateDate"),
                extra={"arn": user["Arn"]},
            )

    def delete(self, item: Item) -> None:
        user, iam = item.id, self.client
        try:
            iam.delete_login_profile(UserName=user)
        except ClientError as error:
            if not _missing(error):
                raise
        for key in self.each("list_access_keys", "AccessKeyMetadata", UserName=user):
            iam.delete_access_key(UserName=user, AccessKeyId=key["AccessKeyId"])
        for certificate in self.each("list_signing_certificates", "Certificates", UserName=user):
            iam.delete_signing_certificate(UserName=user, CertificateId=certificate["CertificateId"])
        for ssh_key in self.each("list_ssh_public_keys", "SSHPublicKeys", UserName=user):
            iam.delete_ssh_public_key(UserName=user, SSHPublicKeyId=ssh_key["SSHPublicKeyId"])
        for device in self.each("list_mfa_devices", "MFADevices", UserName=user):
            iam.deactivate_mfa_device(UserName=user, SerialNumber=device["SerialNumber"])
            # A virtual device is an IAM object of its own (a hardware one is only a serial number).
            if ":mfa/" in device["SerialNumber"]:
                iam.delete_virtual_mfa_device(SerialNumber=device["SerialNumber"])
        for policy in self.each("list_user_policies", "PolicyNames", UserName=user):
            iam.delete_user_policy(UserName=user, PolicyName=policy)
        for policy in self.each("list_attached_user_policies", "AttachedPolicies", UserName=user):
            iam.detach_user_policy(UserName=user, PolicyArn=policy["PolicyArn"])
        for group in self.each("list_groups_for_user", "Groups", UserName=user):
            iam.remove_user_from_group(UserName=user, GroupName=group["GroupName"])
        try:
            iam.delete_user(UserName=user)
        except ClientError as error:
            # Service-specific credentials (CodeCommit, Keyspaces, Bedrock) are rare: they are looked
            # for only when IAM says something still hangs on the user. This also spares the local
            # fake AWS, which lacks ListServiceSpecificCredentials.
            if error.response.get("Error", {}).get("Code") != "DeleteConflict":
                raise
            credentials = iam.list_service_specific_credentials(UserName=user)["ServiceSpecificCredentials"]
            if not credentials:
                raise
            for credential in credentials:
                iam.delete_service_specific_credential(
                    UserName=user, ServiceSpecificCredentialId=credential["ServiceSpecificCredentialId"]
                )
            iam.delete_user(UserName=user)


@resource("iam.group", is_global=True)
class Group(_Iam):
    # IAM groups carry no tags.

    def list(self) -> Iterator[Item]:
        for group in self.each("list_groups", "Groups"):
            yield Item(
                id=group["GroupName"],
                name=group["GroupName"],
                created=group.get("CreateDate"),
                extra={"arn": group["Arn"]},
            )

    def delete(self, item: Item) -> None:
        group, iam = item.id, self.client
        for user in self.each("get_group", "Users", GroupName=group):
            iam.remove_user_from_group(GroupName=group, UserName=user["UserName"])
        for policy in self.each("list_group_policies", "PolicyNames", GroupName=group):
            iam.delete_group_policy(GroupName=group, PolicyName=policy)
        for policy in self.each("list_attached_group_policies", "AttachedPolicies", GroupName=group):
            iam.detach_group_policy(GroupName=group, PolicyArn=policy["PolicyArn"])
        iam.delete_group(GroupName=group)


@resource("iam.role", is_global=True)
class Role(_Iam):
    # A CloudFormation stack deletes itself as its service role: with the role gone first, the
    # stack's deletion fails. Stacks are regional and swept by the region's own sweep, which
    # depends_on cannot reach from this global one; so a role that a live stack runs as waits
    # (its delete is refused with the stack's name) until that sweep has deleted the stack.

    def list(self) -> Iterator[Item]:
        roles = list(self.each("list_roles", "Roles"))
        trusted = self.trusted_accounts()
        candidates = {
            role["Arn"]
            for role in roles
            if not role_protection(role, trusted_accounts=trusted) and trusts_cloudformation(role)
        }
        stacks = self.stacks_running_as(candidates) if candidates else {}
        for role in roles:
            name, protected = role["RoleName"], role_protection(role, trusted_accounts=trusted)
            stack = stacks.get(role["Arn"])
            # Protected roles are not read any further than their name.
            tags = {} if protected else tags_of(self.each("list_role_tags", "Tags", RoleName=name))
            yield Item(
                id=name,
                name=name,
                tags=tags,
                created=role.get("CreateDate"),
                # A StackSet's stack running as this role keeps it (by the stack's id, in cleaner.safety).
                extra={
                    "arn": role["Arn"],
                    "stack": f"{stack[1]} in {stack[0]}" if stack else "",
                    "stack_id": stack[2] if stack else "",
                },
                protected=protected,
            )

    def stacks_running_as(self, role_arns: set[str]) -> dict[str, tuple[str, str, str]]:
        """(region, stack name, stack id) of a live stack running as each of these roles, in every enabled region.

        Only asked when some role trusts CloudFormation, which few do. A region whose stacks cannot
        be listed fails the listing (the engine reports it and asks again): a role it cannot vouch
        for is not deleted.
        """
        found: dict[str, tuple[str, str, str]] = {}
        for region in safety.enabled_regions(self.context.account_id):
            client = dataclasses.replace(self.context, region=region).client("cloudformation")
            for page in client.get_paginator("describe_stacks").paginate():
                for stack in page["Stacks"]:
                    arn = stack.get("RoleARN")
                    if arn in role_arns and stack["StackStatus"] != "DELETE_COMPLETE":
                        found.setdefault(arn, (region, stack["StackName"], stack["StackId"]))
        return found

    def delete(self, item: Item) -> None:
        role, iam = item.id, self.client
        if item.extra.get("stack"):
            message = f"stack {item.extra['stack']} runs as this role and needs it to delete itself: waits for it"
            raise ClientError({"Error": {"Code": "DeleteConflict", "Message": message}}, "DeleteRole")
        for policy in self.each("list_attached_role_policies", "AttachedPolicies", RoleName=role):
            iam.detach_role_policy(RoleName=role, PolicyArn=policy["PolicyArn"])
        for policy in self.each("list_role_policies", "PolicyNames", RoleName=role):
            iam.delete_role_policy(RoleName=role, PolicyName=policy)
        for profile in self.each("list_instance_profiles_for_role", "InstanceProfiles", RoleName=role):
            iam.remove_role_from_instance_profile(InstanceProfileName=profile["InstanceProfileName"], RoleName=role)
        iam.delete_role(RoleName=role)


@resource("iam.instance_profile", is_global=True)
class InstanceProfile(_Iam):
    def list(self) -> Iterator[Item]:
        protected_roles = self.protected_roles()
        for profile in self.each("list_instance_profiles", "InstanceProfiles"):
            name = profile["InstanceProfileName"]
            roles = [role["RoleName"] for role in profile.get("Roles") or ()]
            held = sorted(protected_roles.intersection(roles))
            yield Item(
                id=name,
                name=name,
                # ListInstanceProfiles leaves tags out; GetInstanceProfile has them (and, unlike
                # ListInstanceProfileTags, the local fake AWS answers it).
                tags=tags_of(self.client.get_instance_profile(InstanceProfileName=name)["InstanceProfile"].get("Tags")),
                created=profile.get("CreateDate"),
                extra={"roles": roles},
                protected=f"holds protected role {held[0]}" if held else "",
            )

    def delete(self, item: Item) -> None:
        for role in item.extra.get("roles") or ():
            self.client.remove_role_from_instance_profile(InstanceProfileName=item.id, RoleName=role)
        self.client.delete_instance_profile(InstanceProfileName=item.id)


@resource("iam.policy", depends_on=["iam.user", "iam.group", "iam.role"], is_global=True)
class Policy(_Iam):
    # IAM refuses to delete a policy still attached to a user, group or role: they go first and
    # take their attachments with them. Scope=Local: AWS-managed policies are never even listed.

    def list(self) -> Iterator[Item]:
        protected_roles = None
        for policy in self.each("list_policies", "Policies", Scope="Local"):
            arn, name = policy["Arn"], policy["PolicyName"]
            # A policy is kept for the protected role that uses it, never for its name.
            protected = ""
            if policy.get("AttachmentCount") or policy.get("PermissionsBoundaryUsageCount"):
                if protected_roles is None:
                    protected_roles = self.protected_roles()
                # Attached or used as a permissions boundary: both count.
                roles = self.each("list_entities_for_policy", "PolicyRoles", PolicyArn=arn)
                held = sorted(protected_roles.intersection(role["RoleName"] for role in roles))
                if held:
                    protected = f"used by protected role {held[0]}"
            yield Item(
                id=arn,
                name=name,
                tags=tags_of(self.each("list_policy_tags", "Tags", PolicyArn=arn)),
                created=policy.get("CreateDate"),
                protected=protected,
            )

    def delete(self, item: Item) -> None:
        # IAM deletes a policy only once it is down to its default version.
        for version in self.each("list_policy_versions", "Versions", PolicyArn=item.id):
            if not version["IsDefaultVersion"]:
                self.client.delete_policy_version(PolicyArn=item.id, VersionId=version["VersionId"])
        self.client.delete_policy(PolicyArn=item.id)
