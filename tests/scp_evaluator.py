"""An evaluator of service control policies, for tests: moto attaches SCPs but enforces none.

It follows AWS's documented evaluation ("SCP evaluation", AWS Organizations user guide): an
explicit Deny anywhere wins; otherwise the request needs an Allow at every level of the path
(root, each OU, the account). Within a statement, Action/NotAction and Resource/NotResource match
with `*` and `?` wildcards (actions case-insensitively), and each condition operator must hold.
Only the operators the portal's policies use are known; an unknown one fails the test loudly
rather than being guessed. A negated operator holds when its key is absent from the request, as
IAM documents (and as the size caps must be written to survive).
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field

NEGATED = ("StringNotEquals", "StringNotLike", "ArnNotLike", "ArnNotEquals", "StringNotEqualsIgnoreCase")
FULL_AWS_ACCESS = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


@dataclass(frozen=True)
class Request:
    """One API call as an SCP sees it: who, what, on which resource, with which condition keys."""

    action: str
    resource: str = "*"
    region: str = "eu-west-1"
    principal_arn: str = "arn:aws:iam::111122223333:user/attendee-7f3k2"
    context: dict = field(default_factory=dict)

    def key(self, name: str):
        keys = {"aws:requestedregion": self.region, "aws:principalarn": self.principal_arn}
        keys.update({k.lower(): v for k, v in self.context.items()})
        return keys.get(name.lower())


def _listed(value) -> list:
    return value if isinstance(value, list) else [value]


def _matches(pattern: str, value: str, *, case_sensitive: bool) -> bool:
    if not case_sensitive:
        pattern, value = pattern.lower(), value.lower()
    return fnmatch.fnmatchcase(value, pattern)


def _action_matches(statement: dict, action: str) -> bool:
    if "Action" in statement:
        return any(_matches(p, action, case_sensitive=False) for p in _listed(statement["Action"]))
    return not any(_matches(p, action, case_sensitive=False) for p in _listed(statement["NotAction"]))


def _resource_matches(statement: dict, resource: str) -> bool:
    if "Resource" in statement:
        return any(_matches(p, resource, case_sensitive=True) for p in _listed(statement["Resource"]))
    return not any(_matches(p, resource, case_sensitive=True) for p in _listed(statement["NotResource"]))


def _operator_holds(operator: str, key_values, policy_values: list[str]) -> bool:
    if operator == "Null":
        absent = key_values is None
        return all(absent == (str(v).lower() == "true") for v in policy_values)
    negated = operator in (
        "StringNotEquals",
        "StringNotLike",
        "ArnNotLike",
        "ArnNotEquals",
        "StringNotEqualsIgnoreCase",
    )
    if key_values is None:
        return negated  # IAM: a negated operator is true when the key is absent
    values = _listed(key_values)
    if operator in ("StringEquals", "StringNotEquals"):
        hit = any(v == p for v in values for p in policy_values)
    elif operator in ("StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase"):
        hit = any(v.lower() == p.lower() for v in values for p in policy_values)
    elif operator in ("StringLike", "StringNotLike", "ArnLike", "ArnNotLike", "ArnEquals", "ArnNotEquals"):
        hit = any(_matches(p, v, case_sensitive=True) for v in values for p in policy_values)
    else:
        raise AssertionError(f"the evaluator does not know the condition operator {operator}")
    return not hit if negated else hit


def _qualified_holds(operator: str, key_values, policy_values: list[str]) -> bool:
    # ForAnyValue / ForAllValues test each value of a multi-valued key on its own. An absent key
    # makes ForAnyValue false and ForAllValues true (IAM's documented set operators).
    qualifier, _, base = operator.partition(":")
    if not base:
        return _operator_holds(operator, key_values, policy_values)
    if key_values is None:
        return qualifier == "ForAllValues"
    results = [_operator_holds(base, value, policy_values) for value in _listed(key_values)]
    if qualifier == "ForAnyValue":
        return any(results)
    if qualifier == "ForAllValues":
        return all(results)
    raise AssertionError(f"the evaluator does not know the qualifier {qualifier}")


def _conditions_hold(statement: dict, request: Request) -> bool:
    for operator, keys in statement.get("Condition", {}).items():
        for key, policy_values in keys.items():
            if not _qualified_holds(operator, request.key(key), [str(v) for v in _listed(policy_values)]):
                return False
    return True


def _applies(statement: dict, request: Request) -> bool:
    return (
        _action_matches(statement, request.action)
        and _resource_matches(statement, request.resource)
        and _conditions_hold(statement, request)
    )


def decision(levels: list[list[dict]], request: Request) -> str:
    """ "Allow", "ExplicitDeny" or "ImplicitDeny" for `request` under the policies of each level."""
    statements = [(level, s) for level, policies in enumerate(levels) for p in policies for s in p["Statement"]]
    if any(s["Effect"] == "Deny" and _applies(s, request) for _, s in statements):
        return "ExplicitDeny"
    for level in range(len(levels)):
        if not any(at == level and s["Effect"] == "Allow" and _applies(s, request) for at, s in statements):
            return "ImplicitDeny"
    return "Allow"


def sandbox_levels(ou_policies: list[dict]) -> list[list[dict]]:
    """The path to a pool account: the root and the account keep FullAWSAccess, the OU adds the portal's."""
    return [[FULL_AWS_ACCESS], [FULL_AWS_ACCESS, *ou_policies], [FULL_AWS_ACCESS]]
