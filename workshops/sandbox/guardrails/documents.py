"""The documents of the sandbox OU's service control policies, built from what the portal knows.

Pure functions of their inputs: the workshops' regions and boundary policies, the services the
cleaner can clean (cleanable.py), the commitments AWS sells (commitments.py). workshops.sandbox.
guardrails reads the inputs from the database and AWS, and puts the documents in place.
"""

from __future__ import annotations

import json

from django.utils.translation import gettext as _

from workshops.sandbox.guardrails import cleanable
from workshops.sandbox.guardrails.commitments import commitment_actions
from workshops.sandbox.provisioning.iam import MARKER_TAG

# AWS refuses a bigger SCP; the document is sent without whitespace, which is how it is counted.
MAX_POLICY_CHARACTERS = 5120


class GuardrailsError(Exception):
    """The guardrails could not be built, read or applied; the message says what to fix."""


# Global services answer in us-east-1 whatever region the console shows; denying them by region
# would break IAM sign-in, the console's region picker, the S3 bucket list and the billing pages.
GLOBAL_ACTIONS = (
    "account:*",
    "aws-portal:*",
    "budgets:*",
    "ce:*",
    "cloudfront:*",
    "cur:*",
    "ec2:DescribeRegions",
    "globalaccelerator:*",
    "health:*",
    "iam:*",
    "organizations:*",
    "pricing:*",
    "route53:*",
    "route53domains:*",
    "s3:GetBucketLocation",
    "s3:ListAllMyBuckets",
    "shield:*",
    "sts:*",
    "support:*",
    "trustedadvisor:*",
    "waf:*",
)
# What makes an account leave the pool for good, or changes whom AWS contacts about it, or
# opens opt-in regions the cleaner never sweeps.
ACCOUNT_ACTIONS = (
    "account:CloseAccount",
    "account:DeleteAlternateContact",
    "account:DisableRegion",
    "account:EnableRegion",
    "account:PutAlternateContact",
    "account:PutContactInformation",
)


def guardrails_document(
    *, regions: list[str], role_name: str, boundaries: list[str] = (), allowed: list[str] | None = None
) -> dict:
    """The policy the sandbox OU should carry for `regions`, protecting the access role `role_name`.

    `boundaries` are the boundary policies attendees must not edit (see boundary_policies);
    `allowed`, the actions attendees may call at all (by default cleanable.allowed_actions()).
    """
    if not regions:
        raise GuardrailsError(_("The guardrails need at least one allowed region."))
    role_arn = f"arn:aws:iam::*:role/{role_name}"
    not_the_access_role = {"ArnNotLike": {"aws:PrincipalArn": [role_arn]}}
    marker = f"aws:ResourceTag/{MARKER_TAG['Key']}"
    boundary_rules = [
        {
            "Sid": "DenyLiftingAttendeeBoundaries",
            "Effect": "Deny",
            "Action": [
                "iam:DeleteUserPermissionsBoundary",
                "iam:PutUserPermissionsBoundary",
                "iam:TagUser",
                "iam:UntagUser",
            ],
            "Resource": "*",
            "Condition": {"StringEquals": {marker: MARKER_TAG["Value"]}, **not_the_access_role},
        }
    ]
    if boundaries:
        boundary_rules.append(
            {
                "Sid": "DenyEditingBoundaryPolicies",
                "Effect": "Deny",
                "Action": [
                    "iam:CreatePolicyVersion",
                    "iam:DeletePolicy",
                    "iam:DeletePolicyVersion",
                    "iam:SetDefaultPolicyVersion",
                ],
                "Resource": list(boundaries),
                "Condition": not_the_access_role,
            }
        )
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyOutsideTheWorkshopRegions",
                "Effect": "Deny",
                "NotAction": list(GLOBAL_ACTIONS),
                "Resource": "*",
                "Condition": {"StringNotEquals": {"aws:RequestedRegion": sorted(regions)}, **not_the_access_role},
            },
            {
                "Sid": "DenyLeavingTheOrganization",
                "Effect": "Deny",
                "Action": ["organizations:LeaveOrganization"],
                "Resource": "*",
            },
            {
                "Sid": "DenyClosingOrRedirectingTheAccount",
                "Effect": "Deny",
                "Action": list(ACCOUNT_ACTIONS),
                "Resource": "*",
            },
            {
                "Sid": "DenyChangingTheAccessRole",
                "Effect": "Deny",
                "Action": ["iam:*"],
                "Resource": [role_arn],
                "Condition": not_the_access_role,
            },
            {
                "Sid": "DenyServicesTheCleanerCannotClean",
                "Effect": "Deny",
                "NotAction": sorted(allowed if allowed is not None else cleanable.allowed_actions()),
                "Resource": "*",
                "Condition": not_the_access_role,
            },
            *boundary_rules,
        ],
    }


# The calls that start or resize something of a given size, per service, with the key AWS checks.
EC2_LAUNCHES = ["ec2:RunInstances", "ec2:StartInstances", "ec2:CreateFleet"]
# Wildcards are safe here: the rules below hold only where the request carries the size key at all.
RDS_SIZED = ["rds:Create*", "rds:Modify*", "rds:Restore*"]
SAGEMAKER_SIZED = ["sagemaker:Create*", "sagemaker:Update*"]


def spending_document(*, role_name: str, sizes: dict[str, list[str]] | None = None) -> dict:
    """The policy that denies every purchase and commitment (commitments.py), and every size no workshop allows.

    `sizes` maps workshops.sandbox.sizes.SIZE_FIELDS to the sizes allowed (by default the defaults).
    The access role is exempt: the cleaner must stop and delete whatever is there.
    """
    from workshops.sandbox import sizes as defaults

    sizes = sizes or {
        "ec2_instance_types": defaults.default_ec2_instance_types(),
        "rds_instance_classes": defaults.default_rds_instance_classes(),
        "sagemaker_instance_types": defaults.default_sagemaker_instance_types(),
    }
    not_the_access_role = {"ArnNotLike": {"aws:PrincipalArn": [f"arn:aws:iam::*:role/{role_name}"]}}
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyCommittingMoney",
                "Effect": "Deny",
                "Action": commitment_actions(),
                "Resource": "*",
                "Condition": not_the_access_role,
            },
            {
                # Scoped to the instance: a launch's volumes and interfaces carry no instance type, and a
                # negated test on a missing key is true, so "*" would deny every launch (IAM's operators).
                "Sid": "DenyEc2SizesNoWorkshopAllows",
                "Effect": "Deny",
                "Action": EC2_LAUNCHES,
                "Resource": "arn:aws:ec2:*:*:instance/*",
                "Condition": {
                    "StringNotEquals": {"ec2:InstanceType": sorted(sizes["ec2_instance_types"])},
                    **not_the_access_role,
                },
            },
            {
                "Sid": "DenyLaunchConfigurationSizesNoWorkshopAllows",
                "Effect": "Deny",
                "Action": ["autoscaling:CreateLaunchConfiguration"],
                "Resource": "*",
                "Condition": {
                    "StringNotEquals": {"autoscaling:InstanceType": sorted(sizes["ec2_instance_types"])},
                    **not_the_access_role,
                },
            },
            {
                # Null: only where the call names a class (an Aurora cluster's own call has none).
                "Sid": "DenyRdsClassesNoWorkshopAllows",
                "Effect": "Deny",
                "Action": RDS_SIZED,
                "Resource": "*",
                "Condition": {
                    "StringNotEquals": {"rds:DatabaseClass": sorted(sizes["rds_instance_classes"])},
                    "Null": {"rds:DatabaseClass": "false"},
                    **not_the_access_role,
                },
            },
            {
                # A multi-valued key: one size outside the list in a request is enough to refuse it.
                "Sid": "DenySageMakerSizesNoWorkshopAllows",
                "Effect": "Deny",
                "Action": SAGEMAKER_SIZED,
                "Resource": "*",
                "Condition": {
                    "ForAnyValue:StringNotLike": {"sagemaker:InstanceTypes": sorted(sizes["sagemaker_instance_types"])},
                    **not_the_access_role,
                },
            },
        ],
    }


def frozen_document(*, role_name: str) -> dict:
    """The policy on a frozen account (one over its budget): everything denied to all but the access role.

    Attached to the account, not the OU, so a breach stops that account alone; the access role
    stays free to revoke, clean and unfreeze.
    """
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyEverythingOverBudget",
                "Effect": "Deny",
                "Action": "*",
                "Resource": "*",
                "Condition": {"ArnNotLike": {"aws:PrincipalArn": [f"arn:aws:iam::*:role/{role_name}"]}},
            }
        ],
    }


def policy_json(document: dict) -> str:
    """The document as it is sent to AWS: compact, so it stays within the SCP size limit."""
    return json.dumps(document, separators=(",", ":"))


def readable_json(document: dict | None) -> str:
    return json.dumps(document, indent=2, sort_keys=True) + "\n" if document is not None else ""
