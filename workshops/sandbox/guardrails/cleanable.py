"""Which AWS services an attendee may use: those the cleaner can clean, and the console's free reads.

Whatever an attendee makes in a service the cleaner has no module for stays in the account after a
cleanup says "clean", and bills the programme. So the guardrails allow a service only when the
cleaner knows it. The cleaner says which it knows by registering a provider from its own app
(`cleanable_services_register`): the workshops app never imports the cleaner, and a new cleaner
module widens the policy by itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

# Read-only or free, and needed by the console or the labs whatever the topic: signing in and
# assuming roles, the console's home, health and support pages, the bill, service quotas, tags.
CONSOLE_ACTIONS = (
    "sts:*",
    "signin:*",
    "health:Describe*",
    "support:*",
    "ce:Get*",
    "ce:Describe*",
    "ce:List*",
    "pricing:*",
    "account:Get*",
    "account:List*",
    "servicequotas:Get*",
    "servicequotas:List*",
    "tag:Get*",
    "resource-groups:Get*",
    "resource-groups:List*",
    "resource-explorer-2:Get*",
    "resource-explorer-2:List*",
    "resource-explorer-2:Search",
    "notifications:List*",
    "ec2:DescribeRegions",
)

_providers: list[Callable[[], Iterable[str]]] = []


def cleanable_services_register(provider: Callable[[], Iterable[str]]) -> None:
    """Let an app say which IAM service prefixes it cleans (`provider` is called at each policy build)."""
    if provider not in _providers:
        _providers.append(provider)


def cleanable_services() -> list[str]:
    """The IAM prefixes (`ec2`, `states`, …) of every service some registered cleaner can clean."""
    return sorted({prefix for provider in _providers for prefix in provider()})


def allowed_actions() -> list[str]:
    """What the allow-list lets attendees call: every action of a cleanable service, and the console's reads."""
    return sorted({f"{prefix}:*" for prefix in cleanable_services()} | set(CONSOLE_ACTIONS))
