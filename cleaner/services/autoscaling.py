"""EC2 Auto Scaling: groups and launch configurations."""

from __future__ import annotations

from collections.abc import Iterator

from cleaner.registry import Item, Resource, resource, tags_of


@resource("autoscaling.group", depends_on=["eks.nodegroup"])
class AutoScalingGroup(Resource):
    # EKS deletes the groups of its managed node groups itself; deleting one under it would leave
    # the node group broken instead of gone.
    def list(self) -> Iterator[Item]:
        for page in self.client.get_paginator("describe_auto_scaling_groups").paginate():
            for group in page["AutoScalingGroups"]:
                if group.get("Status") == "Delete in progress":
                    continue  # on its way out: counts as gone
                tags = tags_of(group.get("Tags"))
                yield Item(
                    id=group["AutoScalingGroupName"],
                    name=group["AutoScalingGroupName"],
                    tags=tags,
                    created=group.get("CreatedTime"),
                )

    def delete(self, item: Item) -> None:
        # At zero capacity the group stops launching replacements while its instances terminate;
        # ForceDelete terminates them (scale-in protection included) instead of refusing.
        self.client.update_auto_scaling_group(AutoScalingGroupName=item.id, MinSize=0, MaxSize=0, DesiredCapacity=0)
        self.client.delete_auto_scaling_group(AutoScalingGroupName=item.id, ForceDelete=True)


@resource("autoscaling.launch_configuration", depends_on=["autoscaling.group"])
class LaunchConfiguration(Resource):
    # AWS refuses to delete a launch configuration a group still uses.

    def list(self) -> Iterator[Item]:
        for page in self.client.get_paginator("describe_launch_configurations").paginate():
            for configuration in page["LaunchConfigurations"]:
                name = configuration["LaunchConfigurationName"]
                yield Item(id=name, name=name, created=configuration.get("CreatedTime"))

    def delete(self, item: Item) -> None:
        self.client.delete_launch_configuration(LaunchConfigurationName=item.id)
