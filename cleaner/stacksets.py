"""Which stacks in a member account belong to the Organization's StackSets (Control Tower's
baseline among them), asked of the management account, which owns them.

A stack's name says nothing: an attendee may call theirs "StackSet-x". The management account's
list of stack instances is the only word on it, by stack id. What a StackSet's stack made carries
the stack's id in its "aws:cloudformation:stack-id" tag, which only AWS can set (cleaner.safety).
"""

from __future__ import annotations

import logging
import threading
import time

from botocore.exceptions import ClientError
from django.conf import settings

from cpp_portal import aws

log = logging.getLogger(__name__)

# The management account lists what it made itself (SELF: self-managed and service-managed stack
# sets alike); a delegated administrator lists the Organization's service-managed ones only as
# DELEGATED_ADMIN, which the management account itself is refused.
CALLERS = ("SELF", "DELEGATED_ADMIN")
# AWS's answer when the portal's identity may not list stack sets.
DENIED = ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation")
# What the answer to a non-delegated administrator's DELEGATED_ADMIN call says.
NOT_DELEGATED = ("ValidationError", "ValidationException")
# Stack sets change with the Organization's baseline, not within a sweep.
_TTL_SECONDS = 600

_lock = threading.Lock()
_cache: dict[str, tuple[object, float, frozenset[str]]] = {}


def stackset_regions() -> tuple[str, ...]:
    """Where the Organization keeps its stack sets: Control Tower's home region, the portal's by default."""
    return tuple(getattr(settings, "CPP_CLEANER_STACKSET_REGIONS", ()) or (settings.AWS_REGION,))


def organization_stacks(account_id: str) -> frozenset[str]:
    """The StackIds in `account_id` that the Organization's StackSets deployed (in every region).

    Empty, with a warning, when the hub may not list them: the cleaner then tries to delete those
    stacks, and the guardrails' refusals show it. Other AWS errors are raised.
    """
    session = aws.hub_session()
    with _lock:
        cached = _cache.get(account_id)
        if cached and cached[0] is session and cached[1] > time.monotonic():
            return cached[2]
    stacks: set[str] = set()
    for region in stackset_regions():
        client = aws.hub_client("cloudformation", region)
        for caller in CALLERS:
            try:
                stacks |= _instances(client, account_id, caller)
            except ClientError as error:
                code = error.response.get("Error", {}).get("Code", "")
                if caller == "DELEGATED_ADMIN" and code in NOT_DELEGATED:
                    # The hub is the management account, and SELF has told all (or a delegated
                    # administrator's role lacks organizations:ListDelegatedAdministrators).
                    log.info("Stack sets in %s not listed as a delegated administrator: %s", region, code)
                    continue
                if code not in DENIED:
                    raise
                log.warning(
                    "The portal may not list the Organization's stack sets in %s (as %s: %s): none of "
                    "account %s's stacks is protected as theirs.",
                    region,
                    caller,
                    code,
                    account_id,
                )
    found = frozenset(stacks)
    with _lock:
        _cache[account_id] = (session, time.monotonic() + _TTL_SECONDS, found)
    return found


def _instances(client, account_id: str, caller: str) -> set[str]:
    stacks = set()
    for page in client.get_paginator("list_stack_sets").paginate(Status="ACTIVE", CallAs=caller):
        for stack_set in page.get("Summaries", ()):
            instances = client.get_paginator("list_stack_instances").paginate(
                StackSetName=stack_set["StackSetName"], StackInstanceAccount=account_id, CallAs=caller
            )
            for instance_page in instances:
                stacks |= {
                    instance["StackId"]
                    for instance in instance_page.get("Summaries", ())
                    # An instance not yet (or no longer) deployed has no stack.
                    if instance.get("Account") == account_id and instance.get("StackId")
                }
    return stacks
