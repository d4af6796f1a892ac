"""Celery tasks of the workshops app: thin, by id, safe to run twice."""

from celery import shared_task
from django.db import DatabaseError

from workshops import services, side_effects


@shared_task(acks_late=True, autoretry_for=(DatabaseError,), retry_backoff=True, max_retries=8)
def run_stage_side_effects(stage_change_id: int) -> None:
    side_effects.stage_change_side_effects_run(stage_change_id=stage_change_id)


@shared_task(acks_late=True)
def advance_due_workshops() -> None:
    services.workshops_advance_due()
