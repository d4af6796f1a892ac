"""Scope that holds: a run confined to regions stays in them, and an account is checked in the sandbox
OU in AWS Organizations when its sweep starts, not only at the hourly pool sync."""

from __future__ import annotations

import pytest

from cleaner import runs, safety
from cleaner.context import SweepContext
from cleaner.models import GLOBAL, CleanupItem, CleanupTarget
from cleaner.services import s3
from tests.cleaner.test_runs import new_run

pytestmark = [pytest.mark.django_db]
Status = CleanupTarget.Status


def test_a_run_confined_to_regions_sweeps_of_the_global_types_only_the_buckets_of_those_regions(org, few_regions):
    from cleaner import engine

    (account,) = org.add_accounts(1)
    run = new_run([account], regions=["eu-west-1"])

    runs.cleanup_run_fan_out(run_id=run.pk)
    job = runs.cleanup_target_claim(target_id=run.targets.get(region=GLOBAL).pk)

    assert {t.type for t in job.types} == {"s3.bucket"}  # no IAM, no Route 53: they belong to no region
    assert all(t.type in {c.type for c in engine.resource_types()} for t in job.types)
    for region in ("eu-west-1", "us-east-1"):
        client = SweepContext(account.aws_account_id, region).client("s3")
        config = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
        client.create_bucket(Bucket=f"lab-data-{region}", **config)

    outcome = job.run(runs.DatabaseRecorder(job.target))

    assert outcome.deleted == 1 and outcome.skipped == 1
    skipped = CleanupItem.objects.get(action=CleanupItem.Action.SKIPPED_BY_FILTER)
    assert skipped.resource_id == "lab-data-us-east-1" and "outside this run's regions" in skipped.error
    listed = SweepContext(account.aws_account_id, "us-east-1").client("s3").list_buckets()["Buckets"]
    assert [b["Name"] for b in listed] == ["lab-data-us-east-1"]
    assert s3.Bucket.regional_items


def test_an_unconfined_run_sweeps_every_global_type(org, few_regions):
    (account,) = org.add_accounts(1)
    run = new_run([account])
    runs.cleanup_run_fan_out(run_id=run.pk)

    job = runs.cleanup_target_claim(target_id=run.targets.get(region=GLOBAL).pk)

    assert {"s3.bucket", "iam.user", "iam.role"} <= {t.type for t in job.types}


@pytest.mark.sandbox_ou
def test_an_account_moved_out_of_the_sandbox_ou_since_the_sync_is_not_swept(org, few_regions):
    accounts = org.add_accounts(2)
    run = new_run(accounts)
    runs.cleanup_run_fan_out(run_id=run.pk)
    elsewhere = org.ou("handed-to-a-team")
    org.move(accounts[0].aws_account_id, elsewhere)
    safety.forget_sandbox_ou_answers()  # the minute's memory of where it was

    moved = runs.cleanup_target_claim(
        target_id=run.targets.get(account_id=accounts[0].aws_account_id, region="eu-west-1").pk
    )
    stays = runs.cleanup_target_claim(
        target_id=run.targets.get(account_id=accounts[1].aws_account_id, region="eu-west-1").pk
    )

    assert moved is None
    target = CleanupTarget.objects.get(account_id=accounts[0].aws_account_id, region="eu-west-1")
    assert target.status == Status.ERROR and "no longer in the sandbox OU" in target.last_error
    assert isinstance(stays, runs.SweepJob)


@pytest.mark.sandbox_ou
def test_an_account_in_an_ou_nested_under_the_sandbox_ou_is_in_it(org):
    (account,) = org.add_accounts(1)
    nested = org.ou("sandbox-eu", parent=org.sandbox_ou)
    org.move(account.aws_account_id, nested)
    safety.forget_sandbox_ou_answers()

    assert safety.outside_sandbox_ou(account.aws_account_id) == ""


# --- Only the regions the guardrails allowed, and a full sweep now and then -----------------------


def _allowed(regions, since):
    from workshops.models import RegionsAllowed

    return RegionsAllowed.objects.create(regions=regions, since=since)


def test_the_scope_is_every_region_the_guardrails_allowed_while_the_workshop_held_the_accounts(org):
    from datetime import timedelta

    from django.utils import timezone

    from cleaner import schedule
    from tests.factories import workshop_in
    from workshops.models import SandboxAccount, Stage, Workshop

    workshop = workshop_in(Stage.CLOSED)
    Workshop.objects.filter(pk=workshop.pk).update(
        registration_deadline=timezone.now() - timedelta(days=3),
        starts_at=timezone.now() - timedelta(days=2),
        ends_at=timezone.now() - timedelta(days=1, hours=20),
    )
    workshop.refresh_from_db()
    (account,) = org.add_accounts(1)
    SandboxAccount.objects.filter(pk=account.pk).update(workshop=workshop)
    account.refresh_from_db()
    held_from = workshop.provisioning_at

    assert schedule.scope_of([account]) == []  # nothing recorded back then: every region
    _allowed(["eu-west-1"], held_from - timedelta(days=3))
    _allowed(["eu-west-1", "eu-central-1"], held_from + timedelta(hours=2))  # another workshop published
    _allowed(["ap-south-1"], timezone.now() + timedelta(hours=1))  # after: not this workshop's business

    assert schedule.scope_of([account]) == ["eu-central-1", "eu-west-1", "us-east-1"]


def test_a_scoped_run_sweeps_those_regions_and_still_tells_the_account_clean(
    org, few_regions, moto_types, only_test_types
):
    from tests.aws_fakes import side_effects_run
    from workshops.models import SandboxAccount, SandboxAccountState

    (account,) = org.add_accounts(1)
    SandboxAccount.objects.filter(pk=account.pk).update(state=SandboxAccountState.CLEANING)
    with side_effects_run():
        run = runs.cleanup_run_create(
            account_ids=[account.aws_account_id],
            trigger="retry",
            dry_run=False,
            scope_regions=["eu-west-1", "us-east-1"],
        )
    run.refresh_from_db()

    assert not run.is_filtered
    # few_regions enables eu-west-1 and us-east-1; both in scope, and the account-wide target.
    assert sorted(run.targets.values_list("region", flat=True)) == ["eu-west-1", GLOBAL, "us-east-1"]
    run_scoped_to_one = runs.cleanup_run_create(
        account_ids=[account.aws_account_id],
        trigger="command",
        dry_run=True,
        scope_regions=["eu-west-1"],
        queue_it=False,
    )
    runs.cleanup_run_fan_out(run_id=run_scoped_to_one.pk)
    assert sorted(run_scoped_to_one.targets.values_list("region", flat=True)) == ["eu-west-1", GLOBAL]
    assert SandboxAccount.objects.get(pk=account.pk).state == SandboxAccountState.AVAILABLE


@pytest.mark.sandbox_ou
def test_applying_the_guardrails_notes_the_regions_they_allow_when_they_change(org, settings):
    from workshops.models import RegionsAllowed
    from workshops.sandbox import guardrails

    settings.CPP_SANDBOX_DEFAULT_REGIONS = ["eu-west-1"]
    guardrails.guardrails_apply()
    guardrails.guardrails_apply()  # in sync: nothing new to note
    settings.CPP_SANDBOX_DEFAULT_REGIONS = ["eu-west-1", "eu-north-1"]
    guardrails.guardrails_apply()

    assert [r.regions for r in RegionsAllowed.objects.order_by("since", "pk")] == [
        ["eu-west-1"],
        ["eu-north-1", "eu-west-1"],
    ]


def test_the_nightly_full_sweep_takes_idle_accounts_not_swept_everywhere_lately(
    org, few_regions, moto_types, only_test_types
):
    from datetime import timedelta

    from django.utils import timezone

    from cleaner import schedule
    from cleaner.models import CleanupRun
    from tests.aws_fakes import side_effects_run
    from workshops.models import SandboxAccount, SandboxAccountState

    idle, reserved, swept_lately = org.add_accounts(3)
    SandboxAccount.objects.filter(pk=reserved.pk).update(state=SandboxAccountState.ASSIGNED)
    lately = runs.cleanup_run_create(
        account_ids=[swept_lately.aws_account_id], trigger="command", dry_run=False, queue_it=False
    )
    CleanupRun.objects.filter(pk=lately.pk).update(
        status=CleanupRun.Status.DONE, finished_at=timezone.now() - timedelta(days=2)
    )

    with side_effects_run():
        run = schedule.cleanup_full_sweeps_start()
    run.refresh_from_db()

    assert run.trigger == CleanupRun.Trigger.FULL_SWEEP and run.scope_regions == [] and run.regions == []
    assert list(run.accounts.values_list("aws_account_id", flat=True)) == [idle.aws_account_id]
    assert run.status == CleanupRun.Status.DONE
    # Out of the pool while it was swept, back in it afterwards; the reserved one was never touched.
    states = dict(SandboxAccount.objects.values_list("aws_account_id", "state"))
    assert states[idle.aws_account_id] == SandboxAccountState.AVAILABLE
    assert states[reserved.aws_account_id] == SandboxAccountState.ASSIGNED
    with side_effects_run():
        assert schedule.cleanup_full_sweeps_start() is None  # everyone idle is swept fully this week
