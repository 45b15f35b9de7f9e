"""A job kind is one registered handler: the queue checks its parameters through it and knows no kind itself."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agents.jobs import handlers
from agents.jobs.queue import EXECUTE_TASK, TICK_TASK, _task_hooks, get_queue, reset_queues
from agents.jobs.records import JobRecord, JobStatus, run_id_for
from agents.jobs.registry import Outcome, handler_for, register
from kernel.errors import InputError
from tests.unit.test_import_cycles import circles, imports_of, project_modules


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
    assert handler_for("test_export_slides")(record, queue).result == {"exported": "q3.key"}


def test_built_in_kinds_check_their_parameters_at_enqueue(queue: Any, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="a goal is required"):
        handlers.enqueue_run(queue, "  ", "acme")
    with pytest.raises(InputError, match="unknown deliverable"):
        handlers.enqueue_run(queue, "Plan Q3", "acme", deliverables="slides")
    with pytest.raises(InputError, match="file not found"):
        handlers.enqueue_ingest(queue, [tmp_path / "missing.csv"], "acme")
    with pytest.raises(InputError, match="unknown kind"):
        handlers.enqueue_ingest(queue, [tmp_path], "acme", kind="fax")
    record = handlers.enqueue_run(queue, " Plan Q3 ", "acme", deliverables="brief, roadmap", offline=True)
    assert record.params == {"goal": "Plan Q3", "options": {"deliverables": ["brief", "roadmap"], "offline": True}}


def test_the_queue_tasks_run_what_the_worker_and_the_schedule_registered() -> None:
    from agents.jobs.schedule import scheduled_tick
    from agents.jobs.worker import execute_job

    assert _task_hooks[EXECUTE_TASK] is execute_job
    assert _task_hooks[TICK_TASK] is scheduled_tick


def test_only_kinds_registered_as_runs_get_a_derived_run_id(queue: Any) -> None:
    run = handlers.enqueue_run(queue, "Plan Q3", "acme", offline=True)
    other = queue.submit("test_export_slides", "acme", {"name": "q3.key"})
    assert run.run_id == run_id_for(run.job_id) and other.run_id is None


#: The plumbing: it may import these (and kernel), lazily or not, and no handler or service.
PLUMBING = ("agents.jobs.config", "agents.jobs.records", "agents.jobs.registry", "agents.jobs.queue",
            "agents.jobs.worker", "agents.jobs.schedule")


def test_the_queue_plumbing_imports_no_domain_module() -> None:
    known = project_modules()
    allowed = set(PLUMBING[:4])
    for name in PLUMBING:
        imported = imports_of(name, known[name], known)
        domain = sorted(m for m in imported if m not in allowed and not m.startswith("kernel"))
        assert not domain, f"{name} imports {domain}"
    jobs = {n: imports_of(n, known[n], known) for n in known if n.startswith("agents.jobs")}
    assert circles(jobs) == []
