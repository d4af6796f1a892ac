"""The Intro and containers topics' footprint, swept by the real engine in two regions and once account-wide.

Intro attendees leave, in each region: a VPC with subnets, an internet gateway, a route table and
security groups that refer to each other; instances with an extra volume, a snapshot and an AMI
made from one; a key pair, a launch template and an Elastic IP; a bucket with versions. Containers
attendees: an ECR repository with an image, an ECS cluster with a task definition and a service,
and an EKS cluster with a managed node group. Account-wide: an IAM user with an access key and an
admin policy, a role with an instance profile, a customer-managed policy. All of it is moto's own.
"""

from __future__ import annotations

import json

from cleaner.context import GLOBAL_REGION
from cleaner.services import autoscaling, ec2, ecr, ecs, eks, elbv2, iam, s3, vpc
from tests.cleaner.test_services_app import RecordingContext, member_account, types_of
from tests.cleaner.topics import sweep_topic

REGIONS = ("eu-west-1", "eu-central-1")
TRUST_EC2 = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


def _intro(context: RecordingContext) -> list[str]:
    client = context.client("ec2")
    network = client.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    subnets = [client.create_subnet(VpcId=network, CidrBlock=f"10.1.{n}.0/24")["Subnet"]["SubnetId"] for n in range(2)]
    gateway = client.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    client.attach_internet_gateway(InternetGatewayId=gateway, VpcId=network)
    table = client.create_route_table(VpcId=network)["RouteTable"]["RouteTableId"]
    client.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", GatewayId=gateway)
    client.associate_route_table(RouteTableId=table, SubnetId=subnets[0])
    web, app = (
        client.create_security_group(GroupName=name, Description="lab", VpcId=network)["GroupId"]
        for name in ("web", "app")
    )
    client.authorize_security_group_ingress(
        GroupId=app,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "UserIdGroupPairs": [{"GroupId": web}]}],
    )
    client.create_key_pair(KeyName="lab-key")
    client.create_launch_template(LaunchTemplateName="lab-web", LaunchTemplateData={"InstanceType": "t3.micro"})
    instance = client.run_instances(
        ImageId="ami-12c6146b", MinCount=1, MaxCount=1, SubnetId=subnets[0], SecurityGroupIds=[web], KeyName="lab-key"
    )["Instances"][0]["InstanceId"]
    volume = client.create_volume(AvailabilityZone=f"{context.region}a", Size=8)["VolumeId"]
    client.create_snapshot(VolumeId=volume, Description="lab")
    client.create_image(InstanceId=instance, Name="lab-golden")
    client.allocate_address(Domain="vpc")
    bucket = context.client("s3")
    bucket.create_bucket(
        Bucket=f"lab-intro-{context.region}", CreateBucketConfiguration={"LocationConstraint": context.region}
    )
    bucket.put_bucket_versioning(Bucket=f"lab-intro-{context.region}", VersioningConfiguration={"Status": "Enabled"})
    for n in range(3):
        bucket.put_object(Bucket=f"lab-intro-{context.region}", Key="notes.txt", Body=f"v{n}".encode())
    return subnets


def _containers(context: RecordingContext, subnets: list[str], role_arn: str) -> None:
    context.client("ecr").create_repository(repositoryName="lab-shop")
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json"}
    context.client("ecr").put_image(repositoryName="lab-shop", imageManifest=json.dumps(manifest), imageTag="v1")
    containers = context.client("ecs")
    containers.create_cluster(clusterName="lab-shop")
    containers.register_task_definition(
        family="lab-shop", containerDefinitions=[{"name": "web", "image": "lab-shop:v1", "memory": 128}]
    )
    containers.create_service(cluster="lab-shop", serviceName="web", taskDefinition="lab-shop", desiredCount=1)
    kubernetes = context.client("eks")
    kubernetes.create_cluster(name="lab-k8s", roleArn=role_arn, resourcesVpcConfig={"subnetIds": subnets})
    kubernetes.create_nodegroup(clusterName="lab-k8s", nodegroupName="workers", subnets=subnets, nodeRole=role_arn)


def _account_wide(context: RecordingContext) -> str:
    client = context.client("iam")
    client.create_user(UserName="attendee-07")
    client.create_access_key(UserName="attendee-07")
    client.attach_user_policy(UserName="attendee-07", PolicyArn="arn:aws:iam::aws:policy/PowerUserAccess")
    role = client.create_role(RoleName="lab-node", AssumeRolePolicyDocument=json.dumps(TRUST_EC2))["Role"]["Arn"]
    client.create_instance_profile(InstanceProfileName="lab-node")
    client.add_role_to_instance_profile(InstanceProfileName="lab-node", RoleName="lab-node")
    document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    client.create_policy(PolicyName="lab-data", PolicyDocument=json.dumps(document))
    return role


def test_the_intro_and_containers_footprints_in_two_regions_are_swept_to_zero():
    with member_account() as first:
        contexts = {REGIONS[0]: first, REGIONS[1]: RecordingContext(account_id=first.account_id, region=REGIONS[1])}
        contexts[GLOBAL_REGION] = RecordingContext(account_id=first.account_id, region=GLOBAL_REGION)
        role = _account_wide(contexts[GLOBAL_REGION])
        for region in REGIONS:
            subnets = _intro(contexts[region])
            _containers(contexts[region], subnets, role)

        swept = sweep_topic(contexts, types_of(ec2, vpc, autoscaling, elbv2, ecs, eks, ecr, iam, s3))

        assert swept.left() == {}
        swept.assert_dependencies_respected()
        for region in REGIONS:
            order = swept.deleted_types(region)
            assert order.index("eks.nodegroup") < order.index("eks.cluster")
            assert order.index("ecs.service") < order.index("ecs.cluster")
            assert order.index("ec2.instance") < order.index("ec2.subnet") < order.index("ec2.vpc")
            assert order.index("ec2.image") < order.index("ec2.snapshot")
            assert {"ec2.key_pair", "ec2.launch_template", "ec2.elastic_ip", "ecr.repository"} <= set(order)
        account_wide = swept.deleted_types(GLOBAL_REGION)
        assert {"iam.user", "iam.role", "iam.instance_profile", "iam.policy", "s3.bucket"} <= set(account_wide)
        # Both regions' buckets, from the one account-wide listing, each through its own region.
        buckets = [item for kind, item in swept.recorders[GLOBAL_REGION].deleted() if kind == "s3.bucket"]
        assert sorted(buckets) == [f"lab-intro-{region}" for region in sorted(REGIONS)]
        ec2_left = contexts[REGIONS[1]].client("ec2").describe_instances()["Reservations"]
        assert all(i["State"]["Name"] == "terminated" for r in ec2_left for i in r["Instances"])
