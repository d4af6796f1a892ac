"""KMS: aliases, then customer-managed keys.

A key cannot be deleted at once: it is scheduled for deletion after the shortest window AWS
allows (7 days), during which it is unusable and costs nothing. A key pending deletion is
therefore not a reason to keep the account out of the pool: it is reported as kept, with the date
AWS deletes it. AWS-managed keys and their aliases (alias/aws/…) are AWS's.
"""

from __future__ import annotations

from cleaner.registry import Item, Resource, resource, tags_of

PENDING_WINDOW_DAYS = 7
GONE_STATES = {"PendingDeletion", "PendingReplicaDeletion"}


@resource("kms.alias")
class Alias(Resource):
    def list(self):
        for page in self.client.get_paginator("list_aliases").paginate():
            for alias in page["Aliases"]:
                name = alias["AliasName"]
                yield Item(
                    id=name,
                    name=name,
                    created=alias.get("CreationDate"),
                    extra={"key": alias.get("TargetKeyId")},
                    protected="AWS-managed alias" if name.startswith("alias/aws/") else "",
                )

    def delete(self, item):
        self.client.delete_alias(AliasName=item.id)


# An alias keeps pointing at a key pending deletion; deleting aliases first leaves none dangling.
@resource("kms.key", depends_on=["kms.alias"])
class Key(Resource):
    def list(self):
        for page in self.client.get_paginator("list_keys").paginate():
            for listed in page["Keys"]:
                key = self.client.describe_key(KeyId=listed["KeyId"])["KeyMetadata"]
                if key.get("KeyState") in GONE_STATES:
                    deletion = key.get("DeletionDate")
                    when = f"{deletion:%Y-%m-%d}" if deletion else "?"
                    yield Item(
                        id=key["KeyId"],
                        name=key.get("Description", ""),
                        created=key.get("CreationDate"),
                        protected=f"pending deletion: AWS deletes it on {when}, no sooner",
                    )
                    continue
                customer = key.get("KeyManager") == "CUSTOMER"
                # AWS-managed keys refuse ListResourceTags to the account, and are not ours anyway.
                tags = self.client.list_resource_tags(KeyId=key["KeyId"]).get("Tags") if customer else None
                yield Item(
                    id=key["KeyId"],
                    name=key.get("Description", ""),
                    tags=tags_of(tags, key="TagKey", value="TagValue"),
                    created=key.get("CreationDate"),
                    protected="" if customer else "AWS-managed key",
                )

    def delete(self, item):
        self.client.schedule_key_deletion(KeyId=item.id, PendingWindowInDays=PENDING_WINDOW_DAYS)
