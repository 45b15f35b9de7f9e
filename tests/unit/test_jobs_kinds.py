"""A job kind is one registered handler: the queue checks its parameters through it and knows no kind itself."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agents.jobs import handlers
from agents.jobs.handlers import Outcome, register
from agents.jobs.queue import EXECUTE_TASK, TICK_TASK, _task_hooks, get_queue, reset_queues
from agents.jobs.records import JobRecord, JobStatus
from kernel.errors import InputError


def _prepare_slides(params: dict[str, Any]) -> dict[str, Any]:
    name = str(params.get("name") or "").strip()
    if not name.endswith(".key"):
        raise InputError(f"not a Keynote file: {name!r}")
    return {"name": name}


@register("test_export_slides", prepare=_prepare_slides)
def _export_slides(record: JobRecord, queue: Any) -> Outcome:
    return Outcome(result={"exported": record.params["name"]})


@pytest.fixture()
def queue(home: Path) -> Iterator[Any]:
    reset_queues()
    yield get_queue()
    reset_queues()


def test_a_new_kind_is_checked_by_its_own_registration(queue: Any) -> None:
    with pytest.raises(InputError, match="not a Keynote file"):
        queue.submit("test_export_slides", "acme", {"name": "notes.txt"})
    record = queue.submit("test_export_slides", "acme", {"name": "  q3.key "})
    assert record.params == {"name": "q3.key"} and record.status == JobStatus.QUEUED
    assert handlers.handler_for("test_export_slides")(record, queue).result == {"exported": "q3.key"}


def test_built_in_kinds_check_their_parameters_at_enqueue(queue: Any, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="a goal is required"):
        queue.enqueue_run("  ", "acme")
    with pytest.raises(InputError, match="unknown deliverable"):
        queue.enqueue_run("Plan Q3", "acme", deliverables="slides")
    with pytest.raises(InputError, match="file not found"):
        queue.enqueue_ingest([tmp_path / "missing.csv"], "acme")
    with pytest.raises(InputError, match="unknown kind"):
        queue.enqueue_ingest([tmp_path], "acme", kind="fax")
    record = queue.enqueue_run(" Plan Q3 ", "acme", deliverables="brief, roadmap", offline=True)
    assert record.params == {"goal": "Plan Q3", "options": {"deliverables": ["brief", "roadmap"], "offline": True}}


def test_the_queue_tasks_run_what_the_worker_and_the_schedule_registered() -> None:
    from agents.jobs.schedule import scheduled_tick
    from agents.jobs.worker import execute_job

    assert _task_hooks[EXECUTE_TASK] is execute_job
    assert _task_hooks[TICK_TASK] is scheduled_tick
