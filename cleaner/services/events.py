"""EventBridge: rules on every event bus, the custom buses, and Scheduler schedules and groups.

Rules that an AWS service manages (ManagedBy is set) belong to that service and go with what
made them: reported as protected. What the Organization's StackSets deployed (Control Tower's
rules) is told by the stack's aws:cloudformation:stack-id tag (cleaner.safety.Protection).
"""

from __future__ import annotations

from cleaner.registry import Item, Resource, resource, tags_of

DEFAULT = "default"
# RemoveTargets takes at most this many target ids.
TARGET_BATCH = 100


class _Buses(Resource):
    def buses(self):
        # ListEventBuses has no paginator.
        token = None
        while True:
            page = self.client.list_event_buses(**({"NextToken": token} if token else {}))
            yield from page.get("EventBuses", [])
            token = page.get("NextToken")
            if not token:
                return


@resource("events.rule")
class Rule(_Buses):
    def list(self):
        for bus in self.buses():
            for page in self.client.get_paginator("list_rules").paginate(EventBusName=bus["Name"]):
                for rule in page["Rules"]:
                    name, managed_by = rule["Name"], rule.get("ManagedBy")
                    protected = f"managed by {managed_by}" if managed_by else ""
                    # A managed rule's tags are its service's business (and it stays anyway).
                    tags = (
                        None if protected else self.client.list_tags_for_resource(ResourceARN=rule["Arn"]).get("Tags")
                    )
                    # Rules keep no creation time.
                    yield Item(
                        id=rule["Arn"],
                        name=name if bus["Name"] == DEFAULT else f"{bus['Name']}/{name}",
                        tags=tags_of(tags),
                        extra={"rule": name, "bus": bus["Name"]},
                        protected=protected,
                    )

    def delete(self, item):
        # AWS refuses to delete a rule that still has targets.
        rule, bus = item.extra["rule"], item.extra["bus"]
        pages = self.client.get_paginator("list_targets_by_rule").paginate(Rule=rule, EventBusName=bus)
        ids = [target["Id"] for page in pages for target in page["Targets"]]
        for start in range(0, len(ids), TARGET_BATCH):
            answer = self.client.remove_targets(Rule=rule, EventBusName=bus, Ids=ids[start : start + TARGET_BATCH])
            if answer.get("FailedEntryCount"):
                failure = answer["FailedEntries"][0]
                raise RuntimeError(f"EventBridge kept target {failure.get('TargetId')}: {failure.get('ErrorMessage')}")
        self.client.delete_rule(Name=rule, EventBusName=bus)


@resource("events.event_bus", depends_on=["events.rule"])
class EventBus(_Buses):
    """Custom and partner event buses; every account's default bus stays."""

    def list(self):
        for bus in self.buses():
            if bus["Name"] == DEFAULT:
                continue
            yield Item(
                id=bus["Name"],
                name=bus["Name"],
                tags=tags_of(self.client.list_tags_for_resource(ResourceARN=bus["Arn"]).get("Tags")),
                created=bus.get("CreationTime"),
            )

    def delete(self, item):
        self.client.delete_event_bus(Name=item.id)


@resource("scheduler.schedule")
class Schedule(Resource):
    def list(self):
        # Without a GroupName, ListSchedules lists the schedules of every group.
        for page in self.client.get_paginator("list_schedules").paginate():
            for schedule in page["Schedules"]:
                group = schedule.get("GroupName", DEFAULT)
                # Schedules take no tags (their groups do).
                yield Item(
                    id=schedule["Arn"],
                    name=schedule["Name"] if group == DEFAULT else f"{group}/{schedule['Name']}",
                    created=schedule.get("CreationDate"),
                    extra={"schedule": schedule["Name"], "group": group},
                )

    def delete(self, item):
        self.client.delete_schedule(Name=item.extra["schedule"], GroupName=item.extra["group"])


# Deleting a group deletes its schedules too, but asynchronously and silently; deleting the
# schedules first makes each one show in the run's record.
@resource("scheduler.schedule_group", depends_on=["scheduler.schedule"])
class ScheduleGroup(Resource):
    def list(self):
        for page in self.client.get_paginator("list_schedule_groups").paginate():
            for group in page["ScheduleGroups"]:
                if group["Name"] == DEFAULT:
                    continue  # every account has it and it cannot be deleted
                yield Item(
                    id=group["Name"],
                    name=group["Name"],
                    tags=tags_of(self.client.list_tags_for_resource(ResourceArn=group["Arn"]).get("Tags")),
                    created=group.get("CreationDate"),
                    extra={"state": group.get("State")},
                )

    def delete(self, item):
        if item.extra.get("state") == "DELETING":
            return
        self.client.delete_schedule_group(Name=item.id)
