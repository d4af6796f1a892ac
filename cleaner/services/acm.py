"""ACM certificates and ACM Private CAs (regional).

ListCertificates returns only RSA-2048 certificates unless asked for every key type, so it is asked.
A certificate still used by a load balancer, a CloudFront distribution or an API is refused
(ResourceInUseException): it waits for its users' deletion and goes on a later scan.

A private CA must be disabled before it can be deleted; deletion then keeps it restorable for at
least seven days (the shortest AWS allows), in state DELETED, which is no CA any more: not listed.
"""

from __future__ import annotations

from collections.abc import Iterator

from cleaner.registry import Item, Resource, resource, tags_of

KEY_TYPES = [
    "RSA_1024",
    "RSA_2048",
    "RSA_3072",
    "RSA_4096",
    "EC_prime256v1",
    "EC_secp384r1",
    "EC_secp521r1",
]


# A load balancer's listeners hold their certificates: the balancers of the region go first, which
# spares a refusal per certificate (other users — API domains, CloudFront — are waited for by re-scans).
@resource("acm.certificate", depends_on=["elbv2.load_balancer"])
class Certificate(Resource):
    def list(self) -> Iterator[Item]:
        pages = self.client.get_paginator("list_certificates").paginate(Includes={"keyTypes": KEY_TYPES})
        for page in pages:
            for summary in page["CertificateSummaryList"]:
                yield Item(
                    id=summary["CertificateArn"],
                    name=summary.get("DomainName", ""),
                    created=summary.get("CreatedAt"),
                    extra={"arn": summary["CertificateArn"], "in_use": summary.get("InUse", False)},
                )

    def delete(self, item: Item) -> None:
        self.client.delete_certificate(CertificateArn=item.id)


@resource("acm-pca.certificate_authority")
class CertificateAuthority(Resource):
    iam_prefix = "acm-pca"
    # Restorable for this many days after deletion, then gone for good: AWS's minimum.
    PERMANENT_DELETION_DAYS = 7

    def list(self) -> Iterator[Item]:
        for page in self.client.get_paginator("list_certificate_authorities").paginate():
            for ca in page["CertificateAuthorities"]:
                if ca.get("Status") == "DELETED":
                    continue
                subject = ca.get("CertificateAuthorityConfiguration", {}).get("Subject", {})
                tags = self.client.list_tags(CertificateAuthorityArn=ca["Arn"]).get("Tags")
                yield Item(
                    id=ca["Arn"],
                    name=subject.get("CommonName", "") or ca["Arn"].rsplit("/", 1)[-1],
                    tags=tags_of(tags),
                    created=ca.get("CreatedAt"),
                    extra={"arn": ca["Arn"], "status": ca.get("Status")},
                )

    def prepare(self, item: Item) -> None:
        # Only an ACTIVE CA is disabled first; one pending its certificate, failed or expired may be deleted as is.
        if item.extra.get("status") == "ACTIVE":
            self.client.update_certificate_authority(CertificateAuthorityArn=item.id, Status="DISABLED")

    def delete(self, item: Item) -> None:
        self.client.delete_certificate_authority(
            CertificateAuthorityArn=item.id, PermanentDeletionTimeInDays=self.PERMANENT_DELETION_DAYS
        )
