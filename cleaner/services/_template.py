"""TEMPLATE — copy this file to cleaner/services/<service>.py to teach the cleaner a new AWS service.

Modules whose name starts with "_" are never imported, so this one stays out of every sweep.
What the engine does for you, so a module does not: the safety gates (protected names, AWS-managed
things, the user's tag/name/age filters), dry runs, ordering by `depends_on`, re-scanning until
two clean scans, pacing every call per account/region/API class (cleaner/context.py), adaptive
retries, catching each item's errors ("NotFound"-style errors on delete count as already gone),
and recording everything. A module only says how to list and how to delete.

Checklist for a new module:
  1. One @resource per kind of thing, named "<boto3 service>.<kind>" ("sqs.queue").
  2. list() yields every item, paginated; a quick listing matters: it runs on every scan.
  3. delete() deletes one item; prepare() first makes it deletable (protection off, emptied …).
     Where AWS deletes many in one call, also delete_many() and batch_size (see ssm.py): each item
     still gets its own result, and a batch that fails as a whole is retried one item at a time.
  4. depends_on names the types that must be gone before this one can go.
  5. is_global=True for account-wide services (IAM, …): swept once per account, from us-east-1.
  6. Mark what must never be deleted with Item(protected="why") — default VPC parts, AWS-made objects.
  7. A test in tests/cleaner/test_services_<service>.py with moto: list finds it, delete removes it.
"""

from __future__ import annotations

from collections.abc import Iterator

from cleaner.registry import Item, Resource, resource, tags_of

# --- A regional type with tags, paginated listing and a dependency -----------------------------------
# Example: a made-up "widget" service whose widgets sit in "widget groups".


@resource("widget.widget")
class Widget(Resource):
    # self.client is a paced, cached boto3 client for this (account, region): context.client(service).
    # How many of these one sweep deletes at once; 1 where the API refuses concurrent changes.
    parallel_deletes = 4

    def list(self) -> Iterator[Item]:
        # Paginate whenever boto3 can: an unpaginated Describe* may count against a smaller bucket,
        # and a first page alone would leave the rest behind.
        for page in self.client.get_paginator("list_widgets").paginate():
            for widget in page["Widgets"]:
                yield Item(
                    id=widget["WidgetId"],  # what delete() needs; unique within the type
                    name=widget.get("Name", ""),  # shown on the report, matched by --name/--keep-name
                    # Tags as a dict; tags_of() turns AWS's [{"Key":…, "Value":…}] into one, and takes
                    # other spellings: tags_of(pairs, key="key", value="value").
                    tags=tags_of(widget.get("Tags")),
                    created=widget.get("CreatedAt"),  # a datetime, for --older-than; None if unknown
                    # What delete() needs beyond the id; "arn" is also checked against protected ARNs,
                    # and "roles" (role names the item belongs to) against the portal's access role.
                    extra={"arn": widget["Arn"], "group": widget["GroupId"]},
                    # Things AWS made for the account: listed (the report shows them) but never deleted.
                    protected="made by AWS" if widget.get("Managed") else "",
                )

    def prepare(self, item: Item) -> None:
        # Called right before delete(): switch off deletion protection, detach, empty. Keep it idempotent:
        # a sweep may be interrupted and run again.
        if self.client.describe_widget(WidgetId=item.id)["DeletionProtection"]:
            self.client.update_widget(WidgetId=item.id, DeletionProtection=False)

    def delete(self, item: Item) -> None:
        # Raise on failure (botocore does): the engine records the error against the item and tries
        # again on the next scan. A delete that only starts the deletion is fine: re-listing shows
        # whether it finished, and the dependants wait for the next scan.
        self.client.delete_widget(WidgetId=item.id)


@resource("widget.group", depends_on=["widget.widget"])
class WidgetGroup(Resource):
    # Widgets must be gone before their group: the engine deletes widgets first in each scan, and
    # starts on groups as soon as the widgets' deletes are done, while unrelated types go on.

    def list(self) -> Iterator[Item]:
        for page in self.client.get_paginator("list_widget_groups").paginate():
            for group in page["Groups"]:
                # A default group that AWS keeps in every region: marked, so it is never deleted.
                protected = "the region's default widget group" if group.get("IsDefault") else ""
                yield Item(id=group["GroupId"], name=group["Name"], protected=protected)

    def delete(self, item: Item) -> None:
        self.client.delete_widget_group(GroupId=item.id)


# --- A global type --------------------------------------------------------------------------------------
# Account-wide services are listed once per account (the engine sweeps them from us-east-1 in a
# target of their own): never once per region.


@resource("widgetdirectory.user", is_global=True)
class DirectoryUser(Resource):
    # The boto3 service name, when it differs from the part of the type name before the dot.
    service = "widget-directory"

    def list(self) -> Iterator[Item]:
        for page in self.client.get_paginator("list_users").paginate():
            for user in page["Users"]:
                yield Item(id=user["UserName"], name=user["UserName"], created=user.get("CreateDate"))

    def delete(self, item: Item) -> None:
        self.client.delete_user(UserName=item.id)
