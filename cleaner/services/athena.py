"""Athena: workgroups (with their named queries and prepared statements) and data catalogs.

Every region has a "primary" workgroup and an "AwsDataCatalog" catalog (the Glue Data Catalog)
that AWS made and that cannot be deleted: both are marked protected.
"""

from __future__ import annotations

from collections.abc import Iterator

from botocore.exceptions import ClientError

from cleaner.registry import Deleting, Listed, Listing, resource
from cleaner.services.cloud9 import not_offered

# The workgroup every account has in every region; DeleteWorkGroup refuses it.
PRIMARY_WORKGROUP = "primary"
# The Glue Data Catalog as Athena shows it: AWS's, in every region.
GLUE_CATALOG = "AwsDataCatalog"


@resource("athena.workgroup")
class Workgroup(Listed):
    listing = Listing(
        operation="list_work_groups",
        items="WorkGroups",
        id="Name",
        created="CreationTime",
    )
    # Recursive: the workgroup's named queries and prepared statements go with it.
    deleting = Deleting(operation="delete_work_group", args={"WorkGroup": "id"}, fixed={"RecursiveDeleteOption": True})

    def pages(self) -> Iterator[dict]:
        # No paginator for ListWorkGroups.
        params: dict = {}
        while True:
            try:
                page = self.client.list_work_groups(**params)
            except ClientError as error:
                if not_offered(error):
                    # moto answers botocore's Athena protocol so: the engine reports it as not offered.
                    raise NotImplementedError("Athena is not offered by this endpoint") from error
                raise
            yield page
            if not page.get("NextToken"):
                return
            params["NextToken"] = page["NextToken"]

    def protect(self, raw: dict) -> str:
        return "the region's primary workgroup, made by AWS" if raw.get("Name") == PRIMARY_WORKGROUP else ""


@resource("athena.data_catalog")
class DataCatalog(Listed):
    listing = Listing(
        operation="list_data_catalogs",
        items="DataCatalogsSummary",
        id="CatalogName",
        state="Status",
        gone=frozenset({"DELETE_COMPLETE"}),
        going=frozenset({"DELETE_IN_PROGRESS"}),
        extra={"type": "Type"},
    )
    deleting = Deleting(operation="delete_data_catalog", args={"Name": "id"})

    def pages(self) -> Iterator[dict]:
        try:
            yield from super().pages()
        except ClientError as error:
            if not_offered(error):
                raise NotImplementedError("Athena is not offered by this endpoint") from error
            raise

    def protect(self, raw: dict) -> str:
        # Reserved: no one else can make a catalog of that name.
        return "the Glue Data Catalog, made by AWS" if raw.get("CatalogName") == GLUE_CATALOG else ""
