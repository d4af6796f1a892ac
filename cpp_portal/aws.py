"""The only place that builds boto3 sessions and clients.

Clients are cached per (account, region, service): building one costs ~150 ms of CPU, and an
assumed role's credentials are reused until shortly before they expire, because STS allows the
hub account only so many calls a second. botocore retries in adaptive mode, which paces a client
down when AWS throttles instead of losing calls. AWS_ENDPOINT_URL (boto3's own variable) points
every client at a local fake AWS.
"""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import dataclass

import boto3
import botocore.session
from botocore.config import Config
from django.conf import settings

# The regions a workshop may allow its attendees; the opt-in regions are left out on purpose:
# they are disabled in new accounts and the cleaner could not reach them.
COMMERCIAL_REGIONS = (
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "ca-central-1",
    "sa-east-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-central-1",
    "eu-north-1",
    "ap-south-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-southeast-1",
    "ap-southeast-2",
)

RETRY_CONFIG = Config(
    retries={"mode": "adaptive", "max_attempts": 10},
    connect_timeout=10,
    read_timeout=60,
    max_pool_connections=50,
)

# Assumed-role credentials are refreshed this long before they expire.
_CREDENTIAL_MARGIN_SECONDS = 300


@dataclass(frozen=True)
class _Assumed:
    session: boto3.session.Session
    expires_at: float


_lock = threading.Lock()
_clients: dict[tuple[str, str, str], object] = {}
_sessions: dict[str, _Assumed] = {}
_hub_session: boto3.session.Session | None = None
_shared_loader = None
_built_services: set[str] = set()
_first_build_locks: dict[str, threading.Lock] = {}


def hub_session() -> boto3.session.Session:
    """The portal's own identity: the Organization's management account or a delegated admin."""
    global _hub_session
    with _lock:
        if _hub_session is not None:
            return _hub_session
    session = boto3.session.Session(region_name=settings.AWS_REGION, botocore_session=_botocore_session())
    with _lock:
        if _hub_session is None:
            _hub_session = session
        return _hub_session


def hub_client(service: str, region: str | None = None):
    """A cached client in the portal's own account."""
    return _cached_client(("hub", region or settings.AWS_REGION, service), hub_session)


def member_client(account_id: str, service: str, region: str | None = None):
    """A cached client inside a sandbox account, reached by assuming the access role."""
    return _cached_client((account_id, region or settings.AWS_REGION, service), lambda: _member_session(account_id))


def _cached_client(key: tuple[str, str, str], session_factory):
    account, region, service = key
    with _lock:
        client = _clients.get(key)
        fresh = account == "hub" or _session_is_fresh(account)
    if client is not None and fresh:
        return client
    session = session_factory()
    with _first_build(service) as first:
        client = session.client(service, region_name=region, config=RETRY_CONFIG, **_endpoint())
        if first:
            # Paginators are parsed on a client's first get_paginator, into the shared loader:
            # do it here, alone, not in every thread of a fan-out at once.
            client.can_paginate(next(iter(client.meta.method_to_api_mapping)))
    with _lock:
        _clients[key] = client
    return client


@contextlib.contextmanager
def _first_build(service: str):
    """Build the first client of a service in this process alone; yields whether this is the first.

    Threads fanning out to many accounts at once would otherwise all miss the shared loader's
    cache together and each parse the same service model and endpoint rules, under the GIL.
    """
    if service in _built_services:
        yield False
        return
    with _lock:
        first = _first_build_locks.setdefault(service, threading.Lock())
    with first:
        yield service not in _built_services
        _built_services.add(service)


def _session_is_fresh(account_id: str) -> bool:
    assumed = _sessions.get(account_id)
    return assumed is not None and assumed.expires_at - time.time() > _CREDENTIAL_MARGIN_SECONDS


def _member_session(account_id: str) -> boto3.session.Session:
    with _lock:
        if _session_is_fresh(account_id):
            return _sessions[account_id].session
    role_arn = f"arn:aws:iam::{account_id}:role/{settings.CPP_SANDBOX_ROLE_NAME}"
    answer = hub_client("sts").assume_role(RoleArn=role_arn, RoleSessionName="cpp-portal")
    creds = answer["Credentials"]
    session = boto3.session.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=settings.AWS_REGION,
        botocore_session=_botocore_session(),
    )
    with _lock:
        # boto3 adds its own data folder to the (shared) loader's search path on every new session.
        _shared_loader.search_paths[:] = list(dict.fromkeys(_shared_loader.search_paths))
    assumed = _Assumed(session=session, expires_at=creds["Expiration"].timestamp())
    with _lock:
        _sessions[account_id] = assumed
        # Clients built on the old credentials must not outlive them.
        for key in [k for k in _clients if k[0] == account_id]:
            del _clients[key]
    return session


def _botocore_session() -> botocore.session.Session:
    """A new botocore session that parses service models and endpoint rules once per process.

    Each session has its own loader by default, so every sandbox account's first client parsed
    the same JSON again (most of the ~150 ms a client costs, all of it holding the GIL, which
    serialises a fan-out across accounts). The files never change while the process runs.
    """
    global _shared_loader
    session = botocore.session.get_session()
    with _lock:
        if _shared_loader is None:
            _shared_loader = session.get_component("data_loader")
        loader = _shared_loader
    session.register_component("data_loader", loader)
    return session


def _endpoint() -> dict[str, str]:
    return {"endpoint_url": settings.AWS_ENDPOINT_URL} if settings.AWS_ENDPOINT_URL else {}


def forget_clients() -> None:
    """Drop every cached client and session (tests, and after the endpoint changes)."""
    global _hub_session
    with _lock:
        _clients.clear()
        _sessions.clear()
        _hub_session = None
