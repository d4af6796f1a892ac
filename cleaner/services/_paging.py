"""Listing for the APIs that page with a token but have no boto3 paginator (App Runner, Synthetics…).

Not a service module (its name starts with "_"): the modules that need it import it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from cleaner.registry import Listed


class TokenPaged(Listed):
    """A Listed type whose list call takes and returns a NextToken (the field `next_field`) by hand."""

    next_field: ClassVar[str] = "NextToken"

    def pages(self) -> Iterator[dict]:
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
