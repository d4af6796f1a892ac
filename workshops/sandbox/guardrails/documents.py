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


def commitments_document(*, role_name: str) -> dict:
    """The policy that denies every purchase and commitment (commitments.py) to all but the access role."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyCommittingMoney",
                "Effect": "Deny",
                "Action": commitment_actions(),
                "Resource": "*",
                "Condition": {"ArnNotLike": {"aws:PrincipalArn": [f"arn:aws:iam::*:role/{role_name}"]}},
            }
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
