"""Systems Manager: Parameter Store parameters (deleted ten at a time), the account's own documents,
State Manager associations and maintenance windows."""

from __future__ import annotations

from cleaner.registry import Deleting, Item, Listed, Listing, Resource, resource, tags_of

# DeleteParameters takes at most this many names.
DELETE_BATCH = 10


@resource("ssm.parameter")
class Parameter(Resource):
    batch_size = DELETE_BATCH

    def list(self):
        for page in self.client.get_paginator("describe_parameters").paginate():
            for parameter in page["Parameters"]:
                name = parameter["Name"]
                tags = self.client.list_tags_for_resource(ResourceType="Parameter", ResourceId=name).get("TagList")
                yield Item(
                    id=name,
                    name=name,
                    tags=tags_of(tags),
                    # Parameters keep no creation time: the last change is the nearest they have.
                    created=parameter.get("LastModifiedDate"),
                )

    def delete(self, item):
        self.client.delete_parameter(Name=item.id)

    def delete_many(self, items):
        """Delete parameters in a tenth of the calls; the error of each one that was not deleted, by name."""
        refused: dict[str, Exception] = {}
        for start in range(0, len(items), DELETE_BATCH):
            batch = items[start : start + DELETE_BATCH]
            answer = self.client.delete_parameters(Names=[item.id for item in batch])
            # DeleteParameters names what it did not delete without saying why (most often: gone
            # meanwhile). Asked alone, AWS says: ParameterNotFound (gone, fine) or the real refusal.
            invalid = set(answer.get("InvalidParameters") or ())
            for item in batch:
                if item.id in invalid:
                    try:
                        self.delete(item)
                    except Exception as error:
                        refused[item.id] = error
        return refused


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
    # Its targets and tasks go with it.
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
