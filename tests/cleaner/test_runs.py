"""Runs: the fan-out per (account, region), Celery (eager, and one real worker), interrupted sweeps,
account states and quarantine, the workshop-close trigger, the beat task, and the pages that watch.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from celery.exceptions import Retry
from django.urls import reverse
from django.utils import timezone

from cleaner import runs, safety, schedule, tasks
from cleaner.models import GLOBAL, CleanupItem, CleanupRun, CleanupTarget
from cpp_portal.celery import CLEANER_QUEUE
from tests.aws_fakes import close, side_effects_run, start, workshop_with_attendees
from tests.cleaner.conftest import REGIONS, fill_with_things
from tests.factories import AccountManagerFactory, CustomerFactory, SolutionsArchitectFactory, workshop_in
from tests.workshops.test_real_worker import broker, running_worker, wait_until  # noqa: F401 (broker: a fixture)
from workshops.models import SandboxAccount, SandboxAccountState, Stage

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("only_test_types")]
Status = CleanupTarget.Status


class WorkerDied(BaseException):
    """What a killed worker looks like from inside: nothing after it runs, nothing catches it."""


def new_run(accounts, *, dry_run=False, queue_it=False, **options) -> CleanupRun:
    # Unfiltered (only_test_types narrows what "every service" means), so account states move.
    return runs.cleanup_run_create(
        account_ids=[a.aws_account_id for a in accounts],
        trigger=CleanupRun.Trigger.COMMAND,
        dry_run=dry_run,
        queue_it=queue_it,
        **options,
    )


def through_celery(accounts, **options) -> CleanupRun:
    """Create a run the way the services do, and let its tasks run (eagerly) once the transaction commits."""
    with side_effects_run():
        run = new_run(accounts, queue_it=True, **options)
    run.refresh_from_db()
    return run


def states(accounts) -> dict[str, tuple[str, int]]:
    rows = SandboxAccount.objects.filter(pk__in=[a.pk for a in accounts])
    return {a.aws_account_id: (a.state, a.failed_cleanups) for a in rows}


# --- Fan-out ---------------------------------------------------------------------------------------


def test_targets_are_one_global_and_one_per_region_enabled_in_the_account(pool, test_types):
    run = new_run(pool[:1])

    runs.cleanup_run_fan_out(run_id=run.pk)

    regions = set(run.targets.values_list("region", flat=True))
    assert regions == {GLOBAL, *safety.enabled_regions(pool[0].aws_account_id)}
    assert len(regions) > 10  # moto enables every region: the default is all of them, not a guess


def test_a_region_asked_for_but_not_enabled_is_skipped_and_said_so(pool, few_regions):
    run = new_run(pool[:1], regions=["eu-west-1", "eu-central-1"])

    # eu-west-1 only: a run confined to regions sweeps no account-wide type but buckets (none here).
    assert len(runs.cleanup_run_fan_out(run_id=run.pk)) == 1
    skipped = run.targets.get(region="eu-central-1")
    assert skipped.status == Status.SKIPPED and "not enabled" in skipped.last_error


def test_fanning_out_twice_makes_the_targets_once(pool, few_regions):
    run = new_run(pool)
    first = runs.cleanup_run_fan_out(run_id=run.pk)
    assert runs.cleanup_run_fan_out(run_id=run.pk) == first
    assert run.targets.count() == 2 * (len(REGIONS) + 1)


# --- Celery, eagerly -------------------------------------------------------------------------------


def test_the_celery_fan_out_sweeps_every_target_and_returns_clean_accounts_to_the_pool(pool, cloud, few_regions):
    for account in pool:
        fill_with_things(cloud, account.aws_account_id)
    workshop = workshop_in(Stage.CLOSED)
    SandboxAccount.objects.filter(pk__in=[a.pk for a in pool]).update(workshop=workshop, failed_cleanups=2)

    run = through_celery(pool)

    assert run.status == CleanupRun.Status.DONE and run.finished_at
    targets = list(run.targets.all())
    assert len(targets) == 6 and {t.status for t in targets} == {Status.CLEAN}
    regional = [t for t in targets if t.region != GLOBAL]
    assert all((t.found, t.deleted, t.failed, t.left) == (7, 7, 0, 0) for t in regional)
    assert all(t.scans == 3 and t.clean_scans_in_a_row == 2 for t in targets)
    assert run.summary["totals"]["deleted"] == 2 * (2 * 7 + 1)
    assert states(pool) == {a.aws_account_id: (SandboxAccountState.AVAILABLE, 0) for a in pool}
    assert not SandboxAccount.objects.filter(workshop=workshop).exists()  # back in the pool, free for the next
    assert run.items.filter(action=CleanupItem.Action.DELETED).count() == 30
    for account in pool:
        for region in REGIONS:
            assert not cloud.present(account.aws_account_id, region, "cleanertest.instance")


def test_a_failed_run_counts_and_the_third_failure_in_a_row_quarantines_the_account(pool, cloud, few_regions):
    dirty, clean = pool
    cloud.add(dirty.aws_account_id, "eu-west-1", "cleanertest.volume", "vol-stuck", undeletable="VolumeInUse")

    history = []
    for _ in range(3):
        run = through_celery(pool, budget_seconds=1)
        history.append((run.status, states([dirty])[dirty.aws_account_id]))

    assert history == [
        (CleanupRun.Status.FAILED, (SandboxAccountState.CLEANING, 1)),
        (CleanupRun.Status.FAILED, (SandboxAccountState.CLEANING, 2)),
        (CleanupRun.Status.FAILED, (SandboxAccountState.QUARANTINED, 3)),
    ]
    assert states([clean]) == {clean.aws_account_id: (SandboxAccountState.AVAILABLE, 0)}
    target = run.targets.get(sandbox_account=dirty, region="eu-west-1")
    assert (target.status, target.failed, target.left) == (Status.DIRTY, 1, 0)
    assert target.last_error == "cleanertest.volume vol-stuck: VolumeInUse: vol-stuck cannot be deleted"
    left = run.items.get(action=CleanupItem.Action.LEFT)
    assert (left.resource_id, left.error) == ("vol-stuck", "VolumeInUse: vol-stuck cannot be deleted")
    summary = {a["account_id"]: a for a in run.summary["accounts"]}
    assert summary[dirty.aws_account_id]["state"] == SandboxAccountState.QUARANTINED
    assert not summary[dirty.aws_account_id]["clean"]


def test_a_success_after_failures_resets_the_count(pool, few_regions):
    SandboxAccount.objects.filter(pk=pool[0].pk).update(failed_cleanups=2)
    through_celery(pool[:1])
    assert states(pool[:1]) == {pool[0].aws_account_id: (SandboxAccountState.AVAILABLE, 0)}


def test_dry_runs_and_filtered_runs_leave_account_states_alone(pool, cloud, few_regions):
    fill_with_things(cloud, pool[0].aws_account_id)
    before = states(pool)

    dry = through_celery(pool, dry_run=True)
    filtered = through_celery(pool, regions=["eu-west-1"])

    assert dry.status == CleanupRun.Status.DONE and dry.summary["totals"]["found"] == 2 * 7 + 1
    assert cloud.present(pool[0].aws_account_id, "us-east-1", "cleanertest.instance")  # the dry run deleted nothing
    assert filtered.status == CleanupRun.Status.DONE and filtered.summary["filtered"]
    assert not cloud.present(pool[0].aws_account_id, "eu-west-1", "cleanertest.instance")
    assert states(pool) == before


# --- A worker that dies midway --------------------------------------------------------------------


def test_a_sweep_whose_worker_died_is_swept_again_and_converges_without_counting_twice(pool, cloud, few_regions):
    account = pool[0]
    fill_with_things(cloud, account.aws_account_id, ["eu-west-1"])
    run = new_run([account], regions=["eu-west-1"])
    runs.cleanup_run_fan_out(run_id=run.pk)
    target = run.targets.get(region="eu-west-1")
    deletes = []

    def die_at_the_third_delete(type_name, thing_id):
        deletes.append(thing_id)
        if len(deletes) == 3:
            raise WorkerDied

    cloud.on_delete = die_at_the_third_delete
    with pytest.raises(WorkerDied):
        runs.cleanup_target_sweep(target_id=target.pk)
    cloud.on_delete = None
    target.refresh_from_db()
    assert target.status == Status.RUNNING and target.claimed_until > timezone.now()
    assert cloud.present(account.aws_account_id, "eu-west-1", "cleanertest.volume")  # work was left

    # The redelivered task finds the dead sweep's claim still running, and waits for it to run out.
    assert runs.cleanup_target_sweep(target_id=target.pk) == runs.BUSY
    CleanupTarget.objects.filter(pk=target.pk).update(claimed_until=timezone.now() - timedelta(seconds=1))
    assert runs.cleanup_target_sweep(target_id=target.pk) is None

    target.refresh_from_db()
    assert target.status == Status.CLEAN and target.found == 7 and target.failed == 0
    assert not cloud.present(account.aws_account_id, "eu-west-1", "cleanertest.volume")
    found = list(target.items.filter(action=CleanupItem.Action.FOUND).values_list("resource_id", flat=True))
    assert sorted(found) == sorted(set(found)) and len(found) == 7  # found once each, across both sweeps
    for other in run.targets.exclude(pk=target.pk):
        runs.cleanup_target_sweep(target_id=other.pk)
    assert runs.cleanup_run_finish_if_done(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == CleanupRun.Status.DONE


def test_a_sweep_that_breaks_marks_its_target_and_the_run_still_closes(pool, few_regions, monkeypatch):
    run = new_run(pool[:1])
    monkeypatch.setattr(runs.SweepJob, "run", lambda self, recorder: 1 / 0)

    with side_effects_run():
        tasks.start_run.delay(run.pk)

    run.refresh_from_db()
    assert run.status == CleanupRun.Status.FAILED
    assert set(run.targets.values_list("status", "last_error")) == {
        (Status.ERROR, "ZeroDivisionError: division by zero")
    }
    assert states(pool[:1])[pool[0].aws_account_id] == (SandboxAccountState.CLEANING, 1)


def test_an_account_that_left_the_pool_after_the_run_was_queued_is_not_swept(pool, cloud, few_regions):
    fill_with_things(cloud, pool[0].aws_account_id)
    run = new_run(pool[:1])
    SandboxAccount.objects.filter(pk=pool[0].pk).update(state=SandboxAccountState.RETIRED)

    tasks.start_run.delay(run.pk)

    run.refresh_from_db()
    assert run.status == CleanupRun.Status.FAILED
    assert "has left the pool" in run.targets.get().last_error
    assert cloud.present(pool[0].aws_account_id, "eu-west-1", "cleanertest.instance")


# --- The workshop-close trigger and the beat task -------------------------------------------------


def test_closing_a_workshop_cleans_its_accounts_and_returns_them_to_the_pool(org, cloud, few_regions):
    accounts = org.add_accounts(2)
    workshop = workshop_with_attendees(accounts, attendees=2)
    start(workshop)
    for account in accounts:
        fill_with_things(cloud, account.aws_account_id)

    close(workshop)

    run = CleanupRun.objects.get()
    assert (run.trigger, run.dry_run, run.workshop, run.status) == ("close", False, workshop, CleanupRun.Status.DONE)
    assert set(run.accounts.all()) == set(accounts)
    assert states(accounts) == {a.aws_account_id: (SandboxAccountState.AVAILABLE, 0) for a in accounts}
    for account in accounts:
        assert not cloud.present(account.aws_account_id, "eu-west-1", "cleanertest.instance")


def test_the_close_task_cleans_what_is_revoked_and_comes_back_for_the_rest(pool):
    workshop = workshop_in(Stage.CLOSED)
    revoked, revoking = pool
    SandboxAccount.objects.filter(pk=revoked.pk).update(workshop=workshop)
    SandboxAccount.objects.filter(pk=revoking.pk).update(workshop=workshop, state=SandboxAccountState.IN_USE)

    with pytest.raises(Retry):  # called directly: the retry Celery would schedule while one is being revoked
        tasks.clean_closed_workshop(workshop.pk)
    with pytest.raises(Retry):
        tasks.clean_closed_workshop(workshop.pk)

    run = CleanupRun.objects.get()  # once: the second call found the account already in a run
    assert list(run.accounts.all()) == [revoked] and run.trigger == CleanupRun.Trigger.CLOSE
    SandboxAccount.objects.filter(pk=revoking.pk).update(state=SandboxAccountState.CLEANING)
    second, still_revoking = schedule.workshop_cleanup_start(workshop_id=workshop.pk)
    assert list(second.accounts.all()) == [revoking] and still_revoking == 0


def test_tend_requeues_lost_sweeps_and_retries_failed_accounts_after_a_pause(pool, few_regions):
    run = new_run(pool[:1], regions=["eu-west-1"])
    runs.cleanup_run_fan_out(run_id=run.pk)
    CleanupRun.objects.filter(pk=run.pk).update(started_at=timezone.now() - timedelta(hours=1))
    lost, _retry = schedule.cleanup_runs_tend()
    assert set(lost) == set(run.targets.values_list("pk", flat=True))
    assert _retry is not None and list(_retry.accounts.all()) == [pool[1]]  # waiting, never tried

    with side_effects_run():
        tasks.tend_cleanups.delay()  # sweeps the lost targets (and runs the retry it starts, if any)
    run.refresh_from_db()
    assert run.status == CleanupRun.Status.DONE
    SandboxAccount.objects.filter(pk=pool[0].pk).update(state=SandboxAccountState.CLEANING, failed_cleanups=1)
    assert schedule.cleanup_runs_tend()[1] is None  # just tried: it waits RETRY_AFTER
    later = timezone.now() + schedule.RETRY_AFTER + timedelta(minutes=1)
    assert list(schedule.cleanup_runs_tend(now=later)[1].accounts.all()) == [pool[0]]


# --- A real worker -----------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_run_is_swept_by_a_real_worker_on_the_cleaner_queue(broker, transactional_db, org, cloud, few_regions):  # noqa: F811
    accounts = org.add_accounts(2)
    SandboxAccount.objects.filter(pk__in=[a.pk for a in accounts]).update(state=SandboxAccountState.CLEANING)
    for account in accounts:
        fill_with_things(cloud, account.aws_account_id)

    with running_worker([CLEANER_QUEUE]):
        # transactional_db: the run really commits, so the start task is published and the worker sees the rows.
        run = new_run(accounts, queue_it=True)

        def run_finished() -> bool:
            run.refresh_from_db()
            return run.is_finished

        wait_until(run_finished, timeout=60, what=f"cleanup run {run.pk} on a {broker} worker")

    assert run.status == CleanupRun.Status.DONE
    assert run.targets.filter(status=Status.CLEAN).count() == 6
    assert states(accounts) == {a.aws_account_id: (SandboxAccountState.AVAILABLE, 0) for a in accounts}


# --- Pages -------------------------------------------------------------------------------------------


@pytest.fixture
def finished_run(pool, cloud, few_regions):
    fill_with_things(cloud, pool[0].aws_account_id)
    cloud.add(pool[0].aws_account_id, "eu-west-1", "cleanertest.volume", "vol-stuck", undeletable="VolumeInUse")
    return through_celery(pool, budget_seconds=1)


@pytest.mark.parametrize("name", ["cleaner:runs", "cleaner:run", "cleaner:run_progress"], ids=["list", "page", "json"])
def test_only_solutions_architects_see_the_cleanup_pages(client, finished_run, name):
    url = reverse(name) if name == "cleaner:runs" else reverse(name, args=[finished_run.pk])
    assert client.get(url).status_code == 302  # signed out: to the sign-in page
    for outsider in (AccountManagerFactory(), CustomerFactory()):
        client.force_login(outsider)
        assert client.get(url).status_code == 404
    client.force_login(SolutionsArchitectFactory())
    assert client.get(url).status_code == 200


def test_the_progress_json_counts_per_account_and_region(client, finished_run, pool):
    client.force_login(SolutionsArchitectFactory())

    data = client.get(reverse("cleaner:run_progress", args=[finished_run.pk])).json()

    assert (data["status"], data["finished"], data["targets_total"], data["targets_finished"]) == ("failed", True, 6, 6)
    by_account = {a["account_id"]: a for a in data["accounts"]}
    dirty = by_account[pool[0].aws_account_id]
    # The stuck volume failed; the network that cannot go while a volume is listed waited, untried.
    assert dirty["status"] == Status.DIRTY and (dirty["failed"], dirty["left"], dirty["deleted"]) == (1, 1, 14)
    eu = next(r for r in dirty["regions"] if r["region"] == "eu-west-1")
    assert eu["status"] == Status.DIRTY and "VolumeInUse" in eu["last_error"]
    assert by_account[pool[1].aws_account_id]["status"] == Status.CLEAN
    assert data["totals"]["failed"] == 1


def test_the_run_page_shows_what_was_left_and_polls_only_while_running(client, finished_run):
    client.force_login(SolutionsArchitectFactory())
    page = client.get(reverse("cleaner:run", args=[finished_run.pk])).content.decode()
    assert "vol-stuck" in page and "VolumeInUse" in page and "Left behind" in page
    assert "progress.json" not in page  # finished: nothing to poll

    CleanupRun.objects.filter(pk=finished_run.pk).update(status=CleanupRun.Status.RUNNING)
    page = client.get(reverse("cleaner:run", args=[finished_run.pk])).content.decode()
    assert f'data-progress-url="{reverse("cleaner:run_progress", args=[finished_run.pk])}"' in page
    assert 'data-poll-milliseconds="2000"' in page and "js/cleanup_run.js" in page


def test_the_admin_shows_runs_read_only_and_its_actions_start_runs(client, pool, few_regions):
    sa = SolutionsArchitectFactory()
    client.force_login(sa)
    run = new_run(pool, dry_run=True)
    assert client.get(reverse("admin:cleaner_cleanuprun_change", args=[run.pk])).status_code == 200
    assert client.get(reverse("admin:cleaner_cleanuprun_add")).status_code == 403

    # Through the pool's own admin page, as an SA ticks accounts and picks an action.
    changelist = reverse("admin:workshops_sandboxaccount_changelist")
    page = client.get(changelist).content.decode()
    assert 'value="start_dry_run_cleanup"' in page and 'value="start_cleanup"' in page
    chosen = {"_selected_action": [a.pk for a in pool], "index": 0}
    client.post(changelist, {**chosen, "action": "start_dry_run_cleanup"})
    assert CleanupRun.objects.filter(trigger=CleanupRun.Trigger.ADMIN, dry_run=True, requested_by=sa).exists()
    confirmation = client.post(changelist, {**chosen, "action": "start_cleanup"})  # a real one asks first
    assert "admin/confirm_action.html" in [t.name for t in confirmation.templates]
    assert not CleanupRun.objects.filter(trigger=CleanupRun.Trigger.ADMIN, dry_run=False).exists()
    client.post(changelist, {**chosen, "action": "start_cleanup", "confirmed": "yes"})
    assert CleanupRun.objects.filter(trigger=CleanupRun.Trigger.ADMIN, dry_run=False).exists()


def test_only_solutions_architects_are_offered_the_cleanup_actions(client, pool):
    client.force_login(AccountManagerFactory())
    changelist = reverse("admin:workshops_sandboxaccount_changelist")
    page = client.get(changelist)
    assert b"start_cleanup" not in page.content
    client.post(changelist, {"_selected_action": [a.pk for a in pool], "index": 0, "action": "start_dry_run_cleanup"})
    assert not CleanupRun.objects.exists()


def test_a_refused_run_stores_nothing(pool, org):
    with pytest.raises(safety.SafetyError):
        new_run([*pool, SandboxAccount(aws_account_id=org.management_account_id)])
    assert not CleanupRun.objects.exists()


def test_an_account_already_being_cleaned_is_refused_a_second_real_run(pool):
    first = new_run(pool[:1])
    with pytest.raises(safety.SafetyError, match=f"{pool[0].aws_account_id} is being cleaned by run {first.pk}"):
        new_run(pool)
    assert new_run(pool, dry_run=True)  # looking is always allowed
