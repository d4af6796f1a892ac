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
