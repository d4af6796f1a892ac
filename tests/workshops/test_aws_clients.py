"""cpp_portal.aws: clients cached per (account, region, service), models parsed once per process."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from botocore.loaders import Loader

from cpp_portal import aws
from tests.aws_fakes import fake_aws

pytestmark = pytest.mark.django_db


@pytest.fixture
def parses(monkeypatch):
    """How often the portal's shared loader reads each file (moto in-process has loaders of its own)."""
    counted: Counter = Counter()
    lock = threading.Lock()
    load_data = Loader.load_data_with_path

    def counting(self, name):
        if self is aws._shared_loader:
            with lock:
                counted[name] += 1
        return load_data(self, name)

    monkeypatch.setattr(Loader, "load_data_with_path", counting)
    # A process that has built clients already holds the models: start from nothing.
    monkeypatch.setattr(aws, "_shared_loader", None)
    monkeypatch.setattr(aws, "_built_services", set())
    return counted


def test_a_fan_out_across_accounts_reads_each_model_once(parses):
    with fake_aws() as org:
        accounts = org.add_accounts(8, pool=False)
        parses.clear()  # the hub's own clients, made above
        start = threading.Barrier(len(accounts))

        def first_listing(account_id: str):
            start.wait()
            iam = aws.member_client(account_id, "iam", "us-east-1")
            list(iam.get_paginator("list_users").paginate())

        threads = [threading.Thread(target=first_listing, args=(a,)) for a in accounts]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    iam_files = {name: count for name, count in parses.items() if "/iam/" in f"/{name}"}
    assert iam_files, parses  # the fan-out did read IAM's files …
    assert set(iam_files.values()) == {1}, iam_files  # … each one once, paginators included
    assert any(name.endswith("paginators-1") for name in iam_files)


def test_the_hub_and_the_sandbox_accounts_share_one_loader():
    aws.forget_clients()
    with fake_aws() as org:
        [account_id] = org.add_accounts(1, pool=False)
        hub = aws.hub_client("sts")
        member = aws.member_client(account_id, "sts")
        assert hub._loader is member._loader
