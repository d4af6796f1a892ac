"""WAFv2: web ACLs, rule groups, IP sets and regex pattern sets, in both of WAF's scopes.

REGIONAL objects live in each region; CLOUDFRONT ones only in us-east-1, swept once per account
(global). Every delete names the object's current LockToken (from a fresh Get: a stale one is
refused). A web ACL still protecting a resource is refused: regional ones are disassociated from
their load balancers, APIs, user pools … first; a CloudFront one is detached only by changing the
distribution, so it waits for the distributions to go. A rule group or set that a web ACL (or, for a
set, a rule group) still references is refused too. A web ACL that Firewall Manager made from the
Organization's administrator account is its, and is never touched.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from botocore.exceptions import ClientError

from cleaner.registry import Item, Resource, resource
from cleaner.services._paging import pages


class _Waf(Resource):
    scope: ClassVar[str] = "REGIONAL"
    kind: ClassVar[str]  # "web_acl": the list call is list_<kind>s, Get and Delete get_/delete_<kind>
    answer_key: ClassVar[str]  # "WebACLs"

    def summaries(self) -> Iterator[dict]:
        for page in pages(getattr(self.client, f"list_{self.kind}s"), "NextMarker", "NextMarker", Scope=self.scope):
            yield from page.get(self.answer_key, ())

    def list(self) -> Iterator[Item]:
        for summary in self.summaries():
            yield Item(
                id=summary["Id"],
                name=summary["Name"],
                extra={"arn": summary.get("ARN"), "scope": self.scope},
                protected=self.protect(summary),
            )

    def protect(self, summary: dict) -> str:
        return ""

    def delete(self, item: Item) -> None:
        key = {"Name": item.name, "Id": item.id, "Scope": self.scope}
        lock = getattr(self.client, f"get_{self.kind}")(**key)["LockToken"]
        getattr(self.client, f"delete_{self.kind}")(**key, LockToken=lock)


class _WebACL(_Waf):
    kind, answer_key = "web_acl", "WebACLs"

    def protect(self, summary: dict) -> str:
        acl = self.client.get_web_acl(Name=summary["Name"], Id=summary["Id"], Scope=self.scope)["WebACL"]
        return "managed by Firewall Manager for the Organization" if acl.get("ManagedByFirewallManager") else ""


@resource("wafv2.web_acl")
class WebACL(_WebACL):
    iam_prefix = "wafv2"

    def prepare(self, item: Item) -> None:
        # ListResourcesForWebACL answers one resource type at a time (load balancers when not told), and
        # every kind of resource WAF protects is asked about: the API's own list of them, newest included.
        for resource_type in self.client.meta.service_model.shape_for("ResourceType").enum:
            try:
                found = self.client.list_resources_for_web_acl(WebACLArn=item.extra["arn"], ResourceType=resource_type)
            except ClientError as error:
                # A kind the API names but that no web ACL of this region can protect is refused as a bad parameter.
                if error.response.get("Error", {}).get("Code") == "WAFInvalidParameterException":
                    continue
                raise
            for arn in found.get("ResourceArns", ()):
                self.client.disassociate_web_acl(ResourceArn=arn)


@resource("wafv2.global_web_acl", depends_on=["cloudfront.distribution"], is_global=True)
class GlobalWebACL(_WebACL):
    service = "wafv2"
    scope = "CLOUDFRONT"


class _RuleGroup(_Waf):
    kind, answer_key = "rule_group", "RuleGroups"


@resource("wafv2.rule_group", depends_on=["wafv2.web_acl"])
class RuleGroup(_RuleGroup):
    pass


@resource("wafv2.global_rule_group", depends_on=["wafv2.global_web_acl"], is_global=True)
class GlobalRuleGroup(_RuleGroup):
    service = "wafv2"
    scope = "CLOUDFRONT"


class _IPSet(_Waf):
    kind, answer_key = "ip_set", "IPSets"


@resource("wafv2.ip_set", depends_on=["wafv2.web_acl", "wafv2.rule_group"])
class IPSet(_IPSet):
    pass


@resource("wafv2.global_ip_set", depends_on=["wafv2.global_web_acl", "wafv2.global_rule_group"], is_global=True)
class GlobalIPSet(_IPSet):
    service = "wafv2"
    scope = "CLOUDFRONT"


class _RegexSet(_Waf):
    kind, answer_key = "regex_pattern_set", "RegexPatternSets"


@resource("wafv2.regex_pattern_set", depends_on=["wafv2.web_acl", "wafv2.rule_group"])
class RegexPatternSet(_RegexSet):
    pass


@resource(
    "wafv2.global_regex_pattern_set", depends_on=["wafv2.global_web_acl", "wafv2.global_rule_group"], is_global=True
)
class GlobalRegexPatternSet(_RegexSet):
    service = "wafv2"
    scope = "CLOUDFRONT"
