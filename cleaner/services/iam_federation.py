"""IAM's other account-wide objects (global): OIDC and SAML identity providers, server
certificates and virtual MFA devices.

Never touched, by what they are: the SAML provider IAM Identity Center keeps in each account it
manages (Identity Center's own roles trust it, or its metadata names an Identity Center portal as
the issuer: without it nobody signs in through Identity Center), and the root user's MFA device.
A virtual MFA device assigned to a user goes with the user (iam.user deactivates and deletes it);
one still assigned afterwards is deactivated first, as IAM refuses to delete an active device.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from cleaner.registry import Item, Resource, resource, tags_of
from cleaner.services.iam import IDENTITY_CENTER_PATH, _listed, _trust_document

# The entity id an IAM Identity Center instance signs its SAML assertions with.
IDENTITY_CENTER_ISSUER = re.compile(r'entityID="https://portal\.sso\.[a-z0-9-]+\.amazonaws\.com/saml/assertion/')


class _Iam(Resource):
    service = "iam"

    def each(self, operation: str, key: str, **params) -> Iterator[dict]:
        if self.client.can_paginate(operation):
            for page in self.client.get_paginator(operation).paginate(**params):
                yield from page.get(key, ())
        else:
            yield from getattr(self.client, operation)(**params).get(key, ())


@resource("iam.oidc_provider", is_global=True)
class OpenIDConnectProvider(_Iam):
    def list(self) -> Iterator[Item]:
        for provider in self.each("list_open_id_connect_providers", "OpenIDConnectProviderList"):
            arn = provider["Arn"]
            found = self.client.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
            yield Item(
                id=arn,
                name=found.get("Url") or arn.split("/", 1)[-1],
                tags=tags_of(found.get("Tags")),
                created=found.get("CreateDate"),
                extra={"arn": arn},
            )

    def delete(self, item: Item) -> None:
        self.client.delete_open_id_connect_provider(OpenIDConnectProviderArn=item.id)


@resource("iam.saml_provider", is_global=True)
class SAMLProvider(_Iam):
    def list(self) -> Iterator[Item]:
        providers = list(self.each("list_saml_providers", "SAMLProviderList"))
        trusted = self.trusted_by_identity_center() if providers else set()
        for provider in providers:
            arn = provider["Arn"]
            found = self.client.get_saml_provider(SAMLProviderArn=arn)
            metadata = found.get("SAMLMetadataDocument") or ""
            identity_center = arn in trusted or IDENTITY_CENTER_ISSUER.search(metadata)
            yield Item(
                id=arn,
                name=arn.split("/", 1)[-1],
                tags=tags_of(found.get("Tags")),
                created=provider.get("CreateDate"),
                extra={"arn": arn},
                protected="IAM Identity Center's identity provider" if identity_center else "",
            )

    def trusted_by_identity_center(self) -> set[str]:
        """The SAML providers Identity Center's roles (on a path only AWS may use) let their users in through."""
        providers = set()
        for role in self.each("list_roles", "Roles", PathPrefix=IDENTITY_CENTER_PATH):
            for statement in _listed(_trust_document(role).get("Statement")):
                principal = statement.get("Principal")
                if isinstance(principal, dict):
                    providers.update(str(arn) for arn in _listed(principal.get("Federated")))
        return providers

    def delete(self, item: Item) -> None:
        self.client.delete_saml_provider(SAMLProviderArn=item.id)


@resource("iam.server_certificate", is_global=True)
class ServerCertificate(_Iam):
    # A certificate a Classic Load Balancer or CloudFront still serves is refused: it waits for them.

    def list(self) -> Iterator[Item]:
        for certificate in self.each("list_server_certificates", "ServerCertificateMetadataList"):
            yield Item(
                id=certificate["ServerCertificateName"],
                name=certificate["ServerCertificateName"],
                created=certificate.get("UploadDate"),
                extra={"arn": certificate["Arn"]},
            )

    def delete(self, item: Item) -> None:
        self.client.delete_server_certificate(ServerCertificateName=item.id)


@resource("iam.virtual_mfa_device", depends_on=["iam.user"], is_global=True)
class VirtualMFADevice(_Iam):
    def list(self) -> Iterator[Item]:
        for device in self.each("list_virtual_mfa_devices", "VirtualMFADevices"):
            user = device.get("User") or {}
            root = user.get("Arn", "").endswith(":root")
            yield Item(
                id=device["SerialNumber"],
                name=device["SerialNumber"].split("/", 1)[-1],
                tags=tags_of(device.get("Tags")),
                created=device.get("EnableDate"),
                extra={"user": "" if root else user.get("UserName", "")},
                protected="the root user's MFA device" if root else "",
            )

    def prepare(self, item: Item) -> None:
        if item.extra.get("user"):
            self.client.deactivate_mfa_device(UserName=item.extra["user"], SerialNumber=item.id)

    def delete(self, item: Item) -> None:
        self.client.delete_virtual_mfa_device(SerialNumber=item.id)
