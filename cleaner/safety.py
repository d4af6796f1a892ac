"""What the cleaner refuses to touch, checked before anything is deleted.

Two levels, after aws-nuke: accounts (only pool accounts, never the Organization's management
account nor the portal's own account; a real run never enters an account attendees are working
in) and items (the access role, what lives where only AWS can put it, what a service module marks
protected by identity, and the user's tag, name and age filters). Never a name an attendee chose.
A refusal raises SafetyError naming every reason at once, before anything has changed.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from fnmatch import fnmatchcase

import botocore.session
from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.utils.translation import gettext as _

from cleaner import stacksets
from cleaner.context import GLOBAL_REGION
from cleaner.registry import Item
from cpp_portal import aws
from workshops.models import SandboxAccount, SandboxAccountState

log = logging.getLogger(__name__)

ACCOUNT_ID = re.compile(r"^\d{12}$")
# Regions AWS turns on in every account; the others count only once the account has opted in.
ENABLED_OPT_IN_STATUSES = ("opt-in-not-required", "opted-in")
# Who the portal is changes only with its deployment; asking AWS once in a while is plenty.
_IDENTITY_TTL_SECONDS = 600


class SafetyError(Exception):
    """The cleaner refused: the message says why, and nothing was done."""


# --- Accounts --------------------------------------------------------------------------------------

_identity_lock = threading.Lock()
_identity: tuple[object, float, dict[str, str], tuple[str, ...]] | None = None


def _portal_identity() -> tuple[dict[str, str], tuple[str, ...]]:
    """({account id: why it is off limits}, names of the portal's own IAM principals), from the hub."""
    global _identity
    session = aws.hub_session()
    with _identity_lock:
        # Keyed by the hub session: tests and a changed endpoint start a new one (aws.forget_clients).
        if _identity and _identity[0] is session and _identity[1] > time.monotonic():
            return _identity[2], _identity[3]
    try:
        management = aws.hub_client("organizations").describe_organization()["Organization"]["MasterAccountId"]
        caller = aws.hub_client("sts").get_caller_identity()
    except (ClientError, BotoCoreError) as error:
        raise SafetyError(
            _("Could not ask AWS which accounts are off limits (%(error)s): nothing was done.") % {"error": error}
        ) from error
    # The management account's reason wins when the portal runs in it (it usually does).
    forbidden = {
        caller["Account"]: _("the portal's own account"),
        management: _("the Organization's management account"),
    }
    # arn:aws:sts::123:assumed-role/cpp-portal/session or arn:aws:iam::123:user/cpp-portal: the role or user.
    parts = caller["Arn"].split(":", 5)[-1].split("/")
    names = (parts[1],) if len(parts) > 1 and parts[0] in ("assumed-role", "role", "user") else ()
    with _identity_lock:
        _identity = (session, time.monotonic() + _IDENTITY_TTL_SECONDS, forbidden, names)
    return forbidden, names


def forbidden_accounts() -> dict[str, str]:
    return _portal_identity()[0]


def accounts_check(account_ids: Iterable[str], *, dry_run: bool) -> list[SandboxAccount]:
    """The pool accounts behind `account_ids`, or SafetyError listing every one that may not be swept."""
    ids = list(dict.fromkeys(str(a).strip() for a in account_ids))
    if not ids:
        raise SafetyError(_("No accounts to clean."))
    problems = [_("“%(id)s” is not an AWS account id (12 digits).") % {"id": a} for a in ids if not ACCOUNT_ID.match(a)]
    if problems:
        raise SafetyError("\n".join(problems))
    forbidden = forbidden_accounts()
    rows = SandboxAccount.objects.select_related("workshop").filter(aws_account_id__in=ids)
    found = {a.aws_account_id: a for a in rows}
    for account_id in ids:
        account = found.get(account_id)
        if account_id in forbidden:
            problems.append(
                _("%(id)s is %(what)s: the cleaner never touches it.")
                % {"id": account_id, "what": forbidden[account_id]}
            )
        elif account is None:
            problems.append(
                _("%(id)s is not in the sandbox pool (manage.py sync_accounts imports it).") % {"id": account_id}
            )
        elif account.state == SandboxAccountState.RETIRED:
            problems.append(_("%(id)s has left the pool (retired).") % {"id": account_id})
        elif not dry_run and account.state == SandboxAccountState.IN_USE:
            problems.append(
                _("%(id)s is in use by “%(workshop)s”: attendees are working in it.")
                % {"id": account_id, "workshop": account.workshop.title if account.workshop else "?"}
            )
    if problems:
        raise SafetyError("\n".join(problems))
    return [found[a] for a in ids]


def account_still_sweepable(account: SandboxAccount, *, dry_run: bool) -> str:
    """Why a queued target's account may no longer be swept ("" when it may): checked again at sweep time.

    Besides the pool's own record, AWS is asked where the account is now: the pool follows the
    sandbox OU only at its hourly sync, and an account moved out of it in between (handed to a
    team, say) must not be wiped on the strength of an hour-old list.
    """
    try:
        accounts_check([account.aws_account_id], dry_run=dry_run)
    except SafetyError as refused:
        return str(refused)
    return outside_sandbox_ou(account.aws_account_id)


_OU_TTL_SECONDS = 60.0
_ou_lock = threading.Lock()
_ou_answers: dict[str, tuple[float, str]] = {}


def outside_sandbox_ou(account_id: str) -> str:
    """Why the account is not under the sandbox OU in AWS Organizations now ("" when it is).

    Asked of the management account, walking up from the account to the root (the OU may nest);
    kept a minute, as every target of an account asks at its start. Without CPP_SANDBOX_OU_ID no
    pool can be synced at all, so there is nothing to check against.
    """
    ou_id = settings.CPP_SANDBOX_OU_ID
    if not ou_id:
        return ""
    now = time.monotonic()
    with _ou_lock:
        cached = _ou_answers.get(account_id)
    if cached and cached[0] > now:
        return cached[1]
    try:
        organizations = aws.hub_client("organizations")
        child, ancestors = account_id, []
        for _depth in range(8):  # AWS nests OUs at most five deep under the root
            parent = organizations.list_parents(ChildId=child)["Parents"][0]
            ancestors.append(parent["Id"])
            if parent["Type"] == "ROOT" or parent["Id"] == ou_id:
                break
            child = parent["Id"]
    except (ClientError, BotoCoreError) as error:
        return _("Could not ask AWS Organizations where %(id)s is (%(error)s): not swept.") % {
            "id": account_id,
            "error": error,
        }
    why = (
        ""
        if ou_id in ancestors
        else _("%(id)s is no longer in the sandbox OU %(ou)s in AWS Organizations: not swept.")
        % {"id": account_id, "ou": ou_id}
    )
    with _ou_lock:
        _ou_answers[account_id] = (now + _OU_TTL_SECONDS, why)
    return why


def forget_sandbox_ou_answers() -> None:
    with _ou_lock:
        _ou_answers.clear()


# --- Regions and services --------------------------------------------------------------------------


def known_regions() -> frozenset[str]:
    """Every region of the commercial partition that botocore knows, offline."""
    return frozenset(botocore.session.get_session().get_available_regions("ec2"))


def regions_check(regions: Iterable[str]) -> list[str]:
    wanted = list(dict.fromkeys(r.strip() for r in regions if r.strip()))
    unknown = [r for r in wanted if r not in known_regions()]
    if unknown:
        raise SafetyError(_("Unknown AWS regions: %(regions)s.") % {"regions": ", ".join(unknown)})
    return wanted


def enabled_regions(account_id: str) -> list[str]:
    """The regions enabled in a member account (moto ignores opt-in and lists every region)."""
    answer = aws.member_client(account_id, "ec2", GLOBAL_REGION).describe_regions(AllRegions=False)
    enabled = [r for r in answer["Regions"] if r.get("OptInStatus", "opt-in-not-required") in ENABLED_OPT_IN_STATUSES]
    return sorted(r["RegionName"] for r in enabled)


def services_check(services: Iterable[str], known_types: Iterable[str]) -> list[str]:
    """Service names ("ec2") or type names ("ec2.volume") the registry knows, or SafetyError."""
    known_types = set(known_types)
    known = known_types | {t.split(".", 1)[0] for t in known_types}
    wanted = list(dict.fromkeys(s.strip() for s in services if s.strip()))
    unknown = [s for s in wanted if s not in known]
    if unknown:
        raise SafetyError(
            _("Unknown services: %(unknown)s. Known: %(known)s.")
            % {"unknown": ", ".join(unknown), "known": ", ".join(sorted({t.split(".", 1)[0] for t in known_types}))}
        )
    return wanted


# --- Items -------------------------------------------------------------------------------------------

# Protection is by identity, never by a name an attendee could choose (an IAM user called
# "AWSReservedSSO_x" or "OrganizationAccountAccessRole", a bucket "aws-…" would otherwise outlive the
# sweep with a stranger's keys or data). What AWS alone can make is told by where it lives:
PROTECTED_IAM_ARNS = (
    # AWS-managed policies live in the account "aws", which no customer can write to.
    ("arn:aws:iam::aws:policy/", "an AWS-managed policy"),
)
# IAM paths only AWS may create roles under.
PROTECTED_IAM_PATHS = (
    ("/aws-service-role/", "a service-linked role"),
    ("/aws-reserved/sso.amazonaws.com/", "IAM Identity Center"),
)
# KMS refuses aliases beginning alias/aws/ to anyone but AWS.
AWS_KMS_ALIAS = "alias/aws/"
# Item.extra keys through which a service module says which roles an item belongs to.
ROLE_KEYS = ("role", "role_name", "roles")


def _iam_path(arn: str) -> str:
    """The path of an IAM role or user ARN ("/" for none), "" for anything else."""
    if not arn.startswith("arn:aws:iam::"):
        return ""
    resource = arn.split(":", 5)[-1]
    kind, _, rest = resource.partition("/")
    return "/" + rest.rsplit("/", 1)[0] + "/" if kind in ("role", "user") and "/" in rest else "/"


def _role_name(arn: str) -> str:
    """The role an IAM role ARN names ("" for any other ARN: a user of the same name is not the role)."""
    if not arn.startswith("arn:aws:iam::") or ":role/" not in arn:
        return ""
    return arn.rsplit("/", 1)[-1]


# CloudFormation tags what a stack made with the stack's id; keys beginning "aws:" only AWS may set.
STACK_ID_TAG = "aws:cloudformation:stack-id"


@dataclass(frozen=True)
class Protection:
    """The built-in list every item passes before it may be deleted."""

    # The access role (and roles an SA listed): never deleted, nor anything a module says hangs on them.
    identity_names: frozenset[str]
    # The StackIds the Organization's StackSets (Control Tower's baseline among them) deployed in
    # the account, as the management account lists them (cleaner.stacksets): they and what they made stay.
    organization_stacks: frozenset[str] = frozenset()

    def reason(self, item: Item) -> str:
        """Why `item` must stay ("" when nothing protects it)."""
        if item.protected:
            return item.protected
        arn = str(item.extra.get("arn", "") or "")
        for text in (item.id, arn):
            for prefix, why in PROTECTED_IAM_ARNS:
                if text.startswith(prefix):
                    return why
        path = _iam_path(arn)
        for prefix, why in PROTECTED_IAM_PATHS:
            if path.startswith(prefix):
                return why
        roles = item.extra.get("roles") or ()
        owners = {str(r) for r in ([roles] if isinstance(roles, str) else roles)}
        owners |= {str(item.extra[k]) for k in ROLE_KEYS[:2] if item.extra.get(k)}
        owners.add(_role_name(arn))
        mine = self.identity_names & owners
        if mine:
            return _("the portal's access role or a role an SA protects (%(name)s)") % {"name": sorted(mine)[0]}
        if item.id.startswith(AWS_KMS_ALIAS) or item.name.startswith(AWS_KMS_ALIAS):
            return _("an AWS-managed KMS key")
        if item.id in self.organization_stacks:
            return _("a stack of the Organization's StackSet")
        # The aws: tag only AWS can set, or the stack CloudFormation says made an untaggable thing.
        made_by = item.tags.get(STACK_ID_TAG) or item.extra.get("stack_id")
        if made_by and made_by in self.organization_stacks:
            return _("made by the Organization's StackSet")
        return ""


def protection(account_id: str | None = None) -> Protection:
    """The built-in protection: the access role, the roles an SA lists in CPP_CLEANER_PROTECTED_NAMES
    and, given an account, the stacks the Organization's StackSets deployed there (and what they made).

    Not the portal's own principal's name: it lives in the management account, and the same name in a
    pool account is only a name an attendee could have chosen.
    """
    names = {settings.CPP_SANDBOX_ROLE_NAME, *getattr(settings, "CPP_CLEANER_PROTECTED_NAMES", ())}
    stacks: frozenset[str] = frozenset()
    if account_id:
        try:
            stacks = stacksets.organization_stacks(account_id)
        except (ClientError, BotoCoreError) as error:
            raise SafetyError(
                _("Could not ask AWS which stacks the Organization's StackSets own (%(error)s): nothing was done.")
                % {"error": error}
            ) from error
    return Protection(identity_names=frozenset(n for n in names if n), organization_stacks=stacks)


def _parse_tag(text: str) -> tuple[str, str]:
    key, _sep, value = text.partition("=")
    if not key.strip():
        raise SafetyError(_("“%(tag)s” is not a tag filter: write key=value, or key for any value.") % {"tag": text})
    return key.strip(), value.strip() or "*"


def parse_tags(texts: Iterable[str]) -> dict[str, str]:
    """["env=prod", "keep"] → {"env": "prod", "keep": "*"}."""
    return dict(_parse_tag(t) for t in texts)


@dataclass(frozen=True)
class Filters:
    """The user's filters: what to keep (any match keeps) and what to target (everything must match)."""

    keep_tags: Mapping[str, str] = field(default_factory=dict)
    only_tags: Mapping[str, str] = field(default_factory=dict)
    name_patterns: tuple[str, ...] = ()
    keep_name_patterns: tuple[str, ...] = ()
    min_age: timedelta | None = None
    # A run confined to regions: a global type's items of other regions (buckets) are not its business.
    regions: tuple[str, ...] = ()

    @classmethod
    def of_run(cls, run) -> Filters:
        return cls(
            regions=tuple(run.regions),
            keep_tags=dict(run.keep_tags),
            only_tags=dict(run.only_tags),
            name_patterns=tuple(run.name_patterns),
            keep_name_patterns=tuple(run.keep_name_patterns),
            min_age=timedelta(hours=run.min_age_hours) if run.min_age_hours else None,
        )

    def reason_to_skip(self, item: Item, now: datetime) -> str:
        """Why the filters leave `item` alone ("" when they let it be deleted)."""
        region = item.extra.get("region") if isinstance(item.extra, dict) else None
        if self.regions and region and region not in self.regions:
            return _("in %(region)s, outside this run's regions") % {"region": region}
        for key, value in self.keep_tags.items():
            if key in item.tags and value in ("*", item.tags[key]):
                return _("kept by tag %(key)s=%(value)s") % {"key": key, "value": item.tags[key]}
        names = [n for n in (item.name, item.id) if n]
        for pattern in self.keep_name_patterns:
            if any(fnmatchcase(n, pattern) for n in names):
                return _("kept by name pattern %(pattern)s") % {"pattern": pattern}
        for key, value in self.only_tags.items():
            if key not in item.tags or value not in ("*", item.tags[key]):
                return _("not tagged %(key)s=%(value)s") % {"key": key, "value": value}
        if self.name_patterns and not any(fnmatchcase(n, p) for p in self.name_patterns for n in names):
            return _("name matches none of %(patterns)s") % {"patterns": ", ".join(self.name_patterns)}
        if self.min_age is not None:
            if item.created is None:
                return _("creation time unknown, so not provably older than the minimum age")
            created = item.created if item.created.tzinfo else item.created.replace(tzinfo=UTC)
            if now - created < self.min_age:
                return _("younger than %(hours)s hours") % {"hours": round(self.min_age.total_seconds() / 3600, 1)}
        return ""
