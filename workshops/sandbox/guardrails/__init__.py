"""Guardrails: the service control policies on the sandbox OU that limit what a sandbox may do.

Attendees get wide IAM rights inside their sandbox account; the one thing they cannot touch is an
SCP set from the Organization. Two policies, beside AWS's FullAWSAccess (never detached), deny in
every pool account:

`cpp-sandbox-guardrails`, which follows the workshops and the cleaner:
- any service the cleaner cannot clean (whatever an attendee made there would outlive the
  cleanup), but the console's free reads (cleanable.py);
- any action in a region that no current workshop allows (global services are left out, or the
  console and IAM sign-in would break);
- leaving the Organization and closing the account, or changing its contacts and regions (the
  pool recycles accounts; a closed or departed one is lost to it);
- any change to the access role the portal reaches the accounts through;
- lifting the permissions boundary: attendee users' boundaries (and the tags that mark those
  users) stay as provisioned, and the boundary policies of current workshops cannot be edited or
  deleted (otherwise an attendee could rewrite the policy that caps them).

`cpp-sandbox-spending`: every purchase and commitment AWS sells (commitments.py), and every EC2,
RDS and SageMaker size that no current workshop allows (sizes.py).

The access role itself is exempt everywhere: the portal provisions, revokes and cleans through it,
and the cleaner must reach every region and service a past workshop used. The documents are built
in documents.py; this module reads their inputs and puts them in place.

`guardrails_inspect` only reads; `guardrails_apply` creates, updates and attaches what differs
and does nothing when everything already matches, so it is safe to run again at any time.
"""

from __future__ import annotations

import contextlib
import difflib
import json
import logging
import time
from dataclasses import dataclass, field

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cpp_portal.aws import COMMERCIAL_REGIONS, hub_client
from workshops.models import LIVE_STAGES, RegionsAllowed, Workshop
from workshops.sandbox import sizes
from workshops.sandbox.guardrails.documents import (
    ACCOUNT_ACTIONS,
    GLOBAL_ACTIONS,
    MAX_POLICY_CHARACTERS,
    GuardrailsError,
    guardrails_document,
    policy_json,
    readable_json,
    spending_document,
)

__all__ = [
    "ACCOUNT_ACTIONS",
    "GLOBAL_ACTIONS",
    "MAX_POLICY_CHARACTERS",
    "GuardrailsError",
    "spending_document",
    "guardrails_document",
    "policy_json",
    "readable_json",
]

log = logging.getLogger(__name__)

POLICY_NAME = "cpp-sandbox-guardrails"
POLICY_DESCRIPTION = "CPP Portal: sandbox accounts use only cleanable services, in the workshops' regions, reachable."
SPENDING_POLICY_NAME = "cpp-sandbox-spending"
SPENDING_POLICY_DESCRIPTION = "CPP Portal: no purchase or commitment, and only the sizes current workshops allow."
POLICY_TYPE = "SERVICE_CONTROL_POLICY"
# AWS allows five SCPs on a target; FullAWSAccess takes one and stays, these take two.
MAX_POLICIES_ON_THE_OU = 5


def allowed_regions() -> list[str]:
    """The regions of every published workshop that has not finished, else the configured default."""
    regions: set[str] = set()
    for workshop_regions in Workshop.objects.filter(stage__in=LIVE_STAGES).values_list("aws_regions", flat=True):
        if isinstance(workshop_regions, list):
            regions.update(r for r in workshop_regions if r in COMMERCIAL_REGIONS)
    if not regions:
        regions.update(settings.CPP_SANDBOX_DEFAULT_REGIONS)
    return sorted(regions)


def allowed_sizes() -> dict[str, list[str]]:
    """Per kind of size, every size a published, unfinished workshop allows; the defaults where none does.

    One policy serves the whole OU, so an account may use a size another current workshop allows:
    the union, as for regions. A workshop's GPU sizes are open while it runs, then close again.
    """
    found: dict[str, set[str]] = {name: set() for name in sizes.SIZE_FIELDS}
    for row in Workshop.objects.filter(stage__in=LIVE_STAGES).values_list(*sizes.SIZE_FIELDS):
        for name, value in zip(sizes.SIZE_FIELDS, row, strict=True):
            if isinstance(value, list):
                found[name].update(v for v in value if isinstance(v, str))
    defaults = {
        "ec2_instance_types": sizes.default_ec2_instance_types,
        "rds_instance_classes": sizes.default_rds_instance_classes,
        "sagemaker_instance_types": sizes.default_sagemaker_instance_types,
    }
    return {name: sorted(found[name] or defaults[name]()) for name in sizes.SIZE_FIELDS}


def boundary_policies() -> list[str]:
    """The customer-managed boundary policies of current workshops, as ARNs in any pool account.

    A workshop names the policy by its ARN in one account; the same name stands in each pool
    account. AWS-managed policies (account "aws") cannot be edited by anyone and need no rule.
    """
    arns = set()
    for arn in (
        Workshop.objects.filter(stage__in=LIVE_STAGES)
        .exclude(permissions_boundary_arn="")
        .values_list("permissions_boundary_arn", flat=True)
    ):
        parts = arn.split(":", 5)
        if len(parts) == 6 and parts[4] != "aws":
            arns.add(f"arn:aws:iam::*:{parts[5]}")
    return sorted(arns)


@dataclass
class PolicyState:
    """One of the portal's policies: what AWS holds now against what it should hold."""

    name: str
    description: str
    desired: dict
    policy_id: str | None = None
    current: dict | None = None
    # The stored content when it is not JSON at all (edited by hand in the console).
    current_raw: str = ""
    attached: bool = False

    def changes(self, ou_id: str) -> list[str]:
        """What applying would do to this policy, in order; empty when it matches and is attached."""
        steps = []
        if self.policy_id is None:
            steps.append(_("create the policy %(name)s") % {"name": self.name})
        elif self.current != self.desired:
            steps.append(
                _("update the content of the policy %(name)s (%(id)s)") % {"name": self.name, "id": self.policy_id}
            )
        if not self.attached:
            steps.append(_("attach the policy %(name)s to the sandbox OU %(ou)s") % {"name": self.name, "ou": ou_id})
        return steps

    @property
    def current_json(self) -> str:
        return readable_json(self.current) if self.current is not None else ""

    @property
    def desired_json(self) -> str:
        return readable_json(self.desired)

    @property
    def size(self) -> int:
        return len(policy_json(self.desired))

    @property
    def diff(self) -> str:
        """A unified diff from the stored policy to the wanted one ("" when they match)."""
        before = readable_json(self.current) if self.current is not None else self.current_raw
        after = readable_json(self.desired)
        if before == after:
            return ""
        return "".join(
            difflib.unified_diff(
                before.splitlines(keepends=True),
                after.splitlines(keepends=True),
                fromfile=f"{self.name} (in AWS)" if self.policy_id else f"{self.name} (not created yet)",
                tofile=f"{self.name} (wanted)",
            )
        )


@dataclass
class GuardrailsState:
    """What AWS holds now against what it should hold, for every policy of the portal's."""

    ou_id: str
    root_id: str
    regions: list[str]
    policy_type_enabled: bool
    policies: list[PolicyState]

    @property
    def main(self) -> PolicyState:
        return self.policies[0]

    # The main policy's own, for the pages and tests that look at the policy that follows the workshops.
    @property
    def desired(self) -> dict:
        return self.main.desired

    @property
    def current(self) -> dict | None:
        return self.main.current

    @property
    def policy_id(self) -> str | None:
        return self.main.policy_id

    @property
    def attached(self) -> bool:
        return all(policy.attached for policy in self.policies)

    @property
    def changes(self) -> list[str]:
        """What applying would do, in order; empty when everything matches."""
        steps = []
        if not self.policy_type_enabled:
            steps.append(_("enable service control policies on the root %(root)s") % {"root": self.root_id})
        for policy in self.policies:
            steps += policy.changes(self.ou_id)
        return steps

    @property
    def in_sync(self) -> bool:
        return not self.changes

    @property
    def diff(self) -> str:
        return "".join(policy.diff for policy in self.policies)


@dataclass
class GuardrailsReport:
    state: GuardrailsState
    dry_run: bool
    done: list[str] = field(default_factory=list)

    def summary(self) -> str:
        if self.state.in_sync:
            return _("The guardrails on %(ou)s are up to date: nothing to change.") % {"ou": self.state.ou_id}
        steps = "; ".join(self.state.changes)
        if self.dry_run:
            return _("Dry run, nothing changed. Applying would: %(steps)s.") % {"steps": steps}
        return _("Guardrails applied to %(ou)s: %(steps)s.") % {"ou": self.state.ou_id, "steps": "; ".join(self.done)}


def desired_policies() -> tuple[list[str], list[PolicyState]]:
    """The regions the workshops need, and the policies the sandbox OU should carry; refused if one is too big."""
    regions = allowed_regions()
    role_name = settings.CPP_SANDBOX_ROLE_NAME
    policies = [
        PolicyState(
            POLICY_NAME,
            POLICY_DESCRIPTION,
            guardrails_document(regions=regions, role_name=role_name, boundaries=boundary_policies()),
        ),
        PolicyState(
            SPENDING_POLICY_NAME,
            SPENDING_POLICY_DESCRIPTION,
            spending_document(role_name=role_name, sizes=allowed_sizes()),
        ),
    ]
    for policy in policies:
        _check_size(policy)
    return regions, policies


def guardrails_inspect() -> GuardrailsState:
    """Read the policies, their attachments and the root's policy types from AWS; changes nothing."""
    ou_id = _sandbox_ou_id()
    regions, policies = desired_policies()
    with _aws_errors(ou_id):
        organizations = hub_client("organizations")
        organizations.describe_organizational_unit(OrganizationalUnitId=ou_id)
        root = organizations.list_roots()["Roots"][0]
        state = GuardrailsState(
            ou_id=ou_id,
            root_id=root["Id"],
            regions=regions,
            policy_type_enabled=_type_enabled(root),
            policies=policies,
        )
        found = _find_policies(organizations)
        attached = _policies_attached_to(organizations, ou_id)
        for policy in policies:
            summary = found.get(policy.name)
            if summary is None:
                continue
            policy.policy_id = summary["Id"]
            content = organizations.describe_policy(PolicyId=policy.policy_id)["Policy"]["Content"]
            try:
                policy.current = json.loads(content)
            except ValueError:
                policy.current_raw = content
            policy.attached = policy.policy_id in attached
        _check_room(state, attached)
    return state


def guardrails_apply(*, dry_run: bool = False) -> GuardrailsReport:
    """Bring the sandbox OU's guardrails in line with the workshops; a dry run only reports."""
    state = guardrails_inspect()
    report = GuardrailsReport(state=state, dry_run=dry_run)
    if dry_run:
        return report
    if state.in_sync:
        _regions_allowed_record(state.regions)
        return report
    organizations = hub_client("organizations")
    with _aws_errors(state.ou_id):
        if not state.policy_type_enabled:
            _enable_policy_type(organizations, state.root_id)
            report.done.append(_("enabled service control policies on the root %(root)s") % {"root": state.root_id})
        for policy in state.policies:
            content = policy_json(policy.desired)
            if policy.policy_id is None:
                policy_id = _create_policy(organizations, policy, content)
                report.done.append(_("created the policy %(name)s (%(id)s)") % {"name": policy.name, "id": policy_id})
            else:
                policy_id = policy.policy_id
                if policy.current != policy.desired:
                    organizations.update_policy(PolicyId=policy_id, Content=content)
                    report.done.append(_("updated the content of %(name)s") % {"name": policy.name})
            if not policy.attached:
                with _already(organizations, "DuplicatePolicyAttachmentException"):
                    organizations.attach_policy(PolicyId=policy_id, TargetId=state.ou_id)
                report.done.append(_("attached %(name)s to %(ou)s") % {"name": policy.name, "ou": state.ou_id})
    log.info("guardrails on %s: %s (regions %s)", state.ou_id, "; ".join(report.done), ", ".join(state.regions))
    _regions_allowed_record(state.regions)
    return report


def _regions_allowed_record(regions: list[str]) -> None:
    """Note the regions now in force when they differ from the last note (the cleaner's scope reads it)."""
    last = RegionsAllowed.objects.order_by("-since", "-pk").values_list("regions", flat=True).first()
    if last is None or sorted(last) != sorted(regions):
        RegionsAllowed.objects.create(regions=sorted(regions))


def guardrails_refresh_quietly() -> None:
    """Apply after a workshop starts or stops using its regions; a failure is logged, never raised.

    Stage side effects must not stall on AWS Organizations: an SA sees any gap on the guardrails
    page and can apply from there or with `manage.py apply_guardrails`.
    """
    if not settings.CPP_SANDBOX_OU_ID.strip():
        return  # no Organization configured (a bare development machine): nothing to guard
    try:
        guardrails_apply()
    except GuardrailsError as error:
        log.warning("guardrails not refreshed: %s", error)


# --- AWS ---------------------------------------------------------------------------------------


def _sandbox_ou_id() -> str:
    ou_id = settings.CPP_SANDBOX_OU_ID.strip()
    if not ou_id:
        raise GuardrailsError(
            _("CPP_SANDBOX_OU_ID is not set: set it to the id of the OU that holds the sandbox accounts.")
        )
    return ou_id


def _check_size(policy: PolicyState) -> None:
    if policy.size > MAX_POLICY_CHARACTERS:
        raise GuardrailsError(
            _("The policy %(name)s would be %(size)d characters; AWS allows %(max)d. Nothing was changed.")
            % {"name": policy.name, "size": policy.size, "max": MAX_POLICY_CHARACTERS}
        )


def _check_room(state: GuardrailsState, attached: set[str]) -> None:
    # Someone else's SCPs on the OU count against AWS's five too: attaching past them would fail half-way.
    ours = {p.policy_id for p in state.policies if p.policy_id}
    needed = len(attached - ours) + len(state.policies)
    if needed > MAX_POLICIES_ON_THE_OU:
        raise GuardrailsError(
            _(
                "The sandbox OU %(ou)s would carry %(n)d service control policies; AWS allows %(max)d. Detach "
                "one that is not the portal's (FullAWSAccess stays). Nothing was changed."
            )
            % {"ou": state.ou_id, "n": needed, "max": MAX_POLICIES_ON_THE_OU}
        )


def _type_enabled(root: dict) -> bool:
    return any(t["Type"] == POLICY_TYPE and t["Status"] == "ENABLED" for t in root.get("PolicyTypes", []))


def _find_policies(organizations) -> dict[str, dict]:
    """The portal's policies that exist, by name."""
    names = {POLICY_NAME, SPENDING_POLICY_NAME}
    found = {}
    for page in organizations.get_paginator("list_policies").paginate(Filter=POLICY_TYPE):
        for summary in page["Policies"]:
            if summary["Name"] in names:
                found[summary["Name"]] = summary
    return found


def _policies_attached_to(organizations, target_id: str) -> set[str]:
    pages = organizations.get_paginator("list_policies_for_target").paginate(TargetId=target_id, Filter=POLICY_TYPE)
    return {summary["Id"] for page in pages for summary in page["Policies"]}


def _enable_policy_type(organizations, root_id: str) -> None:
    with _already(organizations, "PolicyTypeAlreadyEnabledException"):
        organizations.enable_policy_type(RootId=root_id, PolicyType=POLICY_TYPE)
    # AWS enables a policy type asynchronously (PENDING_ENABLE); attaching before it is done fails.
    for _attempt in range(10):
        if _type_enabled(organizations.list_roots()["Roots"][0]):
            return
        time.sleep(1)
    raise GuardrailsError(
        _("AWS is still enabling service control policies on the root %(root)s: run this again in a minute.")
        % {"root": root_id}
    )


def _create_policy(organizations, policy: PolicyState, content: str) -> str:
    try:
        answer = organizations.create_policy(
            Name=policy.name, Description=policy.description, Type=POLICY_TYPE, Content=content
        )
        return answer["Policy"]["PolicySummary"]["Id"]
    except organizations.exceptions.DuplicatePolicyException:
        # Another apply (the admin button and a stage change at once) created it first.
        summary = _find_policies(organizations).get(policy.name)
        if summary is None:
            raise
        organizations.update_policy(PolicyId=summary["Id"], Content=content)
        return summary["Id"]


@contextlib.contextmanager
def _already(organizations, exception_name: str):
    """Ignore the error AWS gives when what we ask for is already the case."""
    try:
        yield
    except getattr(organizations.exceptions, exception_name):
        pass


# AWS error codes an SA can act on, with what to do about them.
_NO_RIGHTS = gettext_lazy(
    "The portal's AWS identity may not manage Organizations policies: run it from the Organization's "
    "management account, or delegate policy management to its account."
)
_NO_OU = gettext_lazy("The sandbox OU %(ou)s does not exist: check CPP_SANDBOX_OU_ID.")
_ERROR_ADVICE = {
    "AccessDeniedException": _NO_RIGHTS,
    "AccessDenied": _NO_RIGHTS,
    "AWSOrganizationsNotInUseException": gettext_lazy("The portal's AWS account is not part of an AWS Organization."),
    "OrganizationalUnitNotFoundException": _NO_OU,
    "ParentNotFoundException": _NO_OU,
    "TargetNotFoundException": _NO_OU,
    "InvalidInputException": gettext_lazy(
        "AWS refused the request as invalid: is %(ou)s a real OU id (ou-xxxx-xxxxxxxx)?"
    ),
    "ConstraintViolationException": gettext_lazy(
        "AWS Organizations refused because of one of its limits (for example the number of policies "
        "attached to the OU)."
    ),
    "MalformedPolicyDocumentException": gettext_lazy("AWS refused the policy document as malformed."),
    "PolicyTypeNotEnabledException": gettext_lazy(
        "Service control policies are not enabled on the Organization's root."
    ),
}


@contextlib.contextmanager
def _aws_errors(ou_id: str):
    """Turn what AWS answers into one clear GuardrailsError."""
    try:
        yield
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        detail = error.response.get("Error", {}).get("Message", "")
        advice = _ERROR_ADVICE.get(code)
        text = str(advice) % {"ou": ou_id} if advice else _("AWS Organizations refused the request.")
        raise GuardrailsError(f"{text} ({code}: {detail})")
    except BotoCoreError as error:
        raise GuardrailsError(_("Could not reach AWS Organizations: %(error)s") % {"error": error})
