"""EC2's other billable corners: capacity reservations, dedicated hosts, placement groups, Client
VPN endpoints, VPC flow logs and VPC endpoint services.

An endpoint service holds its network or gateway load balancers: AWS refuses to delete a load
balancer an endpoint service still uses, so elbv2.load_balancer should wait for
ec2.vpc_endpoint_service (the service itself waits for nothing but the account's own endpoints).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from cleaner.registry import Item, NotYet, Resource, resource
from cleaner.services.ec2 import describe, raise_unsuccessful, tagged, unless

GONE_RESERVATIONS = frozenset({"cancelled", "expired", "failed", "unsupported"})
GONE_HOSTS = frozenset({"released", "released-permanent-failure"})
# Client VPN target networks still holding the endpoint.
ASSOCIATED = frozenset({"associating", "associated"})
# Endpoint connections the service owner can refuse.
CONNECTED = frozenset({"pendingAcceptance", "pending", "available"})


def utc_text(when: str | None) -> datetime | None:
    """Client VPN gives its times as "2026-12-08 10:00:00", in UTC and without saying so."""
    if not when:
        return None
    return datetime.fromisoformat(when).replace(tzinfo=UTC)


@resource("ec2.capacity_reservation")
class CapacityReservation(Resource):
    # Cancelling stops the billing; a cancelled reservation stays listed a while, as AWS's record.

    def list(self) -> Iterator[Item]:
        for reservation in describe(self.client, "describe_capacity_reservations", "CapacityReservations"):
            if reservation.get("State") in GONE_RESERVATIONS:
                continue
            yield tagged(
                reservation,
                "CapacityReservationId",
                reservation.get("CreateDate"),
                untagged=reservation.get("InstanceType", ""),
                extra={"kind": reservation.get("ReservationType"), "ends": reservation.get("EndDate")},
            )

    def delete(self, item: Item) -> None:
        # A Capacity Block is bought for its whole term: AWS refuses to cancel it.
        if item.extra.get("kind") == "capacity-block" and isinstance(item.extra.get("ends"), datetime):
            raise NotYet(item.extra["ends"], "a Capacity Block cannot be cancelled before its end")
        self.client.cancel_capacity_reservation(CapacityReservationId=item.id)


@resource("ec2.dedicated_host", depends_on=["ec2.instance"])
class DedicatedHost(Resource):
    # AWS refuses to release a host that still runs instances.

    def list(self) -> Iterator[Item]:
        for host in describe(self.client, "describe_hosts", "Hosts"):
            if host.get("State") not in GONE_HOSTS:
                kind = host.get("HostProperties", {}).get("InstanceType", "")
                yield tagged(host, "HostId", host.get("AllocationTime"), untagged=kind)

    def delete(self, item: Item) -> None:
        raise_unsuccessful(self.client.release_hosts(HostIds=[item.id]), "Unsuccessful", "ReleaseHosts")


@resource("ec2.placement_group", depends_on=["ec2.instance"])
class PlacementGroup(Resource):
    # AWS refuses to delete a group that still has instances. DescribePlacementGroups has no pages.

    def list(self) -> Iterator[Item]:
        for group in self.client.describe_placement_groups().get("PlacementGroups", ()):
            state = group.get("State")
            if state == "deleted":
                continue
            yield tagged(group, "GroupName", name=group["GroupName"], extra={"state": state})

    def delete(self, item: Item) -> None:
        if item.extra.get("state") == "deleting":
            return
        self.client.delete_placement_group(GroupName=item.id)


@resource("ec2.client_vpn_endpoint")
class ClientVpnEndpoint(Resource):
    in_vpc = True  # its network interfaces sit in the VPC's subnets

    def list(self) -> Iterator[Item]:
        for endpoint in describe(self.client, "describe_client_vpn_endpoints", "ClientVpnEndpoints"):
            state = (endpoint.get("Status") or {}).get("Code")
            if state == "deleted":
                continue
            yield tagged(
                endpoint,
                "ClientVpnEndpointId",
                utc_text(endpoint.get("CreationTime")),
                untagged=endpoint.get("Description", ""),
                extra={"state": state},
            )

    def prepare(self, item: Item) -> None:
        # AWS refuses to delete an endpoint with target networks still associated.
        if item.extra.get("state") == "deleting":
            return
        networks = describe(
            self.client, "describe_client_vpn_target_networks", "ClientVpnTargetNetworks", ClientVpnEndpointId=item.id
        )
        for network in networks:
            if (network.get("Status") or {}).get("Code") in ASSOCIATED:
                with unless("InvalidClientVpnAssociationId.NotFound"):
                    self.client.disassociate_client_vpn_target_network(
                        ClientVpnEndpointId=item.id, AssociationId=network["AssociationId"]
                    )

    def delete(self, item: Item) -> None:
        if item.extra.get("state") == "deleting":
            return
        self.client.delete_client_vpn_endpoint(ClientVpnEndpointId=item.id)


@resource("ec2.flow_log")
class FlowLog(Resource):
    def list(self) -> Iterator[Item]:
        for flow_log in describe(self.client, "describe_flow_logs", "FlowLogs"):
            yield tagged(flow_log, "FlowLogId", flow_log.get("CreationTime"), untagged=flow_log.get("ResourceId", ""))

    def delete(self, item: Item) -> None:
        raise_unsuccessful(self.client.delete_flow_logs(FlowLogIds=[item.id]), "Unsuccessful", "DeleteFlowLogs")


@resource("ec2.vpc_endpoint_service", depends_on=["ec2.vpc_endpoint"])
class VpcEndpointService(Resource):
    # The account's own endpoints to the service go first; others' connections are rejected.

    def list(self) -> Iterator[Item]:
        services = describe(self.client, "describe_vpc_endpoint_service_configurations", "ServiceConfigurations")
        for service in services:
            state = service.get("ServiceState")
            if state == "Deleted":
                continue
            yield tagged(service, "ServiceId", untagged=service.get("ServiceName", ""), extra={"state": state})

    def prepare(self, item: Item) -> None:
        # AWS refuses to delete a service with endpoints still connected to it.
        if item.extra.get("state") == "Deleting":
            return
        filters = [{"Name": "service-id", "Values": [item.id]}]
        connections = describe(
            self.client, "describe_vpc_endpoint_connections", "VpcEndpointConnections", Filters=filters
        )
        connected = [c["VpcEndpointId"] for c in connections if c.get("VpcEndpointState") in CONNECTED]
        if connected:
            answer = self.client.reject_vpc_endpoint_connections(ServiceId=item.id, VpcEndpointIds=connected)
            raise_unsuccessful(answer, "Unsuccessful", "RejectVpcEndpointConnections")

    def delete(self, item: Item) -> None:
        if item.extra.get("state") == "Deleting":
            return
        answer = self.client.delete_vpc_endpoint_service_configurations(ServiceIds=[item.id])
        raise_unsuccessful(answer, "Unsuccessful", "DeleteVpcEndpointServiceConfigurations")
