"""The Celery app: queues, serialisation, delivery guarantees and the beat schedule."""

import os

from celery import Celery
from celery.schedules import crontab
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cpp_portal.settings")

app = Celery("cpp_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")

DEFAULT_QUEUE = "default"
# Sweeps are long and numerous; their own queue keeps them from holding up emails and stage moves.
CLEANER_QUEUE = "cleaner"

app.conf.update(
    task_queues=(Queue(DEFAULT_QUEUE), Queue(CLEANER_QUEUE)),
    task_default_queue=DEFAULT_QUEUE,
    task_routes={"cleaner.tasks.*": {"queue": CLEANER_QUEUE}},
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    # A task is acknowledged only when it has finished, and handed out again if its worker
    # died, so nothing is lost; every task is idempotent so a second run is harmless.
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    broker_connection_retry_on_startup=True,
    timezone="UTC",
    enable_utc=True,
    beat_schedule={
        "advance-due-workshops": {
            "task": "workshops.tasks.advance_due_workshops",
            "schedule": 60.0,
            "options": {"expires": 55},
        },
        "dispatch-due-emails": {
            "task": "notifications.tasks.dispatch_due_emails",
            "schedule": 60.0,
            "options": {"expires": 55},
        },
        # Re-queues sweeps whose worker was lost and retries accounts still cleaning after a failed run,
        # which is what brings a hopeless account to quarantine after three failures.
        "tend-cleanups": {
            "task": "cleaner.tasks.tend_cleanups",
            "schedule": 300.0,
            "options": {"expires": 290},
        },
        # GDPR: customers of workshops past retention are anonymised at night, when nobody waits on it.
        "anonymise-due-customers": {
            "task": "privacy.tasks.anonymise_due_customers",
            "schedule": crontab(hour=3, minute=30),
            "options": {"expires": 3 * 3600},
        },
        # Stage side effects, provisioning and revocation whose worker was killed outright: their
        # tasks would only come back after the broker's visibility timeout, days later.
        "tend-lost-work": {
            "task": "workshops.tasks.tend_lost_work",
            "schedule": 300.0,
            "options": {"expires": 290},
        },
        # Budgets refreshes its data up to three times a day, 8-12 hours behind the bill: every 15 minutes
        # freezes an account soon after a refresh shows it over its budget.
        "check-budgets": {
            "task": "workshops.tasks.check_budgets",
            "schedule": 900.0,
            "options": {"expires": 840},
        },
        # The pool follows the Organization's sandbox OU; accounts rarely move, so hourly is plenty.
        "sync-sandbox-pool": {
            "task": "workshops.tasks.sync_sandbox_pool",
            "schedule": 3600.0,
            "options": {"expires": 3000},
        },
        # The bill of the sandbox accounts: Cost Explorer charges per request and refreshes a few
        # times a day, so one grouped read a day, early, before the SAs look.
        "read-sandbox-spend": {
            "task": "workshops.tasks.read_sandbox_spend",
            "schedule": crontab(hour=5, minute=15),
            "options": {"expires": 6 * 3600},
        },
        # After the bill is read: a service still billing the day after a clean sweep is a leftover.
        # Cleanups after a workshop sweep only the regions its guardrails allowed; this sweeps every
        # enabled region of a few idle accounts a night, so each gets a full sweep about weekly.
        "full-sweeps": {
            "task": "cleaner.tasks.start_full_sweeps",
            "schedule": crontab(hour=1, minute=45),
            "options": {"expires": 3 * 3600},
        },
        "cost-leftovers": {
            "task": "cleaner.tasks.check_cost_leftovers",
            "schedule": crontab(hour=6, minute=15),
            "options": {"expires": 6 * 3600},
        },
    },
)
app.autodiscover_tasks()
# The sandbox side of the workshops app keeps its tasks in its own package.
app.autodiscover_tasks(["workshops.sandbox"])
