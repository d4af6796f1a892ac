"""A workshop whose sandbox accounts cost something, as Cost Explorer tells it in moto (queued answers).

moto answers get_cost_and_usage with what was POSTed to its moto-api queue, in order, one answer per
new request body; a page's NextPageToken makes the next request's body new, so pages queue in order.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import requests

from tests.factories import registration_in, workshop_in
from workshops.models import Credential, Stage

QUEUE = "http://motoapi.amazonaws.com/moto-api/static/ce/cost-and-usage-results"
STARTS = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
# The morning after: the read that sees the workshop's day.
READ_AT = datetime(2026, 3, 11, 6, 0, tzinfo=UTC)
EC2 = "Amazon Elastic Compute Cloud - Compute"
LAMBDA = "AWS Lambda"
S3 = "Amazon Simple Storage Service"


def queue_pages(*pages: list[dict], account_id: str = "123456789012") -> None:
    """Queue one answer per page; each but the last points at the next with a NextPageToken."""
    answers = []
    for index, periods in enumerate(pages):
        answer = {"ResultsByTime": periods, "DimensionValueAttributes": []}
        if index < len(pages) - 1:
            answer["NextPageToken"] = f"page-{index + 2}"
        answers.append(answer)
    response = requests.post(QUEUE, json={"account_id": account_id, "results": answers}, timeout=5)
    assert response.status_code == 201, response.text


def period(day: str, *groups: tuple[str, str, str]) -> dict:
    """One day of the answer: (linked account, service, amount) groups."""
    end = (date.fromisoformat(day) + timedelta(days=1)).isoformat()
    return {
        "TimePeriod": {"Start": day, "End": end},
        "Total": {},
        "Groups": [
            {"Keys": [account, service], "Metrics": {"UnblendedCost": {"Amount": amount, "Unit": "USD"}}}
            for account, service, amount in groups
        ],
        "Estimated": False,
    }


def attendee_in(workshop, account, name: str):
    """A confirmed registration with a credential in `account`."""
    registration = registration_in(workshop)
    Credential.objects.create(registration=registration, sandbox_account=account, iam_user_name=name)
    return registration


def closed_workshop(*, stage: str = Stage.CLOSED, starts_at: datetime = STARTS, **kwargs):
    """A one-day workshop (10 March 2026 by default), put straight into `stage`."""
    return workshop_in(
        stage,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=7),
        registration_deadline=starts_at - timedelta(days=2),
        provisioning_lead_minutes=60,
        **kwargs,
    )


def spent_workshop(org, **kwargs):
    """A closed workshop with three attendees in two pool accounts, and its day's bill queued:
    account 1 (two attendees) 6.00 on EC2 and 1.00 on S3, account 2 (one attendee) 2.00 on Lambda;
    total 9.00, 3.00 per attendee. Returns (workshop, [account 1, account 2])."""
    workshop = closed_workshop(**kwargs)
    accounts = org.add_accounts(2)
    first, second = accounts
    attendee_in(workshop, first, "cpp-a1")
    attendee_in(workshop, first, "cpp-a2")
    attendee_in(workshop, second, "cpp-a3")
    day = workshop.starts_at.date().isoformat()
    queue_pages(
        [period(day, (first.aws_account_id, EC2, "6.0"), (second.aws_account_id, LAMBDA, "2"))],
        [period(day, (first.aws_account_id, S3, "1"))],
    )
    return workshop, accounts
