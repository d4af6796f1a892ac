"""Systems Manager's automation: the account's own documents, the State Manager associations that
apply them to instances, and maintenance windows (their targets and tasks go with them)."""

from __future__ import annotations

from cleaner.registry import Deleting, Listed, Listing, resource


@resource("ssm.association")
class Association(Listed):
    # Applies a document to instances on a schedule: it names its document, which waits for it.
    listing = Listing(
        "list_associations",
        "Associations",
        id="AssociationId",
        name="AssociationName || Name",
        created="LastExecutionDate",
    )
    deleting = Deleting("delete_association", {"AssociationId": "id"})


@resource("ssm.maintenance_window")
class MaintenanceWindow(Listed):
    listing = Listing("describe_maintenance_windows", "WindowIdentities", id="WindowId", name="Name")
    deleting = Deleting("delete_maintenance_window", {"WindowId": "id"})


@resource("ssm.document", depends_on=["ssm.association"])
class Document(Listed):
    """Documents the account made; AWS's own (and those others share with it) are not listed."""

    listing = Listing(
        "list_documents",
        "DocumentIdentifiers",
        id="Name",
        created="CreatedDate",
        tags="Tags",
        params={"Filters": [{"Key": "Owner", "Values": ["Self"]}]},
    )
    # Force: some document types (ApplicationConfigurationSchema) are refused without it.
    deleting = Deleting("delete_document", {"Name": "id"}, fixed={"Force": True})

    def protect(self, raw):
        owner = raw.get("Owner")
        return f"owned by {owner}" if owner and owner != self.context.account_id else ""

    def prepare(self, item):
        # AWS refuses to delete a document still shared with other accounts (or the public, "all").
        shared = self.client.describe_document_permission(Name=item.id, PermissionType="Share").get("AccountIds")
        if shared:
            self.client.modify_document_permission(Name=item.id, PermissionType="Share", AccountIdsToRemove=shared)
