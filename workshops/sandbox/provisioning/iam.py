"""The AWS side of a credential: make or remove an attendee's IAM user in one sandbox account.

Everything here runs in a pool thread and talks to AWS only, never to the database: a function
takes one account's jobs and returns one Outcome per job. AWS errors become an outcome's error
(which call, its code and message); they never stop the other jobs of the account.
"""

from __future__ import annotations

import contextlib
import secrets
from dataclasses import dataclass, field

from botocore.exceptions import BotoCoreError, ClientError

from cpp_portal.aws import member_client

# Every IAM user the portal makes carries this, so the cleaner and the guardrails can tell them apart.
MARKER_TAG = {"Key": "cpp:managed", "Value": "true"}
WORKSHOP_TAG_KEY = "cpp:workshop"
USER_NAME_PREFIX = "cpp-"
PASSWORD_LENGTH = 24
AWS_ERRORS = (ClientError, BotoCoreError)

# Readable when copied by hand: no I/O/l/0/1. Symbols are ones IAM accepts and no shell or HTML
# treats specially inside a copied string (no quotes, backslash, <, > or spaces).
_UPPER = "ABCDEFGHJKLMNPQRSTUVWXYZ"
_LOWER = "abcdefghijkmnopqrstuvwxyz"
_DIGITS = "23456789"
_SYMBOLS = "!@#$%^&*()-_=+[]{}"


def new_console_password(length: int = PASSWORD_LENGTH) -> str:
    """A random password that meets a strict IAM password policy (all four classes, long)."""
    classes = (_UPPER, _LOWER, _DIGITS, _SYMBOLS)
    chars = [secrets.choice(c) for c in classes]
    alphabet = "".join(classes)
    chars += [secrets.choice(alphabet) for _ in range(length - len(chars))]
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)


def new_iam_user_name() -> str:
    # Opaque: an IAM user name is visible to the whole account and in CloudTrail, so never an email.
    return USER_NAME_PREFIX + secrets.token_hex(6)


@dataclass(frozen=True)
class Job:
    credential_id: int
    user_name: str


@dataclass(frozen=True)
class Outcome:
    credential_id: int
    error: str = ""
    password: str = field(default="", repr=False)  # a fresh console password: kept out of any repr or log


@dataclass(frozen=True)
class UserSpec:
    """What every attendee user of one workshop gets."""

    workshop_id: int
    policy_arns: tuple[str, ...]
    boundary_arn: str


def describe(error: Exception, *, hide: str = "") -> str:
    """The AWS error for the SA: which call, its code and message (and never the password)."""
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        text = f"{error.operation_name}: {details.get('Code', 'Unknown')}: {details.get('Message', '')}".strip()
    else:
        text = f"{type(error).__name__}: {error}"
    if hide:
        text = text.replace(hide, "********")
    return text[:2000]


def _code(error: ClientError) -> str:
    return error.response.get("Error", {}).get("Code", "")


# --- Making a user -------------------------------------------------------------------------------


class _StepFailed(Exception):
    pass


def provision_account(account_id: str, jobs: list[Job], spec: UserSpec) -> list[Outcome]:
    """Make each job's IAM user in one account, one after the other (a team shares the account)."""
    try:
        iam = member_client(account_id, "iam")
    except AWS_ERRORS as error:  # the access role could not be assumed: nobody here can be provisioned
        reason = f"Account {account_id}: {describe(error)}"
        return [Outcome(job.credential_id, error=reason) for job in jobs]
    outcomes = []
    for job in jobs:
        try:
            outcomes.append(Outcome(job.credential_id, password=_make_user(iam, job.user_name, spec)))
        except _StepFailed as failure:
            outcomes.append(Outcome(job.credential_id, error=str(failure)))
    return outcomes


def _make_user(iam, user_name: str, spec: UserSpec) -> str:
    password = new_console_password()
    try:
        params = {
            "UserName": user_name,
            "Tags": [MARKER_TAG, {"Key": WORKSHOP_TAG_KEY, "Value": str(spec.workshop_id)}],
        }
        if spec.boundary_arn:
            params["PermissionsBoundary"] = spec.boundary_arn
        # Already there: made by an earlier run of this credential (names are random, one per
        # credential) with the same boundary; what follows is what that run may not have finished.
        with contextlib.suppress(iam.exceptions.EntityAlreadyExistsException):
            iam.create_user(**params)
        try:
            iam.create_login_profile(UserName=user_name, Password=password, PasswordResetRequired=False)
        except iam.exceptions.EntityAlreadyExistsException:
            # The earlier run's password was never stored: replace it, so the stored one is the real one.
            iam.update_login_profile(UserName=user_name, Password=password, PasswordResetRequired=False)
        for arn in spec.policy_arns:
            iam.attach_user_policy(UserName=user_name, PolicyArn=arn)  # attaching twice is a no-op in IAM
    except AWS_ERRORS as error:
        raise _StepFailed(describe(error, hide=password)) from None
    return password


# --- Removing a user -----------------------------------------------------------------------------

# Listed and removed before the user itself, because real IAM refuses to delete a user that still
# has any of them (moto does not refuse). (list call, key of the list in its answer, removal)
_ATTACHMENTS = (
    (
        "list_access_keys",
        "AccessKeyMetadata",
        lambda iam, n, item: iam.delete_access_key(UserName=n, AccessKeyId=item["AccessKeyId"]),
    ),
    (
        "list_signing_certificates",
        "Certificates",
        lambda iam, n, item: iam.delete_signing_certificate(UserName=n, CertificateId=item["CertificateId"]),
    ),
    (
        "list_ssh_public_keys",
        "SSHPublicKeys",
        lambda iam, n, item: iam.delete_ssh_public_key(UserName=n, SSHPublicKeyId=item["SSHPublicKeyId"]),
    ),
    ("list_mfa_devices", "MFADevices", lambda iam, n, item: _remove_mfa_device(iam, n, item["SerialNumber"])),
    (
        "list_attached_user_policies",
        "AttachedPolicies",
        lambda iam, n, item: iam.detach_user_policy(UserName=n, PolicyArn=item["PolicyArn"]),
    ),
    ("list_user_policies", "PolicyNames", lambda iam, n, item: iam.delete_user_policy(UserName=n, PolicyName=item)),
    (
        "list_groups_for_user",
        "Groups",
        lambda iam, n, item: iam.remove_user_from_group(UserName=n, GroupName=item["GroupName"]),
    ),
)


class _UserGone(Exception):
    pass


def _quietly(call, **params) -> None:
    """Make a removal call; what is already gone counts as removed."""
    try:
        call(**params)
    except ClientError as error:
        if _code(error) != "NoSuchEntity":
            raise


def _remove_mfa_device(iam, user_name: str, serial: str) -> None:
    _quietly(iam.deactivate_mfa_device, UserName=user_name, SerialNumber=serial)
    if serial.startswith("arn:"):  # a virtual device is an IAM resource of its own
        _quietly(iam.delete_virtual_mfa_device, SerialNumber=serial)


def _strip(iam, user_name: str) -> None:
    _quietly(iam.delete_login_profile, UserName=user_name)
    for list_call, key, remove in _ATTACHMENTS:
        try:
            pages = list(iam.get_paginator(list_call).paginate(UserName=user_name))
        except ClientError as error:
            if _code(error) == "NoSuchEntity":
                raise _UserGone from None  # an earlier run finished the job
            raise
        for page in pages:
            for item in page[key]:
                try:
                    remove(iam, user_name, item)
                except ClientError as error:
                    if _code(error) != "NoSuchEntity":
                        raise


def remove_user(iam, user_name: str) -> None:
    """Remove an IAM user and everything that hangs on it; a user already gone is success."""
    try:
        _strip(iam, user_name)
    except _UserGone:
        return
    try:
        _quietly(iam.delete_user, UserName=user_name)
    except ClientError as error:
        if _code(error) != "DeleteConflict":
            raise
        # Rare leftovers (CodeCommit credentials an attendee made, or something attached while we
        # listed) are looked for only when IAM says something still hangs on the user.
        for item in iam.list_service_specific_credentials(UserName=user_name)["ServiceSpecificCredentials"]:
            _quietly(
                iam.delete_service_specific_credential,
                UserName=user_name,
                ServiceSpecificCredentialId=item["ServiceSpecificCredentialId"],
            )
        try:
            _strip(iam, user_name)
        except _UserGone:
            return
        _quietly(iam.delete_user, UserName=user_name)


def revoke_account(account_id: str, jobs: list[Job]) -> list[Outcome]:
    """Remove each job's IAM user from one account, one after the other."""
    try:
        iam = member_client(account_id, "iam")
    except AWS_ERRORS as error:
        reason = f"Account {account_id}: {describe(error)}"
        return [Outcome(job.credential_id, error=reason) for job in jobs]
    outcomes = []
    for job in jobs:
        try:
            remove_user(iam, job.user_name)
        except AWS_ERRORS as error:
            outcomes.append(Outcome(job.credential_id, error=describe(error)))
        else:
            outcomes.append(Outcome(job.credential_id))
    return outcomes
