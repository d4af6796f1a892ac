"""Listing for the types that need more than `Listed` gives: APIs that page with a token but have no
boto3 paginator (App Runner, Synthetics, CloudFront's policies, WAFv2, SES v2…), and services an
endpoint may not offer at all.

Not a service module (its name starts with "_"): the modules that need it import it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import ClassVar

from botocore.exceptions import ClientError

from cleaner.registry import Listed
from cleaner.services.cloud9 import not_offered


class Paged(Listed):
    """A Listed type whose list call pages by a token (the field `next_field`) when boto3 has no
    paginator for it, and whose service an endpoint without it answers with a bare 404 (moto, which
    lacks Amplify, App Runner, CodeArtifact…, in tests and in the local stack): "not offered here"."""

    next_field: ClassVar[str] = "NextToken"

    def pages(self) -> Iterator[dict]:
        try:
            yield from self._pages()
        except ClientError as error:
            if not_offered(error):
                raise NotImplementedError(f"{self.type} is not offered by this endpoint") from error
            raise

    def _pages(self) -> Iterator[dict]:
        spec = self.listing
        if self.client.can_paginate(spec.operation):
            yield from super().pages()
            return
        call, arguments = getattr(self.client, spec.operation), dict(spec.params)
        while True:
            page = call(**arguments)
            yield page
            if not page.get(self.next_field):
                return
            arguments[self.next_field] = page[self.next_field]


def pages(call: Callable[..., dict], ask: str, answer: str, **params) -> Iterator[dict]:
    """Every page of `call`: `ask` names the request's marker parameter, `answer` (a dotted path) the reply's."""
    while True:
        page = call(**params)
        yield page
        marker = page
        for key in answer.split("."):
            marker = (marker or {}).get(key)
        if not marker or marker == params.get(ask):
            return
        params[ask] = marker
