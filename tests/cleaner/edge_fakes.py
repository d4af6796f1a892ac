"""What the edge and security service tests share: the member account they sweep and the same
account seen from another region (test_services_edge_dns.py, _cdn.py, _security.py)."""

from __future__ import annotations

import pytest

from tests.cleaner.test_services_app import RecordingContext, member_account


@pytest.fixture(name="account")
def account_fixture():
    with member_account() as context:
        yield context


def at(context: RecordingContext, region: str, **stand_ins) -> RecordingContext:
    """The same account in another region (sharing the record of calls)."""
    return RecordingContext(
        account_id=context.account_id, region=region, calls=context.calls, stand_ins=stand_ins or context.stand_ins
    )
