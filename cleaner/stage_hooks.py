"""The cleaner's part in a stage move: a closed workshop's accounts are swept.

Registered from CleanerConfig.ready(): the workshops app never imports the cleaner, the cleaner
subscribes to its stages.
"""

from __future__ import annotations

from functools import partial

from django.db import transaction

from workshops.models import Stage, StageChange
from workshops.side_effects import Order, on_entering


# After revocation (Order.CREDENTIALS): accounts go to cleaning as their credentials are revoked,
# and the task starts a real cleanup of those, coming back for any still being revoked.
@on_entering(Stage.CLOSED, order=Order.CLEANUP)
def clean_sandbox_accounts(change: StageChange) -> None:
    from cleaner import tasks

    transaction.on_commit(partial(tasks.clean_closed_workshop.delay, change.workshop_id))
