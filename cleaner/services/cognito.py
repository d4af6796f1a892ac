"""Cognito: user pools (boto3 service "cognito-idp") and identity pools ("cognito-identity")."""

from __future__ import annotations

from cleaner.registry import Item, Resource, resource

# Both list APIs require a page size; this is the most they allow.
PAGE_SIZE = 60


@resource("cognito.user_pool")
class UserPool(Resource):
    service = "cognito-idp"

    def list(self):
        for page in self.client.get_paginator("list_user_pools").paginate(MaxResults=PAGE_SIZE):
            for listed in page["UserPools"]:
                pool = self.client.describe_user_pool(UserPoolId=listed["Id"])["UserPool"]
                yield Item(
                    id=pool["Id"],
                    name=pool.get("Name", ""),
                    tags=pool.get("UserPoolTags", {}),
                    created=pool.get("CreationDate"),
                    extra={
                        "deletion_protection": pool.get("DeletionProtection") == "ACTIVE",
                        "domains": [d for d in (pool.get("Domain"), pool.get("CustomDomain")) if d],
                    },
                )

    def prepare(self, item):
        if item.extra.get("deletion_protection"):
            # UpdateUserPool resets every setting it is not given to its default: harmless for a
            # pool about to be deleted, and the only way to switch the protection off.
            self.client.update_user_pool(UserPoolId=item.id, DeletionProtection="INACTIVE")

    def delete(self, item):
        # AWS refuses to delete a pool that still has a (prefix or custom) domain.
        for domain in item.extra.get("domains", []):
            self.client.delete_user_pool_domain(Domain=domain, UserPoolId=item.id)
        self.client.delete_user_pool(UserPoolId=item.id)


@resource("cognito.identity_pool")
class IdentityPool(Resource):
    service = "cognito-identity"

    def list(self):
        for page in self.client.get_paginator("list_identity_pools").paginate(MaxResults=PAGE_SIZE):
            for listed in page["IdentityPools"]:
                pool = self.client.describe_identity_pool(IdentityPoolId=listed["IdentityPoolId"])
                # Identity pools keep no creation time.
                yield Item(
                    id=pool["IdentityPoolId"],
                    name=pool.get("IdentityPoolName", ""),
                    tags=pool.get("IdentityPoolTags", {}),
                )

    def delete(self, item):
        self.client.delete_identity_pool(IdentityPoolId=item.id)
