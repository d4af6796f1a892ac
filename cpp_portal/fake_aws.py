"""The local fake AWS that `make run` starts: moto's server on 127.0.0.1 with an Organization.

The Organization holds a sandbox OU (with a nested OU inside) full of member accounts, and one
account outside it that the pool must never import. moto's random generator is seeded before
anything is created, so the same account and OU ids come back on every start and the sandbox
accounts already in the local database keep matching the fake Organization across restarts.

Run on its own with `python -m cpp_portal.fake_aws` (prints the variables to export), or point it
at a moto that already runs with `--endpoint http://host:port`. `--serve PORT` is the server alone,
which is what the other two start.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from xml.sax.saxutils import escape

HOST = "127.0.0.1"
REGION = "eu-west-1"
# Any fixed number will do; changing it changes every fake account id, orphaning the local pool.
SEED = 2018
# Never real: moto accepts any key, and these keep boto3 from picking up real ones.
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_SECURITY_TOKEN": "testing",
}

SANDBOX_OU = "CPP Sandboxes"
NESTED_OU = "CPP Sandboxes - Teams"
OUTSIDE_OU = "Shared Services"
# (name, whether it sits in the nested OU)
POOL_ACCOUNTS = [
    *[(f"cpp-sandbox-{n:02d}", False) for n in range(1, 7)],
    *[(f"cpp-team-{n:02d}", True) for n in range(1, 4)],
]
OUTSIDE_ACCOUNT = "shared-services"


class FakeAwsError(RuntimeError):
    """The fake AWS did not start or could not be prepared."""


@dataclass
class FakeAws:
    endpoint: str
    sandbox_ou_id: str
    process: subprocess.Popen | None = None

    def stop(self, timeout: float = 10) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def server_command(port: int, *, one_call_at_a_time: bool = False, managed_policies: bool = True) -> list[str]:
    """moto's server (see `serve`), bound to loopback only: it answers anyone, with anything."""
    return [
        sys.executable,
        "-m",
        "cpp_portal.fake_aws",
        "--serve",
        str(port),
        *(["--one-call-at-a-time"] if one_call_at_a_time else []),
        *([] if managed_policies else ["--no-managed-policies"]),
    ]


def serve(port: int, *, one_call_at_a_time: bool = False, managed_policies: bool = True) -> None:
    """moto's own WSGI application on HOST:port, until the process is stopped.

    moto's `moto.server` answers a call to a service it lacks (Cloud9), or to an action of a service
    it lacks (EC2's transit gateway Connect), with a 500 from a crash, which botocore retries and
    the cleaner must report as a failed listing on every scan, so no sweep of the local stack could
    finish clean. Here a service moto lacks is a bare 404, as moto in-process answers and as
    cleaner.services.cloud9 takes to mean "not offered", and an action it lacks is AWS's own
    answer to an unknown action, InvalidAction.

    With `managed_policies`, every account has AWS's managed IAM policies, as in AWS: workshops
    give attendees policies such as PowerUserAccess, and attaching one moto does not have fails.
    They cost about a second per account, the first time it uses IAM.

    `one_call_at_a_time` is for benchmarks: moto is GIL-bound, and threads inside it at once only
    fight over the GIL and its global backend lock, so answering in turn costs less CPU per call.
    """
    import logging
    import threading

    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.exceptions import NotFound
    from werkzeug.serving import make_server

    if managed_policies:
        os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"  # read by moto as each account's IAM starts

    def create_app(service: str | None):
        if not service:
            return NotFound()
        app = create_backend_app(service)
        app.register_error_handler(NotImplementedError, _not_implemented)
        # moto's ECS breaks with a TypeError on calls it only half knows (DescribeCapacityProviders
        # without names): for the portal, that call is not offered here either.
        app.register_error_handler(TypeError, _not_implemented)
        return app

    moto = DomainDispatcherApplication(create_app)
    application = moto
    if one_call_at_a_time:
        in_turn = threading.Lock()

        def application(environ, start_response):
            with in_turn:
                return list(moto(environ, start_response))

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # a line for every call costs more than the call
    make_server(HOST, port, application, threaded=True, request_handler=MotoRequestHandler).serve_forever()


def _not_implemented(error: Exception):
    """AWS's answer to an action it does not know, in the protocol the request spoke.

    JSON protocols (x-amz-json-1.0/1.1) read the code from the body's __type only; REST-JSON
    also from the header; query and REST-XML from an XML body.
    """
    from flask import request

    message = f"not offered by the local fake AWS: {error}"
    headers = {"x-amzn-ErrorType": "InvalidAction"}
    if request.headers.get("X-Amz-Target") or "json" in (request.content_type or ""):
        body = json.dumps({"__type": "InvalidAction", "message": message})
        return body, 400, {**headers, "Content-Type": "application/x-amz-json-1.1"}
    body = (
        '<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>InvalidAction</Code>'
        f"<Message>{escape(message)}</Message></Error></Errors></Response>"
    )
    return body, 400, {**headers, "Content-Type": "text/xml"}


def environment(endpoint: str, sandbox_ou_id: str | None = None) -> dict[str, str]:
    """The variables that point the portal's processes at this fake AWS."""
    variables = {"AWS_ENDPOINT_URL": endpoint, "AWS_DEFAULT_REGION": REGION, **CREDENTIALS}
    if sandbox_ou_id:
        variables["CPP_SANDBOX_OU_ID"] = sandbox_ou_id
    return variables


def wait_until_up(endpoint: str, *, timeout: float = 60, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if process is not None and process.poll() is not None:
            raise FakeAwsError(f"the fake AWS exited with code {process.returncode} before it answered")
        try:
            with urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=2):  # noqa: S310 (loopback only)
                return
        except urllib.error.HTTPError:
            return  # any answer at all means it is listening
        except OSError:
            if time.monotonic() > deadline:
                raise FakeAwsError(f"the fake AWS at {endpoint} did not answer within {timeout:.0f} s")
            time.sleep(0.2)


def seed(endpoint: str, value: int = SEED) -> None:
    """Make moto's ids deterministic from here on (its own API, not an AWS one)."""
    request = urllib.request.Request(f"{endpoint}/moto-api/seed?a={value}", method="POST")  # noqa: S310
    with urllib.request.urlopen(request, timeout=10):  # noqa: S310 (loopback only)
        pass


def bootstrap_organization(endpoint: str) -> str:
    """Create the Organization, its OUs and accounts once; return the sandbox OU id."""
    from django.conf import settings

    from cpp_portal.aws import forget_clients, hub_client

    # Creating accounts is only ever meant for the fake: refuse if the portal points elsewhere.
    if settings.AWS_ENDPOINT_URL.rstrip("/") != endpoint.rstrip("/"):
        raise FakeAwsError(
            f"AWS_ENDPOINT_URL is {settings.AWS_ENDPOINT_URL!r}, not the fake AWS at {endpoint}: "
            "refusing to create an Organization there."
        )
    forget_clients()
    organizations = hub_client("organizations")
    try:
        organizations.describe_organization()
    except organizations.exceptions.AWSOrganizationsNotInUseException:
        organizations.create_organization(FeatureSet="ALL")
    else:
        existing = _ou_named(organizations, _root_id(organizations), SANDBOX_OU)
        if existing:
            return existing  # a moto that was already prepared (e.g. a shared one)

    root_id = _root_id(organizations)
    sandbox_ou = _create_ou(organizations, root_id, SANDBOX_OU)
    nested_ou = _create_ou(organizations, sandbox_ou, NESTED_OU)
    outside_ou = _create_ou(organizations, root_id, OUTSIDE_OU)
    for name, nested in POOL_ACCOUNTS:
        _create_account(organizations, name, root_id, nested_ou if nested else sandbox_ou)
    _create_account(organizations, OUTSIDE_ACCOUNT, root_id, outside_ou)
    return sandbox_ou


def _root_id(organizations) -> str:
    return organizations.list_roots()["Roots"][0]["Id"]


def _ou_named(organizations, parent_id: str, name: str) -> str | None:
    for page in organizations.get_paginator("list_organizational_units_for_parent").paginate(ParentId=parent_id):
        for unit in page["OrganizationalUnits"]:
            if unit["Name"] == name:
                return unit["Id"]
    return None


def _create_ou(organizations, parent_id: str, name: str) -> str:
    return organizations.create_organizational_unit(ParentId=parent_id, Name=name)["OrganizationalUnit"]["Id"]


def _create_account(organizations, name: str, root_id: str, parent_id: str) -> str:
    status = organizations.create_account(AccountName=name, Email=f"aws+{name}@cpp.example.com")
    account_id = status["CreateAccountStatus"]["AccountId"]
    organizations.move_account(AccountId=account_id, SourceParentId=root_id, DestinationParentId=parent_id)
    return account_id


def prepare(endpoint: str, *, process: subprocess.Popen | None = None, timeout: float = 60) -> str:
    """Wait for a started moto, seed it, and build the Organization; return the sandbox OU id."""
    wait_until_up(endpoint, timeout=timeout, process=process)
    seed(endpoint)
    return bootstrap_organization(endpoint)


def start(*, port: int | None = None, **popen_kwargs) -> FakeAws:
    """Start moto in a child process and prepare it; Django settings must point at `port`."""
    port = port or int(os.environ.get("MOTO_PORT") or free_port())
    endpoint = f"http://{HOST}:{port}"
    process = subprocess.Popen(server_command(port), **popen_kwargs)
    try:
        return FakeAws(endpoint=endpoint, sandbox_ou_id=prepare(endpoint, process=process), process=process)
    except BaseException:
        FakeAws(endpoint=endpoint, sandbox_ou_id="", process=process).stop()
        raise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, help="port for a new moto server (default: MOTO_PORT or a free one)")
    parser.add_argument("--endpoint", help="prepare a moto that already runs here instead of starting one")
    parser.add_argument("--serve", type=int, metavar="PORT", help="only run moto's server on PORT (what start runs)")
    parser.add_argument("--one-call-at-a-time", action="store_true", help="with --serve: answer calls in turn")
    parser.add_argument(
        "--no-managed-policies", action="store_true", help="with --serve: without AWS's managed IAM policies"
    )
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.serve, one_call_at_a_time=args.one_call_at_a_time, managed_policies=not args.no_managed_policies)
        return 0

    endpoint = args.endpoint or f"http://{HOST}:{args.port or int(os.environ.get('MOTO_PORT') or free_port())}"
    os.environ.update(environment(endpoint))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cpp_portal.settings")
    if not os.environ.get("SECRET_KEY"):
        os.environ.setdefault("DEBUG", "true")  # settings refuse to load without a key otherwise
    import django

    django.setup()
    if args.endpoint:
        fake = FakeAws(endpoint=endpoint, sandbox_ou_id=prepare(endpoint))
    else:
        fake = start(port=int(endpoint.rsplit(":", 1)[1]), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for name, value in environment(fake.endpoint, fake.sandbox_ou_id).items():
        print(f"export {name}={value}")
    if fake.process is None:
        return 0
    print("# the fake AWS runs until Ctrl-C", file=sys.stderr)
    # Set explicitly: a shell starts background jobs with SIGINT ignored, and Python keeps that.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: sys.exit(0))
    try:
        fake.process.wait()
    finally:
        fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
