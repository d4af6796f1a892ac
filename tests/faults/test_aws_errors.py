"""AWS timing out, refusing or throttling: reported per attendee or per resource, retried where it helps.

tests/workshops/test_provisioning.py and test_revocation.py already cover AccessDenied for one
attendee, an account whose role cannot be assumed, and throttling absorbed by adaptive retries;
tests/cleaner covers refusals and throttling of the sweep. What those leave out is the network:
botocore's ReadTimeoutError and ConnectTimeoutError, which are not AWS answers (no ClientError) and
which come either before AWS did anything or after it did the work and only the answer was lost.
The clients here give up after two attempts, so "keeps timing out" takes a second, not minutes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from botocore.config import Config
from botocore.exceptions import ConnectTimeoutError, ReadTimeoutError

from cleaner import engine, runs, safety
from cleaner.models import CleanupItem, CleanupRun, CleanupTarget
from cpp_portal import aws
from tests.aws_fakes import BotocoreHooks, _params, start, workshop_with_attendees
from workshops.models import Credential, CredentialStatus, SandboxAccount, SandboxAccountState, Stage, Workshop
from workshops.sandbox import key_ring, provisioning

REGION = "eu-west-1"


@dataclass
class Timeout:
    operation: str
    error: type[Exception]
    when: Callable[[dict], bool]
    times: int | None  # None: every matching call
    after_aws: bool  # AWS carried the call out; only its answer was lost


@dataclass
class NetworkHooks(BotocoreHooks):
    """BotocoreHooks plus calls that time out, before reaching AWS or after AWS carried them out."""

    timeouts: list[Timeout] = field(default_factory=list)
    timed_out: Counter = field(default_factory=Counter)  # operation → calls that timed out

    def time_out(self, operation: str, error=ReadTimeoutError, *, when=None, times=None, after_aws=False) -> Timeout:
        timeout = Timeout(operation, error, when or (lambda params: True), times, after_aws)
        self.timeouts.append(timeout)
        return timeout

    def _before_send(self, request, event_name: str, **kwargs):
        operation = event_name.split(".", 2)[2]
        for timeout in self.timeouts:
            if timeout.operation != operation or not timeout.when(_params(request)):
                continue
            if timeout.times is not None:
                if timeout.times <= 0:
                    continue
                timeout.times -= 1
            self.timed_out[operation] += 1
            if timeout.after_aws:
                super()._before_send(request, event_name, **kwargs)
            raise timeout.error(endpoint_url=request.url)
        return super()._before_send(request, event_name, **kwargs)


@pytest.fixture(autouse=True)
def calls_give_up_after_two_attempts(monkeypatch):
    # Two attempts, short backoff: a call that keeps timing out fails within a second or two.
    # Autouse, so that it comes before `org` builds its first client.
    monkeypatch.setattr(aws, "RETRY_CONFIG", Config(retries={"mode": "adaptive", "max_attempts": 2}))


def credentials_of(workshop: Workshop) -> list[Credential]:
    return list(Credential.objects.filter(registration__workshop=workshop).select_related("sandbox_account"))


def stored_password_signs_in(organization, credential: Credential) -> bool:
    held = organization.console_password(credential.sandbox_account.aws_account_id, credential.iam_user_name)
    return key_ring.decrypt(credential.password_encrypted) == held


# --- Provisioning ------------------------------------------------------------------------------


def test_timeouts_that_pass_are_retried_and_a_user_aws_made_before_the_answer_was_lost_is_finished(org, db):
    workshop = workshop_with_attendees(org.add_accounts(4), attendees=4, attendee_policy_arns=[])
    with NetworkHooks() as hooks:
        # The first CreateUser of one attendee is carried out by IAM, but its answer never arrives;
        # another attendee's first CreateLoginProfile cannot even connect.
        hooks.time_out("CreateUser", ReadTimeoutError, times=1, after_aws=True)
        hooks.time_out("CreateLoginProfile", ConnectTimeoutError, times=1)
        start(workshop)

    assert hooks.timed_out == {"CreateUser": 1, "CreateLoginProfile": 1}
    credentials = credentials_of(workshop)
    assert [c.status for c in credentials] == [CredentialStatus.READY] * 4
    assert all(stored_password_signs_in(org, c) for c in credentials)
    for account in SandboxAccount.objects.filter(workshop=workshop):
        assert set(org.users(account.aws_account_id)) == {
            c.iam_user_name for c in credentials if c.sandbox_account_id == account.pk
        }


def test_an_attendee_whose_calls_keep_timing_out_fails_alone_with_the_reason_and_a_retry_fixes_it(org, db):
    workshop = workshop_with_attendees(org.add_accounts(4), attendees=4, attendee_policy_arns=[])
    victim_name = {}
    with NetworkHooks() as hooks:

        def victim(params) -> bool:
            victim_name.setdefault("name", params["UserName"])  # the first attendee whose user is made
            return params["UserName"] == victim_name["name"]

        hooks.time_out("CreateUser", ReadTimeoutError, when=victim)
        start(workshop)  # the run itself never raises

    credentials = {c.iam_user_name: c for c in credentials_of(workshop)}
    stuck = credentials.pop(victim_name["name"])
    assert stuck.status == CredentialStatus.FAILED
    assert stuck.last_error.startswith("ReadTimeoutError: Read timeout on endpoint URL")
    assert stuck.password_encrypted == ""
    assert {c.status for c in credentials.values()} == {CredentialStatus.READY}
    assert hooks.timed_out["CreateUser"] >= 2  # botocore tried it again before giving up

    with NetworkHooks():  # the network is back: the SA's retry (or the task's) makes it
        provisioning.credential_retry(credential_id=stuck.pk)
    stuck.refresh_from_db()
    assert stuck.status == CredentialStatus.READY
    assert stored_password_signs_in(org, stuck)


def test_revocation_that_keeps_timing_out_is_reported_for_that_attendee_and_the_rest_are_revoked(org, db):
    workshop = workshop_with_attendees(org.add_accounts(4), attendees=4, attendee_policy_arns=[])
    start(workshop)
    Workshop.objects.filter(pk=workshop.pk).update(stage=Stage.CLOSED)  # the close's own side effects aside
    stuck, *others = credentials_of(workshop)

    with NetworkHooks() as hooks:
        hooks.time_out("DeleteUser", ConnectTimeoutError, when=lambda p: p["UserName"] == stuck.iam_user_name)
        report = provisioning.workshop_revoke(workshop_id=workshop.pk)

    assert (report.done, report.failed) == (3, 1)
    stuck.refresh_from_db()
    assert stuck.status == CredentialStatus.REVOKE_FAILED
    assert stuck.last_error.startswith("ConnectTimeoutError: Connect timeout on endpoint URL")
    assert stuck.password_encrypted == ""  # the secret goes whatever AWS said
    assert {c.status for c in Credential.objects.filter(pk__in=[c.pk for c in others])} == {CredentialStatus.REVOKED}

    with NetworkHooks():
        provisioning.credential_retry(credential_id=stuck.pk)
    stuck.refresh_from_db()
    assert stuck.status == CredentialStatus.REVOKED
    assert org.users(stuck.sandbox_account.aws_account_id) == {}


# --- The cleaner ---------------------------------------------------------------------------------


@pytest.fixture
def queues_only(monkeypatch):
    every_type = engine.resource_types
    monkeypatch.setattr(
        engine, "resource_types", lambda services=(): [t for t in every_type(services) if t.type == "sqs.queue"]
    )
    monkeypatch.setattr(safety, "enabled_regions", lambda account_id: [REGION])


def sweep(account: SandboxAccount, *, budget_seconds: int) -> CleanupRun:
    run = runs.cleanup_run_create(
        account_ids=[account.aws_account_id],
        trigger=CleanupRun.Trigger.COMMAND,
        dry_run=False,
        budget_seconds=budget_seconds,
        queue_it=False,
    )
    for target_id in runs.cleanup_run_fan_out(run_id=run.pk):
        runs.cleanup_target_sweep(target_id=target_id)
    runs.cleanup_run_finish_if_done(run_id=run.pk)
    run.refresh_from_db()
    return run


def test_the_cleaner_reports_timeouts_and_refusals_per_resource_and_cleans_everything_else(org, db, queues_only):
    [account] = org.add_accounts(1)
    SandboxAccount.objects.filter(pk=account.pk).update(state=SandboxAccountState.CLEANING)
    sqs = aws.member_client(account.aws_account_id, "sqs", REGION)
    urls = [sqs.create_queue(QueueName=f"leftover-{n}")["QueueUrl"] for n in range(6)]
    timing_out, refused, slow_once, throttled_once = urls[:4]

    with NetworkHooks() as hooks:
        hooks.time_out("DeleteQueue", ReadTimeoutError, when=lambda p: p["QueueUrl"] == timing_out)
        hooks.refuse("DeleteQueue", "AccessDenied", "Denied by an SCP", when=lambda p: p["QueueUrl"] == refused)
        hooks.time_out("DeleteQueue", ConnectTimeoutError, when=lambda p: p["QueueUrl"] == slow_once, times=1)
        hooks.refuse(
            "DeleteQueue",
            "ThrottlingException",
            "Rate exceeded",
            status=400,
            when=lambda p: p["QueueUrl"] == throttled_once,
            times=1,
        )
        run = sweep(account, budget_seconds=3)

    # Closed, not crashed: "failed" because an account is not clean, with the reason per resource.
    assert run.status == CleanupRun.Status.FAILED and run.finished_at is not None
    target = run.targets.get(region=REGION)
    assert target.status == CleanupTarget.Status.DIRTY
    left = set(sqs.list_queues().get("QueueUrls", []))
    assert left == {timing_out, refused}
    failures = {}
    for item in target.items.filter(action=CleanupItem.Action.FAILED).order_by("at"):
        failures[item.resource_id] = item.error  # the latest error of each
    assert failures[timing_out].startswith("ReadTimeoutError: Read timeout on endpoint URL")
    assert failures[refused] == "AccessDenied: Denied by an SCP"
    deleted = set(target.items.filter(action=CleanupItem.Action.DELETED).values_list("resource_id", flat=True))
    assert deleted == set(urls) - {timing_out, refused}  # the one-off timeout and throttle were retried
    account.refresh_from_db()
    assert account.state == SandboxAccountState.CLEANING  # not handed back while something is left


def test_a_listing_that_keeps_timing_out_is_reported_and_the_run_still_closes(org, db, queues_only):
    [account] = org.add_accounts(1)
    SandboxAccount.objects.filter(pk=account.pk).update(state=SandboxAccountState.CLEANING)
    aws.member_client(account.aws_account_id, "sqs", REGION).create_queue(QueueName="leftover")

    with NetworkHooks() as hooks:
        hooks.time_out("ListQueues", ConnectTimeoutError)
        run = sweep(account, budget_seconds=2)

    assert run.status == CleanupRun.Status.FAILED and run.finished_at is not None
    target = run.targets.get(region=REGION)
    assert target.status != CleanupTarget.Status.CLEAN
    assert "ConnectTimeoutError" in target.last_error
