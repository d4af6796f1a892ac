"""Shared AWS fakes for tests and benchmarks: moto in-process, an Organization, and botocore hooks.

- `fake_aws()`: moto in-process (`mock_aws`) with an Organization whose member accounts tests
  add with `org.add_accounts(n)` (each also imported as a SandboxAccount row), or shape one by one
  (`org.ou(…)`, `org.account(…)`, `org.move(…)`), and with only a handful of AWS-managed IAM
  policies loaded: all ~1,600 cost about a second per account. Tests get it as the `org` fixture
  (tests/conftest.py).
- `BotocoreHooks`: what moto lacks, injected through botocore's `before-send` event for every
  client built while it is installed: latency per call, a token bucket per account that answers
  `Throttling` when empty (as AWS does), and refusals of chosen calls (e.g. AccessDenied for one
  user). It also counts the calls that reached AWS, per account and operation.

Every client comes from cpp_portal.aws, which caches them, so both clear that cache on the way in
and out: a client built before the hooks would not have them.
"""

from __future__ import annotations

import functools
import json
import os
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from botocore import handlers
from botocore.awsrequest import AWSResponse
from django.test import override_settings
from moto import mock_aws

from cleaner.safety import forget_sandbox_ou_answers
from cpp_portal.aws import forget_clients, hub_client, member_client

# Enough for workshops in tests: attendee policies and a permissions boundary that really exist.
MANAGED_POLICIES = ("PowerUserAccess", "ReadOnlyAccess", "IAMUserChangePassword")
POWER_USER = "arn:aws:iam::aws:policy/PowerUserAccess"
READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"
CHANGE_PASSWORD = "arn:aws:iam::aws:policy/IAMUserChangePassword"
SCP = "SERVICE_CONTROL_POLICY"


@functools.lru_cache(maxsize=4)
def _managed_policies_data(names: tuple[str, ...]) -> str:
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    everything = json.loads(aws_managed_policies_data)
    return json.dumps({name: everything[name] for name in names})


@contextmanager
def fake_aws(
    *, managed_policies: tuple[str, ...] = MANAGED_POLICIES, sandbox_ou: bool = False
) -> Iterator[FakeOrganization]:
    """moto in-process with an Organization (no member accounts yet) and a few managed policies."""
    import moto.iam.models

    saved_data = moto.iam.models.aws_managed_policies_data
    saved_endpoint = os.environ.pop("AWS_ENDPOINT_URL", None)
    moto.iam.models.aws_managed_policies_data = _managed_policies_data(tuple(managed_policies))
    forget_clients()
    forget_sandbox_ou_answers()
    try:
        # In-process moto intercepts the real AWS hostnames: no endpoint override may leak in.
        with override_settings(AWS_ENDPOINT_URL=""), mock_aws(config={"iam": {"load_aws_managed_policies": True}}):
            yield FakeOrganization(sandbox_ou=sandbox_ou)
    finally:
        forget_clients()
        moto.iam.models.aws_managed_policies_data = saved_data
        if saved_endpoint is not None:
            os.environ["AWS_ENDPOINT_URL"] = saved_endpoint


class FakeOrganization:
    """The hub's Organization in moto; member accounts get OrganizationAccountAccessRole from it.

    With `sandbox_ou`, it also has the OU the pool lives in (`self.sandbox_ou`); the `org` fixture
    then sets it as CPP_SANDBOX_OU_ID.
    """

    def __init__(self, *, sandbox_ou: bool = False):
        self.client = hub_client("organizations")
        self.client.create_organization(FeatureSet="ALL")
        self.root = self.client.list_roots()["Roots"][0]["Id"]
        self.management_account_id = self.client.describe_organization()["Organization"]["MasterAccountId"]
        self.sandbox_ou = self.ou("CPP Sandboxes") if sandbox_ou else None
        self._created = 0

    def add_accounts(self, count: int, *, prefix: str = "cpp-sandbox", pool: bool = True) -> list:
        """Create `count` member accounts; with `pool`, also as available SandboxAccount rows (returned)."""
        from workshops.models import SandboxAccount

        made = []
        for _ in range(count):
            self._created += 1
            name = f"{prefix}-{self._created:03d}"
            email = f"aws+{name}@cpp.example.com"
            # Where the pool lives: the cleaner checks it in AWS before it sweeps.
            made.append((self.account(name, self.sandbox_ou or None, email=email), name, email))
        if not pool:
            return [account_id for account_id, _name, _email in made]
        return SandboxAccount.objects.bulk_create(
            SandboxAccount(aws_account_id=account_id, name=name, email=email) for account_id, name, email in made
        )

    # --- Shaping the Organization, as an admin would in the console ------------------------------

    def ou(self, name: str, parent: str | None = None) -> str:
        """A new OU under `parent` (the root by default); its id."""
        answer = self.client.create_organizational_unit(ParentId=parent or self.root, Name=name)
        return answer["OrganizationalUnit"]["Id"]

    def account(self, name: str, parent: str | None = None, *, email: str | None = None) -> str:
        """A new member account, moved under `parent` if given (it starts at the root); its id."""
        status = self.client.create_account(AccountName=name, Email=email or f"{name}@cpp.example.com")
        account_id = status["CreateAccountStatus"]["AccountId"]
        if parent:
            self.move(account_id, parent)
        return account_id

    def move(self, account_id: str, destination: str) -> None:
        source = self.client.list_parents(ChildId=account_id)["Parents"][0]["Id"]
        self.client.move_account(AccountId=account_id, SourceParentId=source, DestinationParentId=destination)

    # --- The guardrails on the sandbox OU, read back the way an SA would check them --------------

    def scp_enabled(self) -> bool:
        root = self.client.list_roots()["Roots"][0]
        return any(t["Type"] == SCP and t["Status"] == "ENABLED" for t in root["PolicyTypes"])

    def guardrail_policies(self) -> list[dict]:
        from workshops.sandbox.guardrails import POLICY_NAME

        return [p for p in self.client.list_policies(Filter=SCP)["Policies"] if p["Name"] == POLICY_NAME]

    def policy(self) -> dict:
        """The guardrail policy's document (there must be exactly one)."""
        (summary,) = self.guardrail_policies()
        return json.loads(self.client.describe_policy(PolicyId=summary["Id"])["Policy"]["Content"])

    def attached_to_ou(self) -> list[str]:
        """The names of the SCPs attached to the sandbox OU."""
        policies = self.client.list_policies_for_target(TargetId=self.sandbox_ou, Filter=SCP)["Policies"]
        return sorted(p["Name"] for p in policies)

    # --- What is in a member account, as IAM itself lists it ------------------------------------

    @staticmethod
    def iam(account_id: str):
        return member_client(account_id, "iam")

    def users(self, account_id: str) -> dict[str, dict]:
        """Every IAM user of the account with what hangs on it."""
        iam = self.iam(account_id)
        found = {}
        for page in iam.get_paginator("list_users").paginate():
            for user in page["Users"]:
                name = user["UserName"]
                found[name] = {
                    "tags": {t["Key"]: t["Value"] for t in iam.list_user_tags(UserName=name)["Tags"]},
                    "login_profile": _has_login_profile(iam, name),
                    "policies": sorted(
                        p["PolicyArn"] for p in iam.list_attached_user_policies(UserName=name)["AttachedPolicies"]
                    ),
                    "access_keys": len(iam.list_access_keys(UserName=name)["AccessKeyMetadata"]),
                }
        return found

    @staticmethod
    def console_password(account_id: str, user_name: str) -> str | None:
        """The password AWS holds for the user's console sign-in.

        IAM never returns a password, so this reads moto's own record of it: the only way to show
        that the password stored by the portal is the one that actually signs in.
        """
        from moto.iam.models import iam_backends

        return iam_backends[account_id]["global"].get_user(user_name).password


def _has_login_profile(iam, name: str) -> bool:
    try:
        iam.get_login_profile(UserName=name)
    except iam.exceptions.NoSuchEntityException:
        return False
    return True


# --- botocore hooks ----------------------------------------------------------------------------


class TokenBucket:
    """AWS's rate limit: `capacity` calls at once, refilled at `per_second`."""

    def __init__(self, capacity: float, per_second: float):
        self.capacity, self.per_second = capacity, per_second
        self.tokens, self.at = capacity, time.monotonic()
        self.lock = threading.Lock()

    def take(self) -> bool:
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.capacity, self.tokens + (now - self.at) * self.per_second)
            self.at = now
            if self.tokens >= 1:
                self.tokens -= 1
                return True
            return False


@dataclass
class Refusal:
    operation: str
    code: str
    message: str
    status: int = 403
    when: Callable[[dict], bool] = lambda params: True
    times: int | None = None  # refuse this many matching calls, then let them through; None: always


class _Raw:
    """The raw body botocore reads an answer from."""

    def __init__(self, body: bytes):
        self.body = body

    def stream(self, **kwargs):
        yield self.body


_ACCESS_KEY = re.compile(r"Credential=([^/,\s]+)/")
_SIGNED_REGION = re.compile(r"Credential=[^/]+/\d{8}/([a-z0-9-]+)/")


def _authorization(request) -> str:
    authorization = request.headers.get("Authorization", b"")
    return authorization.decode() if isinstance(authorization, bytes) else authorization


@dataclass
class BotocoreHooks:
    """Latency, per-account throttling and refusals for every AWS call, and counts of them.

    Use as a context manager around the code under test (after `fake_aws()` has started):

        with BotocoreHooks(latency=0.05, throttle=(5, 10)) as hooks:
            ...
        hooks.calls[(account_id, "CreateUser")], hooks.throttled[account_id]

    `throttle=(capacity, per_second)` gives each member account (and, with `throttle_hub`, the hub)
    its own bucket for the services in `throttled_services`.
    """

    latency: float = 0.0
    throttle: tuple[float, float] | None = None
    throttled_services: tuple[str, ...] = ("iam",)
    throttle_hub: bool = False
    refusals: list[Refusal] = field(default_factory=list)
    calls: Counter = field(default_factory=Counter)  # (account, operation) → calls that reached AWS
    throttled: Counter = field(default_factory=Counter)  # account → calls answered with Throttling
    refused: Counter = field(default_factory=Counter)  # (account, operation) → calls refused
    chains: dict = field(default_factory=dict)  # account → delivered calls in order (for the bench)
    keep_params: tuple[str, ...] = ()  # operations whose request parameters are kept in `params`
    params: dict = field(default_factory=dict)  # operation → [parameters of each delivered call]

    def __post_init__(self):
        self._lock = threading.Lock()
        self._accounts: dict[str, str] = {}  # access key id → account id
        self._buckets: dict[str, TokenBucket] = {}
        self._moto = None
        self._replaced = None
        self._specs = [("after-call.sts.AssumeRole", self._remember_account)]

    def __enter__(self) -> BotocoreHooks:
        # botocore calls every before-send handler and takes the first answer, so an answer of ours
        # would not stop moto from carrying the call out (a throttled CreateUser would still make
        # the user). So this takes moto's place and hands on to it only the calls it lets through.
        from moto.core.models import botocore_stubber

        ours = ("before-send", self._before_send)
        for position, spec in enumerate(handlers.BUILTIN_HANDLERS):
            if spec[:2] == ("before-send", botocore_stubber):
                self._moto, self._replaced = botocore_stubber, (position, spec)
                handlers.BUILTIN_HANDLERS[position] = ours
                break
        else:  # no moto (a real endpoint): answer first, or let botocore send it
            self._specs.append((*ours, handlers.REGISTER_FIRST))
        handlers.BUILTIN_HANDLERS.extend(self._specs)
        forget_clients()
        return self

    def __exit__(self, *exc) -> None:
        for spec in self._specs:
            handlers.BUILTIN_HANDLERS.remove(spec)
        if self._replaced:
            position, spec = self._replaced
            handlers.BUILTIN_HANDLERS[position] = spec
        forget_clients()

    def refuse(
        self, operation: str, code: str, message: str, *, status: int = 403, when=None, times: int | None = None
    ) -> Refusal:
        """Answer matching calls (`when(params)`) with this AWS error instead of letting them through."""
        refusal = Refusal(operation, code, message, status, when or (lambda params: True), times)
        self.refusals.append(refusal)
        return refusal

    def delete_user_like_aws(self) -> Refusal:
        """Refuse DeleteUser while anything still hangs on the user, as real IAM does (moto checks only policies)."""
        return self.refuse(
            "DeleteUser",
            "DeleteConflict",
            "Cannot delete entity, must remove everything attached to it (login profile, keys, policies…) first.",
            status=409,
            when=lambda params: _still_attached(params["UserName"]),
        )

    # --- handlers --------------------------------------------------------------------------------

    def _remember_account(self, parsed, **kwargs) -> None:
        # The assumed role's ARN names the account its new keys act in.
        if "Credentials" in parsed:
            account_id = parsed["AssumedRoleUser"]["Arn"].split(":")[4]
            with self._lock:
                self._accounts[parsed["Credentials"]["AccessKeyId"]] = account_id

    def _account_of(self, request) -> str:
        match = _ACCESS_KEY.search(_authorization(request))
        return self._accounts.get(match.group(1), "hub") if match else "hub"

    @staticmethod
    def _region_of(request) -> str:
        """The region a call is signed for (SigV4's credential scope); the URL may not say it."""
        match = _SIGNED_REGION.search(_authorization(request))
        return match.group(1) if match else "us-east-1"

    def _before_send(self, request, event_name: str, **kwargs):
        _, service, operation = event_name.split(".", 2)
        account = self._account_of(request)
        if self.latency:
            time.sleep(self.latency)  # a real round trip, answered or not
        for refusal in list(self.refusals):
            if refusal.operation == operation and refusal.when(_params(request)):
                with self._lock:
                    if refusal.times is not None:
                        if refusal.times <= 0:
                            continue
                        refusal.times -= 1
                    self.refused[(account, operation)] += 1
                return _error(request, refusal.status, refusal.code, refusal.message)
        if self.throttle and service in self.throttled_services and (account != "hub" or self.throttle_hub):
            with self._lock:
                bucket = self._buckets.setdefault(account, TokenBucket(*self.throttle))
            if not bucket.take():
                with self._lock:
                    self.throttled[account] += 1
                return _error(request, 400, "Throttling", "Rate exceeded")
        with self._lock:
            self.calls[(account, operation)] += 1
            self.chains.setdefault(account, []).append(operation)
            if operation in self.keep_params:
                self.params.setdefault(operation, []).append(_params(request))
        return self._moto(event_name=event_name, request=request, **kwargs) if self._moto else None


def _still_attached(user_name: str) -> bool:
    from moto.iam.models import iam_backends

    for account in list(iam_backends.values()):
        backend = account["global"]
        user = backend.users.get(user_name)
        if user is not None:
            return bool(
                user.password
                or user.access_keys
                or user.policies
                or user.managed_policies
                or user.mfa_devices
                or user.ssh_public_keys
                or user.signing_certificates
                or backend.get_groups_for_user(user_name)
            )
    return False


def _params(request) -> dict:
    body = request.body or b""
    if isinstance(body, bytes):
        body = body.decode()
    if body.startswith("{"):
        return json.loads(body)
    return {key: values[-1] for key, values in parse_qs(body).items()}


def _error(request, status: int, code: str, message: str) -> AWSResponse:
    """An AWS error answer in the protocol the request used (query XML or JSON)."""
    content_type = request.headers.get("Content-Type", b"")
    if isinstance(content_type, bytes):
        content_type = content_type.decode()
    if "json" in content_type:
        body = json.dumps({"__type": code, "message": message}).encode()
        headers = {"Content-Type": "application/x-amz-json-1.1", "x-amzn-ErrorType": code}
    else:
        body = (
            "<ErrorResponse><Error><Type>Sender</Type>"
            f"<Code>{code}</Code><Message>{message}</Message></Error>"
            "<RequestId>cpp-test</RequestId></ErrorResponse>"
        ).encode()
        headers = {"Content-Type": "text/xml"}
    return AWSResponse(request.url, status, headers, _Raw(body))


# --- Workshops whose accounts live in the fake AWS ---------------------------------------------


def workshop_with_attendees(accounts, *, attendees: int, team: int = 1, **fields):
    """A workshop open for registration, with `accounts` reserved and `attendees` people confirmed."""
    from tests.factories import CustomerFactory, open_workshop
    from workshops.models import SandboxAccount, SandboxAccountState
    from workshops.registrations import registration_create

    fields.setdefault("attendee_policy_arns", [POWER_USER, CHANGE_PASSWORD])
    workshop = open_workshop(capacity=max(attendees, 1), attendees_per_account=team, **fields)
    SandboxAccount.objects.filter(pk__in=[a.pk for a in accounts]).update(
        state=SandboxAccountState.ASSIGNED, workshop=workshop
    )
    for _ in range(attendees):
        registration_create(workshop_id=workshop.pk, attendee=CustomerFactory())
    return workshop


@contextmanager
def side_effects_run():
    """Run what stage moves queue after commit (their tasks run eagerly in tests), as a commit would."""
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        yield


def start(workshop) -> None:
    """Close registration and start the workshop through the services, side effects included."""
    from workshops import services

    with side_effects_run():
        services.workshop_close_registration(workshop_id=workshop.pk, actor=None)
    with side_effects_run():
        services.workshop_start(workshop_id=workshop.pk, actor=None)
    workshop.refresh_from_db()


def close(workshop) -> None:
    """Close a running workshop through the service, side effects included."""
    from workshops import services

    with side_effects_run():
        services.workshop_close(workshop_id=workshop.pk, actor=None)
    workshop.refresh_from_db()


def self_signed_certificate(common_name: str = "attendee") -> str:
    """A PEM certificate IAM accepts as a user's signing certificate (moto checks it parses)."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM).decode()
