"""AWS Config: conformance packs, rules, then the configuration recorder and its delivery channel;
aggregators and the retention setting.

A recorder is stopped before it is deleted, and a delivery channel is refused while a recorder
runs. Never touched, by what they are: service-linked recorders (made by another service, which
owns them: ServicePrincipal set), and rules and conformance packs that another service or the
Organization deployed (CreatedBy set: Security Hub's controls, a conformance pack's own rules,
organization rules and packs); these go with what made them. Nor what a stack the cleaner keeps
made (Control Tower's baseline recorder, channel and detective controls: see _stacks.py).
"""

from __future__ import annotations

from collections.abc import Iterator

from cleaner.registry import Item, Resource, resource
from cleaner.services._stacks import owning_stack


def made_by(raw: dict) -> str:
    creator = raw.get("CreatedBy")
    return f"made by {creator}, goes with it" if creator else ""


@resource("config.conformance_pack")
class ConformancePack(Resource):
    def list(self) -> Iterator[Item]:
        for page in self.client.get_paginator("describe_conformance_packs").paginate():
            for pack in page.get("ConformancePackDetails", ()):
                yield Item(
                    id=pack["ConformancePackName"],
                    name=pack["ConformancePackName"],
                    created=pack.get("LastUpdateRequestedTime"),
                    extra={"arn": pack.get("ConformancePackArn")},
                    protected=made_by(pack),
                )

    def delete(self, item: Item) -> None:
        self.client.delete_conformance_pack(ConformancePackName=item.id)


# A pack's rules carry CreatedBy and go with it; the pack first spares a refusal on its rules.
@resource("config.rule", depends_on=["config.conformance_pack"])
class Rule(Resource):
    def __init__(self, context):
        super().__init__(context)
        # Which stack made a rule does not change during a sweep, and Control Tower brings dozens.
        self.made_by_stack: dict[str, str] = {}

    def list(self) -> Iterator[Item]:
        for page in self.client.get_paginator("describe_config_rules").paginate():
            for rule in page.get("ConfigRules", ()):
                name = rule["ConfigRuleName"]
                protected = made_by(rule)
                if not protected and name not in self.made_by_stack:
                    self.made_by_stack[name] = owning_stack(self.context, name)
                yield Item(
                    id=name,
                    name=name,
                    extra={
                        "arn": rule.get("ConfigRuleArn"),
                        "state": rule.get("ConfigRuleState"),
                        "stack_id": self.made_by_stack.get(name, ""),
                    },
                    protected=protected,
                )

    def delete(self, item: Item) -> None:
        if item.extra.get("state") == "DELETING":
            return  # AWS is at it: listed until it is gone, never asked twice
        self.client.delete_config_rule(ConfigRuleName=item.id)


@resource("config.configuration_recorder", depends_on=["config.rule", "config.conformance_pack"])
class ConfigurationRecorder(Resource):
    def list(self) -> Iterator[Item]:
        for recorder in self.client.describe_configuration_recorders().get("ConfigurationRecorders", ()):
            principal = recorder.get("ServicePrincipal")
            yield Item(
                id=recorder["name"],
                name=recorder["name"],
                extra={
                    "arn": recorder.get("arn"),
                    "stack_id": "" if principal else owning_stack(self.context, recorder["name"]),
                },
                protected=f"service-linked recorder of {principal}" if principal else "",
            )

    def prepare(self, item: Item) -> None:
        self.client.stop_configuration_recorder(ConfigurationRecorderName=item.id)

    def delete(self, item: Item) -> None:
        self.client.delete_configuration_recorder(ConfigurationRecorderName=item.id)


@resource("config.delivery_channel", depends_on=["config.configuration_recorder"])
class DeliveryChannel(Resource):
    def list(self) -> Iterator[Item]:
        for channel in self.client.describe_delivery_channels().get("DeliveryChannels", ()):
            yield Item(
                id=channel["name"],
                name=channel["name"],
                extra={"bucket": channel.get("s3BucketName"), "stack_id": owning_stack(self.context, channel["name"])},
            )

    def delete(self, item: Item) -> None:
        self.client.delete_delivery_channel(DeliveryChannelName=item.id)


@resource("config.aggregator")
class Aggregator(Resource):
    """An aggregator gathers other accounts' and regions' Config data into this one."""

    def list(self) -> Iterator[Item]:
        for page in self.client.get_paginator("describe_configuration_aggregators").paginate():
            for aggregator in page.get("ConfigurationAggregators", ()):
                name = aggregator["ConfigurationAggregatorName"]
                yield Item(
                    id=name,
                    name=name,
                    created=aggregator.get("CreationTime"),
                    extra={"arn": aggregator.get("ConfigurationAggregatorArn")},
                    protected=made_by(aggregator),
                )

    def delete(self, item: Item) -> None:
        self.client.delete_configuration_aggregator(ConfigurationAggregatorName=item.id)


@resource("config.retention_configuration")
class RetentionConfiguration(Resource):
    """How long Config keeps its history: an attendee's setting, which would outlive the recorder."""

    def list(self) -> Iterator[Item]:
        for page in self.client.get_paginator("describe_retention_configurations").paginate():
            for configuration in page.get("RetentionConfigurations", ()):
                yield Item(id=configuration["Name"], name=configuration["Name"])

    def delete(self, item: Item) -> None:
        self.client.delete_retention_configuration(RetentionConfigurationName=item.id)
