"""A send-rate limit shared by every worker, kept in the database.

Each caller reserves the next free moment on one row (a short row-locked transaction), then
sleeps until it. That is the generic cell-rate algorithm: no burst beyond one email, no drift,
and it holds across any number of processes because the row lock serialises the reservations.
"""

from __future__ import annotations

import time

from django.db import transaction

from notifications.models import RateLimitSlot


def reserve_slot(name: str, per_second: float, *, now: float | None = None) -> float:
    """Reserve the next send moment under `name`; returns how many seconds to wait for it."""
    if per_second <= 0:
        return 0.0
    interval = 1.0 / per_second
    with transaction.atomic():
        slot, _ = RateLimitSlot.objects.select_for_update().get_or_create(name=name)
        now = time.time() if now is None else now
        moment = max(slot.next_free_at, now)
        slot.next_free_at = moment + interval
        slot.save(update_fields=["next_free_at"])
    return max(0.0, moment - now)


def wait_for_slot(name: str, per_second: float) -> None:
    wait = reserve_slot(name, per_second)
    if wait:
        time.sleep(wait)
