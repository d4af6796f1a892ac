"""CloudFront (global): distributions, then what they used — functions, origin access controls and
identities, custom cache / origin-request / response-headers policies, continuous deployment policies, real-time
log configurations, VPC origins, key value stores, key groups, public keys.

Every CloudFront delete names the version it deletes (IfMatch: the ETag of a fresh Get), and AWS
refuses anything a distribution still uses. A distribution is deleted only once disabled and
deployed: disabling it is a configuration change that takes minutes to reach every edge location,
so it is disabled in prepare(), stays listed while that deploys, and is deleted on a later scan.
AWS's managed policies (Type "managed") are shared by every account: only custom ones are listed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

import jmespath
from botocore.exceptions import ClientError

from cleaner.registry import Item, Resource, resource
from cleaner.services._paging import pages
from cleaner.services.cloud9 import not_offered

DISTRIBUTION = "cloudfront.distribution"


@resource(DISTRIBUTION, is_global=True)
class Distribution(Resource):
    # Disabling deploys to every edge location before AWS takes the delete.
    gone_within = 900

    def list(self) -> Iterator[Item]:
        for page in self.client.get_paginator("list_distributions").paginate():
            for summary in page["DistributionList"].get("Items", ()):
                tags = self.client.list_tags_for_resource(Resource=summary["ARN"]).get("Tags", {})
                yield Item(
                    id=summary["Id"],
                    name=summary.get("DomainName", summary["Id"]),
                    tags={tag["Key"]: tag.get("Value", "") for tag in tags.get("Items", ())},
                    created=summary.get("LastModifiedTime"),
                    extra={"arn": summary["ARN"], "status": summary.get("Status"), "enabled": summary.get("Enabled")},
                )

    def prepare(self, item: Item) -> None:
        if not item.extra.get("enabled"):
            return
        found = self.client.get_distribution_config(Id=item.id)
        config = found["DistributionConfig"]
        if config.get("Enabled"):
            config["Enabled"] = False
            self.client.update_distribution(Id=item.id, IfMatch=found["ETag"], DistributionConfig=config)

    def delete(self, item: Item) -> None:
        found = self.client.get_distribution(Id=item.id)
        distribution = found["Distribution"]
        if distribution["DistributionConfig"].get("Enabled") or distribution.get("Status") != "Deployed":
            return  # disabling is still deploying: the re-scan lists it again and comes back
        self.client.delete_distribution(Id=item.id, IfMatch=found["ETag"])


class _Versioned(Resource):
    """A CloudFront object deleted by its id and the ETag of a fresh Get."""

    list_call: ClassVar[str]
    list_params: ClassVar[dict] = {}
    items: ClassVar[str]  # JMESPath to the list in a page
    id_path: ClassVar[str]
    name_path: ClassVar[str]
    get_call: ClassVar[str] = ""  # "": deleted by its id alone, no version to name
    delete_call: ClassVar[str]
    id_param: ClassVar[str] = "Id"
    state_path: ClassVar[str] = ""
    going: ClassVar[frozenset[str]] = frozenset()  # states in which AWS is already deleting it

    def raw_pages(self) -> Iterator[dict]:
        try:
            if self.client.can_paginate(self.list_call):
                yield from self.client.get_paginator(self.list_call).paginate(**self.list_params)
            else:
                key = self.items.split(".", 1)[0]
                call = getattr(self.client, self.list_call)
                yield from pages(call, "Marker", f"{key}.NextMarker", **self.list_params)
        except ClientError as error:
            # The local fake AWS knows CloudFront but not every kind of object in it: a bare 404.
            if not_offered(error):
                raise NotImplementedError(f"{self.type} is not offered by this endpoint") from error
            raise

    def list(self) -> Iterator[Item]:
        seen = set()
        for page in self.raw_pages():
            for raw in jmespath.search(self.items, page) or ():
                item_id = jmespath.search(self.id_path, raw)
                if item_id in seen:  # functions are listed once per stage
                    continue
                seen.add(item_id)
                state = jmespath.search(self.state_path, raw) if self.state_path else None
                yield Item(id=item_id, name=jmespath.search(self.name_path, raw) or item_id, extra={"state": state})

    def delete(self, item: Item) -> None:
        if item.extra.get("state") in self.going:
            return
        if not self.get_call:
            getattr(self.client, self.delete_call)(**{self.id_param: item.id})
            return
        etag = getattr(self.client, self.get_call)(**{self.id_param: item.id})["ETag"]
        getattr(self.client, self.delete_call)(**{self.id_param: item.id}, IfMatch=etag)


@resource("cloudfront.function", depends_on=[DISTRIBUTION], is_global=True)
class Function(_Versioned):
    list_call, items = "list_functions", "FunctionList.Items"
    id_path = name_path = "Name"
    get_call, delete_call, id_param = "describe_function", "delete_function", "Name"


@resource("cloudfront.origin_access_control", depends_on=[DISTRIBUTION], is_global=True)
class OriginAccessControl(_Versioned):
    list_call, items = "list_origin_access_controls", "OriginAccessControlList.Items"
    id_path, name_path = "Id", "Name"
    get_call, delete_call = "get_origin_access_control", "delete_origin_access_control"


@resource("cloudfront.origin_access_identity", depends_on=[DISTRIBUTION], is_global=True)
class OriginAccessIdentity(_Versioned):
    list_call, items = "list_cloud_front_origin_access_identities", "CloudFrontOriginAccessIdentityList.Items"
    id_path, name_path = "Id", "Comment"
    get_call = "get_cloud_front_origin_access_identity"
    delete_call = "delete_cloud_front_origin_access_identity"


@resource("cloudfront.cache_policy", depends_on=[DISTRIBUTION], is_global=True)
class CachePolicy(_Versioned):
    list_call, list_params, items = "list_cache_policies", {"Type": "custom"}, "CachePolicyList.Items"
    id_path, name_path = "CachePolicy.Id", "CachePolicy.CachePolicyConfig.Name"
    get_call, delete_call = "get_cache_policy", "delete_cache_policy"


@resource("cloudfront.origin_request_policy", depends_on=[DISTRIBUTION], is_global=True)
class OriginRequestPolicy(_Versioned):
    list_call, list_params = "list_origin_request_policies", {"Type": "custom"}
    items = "OriginRequestPolicyList.Items"
    id_path, name_path = "OriginRequestPolicy.Id", "OriginRequestPolicy.OriginRequestPolicyConfig.Name"
    get_call, delete_call = "get_origin_request_policy", "delete_origin_request_policy"


@resource("cloudfront.response_headers_policy", depends_on=[DISTRIBUTION], is_global=True)
class ResponseHeadersPolicy(_Versioned):
    list_call, list_params = "list_response_headers_policies", {"Type": "custom"}
    items = "ResponseHeadersPolicyList.Items"
    id_path, name_path = "ResponseHeadersPolicy.Id", "ResponseHeadersPolicy.ResponseHeadersPolicyConfig.Name"
    get_call, delete_call = "get_response_headers_policy", "delete_response_headers_policy"


@resource("cloudfront.key_group", depends_on=[DISTRIBUTION], is_global=True)
class KeyGroup(_Versioned):
    list_call, items = "list_key_groups", "KeyGroupList.Items"
    id_path, name_path = "KeyGroup.Id", "KeyGroup.KeyGroupConfig.Name"
    get_call, delete_call = "get_key_group", "delete_key_group"


@resource("cloudfront.continuous_deployment_policy", depends_on=[DISTRIBUTION], is_global=True)
class ContinuousDeploymentPolicy(_Versioned):
    list_call, items = "list_continuous_deployment_policies", "ContinuousDeploymentPolicyList.Items"
    id_path = "ContinuousDeploymentPolicy.Id"
    name_path = "ContinuousDeploymentPolicy.ContinuousDeploymentPolicyConfig.StagingDistributionDnsNames.Items[0]"
    get_call, delete_call = "get_continuous_deployment_policy", "delete_continuous_deployment_policy"


@resource("cloudfront.realtime_log_config", depends_on=[DISTRIBUTION], is_global=True)
class RealtimeLogConfig(_Versioned):
    list_call, items = "list_realtime_log_configs", "RealtimeLogConfigs.Items"
    id_path = name_path = "Name"
    delete_call, id_param = "delete_realtime_log_config", "Name"


# An origin inside a VPC (an internal load balancer or instance, reached through CloudFront's own
# network interfaces in the VPC): the VPC's subnets cannot go while it is there.
@resource("cloudfront.vpc_origin", depends_on=[DISTRIBUTION], is_global=True)
class VpcOrigin(_Versioned):
    list_call, items = "list_vpc_origins", "VpcOriginList.Items"
    id_path, name_path, state_path, going = "Id", "Name", "Status", frozenset({"Deleting"})
    get_call, delete_call = "get_vpc_origin", "delete_vpc_origin"


# A key value store that a function still uses is refused.
@resource("cloudfront.key_value_store", depends_on=["cloudfront.function"], is_global=True)
class KeyValueStore(_Versioned):
    list_call, items = "list_key_value_stores", "KeyValueStoreList.Items"
    id_path = name_path = "Name"
    get_call, delete_call, id_param = "describe_key_value_store", "delete_key_value_store", "Name"


# A public key that a key group holds is refused.
@resource("cloudfront.public_key", depends_on=["cloudfront.key_group"], is_global=True)
class PublicKey(_Versioned):
    list_call, items = "list_public_keys", "PublicKeyList.Items"
    id_path, name_path = "Id", "Name"
    get_call, delete_call = "get_public_key", "delete_public_key"
