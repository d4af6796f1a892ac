"""Batch deletes: a type with delete_many (SSM parameters, ten per DeleteParameters call) through the real engine.

Each parameter still gets its own row: deleted, or failed with AWS's answer about that one parameter.
What moto cannot be made to refuse is refused by a botocore hook on the member account's client.
"""

from __future__ import annotations

import json

from botocore.awsrequest import AWSResponse
from moto.ssm.models import ssm_backends

from cleaner.context import SweepContext
from cleaner.engine import sweep
from cleaner.models import CleanupItem
from cleaner.services.ssm import Parameter
from cpp_portal.aws import member_client
from tests.cleaner.test_engine import PROTECTION, Clock, ListRecorder

Action = CleanupItem.Action
REGION = "eu-west-1"


def parameters(account_id: str, count: int, prefix: str = "/lab/config") -> list[str]:
    ssm = member_client(account_id, "ssm", REGION)
    names = [f"{prefix}/{n:02d}" for n in range(count)]
    for name in names:
        ssm.put_parameter(Name=name, Value="x", Type="String")
    return names


class SsmCalls:
    """The SSM calls of one member account, in order; `answer` may stand in for AWS's reply to one."""

    def __init__(self, account_id: str, answer=None):
        self.calls: list[tuple[str, dict]] = []
        self.answer = answer
        member_client(account_id, "ssm", REGION).meta.events.register("before-call", self._before_call)

    def _before_call(self, model, params, **kwargs):
        body = json.loads(params.get("body") or b"{}")
        self.calls.append((model.name, body))
        return self.answer(model.name, body) if self.answer else None

    def named(self, operation: str) -> list[dict]:
        return [body for name, body in self.calls if name == operation]


def aws_error(code: str, message: str):
    return AWSResponse(None, 400, {}, None), {"Error": {"Code": code, "Message": message}}


def run(account_id: str, **options):
    recorder = ListRecorder()
    outcome = sweep(
        SweepContext(account_id, REGION),
        [Parameter],
        dry_run=False,
        recorder=recorder,
        protection=PROTECTION,
        **options,
    )
    return outcome, recorder


def test_parameters_go_ten_to_a_call_and_each_gets_its_own_row(org):
    (account_id,) = org.add_accounts(1, pool=False)
    names = parameters(account_id, 23)
    calls = SsmCalls(account_id)

    outcome, recorder = run(account_id)

    assert outcome.converged and (outcome.deleted, outcome.failed, outcome.left) == (23, 0, 0)
    assert sorted(len(body["Names"]) for body in calls.named("DeleteParameters")) == [3, 10, 10]
    assert calls.named("DeleteParameter") == [], "no one-by-one deletes when every batch went through"
    assert sorted(recorder.actions(Action.DELETED)) == names
    assert member_client(account_id, "ssm", REGION).describe_parameters()["Parameters"] == []


def test_what_a_batch_did_not_delete_is_asked_alone_so_each_gets_its_own_answer(org):
    (account_id,) = org.add_accounts(1, pool=False)
    names = parameters(account_id, 12)
    gone, locked = names[3], names[7]
    backend = ssm_backends[account_id][REGION]
    clock = Clock()

    def aws(operation: str, body: dict):
        if operation == "DeleteParameters":
            if gone in body["Names"]:
                backend.delete_parameter(gone)  # someone else deleted it after the listing
            deleted = backend.delete_parameters([name for name in body["Names"] if name != locked])
            invalid = [name for name in body["Names"] if name not in deleted]
            return AWSResponse(None, 200, {}, None), {"DeletedParameters": deleted, "InvalidParameters": invalid}
        if operation == "DeleteParameter" and body["Name"] == locked:
            return aws_error("AccessDeniedException", f"not authorized to delete {locked}")
        return None

    calls = SsmCalls(account_id, aws)

    class BudgetRecorder(ListRecorder):
        def scanned(self, scans, clean_scans_in_a_row):
            super().scanned(scans, clean_scans_in_a_row)
            if scans == 3:
                clock.now += 100  # the locked one will not go: spend the budget after two tries

    recorder = BudgetRecorder()
    outcome = sweep(
        SweepContext(account_id, REGION),
        [Parameter],
        dry_run=False,
        recorder=recorder,
        protection=PROTECTION,
        budget_seconds=60,
        clock=clock,
    )

    assert outcome.budget_spent
    assert sorted(recorder.actions(Action.DELETED)) == sorted(set(names) - {locked}), "the one gone meanwhile too"
    failed = [(item_id, error) for _type, item_id, action, error in recorder.rows if action == Action.FAILED]
    # Refused twice for the same reason: one row.
    assert failed == [(locked, f"AccessDeniedException: not authorized to delete {locked}")]
    assert [(r.item.id, r.failed) for r in outcome.remaining] == [(locked, True)]
    assert sorted(body["Name"] for body in calls.named("DeleteParameter")) == sorted([gone, locked, locked])


def test_a_batch_refused_as_a_whole_falls_back_to_one_delete_per_parameter(org):
    (account_id,) = org.add_accounts(1, pool=False)
    names = parameters(account_id, 5)

    def aws(operation: str, body: dict):
        if operation == "DeleteParameters":
            return aws_error("AccessDeniedException", "ssm:DeleteParameters is not allowed")
        return None

    calls = SsmCalls(account_id, aws)

    outcome, recorder = run(account_id)

    assert outcome.converged and outcome.deleted == 5 and outcome.failed == 0
    assert len(calls.named("DeleteParameters")) == 1
    assert sorted(body["Name"] for body in calls.named("DeleteParameter")) == names
    assert sorted(recorder.actions(Action.DELETED)) == names
    assert not [row for row in recorder.rows if row[2] == Action.FAILED]
