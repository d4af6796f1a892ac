"""SES (through the v2 API, regional): email identities (addresses and domains) and configuration sets.

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
