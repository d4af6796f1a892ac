"""DynamoDB: tables (deletion protection switched off first) and on-demand backups."""

from __future__ import annotations

from cleaner.registry import Item, Resource, resource, tags_of


@resource("dynamodb.table")
class Table(Resource):
    def list(self):
        for page in self.client.get_paginator("list_tables").paginate():
            for name in page["TableNames"]:
                table = self.client.describe_table(TableName=name)["Table"]
                tags = self.client.list_tags_of_resource(ResourceArn=table["TableArn"]).get("Tags")
                yield Item(
                    id=name,
                    name=name,
                    tags=tags_of(tags),
                    created=table.get("CreationDateTime"),
                    extra={
                        "status": table.get("TableStatus"),
                        "deletion_protection": table.get("DeletionProtectionEnabled", False),
                    },
                )

    def prepare(self, item):
        if item.extra.get("deletion_protection"):
            self.client.update_table(TableName=item.id, DeletionProtectionEnabled=False)

    def delete(self, item):
        if item.extra.get("status") == "DELETING":
            return  # still listed until AWS is done; the re-scan waits
        self.client.delete_table(TableName=item.id)


@resource("dynamodb.backup")
class Backup(Resource):
    """On-demand backups outlive their table and are billed until deleted."""

    def list(self):
        # System backups (AWS Backup's, and those DynamoDB takes when a table is deleted with
        # one requested) are AWS's to manage.
        for page in self.client.get_paginator("list_backups").paginate(BackupType="USER"):
            for backup in page["BackupSummaries"]:
                if backup.get("BackupStatus") == "DELETED":
                    continue
                yield Item(
                    id=backup["BackupArn"],
                    name=f"{backup['TableName']}/{backup['BackupName']}",
                    created=backup.get("BackupCreationDateTime"),
                )

    def delete(self, item):
        self.client.delete_backup(BackupArn=item.id)
