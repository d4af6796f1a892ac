"""The statistics count what the workshops cost, as read from Cost Explorer: per workshop, per topic,
per month and in total, each also per attendee, on the page and in the CSV downloads."""

import csv
import io

import pytest
from django.urls import reverse

from tests.factories import SolutionsArchitectFactory
from tests.spend_seed import READ_AT, spent_workshop
from workshops.sandbox import spend

pytestmark = pytest.mark.django_db


@pytest.fixture
def read(org, client):
    workshop, _accounts = spent_workshop(org)  # 9.00 for three attendees
    spend.spend_read(now=READ_AT)
    client.force_login(SolutionsArchitectFactory())
    return workshop


def rows_of(client, table: str) -> list[dict]:
    response = client.get(reverse("stats:download", args=[table]))
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_the_cost_is_in_the_per_workshop_topic_and_month_tables(client, read):
    (pool,) = rows_of(client, "pool")
    assert (pool["workshop"], pool["cost_usd"], pool["cost_per_attendee_usd"]) == (read.title, "9.00", "3.00")
    (topic,) = rows_of(client, "topics")
    assert (topic["topic"], topic["cost_usd"], topic["cost_per_attendee_usd"]) == ("Serverless", "9.00", "3.00")
    (month,) = rows_of(client, "months")
    assert (month["month"], month["cost_usd"], month["cost_per_attendee_usd"]) == ("2026-03", "9.00", "3.00")


def test_the_page_shows_the_total_cost_and_a_chart_per_topic(client, read):
    page = client.get(reverse("stats:dashboard")).content.decode()
    assert "Sandbox accounts cost 9.00 USD (3.00 USD per attendee)." in page
    assert "Cost per topic (USD)" in page
    assert "<title>Serverless: 9.00</title>" in page
