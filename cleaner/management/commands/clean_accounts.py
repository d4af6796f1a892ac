"""manage.py clean_accounts: sweep sandbox accounts clean, here or on the Celery workers.

A dry run unless --no-dry-run, which asks for a typed confirmation unless --yes. Exit status: 0
when everything asked for is clean, 1 when refused (bad arguments, safety, no confirmation),
3 when the sweep left something behind or failed on something.
"""

from __future__ import annotations

import sys
import time

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Sum
from django.urls import reverse

from cleaner import engine, runs, safety
from cleaner.models import CleanupRun, CleanupTarget
from workshops.models import SandboxAccount, SandboxAccountState, Workshop

LEFT_BEHIND = 3
COLUMNS = ("found", "deleted", "failed", "left")


def _split(text: str) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


class Command(BaseCommand):
    help = (
        "Delete everything attendees left in sandbox accounts: every enabled region and every service the cleaner "
        "knows, except what is protected. A dry run (nothing deleted) unless --no-dry-run."
    )
    # Tests hand the confirmation in through call_command(stdin=…), as createsuperuser allows.
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--workshop", type=int, metavar="ID", help="The accounts of this workshop.")
        which.add_argument("--account", metavar="ID,…", help="These pool accounts (comma-separated ids).")
        which.add_argument(
            "--all-pool", action="store_true", help="Every pool account (in-use ones only in a dry run)."
        )
        parser.add_argument(
            "--regions",
            default="",
            metavar="R1,R2",
            help=(
                "Only these regions (default: every enabled one). With it, of the account-wide services only "
                "the buckets of these regions are swept: IAM and the like only in an unconfined run."
            ),
        )
        parser.add_argument(
            "--services", default="", metavar="S1,S2", help="Only these services or types (ec2, s3, ec2.volume)."
        )
        parser.add_argument(
            "--keep-tag", action="append", default=[], metavar="KEY[=VALUE]", help="Keep items with this tag."
        )
        parser.add_argument(
            "--only-tag", action="append", default=[], metavar="KEY[=VALUE]", help="Only items with this tag."
        )
        parser.add_argument(
            "--name", action="append", default=[], metavar="PATTERN", help="Only names matching (fnmatch)."
        )
        parser.add_argument("--keep-name", action="append", default=[], metavar="PATTERN", help="Keep names matching.")
        parser.add_argument("--older-than", type=int, metavar="HOURS", help="Only items created more than HOURS ago.")
        parser.add_argument(
            "--budget",
            type=int,
            default=runs.DEFAULT_BUDGET_SECONDS,
            metavar="SECONDS",
            help="How long each account and region may keep deleting and re-listing.",
        )
        parser.add_argument("--threads", type=int, default=16, help="(Account, region) pairs swept at once here.")
        parser.add_argument("--no-dry-run", action="store_true", help="Really delete.")
        parser.add_argument("--yes", action="store_true", help="Do not ask for confirmation.")
        parser.add_argument("--via-workers", action="store_true", help="Queue the run to the Celery workers.")

    def handle(self, *args, **options):
        dry_run = not options["no_dry_run"]
        if options["threads"] < 1 or options["budget"] < 1 or (options["older_than"] or 0) < 0:
            raise CommandError("--threads and --budget must be at least 1, --older-than not negative.")
        account_ids = self._account_ids(options, dry_run)
        try:
            # Everything checked before anything is asked or stored.
            safety.accounts_check(account_ids, dry_run=dry_run)
            regions = safety.regions_check(_split(options["regions"]))
            services = safety.services_check(_split(options["services"]), [t.type for t in engine.resource_types()])
            keep_tags, only_tags = safety.parse_tags(options["keep_tag"]), safety.parse_tags(options["only_tag"])
        except safety.SafetyError as refused:
            raise CommandError(f"{refused}\nNothing was done.")
        if dry_run:
            self.stdout.write(self.style.WARNING("Dry run: nothing will be deleted (pass --no-dry-run to delete)."))
        elif not options["yes"]:
            self._confirm(account_ids, options.get("stdin") or sys.stdin)
        try:
            run = runs.cleanup_run_create(
                account_ids=account_ids,
                trigger=CleanupRun.Trigger.COMMAND,
                dry_run=dry_run,
                regions=regions,
                services=services,
                keep_tags=keep_tags,
                only_tags=only_tags,
                name_patterns=options["name"],
                keep_name_patterns=options["keep_name"],
                min_age_hours=options["older_than"],
                budget_seconds=options["budget"],
                queue_it=options["via_workers"],
            )
        except safety.SafetyError as refused:
            raise CommandError(f"{refused}\nNothing was done.")
        page = reverse("cleaner:run", args=[run.pk])
        if options["via_workers"]:
            self.stdout.write(f"Queued cleanup run {run.pk} to the workers; follow it at {page}")
            self.stdout.write(str(run.pk))
            return
        progress = _Progress(self.stderr, run.pk)
        run = runs.cleanup_run_sweep_here(run_id=run.pk, threads=options["threads"], on_progress=progress.show)
        progress.show(run, final=True)
        self._report(run, page)

    def _account_ids(self, options, dry_run: bool) -> list[str]:
        pool = SandboxAccount.objects.exclude(state=SandboxAccountState.RETIRED).order_by("aws_account_id")
        if options["account"] is not None:
            ids = _split(options["account"])
            if not ids:
                raise CommandError("--account needs at least one account id.")
            return ids
        if options["workshop"] is not None:
            workshop = Workshop.objects.filter(pk=options["workshop"]).first()
            if workshop is None:
                raise CommandError(f"There is no workshop {options['workshop']}.")
            ids = list(pool.filter(workshop=workshop).values_list("aws_account_id", flat=True))
            if not ids:
                raise CommandError(f"Workshop {workshop.pk} (“{workshop.title}”) holds no sandbox accounts.")
            return ids
        if not dry_run:
            busy = list(pool.filter(state=SandboxAccountState.IN_USE).values_list("aws_account_id", flat=True))
            if busy:
                self.stdout.write(f"Leaving out {len(busy)} accounts in use by running workshops: {', '.join(busy)}")
            pool = pool.exclude(state=SandboxAccountState.IN_USE)
        ids = list(pool.values_list("aws_account_id", flat=True))
        if not ids:
            raise CommandError("The pool holds no accounts to clean.")
        return ids

    def _confirm(self, account_ids: list[str], stdin) -> None:
        count = len(account_ids)
        shown = ", ".join(account_ids[:10]) + (f" and {count - 10} more" if count > 10 else "")
        self.stdout.write(
            self.style.ERROR(f"This DELETES everything that is not protected in {count} accounts: {shown}")
        )
        self.stdout.write(f'Type "delete" or the number of accounts ({count}) to go on: ', ending="")
        self.stdout.flush()
        try:
            answer = stdin.readline()
        except (OSError, ValueError):  # no terminal (pytest, cron, a closed stdin)
            answer = ""
        if not answer:
            raise CommandError(
                "No answer (no terminal to ask on): pass --yes to delete without asking. Nothing was done."
            )
        if answer.strip() not in ("delete", str(count)):
            raise CommandError("Not confirmed. Nothing was done.")

    def _report(self, run: CleanupRun, page: str) -> None:
        targets = run.targets.exclude(status=CleanupTarget.Status.SKIPPED).order_by("account_id", "region")
        header = ("account", "region", "status", *COLUMNS)
        rows = [(t.account_id, t.region, t.status, *(str(getattr(t, c)) for c in COLUMNS)) for t in targets]
        totals = {c: sum(int(getattr(t, c)) for t in targets) for c in COLUMNS}
        rows.append(("total", "", run.status, *(str(totals[c]) for c in COLUMNS)))
        widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
        for row in [header, *rows]:
            self.stdout.write(
                "  ".join(
                    str(v).ljust(w) if i < 3 else str(v).rjust(w)
                    for i, (v, w) in enumerate(zip(row, widths, strict=True))
                )
            )
        for target in targets:
            if target.last_error:
                self.stdout.write(f"{target.account_id} {target.region}: {target.last_error}")
        self.stdout.write(f"Cleanup run {run.pk}: {page}")
        states = {a["account_id"]: a["state"] for a in run.summary.get("accounts", []) if a.get("state")}
        if states:
            self.stdout.write("Accounts now: " + ", ".join(f"{a} {s}" for a, s in states.items()))
        if totals["failed"] or totals["left"] or any(t.status == CleanupTarget.Status.ERROR for t in targets):
            raise CommandError(
                f"{totals['left']} resources left and {totals['failed']} failed: see the table above.",
                returncode=LEFT_BEHIND,
            )
        self.stdout.write(self.style.SUCCESS("Dry run finished." if run.dry_run else "Everything asked for is clean."))


class _Progress:
    """One stderr line, rewritten in place on a terminal, or a line every few seconds elsewhere."""

    def __init__(self, stream, run_id: int):
        self.stream, self.run_id = stream, run_id
        self.tty = getattr(stream, "isatty", lambda: False)()
        self.shown_at = 0.0

    def show(self, run: CleanupRun, final: bool = False) -> None:
        now = time.monotonic()
        if not final and now - self.shown_at < (0.5 if self.tty else 5.0):
            return
        self.shown_at = now
        targets = CleanupTarget.objects.filter(run_id=self.run_id)
        total = targets.count()
        finished = targets.filter(status__in=CleanupTarget.FINISHED).count()
        sums = targets.aggregate(**{c: Sum(c) for c in COLUMNS})
        width = 30
        filled = width * finished // total if total else width
        counts = "  ".join(f"{c} {sums[c] or 0}" for c in COLUMNS)
        line = f"[{'#' * filled}{'.' * (width - filled)}] {finished}/{total} account-regions  {counts}"
        ending = "\n" if final or not self.tty else ""
        self.stream.write(f"\r{line}" if self.tty else line, style_func=lambda text: text, ending=ending)
        self.stream.flush()
