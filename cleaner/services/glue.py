"""Glue: the Data Catalog's databases and tables, crawlers, jobs, triggers, workflows, connections,
development endpoints and interactive sessions.

A database takes its tables with it, but tables are listed (and deleted first) too, so a report
shows what was in the catalog. The catalog itself is AWS's and never listed. A running crawler or
session must be stopped before it can be deleted.
"""

from __future__ import annotations

from collections.abc import Iterator

from cleaner.registry import Deleting, Item, Listed, Listing, resource


@resource("glue.table")
class Table(Listed):
    listing = Listing(operation="get_databases", items="DatabaseList", id="Name")

    def list(self) -> Iterator[Item]:
        for database in self.raw_items():
            # A resource link points at another account's database: its tables are not this account's.
            if database.get("TargetDatabase"):
                continue
            pages = self.client.get_paginator("get_tables").paginate(DatabaseName=database["Name"])
            for page in pages:
                for table in page["TableList"]:
                    yield Item(
                        id=f"{database['Name']}/{table['Name']}",
                        name=f"{database['Name']}.{table['Name']}",
                        created=table.get("CreateTime"),
                        extra={"database": database["Name"], "table": table["Name"]},
                    )

    def delete(self, item: Item) -> None:
        self.client.delete_table(DatabaseName=item.extra["database"], Name=item.extra["table"])


@resource("glue.database", depends_on=["glue.table"])
class Database(Listed):
    listing = Listing(operation="get_databases", items="DatabaseList", id="Name", created="CreateTime")
    deleting = Deleting(operation="delete_database", args={"Name": "id"})


@resource("glue.crawler")
class Crawler(Listed):
    gone_within = 120.0
    listing = Listing(
        operation="get_crawlers",
        items="Crawlers",
        id="Name",
        created="CreationTime",
        state="State",
    )
    deleting = Deleting(operation="delete_crawler", args={"Name": "id"})

    def prepare(self, item: Item) -> None:
        # A running crawler is refused deletion; stopping takes a while (STOPPING), during which the
        # delete is refused and the next scan asks again.
        if item.extra.get("state") == "RUNNING":
            self.client.stop_crawler(Name=item.id)


@resource("glue.trigger")
class Trigger(Listed):
    listing = Listing(
        operation="get_triggers",
        items="Triggers",
        id="Name",
        state="State",
        going=frozenset({"DELETING"}),
    )
    deleting = Deleting(operation="delete_trigger", args={"Name": "id"})


# Triggers may start jobs and belong to workflows: they go first, so nothing starts a job mid-sweep.
@resource("glue.job", depends_on=["glue.trigger"])
class Job(Listed):
    listing = Listing(operation="get_jobs", items="Jobs", id="Name", created="CreatedOn")
    deleting = Deleting(operation="delete_job", args={"JobName": "id"})


@resource("glue.workflow", depends_on=["glue.trigger"])
class Workflow(Listed):
    listing = Listing(operation="list_workflows", items="Workflows", id="@")
    deleting = Deleting(operation="delete_workflow", args={"Name": "id"})


@resource("glue.connection")
class Connection(Listed):
    listing = Listing(
        operation="get_connections",
        items="ConnectionList",
        id="Name",
        created="CreationTime",
        params={"HidePassword": True},
    )
    deleting = Deleting(operation="delete_connection", args={"ConnectionName": "id"})


@resource("glue.dev_endpoint")
class DevEndpoint(Listed):
    in_vpc = True  # its network interfaces sit in the VPC's subnets
    gone_within = 300.0
    listing = Listing(
        operation="get_dev_endpoints",
        items="DevEndpoints",
        id="EndpointName",
        created="CreatedTimestamp",
        state="Status",
        going=frozenset({"TERMINATING"}),
    )
    deleting = Deleting(operation="delete_dev_endpoint", args={"EndpointName": "id"})


@resource("glue.session")
class Session(Listed):
    listing = Listing(
        operation="list_sessions",
        items="Sessions",
        id="Id",
        created="CreatedOn",
        state="Status",
        going=frozenset({"STOPPING"}),
    )
    deleting = Deleting(operation="delete_session", args={"Id": "id"})

    def pages(self) -> Iterator[dict]:
        # No paginator for ListSessions.
        params: dict = {}
        while True:
            page = self.client.list_sessions(**params)
            yield page
            if not page.get("NextToken"):
                return
            params["NextToken"] = page["NextToken"]

    def prepare(self, item: Item) -> None:
        # A session that is still up is refused deletion. Stopping takes a moment (STOPPING, not deleted
        # twice): a refused delete is recorded and the next scan asks again.
        if item.extra.get("state") in {"PROVISIONING", "READY"}:
            self.client.stop_session(Id=item.id)
