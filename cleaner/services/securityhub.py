"""Security Hub: the hub of each region, switched off (its standards and their controls go with it).

An account that the Organization's Security Hub administrator manages cannot switch Security Hub
off itself, and should not: that hub is the Organization's. It is told by the administrator
relationship (GetAdministratorAccount), never by a name.
"""

from __future__ import annotations

from collections.abc import Iterator

from botocore.exceptions import ClientError

from cleaner.registry import Item, Resource, resource

# What DescribeHub answers in a region where Security Hub is not switched on.
NOT_ON = {"InvalidAccessException", "ResourceNotFoundException"}


@resource("securityhub.hub")
class Hub(Resource):
    def list(self) -> Iterator[Item]:
        try:
            hub = self.client.describe_hub()
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in NOT_ON:
                return
            raise
        administrator = self.client.get_administrator_account().get("Administrator") or {}
        protected = ""
        # Only a relationship in force: an invitation never accepted, or one resigned, leaves the hub the account's.
        if administrator.get("AccountId") and administrator.get("MemberStatus") == "Enabled":
            protected = f"managed by the Organization's Security Hub administrator {administrator['AccountId']}"
        yield Item(
            id=hub["HubArn"],
            name="Security Hub",
            created=None,
            extra={"arn": hub["HubArn"], "subscribed_at": hub.get("SubscribedAt")},
            protected=protected,
        )

    def delete(self, item: Item) -> None:
        self.client.disable_security_hub()
