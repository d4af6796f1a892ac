"""Celery tasks of the privacy app: thin, and safe to run twice (a second run finds nobody due)."""

from celery import shared_task

from privacy import services
from privacy.models import AnonymisationRun


@shared_task(acks_late=True)
def anonymise_due_customers() -> None:
    services.customers_anonymise(trigger=AnonymisationRun.Trigger.SCHEDULE)
