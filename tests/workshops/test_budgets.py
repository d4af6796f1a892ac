"""Every sandbox account's bill is capped: a budget per account in use, a freeze at 100 %, an audited unfreeze.

AWS is moto in-process with a real Organization. moto echoes back whatever CalculatedSpend a budget
was created with, which is how these tests make an account overspend; it enforces no SCP, so what
the freeze denies is checked by evaluating its document (tests/scp_evaluator.py).
"""

from decimal import Decimal

import pytest

from notifications.models import EmailKind, OutboundEmail
from tests.aws_fakes import SCP, BotocoreHooks, close, start, workshop_with_attendees
from tests.factories import SolutionsArchitectFactory
from tests.scp_evaluator import FULL_AWS_ACCESS, Request, decision
from workshops.models import AccountFreeze, SandboxAccount, Stage
from workshops.sandbox import budgets, freeze
from workshops.sandbox.guardrails.documents import frozen_document
from workshops.sandbox.tasks import check_budgets

pytestmark = [pytest.mark.django_db, pytest.mark.sandbox_ou]

ROLE = "OrganizationAccountAccessRole"


@pytest.fixture
def owners():
    return [SolutionsArchitectFactory(preferred_language="en"), SolutionsArchitectFactory(preferred_language="es")]


@pytest.fixture
def running(org, owners):
    """A running workshop of 3 attendees in teams of 2: one account seats 2, the other 1."""
    accounts = org.add_accounts(2)
    workshop = workshop_with_attendees(accounts, attendees=3, team=2, budget_per_attendee_usd=Decimal("40.00"))
    workshop.owners.set(owners)
    start(workshop)
    first, second = sorted(accounts, key=lambda a: a.aws_account_id)
    return workshop, first, second


def hub_id() -> str:
    return budgets._hub_account_id()


def budget_of(workshop, account) -> dict:
    name = budgets.budget_name(workshop_id=workshop.pk, aws_account_id=account.aws_account_id)
    return budgets.hub_client("budgets").describe_budget(AccountId=hub_id(), BudgetName=name)["Budget"]


def budget_names() -> list[str]:
    return sorted(
        b["BudgetName"] for b in budgets.hub_client("budgets").describe_budgets(AccountId=hub_id())["Budgets"]
    )


def spend(workshop, account, amount: str) -> None:
    """Make AWS report `amount` USD spent in the account (moto echoes the CalculatedSpend it is given)."""
    client = budgets.hub_client("budgets")
    budget = budget_of(workshop, account)
    client.delete_budget(AccountId=hub_id(), BudgetName=budget["BudgetName"])
    budget["CalculatedSpend"] = {
        "ActualSpend": {"Amount": amount, "Unit": "USD"},
        "ForecastedSpend": {"Amount": amount, "Unit": "USD"},
    }
    budget.pop("LastUpdatedTime", None)
    client.create_budget(AccountId=hub_id(), Budget=budget)


def scps_on(org, target: str) -> list[str]:
    return sorted(p["Name"] for p in org.client.list_policies_for_target(TargetId=target, Filter=SCP)["Policies"])


def frozen_emails(workshop) -> list[OutboundEmail]:
    return list(OutboundEmail.objects.filter(kind=EmailKind.BUDGET_FROZEN, workshop=workshop).order_by("to"))


# --- Budgets at the start and the close ---------------------------------------------------------


def test_starting_gives_each_account_a_budget_of_its_attendees_times_the_amount_with_three_alerts(running, owners):
    workshop, first, second = running

    assert budget_names() == sorted(f"cpp-{workshop.pk}-{a.aws_account_id}" for a in (first, second))
    two, one = budget_of(workshop, first), budget_of(workshop, second)
    assert Decimal(two["BudgetLimit"]["Amount"]) == Decimal("80.00")  # two attendees share it
    assert Decimal(one["BudgetLimit"]["Amount"]) == Decimal("40.00")
    assert two["BudgetLimit"]["Unit"] == "USD" and two["BudgetType"] == "COST"
    assert two["CostFilters"] == {"LinkedAccount": [first.aws_account_id]}

    notifications = budgets.hub_client("budgets").describe_notifications_for_budget(
        AccountId=hub_id(), BudgetName=two["BudgetName"]
    )["Notifications"]
    assert sorted(n["Threshold"] for n in notifications) == [50.0, 80.0, 100.0]
    assert {(n["NotificationType"], n["ThresholdType"]) for n in notifications} == {("ACTUAL", "PERCENTAGE")}


def test_making_the_budgets_again_changes_nothing(running):
    workshop, first, second = running
    report = budgets.workshop_budgets_create(workshop_id=workshop.pk)
    assert report.done == {first.aws_account_id: "unchanged", second.aws_account_id: "unchanged"}
    assert not report.failed
    assert len(budget_names()) == 2


def test_a_changed_amount_per_attendee_updates_the_budget(running):
    workshop, first, _second = running
    workshop.budget_per_attendee_usd = Decimal("10.00")
    workshop.save(update_fields=["budget_per_attendee_usd"])
    report = budgets.workshop_budgets_create(workshop_id=workshop.pk)
    assert report.done[first.aws_account_id] == "updated"
    assert Decimal(budget_of(workshop, first)["BudgetLimit"]["Amount"]) == Decimal("20.00")
    assert len(budget_names()) == 2


def test_closing_deletes_the_workshops_budgets_and_only_those(running, org):
    workshop, _first, _second = running
    other = workshop_with_attendees(org.add_accounts(1), attendees=1)
    start(other)
    assert len(budget_names()) == 3

    close(workshop)

    assert budget_names() == [f"cpp-{other.pk}-{other.sandbox_accounts.get().aws_account_id}"]
    # Deleting again (a redelivered task) finds nothing to delete, and says so quietly.
    assert budgets.workshop_budgets_delete(workshop_id=workshop.pk).failed == {}


# --- The freeze at 100 % ------------------------------------------------------------------------


def test_a_breach_freezes_exactly_that_account_and_emails_the_sas_once(running, org, owners):
    workshop, first, second = running
    spend(workshop, first, "80.00")  # exactly its 80 USD
    spend(workshop, second, "39.99")  # just under its 40 USD

    check_budgets.apply()

    assert scps_on(org, first.aws_account_id) == ["FullAWSAccess", freeze.FROZEN_POLICY_NAME]
    assert scps_on(org, second.aws_account_id) == ["FullAWSAccess"]
    assert freeze.FROZEN_POLICY_NAME not in scps_on(org, org.sandbox_ou)  # on the account, never the OU
    (record,) = AccountFreeze.objects.all()
    assert (record.account, record.workshop, record.spend, record.limit) == (
        first,
        workshop,
        Decimal("80.00"),
        Decimal("80.00"),
    )
    assert record.is_open

    emails = frozen_emails(workshop)
    assert sorted(e.to for e in emails) == sorted(o.email for o in owners)
    english = next(e for e in emails if e.language == "en")
    assert english.subject == f"Sandbox account {first.aws_account_id} frozen over its budget: {workshop.title}"
    assert "has spent 80.00 USD of its 80.00 USD budget" in english.body_text
    assert "8 to 12 hours late" in english.body_text
    spanish = next(e for e in emails if e.language == "es")
    assert "ha gastado 80,00 USD" in spanish.body_text  # amounts written the Spanish way

    # The next tick finds it frozen already: no second freeze, no second email.
    report = budgets.budgets_check()
    assert report.frozen == [] and report.failed == {}
    assert AccountFreeze.objects.count() == 1
    assert len(frozen_emails(workshop)) == 2


def test_the_freeze_policy_is_made_once_for_every_account(running, org):
    workshop, first, second = running
    spend(workshop, first, "100.00")
    spend(workshop, second, "45.00")
    report = budgets.budgets_check()
    assert sorted(report.frozen) == sorted([first.aws_account_id, second.aws_account_id])
    policies = [p for p in org.client.list_policies(Filter=SCP)["Policies"] if p["Name"] == freeze.FROZEN_POLICY_NAME]
    assert len(policies) == 1


def test_unfreezing_detaches_the_policy_records_who_and_does_not_freeze_again(running, org, owners):
    workshop, first, _second = running
    spend(workshop, first, "120.00")
    budgets.budgets_check()
    record = AccountFreeze.objects.get()

    freeze.account_unfreeze(freeze_id=record.pk, actor=owners[0])

    record.refresh_from_db()
    assert record.unfrozen_by == owners[0] and record.unfrozen_at is not None
    assert scps_on(org, first.aws_account_id) == ["FullAWSAccess"]
    # The SA's decision stands for this workshop: the still-overspent account is not frozen again.
    assert budgets.budgets_check().frozen == []
    assert scps_on(org, first.aws_account_id) == ["FullAWSAccess"]
    assert len(frozen_emails(workshop)) == 2


def test_closing_lifts_any_freeze_left(running, org):
    workshop, first, _second = running
    spend(workshop, first, "90.00")
    budgets.budgets_check()

    close(workshop)

    record = AccountFreeze.objects.get()
    assert record.unfrozen_at is not None and record.unfrozen_by is None  # the portal lifted it
    assert scps_on(org, first.aws_account_id) == ["FullAWSAccess"]


def test_a_budget_missing_at_the_check_is_made_again(running):
    workshop, first, _second = running
    budgets.hub_client("budgets").delete_budget(
        AccountId=hub_id(), BudgetName=budgets.budget_name(workshop_id=workshop.pk, aws_account_id=first.aws_account_id)
    )
    report = budgets.budgets_check()
    assert report.done == {first.aws_account_id: "created"}
    assert len(budget_names()) == 2


# --- AWS errors are reported, never raised --------------------------------------------------------


def test_budgets_refused_at_the_start_are_reported_and_the_workshop_still_runs(org, owners):
    accounts = org.add_accounts(2)
    workshop = workshop_with_attendees(accounts, attendees=2)
    workshop.owners.set(owners)
    with BotocoreHooks() as hooks:
        hooks.refuse("CreateBudget", "AccessDeniedException", "not allowed", status=400)
        start(workshop)
        assert workshop.stage == Stage.RUNNING
        report = budgets.workshop_budgets_create(workshop_id=workshop.pk)
    assert set(report.failed) == {a.aws_account_id for a in accounts}
    assert all("AccessDeniedException" in text for text in report.failed.values())
    assert budget_names() == []


def test_throttling_at_the_check_is_reported_per_account(running):
    workshop, first, second = running
    spend(workshop, first, "500.00")
    with BotocoreHooks() as hooks:
        hooks.refuse("DescribeBudget", "ThrottlingException", "Rate exceeded", status=400, times=1)
        report = budgets.budgets_check()
    # botocore retries a throttled call: the first account is read on the retry and frozen.
    assert report.frozen == [first.aws_account_id]
    assert report.failed == {}


def test_access_denied_at_the_check_is_reported_not_raised(running, org):
    workshop, first, _second = running
    spend(workshop, first, "500.00")
    with BotocoreHooks() as hooks:
        hooks.refuse("AttachPolicy", "AccessDeniedException", "no Organizations rights", status=400)
        report = budgets.budgets_check()
    assert "AccessDeniedException" in report.failed[first.aws_account_id]
    assert not AccountFreeze.objects.exists()  # nothing recorded that AWS did not do
    assert frozen_emails(workshop) == []
    # Once AWS lets it, the next tick freezes it.
    assert budgets.budgets_check().frozen == [first.aws_account_id]


def test_what_aws_refused_at_the_close_is_undone_by_the_next_check(running, org):
    workshop, first, _second = running
    spend(workshop, first, "90.00")
    budgets.budgets_check()
    with BotocoreHooks() as hooks:
        hooks.refuse("DetachPolicy", "AccessDeniedException", "no", status=400)
        hooks.refuse("DeleteBudget", "AccessDeniedException", "no", status=400)
        close(workshop)
    assert workshop.stage == Stage.CLOSED  # the close itself went through
    assert AccountFreeze.objects.get().is_open and len(budget_names()) == 2

    check_budgets.apply()

    assert not AccountFreeze.objects.get().is_open
    assert scps_on(org, first.aws_account_id) == ["FullAWSAccess"]
    assert budget_names() == []


def test_the_check_leaves_running_workshops_and_foreign_budgets_alone(running):
    client = budgets.hub_client("budgets")
    client.create_budget(
        AccountId=hub_id(),
        Budget={
            "BudgetName": "finance-team-monthly",
            "BudgetLimit": {"Amount": "1000", "Unit": "USD"},
            "TimeUnit": "MONTHLY",
            "BudgetType": "COST",
        },
    )
    report = budgets.budgets_leftovers_remove()
    assert report.done == {} and report.failed == {}
    assert len(budget_names()) == 3


def test_an_unfreeze_aws_refuses_is_a_clear_error_and_changes_nothing(running, owners):
    workshop, first, _second = running
    spend(workshop, first, "500.00")
    budgets.budgets_check()
    record = AccountFreeze.objects.get()
    with BotocoreHooks() as hooks:
        hooks.refuse("DetachPolicy", "AccessDeniedException", "no", status=400)
        with pytest.raises(freeze.FreezeError, match="Could not unfreeze"):
            freeze.account_unfreeze(freeze_id=record.pk, actor=owners[0])
    record.refresh_from_db()
    assert record.is_open


def test_only_running_workshops_accounts_are_checked(running):
    workshop, first, _second = running
    SandboxAccount.objects.filter(pk=first.pk).update(state="cleaning")
    spend(workshop, first, "500.00")
    assert budgets.budgets_check().frozen == []


# --- What the freeze denies ------------------------------------------------------------------------


def test_the_freeze_denies_attendees_everything_and_leaves_the_access_role_free():
    document = frozen_document(role_name=ROLE)
    levels = [[FULL_AWS_ACCESS], [FULL_AWS_ACCESS], [FULL_AWS_ACCESS, document]]
    attendee = "arn:aws:iam::111122223333:user/cpp-0123456789ab"
    for action in ("ec2:RunInstances", "s3:GetObject", "iam:ListUsers", "sts:GetCallerIdentity", "budgets:ViewBudget"):
        assert decision(levels, Request(action, principal_arn=attendee)) == "ExplicitDeny", action
    role = f"arn:aws:iam::111122223333:role/{ROLE}"
    for action in ("iam:DeleteUser", "ec2:TerminateInstances", "s3:DeleteBucket"):
        assert decision(levels, Request(action, principal_arn=role)) == "Allow", action
    # Another role with a name that merely starts the same is an attendee's, and is denied.
    lookalike = f"arn:aws:iam::111122223333:role/{ROLE}-copy"
    assert decision(levels, Request("ec2:RunInstances", principal_arn=lookalike)) == "ExplicitDeny"


# --- Where SAs see and lift freezes ----------------------------------------------------------------


def test_the_sa_page_shows_the_frozen_account_and_its_unfreeze_is_audited(running, org, owners, client):
    from django.test import TestCase
    from django.urls import reverse

    workshop, first, _second = running
    spend(workshop, first, "95.00")
    budgets.budgets_check()
    record = AccountFreeze.objects.get()
    client.force_login(owners[0])
    page = client.get(reverse("staff:workshop", args=[workshop.pk])).content.decode()
    assert first.aws_account_id in page and "95.00 USD" in page
    assert "8 to 12 hours" in page
    unfreeze_url = reverse("staff:account_unfreeze", args=[workshop.pk, record.pk])
    assert unfreeze_url in page

    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(unfreeze_url)
    assert response.status_code == 302

    record.refresh_from_db()
    assert record.unfrozen_by == owners[0] and not record.is_open
    assert scps_on(org, first.aws_account_id) == ["FullAWSAccess"]
    page = client.get(reverse("staff:workshop", args=[workshop.pk])).content.decode()
    assert f"by {owners[0].email}" in page
    assert unfreeze_url not in page


def test_a_freeze_of_another_workshop_is_not_found_on_this_ones_page(running, org, owners, client):
    from django.urls import reverse

    workshop, first, _second = running
    spend(workshop, first, "95.00")
    budgets.budgets_check()
    other = workshop_with_attendees(org.add_accounts(1), attendees=1)
    client.force_login(owners[0])
    response = client.post(reverse("staff:account_unfreeze", args=[other.pk, AccountFreeze.objects.get().pk]))
    assert response.status_code == 404
    assert AccountFreeze.objects.get().is_open


def test_the_pool_admin_shows_frozen_accounts_and_unfreezes_behind_its_confirmation(running, org, owners, client):
    from django.contrib import messages
    from django.urls import reverse
    from django.utils.html import escape

    workshop, first, second = running
    spend(workshop, first, "95.00")
    budgets.budgets_check()
    client.force_login(owners[0])
    changelist = reverse("admin:workshops_sandboxaccount_changelist")
    listed = client.get(changelist, {"frozen": "yes"})
    assert [a.aws_account_id for a in listed.context["cl"].result_list] == [first.aws_account_id]

    chosen = {"action": "unfreeze", "_selected_action": [first.pk, second.pk]}
    page = client.post(changelist, chosen)
    assert page.templates[0].name == "admin/confirm_action.html"
    assert "Not frozen" in page.content.decode()
    assert AccountFreeze.objects.get().is_open  # asking is not doing

    response = client.post(changelist, {**chosen, "confirmed": "yes"})
    record = AccountFreeze.objects.get()
    assert record.unfrozen_by == owners[0] and record.unfrozen_at is not None
    assert scps_on(org, first.aws_account_id) == ["FullAWSAccess"]
    flashed = [(m.level, m.message) for m in response.wsgi_request._messages]
    assert any(level == messages.SUCCESS and first.aws_account_id in text for level, text in flashed)
    # The freezes' own list is the audit: read-only, even for an SA.
    freezes = client.get(reverse("admin:workshops_accountfreeze_changelist"))
    assert freezes.status_code == 200 and escape(str(owners[0])) in freezes.content.decode()
    assert (
        client.get(reverse("admin:workshops_accountfreeze_change", args=[record.pk])).context["has_change_permission"]
        is False
    )


def test_under_every_policy_of_the_pool_a_frozen_account_is_still_cleanable_by_the_access_role():
    from workshops.sandbox.guardrails import desired_policies

    _regions, ou_policies = desired_policies()
    levels = [[FULL_AWS_ACCESS], [FULL_AWS_ACCESS, *(p.desired for p in ou_policies)], [FULL_AWS_ACCESS]]
    levels[-1].append(frozen_document(role_name=ROLE))
    role = f"arn:aws:iam::111122223333:role/{ROLE}"
    for action in ("iam:DeleteUser", "ec2:TerminateInstances", "organizations:DescribeOrganization"):
        assert decision(levels, Request(action, principal_arn=role)) == "Allow", action
    attendee = "arn:aws:iam::111122223333:user/cpp-0123456789ab"
    assert decision(levels, Request("ec2:DescribeInstances", principal_arn=attendee)) == "ExplicitDeny"


def test_budgets_are_made_after_the_credentials_are_assigned_at_the_start():
    from workshops import side_effects
    from workshops.sandbox import stage_hooks

    order = side_effects.handlers_for(Stage.RUNNING)
    assert order.index(stage_hooks.hand_out_sandbox_accounts) < order.index(stage_hooks.make_budgets)
    assert stage_hooks.remove_budgets_and_freezes in side_effects.handlers_for(Stage.CLOSED)


def test_the_beat_checks_budgets_every_fifteen_minutes():
    from cpp_portal.celery import app

    entry = next(e for e in app.conf.beat_schedule.values() if e["task"] == "workshops.tasks.check_budgets")
    assert entry["schedule"] == 900.0
    assert "workshops.tasks.check_budgets" in app.tasks
