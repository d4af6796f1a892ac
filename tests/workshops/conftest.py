"""Fixtures for the workshops tests."""

import pytest

from workshops import side_effects
from workshops.models import Stage


@pytest.fixture(autouse=True)
def no_cleanup_sweep_on_close():
    # Closing a workshop starts a real sweep of every region of its accounts (tests/cleaner covers
    # it); with eager tasks that sweep would run inside these tests against moto.
    kept = [h for h in side_effects.handlers_for(Stage.CLOSED) if h.__name__ != "clean_sandbox_accounts"]
    with side_effects.stage_hooks_replaced(Stage.CLOSED, kept):
        yield
