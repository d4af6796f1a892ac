"""The SA's workshop page shows what the workshop cost, as last read from Cost Explorer: per account,
per service, in total and per attendee, with a chart, when it was read and that the bill lags."""

import pytest
from django.urls import reverse

from tests.factories import WorkshopFactory
from tests.spend_seed import EC2, LAMBDA, READ_AT, S3, spent_workshop
from workshops.models import SpendRead
from workshops.sandbox import spend

pytestmark = pytest.mark.django_db


def cost_section(client, workshop) -> str:
    page = client.get(reverse("staff:workshop", args=[workshop.pk])).content.decode()
    start = page.index('<section id="spend"')
    return page[start : page.index("</section>", start)]


def test_the_workshop_page_shows_the_cost_per_account_service_and_attendee(org, sa_client, sa):
    workshop, (first, second) = spent_workshop(org, owners=[sa])
    spend.spend_read(now=READ_AT)

    section = cost_section(sa_client, workshop)

    assert '<dd id="spend-total">9.00 USD</dd>' in section
    assert "3.00 USD" in section  # per attendee: 9.00 for three
    assert "3 attendees with a sandbox account" in section
    accounts = section[section.index('id="spend-accounts"') : section.index('id="spend-services"')]
    assert (
        f"<td>{first.aws_account_id} <small>{first.name}</small></td><td>2</td><td>7.00 USD</td><td>3.50 USD</td>"
        in accounts
    )
    assert (
        f"<td>{second.aws_account_id} <small>{second.name}</small></td><td>1</td><td>2.00 USD</td><td>2.00 USD</td>"
        in accounts
    )
    services = section[section.index('id="spend-services"') :]
    assert services.index(EC2) < services.index(LAMBDA) < services.index(S3)  # most expensive first
    assert f"<td>{S3}</td><td>1.00 USD</td>" in services
    assert "<svg" in section and f"<title>{EC2}: 6.00</title>" in section
    assert "Read from AWS Cost Explorer on 2026-03-11 06:00 (UTC)." in section
    assert "The bill lags up to a day behind" in section


def test_a_failed_read_is_reported_beside_the_last_figures(org, sa_client, sa):
    workshop, _accounts = spent_workshop(org, owners=[sa])
    spend.spend_read(now=READ_AT)
    SpendRead.objects.create(first_day=READ_AT.date(), last_day=READ_AT.date(), error="AccessDeniedException: no")
    SpendRead.objects.filter(error="").update(first_day="2026-03-10", last_day="2026-03-10")
    SpendRead.objects.filter(error__startswith="Access").update(first_day="2026-03-10", last_day="2026-03-10")

    section = cost_section(sa_client, workshop)

    assert "failed; the figures may be out of date" in section
    assert "AccessDeniedException" in section
    assert '<dd id="spend-total">9.00 USD</dd>' in section


def test_a_workshop_never_read_says_so(sa_client, sa):
    from tests.spend_seed import closed_workshop

    workshop = closed_workshop(owners=[sa])
    section = cost_section(sa_client, workshop)
    assert "Not read from AWS Cost Explorer yet." in section
    assert "No cost recorded for this workshop." in section


def test_a_draft_has_no_cost_section(sa_client, sa):
    workshop = WorkshopFactory(owners=[sa])
    page = sa_client.get(reverse("staff:workshop", args=[workshop.pk])).content.decode()
    assert 'id="spend"' not in page
