"""Benchmark: the cleaner's parallel sweep against a one-at-a-time sweep, on a simulated AWS.

The simulated AWS is moto behind a botocore hook that adds a fixed latency to every call and
enforces AWS's documented token buckets per account, region and API class (the rates of
cleaner/context.py), answering Throttling when a bucket is empty, as AWS does. Every sandbox
account gets an attendee's footprint in every region (a VPC with subnets, an internet gateway, a
route table, security groups, instances with their volumes, snapshots, an S3 bucket with a few
hundred object versions, log groups, Lambda functions, SQS queues, SNS topics, DynamoDB tables),
and a footprint of every topic the programme teaches, as far as moto has it (Data Analytics: Glue,
Redshift, OpenSearch, MSK, EMR, Firehose; AI/ML: Lex, Bedrock agents, Comprehend; DevOps:
CodeCommit, CodeBuild, Beanstalk; containers: ECS, ECR; serverless: AppSync, Step Functions,
Scheduler, API Gateway; IoT; Batch; SAP: EFS with mount targets, Backup; not ElastiCache,
whose deleted clusters moto lists as deleting for ever), with IAM and
Route 53 leftovers account-wide, all made before the clock starts. Lightsail, which moto lacks, is
tested with stand-ins, not here.

    .venv/bin/python bench/cleaner.py [--accounts 20] [--regions eu-west-1,eu-central-1,us-east-1,us-west-2]
        [--latency-ms 50] [--threads 40] [--object-versions 200] [--serial-full] [--simulator server]

Printed: the wall time of the parallel sweep (clean_accounts' in-process path: the engine the Celery
workers run, with its database records), the lower bound AWS's buckets set (the slowest
(account, region) pair's bucket-limited minimum for the calls it made), the time of a sweep
one item at a time, one region after another (aws-nuke's way) — measured on one account and
multiplied by the number of accounts unless --serial-full — and the ratios.

Where moto runs matters more than anything the engine does. By default (--simulator server) it is
its own process, as AWS is: this process's CPU is then the portal's own work (the engine, botocore
building requests and reading answers, the records), and moto's is counted apart from it. moto
answers one call at a time there, because moto is GIL-bound and many threads inside it at once
only fight over the GIL and its global backend lock (40 targets at once cost four times the CPU per
call). Its CPU is then a floor this machine sets that real AWS would not, and the sweep is judged
against the larger of that floor and the buckets' bound. `--simulator in-process` is the old way:
moto in this process under the same GIL as the engine, where the two figures cannot be told apart.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# botocore's event names use a service's id; cleaner/context.py's rates use its boto3 name.
SERVICE_NAMES = {"cloudwatch-logs": "logs", "api-gateway": "apigateway"}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=20)
    parser.add_argument("--regions", default="eu-west-1,eu-central-1,us-east-1,us-west-2")
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--threads", type=int, default=40, help="(account, region) pairs swept at once")
    parser.add_argument("--instances", type=int, default=3, help="EC2 instances per account and region")
    parser.add_argument("--object-versions", type=int, default=200, help="S3 object versions per bucket")
    parser.add_argument("--serial-full", action="store_true", help="sweep every account one at a time too")
    parser.add_argument(
        "--simulator",
        choices=["server", "in-process"],
        default="server",
        help="moto in its own process (its CPU counted apart from the portal's) or in this one",
    )
    return parser.parse_args()


def cpu_seconds(pid: int) -> float:
    """User and system CPU a process has used so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def moto_in_its_own_process():
    """A moto server process with the hub's Organization; yields (the organisation, the server's pid)."""
    from django.test import override_settings

    from cpp_portal import fake_aws
    from cpp_portal.aws import forget_clients
    from tests.aws_fakes import FakeOrganization

    port = fake_aws.free_port()
    endpoint = f"http://{fake_aws.HOST}:{port}"
    server = subprocess.Popen(fake_aws.server_command(port, one_call_at_a_time=True, managed_policies=False))  # noqa: S603
    saved = dict(os.environ)
    try:
        fake_aws.wait_until_up(endpoint, process=server)
        os.environ.update(fake_aws.environment(endpoint))
        with override_settings(AWS_ENDPOINT_URL=endpoint):
            forget_clients()
            yield FakeOrganization(), server.pid
    finally:
        forget_clients()
        os.environ.clear()
        os.environ.update(saved)
        fake_aws.FakeAws(endpoint=endpoint, sandbox_ou_id="", process=server).stop()


@contextlib.contextmanager
def moto_in_this_process():
    from tests.aws_fakes import fake_aws

    with fake_aws() as org:
        yield org, None


def simulated_aws_class():
    from cleaner.context import api_class
    from tests.aws_fakes import BotocoreHooks, TokenBucket, _error

    class SimulatedAws(BotocoreHooks):
        """Latency for every call; per (account, region, API class) buckets that answer Throttling."""

        def __post_init__(self):
            super().__post_init__()
            self.aws_buckets: dict[tuple[str, str, str], TokenBucket] = {}
            self.by_class: Counter = Counter()  # (account, region, API class) → calls AWS answered
            self.aws_throttled = 0
            # moto stands in for AWS's fleet but runs on this machine's cores, under one GIL. Many
            # threads inside moto at once only fight over the GIL and moto's global backend lock
            # (CPU per call grew fourfold with 40 targets at once), so it answers one call at a
            # time, like one server, and the time it spends answering is the floor this machine sets.
            self.simulator = threading.Lock()
            self.simulator_busy = 0.0

        def _before_send(self, request, event_name: str, **kwargs):
            _, service_id, operation = event_name.split(".", 2)
            account = self._account_of(request)
            time.sleep(self.latency)
            if account != "hub":
                region = self._region_of(request)
                name, rate = api_class(SERVICE_NAMES.get(service_id, service_id), operation)
                key = (account, region, name)
                with self._lock:
                    bucket = self.aws_buckets.setdefault(key, TokenBucket(rate.burst, rate.per_second))
                if not bucket.take():
                    with self._lock:
                        self.aws_throttled += 1
                    return _error(request, 400, "Throttling", "Rate exceeded")
                with self._lock:
                    self.by_class[key] += 1
            if self._moto is None or not self._moto.enabled:
                return None  # moto is a server: botocore sends the call to it
            with self.simulator:
                started = time.perf_counter()
                try:
                    return self._moto(event_name=event_name, request=request, **kwargs)
                finally:
                    self.simulator_busy += time.perf_counter() - started

    return SimulatedAws


def footprint(account_id: str, region: str, *, instances: int, versions: int, role_arn: str) -> int:
    """What an attendee leaves in one region; returns how many things were made."""
    from cpp_portal.aws import member_client

    ec2 = member_client(account_id, "ec2", region)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{n}.0/24")["Subnet"]["SubnetId"] for n in range(2)]
    gateway = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=gateway, VpcId=vpc)
    table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", GatewayId=gateway)
    ec2.associate_route_table(RouteTableId=table, SubnetId=subnets[0])
    groups = [
        ec2.create_security_group(GroupName=f"lab-{n}", Description="lab", VpcId=vpc)["GroupId"] for n in range(2)
    ]
    ec2.authorize_security_group_ingress(
        GroupId=groups[0],
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "UserIdGroupPairs": [{"GroupId": groups[1]}]}
        ],
    )
    ec2.run_instances(
        ImageId="ami-12c6146b", MinCount=instances, MaxCount=instances, SubnetId=subnets[0], SecurityGroupIds=groups
    )
    volumes = [ec2.create_volume(AvailabilityZone=f"{region}a", Size=8)["VolumeId"] for _ in range(2)]
    for volume in volumes:
        ec2.create_snapshot(VolumeId=volume, Description="lab")
    made = 12 + 2 * instances + 4  # VPC pieces, instances with their root volumes, volumes and snapshots

    s3 = member_client(account_id, "s3", region)
    bucket = f"lab-{account_id}-{region}"
    options = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    s3.create_bucket(Bucket=bucket, **options)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    for n in range(versions):
        s3.put_object(Bucket=bucket, Key=f"results/{n // 2}.json", Body=b"{}")  # two versions a key
    made += 1

    logs, awslambda = member_client(account_id, "logs", region), member_client(account_id, "lambda", region)
    for n in range(3):
        logs.create_log_group(logGroupName=f"/lab/app-{n}")
    for n in range(2):
        awslambda.create_function(
            FunctionName=f"lab-fn-{n}",
            Runtime="python3.12",
            Role=role_arn,
            Handler="index.handler",
            Code={"ZipFile": _zip()},
        )
    sqs, sns = member_client(account_id, "sqs", region), member_client(account_id, "sns", region)
    dynamodb = member_client(account_id, "dynamodb", region)
    for n in range(3):
        sqs.create_queue(QueueName=f"lab-queue-{n}")
    for n in range(2):
        sns.create_topic(Name=f"lab-topic-{n}")
        dynamodb.create_table(
            TableName=f"lab-table-{n}",
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        )
    return made + 3 + 2 + 3 + 2 + 2 + topics_footprint(account_id, region, role_arn=role_arn, subnet=subnets[1])


def topics_footprint(account_id: str, region: str, *, role_arn: str, subnet: str) -> int:
    """One of each topic's things that moto can make in a region; returns how many."""
    from cpp_portal.aws import member_client

    def client(service: str):
        return member_client(account_id, service, region)

    made = 0
    glue = client("glue")
    glue.create_database(DatabaseInput={"Name": "lab_sales"})
    glue.create_table(DatabaseName="lab_sales", TableInput={"Name": "orders"})
    glue.create_crawler(Name="lab-crawler", Role=role_arn, Targets={"S3Targets": [{"Path": "s3://lab/raw"}]})
    glue.create_job(Name="lab-etl", Role=role_arn, Command={"Name": "glueetl", "ScriptLocation": "s3://lab/etl.py"})
    made += 4
    client("redshift").create_cluster(
        ClusterIdentifier="lab-warehouse", NodeType="dc2.large", MasterUsername="lab", MasterUserPassword="Lab12345!"
    )
    client("opensearch").create_domain(DomainName="lab-search")
    client("kafka").create_cluster(
        ClusterName="lab-stream",
        KafkaVersion="3.6.0",
        NumberOfBrokerNodes=2,
        BrokerNodeGroupInfo={"InstanceType": "kafka.t3.small", "ClientSubnets": [subnet, subnet]},
    )
    client("emr").run_job_flow(
        Name="lab-spark",
        ReleaseLabel="emr-7.0.0",
        Instances={"MasterInstanceType": "m5.xlarge", "InstanceCount": 1, "KeepJobFlowAliveWhenNoSteps": True},
        JobFlowRole="EMR_EC2_DefaultRole",
        ServiceRole="EMR_DefaultRole",
    )
    client("firehose").create_delivery_stream(
        DeliveryStreamName="lab-clicks",
        S3DestinationConfiguration={"RoleARN": role_arn, "BucketARN": "arn:aws:s3:::lab-clicks"},
    )
    made += 5
    client("lexv2-models").create_bot(
        botName="lab-bot", roleArn=role_arn, dataPrivacy={"childDirected": False}, idleSessionTTLInSeconds=300
    )
    client("bedrock-agent").create_agent(agentName="lab-agent", agentResourceRoleArn=role_arn)
    client("comprehend").create_entity_recognizer(
        RecognizerName="lab-entities",
        LanguageCode="en",
        DataAccessRoleArn=role_arn,
        InputDataConfig={"EntityTypes": [{"Type": "PRODUCT"}], "Documents": {"S3Uri": "s3://lab/docs"}},
    )
    made += 3
    client("codecommit").create_repository(repositoryName="lab-app")
    client("codebuild").create_project(
        name="lab-build",
        source={"type": "CODECOMMIT", "location": f"https://git-codecommit.{region}.amazonaws.com/v1/repos/lab-app"},
        artifacts={"type": "NO_ARTIFACTS"},
        environment={
            "type": "LINUX_CONTAINER",
            "image": "aws/codebuild/standard:7.0",
            "computeType": "BUILD_GENERAL1_SMALL",
        },
        serviceRole=role_arn,
    )
    client("elasticbeanstalk").create_application(ApplicationName="lab-web")
    client("ecs").create_cluster(clusterName="lab-containers")
    client("ecr").create_repository(repositoryName="lab-images")
    made += 5
    client("appsync").create_graphql_api(name="lab-api", authenticationType="API_KEY")
    client("stepfunctions").create_state_machine(
        name="lab-flow", definition='{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}', roleArn=role_arn
    )
    client("scheduler").create_schedule(
        Name="lab-nightly",
        ScheduleExpression="rate(1 day)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": f"arn:aws:sqs:{region}:{account_id}:lab-queue-0", "RoleArn": role_arn},
    )
    client("apigateway").create_rest_api(name="lab-rest")
    made += 4
    iot = client("iot")
    iot.create_thing(thingName="lab-sensor")
    iot.create_policy(policyName="lab-sensor-policy", policyDocument='{"Version":"2012-10-17","Statement":[]}')
    iot.create_thing_type(thingTypeName="lab-sensors")
    client("batch").register_job_definition(
        jobDefinitionName="lab-job",
        type="container",
        containerProperties={"image": "busybox", "vcpus": 1, "memory": 128, "command": ["true"]},
    )
    made += 4
    efs = client("efs")
    file_system = efs.create_file_system(CreationToken=f"lab-sap-{region}")["FileSystemId"]
    efs.create_mount_target(FileSystemId=file_system, SubnetId=subnet)
    backup = client("backup")
    backup.create_backup_vault(BackupVaultName="lab-vault")
    backup.create_backup_plan(
        BackupPlan={
            "BackupPlanName": "lab-plan",
            "Rules": [{"RuleName": "daily", "TargetBackupVaultName": "lab-vault"}],
        }
    )
    return made + 4


def global_leftovers(account_id: str) -> int:
    """Account-wide: a hosted zone with records, an identity provider; returns how many things."""
    from cpp_portal.aws import member_client

    route53 = member_client(account_id, "route53", "us-east-1")
    zone = route53.create_hosted_zone(Name="lab.example.com", CallerReference=f"lab-{account_id}")["HostedZone"]["Id"]
    route53.change_resource_record_sets(
        HostedZoneId=zone,
        ChangeBatch={
            "Changes": [
                {
                    "Action": "CREATE",
                    "ResourceRecordSet": {
                        "Name": f"app{n}.lab.example.com",
                        "Type": "A",
                        "TTL": 60,
                        "ResourceRecords": [{"Value": f"10.0.0.{n + 1}"}],
                    },
                }
                for n in range(3)
            ]
        },
    )
    member_client(account_id, "iam", "us-east-1").create_open_id_connect_provider(
        Url="https://token.actions.githubusercontent.com", ClientIDList=["sts.amazonaws.com"]
    )
    return 2


def _zip() -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return 'ok'\n")
    return buffer.getvalue()


def iam_leftovers(account_id: str) -> str:
    """An attendee's IAM user with a key, and the role their Lambda functions run as (its ARN)."""
    from cpp_portal.aws import member_client

    iam = member_client(account_id, "iam", "us-east-1")
    iam.create_user(UserName="attendee-01")
    iam.create_access_key(UserName="attendee-01")
    trust = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}'  # noqa: E501
    return iam.create_role(RoleName="lab-lambda-role", AssumeRolePolicyDocument=trust)["Role"]["Arn"]


def bucket_bound(by_class: Counter, accounts: set[str]) -> tuple[float, tuple[str, str, str]]:
    """The slowest (account, region) pair's minimum time given its calls and AWS's buckets."""
    from cleaner.context import DEFAULT_RATE, OPERATION_RATES, SERVICE_RATES

    def rate_of(name: str):
        if name in OPERATION_RATES:
            return OPERATION_RATES[name]
        service, _, kind = name.rpartition(".")
        return SERVICE_RATES.get((service, kind), DEFAULT_RATE)

    worst, worst_key = 0.0, ("", "", "")
    for (account, region, name), calls in by_class.items():
        if account not in accounts:
            continue
        rate = rate_of(name)
        # A pair's classes drain side by side; within one, calls beyond the burst wait for refills.
        seconds = max(0.0, (calls - rate.burst) / rate.per_second)
        if seconds > worst:
            worst, worst_key = seconds, (account, region, name)
    return worst, worst_key


def main() -> int:
    args = parse_args()
    regions = [r.strip() for r in args.regions.split(",") if r.strip()]
    workdir = tempfile.mkdtemp(prefix="cpp-bench-cleaner-")
    os.environ.setdefault("CPP_LOCAL_DIR", workdir)
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir}/bench.sqlite3"
    os.environ["DJANGO_SETTINGS_MODULE"] = "cpp_portal.test_settings"
    # No preloaded public AMIs and their ~1,300 snapshots: moto would parse them on every snapshot listing.
    os.environ["MOTO_EC2_LOAD_DEFAULT_AMIS"] = "false"
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import override_settings

    from cleaner import engine, runs, safety
    from cleaner.context import GLOBAL_REGION, SweepContext
    from cleaner.models import CleanupRun

    call_command("migrate", verbosity=0)
    types = engine.resource_types()
    simulator = moto_in_its_own_process() if args.simulator == "server" else moto_in_this_process()
    with override_settings(CPP_CLEANER_RESCAN_PAUSE_SECONDS=0), simulator as (org, server_pid):
        started = time.perf_counter()
        pool = org.add_accounts(args.accounts + 1)  # the last one is swept one item at a time
        made = 0
        for account in pool:
            role_arn = iam_leftovers(account.aws_account_id)
            made += 2 + global_leftovers(account.aws_account_id)
            for region in regions:
                made += footprint(
                    account.aws_account_id,
                    region,
                    instances=args.instances,
                    versions=args.object_versions,
                    role_arn=role_arn,
                )
        setup = time.perf_counter() - started
        parallel_accounts, sample = pool[:-1], pool[-1]

        with simulated_aws_class()(latency=args.latency_ms / 1000) as simulated:
            run = runs.cleanup_run_create(
                account_ids=[a.aws_account_id for a in parallel_accounts],
                trigger=CleanupRun.Trigger.COMMAND,
                dry_run=False,
                # The regions the guardrails allowed: not a filter, so IAM and the rest account-wide go too.
                scope_regions=regions,
                queue_it=False,
            )
            moto_cpu_started = cpu_seconds(server_pid) if server_pid else 0.0
            started, cpu_started = time.perf_counter(), time.process_time()
            run = runs.cleanup_run_sweep_here(run_id=run.pk, threads=args.threads)
            parallel, parallel_cpu = time.perf_counter() - started, time.process_time() - cpu_started
            moto_cpu = cpu_seconds(server_pid) - moto_cpu_started if server_pid else None
            calls = sum(simulated.by_class.values())
            throttled_parallel = simulated.aws_throttled
            simulator_busy = simulated.simulator_busy
            bound, slowest = bucket_bound(simulated.by_class, {a.aws_account_id for a in parallel_accounts})

            # aws-nuke's way: one account, one region after another, one item at a time.
            serial_accounts = parallel_accounts if args.serial_full else [sample]
            if args.serial_full:
                print("note: --serial-full sweeps the accounts a second time (already clean)", file=sys.stderr)
            protection = safety.protection()
            started = time.perf_counter()
            serial_outcomes = []
            for account in serial_accounts:
                for region in [*regions, GLOBAL_REGION]:
                    is_global = region == GLOBAL_REGION
                    serial_outcomes.append(
                        engine.sweep(
                            SweepContext(account.aws_account_id, region),
                            [t for t in types if t.is_global == is_global],
                            dry_run=False,
                            protection=protection,
                            workers=1,
                            budget_seconds=1800,
                        )
                    )
            serial_measured = time.perf_counter() - started
        serial = serial_measured * (1 if args.serial_full else len(parallel_accounts))

    totals = run.summary["totals"]
    if os.environ.get("BENCH_TARGETS"):
        for target in run.targets.order_by("finished_at"):
            took = (target.finished_at - target.started_at).total_seconds()
            print(
                f"  {target.account_id} {target.region:10} {took:5.1f} s {target.scans} scans {target.deleted} deleted"
            )
    pairs = len(parallel_accounts) * len(regions)
    print(f"service modules          {len(types)} resource types")
    print(
        f"accounts x regions       {len(parallel_accounts)} x {len(regions)} = {pairs} pairs (+ 1 global target each)"
    )
    print(f"footprint                {made} things made in {setup:.0f} s (moto, no latency)")
    print(f"simulated latency        {args.latency_ms:.0f} ms per call; AWS buckets per account, region, API class")
    print(f"threads                  {args.threads} targets at once, {engine.DEFAULT_WORKERS} deleting threads each")
    # cpp_portal.aws shares one loader between the assumed-role sessions: each model is parsed once.
    print("botocore model loader    one per process, shared by every assumed-role session")
    outcome = f"{run.status}; found {totals['found']}, deleted {totals['deleted']}, failed {totals['failed']}, "
    outcome += f"left {totals['left']}; {calls} calls, {throttled_parallel} throttled"
    print(f"parallel sweep           {parallel:.1f} s  ({outcome})")
    deleted = max(1, totals["deleted"])
    print(f"calls per resource       {calls / deleted:.1f}  ({calls} calls, {totals['deleted']} deleted)")
    cores = os.cpu_count() or 1

    def per_call(seconds: float) -> str:
        return f"{seconds:.1f} s, {1000 * seconds / calls:.1f} ms a call"

    if moto_cpu is not None:
        print(f"  this process's CPU     {per_call(parallel_cpu)}  (the portal's own: engine, botocore, records)")
        print(f"  moto's CPU             {per_call(moto_cpu)}  (its own process, one call at a time)")
        floor = (parallel_cpu + moto_cpu) / cores
        print(f"CPU floor                {floor:.1f} s  (both processes' CPU over {cores} cores)")
    else:
        print(f"  CPU in this process    {per_call(parallel_cpu)}  (moto and the portal together, one GIL)")
        print(f"  moto busy              {per_call(simulator_busy)}  (one call at a time, wall time inside moto)")
        floor = max(simulator_busy, parallel_cpu / cores)
        print(f"CPU floor                {floor:.1f} s  (moto's busy time or the process's CPU over {cores} cores)")
    print(f"bucket lower bound       {bound:.1f} s  (slowest pair: {slowest[0]} {slowest[1]} {slowest[2]})")
    serial_deleted = sum(o.deleted for o in serial_outcomes)
    how = (
        "measured on every account"
        if args.serial_full
        else f"1 account measured ({serial_measured:.1f} s) x {len(parallel_accounts)}"
    )
    print(f"one at a time            {serial:.1f} s  ({how}; {serial_deleted} deleted in the sample)")
    print(f"one at a time / parallel {serial / parallel:.1f}x")
    print(
        f"parallel / lower bound   {parallel / bound:.1f}x" if bound else "parallel / lower bound   (no bucket binds)"
    )
    print(f"parallel / max(bound, CPU floor) {parallel / max(bound, floor):.2f}x")
    return 0 if run.status == CleanupRun.Status.DONE else 1


if __name__ == "__main__":
    sys.exit(main())
