"""EC2 networking: VPCs and what lives in them, Elastic IPs and network interfaces. What links a
VPC to other networks (VPN, transit gateways, peering) is in vpc_links.py.

A default VPC is part of the account as AWS hands it over: the VPC, its default subnets, its
internet gateway, its main route table, default security group and default network ACL are
protected and never deleted. What a workshop added to a default VPC (its own subnets, groups,
route tables, ACLs, interfaces) goes like anywhere else.
"""

from __future__ import annotations

from collections.abc import Iterator

from botocore.exceptions import ClientError

from cleaner.registry import Item, Resource, resource
from cleaner.services.ec2 import describe, tagged, unless

DEFAULT_VPC = "default VPC"
# Types that put network interfaces (and with them security groups) into a VPC's subnets, from
# this module and others. Subnets, security groups and VPCs wait for every one of them by name,
# not only through ec2.network_interface: a new type that holds interfaces belongs here.
HOLDS_NETWORK_INTERFACES = (
    "ec2.instance",
    "ec2.nat_gateway",
    "ec2.vpc_endpoint",
    "ec2.transit_gateway_vpc_attachment",
    "elbv2.load_balancer",
    "lambda.function",
    "rds.db_instance",
    "rds.db_cluster",
    "eks.cluster",
    "ecs.task",
    "sagemaker.notebook_instance",
    "sagemaker.endpoint",
)
# States of things on their way out (or gone but still listed a while): deleting again only costs a call.
GOING = frozenset({"deleting", "deleted"})
# Lambda keeps a deleted function's interfaces for a while and then removes them itself;
# deleting them fails.
_LAMBDA_INTERFACE = "lambda"


class _InVpc(Resource):
    """A VPC-scoped type: knows which VPCs of the region are default ones."""

    def default_vpcs(self) -> set[str]:
        return {vpc["VpcId"] for vpc in describe(self.client, "describe_vpcs", "Vpcs") if vpc.get("IsDefault")}


@resource("ec2.nat_gateway")
class NatGateway(Resource):
    # Deleting takes a minute or more in AWS, and its interface and address stay until it is done:
    # a gateway on its way out is still listed, so what needs it gone waits.
    gone_within = 300.0

    def list(self) -> Iterator[Item]:
        for gateway in describe(self.client, "describe_nat_gateways", "NatGateways"):
            if gateway["State"] not in ("deleted", "failed"):
                yield tagged(gateway, "NatGatewayId", gateway.get("CreateTime"), extra={"state": gateway["State"]})

    def delete(self, item: Item) -> None:
        if item.extra.get("state") == "deleting":
            return
        self.client.delete_nat_gateway(NatGatewayId=item.id)


@resource("ec2.vpc_endpoint")
class VpcEndpoint(Resource):
    def list(self) -> Iterator[Item]:
        for endpoint in describe(self.client, "describe_vpc_endpoints", "VpcEndpoints"):
            # Still listed while deleting: its interfaces in the subnets go only once it is gone.
            if endpoint["State"].lower() != "deleted":
                state = endpoint["State"].lower()
                yield tagged(endpoint, "VpcEndpointId", endpoint.get("CreationTimestamp"), extra={"state": state})

    def delete(self, item: Item) -> None:
        if item.extra.get("state") == "deleting":
            return
        answer = self.client.delete_vpc_endpoints(VpcEndpointIds=[item.id])
        # The call succeeds even when the endpoint could not be deleted: the reason is in the answer,
        # raised as the AWS error it is (so a "NotFound" counts as already gone).
        for failure in answer.get("Unsuccessful") or ():
            raise ClientError({"Error": failure.get("Error", {})}, "DeleteVpcEndpoints")


@resource("ec2.elastic_ip", depends_on=["ec2.nat_gateway", "elbv2.load_balancer"])
class ElasticIp(Resource):
    # The address of a NAT gateway or a network load balancer cannot be disassociated while its
    # owner exists.

    def list(self) -> Iterator[Item]:
        for address in describe(self.client, "describe_addresses", "Addresses"):
            managed_by = address.get("ServiceManaged")
            yield tagged(
                address,
                "AllocationId",
                untagged=address.get("PublicIp", ""),
                extra={"association": address.get("AssociationId")},
                protected=f"managed by {managed_by}: goes with it" if managed_by else "",
            )

    def delete(self, item: Item) -> None:
        if item.extra.get("association"):
            with unless("InvalidAssociationID.NotFound"):  # its instance went meanwhile
                self.client.disassociate_address(AssociationId=item.extra["association"])
        self.client.release_address(AllocationId=item.id)


@resource("ec2.network_interface", depends_on=HOLDS_NETWORK_INTERFACES)
class NetworkInterface(Resource):
    after_vpc_users = True
    # The interfaces that instances, NAT gateways, endpoints, load balancers, functions, databases
    # and clusters own go with them; what is left afterwards is someone's own interface. Subnets,
    # security groups and VPCs come after interfaces, so after all of these too.

    # Lambda's interfaces outlive their function by up to ~20 minutes: the subnets wait that long.
    gone_within = 120.0

    def list(self) -> Iterator[Item]:
        for interface in describe(self.client, "describe_network_interfaces", "NetworkInterfaces"):
            attachment = interface.get("Attachment") or {}
            yield tagged(
                interface,
                "NetworkInterfaceId",
                untagged=interface.get("Description", ""),
                extra={
                    "attachment": attachment.get("AttachmentId") if attachment.get("Status") == "attached" else None,
                    "primary": attachment.get("DeviceIndex") == 0,
                    "kind": interface.get("InterfaceType", "interface"),
                    "requester": interface.get("RequesterId", "") if interface.get("RequesterManaged") else "",
                    "description": interface.get("Description", ""),
                },
            )

    def delete(self, item: Item) -> None:
        if item.extra.get("kind") == _LAMBDA_INTERFACE:
            return  # Lambda removes it itself some time after its function went; deleting it is refused
        if item.extra.get("requester"):
            # AWS made it for a service and deletes it with its owner. Every owner the cleaner knows is
            # gone by now (this type waits for them): so the owner is one it does not know, and this
            # interface, not its subnet, is what to report.
            raise ClientError(
                {
                    "Error": {
                        "Code": "RequesterManagedInterface",
                        "Message": (
                            f"made by {item.extra['requester']} for {item.extra.get('description') or '?'} "
                            f"({item.extra.get('kind')}); AWS deletes it with its owner, which the cleaner "
                            "does not know: delete the owner, and this goes with it"
                        ),
                    }
                },
                "DeleteNetworkInterface",
            )
        # A secondary interface still attached (to an instance that failed to terminate, or one
        # outside the sweep's reach) is forced off; an instance's primary one cannot be detached
        # and goes with the instance (AWS refuses the delete until then).
        if item.extra.get("attachment") and not item.extra.get("primary"):
            with unless("InvalidAttachmentID.NotFound"):
                self.client.detach_network_interface(AttachmentId=item.extra["attachment"], Force=True)
        self.client.delete_network_interface(NetworkInterfaceId=item.id)


@resource("ec2.security_group", depends_on=[*HOLDS_NETWORK_INTERFACES, "ec2.network_interface"])
class SecurityGroup(_InVpc):
    after_vpc_users = True
    # AWS refuses to delete a group any network interface still uses.

    def list(self) -> Iterator[Item]:
        default_vpcs = self.default_vpcs()
        for group in describe(self.client, "describe_security_groups", "SecurityGroups"):
            protected = ""
            if group["GroupName"] == "default":
                protected = DEFAULT_VPC if group.get("VpcId") in default_vpcs else "default security group"
            yield tagged(group, "GroupId", name=group["GroupName"], protected=protected)

    def prepare(self, item: Item) -> None:
        """Revoke the rules that tie this group to others, both ways.

        AWS refuses to delete a group that another group's rule refers to, so the rules of other
        groups that name this one go (a default group's rules included: the group stays, only the
        reference goes), and so do this group's own references to others, which would otherwise
        hold those back. A group's rules that name itself are no obstacle and stay.
        """
        own = self.client.describe_security_groups(GroupIds=[item.id])["SecurityGroups"]
        referring = [
            group
            for name in ("ip-permission.group-id", "egress.ip-permission.group-id")
            for group in describe(
                self.client, "describe_security_groups", "SecurityGroups", Filters=[{"Name": name, "Values": [item.id]}]
            )
            if group["GroupId"] != item.id
        ]
        for group in own + referring:
            for egress, key in ((False, "IpPermissions"), (True, "IpPermissionsEgress")):
                permissions = group_references(group.get(key) or [], group["GroupId"], item.id)
                if not permissions:
                    continue
                revoke = (
                    self.client.revoke_security_group_egress if egress else self.client.revoke_security_group_ingress
                )
                # Several groups are prepared at once: another one may have revoked this rule.
                with unless("InvalidPermission.NotFound"):
                    revoke(GroupId=group["GroupId"], IpPermissions=permissions)

    def delete(self, item: Item) -> None:
        self.client.delete_security_group(GroupId=item.id)


def group_references(permissions: list[dict], holder: str, swept: str) -> list[dict]:
    """The parts of `holder`'s rules that tie it to another group while `swept` is being deleted.

    For the swept group itself: every reference to another group. For any other holder: its
    references to the swept group. Only the group pairs are returned (CIDR parts of the same rule
    stay), in the form Revoke* takes.
    """
    found = []
    for permission in permissions:
        pairs = [
            {key: pair[key] for key in ("GroupId", "UserId") if pair.get(key)}
            for pair in permission.get("UserIdGroupPairs") or ()
            if (pair.get("GroupId") != holder if holder == swept else pair.get("GroupId") == swept)
        ]
        if pairs:
            rule = {key: permission[key] for key in ("IpProtocol", "FromPort", "ToPort") if key in permission}
            found.append({**rule, "UserIdGroupPairs": pairs})
    return found


@resource(
    "ec2.internet_gateway",
    depends_on=["ec2.instance", "ec2.nat_gateway", "ec2.elastic_ip", "elbv2.load_balancer"],
)
class InternetGateway(_InVpc):
    # AWS refuses to detach a gateway while the VPC has public addresses mapped (instances, NAT
    # gateways, Elastic IPs, load balancers).

    def list(self) -> Iterator[Item]:
        default_vpcs = self.default_vpcs()
        for gateway in describe(self.client, "describe_internet_gateways", "InternetGateways"):
            vpcs = [a["VpcId"] for a in gateway.get("Attachments") or () if a.get("VpcId")]
            yield tagged(
                gateway,
                "InternetGatewayId",
                extra={"vpcs": vpcs},
                protected=DEFAULT_VPC if default_vpcs.intersection(vpcs) else "",
            )

    def delete(self, item: Item) -> None:
        for vpc in item.extra.get("vpcs") or ():
            with unless("Gateway.NotAttached"):
                self.client.detach_internet_gateway(InternetGatewayId=item.id, VpcId=vpc)
        self.client.delete_internet_gateway(InternetGatewayId=item.id)


@resource("ec2.route_table", depends_on=["ec2.vpc_endpoint"])
class RouteTable(_InVpc):
    # A gateway endpoint's routes tie it to its route tables: endpoints go first.

    def list(self) -> Iterator[Item]:
        default_vpcs = self.default_vpcs()
        for table in describe(self.client, "describe_route_tables", "RouteTables"):
            associations = table.get("Associations") or ()
            protected = ""
            if any(a.get("Main") for a in associations):
                protected = DEFAULT_VPC if table.get("VpcId") in default_vpcs else "main route table"
            yield tagged(
                table,
                "RouteTableId",
                extra={"associations": [a["RouteTableAssociationId"] for a in associations if not a.get("Main")]},
                protected=protected,
            )

    def delete(self, item: Item) -> None:
        # Subnets (and gateways) whose table this is fall back to the VPC's main table.
        for association in item.extra.get("associations") or ():
            with unless("InvalidAssociationID.NotFound"):  # its subnet went meanwhile
                self.client.disassociate_route_table(AssociationId=association)
        self.client.delete_route_table(RouteTableId=item.id)


@resource("ec2.subnet", depends_on=[*HOLDS_NETWORK_INTERFACES, "ec2.network_interface"])
class Subnet(_InVpc):
    # AWS refuses to delete a subnet while any network interface is in it.

    def list(self) -> Iterator[Item]:
        default_vpcs = self.default_vpcs()
        for subnet in describe(self.client, "describe_subnets", "Subnets"):
            default = subnet.get("DefaultForAz") and subnet.get("VpcId") in default_vpcs
            yield tagged(subnet, "SubnetId", protected=DEFAULT_VPC if default else "")

    def delete(self, item: Item) -> None:
        self.client.delete_subnet(SubnetId=item.id)


@resource("ec2.network_acl", depends_on=["ec2.subnet"])
class NetworkAcl(_InVpc):
    # AWS refuses to delete an ACL still associated with a subnet; deleting the subnets removes
    # those associations (a subnet that stays is handed back to its VPC's default ACL).

    def list(self) -> Iterator[Item]:
        default_vpcs = self.default_vpcs()
        for acl in describe(self.client, "describe_network_acls", "NetworkAcls"):
            protected = ""
            if acl.get("IsDefault"):
                protected = DEFAULT_VPC if acl.get("VpcId") in default_vpcs else "default network ACL"
            yield tagged(acl, "NetworkAclId", extra={"vpc": acl.get("VpcId")}, protected=protected)

    def delete(self, item: Item) -> None:
        acls = self.client.describe_network_acls(NetworkAclIds=[item.id])["NetworkAcls"]
        associations = [a for acl in acls for a in acl.get("Associations") or ()]
        if associations:
            # Only subnets that stay are left here in AWS (moto also keeps those of deleted subnets).
            default_acl = self._default_acl(item.extra["vpc"])
            for association in associations:
                self.client.replace_network_acl_association(
                    AssociationId=association["NetworkAclAssociationId"], NetworkAclId=default_acl
                )
        self.client.delete_network_acl(NetworkAclId=item.id)

    def _default_acl(self, vpc: str) -> str:
        filters = [{"Name": "vpc-id", "Values": [vpc]}, {"Name": "default", "Values": ["true"]}]
        acls = self.client.describe_network_acls(Filters=filters)["NetworkAcls"]
        if not acls:
            raise RuntimeError(f"VPC {vpc} has no default network ACL to hand its subnets back to.")
        return acls[0]["NetworkAclId"]


@resource(
    "ec2.vpc",
    depends_on=[
        *HOLDS_NETWORK_INTERFACES,
        "ec2.network_interface",
        "ec2.subnet",
        "ec2.route_table",
        "ec2.security_group",
        "ec2.internet_gateway",
        "ec2.egress_only_internet_gateway",
        "ec2.vpn_gateway",
        "ec2.vpc_peering_connection",
        "ec2.network_acl",
        "elbv2.target_group",
    ],
)
class Vpc(Resource):
    # Last of the network: AWS refuses to delete a VPC while anything is left in it. Its main
    # route table, default security group and default ACL go with it.

    def list(self) -> Iterator[Item]:
        for vpc in describe(self.client, "describe_vpcs", "Vpcs"):
            yield tagged(vpc, "VpcId", protected=DEFAULT_VPC if vpc.get("IsDefault") else "")

    def delete(self, item: Item) -> None:
        self.client.delete_vpc(VpcId=item.id)
