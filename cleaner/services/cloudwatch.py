"""CloudWatch: alarms (composite ones first, since they refer to metric alarms) and dashboards."""

from __future__ import annotations

from cleaner.registry import Item, Resource, resource, tags_of


class _Alarms(Resource):
    alarm_type = ""  # "CompositeAlarm" or "MetricAlarm"

    def list(self):
        pages = self.client.get_paginator("describe_alarms").paginate(AlarmTypes=[self.alarm_type])
        for page in pages:
            for alarm in page[f"{self.alarm_type}s"]:
                tags = self.client.list_tags_for_resource(ResourceARN=alarm["AlarmArn"]).get("Tags")
                yield Item(
                    id=alarm["AlarmName"],
                    name=alarm["AlarmName"],
                    tags=tags_of(tags),
                    # Alarms keep no creation time: the last change is the nearest they have.
                    created=alarm.get("AlarmConfigurationUpdatedTimestamp"),
                )

    def delete(self, item):
        self.client.delete_alarms(AlarmNames=[item.id])


@resource("cloudwatch.composite_alarm")
class CompositeAlarm(_Alarms):
    # A composite alarm that another composite alarm's rule names is refused until that one is
    # gone; the re-scan deletes such nested ones on a later pass.
    alarm_type = "CompositeAlarm"


@resource("cloudwatch.metric_alarm", depends_on=["cloudwatch.composite_alarm"])
class MetricAlarm(_Alarms):
    # AWS refuses to delete a metric alarm that a composite alarm's rule still names.
    alarm_type = "MetricAlarm"


@resource("cloudwatch.dashboard")
class Dashboard(Resource):
    def list(self):
        for page in self.client.get_paginator("list_dashboards").paginate():
            for dashboard in page["DashboardEntries"]:
                yield Item(
                    id=dashboard["DashboardName"],
                    name=dashboard["DashboardName"],
                    created=dashboard.get("LastModified"),
                )

    def delete(self, item):
        self.client.delete_dashboards(DashboardNames=[item.id])
