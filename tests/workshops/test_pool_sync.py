"""The sandbox pool follows the Organization's sandbox OU, and nothing outside it."""

import io
import logging

import pytest
from django.core.management import CommandError, call_command

from cpp_portal.aws import hub_client
from cpp_portal.celery import app as celery_app
from tests.factories import SandboxAccountFactory, WorkshopFactory
from workshops.models import SandboxAccount, SandboxAccountState
from workshops.sandbox import tasks
from workshops.sandbox.pool import PoolSyncError, sandbox_pool_sync

pytestmark = [pytest.mark.django_db, pytest.mark.sandbox_ou]


def pool() -> dict[str, str]:
    return dict(SandboxAccount.objects.values_list("aws_account_id", "state"))


def test_imports_every_active_account_through_nested_ous_and_nothing_outside(org):
    teams = org.ou("Teams", org.sandbox_ou)
    deeper = org.ou("Teams - Italy", teams)
    direct = org.account("cpp-sandbox-01", org.sandbox_ou)
    in_teams = org.account("cpp-team-01", teams)
    in_deeper = org.account("cpp-team-it-01", deeper)
    org.account("production", org.ou("Production"))
    org.account("left-at-root")

    report = sandbox_pool_sync()

    assert sorted(report.added) == sorted([direct, in_teams, in_deeper])
    assert pool() == {direct: "available", in_teams: "available", in_deeper: "available"}
    account = SandboxAccount.objects.get(aws_account_id=in_deeper)
    assert (account.name, account.email) == ("cpp-team-it-01", "cpp-team-it-01@cpp.example.com")


def test_a_second_sync_changes_nothing(org):
    ids = {org.account(f"cpp-sandbox-{n}", org.sandbox_ou) for n in range(3)}
    sandbox_pool_sync()
    report = sandbox_pool_sync()
    assert (report.added, report.updated, report.retired, report.returned) == ([], [], [], [])
    assert set(report.unchanged) == ids


def test_accounts_spread_over_several_pages_are_all_imported(org):
    ids = {org.account(f"cpp-sandbox-{n:02d}", org.sandbox_ou) for n in range(25)}
    pages = []
    hub_client("organizations").meta.events.register(
        "provide-client-params.organizations.ListAccountsForParent", lambda params, **_: pages.append(dict(params))
    )

    sandbox_pool_sync()

    assert set(pool()) == ids
    # moto hands out 20 accounts a page: the second page only comes through the paginator.
    assert len(pages) >= 2
    assert any("NextToken" in params for params in pages)


def test_the_management_account_is_never_imported_even_inside_the_ou(org):
    org.move(org.management_account_id, org.sandbox_ou)
    member = org.account("cpp-sandbox-01", org.sandbox_ou)

    sandbox_pool_sync()

    assert pool() == {member: "available"}


def test_an_account_that_left_is_retired_and_kept_and_comes_back_available(org):
    staying = org.account("cpp-sandbox-01", org.sandbox_ou)
    leaving = org.account("cpp-sandbox-02", org.sandbox_ou)
    elsewhere = org.ou("Production")
    sandbox_pool_sync()

    org.move(leaving, elsewhere)
    report = sandbox_pool_sync()
    assert report.retired == [leaving]
    assert pool() == {staying: "available", leaving: "retired"}

    org.move(leaving, org.sandbox_ou)
    report = sandbox_pool_sync()
    assert report.returned == [leaving]
    assert report.retired == []
    assert pool() == {staying: "available", leaving: "available"}


def test_a_suspended_account_leaves_the_pool(org):
    closing = org.account("cpp-sandbox-01", org.sandbox_ou)
    sandbox_pool_sync()
    org.client.close_account(AccountId=closing)

    assert sandbox_pool_sync().retired == [closing]
    assert pool() == {closing: "retired"}


def test_a_retired_account_gives_up_its_workshop(org):
    leaving = org.account("cpp-sandbox-01", org.sandbox_ou)
    sandbox_pool_sync()
    workshop = WorkshopFactory()
    SandboxAccount.objects.filter(aws_account_id=leaving).update(state=SandboxAccountState.ASSIGNED, workshop=workshop)
    org.move(leaving, org.ou("Production"))

    sandbox_pool_sync()

    account = SandboxAccount.objects.get(aws_account_id=leaving)
    assert (account.state, account.workshop) == (SandboxAccountState.RETIRED, None)


def test_names_and_emails_follow_the_organization(org):
    account_id = org.account("cpp-sandbox-01", org.sandbox_ou)
    sandbox_pool_sync()
    SandboxAccount.objects.filter(aws_account_id=account_id).update(name="old name", email="old@example.com")

    report = sandbox_pool_sync()

    assert report.updated == [account_id]
    account = SandboxAccount.objects.get(aws_account_id=account_id)
    assert (account.name, account.email, account.state) == (
        "cpp-sandbox-01",
        "cpp-sandbox-01@cpp.example.com",
        SandboxAccountState.AVAILABLE,
    )


def test_an_account_in_use_keeps_its_state_while_it_stays(org):
    account_id = org.account("cpp-sandbox-01", org.sandbox_ou)
    sandbox_pool_sync()
    SandboxAccount.objects.filter(aws_account_id=account_id).update(state=SandboxAccountState.IN_USE)

    assert sandbox_pool_sync().unchanged == [account_id]
    assert pool() == {account_id: "in_use"}


class TestErrors:
    def test_without_an_ou_it_says_what_to_set_and_changes_nothing(self, org, settings):
        SandboxAccountFactory(aws_account_id="111111111111")
        settings.CPP_SANDBOX_OU_ID = ""
        with pytest.raises(PoolSyncError, match="CPP_SANDBOX_OU_ID is not set"):
            sandbox_pool_sync()
        assert pool() == {"111111111111": "available"}

    def test_an_aws_error_changes_nothing(self, org, settings):
        org.account("cpp-sandbox-01", org.sandbox_ou)
        SandboxAccountFactory(aws_account_id="111111111111")
        settings.CPP_SANDBOX_OU_ID = "ou-zzzz-doesnotexist"
        with pytest.raises(PoolSyncError, match="ou-zzzz-doesnotexist"):
            sandbox_pool_sync()
        # Had it gone on, the unknown OU would have looked empty and retired everything.
        assert pool() == {"111111111111": "available"}

    def test_the_command_exits_with_the_message(self, org, settings):
        settings.CPP_SANDBOX_OU_ID = ""
        with pytest.raises(CommandError, match="CPP_SANDBOX_OU_ID is not set"):
            call_command("sync_accounts")

    def test_the_hourly_task_logs_instead_of_crashing(self, org, settings, caplog):
        settings.CPP_SANDBOX_OU_ID = ""
        with caplog.at_level(logging.ERROR):
            tasks.sync_sandbox_pool.delay()
        assert "CPP_SANDBOX_OU_ID is not set" in caplog.text


def test_the_command_prints_a_summary(org):
    org.account("cpp-sandbox-01", org.sandbox_ou)
    out = io.StringIO()
    call_command("sync_accounts", stdout=out)
    assert "1 added, 0 updated, 0 retired, 0 unchanged" in out.getvalue()


def test_the_task_syncs_and_beat_runs_it_hourly(org):
    account_id = org.account("cpp-sandbox-01", org.sandbox_ou)
    tasks.sync_sandbox_pool.delay()
    assert pool() == {account_id: "available"}
    entry = next(e for e in celery_app.conf.beat_schedule.values() if e["task"] == "workshops.tasks.sync_sandbox_pool")
    assert entry["schedule"] == 3600.0
