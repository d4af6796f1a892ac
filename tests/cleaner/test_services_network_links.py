"""What links a VPC to other networks (VPN, transit gateways, peering, egress-only gateways) and spot
capacity, against moto in a member account; and the order every type that holds network interfaces
takes before the subnets, security groups and VPCs it sits in.

moto deletes at once and refuses few of the deletes AWS refuses, so the order AWS needs is checked
on the calls recorded on the clients (same harness as test_services_compute_network.py).
"""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from cleaner.context import SweepContext
from cleaner.engine import resource_types
from cleaner.engine import sweep as engine_sweep
from cleaner.registry import REGISTRY, Item
from cleaner.services.vpc import HOLDS_NETWORK_INTERFACES
from tests.aws_fakes import fake_aws
from tests.cleaner.network_sweep import (
    NETWORK_MODULES,
    PUBLIC_IMAGE,
    REGION,
    CallLog,
    ec2_of,
    items_of,
    our_types,
    sweep,
)

CONNECT_TYPES = ("ec2.transit_gateway_connect_peer", "ec2.transit_gateway_connect")


@pytest.fixture
def account():
    """A member account of a fake Organization, reached through the access role like the cleaner does."""
    with fake_aws() as org:
        yield org.add_accounts(1, pool=False)[0]


def vpc_with_subnet(ec2, cidr: str = "10.20.0.0/16") -> tuple[str, str]:
    vpc = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=cidr.replace("0.0/16", "1.0/24"))["Subnet"]["SubnetId"]
    return vpc, subnet


def states(ec2, operation: str, key: str, state_key: str = "State") -> set[str]:
    return {record[state_key] for record in getattr(ec2, operation)()[key]}


# --- VPN ------------------------------------------------------------------------------------------


def test_a_site_to_site_vpn_goes_connection_first_then_its_gateways_detached_then_the_vpc(account):
    ec2 = ec2_of(account)
    vpc, _subnet = vpc_with_subnet(ec2)
    gateway = ec2.create_vpn_gateway(Type="ipsec.1")["VpnGateway"]["VpnGatewayId"]
    ec2.attach_vpn_gateway(VpnGatewayId=gateway, VpcId=vpc)
    customer = ec2.create_customer_gateway(Type="ipsec.1", PublicIp="203.0.113.10", BgpAsn=65000)["CustomerGateway"][
        "CustomerGatewayId"
    ]
    connection = ec2.create_vpn_connection(Type="ipsec.1", CustomerGatewayId=customer, VpnGatewayId=gateway)[
        "VpnConnection"
    ]["VpnConnectionId"]
    assert items_of(account, "ec2.vpn_gateway")[gateway].extra["vpcs"] == [vpc]
    log = CallLog().watch(account, "ec2")

    result = sweep(account)

    assert result.passes[-1] == [] and len(result.passes) == 2, "all in one pass"
    removed = log.index("DeleteVpnConnection", VpnConnectionId=connection)
    assert removed < log.index("DetachVpnGateway", VpnGatewayId=gateway, VpcId=vpc)
    assert log.index("DetachVpnGateway", VpnGatewayId=gateway) < log.index("DeleteVpnGateway", VpnGatewayId=gateway)
    assert removed < log.index("DeleteCustomerGateway", CustomerGatewayId=customer)
    assert log.index("DeleteVpnGateway", VpnGatewayId=gateway) < log.index("DeleteVpc", VpcId=vpc)
    assert states(ec2, "describe_vpn_connections", "VpnConnections") <= {"deleted"}
    assert states(ec2, "describe_vpn_gateways", "VpnGateways") <= {"deleted"}
    assert states(ec2, "describe_customer_gateways", "CustomerGateways") <= {"deleted"}
    assert items_of(account, "ec2.vpn_connection") == {} and items_of(account, "ec2.vpn_gateway") == {}


# --- Transit gateways ---------------------------------------------------------------------------


def test_transit_gateway_attachments_go_before_their_gateway_and_their_subnets_and_vpc(account):
    ec2 = ec2_of(account)
    vpc, subnet = vpc_with_subnet(ec2)
    hub = ec2.create_transit_gateway(Description="lab hub")["TransitGateway"]["TransitGatewayId"]
    attachment = ec2.create_transit_gateway_vpc_attachment(TransitGatewayId=hub, VpcId=vpc, SubnetIds=[subnet])[
        "TransitGatewayVpcAttachment"
    ]["TransitGatewayAttachmentId"]
    log = CallLog().watch(account, "ec2")

    sweep(account)

    detached = log.index("DeleteTransitGatewayVpcAttachment", TransitGatewayAttachmentId=attachment)
    assert detached < log.index("DeleteTransitGateway", TransitGatewayId=hub)
    assert detached < log.index("DeleteSubnet", SubnetId=subnet)
    assert detached < log.index("DeleteVpc", VpcId=vpc)
    assert items_of(account, "ec2.transit_gateway") == {}
    assert items_of(account, "ec2.transit_gateway_vpc_attachment") == {}


def test_peered_transit_gateways_lose_their_peering_first(account):
    ec2 = ec2_of(account)
    east = ec2.create_transit_gateway(Description="east")["TransitGateway"]["TransitGatewayId"]
    west = ec2.create_transit_gateway(Description="west")["TransitGateway"]["TransitGatewayId"]
    peering = ec2.create_transit_gateway_peering_attachment(
        TransitGatewayId=east, PeerTransitGatewayId=west, PeerAccountId=account, PeerRegion=REGION
    )["TransitGatewayPeeringAttachment"]["TransitGatewayAttachmentId"]
    assert items_of(account, "ec2.transit_gateway_peering_attachment")[peering].extra == {"to_reject": False}
    log = CallLog().watch(account, "ec2")

    sweep(account, ("cleaner.services.vpc", "cleaner.services.vpc_links"))

    unpeered = log.index("DeleteTransitGatewayPeeringAttachment", TransitGatewayAttachmentId=peering)
    assert unpeered < log.index("DeleteTransitGateway", TransitGatewayId=east)
    assert unpeered < log.index("DeleteTransitGateway", TransitGatewayId=west)
    assert items_of(account, "ec2.transit_gateway_peering_attachment") == {}
    assert items_of(account, "ec2.transit_gateway") == {}


def gateway_with_an_added_route_table(ec2) -> tuple[str, str, str]:
    """A transit gateway, a VPC attached to it, and a route table of its own that the attachment is
    associated with and propagates to: (gateway, attachment, table)."""
    vpc, subnet = vpc_with_subnet(ec2)
    hub = ec2.create_transit_gateway(Description="lab hub")["TransitGateway"]["TransitGatewayId"]
    attachment = ec2.create_transit_gateway_vpc_attachment(TransitGatewayId=hub, VpcId=vpc, SubnetIds=[subnet])[
        "TransitGatewayVpcAttachment"
    ]["TransitGatewayAttachmentId"]
    table = ec2.create_transit_gateway_route_table(TransitGatewayId=hub)["TransitGatewayRouteTable"][
        "TransitGatewayRouteTableId"
    ]
    ties = {"TransitGatewayRouteTableId": table, "TransitGatewayAttachmentId": attachment}
    ec2.associate_transit_gateway_route_table(**ties)
    ec2.enable_transit_gateway_route_table_propagation(**ties)
    return hub, attachment, table


def test_a_route_table_a_workshop_added_goes_after_its_attachments_and_before_its_gateway(account):
    ec2 = ec2_of(account)
    hub, attachment, added = gateway_with_an_added_route_table(ec2)
    tables = ec2.describe_transit_gateway_route_tables()["TransitGatewayRouteTables"]
    [default] = [t["TransitGatewayRouteTableId"] for t in tables if t.get("DefaultAssociationRouteTable")]
    assert set(items_of(account, "ec2.transit_gateway_route_table")) == {added}  # the default goes with its gateway
    log = CallLog().watch(account, "ec2")

    result = sweep(account)

    assert result.passes[-1] == []
    removed = log.index("DeleteTransitGatewayRouteTable", TransitGatewayRouteTableId=added)
    assert log.index("DeleteTransitGatewayVpcAttachment", TransitGatewayAttachmentId=attachment) < removed
    assert removed < log.index("DeleteTransitGateway", TransitGatewayId=hub)
    deleted_tables = [call["TransitGatewayRouteTableId"] for call in log.named("DeleteTransitGatewayRouteTable")]
    assert deleted_tables == [added] and default != added  # the default one went with its gateway
    assert items_of(account, "ec2.transit_gateway_route_table") == {}


def test_a_route_table_still_in_use_is_disassociated_and_its_propagation_disabled_before_it_is_deleted(account):
    # AWS refuses DeleteTransitGatewayRouteTable while an attachment is associated with the table
    # or propagates to it (moto does not): with the attachment still there, as when AWS has not
    # finished deleting it, both ties are undone first.
    ec2 = ec2_of(account)
    _hub, attachment, table = gateway_with_an_added_route_table(ec2)
    log = CallLog().watch(account, "ec2")
    resource = REGISTRY["ec2.transit_gateway_route_table"](SweepContext(account, REGION))
    item = items_of(account, "ec2.transit_gateway_route_table")[table]

    resource.prepare(item)
    resource.delete(item)

    deleted = log.index("DeleteTransitGatewayRouteTable", TransitGatewayRouteTableId=table)
    ties = {"TransitGatewayRouteTableId": table, "TransitGatewayAttachmentId": attachment}
    assert log.index("DisassociateTransitGatewayRouteTable", **ties) < deleted
    assert log.index("DisableTransitGatewayRouteTablePropagation", **ties) < deleted


def test_connect_peers_go_before_their_connect_attachment_and_it_before_its_transport(account):
    # moto lacks transit gateway Connect: Stubber plays the real API.
    ec2 = ec2_of(account)
    peer = {"TransitGatewayConnectPeerId": "tgw-connect-peer-0a1", "TransitGatewayAttachmentId": "tgw-attach-c1"}
    connect = {
        "TransitGatewayAttachmentId": "tgw-attach-c1",
        "TransportTransitGatewayAttachmentId": "tgw-attach-v1",
        "TransitGatewayId": "tgw-0a1",
        "Tags": [{"Key": "Name", "Value": "sd-wan"}],
    }
    resources = {name: REGISTRY[name](SweepContext(account, REGION)) for name in CONNECT_TYPES}
    with Stubber(ec2) as stub:
        stub.add_response(
            "describe_transit_gateway_connect_peers",
            {"TransitGatewayConnectPeers": [{**peer, "State": "available"}, {**peer, "State": "deleting"}]},
        )
        stub.add_response(
            "describe_transit_gateway_connects",
            {"TransitGatewayConnects": [{**connect, "State": "available"}, {**connect, "State": "deleted"}]},
        )
        peers = list(resources["ec2.transit_gateway_connect_peer"].list())
        connects = list(resources["ec2.transit_gateway_connect"].list())
        stub.add_response(
            "delete_transit_gateway_connect_peer",
            {},
            {"TransitGatewayConnectPeerId": peer["TransitGatewayConnectPeerId"]},
        )
        stub.add_response("delete_transit_gateway_connect", {}, {"TransitGatewayAttachmentId": "tgw-attach-c1"})
        resources["ec2.transit_gateway_connect_peer"].delete(peers[0])
        resources["ec2.transit_gateway_connect"].delete(connects[0])
        stub.assert_no_pending_responses()

    assert [item.id for item in peers] == ["tgw-connect-peer-0a1"]  # the one deleting counts as gone
    assert [(item.id, item.name) for item in connects] == [("tgw-attach-c1", "sd-wan")]


def test_where_transit_gateway_connect_is_not_offered_the_sweep_counts_it_as_empty(account):
    types = [REGISTRY[name] for name in CONNECT_TYPES]

    outcome = engine_sweep(SweepContext(account, REGION), types, dry_run=False)

    assert outcome.converged and outcome.unavailable == set(CONNECT_TYPES) and outcome.list_errors == {}


def test_a_transit_gateway_shared_by_another_account_is_left_to_its_owner(account):
    our_types(NETWORK_MODULES)
    gateways = REGISTRY["ec2.transit_gateway"](SweepContext(account, REGION))
    answer = {
        "TransitGateways": [
            {"TransitGatewayId": "tgw-ours", "State": "available", "OwnerId": account},
            {"TransitGatewayId": "tgw-shared", "State": "available", "OwnerId": "111122223333"},
            {"TransitGatewayId": "tgw-going", "State": "deleting", "OwnerId": account},
        ]
    }
    with Stubber(gateways.client) as stub:
        stub.add_response("describe_transit_gateways", answer)
        found = {item.id: item.protected for item in gateways.list()}

    assert found == {"tgw-ours": "", "tgw-shared": "shared by account 111122223333"}


# --- Peering and egress-only gateways ------------------------------------------------------------


def test_peering_connections_and_egress_only_gateways_go_before_their_vpcs(account):
    ec2 = ec2_of(account)
    left, _ = vpc_with_subnet(ec2, "10.30.0.0/16")
    right, _ = vpc_with_subnet(ec2, "10.31.0.0/16")
    peering = ec2.create_vpc_peering_connection(VpcId=left, PeerVpcId=right)["VpcPeeringConnection"][
        "VpcPeeringConnectionId"
    ]
    ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=peering)
    egress_only = ec2.create_egress_only_internet_gateway(VpcId=left)["EgressOnlyInternetGateway"][
        "EgressOnlyInternetGatewayId"
    ]
    log = CallLog().watch(account, "ec2")

    sweep(account)

    for vpc in (left, right):
        assert log.index("DeleteVpcPeeringConnection", VpcPeeringConnectionId=peering) < log.index(
            "DeleteVpc", VpcId=vpc
        )
    assert log.index("DeleteEgressOnlyInternetGateway", EgressOnlyInternetGatewayId=egress_only) < log.index(
        "DeleteVpc", VpcId=left
    )
    assert ec2.describe_egress_only_internet_gateways()["EgressOnlyInternetGateways"] == []
    assert items_of(account, "ec2.vpc_peering_connection") == {}


def test_a_peering_request_from_another_account_is_rejected_not_deleted():
    with fake_aws() as org:
        requester, accepter = org.add_accounts(2, pool=False)
        theirs = ec2_of(requester).create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
        ours = ec2_of(accepter).create_vpc(CidrBlock="10.41.0.0/16")["Vpc"]["VpcId"]
        peering = ec2_of(requester).create_vpc_peering_connection(VpcId=theirs, PeerVpcId=ours, PeerOwnerId=accepter)[
            "VpcPeeringConnection"
        ]["VpcPeeringConnectionId"]
        assert items_of(accepter, "ec2.vpc_peering_connection")[peering].extra == {"to_reject": True}
        log = CallLog().watch(accepter, "ec2")

        sweep(accepter, ("cleaner.services.vpc", "cleaner.services.vpc_links"))

        assert log.named("RejectVpcPeeringConnection") == [{"VpcPeeringConnectionId": peering}]
        assert log.named("DeleteVpcPeeringConnection") == []
        assert items_of(accepter, "ec2.vpc_peering_connection") == {}


# --- Spot capacity ------------------------------------------------------------------------------


def test_spot_requests_and_both_kinds_of_fleet_go_before_their_instances_are_terminated(account):
    ec2 = ec2_of(account)
    subnet = ec2.describe_subnets()["Subnets"][0]["SubnetId"]
    request = ec2.request_spot_instances(
        InstanceCount=1, Type="persistent", LaunchSpecification={"ImageId": PUBLIC_IMAGE, "InstanceType": "t3.micro"}
    )["SpotInstanceRequests"][0]["SpotInstanceRequestId"]
    fleet = ec2.request_spot_fleet(
        SpotFleetRequestConfig={
            "IamFleetRole": f"arn:aws:iam::{account}:role/fleet",
            "TargetCapacity": 2,
            "Type": "maintain",
            "AllocationStrategy": "lowestPrice",
            "LaunchSpecifications": [{"ImageId": PUBLIC_IMAGE, "InstanceType": "t3.micro", "SubnetId": subnet}],
        }
    )["SpotFleetRequestId"]
    template = ec2.create_launch_template(
        LaunchTemplateName="spot", LaunchTemplateData={"ImageId": PUBLIC_IMAGE, "InstanceType": "t3.micro"}
    )["LaunchTemplate"]["LaunchTemplateId"]
    ec2_fleet = ec2.create_fleet(
        Type="maintain",
        TargetCapacitySpecification={"TotalTargetCapacity": 1, "DefaultTargetCapacityType": "spot"},
        LaunchTemplateConfigs=[{"LaunchTemplateSpecification": {"LaunchTemplateId": template, "Version": "$Latest"}}],
    )["FleetId"]
    assert set(items_of(account, "ec2.spot_instance_request")) >= {request}
    assert set(items_of(account, "ec2.spot_fleet_request")) == {fleet}
    assert set(items_of(account, "ec2.fleet")) == {ec2_fleet}
    log = CallLog().watch(account, "ec2")

    sweep(account, ("cleaner.services.ec2",))

    first_terminate = log.calls.index(next(c for c in log.calls if c[0] == "TerminateInstances"))
    assert log.index("CancelSpotFleetRequests", SpotFleetRequestIds=[fleet], TerminateInstances=True) < first_terminate
    assert log.index("DeleteFleets", FleetIds=[ec2_fleet], TerminateInstances=True) < first_terminate
    assert log.index("CancelSpotInstanceRequests", SpotInstanceRequestIds=[request]) < first_terminate
    assert items_of(account, "ec2.spot_instance_request") == {}
    assert items_of(account, "ec2.spot_fleet_request") == {}
    assert items_of(account, "ec2.fleet") == {}
    running = [i for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]]
    assert {i["State"]["Name"] for i in running} <= {"terminated"}


def test_a_fleet_that_aws_would_not_cancel_fails_with_aws_reason(account):
    our_types(NETWORK_MODULES)
    fleets = REGISTRY["ec2.spot_fleet_request"](SweepContext(account, REGION))
    refusal = {
        "SuccessfulFleetRequests": [],
        "UnsuccessfulFleetRequests": [
            {"SpotFleetRequestId": "sfr-1", "Error": {"Code": "fleetRequestIdMalformed", "Message": "malformed"}}
        ],
    }
    with Stubber(fleets.client) as stub, pytest.raises(ClientError, match="fleetRequestIdMalformed"):
        stub.add_response("cancel_spot_fleet_requests", refusal)
        fleets.delete(Item(id="sfr-1"))


# --- The planned order -------------------------------------------------------------------------


def needed_before(type_name: str, registry: dict) -> set[str]:
    """Every type that must be gone before `type_name`, directly or through others."""
    found: set[str] = set()
    pending = list(registry[type_name].depends_on)
    while pending:
        name = pending.pop()
        if name not in found:
            found.add(name)
            pending.extend(registry[name].depends_on)
    return found


@pytest.mark.parametrize("container", ["ec2.subnet", "ec2.security_group", "ec2.vpc"])
def test_every_type_that_holds_network_interfaces_is_planned_before_subnets_groups_and_vpcs(container):
    planned = [cls.type for cls in resource_types()]
    registry = {cls.type: cls for cls in resource_types()}

    for holder in HOLDS_NETWORK_INTERFACES:
        # Named in depends_on itself, not merely earlier by the order of names or through another type.
        assert holder in registry[container].depends_on, holder
        assert planned.index(holder) < planned.index(container), holder
    assert "ec2.network_interface" in needed_before(container, registry)
    # What holds the holders goes earlier still: services before tasks, nodegroups before their groups.
    assert {"ecs.service", "eks.nodegroup", "autoscaling.group"} <= needed_before(container, registry)


def test_what_links_a_vpc_elsewhere_and_spot_capacity_are_planned_in_the_order_aws_needs():
    planned = [cls.type for cls in resource_types()]

    def before(first: str, then: str) -> bool:
        return planned.index(first) < planned.index(then)

    for link in (
        "ec2.egress_only_internet_gateway",
        "ec2.vpn_gateway",
        "ec2.vpc_peering_connection",
        "ec2.transit_gateway_vpc_attachment",
    ):
        assert before(link, "ec2.vpc"), link
    assert before("ec2.vpn_connection", "ec2.vpn_gateway")
    assert before("ec2.vpn_connection", "ec2.customer_gateway")
    assert before("ec2.vpn_connection", "ec2.transit_gateway")
    assert before("ec2.transit_gateway_vpc_attachment", "ec2.transit_gateway")
    assert before("ec2.transit_gateway_peering_attachment", "ec2.transit_gateway")
    assert before("ec2.transit_gateway_vpc_attachment", "ec2.transit_gateway_route_table")
    assert before("ec2.transit_gateway_route_table", "ec2.transit_gateway")
    assert before("ec2.transit_gateway_connect_peer", "ec2.transit_gateway_connect")
    for then in ("ec2.transit_gateway_vpc_attachment", "ec2.transit_gateway_route_table", "ec2.transit_gateway"):
        assert before("ec2.transit_gateway_connect", then), then
    assert before("ec2.transit_gateway_vpc_attachment", "ec2.subnet")
    assert before("ec2.spot_fleet_request", "ec2.spot_instance_request")
    assert before("ec2.spot_instance_request", "ec2.instance")
    assert before("ec2.spot_fleet_request", "ec2.instance")
    assert before("ec2.fleet", "ec2.spot_instance_request")
    assert before("ec2.fleet", "ec2.instance")
