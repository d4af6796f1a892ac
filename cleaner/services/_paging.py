"""Paging by hand, for the list calls boto3 has no paginator for (CloudFront's policies, WAFv2, SES v2)."""

from __future__ import annotations

from collections.abc import Callable, Iterator


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
