"""Benchmark: attendee credentials for 200 people over 50 sandbox accounts, every AWS call 50 ms.

AWS is moto in-process with a real Organization (each account reached by assuming its access
role); a botocore hook makes every call take the given latency, since moto answers in a few
milliseconds and is bound by the GIL. The same code runs twice: with the thread pool the portal
uses, and one account at a time (a pool of one). Printed: the wall times, the lower bound the
calls allow (the longest chain of calls in one account times the latency, given the pool: each
thread works through its accounts one after the other) and the ratios. Revocation is timed too.

    .venv/bin/python bench/provisioning.py [--attendees 200] [--accounts 50] [--latency-ms 50] [--threads 16]

Runs on a throwaway SQLite file, or on PostgreSQL when DATABASE_URL is set (a test database is
created and dropped).
"""

from __future__ import annotations

import argparse
import heapq
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._database import throwaway_database  # noqa: E402 (needs the path above)

# A one-at-a-time run longer than this is estimated from a sample instead of run in full.
SERIAL_BUDGET_SECONDS = 180.0


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attendees", type=int, default=200)
    parser.add_argument("--accounts", type=int, default=50)
    parser.add_argument("--team", type=int, default=0, help="attendees per account (default: attendees / accounts)")
    parser.add_argument("--latency-ms", type=float, default=50.0, help="injected latency of every AWS call")
    parser.add_argument("--threads", type=int, default=16, help="accounts worked on at once (the portal's default)")
    parser.add_argument("--no-serial", action="store_true", help="skip the one-at-a-time run")
    return parser.parse_args()


def makespan(chains: list[int], workers: int) -> int:
    """Calls on the longest thread when chains are handed, in order, to whichever thread frees first."""
    finish = [0] * max(1, workers)
    for chain in chains:
        heapq.heapreplace(finish, finish[0] + chain)
    return max(finish)


def main() -> int:
    args = parse_args()
    team = args.team or -(-args.attendees // args.accounts)
    database = throwaway_database("provisioning")
    from django.test import override_settings

    latency = args.latency_ms / 1000

    def run(threads: int, accounts: int, attendees: int, *, revoke: bool = True, latency: float = latency) -> dict:
        """Provision (then revoke) a fresh workshop in a fresh fake AWS, cold caches, `threads` at a time."""
        from tests.aws_fakes import BotocoreHooks, fake_aws
        from workshops.models import Credential, CredentialStatus, Stage, Workshop
        from workshops.sandbox import provisioning
        from workshops.sandbox.provisioning import runs

        with fake_aws() as org, override_settings(CPP_PROVISIONING_THREADS=threads):
            pool = org.add_accounts(accounts)
            workshop = _running_workshop(pool, attendees=attendees, team=team)
            provisioning.workshop_accounts_assign(workshop_id=workshop.pk)
            credentials = list(Credential.objects.filter(registration__workshop=workshop))
            with BotocoreHooks(latency=latency, keep_params=("AssumeRole",)) as hooks:
                started = time.perf_counter()
                report = runs.provision(workshop, credentials)
                provisioned = time.perf_counter() - started
                started = time.perf_counter()
                emails = provisioning.account_ready_emails_queue(workshop_id=workshop.pk)
                emailing = time.perf_counter() - started
                chains = _calls_per_account(hooks)
                if not revoke:
                    return {"provision": provisioned, "done": report.done, "chains": chains}
                Workshop.objects.filter(pk=workshop.pk).update(stage=Stage.CLOSED)
                workshop.refresh_from_db()
                started = time.perf_counter()
                revoked = runs.revoke(workshop, list(Credential.objects.filter(registration__workshop=workshop)))
                revoking = time.perf_counter() - started
                revoke_chains = _calls_per_account(hooks) - chains
            ready = Credential.objects.filter(registration__workshop=workshop, status=CredentialStatus.REVOKED).count()
            users_left = sum(len(org.users(a.aws_account_id)) for a in pool)
        return {
            "provision": provisioned,
            "emails": emailing,
            "emails_queued": emails,
            "revoke": revoking,
            "done": report.done,
            "failed": report.failed + revoked.failed,
            "revoked": ready,
            "users_left": users_left,
            "chains": chains,
            "revoke_chains": revoke_chains,
        }

    parallel = run(args.threads, args.accounts, args.attendees)
    # The same work with no latency, one account at a time: the CPU that moto and botocore need.
    # Under one GIL no number of threads gets below it (more threads only add switching).
    floor = run(1, args.accounts, args.attendees, revoke=False, latency=0.0)["provision"]
    workers = min(args.threads, args.accounts)
    chains = [parallel["chains"][a] for a in sorted(parallel["chains"])]
    calls = sum(chains)
    bound = makespan(chains, workers) * latency
    critical = max(chains) * latency
    revoke_chains = list(parallel["revoke_chains"].values())
    revoke_bound = makespan(revoke_chains, workers) * latency

    # One at a time: the serial figure is the whole run when it fits the budget, else a sample.
    estimate = calls * latency * 1.25
    if args.no_serial:
        serial_time, serial_note = float("nan"), "skipped (--no-serial)"
    elif estimate <= SERIAL_BUDGET_SECONDS:
        serial = run(1, args.accounts, args.attendees, revoke=False)
        serial_time, serial_note = serial["provision"], "measured (whole run)"
    else:
        sample_accounts = max(1, args.accounts // 10)
        serial = run(1, sample_accounts, sample_accounts * team, revoke=False)
        serial_time = serial["provision"] * args.accounts / sample_accounts
        serial_note = (
            f"extrapolated from a measured sample of {sample_accounts} accounts "
            f"(a whole run would take about {estimate:.0f} s)"
        )

    print(f"database              {database.label}")
    print(f"attendees / accounts  {args.attendees} over {args.accounts} (teams of up to {team})")
    print(f"injected latency      {args.latency_ms:.0f} ms per AWS call")
    print(f"thread pool           {args.threads} ({workers} accounts at once)")
    print(f"AWS calls             {calls} to provision (longest chain in one account: {max(chains)}, incl. AssumeRole)")
    print(f"provisioned           {parallel['done']} ready, {parallel['failed']} failed")
    print()
    print(f"wall time, parallel   {parallel['provision']:.2f} s")
    print(f"lower bound           {bound:.2f} s  (chains on {workers} threads x latency)")
    print(f"critical path         {critical:.2f} s  (longest chain x latency, unlimited threads)")
    print(f"one at a time         {serial_time:.2f} s  {serial_note}")
    print(f"CPU floor             {floor:.2f} s  (no latency, one thread: the CPU moto and botocore need)")
    print(
        f"wall / lower bound    {parallel['provision'] / bound:.2f}  (wall / max(bound, floor): "
        f"{parallel['provision'] / max(bound, floor):.2f})"
    )
    speed_up = "not measured" if args.no_serial else f"{serial_time / parallel['provision']:.1f}x"
    print(f"speed-up vs serial    {speed_up}  (ideal {calls * latency / bound:.1f}x)")
    print(f"account-ready emails  {parallel['emails_queued']} queued in {parallel['emails']:.2f} s (after the run)")
    print()
    print(f"revocation, parallel  {parallel['revoke']:.2f} s for {sum(revoke_chains)} calls")
    print(f"revocation bound      {revoke_bound:.2f} s  (wall / bound {parallel['revoke'] / revoke_bound:.2f})")
    print(f"revoked / users left  {parallel['revoked']} / {parallel['users_left']}")
    database.drop()
    return 0


def _calls_per_account(hooks) -> Counter:
    """Calls made so far per member account, with its AssumeRole (made by the hub, but on its path)."""
    per_account = Counter()
    for (account, _operation), count in hooks.calls.items():
        if account != "hub":
            per_account[account] += count
    for params in hooks.params.get("AssumeRole", []):
        per_account[params["RoleArn"].split(":")[4]] += 1
    return per_account


def _running_workshop(pool, *, attendees: int, team: int):
    """A running workshop with `pool` reserved and `attendees` confirmed, written in bulk."""
    from django.utils import timezone

    from accounts.models import User
    from tests.factories import workshop_in
    from workshops.models import Registration, RegistrationStatus, SandboxAccount, SandboxAccountState, Stage

    workshop = workshop_in(
        Stage.RUNNING,
        capacity=attendees,
        attendees_per_account=team,
        attendee_policy_arns=[
            "arn:aws:iam::aws:policy/PowerUserAccess",
            "arn:aws:iam::aws:policy/IAMUserChangePassword",
        ],
    )
    SandboxAccount.objects.filter(pk__in=[a.pk for a in pool]).update(
        state=SandboxAccountState.ASSIGNED, workshop=workshop
    )
    stamp = time.time_ns()
    people = User.objects.bulk_create(
        User(email=f"bench{stamp}-{n}@example.com", password="!")  # noqa: S106 (an unusable password)
        for n in range(attendees)
    )
    now = timezone.now()
    Registration.objects.bulk_create(
        Registration(workshop=workshop, attendee=person, status=RegistrationStatus.CONFIRMED, queued_at=now)
        for person in people
    )
    return workshop


if __name__ == "__main__":
    sys.exit(main())
