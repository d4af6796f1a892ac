"""Account settings a workshop changed: each one that differs from what AWS hands over is an item,
and deleting it puts the default back (so the next listing finds nothing left).

Regional: EBS encryption by default (off in a new account), the default key it encrypts with (the
AWS-managed alias/aws/ebs) and the region's default VPC (every region of a new account has one).
Account-wide: the IAM account alias (none) and the IAM password policy (none: AWS's own rules).

Block public access for AMIs and for EBS snapshots are settings too, but moto answers neither
(GetImageBlockPublicAccessState, GetSnapshotBlockPublicAccessState): not swept yet.
"""

from __future__ import annotations

from collections.abc import Iterator

from botocore.exceptions import ClientError

from cleaner.registry import Item, Resource, resource
from cleaner.services.ec2 import unless

# The AWS-managed key EBS encrypts with until someone chooses another.
AWS_EBS_KEY = "alias/aws/ebs"


@resource("ec2.ebs_encryption_default")
class EbsEncryptionByDefault(Resource):
    """EBS encryption by default, switched on: every new volume then needs KMS rights to be used."""

    def list(self) -> Iterator[Item]:
        if self.client.get_ebs_encryption_by_default()["EbsEncryptionByDefault"]:
            yield Item(id="ebs-encryption-by-default", name="EBS encryption by default")

    def delete(self, item: Item) -> None:
        self.client.disable_ebs_encryption_by_default()


@resource("ec2.ebs_default_kms_key")
class EbsDefaultKmsKey(Resource):
    """The key EBS encryption by default uses, when it is not the AWS-managed one: an attendee's key,
    soon scheduled for deletion, would leave every encrypted volume made afterwards unusable."""

    def list(self) -> Iterator[Item]:
        key = self.client.get_ebs_default_kms_key_id().get("KmsKeyId") or ""
        if not self._is_aws_managed(key):
            yield Item(id="ebs-default-kms-key", name="EBS default KMS key", extra={"key": key})

    def _is_aws_managed(self, key: str) -> bool:
        # AWS answers the alias (or its ARN) until a key is chosen; a key's own id or ARN is asked
        # of KMS, which alone knows who manages it.
        if not key or key.endswith(AWS_EBS_KEY):
            return True
        try:
            return self.context.client("kms").describe_key(KeyId=key)["KeyMetadata"].get("KeyManager") == "AWS"
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "NotFoundException":
                return False  # a key that is gone: EBS must be given its own back
            raise

    def delete(self, item: Item) -> None:
        self.client.reset_ebs_default_kms_key_id()


# A region allows 5 VPCs: the default one is made again once the attendees' VPCs are gone. The
# VPC module protects what this makes (IsDefault), so the next sweep does not delete it again.
@resource("ec2.default_vpc", depends_on=["ec2.vpc"])
class DefaultVpc(Resource):
    """A region without its default VPC: launches that name no subnet fail there."""

    def list(self) -> Iterator[Item]:
        filters = [{"Name": "is-default", "Values": ["true"]}]
        if not self.client.describe_vpcs(Filters=filters)["Vpcs"]:
            yield Item(id="default-vpc", name="Default VPC (missing)")

    def delete(self, item: Item) -> None:
        with unless("DefaultVpcAlreadyExists"):  # made meanwhile: what this was for
            self.client.create_default_vpc()


@resource("iam.account_alias", is_global=True)
class AccountAlias(Resource):
    """The account's sign-in alias: an attendee's choice would greet the next workshop."""

    def list(self) -> Iterator[Item]:
        for page in self.client.get_paginator("list_account_aliases").paginate():
            for alias in page["AccountAliases"]:
                yield Item(id=alias, name=f"Account alias {alias}")

    def delete(self, item: Item) -> None:
        self.client.delete_account_alias(AccountAlias=item.id)


@resource("iam.password_policy", is_global=True)
class PasswordPolicy(Resource):
    """A custom IAM password policy: the portal's own console passwords must still pass it."""

    def list(self) -> Iterator[Item]:
        try:
            self.client.get_account_password_policy()
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "NoSuchEntity":
                return  # none set: AWS's default rules apply
            raise
        yield Item(id="password-policy", name="IAM password policy")

    def delete(self, item: Item) -> None:
        self.client.delete_account_password_policy()
