"""For the types whose service (or call) an endpoint may not know at all: moto, the local stack.

Imported by the modules that need it (a module starting with "_" is never registered itself).
"""

from __future__ import annotations

import functools

from botocore.exceptions import ClientError

from cleaner.services.cloud9 import not_offered


def _unknown_action(error: ClientError) -> bool:
    """A bare 404 (no backend for the service at all), or an XML InvalidAction that a JSON-protocol
    client could not parse (the local fake's answer to a call its backend lacks; botocore then
    reports the HTTP status as the code and the raw body as the message)."""
    detail = error.response.get("Error", {})
    unparsed_invalid_action = detail.get("Code") == "400" and "<Code>InvalidAction</Code>" in detail.get("Message", "")
    return not_offered(error) or unparsed_invalid_action


def _offered_only(listing):
    @functools.wraps(listing)
    def list_(self):
        try:
            yield from listing(self)
        except ClientError as error:
            if _unknown_action(error):
                raise NotImplementedError(f"{self.type} is not offered by this endpoint") from error
            raise

    list_.offered_only = True
    return list_


class OfferedOnly:
    """A listing answered by a bare 404 says "not offered here" (NotImplementedError), not a failure.

    Without it, a type whose API the endpoint lacks would fail every scan, and no sweep there could
    ever finish clean; real AWS answers a missing API with a coded error, never a bare 404. Every
    subclass's list(), its own or inherited, is wrapped once.
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if not getattr(cls.list, "offered_only", False):
            cls.list = _offered_only(cls.list)
