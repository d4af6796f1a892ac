"""EC2, VPC, Auto Scaling and ELBv2 resource types against moto, in a member account.

moto deletes at once and refuses few deletes that AWS refuses (a referenced security group, a
subnet with interfaces, a protected instance or load balancer), so the order AWS needs is checked
twice: by a sweep that follows depends_on and must finish in one pass, and by the calls recorded
on the clients, which must come in the order AWS needs.
"""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from cleaner.context import SweepContext
from cleaner.engine import dependency_order
from cleaner.registry import REGISTRY, discover
from cleaner.services.vpc import group_references
from cpp_portal.aws import member_client
from tests.aws_fakes import fake_aws
from tests.cleaner.network_sweep import (
    NETWORK_MODULES,
    PUBLIC_IMAGE,
    REGION,
    CallLog,
    deletion_order,
    ec2_of,
    items_of,
    our_types,
    sweep,
)


@pytest.fixture
def account():
    """A member account of a fake Organization, reached through the access role like the cleaner does."""
    with fake_aws() as org:
        yield org.add_accounts(1, pool=False)[0]


# --- Building a busy VPC ----------------------------------------------------------------------


def busy_vpc(account_id: str) -> dict[str, str]:
    """A VPC with most of what a workshop leaves in one, every piece tied to others."""
    ec2 = ec2_of(account_id)
    ids: dict[str, str] = {}
    ids["vpc"] = vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ids["public"] = public = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24", AvailabilityZone="eu-west-1a")[
        "Subnet"
    ]["SubnetId"]
    ids["private"] = private = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.2.0/24", AvailabilityZone="eu-west-1b")[
        "Subnet"
    ]["SubnetId"]
    ids["igw"] = igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)

    ids["public_rt"] = public_rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=public_rt, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    ec2.associate_route_table(RouteTableId=public_rt, SubnetId=public)

    ids["nat_eip"] = nat_eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    ids["nat"] = nat = ec2.create_nat_gateway(SubnetId=public, AllocationId=nat_eip)["NatGateway"]["NatGatewayId"]
    ids["private_rt"] = private_rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=private_rt, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat)
    ec2.associate_route_table(RouteTableId=private_rt, SubnetId=private)

    ids["web_sg"] = web = ec2.create_security_group(GroupName="web", Description="web", VpcId=vpc)["GroupId"]
    ids["app_sg"] = app = ec2.create_security_group(GroupName="app", Description="app", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=app,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "UserIdGroupPairs": [{"GroupId": web}]}],
    )
    ec2.authorize_security_group_ingress(
        GroupId=web,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "UserIdGroupPairs": [{"GroupId": app}]}],
    )

    ids["eni"] = ec2.create_network_interface(SubnetId=private, Groups=[app], Description="spare")["NetworkInterface"][
        "NetworkInterfaceId"
    ]
    instance = ec2.run_instances(
        ImageId=PUBLIC_IMAGE,
        MinCount=1,
        MaxCount=1,
        SubnetId=private,
        SecurityGroupIds=[web],
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "lab-box"}]}],
    )["Instances"][0]
    ids["instance"] = instance["InstanceId"]
    ids["volume"] = volume = ec2.create_volume(AvailabilityZone="eu-west-1b", Size=8)["VolumeId"]
    ec2.attach_volume(VolumeId=volume, InstanceId=ids["instance"], Device="/dev/sdf")
    ids["instance_eip"] = ec2.allocate_address(Domain="vpc")["AllocationId"]
    ec2.associate_address(AllocationId=ids["instance_eip"], InstanceId=ids["instance"])

    ids["interface_endpoint"] = ec2.create_vpc_endpoint(
        VpcId=vpc,
        ServiceName=f"com.amazonaws.{REGION}.ssm",
        VpcEndpointType="Interface",
        SubnetIds=[private],
        SecurityGroupIds=[app],
    )["VpcEndpoint"]["VpcEndpointId"]
    ids["gateway_endpoint"] = ec2.create_vpc_endpoint(
        VpcId=vpc, ServiceName=f"com.amazonaws.{REGION}.s3", VpcEndpointType="Gateway", RouteTableIds=[private_rt]
    )["VpcEndpoint"]["VpcEndpointId"]

    ids["acl"] = acl = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
    current = ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": [private]}])
    association = next(
        a["NetworkAclAssociationId"]
        for found in current["NetworkAcls"]
        for a in found["Associations"]
        if a["SubnetId"] == private
    )
    ec2.replace_network_acl_association(AssociationId=association, NetworkAclId=acl)

    ids["image"] = image = ec2.create_image(InstanceId=ids["instance"], Name="lab-image")["ImageId"]
    ids["image_snapshot"] = ec2.describe_images(ImageIds=[image])["Images"][0]["BlockDeviceMappings"][0]["Ebs"][
        "SnapshotId"
    ]
    ids["snapshot"] = ec2.create_snapshot(VolumeId=volume)["SnapshotId"]
    ids["template"] = ec2.create_launch_template(
        LaunchTemplateName="lab", LaunchTemplateData={"ImageId": PUBLIC_IMAGE}
    )["LaunchTemplate"]["LaunchTemplateId"]
    ids["key"] = ec2.create_key_pair(KeyName="lab-key")["KeyPairId"]

    elb = member_client(account_id, "elbv2", REGION)
    ids["lb"] = lb = elb.create_load_balancer(Name="lab-alb", Subnets=[public, private], SecurityGroups=[web])[
        "LoadBalancers"
    ][0]["LoadBalancerArn"]
    ids["target_group"] = group = elb.create_target_group(Name="lab-targets", Protocol="HTTP", Port=80, VpcId=vpc)[
        "TargetGroups"
    ][0]["TargetGroupArn"]
    elb.create_listener(
        LoadBalancerArn=lb, Protocol="HTTP", Port=80, DefaultActions=[{"Type": "forward", "TargetGroupArn": group}]
    )
    return ids


def default_vpc_pieces(account_id: str) -> dict[str, set[str]]:
    ec2 = ec2_of(account_id)
    vpc = next(v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"] if v["IsDefault"])
    in_vpc = [{"Name": "vpc-id", "Values": [vpc]}]
    return {
        "ec2.vpc": {vpc},
        "ec2.subnet": {s["SubnetId"] for s in ec2.describe_subnets(Filters=in_vpc)["Subnets"] if s["DefaultForAz"]},
        "ec2.security_group": {
            g["GroupId"]
            for g in ec2.describe_security_groups(Filters=in_vpc)["SecurityGroups"]
            if g["GroupName"] == "default"
        },
        "ec2.route_table": {
            t["RouteTableId"]
            for t in ec2.describe_route_tables(Filters=in_vpc)["RouteTables"]
            if any(a.get("Main") for a in t["Associations"])
        },
        "ec2.network_acl": {
            a["NetworkAclId"] for a in ec2.describe_network_acls(Filters=in_vpc)["NetworkAcls"] if a["IsDefault"]
        },
    }


# --- The sweep as a whole -----------------------------------------------------------------------


def test_a_vpc_full_of_dependants_goes_in_one_sweep(account):
    ids = busy_vpc(account)
    ec2 = ec2_of(account)

    result = sweep(account)

    assert len(result.passes) == 2 and result.passes[1] == [], "everything goes in the first pass, in order"
    deleted = {item_id for _type, item_id in result.passes[0]}
    for piece in (
        "vpc",
        "public",
        "private",
        "igw",
        "public_rt",
        "private_rt",
        "nat",
        "nat_eip",
        "instance_eip",
        "web_sg",
        "app_sg",
        "eni",
        "instance",
        "volume",
        "interface_endpoint",
        "gateway_endpoint",
        "acl",
        "image",
        "image_snapshot",
        "snapshot",
        "template",
        "key",
        "lb",
        "target_group",
    ):
        assert ids[piece] in deleted, piece
    assert [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]] == list(default_vpc_pieces(account)["ec2.vpc"])
    assert ec2.describe_addresses()["Addresses"] == []
    assert ec2.describe_network_interfaces()["NetworkInterfaces"] == []
    assert ec2.describe_images(Owners=["self"])["Images"] == []
    assert [s for s in ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"] if s["OwnerId"] == account] == []
    assert ec2.describe_volumes()["Volumes"] == []
    assert ec2.describe_key_pairs()["KeyPairs"] == []
    assert ec2.describe_launch_templates()["LaunchTemplates"] == []
    assert ec2.describe_internet_gateways()["InternetGateways"] == []
    states = {i["State"]["Name"] for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]}
    assert states <= {"terminated"}
    elb = member_client(account, "elbv2", REGION)
    assert elb.describe_load_balancers()["LoadBalancers"] == []
    assert elb.describe_target_groups()["TargetGroups"] == []


def test_the_default_vpc_stays_whole_while_what_a_workshop_added_to_it_goes(account):
    ec2 = ec2_of(account)
    pieces = default_vpc_pieces(account)
    default_vpc = next(iter(pieces["ec2.vpc"]))
    # AWS gives every default VPC an internet gateway; moto does not, so it is added here.
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=default_vpc)
    pieces["ec2.internet_gateway"] = {igw}
    extra_subnet = ec2.create_subnet(VpcId=default_vpc, CidrBlock="172.31.200.0/24")["Subnet"]["SubnetId"]
    extra_group = ec2.create_security_group(GroupName="lab", Description="lab", VpcId=default_vpc)["GroupId"]
    default_group = next(iter(pieces["ec2.security_group"]))
    # A rule of the default group naming the workshop's group would keep that group from going.
    ec2.authorize_security_group_ingress(
        GroupId=default_group,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "UserIdGroupPairs": [{"GroupId": extra_group}]}
        ],
    )
    log = CallLog().watch(account, "ec2")

    result = sweep(account, ("cleaner.services.vpc",))

    assert {(t, i) for p in result.passes for t, i in p} == {
        ("ec2.subnet", extra_subnet),
        ("ec2.security_group", extra_group),
    }
    for type_name, expected in pieces.items():
        assert result.protected[type_name] == dict.fromkeys(expected, "default VPC"), type_name
    assert default_vpc_pieces(account) == {k: v for k, v in pieces.items() if k != "ec2.internet_gateway"}
    assert ec2.describe_internet_gateways()["InternetGateways"][0]["Attachments"][0]["VpcId"] == default_vpc
    protected_ids = set().union(*pieces.values())
    for name, params, _region in log.calls:
        if name.startswith(("Delete", "Detach", "Disassociate")):
            assert not protected_ids.intersection(map(str, params.values())), (name, params)
    # The default group stays, with its own rule naming itself; only the reference to the gone group left.
    rules = ec2.describe_security_groups(GroupIds=[default_group])["SecurityGroups"][0]["IpPermissions"]
    assert all(pair["GroupId"] == default_group for rule in rules for pair in rule["UserIdGroupPairs"])


def test_a_custom_vpcs_main_route_table_default_group_and_acl_are_left_to_go_with_it(account):
    ec2 = ec2_of(account)
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    in_vpc = [{"Name": "vpc-id", "Values": [vpc]}]
    main_table = ec2.describe_route_tables(Filters=in_vpc)["RouteTables"][0]["RouteTableId"]
    default_group = ec2.describe_security_groups(Filters=in_vpc)["SecurityGroups"][0]["GroupId"]

    assert items_of(account, "ec2.route_table")[main_table].protected == "main route table"
    assert items_of(account, "ec2.security_group")[default_group].protected == "default security group"
    acls = [a for a in items_of(account, "ec2.network_acl").values() if a.extra["vpc"] == vpc]
    assert [a.protected for a in acls] == ["default network ACL"]

    result = sweep(account, ("cleaner.services.vpc",))

    assert result.passes[0] == [("ec2.vpc", vpc)]
    assert ec2.describe_route_tables(Filters=in_vpc)["RouteTables"] == []


# --- What moto does not refuse, checked on the order of the calls ------------------------------


def test_every_type_named_in_depends_on_exists_and_no_cycle_forms():
    # Interfaces wait for types of other modules (Lambda, RDS, EKS …): a renamed one must fail here.
    everything = discover()

    order = [cls.type for cls in dependency_order(everything.values())]

    for module_type in our_types(NETWORK_MODULES):
        assert module_type in order
    assert order.index("lambda.function") < order.index("ec2.network_interface") < order.index("ec2.subnet")
    assert order.index("rds.db_instance") < order.index("ec2.security_group")


def test_dependants_are_declared_before_what_they_live_in():
    types = our_types(NETWORK_MODULES)
    order = deletion_order(types)

    def before(first: str, then: str) -> bool:
        return order.index(first) < order.index(then)

    for inside in (
        "ec2.network_interface",
        "ec2.instance",
        "ec2.nat_gateway",
        "ec2.vpc_endpoint",
        "elbv2.load_balancer",
    ):
        assert before(inside, "ec2.subnet"), inside
    for public in ("ec2.instance", "ec2.nat_gateway", "ec2.elastic_ip", "elbv2.load_balancer"):
        assert before(public, "ec2.internet_gateway"), public
    for user in ("ec2.instance", "ec2.network_interface", "ec2.vpc_endpoint", "elbv2.load_balancer"):
        assert before(user, "ec2.security_group"), user
    assert order[-1] == "ec2.vpc"
    assert before("autoscaling.group", "ec2.instance")
    assert before("autoscaling.group", "autoscaling.launch_configuration")
    assert before("autoscaling.group", "ec2.launch_template")
    assert before("ec2.instance", "ec2.volume")
    assert before("ec2.image", "ec2.snapshot")
    assert before("ec2.nat_gateway", "ec2.elastic_ip")
    assert before("ec2.subnet", "ec2.network_acl")
    assert before("elbv2.load_balancer", "elbv2.target_group")
    # Lambda lives in another module: its functions must go before the interfaces they leave behind.
    assert "lambda.function" in types["ec2.network_interface"].depends_on


def test_security_groups_that_name_each_other_are_untied_before_either_is_deleted(account):
    ec2 = ec2_of(account)
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    a = ec2.create_security_group(GroupName="a", Description="a", VpcId=vpc)["GroupId"]
    b = ec2.create_security_group(GroupName="b", Description="b", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=a,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 80,
                "ToPort": 80,
                "UserIdGroupPairs": [{"GroupId": b}, {"GroupId": a}],
                "IpRanges": [{"CidrIp": "10.0.0.0/8"}],
            },
        ],
    )
    ec2.authorize_security_group_egress(
        GroupId=b, IpPermissions=[{"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": a}]}]
    )
    log = CallLog().watch(account, "ec2")

    sweep(account, ("cleaner.services.vpc",))

    first_delete = min(log.index("DeleteSecurityGroup", GroupId=a), log.index("DeleteSecurityGroup", GroupId=b))
    assert log.index("RevokeSecurityGroupIngress", GroupId=a) < first_delete
    assert log.index("RevokeSecurityGroupEgress", GroupId=b) < first_delete
    revoked = log.named("RevokeSecurityGroupIngress")[0]["IpPermissions"][0]
    assert revoked["UserIdGroupPairs"] == [{"GroupId": b, "UserId": account}], "only the reference to b, not the CIDR"


def test_group_references_picks_the_ties_that_block_a_delete():
    pairs = [{"GroupId": "sg-self", "UserId": "1"}, {"GroupId": "sg-other", "UserId": "1", "Description": "x"}]
    rules = [
        {
            "IpProtocol": "tcp",
            "FromPort": 80,
            "ToPort": 80,
            "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
            "UserIdGroupPairs": pairs,
        },
        {"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": "sg-swept", "UserId": "1"}]},
    ]

    assert group_references(rules, "sg-self", "sg-self") == [
        {
            "IpProtocol": "tcp",
            "FromPort": 80,
            "ToPort": 80,
            "UserIdGroupPairs": [{"GroupId": "sg-other", "UserId": "1"}],
        },
        {"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": "sg-swept", "UserId": "1"}]},
    ]
    assert group_references(rules, "sg-holder", "sg-swept") == [
        {"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": "sg-swept", "UserId": "1"}]}
    ]


def test_protected_instances_have_protection_switched_off_before_they_are_terminated(account):
    ec2 = ec2_of(account)
    instance = ec2.run_instances(ImageId=PUBLIC_IMAGE, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    ec2.modify_instance_attribute(InstanceId=instance, DisableApiTermination={"Value": True})
    ec2.modify_instance_attribute(InstanceId=instance, DisableApiStop={"Value": True})
    gone = ec2.run_instances(ImageId=PUBLIC_IMAGE, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    ec2.terminate_instances(InstanceIds=[gone])
    log = CallLog().watch(account, "ec2")

    assert set(items_of(account, "ec2.instance")) == {instance}, "terminated instances are not listed"
    sweep(account)

    terminate = log.index("TerminateInstances", InstanceIds=[instance])
    assert log.index("ModifyInstanceAttribute", InstanceId=instance, DisableApiTermination={"Value": False}) < terminate
    assert log.index("ModifyInstanceAttribute", InstanceId=instance, DisableApiStop={"Value": False}) < terminate
    assert log.named("TerminateInstances") == [{"InstanceIds": [instance]}]


def test_only_the_accounts_own_snapshots_and_images_are_listed(account):
    ec2 = ec2_of(account)
    volume = ec2.create_volume(AvailabilityZone="eu-west-1a", Size=1)["VolumeId"]
    snapshot = ec2.create_snapshot(VolumeId=volume)["SnapshotId"]
    public = ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"]
    assert len(public) > 1000, "moto's public snapshots, which OwnerIds=['self'] does not keep out"

    assert set(items_of(account, "ec2.snapshot")) == {snapshot}
    assert items_of(account, "ec2.image") == {}


def test_an_attached_volume_waits_for_its_instance(account):
    ec2 = ec2_of(account)
    instance = ec2.run_instances(
        ImageId=PUBLIC_IMAGE, MinCount=1, MaxCount=1, Placement={"AvailabilityZone": "eu-west-1a"}
    )["Instances"][0]["InstanceId"]
    data = ec2.create_volume(AvailabilityZone="eu-west-1a", Size=1)["VolumeId"]
    ec2.attach_volume(VolumeId=data, InstanceId=instance, Device="/dev/sdf")
    our_types(NETWORK_MODULES)
    volumes = REGISTRY["ec2.volume"](SweepContext(account, REGION))
    log = CallLog().watch(account, "ec2")

    items = {item.id: item for item in volumes.list()}

    assert items[data].extra["instances"] == [instance], "listed: the account is not clean while it is there"
    with pytest.raises(ClientError, match="VolumeInUse"):
        volumes.delete(items[data])
    assert log.named("DetachVolume") == [], "never forced off its instance"
    assert ec2.describe_volumes(VolumeIds=[data])["Volumes"][0]["State"] == "in-use"


def test_a_volume_that_goes_with_its_instance_is_not_listed(account):
    # moto leaves DeleteOnTermination out of a volume's attachments, so AWS's answer is stubbed.
    our_types(NETWORK_MODULES)
    volumes = REGISTRY["ec2.volume"](SweepContext(account, REGION))
    attached = {"InstanceId": "i-1", "State": "attached", "Device": "/dev/sda1"}
    answer = {
        "Volumes": [
            {"VolumeId": "vol-root", "State": "in-use", "Attachments": [{**attached, "DeleteOnTermination": True}]},
            {"VolumeId": "vol-data", "State": "in-use", "Attachments": [{**attached, "DeleteOnTermination": False}]},
            {"VolumeId": "vol-spare", "State": "available", "Attachments": []},
            {"VolumeId": "vol-going", "State": "deleting", "Attachments": []},
        ]
    }
    with Stubber(volumes.client) as stub:
        stub.add_response("describe_volumes", answer)
        listed = [item.id for item in volumes.list()]

    assert listed == ["vol-data", "vol-spare"]


def test_interfaces_aws_made_are_reported_as_the_blocker_and_nat_gateways_are_listed_until_deleted(account):
    our_types(NETWORK_MODULES)
    context = SweepContext(account, REGION)
    interfaces = REGISTRY["ec2.network_interface"](context)
    nat_gateways = REGISTRY["ec2.nat_gateway"](context)
    answer = {
        "NetworkInterfaces": [
            {"NetworkInterfaceId": "eni-lambda", "InterfaceType": "lambda", "RequesterManaged": True},
            {
                "NetworkInterfaceId": "eni-nat",
                "InterfaceType": "nat_gateway",
                "RequesterManaged": True,
                "RequesterId": "AROAEXAMPLE:nat",
                "Description": "Interface for NAT Gateway nat-1",
            },
            {"NetworkInterfaceId": "eni-mine", "InterfaceType": "interface", "Status": "available"},
        ]
    }
    gateways = {
        "NatGateways": [
            {"NatGatewayId": "nat-deleting", "State": "deleting"},
            {"NatGatewayId": "nat-deleted", "State": "deleted"},
            {"NatGatewayId": "nat-live", "State": "available"},
        ]
    }
    with Stubber(interfaces.client) as stub:
        stub.add_response("describe_network_interfaces", answer)
        stub.add_response("describe_nat_gateways", gateways)
        found = {item.id: item for item in interfaces.list()}
        live = [item.id for item in nat_gateways.list()]

    assert not any(item.protected for item in found.values())  # none is kept on purpose: all must go
    # Lambda removes its own some time after the function: never asked, the sweep waits for it.
    interfaces.delete(found["eni-lambda"])
    # One AWS made for a service whose owner the cleaner does not know is the blocker, said as such.
    with pytest.raises(ClientError, match="made by .* for Interface for NAT Gateway nat-1 .nat_gateway.") as refused:
        interfaces.delete(found["eni-nat"])
    assert refused.value.response["Error"]["Code"] == "RequesterManagedInterface"
    # A gateway being deleted is still there (its interface with it): what needs it gone waits.
    assert live == ["nat-deleting", "nat-live"]


def test_elastic_ips_are_disassociated_then_released(account):
    ec2 = ec2_of(account)
    instance = ec2.run_instances(ImageId=PUBLIC_IMAGE, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    association = ec2.associate_address(AllocationId=allocation, InstanceId=instance)["AssociationId"]
    log = CallLog().watch(account, "ec2")

    sweep(account, ("cleaner.services.vpc",))

    assert log.index("DisassociateAddress", AssociationId=association) < log.index(
        "ReleaseAddress", AllocationId=allocation
    )
    assert ec2.describe_addresses()["Addresses"] == []


# --- Auto Scaling and load balancers ------------------------------------------------------------


def test_auto_scaling_groups_are_emptied_and_force_deleted_before_their_instances_and_templates(account):
    ec2 = ec2_of(account)
    autoscaling = member_client(account, "autoscaling", REGION)
    template = ec2.create_launch_template(
        LaunchTemplateName="web", LaunchTemplateData={"ImageId": PUBLIC_IMAGE, "InstanceType": "t3.micro"}
    )["LaunchTemplate"]["LaunchTemplateId"]
    subnet = ec2.describe_subnets()["Subnets"][0]["SubnetId"]
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName="web",
        LaunchTemplate={"LaunchTemplateId": template},
        MinSize=2,
        MaxSize=4,
        DesiredCapacity=2,
        VPCZoneIdentifier=subnet,
        Tags=[{"Key": "team", "Value": "blue", "PropagateAtLaunch": True}],
    )
    autoscaling.create_launch_configuration(
        LaunchConfigurationName="old", ImageId=PUBLIC_IMAGE, InstanceType="t3.micro"
    )
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName="legacy", LaunchConfigurationName="old", MinSize=1, MaxSize=1, VPCZoneIdentifier=subnet
    )
    assert items_of(account, "autoscaling.group")["web"].tags == {"team": "blue"}
    log = CallLog().watch(account, "autoscaling").watch(account, "ec2")

    result = sweep(account)

    assert result.passes[-1] == []
    for group in ("web", "legacy"):
        update = log.index(
            "UpdateAutoScalingGroup", AutoScalingGroupName=group, MinSize=0, MaxSize=0, DesiredCapacity=0
        )
        assert update < log.index("DeleteAutoScalingGroup", AutoScalingGroupName=group, ForceDelete=True)
    last_group_delete = max(i for i, (name, _p, _r) in enumerate(log.calls) if name == "DeleteAutoScalingGroup")
    assert last_group_delete < log.index("DeleteLaunchConfiguration", LaunchConfigurationName="old")
    assert last_group_delete < log.index("DeleteLaunchTemplate", LaunchTemplateId=template)
    assert autoscaling.describe_auto_scaling_groups()["AutoScalingGroups"] == []
    assert autoscaling.describe_launch_configurations()["LaunchConfigurations"] == []


def test_a_load_balancer_with_deletion_protection_loses_it_first_and_its_target_groups_follow(account):
    ec2 = ec2_of(account)
    subnets = [s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]][:2]
    elb = member_client(account, "elbv2", REGION)
    balancer = elb.create_load_balancer(Name="guarded", Subnets=subnets, Tags=[{"Key": "Name", "Value": "guarded"}])[
        "LoadBalancers"
    ][0]["LoadBalancerArn"]
    elb.modify_load_balancer_attributes(
        LoadBalancerArn=balancer, Attributes=[{"Key": "deletion_protection.enabled", "Value": "true"}]
    )
    vpc = ec2.describe_subnets(SubnetIds=subnets[:1])["Subnets"][0]["VpcId"]
    group = elb.create_target_group(Name="targets", Protocol="HTTP", Port=80, VpcId=vpc)["TargetGroups"][0][
        "TargetGroupArn"
    ]
    elb.create_listener(
        LoadBalancerArn=balancer,
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": group}],
    )
    assert items_of(account, "elbv2.load_balancer")[balancer].tags == {"Name": "guarded"}
    log = CallLog().watch(account, "elbv2")

    sweep(account, ("cleaner.services.elbv2",))

    switched_off = log.index(
        "ModifyLoadBalancerAttributes",
        LoadBalancerArn=balancer,
        Attributes=[{"Key": "deletion_protection.enabled", "Value": "false"}],
    )
    assert switched_off < log.index("DeleteLoadBalancer", LoadBalancerArn=balancer)
    assert log.index("DeleteLoadBalancer", LoadBalancerArn=balancer) < log.index(
        "DeleteTargetGroup", TargetGroupArn=group
    )
    assert elb.describe_load_balancers()["LoadBalancers"] == []
    assert elb.describe_target_groups()["TargetGroups"] == []
