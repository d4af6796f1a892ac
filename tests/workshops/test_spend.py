"""The sandbox accounts' bill, read from Cost Explorer (moto, with queued answers) into AccountSpend:
one grouped request followed page by page, only pool accounts, each day given to the workshop that
held the account, a rerun replacing rather than doubling, and an AWS error reported, not raised."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from botocore.exceptions import ClientError

from tests import spend_seed
from tests.factories import UserFactory, workshop_in
from tests.spend_seed import attendee_in, period, queue_pages
from workshops.models import AccountSpend, SpendRead, Stage
from workshops.sandbox import spend

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 20, 6, 0, tzinfo=UTC)
STARTS = spend_seed.STARTS


@pytest.fixture
def closed_workshop(sa, am):
    return spend_seed.closed_workshop(owners=[sa], account_managers=[am])


@pytest.fixture
def accounts(org):
    return org.add_accounts(2)


@pytest.fixture
def used(closed_workshop, accounts):
    first, second = accounts
    attendee_in(closed_workshop, first, "cpp-a1")
    attendee_in(closed_workshop, first, "cpp-a2")
    attendee_in(closed_workshop, second, "cpp-a3")
    return closed_workshop


def spend_of(workshop) -> dict:
    return {
        (row.sandbox_account.aws_account_id, row.day.isoformat(), row.service): row.amount
        for row in AccountSpend.objects.filter(workshop=workshop).select_related("sandbox_account")
    }


def test_two_pages_are_read_and_stored_per_account_day_and_service(org, accounts, used):
    first, second = (a.aws_account_id for a in accounts)
    queue_pages(
        [
            period(
                "2026-03-10", (first, "Amazon Elastic Compute Cloud - Compute", "4.25"), (second, "AWS Lambda", "0.5")
            )
        ],
        [period("2026-03-10", (first, "Amazon Simple Storage Service", "1.75"))],
    )

    read = spend.spend_read(now=NOW)

    assert read.error == ""
    assert read.requests == 2
    assert read.first_day == date(2026, 3, 10)
    assert spend_of(used) == {
        (first, "2026-03-10", "Amazon Elastic Compute Cloud - Compute"): Decimal("4.25"),
        (first, "2026-03-10", "Amazon Simple Storage Service"): Decimal("1.75"),
        (second, "2026-03-10", "AWS Lambda"): Decimal("0.5"),
    }


def test_accounts_outside_the_pool_and_the_management_account_are_ignored(org, accounts, used):
    (outsider,) = org.add_accounts(1, prefix="not-sandbox", pool=False)
    first = accounts[0].aws_account_id
    queue_pages(
        [
            period(
                "2026-03-10",
                (first, "AWS Lambda", "2"),
                (outsider, "Amazon Elastic Compute Cloud - Compute", "99"),
                (org.management_account_id, "AWS Cost Explorer", "0.03"),
            )
        ]
    )

    spend.spend_read(now=NOW)

    assert [row.sandbox_account.aws_account_id for row in AccountSpend.objects.all()] == [first]


def test_a_rerun_replaces_the_figures_and_doubles_nothing(org, accounts, used):
    first = accounts[0].aws_account_id
    queue_pages([period("2026-03-10", (first, "AWS Lambda", "2"))])
    spend.spend_read(now=NOW)

    # The same days read again: moto answers the same request with the same figures.
    spend.spend_read(now=NOW + timedelta(hours=12))

    assert spend_of(used) == {(first, "2026-03-10", "AWS Lambda"): Decimal("2")}
    assert AccountSpend.objects.count() == 1
    assert SpendRead.objects.count() == 2


def test_a_later_read_replaces_a_day_whose_bill_has_settled(org, accounts, sa, am):
    workshop = spend_seed.closed_workshop(stage=Stage.RUNNING, owners=[sa], account_managers=[am], starts_at=STARTS)
    workshop.ends_at = STARTS + timedelta(days=2)  # a three-day workshop, still running
    workshop.save(update_fields=["ends_at"])
    first = accounts[0]
    attendee_in(workshop, first, "cpp-c1")
    queue_pages([period("2026-03-10", (first.aws_account_id, "AWS Lambda", "2"))])
    queue_pages(
        [
            period("2026-03-10", (first.aws_account_id, "AWS Lambda", "2.5")),
            period("2026-03-11", (first.aws_account_id, "AWS Lambda", "1")),
        ]
    )

    spend.spend_read(now=datetime(2026, 3, 10, 20, 0, tzinfo=UTC))
    spend.spend_read(now=datetime(2026, 3, 11, 20, 0, tzinfo=UTC))  # a day more: a new request

    assert spend_of(workshop) == {
        (first.aws_account_id, "2026-03-10", "AWS Lambda"): Decimal("2.5"),
        (first.aws_account_id, "2026-03-11", "AWS Lambda"): Decimal("1"),
    }


def test_the_request_groups_by_account_and_service_daily_over_the_workshops_days(org, accounts, used, monkeypatch):
    seen = []
    client = spend.hub_client("ce", region=spend.CE_REGION)
    original = client.get_cost_and_usage
    monkeypatch.setattr(client, "get_cost_and_usage", lambda **kw: seen.append(kw) or original(**kw))

    spend.spend_read(now=NOW)

    (request,) = seen
    assert request["Granularity"] == "DAILY"
    assert request["Metrics"] == ["UnblendedCost"]
    assert [g["Key"] for g in request["GroupBy"]] == ["LINKED_ACCOUNT", "SERVICE"]
    assert request["TimePeriod"] == {"Start": "2026-03-10", "End": "2026-03-11"}


def test_a_day_no_workshop_held_the_account_is_kept_without_a_workshop(org, accounts, used, sa, am):
    running = workshop_in(
        Stage.RUNNING,
        owners=[sa],
        account_managers=[am],
        starts_at=NOW - timedelta(hours=2),
        ends_at=NOW + timedelta(hours=5),
        registration_deadline=NOW - timedelta(days=2),
    )
    first, second = accounts
    attendee_in(running, second, "cpp-b1")
    queue_pages(
        [
            period("2026-03-12", (first.aws_account_id, "AWS Lambda", "0.25")),
            period("2026-03-20", (second.aws_account_id, "AWS Lambda", "3")),
        ]
    )

    spend.spend_read(now=NOW)

    assert AccountSpend.objects.get(day=date(2026, 3, 12)).workshop is None
    assert AccountSpend.objects.get(day=date(2026, 3, 20)).workshop == running


def test_nothing_is_read_when_no_workshop_runs_or_closed_lately(org, accounts, used):
    assert spend.spend_read(now=NOW + timedelta(days=30)) is None
    assert not SpendRead.objects.exists()


def test_an_aws_error_is_stored_and_reported_not_raised(org, accounts, used, monkeypatch):
    AccountSpend.objects.create(
        sandbox_account=accounts[0], workshop=used, day=date(2026, 3, 10), service="AWS Lambda", amount=1, read_at=NOW
    )

    def refuse(**kwargs):
        raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no ce:Get*"}}, "GetCostAndUsage")

    monkeypatch.setattr(spend.hub_client("ce", region=spend.CE_REGION), "get_cost_and_usage", refuse)

    read = spend.spend_read(now=NOW)

    assert "AccessDeniedException" in read.error
    assert AccountSpend.objects.count() == 1  # the figures of the last good read stay


def test_the_beat_runs_the_read_daily_by_its_task_name():
    from cpp_portal.celery import app
    from workshops.sandbox import tasks

    entry = app.conf.beat_schedule["read-sandbox-spend"]
    assert entry["task"] == "workshops.tasks.read_sandbox_spend"
    assert tasks.read_sandbox_spend.name == entry["task"]


def test_the_task_reads_the_bill_of_a_running_workshop(org, accounts, sa, am):
    from django.utils import timezone

    from workshops.sandbox import tasks

    now = timezone.now()
    workshop_in(
        Stage.RUNNING,
        owners=[sa],
        account_managers=[am],
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=5),
        registration_deadline=now - timedelta(days=2),
    )
    tasks.read_sandbox_spend.apply()

    assert SpendRead.objects.count() == 1


# --- "What this workshop cost", to its SAs once the bill has settled ---------------------------------


@pytest.fixture
def owners():
    from tests.factories import SolutionsArchitectFactory

    return [SolutionsArchitectFactory(preferred_language="en"), SolutionsArchitectFactory(preferred_language="es")]


def cost_emails(workshop):
    from notifications.models import EmailKind, OutboundEmail

    return list(OutboundEmail.objects.filter(kind=EmailKind.WORKSHOP_COST, workshop=workshop).order_by("to"))


def test_the_sas_get_what_the_workshop_cost_once_the_bill_has_settled(org, owners, am):
    workshop, (first, _second) = spend_seed.spent_workshop(org, owners=owners, account_managers=[am])
    settled = workshop.closes_at + timedelta(days=spend.SETTLED_DAYS, minutes=1)
    spend.spend_read(now=settled)

    assert spend.workshop_cost_notify_due(now=settled - timedelta(hours=2)) == 0  # not settled yet
    assert spend.workshop_cost_notify_due(now=settled) == 2

    emails = {e.to: e for e in cost_emails(workshop)}
    english, spanish = emails[owners[0].email], emails[owners[1].email]
    assert english.subject == f"What {workshop.title} cost: 9.00 USD"
    assert "cost 9.00 USD while the workshop held them" in english.body_text
    assert "3.00 USD per attendee, for 3 attendees with a sandbox account" in english.body_text
    assert f"- {spend_seed.EC2}: 6.00 USD" in english.body_text
    assert f"- {first.aws_account_id} {first.name}: 7.00 USD" in english.body_text
    assert "the bill lags up to a day behind" in english.body_text
    assert f"/staff/workshops/{workshop.pk}/" in english.body_text
    assert spanish.language == "es"
    assert spanish.subject == f"Lo que costó {workshop.title}: 9,00 USD"  # in Spanish, a decimal comma


def test_the_cost_email_is_never_queued_twice(org, owners, am):
    workshop, _accounts = spend_seed.spent_workshop(org, owners=owners, account_managers=[am])
    settled = workshop.closes_at + timedelta(days=spend.SETTLED_DAYS, minutes=1)
    spend.spend_read(now=settled)
    spend.workshop_cost_notify_due(now=settled)

    spend.workshop_cost_notify_due(now=settled + timedelta(days=1))

    assert len(cost_emails(workshop)) == 2


def test_the_daily_task_sends_the_cost_email_after_a_good_read_only(org, owners, am, monkeypatch):
    from workshops.sandbox import tasks

    workshop, _accounts = spend_seed.spent_workshop(org, owners=owners, account_managers=[am])
    settled = workshop.closes_at + timedelta(days=spend.SETTLED_DAYS, minutes=1)
    monkeypatch.setattr(spend.timezone, "now", lambda: settled)

    def refuse(**kwargs):
        raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "GetCostAndUsage")

    with monkeypatch.context() as m:
        m.setattr(spend.hub_client("ce", region=spend.CE_REGION), "get_cost_and_usage", refuse)
        tasks.read_sandbox_spend.apply()
    assert cost_emails(workshop) == []  # no figures to tell yet

    tasks.read_sandbox_spend.apply()
    assert len(cost_emails(workshop)) == 2


def test_the_reads_and_the_figures_are_in_the_admin_read_only(client, org, accounts, used):
    from django.urls import reverse

    queue_pages([period("2026-03-10", (accounts[0].aws_account_id, "AWS Lambda", "2"))])
    spend.spend_read(now=NOW)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))  # with a second factor, as every superuser

    reads = client.get(reverse("admin:workshops_spendread_changelist")).content.decode()
    figures = client.get(reverse("admin:workshops_accountspend_changelist")).content.decode()

    assert "2026" in reads and "AWS Lambda" in figures
    assert client.get(reverse("admin:workshops_accountspend_add")).status_code == 403
