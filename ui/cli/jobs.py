"""The task queue: worker, enqueue run / enqueue ingest, jobs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from kernel.errors import InputError
from ui.cli.base import Command, Group, map_option, run_options, workspace_option
from ui.cli.common import clip, emit, parse_mapping, print_table, run_options_from

SECTION = "Task queue"
KEY_HELP = "Idempotency key: the same key returns the same job."


@click.command("worker", cls=Command)
@click.option("--concurrency", type=int, default=2, show_default=True, help="Jobs run at once by this worker.")
@click.option("--no-schedule", is_flag=True, help="Do not fire scheduled jobs from this worker.")
def worker(concurrency: int, no_schedule: bool) -> None:
    """Run a queue worker.

    It serves the embedded queue under PMPILOT_HOME, or Redis with PMPILOT_QUEUE_URL; SIGTERM
    stops it gracefully.
    """
    from agents.jobs import run_worker

    if concurrency < 1:
        raise InputError("--concurrency must be at least 1")
    run_worker(concurrency=concurrency, periodic=not no_schedule)


@click.group("enqueue", cls=Group, subcommand_metavar="TASK ...")
def enqueue() -> None:
    """Queue a run or an ingestion for a worker."""


@enqueue.command("run", cls=Command)
@run_options
@click.option("--key", help=KEY_HELP)
def enqueue_run(goal: str, workspace: str, key: str | None, **options: Any) -> None:
    """Queue a run of the agent graph (the options of `pmpilot run`)."""
    from agents import jobs

    record = jobs.enqueue_run(goal, workspace, idempotency_key=key, **run_options_from(options))
    emit(record, lambda r: print(f"job {r.job_id}: {r.status}"))


@enqueue.command("ingest", cls=Command)
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@workspace_option()
@click.option("--kind", default="auto", show_default=True, help="Source kind, as for `pmpilot ingest`.")
@map_option()
@click.option("--key", help=KEY_HELP)
def enqueue_ingest(paths: tuple[str, ...], workspace: str, kind: str, mapping: tuple[str, ...],
                   key: str | None) -> None:
    """Queue an ingestion of files."""
    from agents import jobs

    files = [Path(p) for p in paths]
    missing = [str(p) for p in files if not p.exists()]
    if missing:
        raise InputError(f"file not found: {missing[0]}")
    record = jobs.enqueue_ingest([p.resolve() for p in files], workspace, kind=kind, mapping=parse_mapping(mapping),
                                 idempotency_key=key)
    emit(record, lambda r: print(f"job {r.job_id}: {r.status}"))


@click.command("jobs", cls=Command)
@click.argument("job_id", required=False, metavar="[job_id]")
@workspace_option(required=False, help_text="Only this workspace's jobs.")
def jobs_command(job_id: str | None, workspace: str | None) -> None:
    """List queued jobs, or show one."""
    from agents import jobs

    if job_id:

        def human(r: Any) -> None:
            print(f"job {r.job_id} ({r.kind}): {r.status}, attempts {r.attempts}")
            if r.run_id:
                print(f"  run {r.run_id}")
            if r.error:
                print(f"  error: {r.error}")

        emit(jobs.get_job(job_id), human)
        return
    listed = [j.model_dump(mode="json") for j in jobs.list_jobs(workspace)]
    emit({"jobs": listed}, lambda p: print_table("jobs", ["job_id", "kind", "status", "attempts", "run_id", "error"], [
        (j["job_id"], j.get("kind"), j["status"], j.get("attempts"), j.get("run_id"), clip(j.get("error") or "", 60))
        for j in p["jobs"]
    ]))


COMMANDS: list[click.Command] = [worker, enqueue, jobs_command]
