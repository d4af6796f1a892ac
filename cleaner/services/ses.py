"""SES (through the v2 API, regional): email identities (addresses and domains), configuration sets,
dedicated IP pools and contact lists.

Deleting an identity also deletes its DKIM setup and sending authorization policies; a
configuration set takes its event destinations with it.
"""

from __future__ import annotations

from collections.abc import Iterator

from cleaner.registry import Item, Resource, resource
from cleaner.services._paging import pages


class _Ses(Resource):
    iam_prefix = "ses"


@resource("sesv2.email_identity")
class EmailIdentity(_Ses):
    def list(self) -> Iterator[Item]:
        for page in pages(self.client.list_email_identities, "NextToken", "NextToken"):
            for identity in page.get("EmailIdentities", ()):
                yield Item(
                    id=identity["IdentityName"],
                    name=identity["IdentityName"],
                    extra={"kind": identity.get("IdentityType")},
                )

    def delete(self, item: Item) -> None:
        self.client.delete_email_identity(EmailIdentity=item.id)


@resource("sesv2.configuration_set")
class ConfigurationSet(_Ses):
    def list(self) -> Iterator[Item]:
        for page in pages(self.client.list_configuration_sets, "NextToken", "NextToken"):
            for name in page.get("ConfigurationSets", ()):
                yield Item(id=name, name=name)

    def delete(self, item: Item) -> None:
        self.client.delete_configuration_set(ConfigurationSetName=item.id)


@resource("sesv2.dedicated_ip_pool")
class DedicatedIpPool(_Ses):
    """Pools of dedicated sending IPs: a managed pool bills every month until it is deleted."""

    def list(self) -> Iterator[Item]:
        for page in pages(self.client.list_dedicated_ip_pools, "NextToken", "NextToken"):
            for name in page.get("DedicatedIpPools", ()):
                yield Item(id=name, name=name)

    def delete(self, item: Item) -> None:
        self.client.delete_dedicated_ip_pool(PoolName=item.id)


@resource("sesv2.contact_list")
class ContactList(_Ses):
    """A contact list takes its contacts with it."""

    def list(self) -> Iterator[Item]:
        for page in pages(self.client.list_contact_lists, "NextToken", "NextToken"):
            for contact_list in page.get("ContactLists", ()):
                name = contact_list["ContactListName"]
                yield Item(id=name, name=name, created=contact_list.get("LastUpdatedTimestamp"))

    def delete(self, item: Item) -> None:
        self.client.delete_contact_list(ContactListName=item.id)
