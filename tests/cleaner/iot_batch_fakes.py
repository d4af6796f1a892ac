"""What the IoT, Batch, Lightsail and end-user computing tests share: the member account, AWS's
refusals, and `FakeService`, a service moto lacks as tables of dicts that stand-in answers change
and read, refusing what AWS refuses, so a sweep really sees things go, and in which order."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from botocore.exceptions import ClientError

from tests.cleaner.test_services_app import member_account


@pytest.fixture(name="account")
def account_fixture():
    with member_account() as context:
        yield context


def refuse(operation: str, message: str, code: str = "InvalidInputException"):
    raise ClientError({"Error": {"Code": code, "Message": message}}, operation)


@dataclass
class FakeService:
    """A service moto lacks, as tables of rows keyed by name: creates add, deletes remove, lists read."""

    tables: dict[str, dict[str, dict]] = field(default_factory=lambda: defaultdict(dict))

    def add(self, table: str, key: str, **row) -> dict:
        self.tables[table][key] = row
        return row

    def rows(self, table: str) -> list[dict]:
        return list(self.tables[table].values())

    def lists(self, table: str, answer: str, where: Callable[[dict, dict], bool] = lambda row, params: True):
        return lambda params: {answer: [dict(row) for row in self.rows(table) if where(row, params)]}

    def deletes(self, table: str, param: str, operation: str, check: Callable[[dict, dict], None] | None = None):
        def answer(params):
            row = self.tables[table].get(params[param])
            if row is None:
                refuse(operation, f"{params[param]} does not exist", "NotFoundException")
            if check:
                check(row, params)
            del self.tables[table][params[param]]
            return {}

        return answer

    def updates(self, table: str, param: str, **changes):
        def answer(params):
            self.tables[table][params[param]].update(changes)
            return {}

        return answer
