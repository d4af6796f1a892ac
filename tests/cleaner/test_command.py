"""manage.py clean_accounts: what it refuses (and that it then does nothing), its confirmation, its table,
its exit status, and --via-workers.
"""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from cleaner.models import CleanupRun
from tests.aws_fakes import side_effects_run
from tests.cleaner.conftest import fill_with_things
from tests.factories import workshop_in
from workshops.models import SandboxAccount, SandboxAccountState, Stage

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("only_test_types", "few_regions")]


def clean(*args, stdin: str | None = None) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    options = {"stdout": out, "stderr": err}
    if stdin is not None:
        options["stdin"] = io.StringIO(stdin)
    call_command("clean_accounts", *args, **options)
    return out.getvalue(), err.getvalue()


def refused(*args, stdin: str | None = None, code: int = 1) -> str:
    with pytest.raises(CommandError) as error:
        clean(*args, stdin=stdin)
    assert error.value.returncode == code
    return str(error.value)


def ids(accounts) -> str:
    return ",".join(a.aws_account_id for a in accounts)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--account", "999988887777"], "999988887777 is not in the sandbox pool"),
        (["--account", "12345"], "“12345” is not an AWS account id"),
        (["--account", ","], "--account needs at least one account id"),
        (["--workshop", "4040"], "There is no workshop 4040"),
        (["--all-pool", "--regions", "eu-west-1,mars-north-1"], "Unknown AWS regions: mars-north-1"),
        (["--all-pool", "--services", "cleanertest,ec3"], "Unknown services: ec3"),
        (["--all-pool", "--keep-tag", "=prod"], "is not a tag filter"),
        (["--all-pool", "--budget", "0"], "--threads and --budget must be at least 1"),
    ],
)
def test_bad_arguments_are_refused_with_a_clear_message_and_nothing_is_done(pool, args, message):
    assert message in refused(*args)
    assert not CleanupRun.objects.exists()


def test_the_management_account_is_refused(pool, org):
    message = refused("--account", f"{pool[0].aws_account_id},{org.management_account_id}", "--no-dry-run", "--yes")
    assert "management account" in message and "Nothing was done" in message
    assert not CleanupRun.objects.exists()


def test_one_of_account_workshop_or_all_pool_is_required(pool):
    with pytest.raises(CommandError, match="one of the arguments --workshop --account --all-pool is required"):
        clean()


def test_a_dry_run_is_the_default_deletes_nothing_and_prints_a_table(pool, cloud):
    fill_with_things(cloud, pool[0].aws_account_id)

    out, err = clean("--account", pool[0].aws_account_id)

    assert "Dry run: nothing will be deleted" in out
    header, *rows = [line.split() for line in out.splitlines() if line.startswith(("account", pool[0].aws_account_id))]
    assert header == ["account", "region", "status", "found", "deleted", "failed", "left"]
    assert ["eu-west-1", "dirty", "7", "0", "0", "0"] in [row[1:] for row in rows]
    assert "3/3 account-regions" in err  # the progress line
    assert cloud.present(pool[0].aws_account_id, "eu-west-1", "cleanertest.instance") == {"i-0", "i-1", "i-2"}
    assert SandboxAccount.objects.get(pk=pool[0].pk).state == SandboxAccountState.CLEANING
    assert CleanupRun.objects.get().dry_run


def test_really_deleting_without_a_terminal_or_yes_is_refused(pool, cloud):
    fill_with_things(cloud, pool[0].aws_account_id)
    assert "pass --yes" in refused("--account", pool[0].aws_account_id, "--no-dry-run")  # pytest's stdin: unreadable
    assert "pass --yes" in refused("--account", pool[0].aws_account_id, "--no-dry-run", stdin="")
    assert "Not confirmed" in refused("--account", pool[0].aws_account_id, "--no-dry-run", stdin="yes\n")
    assert not CleanupRun.objects.exists()
    assert cloud.present(pool[0].aws_account_id, "eu-west-1", "cleanertest.instance")


@pytest.mark.parametrize("answer", ["delete\n", "2\n"])
def test_typing_delete_or_the_account_count_confirms(pool, cloud, answer):
    for account in pool:
        fill_with_things(cloud, account.aws_account_id)

    out, _err = clean("--account", ids(pool), "--no-dry-run", stdin=answer)

    assert 'Type "delete" or the number of accounts (2)' in out
    assert "Everything asked for is clean." in out
    assert not cloud.present(pool[1].aws_account_id, "us-east-1", "cleanertest.volume")
    assert set(SandboxAccount.objects.values_list("state", flat=True)) == {SandboxAccountState.AVAILABLE}


def test_something_left_behind_exits_with_status_3_and_says_what(pool, cloud):
    cloud.add(pool[0].aws_account_id, "eu-west-1", "cleanertest.volume", "vol-stuck", undeletable="VolumeInUse")

    message = refused("--account", pool[0].aws_account_id, "--no-dry-run", "--yes", "--budget", "1", code=3)

    assert "0 resources left and 1 failed" in message
    run = CleanupRun.objects.get()
    assert run.status == CleanupRun.Status.FAILED
    assert SandboxAccount.objects.get(pk=pool[0].pk).failed_cleanups == 1


def test_a_workshops_accounts_and_the_whole_pool_can_be_chosen(pool, cloud):
    workshop = workshop_in(Stage.CLOSED)
    SandboxAccount.objects.filter(pk=pool[1].pk).update(workshop=workshop)

    clean("--workshop", str(workshop.pk))
    assert list(CleanupRun.objects.get().accounts.all()) == [pool[1]]

    SandboxAccount.objects.filter(pk=pool[0].pk).update(state=SandboxAccountState.IN_USE)
    out, _err = clean("--all-pool", "--no-dry-run", "--yes")
    assert f"Leaving out 1 accounts in use by running workshops: {pool[0].aws_account_id}" in out
    assert list(CleanupRun.objects.filter(dry_run=False).get().accounts.all()) == [pool[1]]


def test_filters_and_regions_reach_the_run(pool, cloud):
    fill_with_things(cloud, pool[0].aws_account_id)
    cloud.things[(pool[0].aws_account_id, "eu-west-1", "cleanertest.instance")]["i-0"].tags = {"keep": "yes"}

    clean(
        "--account",
        pool[0].aws_account_id,
        "--regions",
        "eu-west-1",
        "--services",
        "cleanertest.instance",
        "--keep-tag",
        "keep",
        "--older-than",
        "0",
        "--no-dry-run",
        "--yes",
    )

    run = CleanupRun.objects.get()
    assert (run.regions, run.services, run.keep_tags) == (["eu-west-1"], ["cleanertest.instance"], {"keep": "*"})
    assert cloud.present(pool[0].aws_account_id, "eu-west-1", "cleanertest.instance") == {"i-0"}
    assert cloud.present(pool[0].aws_account_id, "us-east-1", "cleanertest.instance")  # not asked for
    assert cloud.present(pool[0].aws_account_id, "eu-west-1", "cleanertest.volume")  # nor this type


def test_via_workers_queues_the_run_and_prints_its_id(pool, cloud):
    fill_with_things(cloud, pool[0].aws_account_id)

    with side_effects_run():  # the commit that publishes the start task (eager in tests)
        out, _err = clean("--account", pool[0].aws_account_id, "--no-dry-run", "--yes", "--via-workers")

    run = CleanupRun.objects.get()
    assert out.splitlines()[-1] == str(run.pk) and f"/staff/cleanup/{run.pk}/" in out
    run.refresh_from_db()
    assert run.status == CleanupRun.Status.DONE
    assert not cloud.present(pool[0].aws_account_id, "eu-west-1", "cleanertest.instance")
