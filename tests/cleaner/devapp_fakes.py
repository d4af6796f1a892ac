"""What the DevOps and serverless tests share: the member account, `Fake` (one kind of thing moto
lacks: a dict that creates fill, listings read and deletes empty, so a sweep really sees things go)
and the role the workshops' services run as. Used by test_services_devapp_devtools.py and
test_services_devapp_serverless.py."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from tests.cleaner.test_services_app import RecordingContext, member_account


class Fake:
    """One kind of thing moto lacks, stood in for on a context: list reads it, delete empties it."""

    def __init__(
        self,
        context: RecordingContext,
        service: str,
        listing: tuple[str, str],
        deleting: tuple[str, str],
        key: str,
        *,
        on_delete: Callable[[dict, dict], None] | None = None,
    ):
        (list_operation, self.items_key), (delete_operation, self.param) = listing, deleting
        self.key, self.on_delete, self.things = key, on_delete, {}
        self.deleted: list[str] = []
        context.stand_ins[f"{service}:{list_operation}"] = self._list
        context.stand_ins[f"{service}:{delete_operation}"] = self._delete

    def add(self, **fields) -> dict:
        self.things[fields[self.key]] = fields
        return fields

    def _list(self, params: dict) -> dict:
        return {self.items_key: list(self.things.values())}

    def _delete(self, params: dict) -> dict:
        thing = self.things.pop(params[self.param])
        self.deleted.append(params[self.param])
        if self.on_delete:
            self.on_delete(thing, params)
        return {}


def role_arn(context: RecordingContext, name: str = "workshop-role") -> str:
    iam = context.client("iam")
    services = ["codepipeline.amazonaws.com", "codebuild.amazonaws.com", "pipes.amazonaws.com", "lambda.amazonaws.com"]
    trust = {
        "Version": "2012-10-17",
        # One statement a service: moto's CodePipeline looks for its own principal alone in one.
        "Statement": [{"Effect": "Allow", "Principal": {"Service": s}, "Action": "sts:AssumeRole"} for s in services],
    }
    try:
        return iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    except iam.exceptions.EntityAlreadyExistsException:
        return iam.get_role(RoleName=name)["Role"]["Arn"]


@pytest.fixture(name="account")
def account_fixture():
    with member_account() as context:
        yield context
