"""S3: buckets, emptied of every object version, delete marker and unfinished upload first.

Object Lock: a legal hold is lifted (the access role may), governance-mode retention is bypassed,
and compliance-mode retention cannot be shortened by anyone: such a bucket is held (NotYet) until
its last object's retain-until date, never counted as a failure.

Buckets are listed once per account (ListBuckets is global) and each is emptied and deleted
through a client in its own region. Emptying goes in batches of 1,000 keys, the most one
DeleteObjects call takes, inside delete(): the engine deletes several items at once, so one big
bucket keeps one worker busy while the rest of the account goes on.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime
from itertools import chain

from botocore.exceptions import ClientError

from cleaner.registry import Item, NotYet, Resource, resource, tags_of

# The most keys one DeleteObjects call takes.
BATCH_SIZE = 1000
# Listings of a bucket being emptied, at most, in one delete().
_MAX_ROUNDS = 20


def _code(error: ClientError) -> str:
    return error.response.get("Error", {}).get("Code", "")


@resource("s3.bucket", is_global=True)
class Bucket(Resource):
    regional_items = True

    def list(self) -> Iterator[Item]:
        for page in self.client.get_paginator("list_buckets").paginate():
            for bucket in page["Buckets"]:
                name = bucket["Name"]
                try:
                    region = bucket.get("BucketRegion") or self._region_of(name)
                    tags = self._tags(name, region)
                except ClientError as error:
                    if _code(error) == "NoSuchBucket":
                        continue  # deleted since it was listed
                    raise
                # No bucket is kept for its name: "aws-controltower-…" is a name anyone may take, and
                # Control Tower's real log buckets live in the Log Archive account, never in the pool.
                yield Item(
                    id=name,
                    name=name,
                    tags=tags,
                    created=bucket.get("CreationDate"),
                    extra={"region": region},
                )

    def prepare(self, item: Item) -> None:
        # An explicit Deny in a bucket policy (on s3:DeleteObject, say) stops even an administrator.
        self.regional(item.extra["region"]).delete_bucket_policy(
            Bucket=item.id, ExpectedBucketOwner=self.context.account_id
        )

    def delete(self, item: Item) -> None:
        s3 = self.regional(item.extra["region"])
        self._abort_uploads(s3, item.id)
        self._empty(s3, item.id)
        s3.delete_bucket(Bucket=item.id, ExpectedBucketOwner=self.context.account_id)

    def regional(self, region: str):
        """The paced client of this account in the bucket's own region (clients are cached)."""
        return dataclasses.replace(self.context, region=region).client("s3")

    def _region_of(self, name: str) -> str:
        location = self.client.get_bucket_location(Bucket=name).get("LocationConstraint")
        # Buckets made before regions had names answer None (us-east-1) or "EU" (eu-west-1).
        return {None: "us-east-1", "": "us-east-1", "EU": "eu-west-1"}.get(location, location)

    def _tags(self, name: str, region: str) -> dict[str, str]:
        try:
            answer = self.regional(region).get_bucket_tagging(Bucket=name)
        except ClientError as error:
            if _code(error) == "NoSuchTagSet":
                return {}
            raise
        return tags_of(answer.get("TagSet"))

    def _abort_uploads(self, s3, name: str) -> None:
        # Parts of unfinished uploads are not objects, but they keep a bucket from being deleted.
        for page in s3.get_paginator("list_multipart_uploads").paginate(Bucket=name):
            for upload in page.get("Uploads") or ():
                s3.abort_multipart_upload(Bucket=name, Key=upload["Key"], UploadId=upload["UploadId"])

    def _empty(self, s3, name: str) -> None:
        """Delete every version and delete marker (an unversioned bucket lists its objects as "null" versions).

        Rounds go on until a listing finds nothing: in AWS the second round only confirms (or
        catches what was written meanwhile); moto loses its place in the listing once the entry a
        page ended on is deleted, so there each round clears one page. A bucket written to faster
        than it empties is left for delete_bucket to refuse and the next pass to retry.
        """
        for _round in range(_MAX_ROUNDS):
            if self.time_left() <= 0 or not self._empty_round(s3, name):
                return  # out of budget: delete_bucket says BucketNotEmpty, the report says why

    def _empty_round(self, s3, name: str) -> int:
        deleted = 0
        batch: list[dict] = []
        pages = s3.get_paginator("list_object_versions").paginate(
            Bucket=name, PaginationConfig={"PageSize": BATCH_SIZE}
        )
        for page in pages:
            if self.time_left() <= 0:
                break
            for entry in chain(page.get("Versions") or (), page.get("DeleteMarkers") or ()):
                batch.append({"Key": entry["Key"], "VersionId": entry["VersionId"]})
                if len(batch) == BATCH_SIZE:
                    self._delete_batch(s3, name, batch)
                    deleted += len(batch)
                    batch = []
        if batch:
            self._delete_batch(s3, name, batch)
            deleted += len(batch)
        return deleted

    def _delete_batch(self, s3, name: str, keys: list[dict]) -> None:
        answer = s3.delete_objects(
            Bucket=name,
            Delete={"Objects": keys, "Quiet": True},
            # Objects under governance-mode Object Lock go too; compliance mode cannot be bypassed.
            BypassGovernanceRetention=True,
            ExpectedBucketOwner=self.context.account_id,
        )
        errors = answer.get("Errors") or ()
        if errors:
            errors = self._unlock_and_retry(s3, name, errors, keys)
        if errors:
            # Raised as the AWS error it is (AccessDenied on a bucket policy's Deny, say).
            first = errors[0]
            message = f"{len(errors)} of {len(keys)} objects in {name} were not deleted, e.g. {first.get('Key')}: "
            raise ClientError(
                {"Error": {"Code": first.get("Code", "Error"), "Message": message + first.get("Message", "")}},
                "DeleteObjects",
            )

    def _unlock_and_retry(self, s3, name: str, errors, keys: list[dict]) -> list[dict]:
        """Lift the legal holds on what was refused and delete it again; NotYet if compliance retention stays.

        Only refused objects are looked at (two calls each), so an unlocked bucket costs nothing more.
        """
        retry, until = [], None
        asked = {}
        for key in keys:
            asked.setdefault(key["Key"], key)
        for error in errors:
            # AWS names the version refused; some answers only the key: the one asked for then.
            version = error.get("VersionId") or asked.get(error["Key"], {}).get("VersionId")
            key = {"Key": error["Key"], **({"VersionId": version} if version else {})}
            try:
                hold = s3.get_object_legal_hold(Bucket=name, **key).get("LegalHold", {}).get("Status")
            except ClientError:
                hold = None  # no hold on it, or no Object Lock on the bucket
            if hold == "ON":
                s3.put_object_legal_hold(Bucket=name, **key, LegalHold={"Status": "OFF"})
            try:
                retention = s3.get_object_retention(Bucket=name, **key).get("Retention", {})
            except ClientError:
                retention = {}
            retain_until = retention.get("RetainUntilDate")
            if retention.get("Mode") == "COMPLIANCE" and retain_until and retain_until > datetime.now(UTC):
                until = max(until or retain_until, retain_until)
                continue
            retry.append(key)
        left = []
        if retry:
            again = s3.delete_objects(
                Bucket=name,
                Delete={"Objects": retry, "Quiet": True},
                BypassGovernanceRetention=True,
                ExpectedBucketOwner=self.context.account_id,
            )
            left = list(again.get("Errors") or ())
        if until and not left:
            raise NotYet(until, f"objects in {name} under compliance-mode Object Lock retention")
        return left
