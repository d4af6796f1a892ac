"""What links a VPC to other networks: egress-only gateways, VPN connections and their gateways,
transit gateways with their attachments and route tables, and VPC peering connections.

AWS deletes several of these asynchronously (a VPN gateway detaching, an attachment deleting):
what is on its way out is listed as gone, and what waits for it is refused until the next scan.
"""

from __future__ import annotations

from collections.abc import Iterator

from cleaner.registry import Item, Resource, resource
from cleaner.services.ec2 import describe, tagged, unless
from cleaner.services.vpc import GOING


@resource("ec2.egress_only_internet_gateway")
class EgressOnlyInternetGateway(Resource):
    # AWS refuses to delete a VPC while one is attached; it needs no detaching of its own.

    def list(self) -> Iterator[Item]:
        for gateway in describe(self.client, "describe_egress_only_internet_gateways", "EgressOnlyInternetGateways"):
            yield tagged(gateway, "EgressOnlyInternetGatewayId")

    def delete(self, item: Item) -> None:
        self.client.delete_egress_only_internet_gateway(EgressOnlyInternetGatewayId=item.id)


@resource("ec2.vpn_connection")
class VpnConnection(Resource):
    # A connection ties a customer gateway to a virtual private gateway or a transit gateway:
    # neither can go while it is there.

    def list(self) -> Iterator[Item]:
        for connection in describe(self.client, "describe_vpn_connections", "VpnConnections"):
            if connection["State"] not in GOING:
                yield tagged(connection, "VpnConnectionId")

    def delete(self, item: Item) -> None:
        self.client.delete_vpn_connection(VpnConnectionId=item.id)


@resource("ec2.vpn_gateway", depends_on=["ec2.vpn_connection"])
class VpnGateway(Resource):
    # AWS refuses to delete a gateway still attached to a VPC. Detaching takes AWS a moment: a
    # delete refused meanwhile is asked again on the next scan.

    def list(self) -> Iterator[Item]:
        for gateway in describe(self.client, "describe_vpn_gateways", "VpnGateways"):
            if gateway["State"] in GOING:
                continue
            attachments = gateway.get("VpcAttachments") or ()
            vpcs = [a["VpcId"] for a in attachments if a.get("State") in ("attaching", "attached")]
            yield tagged(gateway, "VpnGatewayId", extra={"vpcs": vpcs})

    def delete(self, item: Item) -> None:
        for vpc in item.extra.get("vpcs") or ():
            with unless("InvalidVpnGatewayAttachment.NotFound"):
                self.client.detach_vpn_gateway(VpnGatewayId=item.id, VpcId=vpc)
        self.client.delete_vpn_gateway(VpnGatewayId=item.id)


@resource("ec2.customer_gateway", depends_on=["ec2.vpn_connection"])
class CustomerGateway(Resource):
    def list(self) -> Iterator[Item]:
        for gateway in describe(self.client, "describe_customer_gateways", "CustomerGateways"):
            if gateway["State"] not in GOING:
                yield tagged(gateway, "CustomerGatewayId", untagged=gateway.get("IpAddress", ""))

    def delete(self, item: Item) -> None:
        self.client.delete_customer_gateway(CustomerGatewayId=item.id)


@resource("ec2.transit_gateway_connect_peer")
class TransitGatewayConnectPeer(Resource):
    # A GRE tunnel from a Connect attachment to an appliance: AWS deletes the attachment only
    # once its peers are gone.

    def list(self) -> Iterator[Item]:
        for peer in describe(self.client, "describe_transit_gateway_connect_peers", "TransitGatewayConnectPeers"):
            if peer["State"] not in GOING:
                yield tagged(peer, "TransitGatewayConnectPeerId", peer.get("CreationTime"))

    def delete(self, item: Item) -> None:
        self.client.delete_transit_gateway_connect_peer(TransitGatewayConnectPeerId=item.id)


@resource("ec2.transit_gateway_connect", depends_on=["ec2.transit_gateway_connect_peer"])
class TransitGatewayConnect(Resource):
    # A Connect attachment rides on a VPC attachment (its transport), which AWS will not delete
    # while the Connect attachment is there.

    def list(self) -> Iterator[Item]:
        finished = GOING | {"failed", "rejected"}
        for connect in describe(self.client, "describe_transit_gateway_connects", "TransitGatewayConnects"):
            if connect["State"] not in finished:
                yield tagged(connect, "TransitGatewayAttachmentId", connect.get("CreationTime"))

    def delete(self, item: Item) -> None:
        self.client.delete_transit_gateway_connect(TransitGatewayAttachmentId=item.id)


@resource("ec2.transit_gateway_vpc_attachment", depends_on=["ec2.transit_gateway_connect"])
class TransitGatewayVpcAttachment(Resource):
    # An attachment puts an interface (AWS's, requester-managed) in each of its subnets: subnets
    # and VPCs wait for it (HOLDS_NETWORK_INTERFACES), and so does its transit gateway.

    def list(self) -> Iterator[Item]:
        finished = GOING | {"failed", "rejected"}  # AWS removes these itself
        for attachment in describe(
            self.client, "describe_transit_gateway_vpc_attachments", "TransitGatewayVpcAttachments"
        ):
            # moto lists every kind of attachment here: only those with a VPC are VPC attachments.
            if attachment["State"] not in finished and attachment.get("VpcId"):
                yield tagged(attachment, "TransitGatewayAttachmentId", attachment.get("CreationTime"))

    def delete(self, item: Item) -> None:
        self.client.delete_transit_gateway_vpc_attachment(TransitGatewayAttachmentId=item.id)


@resource("ec2.transit_gateway_peering_attachment")
class TransitGatewayPeeringAttachment(Resource):
    # Peers two transit gateways; listed on both sides. A request still waiting for this account
    # to accept it can only be rejected.

    def list(self) -> Iterator[Item]:
        finished = GOING | {"failed", "rejected"}
        for attachment in describe(
            self.client, "describe_transit_gateway_peering_attachments", "TransitGatewayPeeringAttachments"
        ):
            state = attachment["State"]
            # moto lists every kind of attachment here: only those with a peer are peering attachments.
            if state in finished or "AccepterTgwInfo" not in attachment:
                continue
            requester = attachment.get("RequesterTgwInfo", {}).get("OwnerId", self.context.account_id)
            yield tagged(
                attachment,
                "TransitGatewayAttachmentId",
                attachment.get("CreationTime"),
                extra={"to_reject": state == "pendingAcceptance" and requester != self.context.account_id},
            )

    def delete(self, item: Item) -> None:
        if item.extra.get("to_reject"):
            self.client.reject_transit_gateway_peering_attachment(TransitGatewayAttachmentId=item.id)
        else:
            self.client.delete_transit_gateway_peering_attachment(TransitGatewayAttachmentId=item.id)


@resource(
    "ec2.transit_gateway_route_table",
    depends_on=[
        "ec2.transit_gateway_connect",
        "ec2.transit_gateway_vpc_attachment",
        "ec2.transit_gateway_peering_attachment",
        "ec2.vpn_connection",
    ],
)
class TransitGatewayRouteTable(Resource):
    # A transit gateway's default route table goes with the gateway; a table a workshop added
    # goes first. AWS refuses to delete one still associated with an attachment or receiving its
    # routes: the attachments go before it, and what their deletion has not undone yet (AWS
    # deletes attachments asynchronously) is undone here.

    def list(self) -> Iterator[Item]:
        for table in describe(self.client, "describe_transit_gateway_route_tables", "TransitGatewayRouteTables"):
            if table["State"] in GOING:
                continue
            if table.get("DefaultAssociationRouteTable") or table.get("DefaultPropagationRouteTable"):
                continue
            yield tagged(
                table,
                "TransitGatewayRouteTableId",
                table.get("CreationTime"),
                extra={"transit_gateway": table.get("TransitGatewayId", "")},
            )

    def prepare(self, item: Item) -> None:
        table = {"TransitGatewayRouteTableId": item.id}
        associated = [
            tie["TransitGatewayAttachmentId"]
            for tie in describe(self.client, "get_transit_gateway_route_table_associations", "Associations", **table)
            if tie.get("State") not in ("disassociating", "disassociated")
        ]
        propagating = [
            tie["TransitGatewayAttachmentId"]
            for tie in describe(
                self.client,
                "get_transit_gateway_route_table_propagations",
                "TransitGatewayRouteTablePropagations",
                **table,
            )
            if tie.get("State") not in ("disabling", "disabled")
        ]
        if not associated and not propagating:
            return
        # An attachment on its way out still shows its ties for a while; they go with it.
        alive = self._live_attachments(item.extra.get("transit_gateway", ""))
        gone = ("InvalidAssociation.NotFound", "InvalidTransitGatewayAttachmentID.NotFound")
        for attachment in (a for a in associated if a in alive):
            with unless(*gone):
                self.client.disassociate_transit_gateway_route_table(**table, TransitGatewayAttachmentId=attachment)
        for attachment in (a for a in propagating if a in alive):
            with unless(*gone):
                self.client.disable_transit_gateway_route_table_propagation(
                    **table, TransitGatewayAttachmentId=attachment
                )

    def _live_attachments(self, transit_gateway: str) -> set[str]:
        finished = GOING | {"failed", "rejected"}
        filters = [{"Name": "transit-gateway-id", "Values": [transit_gateway]}] if transit_gateway else []
        return {
            attachment["TransitGatewayAttachmentId"]
            for attachment in describe(
                self.client, "describe_transit_gateway_attachments", "TransitGatewayAttachments", Filters=filters
            )
            if attachment.get("State") not in finished
        }

    def delete(self, item: Item) -> None:
        self.client.delete_transit_gateway_route_table(TransitGatewayRouteTableId=item.id)


@resource(
    "ec2.transit_gateway",
    depends_on=[
        "ec2.transit_gateway_connect",
        "ec2.transit_gateway_vpc_attachment",
        "ec2.transit_gateway_peering_attachment",
        "ec2.transit_gateway_route_table",
        "ec2.vpn_connection",
    ],
)
class TransitGateway(Resource):
    # AWS refuses to delete a transit gateway while anything is attached to it (VPCs, peers, VPNs).

    def list(self) -> Iterator[Item]:
        for gateway in describe(self.client, "describe_transit_gateways", "TransitGateways"):
            if gateway["State"] in GOING:
                continue
            owner = gateway.get("OwnerId", self.context.account_id)
            yield tagged(
                gateway,
                "TransitGatewayId",
                gateway.get("CreationTime"),
                # Shared with the account through RAM: only its owner can delete it.
                protected=f"shared by account {owner}" if owner != self.context.account_id else "",
            )

    def delete(self, item: Item) -> None:
        self.client.delete_transit_gateway(TransitGatewayId=item.id)


@resource("ec2.vpc_peering_connection")
class VpcPeeringConnection(Resource):
    # Either side may delete an active connection; a request still waiting for this account to
    # accept it can only be rejected.

    def list(self) -> Iterator[Item]:
        finished = GOING | {"rejected", "failed", "expired"}  # AWS keeps these listed a while, then drops them
        for connection in describe(self.client, "describe_vpc_peering_connections", "VpcPeeringConnections"):
            status = connection.get("Status", {}).get("Code", "")
            if status in finished:
                continue
            requester = connection.get("RequesterVpcInfo", {}).get("OwnerId", self.context.account_id)
            yield tagged(
                connection,
                "VpcPeeringConnectionId",
                extra={"to_reject": status == "pending-acceptance" and requester != self.context.account_id},
            )

    def delete(self, item: Item) -> None:
        if item.extra.get("to_reject"):
            self.client.reject_vpc_peering_connection(VpcPeeringConnectionId=item.id)
        else:
            self.client.delete_vpc_peering_connection(VpcPeeringConnectionId=item.id)
