"""Listings where the endpoint does not offer the API at all: counted as "not offered here".

Real AWS offers every API of a service in the regions it is in. moto does not: in tests and as the
local fake AWS of `make run`, a service it lacks is a bare 404 (as for Cloud9, see cloud9.py), and
an operation it lacks is answered InvalidAction, which an older fake answered in XML that a JSON
service's client cannot read (its error code comes out as the HTTP status, "400"). Left as they
are, such a listing fails on every scan and no sweep there could ever finish clean; raised as
NotImplementedError, the engine reports the type as not offered and sweeps on. (Imported by the
modules that need it; the leading "_" keeps it out of the registry's discovery.)
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager

from botocore.exceptions import ClientError

from cleaner.answers import no_such_api
from cleaner.registry import Listed


def not_offered(error: ClientError) -> bool:
    if no_such_api(error):
        return True  # no such service at this endpoint
    answer = error.response
    status = answer.get("ResponseMetadata", {}).get("HTTPStatusCode")
    code = answer.get("Error", {}).get("Code", "")
    message = answer.get("Error", {}).get("Message", "")
    return (code == str(status) or code.isdigit()) and "<Code>InvalidAction</Code>" in message


@contextmanager
def offered(what: str) -> Iterator[None]:
    try:
        yield
    except ClientError as error:
        if not_offered(error):
            raise NotImplementedError(f"{what} is not offered by this endpoint") from error
        raise


class ListedHere(Listed):
    """A Listed type whose listing says "not offered" where the endpoint lacks its API."""

    def pages(self):
        with offered(self.type):
            yield from super().pages()


def _offered_only(listing):
    @functools.wraps(listing)
    def list_(self):
        with offered(self.type):
            yield from listing(self)

    list_.offered_only = True
    return list_


class OfferedOnly:
    """Every subclass's list(), its own or inherited, says "not offered" where the endpoint lacks its API."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if not getattr(cls.list, "offered_only", False):
            cls.list = _offered_only(cls.list)
