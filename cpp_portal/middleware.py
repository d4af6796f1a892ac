"""Answers for when a service the portal leans on is briefly gone."""

from __future__ import annotations

import logging

import redis.exceptions
from django.shortcuts import render
from kombu.exceptions import OperationalError as BrokerError

log = logging.getLogger(__name__)

# What "Redis or the broker is gone" looks like to the code; also caught where a call to them is
# only a head start (the outbox's sender kick). Redis holds the cache (rate limits among it) and the
# task queue. What must survive its outage, a registration or an email, is written to the database
# first and does not need it; a page that cannot do without it (a rate-limited sign-in link)
# refuses clearly instead of failing open.
UNAVAILABLE = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, BrokerError)
RETRY_AFTER_SECONDS = 60


class ServiceUnavailableMiddleware:
    """A request that needs Redis while it is down gets a 503 page saying so, not a server error."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, UNAVAILABLE):
            return None
        log.error(
            "%s %s: a backing service is unavailable: %s: %s",
            request.method,
            request.path,
            type(exception).__name__,
            exception,
        )
        response = render(request, "unavailable.html", status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
