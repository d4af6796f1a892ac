"""What AWS will not let anyone delete before a date: held with that date, never a failure.

S3 Object Lock against moto, which refuses to delete locked versions as AWS does; moto's
GetObjectRetention answers 500, so a stand-in gives AWS's answer for it. AMI deregistration
protection through stand-ins (moto keeps no such flag).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cleaner.registry import Item, NotYet
from cleaner.services import ec2, s3
from tests.cleaner.test_services_app import member_account

REGION = "eu-west-1"


@pytest.fixture
def account():
    with member_account() as context:
        yield context


def _locked_bucket(account, name="lab-audit"):
    client = account.client("s3")
    client.create_bucket(
        Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION}, ObjectLockEnabledForBucket=True
    )
    return client


def _bucket(account, name) -> Item:
    return next(item for item in s3.Bucket(account).list() if item.id == name)


def test_a_legal_hold_is_lifted_and_the_bucket_goes(account):
    client = _locked_bucket(account)
    client.put_object(Bucket="lab-audit", Key="evidence.csv", Body=b"x", ObjectLockLegalHoldStatus="ON")
    client.put_object(Bucket="lab-audit", Key="notes.txt", Body=b"y")
    account.stand_ins["GetObjectRetention"] = {"Retention": {}}
    bucket = s3.Bucket(account)
    item = _bucket(account, "lab-audit")

    bucket.prepare(item)
    bucket.delete(item)

    holds = account.params_of("PutObjectLegalHold")
    assert [(h["Key"], h["LegalHold"]) for h in holds] == [("evidence.csv", {"Status": "OFF"})]
    assert "lab-audit" not in [b["Name"] for b in client.list_buckets()["Buckets"]]


def test_compliance_retention_holds_the_bucket_until_its_last_date(account):
    client = _locked_bucket(account)
    soon, later = (datetime.now(UTC) + timedelta(days=d) for d in (3, 30))
    for key, until in (("q3.parquet", soon), ("q4.parquet", later)):
        client.put_object(
            Bucket="lab-audit", Key=key, Body=b"z", ObjectLockMode="COMPLIANCE", ObjectLockRetainUntilDate=until
        )
    client.put_object(Bucket="lab-audit", Key="scratch.txt", Body=b"free to go")
    dates = {"q3.parquet": soon, "q4.parquet": later}
    account.stand_ins["GetObjectRetention"] = lambda params: {
        "Retention": {"Mode": "COMPLIANCE", "RetainUntilDate": dates[params["Key"]]}
    }
    bucket = s3.Bucket(account)

    with pytest.raises(NotYet) as held:
        bucket.delete(_bucket(account, "lab-audit"))

    assert held.value.until == later
    assert "compliance-mode" in held.value.why
    left = {v["Key"] for v in client.list_object_versions(Bucket="lab-audit").get("Versions", [])}
    assert left == {"q3.parquet", "q4.parquet"}  # everything else went


def test_emptying_a_bucket_stops_when_the_wait_budget_is_spent(account):
    client = account.client("s3")
    client.create_bucket(Bucket="big", CreateBucketConfiguration={"LocationConstraint": REGION})
    for n in range(3):
        client.put_object(Bucket="big", Key=f"part-{n}", Body=b"x")
    bucket = s3.Bucket(account)
    bucket.time_left = lambda: 0.0

    with pytest.raises(account.client("s3").exceptions.ClientError, match="BucketNotEmpty"):
        bucket.delete(_bucket(account, "big"))

    assert "DeleteObjects" not in account.operations()


@pytest.mark.parametrize(
    ("protection", "disables", "held"),
    [
        ("enabled", True, False),
        ("enabled-with-cooldown", True, True),
        ("disabled-until 2999-01-01T00:00:00Z", False, True),
        ("disabled-until 2001-01-01T00:00:00Z", False, False),
        ("", False, False),
    ],
)
def test_an_ami_under_deregistration_protection_is_switched_off_and_held_through_its_cooldown(
    account, protection, disables, held
):
    account.stand_ins["DisableImageDeregistrationProtection"] = {"Return": "disabled-until soon"}
    image = ec2.Image(account)
    item = Item(id="ami-0123456789abcdef0", extra={"deregistration_protection": protection})

    if held:
        with pytest.raises(NotYet) as raised:
            image.prepare(item)
        assert raised.value.until > datetime.now(UTC) + timedelta(hours=23)
    else:
        image.prepare(item)

    assert bool(account.params_of("DisableImageDeregistrationProtection")) == disables
