"""The detector: what an account holds after a clean sweep that no cleaner type knows.

The Tagging API is moto's (it answers for every service moto tags, whether or not the cleaner has
a module); Cloud Control, which moto lacks, is played by botocore's Stubber. A whole run shows the
account kept out of the pool until an SA dismisses the finding; the cost check reads the bill the
portal stores (AccountSpend), as the spend task writes it.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from botocore.stub import Stubber
from django.urls import reverse
from django.utils import timezone

from cleaner import detector, findings
from cleaner.context import SweepContext
from cleaner.models import CleanupRun, CleanupTarget, DetectorCheck, Finding
from tests.aws_fakes import side_effects_run
from tests.cleaner.conftest import REGIONS
from tests.cleaner.test_runs import new_run, states
from tests.factories import SolutionsArchitectFactory
from workshops.models import AccountSpend, SandboxAccountState, SpendRead

Status = CleanupTarget.Status
REGION = "eu-west-1"


def test_an_arn_names_its_service_and_type_and_what_a_run_may_have_recorded_of_it():
    arn = "arn:aws:ec2:eu-west-1:111122223333:instance/i-0abc"
    assert detector.arn_type(arn) == "ec2:instance"
    assert detector.arn_type("arn:aws:sqs:eu-west-1:111122223333:queue-1") == "sqs"
    assert detector.arn_type("arn:aws:rds:eu-west-1:111122223333:db:orders") == "rds:db"
    assert detector.accounted_for(arn, {"i-0abc"})
    assert detector.accounted_for("arn:aws:rds:eu-west-1:111122223333:db:orders", {"orders"})
    # The type's part names no thing: an item an attendee called "instance" accounts for nothing.
    assert not detector.accounted_for(arn, {"i-0def", "instance"})


@pytest.mark.django_db
def test_the_tagging_api_finds_what_the_run_did_not_record(org):
    (account,) = org.add_accounts(1, pool=False)
    lattice = SweepContext(account, REGION).client("vpc-lattice")
    network = lattice.create_service_network(name="lab-mesh", tags={"workshop": "containers-201"})
    sqs = SweepContext(account, REGION).client("sqs")
    queue_url = sqs.create_queue(QueueName="orders", tags={"workshop": "containers-201"})["QueueUrl"]

    # The queue was swept by the run (AWS lists a deleted thing for a while); the mesh was not.
    found = detector.detect(account, [REGION], {queue_url, "orders"}, cloud_control_types=())

    assert [(f.region, f.source, f.identifier) for f in found.leftovers] == [(REGION, "tagging", network["arn"])]
    assert found.leftovers[0].resource_type == "vpc-lattice:servicenetwork"
    assert found.errors == []


@pytest.mark.django_db
def test_cloud_control_lists_the_curated_types_and_says_what_it_could_not_read(org, monkeypatch):
    (account,) = org.add_accounts(1, pool=False)
    monkeypatch.setattr(detector, "_tagged", lambda context: iter(()))
    client = SweepContext(account, REGION).client("cloudcontrol")
    with Stubber(client) as stub:
        stub.add_response(
            "list_resources",
            {"TypeName": "AWS::QLDB::Ledger", "ResourceDescriptions": [{"Identifier": "ledger-1", "Properties": "{}"}]},
            {"TypeName": "AWS::QLDB::Ledger"},
        )
        stub.add_client_error("list_resources", "TypeNotFoundException", "not in this region")
        stub.add_client_error("list_resources", "AccessDeniedException", "no cloudformation:ListResources")
        found = detector.detect(
            account,
            [REGION],
            set(),
            cloud_control_types=("AWS::QLDB::Ledger", "AWS::IVS::Channel", "AWS::Grafana::Workspace"),
        )
        stub.assert_no_pending_responses()

    regional = [f for f in found.leftovers if f.region == REGION]
    assert [(f.source, f.resource_type, f.identifier) for f in regional] == [
        ("cloud_control", "AWS::QLDB::Ledger", "ledger-1")
    ]
    # Not offered is no finding and no error; a refusal is said, per region and type.
    assert [e for e in found.errors if e.startswith(REGION)] == [
        f"{REGION} AWS::Grafana::Workspace: AccessDeniedException: no cloudformation:ListResources"
    ]


@pytest.mark.django_db
def test_cloud_control_failing_with_a_server_error_is_not_asked_for_every_other_type_too(org, monkeypatch):
    (account,) = org.add_accounts(1, pool=False)
    monkeypatch.setattr(detector, "_tagged", lambda context: iter(()))
    client = SweepContext(account, REGION).client("cloudcontrol")
    with Stubber(client) as stub:
        # One answer queued: a second call in this region would find none and fail the test.
        stub.add_client_error("list_resources", "InternalFailure", "try later", http_status_code=500)
        found = detector.detect(
            account, [REGION], set(), cloud_control_types=("AWS::QLDB::Ledger", "AWS::IVS::Channel")
        )
        stub.assert_no_pending_responses()

    mine = [e for e in found.errors if e.startswith(REGION)]
    assert mine[0].startswith(f"{REGION} AWS::QLDB::Ledger: InternalFailure")
    assert mine[1] == f"{REGION}: Cloud Control not asked further after a server error"


# --- A run with something the cleaner does not know -------------------------------------------------


@pytest.fixture
def swept_with_a_leftover(pool, few_regions, moto_types, only_test_types):
    account = pool[0]
    lattice = SweepContext(account.aws_account_id, REGIONS[0]).client("vpc-lattice")
    lattice.create_service_network(name="lab-mesh", tags={"workshop": "containers-201"})
    with side_effects_run():
        run = new_run(pool, queue_it=True)
    run.refresh_from_db()
    return run


@pytest.mark.django_db
def test_a_run_reports_an_uncovered_resource_and_keeps_the_account_out_of_the_pool(swept_with_a_leftover, pool):
    run = swept_with_a_leftover

    assert run.status == CleanupRun.Status.DONE  # every sweep was clean: what it knows is gone
    (finding,) = Finding.objects.all()
    assert (finding.account_id, finding.source, finding.status) == (
        pool[0].aws_account_id,
        Finding.Source.TAGGING,
        Finding.Status.OPEN,
    )
    assert "servicenetwork" in finding.identifier
    assert states(pool) == {
        pool[0].aws_account_id: (SandboxAccountState.CLEANING, 0),  # held, and no failure counted
        pool[1].aws_account_id: (SandboxAccountState.AVAILABLE, 0),
    }
    assert run.summary["totals"]["leftovers"] == 1
    assert DetectorCheck.objects.filter(run=run).count() == 2  # once per account

    # The automatic retry leaves it to an SA: sweeping again cannot delete what no type knows.
    from cleaner import schedule

    _stalled, retry = schedule.cleanup_runs_tend(now=timezone.now() + timedelta(hours=1))
    assert retry is None


@pytest.mark.django_db
def test_the_run_page_shows_the_finding_and_an_sa_dismisses_it_back_into_the_pool(client, swept_with_a_leftover, pool):
    sa = SolutionsArchitectFactory()
    client.force_login(sa)

    page = client.get(reverse("cleaner:run", args=[swept_with_a_leftover.pk])).content.decode()

    assert "Found by the detector" in page and "servicenetwork" in page
    finding = Finding.objects.get()
    dismissed, returned = findings.findings_dismiss(finding_pks=[finding.pk], actor=sa)
    assert (dismissed, returned) == (1, [pool[0].aws_account_id])
    finding.refresh_from_db()
    assert (finding.status, finding.decided_by) == (Finding.Status.DISMISSED, sa)
    assert states(pool)[pool[0].aws_account_id] == (SandboxAccountState.AVAILABLE, 0)
    # Dismissing again changes nothing.
    assert findings.findings_dismiss(finding_pks=[finding.pk], actor=sa) == (0, [])


@pytest.mark.django_db
def test_the_detector_runs_once_per_run_and_account_however_often_the_run_is_closed(swept_with_a_leftover):
    assert findings.leftovers_check(run_id=swept_with_a_leftover.pk) == 0
    assert Finding.objects.count() == 1


# --- The bill, a day later ------------------------------------------------------------------------


def _spend(account, day: date, service: str, amount: str, workshop=None) -> None:
    AccountSpend.objects.create(
        sandbox_account=account,
        workshop=workshop,
        day=day,
        service=service,
        amount=Decimal(amount),
        read_at=timezone.now(),
    )


@pytest.mark.django_db
def test_a_service_still_billing_the_day_after_a_clean_sweep_holds_the_account(
    pool, few_regions, moto_types, only_test_types
):
    with side_effects_run():
        run = new_run(pool, queue_it=True)
    run.refresh_from_db()
    assert states(pool)[pool[0].aws_account_id][0] == SandboxAccountState.AVAILABLE
    day = run.finished_at.date() + timedelta(days=1)
    SpendRead.objects.create(first_day=day - timedelta(days=3), last_day=day)
    _spend(pool[0], day, "Amazon OpenSearch Service", "14.20")
    _spend(pool[0], day, "Tax", "2.10")
    _spend(pool[0], day, "AWS Key Management Service", "0.004")  # under a cent: rounding, not a leftover
    _spend(pool[1], day, "Amazon Simple Storage Service", "0.001")

    too_early = findings.cost_leftovers_check(now=run.finished_at + timedelta(days=1))
    found = findings.cost_leftovers_check(now=run.finished_at + timedelta(days=2, hours=1))
    again = findings.cost_leftovers_check(now=run.finished_at + timedelta(days=3))

    assert (too_early, found, again) == (0, 1, 0)
    (finding,) = Finding.objects.all()
    assert (finding.source, finding.identifier, finding.detail) == (
        Finding.Source.COST,
        "Amazon OpenSearch Service",
        f"14.20 USD on {day}",
    )
    assert states(pool)[pool[0].aws_account_id][0] == SandboxAccountState.QUARANTINED
    assert states(pool)[pool[1].aws_account_id][0] == SandboxAccountState.AVAILABLE
