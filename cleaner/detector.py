"""The detector: what an account still holds after a clean sweep that the cleaner has no type for.

The registry lists what it knows; AWS has hundreds of resource types more. After the last scan
the detector asks AWS in two ways that do not depend on knowing the type:

- the Resource Groups Tagging API (GetResources): everything tagged, or once tagged, in a region,
  whatever its service. Attendees' tools tag most things (CloudFormation, the CDK, Terraform's
  default tags, the console's "Name");
- Cloud Control (ListResources) over CLOUD_CONTROL_TYPES: types we have no module for that are
  listed without parameters and cost money while they exist; untagged ones show up here.

What the run itself found (deleted, protected, left to a filter) is not a finding: AWS keeps
listing a deleted resource in the Tagging API for a while (a terminated instance, for an hour).
The third way, Cost Explorer a day later, is in cleaner.findings: it reads the bill the portal
already stores (workshops.sandbox.spend), not AWS.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

from cleaner.answers import describe_error, no_such_api
from cleaner.context import SweepContext
from cleaner.registry import discover

log = logging.getLogger(__name__)

# Cloud Control types with no cleaner module that a workshop may leave behind, each listed with no
# parameter. A type that gets a module leaves this list (a test keeps the two apart).
CLOUD_CONTROL_TYPES = (
    "AWS::APS::Workspace",
    "AWS::AppFlow::Flow",
    "AWS::Cassandra::Keyspace",
    "AWS::CodeGuruProfiler::ProfilingGroup",
    "AWS::DataBrew::Project",
    "AWS::DataSync::Task",
    "AWS::DocDBElastic::Cluster",
    "AWS::EntityResolution::MatchingWorkflow",
    "AWS::Evidently::Project",
    "AWS::Forecast::DatasetGroup",
    "AWS::GameLift::Fleet",
    "AWS::Grafana::Workspace",
    "AWS::HealthLake::FHIRDatastore",
    "AWS::ImageBuilder::ImagePipeline",
    "AWS::IoTAnalytics::Channel",
    "AWS::IoTEvents::DetectorModel",
    "AWS::IoTSiteWise::Portal",
    "AWS::IoTTwinMaker::Workspace",
    "AWS::IVS::Channel",
    "AWS::KinesisVideo::Stream",
    "AWS::Location::Map",
    "AWS::Location::PlaceIndex",
    "AWS::MWAA::Environment",
    "AWS::NeptuneGraph::Graph",
    "AWS::OSIS::Pipeline",
    "AWS::Personalize::DatasetGroup",
    "AWS::QLDB::Ledger",
    "AWS::Timestream::Database",
    "AWS::Timestream::InfluxDBInstance",
    "AWS::VpcLattice::ServiceNetwork",
)
# Cloud Control's answers for a type it does not offer in a region, or not at all: no finding, no error.
NOT_OFFERED = frozenset(
    {"TypeNotFoundException", "UnsupportedActionException", "UnsupportedOperation", "OptInRequired"}
)
# Regions whose Tagging API also answers for global resources (CloudFront, Route 53 …).
GLOBAL_TAGGING_REGION = "us-east-1"


@dataclass(frozen=True)
class Leftover:
    region: str
    source: str  # "tagging" or "cloud_control" (cleaner.models.Finding.Source)
    resource_type: str
    identifier: str


@dataclass
class Detection:
    leftovers: list[Leftover]
    errors: list[str]  # what could not be checked, per region and way


def arn_type(arn: str) -> str:
    """ "ec2:instance" for arn:aws:ec2:eu-west-1:1:instance/i-1; the service alone where no type is given."""
    parts = arn.split(":", 5)
    if len(parts) < 6:
        return arn
    resource = parts[5]
    kind = resource.split("/", 1)[0] if "/" in resource else resource.split(":", 1)[0] if ":" in resource else ""
    return f"{parts[2]}:{kind}" if kind and kind != resource else parts[2]


def names_in(arn: str) -> set[str]:
    """What a run may have recorded for this ARN: itself, its resource part, and each segment of it."""
    resource = arn.split(":", 5)[-1]
    found = {arn, resource}
    for separator in ("/", ":"):
        parts = [part for part in resource.split(separator) if part]
        # The first part of "instance/i-1" names the type, not the thing: "instance" matches nothing.
        found.update(parts[1:] if len(parts) > 1 else ())
    return found


def accounted_for(arn: str, known: set[str]) -> bool:
    """Whether the run recorded this resource (as deleted, protected, filtered …) by its ARN, id or name."""
    return bool(names_in(arn) & known)


def _tagged(context: SweepContext) -> Iterator[str]:
    client = context.client("resourcegroupstaggingapi")
    for page in client.get_paginator("get_resources").paginate(ResourcesPerPage=100):
        for mapping in page.get("ResourceTagMappingList", ()):
            yield mapping["ResourceARN"]


def _controlled(context: SweepContext, type_name: str) -> Iterator[str]:
    client = context.client("cloudcontrol")
    for page in client.get_paginator("list_resources").paginate(TypeName=type_name):
        for description in page.get("ResourceDescriptions", ()):
            yield description["Identifier"]


def _not_offered(error: BaseException) -> bool:
    if isinstance(error, ClientError):
        return error.response.get("Error", {}).get("Code", "") in NOT_OFFERED or no_such_api(error)
    return isinstance(error, EndpointConnectionError | NotImplementedError)


def detect(
    account_id: str,
    regions: Iterable[str],
    known: set[str],
    *,
    cloud_control_types: Iterable[str] = CLOUD_CONTROL_TYPES,
) -> Detection:
    """Ask AWS what the account holds in `regions` beyond what the run recorded (`known`)."""
    detection = Detection(leftovers=[], errors=[])
    wanted = [t for t in cloud_control_types if t not in covered_cloud_control_types()]
    regions = sorted(set(regions) | {GLOBAL_TAGGING_REGION})
    seen: set[str] = set()
    for region in regions:
        context = SweepContext(account_id, region)
        try:
            for arn in _tagged(context):
                if arn not in seen and not accounted_for(arn, known):
                    seen.add(arn)
                    detection.leftovers.append(Leftover(region, "tagging", arn_type(arn), arn))
        except (ClientError, BotoCoreError, NotImplementedError) as error:
            if not _not_offered(error):
                detection.errors.append(f"{region} Tagging API: {describe_error(error)}")
        for type_name in wanted:
            try:
                for identifier in _controlled(context, type_name):
                    if identifier not in seen and identifier not in known:
                        seen.add(identifier)
                        detection.leftovers.append(Leftover(region, "cloud_control", type_name, identifier))
            except (ClientError, BotoCoreError, NotImplementedError) as error:
                if no_such_api(error):
                    break  # no Cloud Control at this endpoint: no type will answer either
                if not _not_offered(error):
                    detection.errors.append(f"{region} {type_name}: {describe_error(error)}")
                if _server_error(error):
                    # Still failing after botocore's retries: the next type would wait as long for the same.
                    detection.errors.append(f"{region}: Cloud Control not asked further after a server error")
                    break
    log.info(
        "detector: account %s, %d regions: %d leftovers, %d unreadable",
        account_id,
        len(regions),
        len(detection.leftovers),
        len(detection.errors),
    )
    return detection


def _server_error(error: BaseException) -> bool:
    if not isinstance(error, ClientError):
        return False
    return error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) >= 500


def covered_cloud_control_types() -> set[str]:
    """Cloud Control types some cleaner module says it sweeps (`cloud_control_type`), so not asked again."""
    return {cls.cloud_control_type for cls in discover().values() if getattr(cls, "cloud_control_type", "")}
