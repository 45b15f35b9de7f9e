"""Load on 127.0.0.1, bounded in count and time: concurrent MCP HTTP clients and bursts of queue jobs.

Figures (throughput, p95) are printed for docs/reliability.md; the assertions are about correctness only
(no errors, no lost jobs, no duplicated effects), never about time.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import redis

import agents.jobs as jobs
from tests.integration.test_mcp_http import ADMIN, WS, base_url, client  # noqa: F401  (module fixture)
from tests.integration.test_queue_embedded import queue_home, running_worker, wait_for  # noqa: F401
from tests.support.services import require_redis

pytestmark = pytest.mark.slow

CLIENTS = 6
SECONDS = 8.0
JOBS = 12


async def test_concurrent_mcp_http_clients_see_no_errors(base_url: str) -> None:  # noqa: F811
    latencies: list[float] = []
    errors: list[str] = []
    deadline = time.monotonic() + SECONDS

    async def one_client(n: int) -> None:
        async with client(base_url, ADMIN) as mcp:
            calls = 0
            while calls == 0 or time.monotonic() < deadline:  # every client calls at least once, however slow
                calls += 1
                started = time.perf_counter()
                result = await mcp.call_tool("search_user_memory",
                                             {"workspace": WS, "query": f"sync fails {n}", "limit": 5})
                latencies.append(time.perf_counter() - started)
                if result.is_error or not result.structured_content["hits"]:
                    errors.append(str(result.content))

    started = time.monotonic()
    await asyncio.gather(*(one_client(n) for n in range(CLIENTS)))
    wall = time.monotonic() - started
    assert errors == []
    assert len(latencies) >= CLIENTS  # holds on any machine: each client makes at least one call
    print(json.dumps({"mcp_clients": CLIENTS, "calls": len(latencies), "calls_per_s": round(len(latencies) / wall, 1),
                      "p95_ms": round(float(np.percentile(latencies, 95)) * 1000, 1)}))


def test_burst_of_queue_jobs_all_complete_none_lost(queue_home: Path, tmp_path: Path) -> None:  # noqa: F811
    paths = []
    for n in range(JOBS):
        path = tmp_path / f"tickets_{n}.csv"
        path.write_text("ticket_id,requester,created_at,description\n"
                        f"T{n}-1,u{n},2026-11-0{1 + n % 9},Sync fails on device {n} after the update\n"
                        f"T{n}-2,u{n + 100},2026-11-0{1 + n % 9},Please add dark mode number {n}\n", encoding="utf-8")
        paths.append(path)
    started = time.monotonic()
    records = [jobs.enqueue_ingest([p], "load", idempotency_key=f"load-{p.name}") for p in paths]
    assert len({r.job_id for r in records}) == JOBS
    with running_worker(concurrency=2):
        done = [wait_for(r.job_id, timeout=240) for r in records]
    wall = time.monotonic() - started
    assert [r.status.value if hasattr(r.status, "value") else r.status for r in done] == ["completed"] * JOBS
    from memory import api

    assert api.stats("load").signals == 2 * JOBS
    print(json.dumps({"queue_jobs": JOBS, "wall_s": round(wall, 1), "jobs_per_s": round(JOBS / wall, 2)}))


# --- Redis: a bounded burst through two real worker processes ---------------------------------------

REDIS_URL = "redis://127.0.0.1:6379/11"  # a spare database: test_queue_redis flushes 13
REDIS_JOBS = 1000
REDIS_WORK_MS = 5
REDIS_WORKERS = 2
REPO = Path(__file__).resolve().parents[2]

#: A worker process whose job kind ``load_effect`` records each execution in Redis (the effect a
#: duplicate delivery would repeat) and when it started (for the queue latency).
LOAD_WORKER = r"""
import os, sys, time
from pathlib import Path
import redis
from agents.jobs import run_worker
from agents.jobs.registry import Outcome, register

name = os.environ["PMPILOT_QUEUE_NAME"]
effects = redis.Redis.from_url(os.environ["PMPILOT_QUEUE_URL"])

@register("load_effect")
def load_effect(record, queue):
    started = time.time()
    effects.hincrby(f"{name}:effects", record.job_id, 1)
    effects.hsetnx(f"{name}:started", record.job_id, repr(started))
    time.sleep(record.params["work_ms"] / 1000)
    return Outcome(result={"n": record.params["n"]})

Path(sys.argv[1]).write_text("ready")
run_worker(concurrency=2, periodic=False)
"""



@pytest.fixture()
def redis_load_queue(home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The Redis backend under a queue name of its own; every key of that name is deleted afterwards."""
    require_redis()
    from agents.jobs.queue import get_queue, reset_queues
    from kernel.settings import get_settings

    name = f"pmpilot_load_{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv("PMPILOT_QUEUE_URL", REDIS_URL)
    monkeypatch.setenv("PMPILOT_QUEUE_NAME", name)
    monkeypatch.setenv("PMPILOT_JOB_REAP_INTERVAL", "1")
    get_settings.cache_clear()
    reset_queues()
    assert get_queue().backend == "redis" and get_queue().huey.name == name
    try:
        yield name
    finally:
        reset_queues()
        get_settings.cache_clear()
        client = redis.Redis.from_url(REDIS_URL)
        keys = list(client.scan_iter(match=f"*{name}*", count=1000))
        if keys:
            client.delete(*keys)
        assert not list(client.scan_iter(match=f"*{name}*"))
        client.close()


def _stop(proc: subprocess.Popen[bytes]) -> str:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
    return (proc.stderr.read() if proc.stderr else b"").decode(errors="replace")[-2000:]


def test_burst_on_redis_with_two_worker_processes_loses_and_repeats_nothing(redis_load_queue: str,
                                                                            tmp_path: Path) -> None:
    from agents.jobs.queue import get_queue

    name, queue = redis_load_queue, get_queue()
    workers, logs = [], []
    try:
        for n in range(REDIS_WORKERS):
            ready = tmp_path / f"worker-{n}.ready"
            workers.append((subprocess.Popen([sys.executable, "-c", LOAD_WORKER, str(ready)], cwd=REPO,
                                             env=dict(os.environ), stdout=subprocess.DEVNULL,
                                             stderr=subprocess.PIPE), ready))
        deadline = time.monotonic() + 120
        for proc, ready in workers:
            while not ready.exists():
                assert proc.poll() is None, f"worker exited early: {_stop(proc)}"
                assert time.monotonic() < deadline, "worker never got ready"
                time.sleep(0.05)
        time.sleep(0.5)  # let both consumers reach their blocking dequeue

        started = time.monotonic()
        records = [queue.submit("load_effect", "load", {"n": n, "work_ms": REDIS_WORK_MS},
                                idempotency_key=f"{name}-{n}") for n in range(REDIS_JOBS)]
        duplicated_messages = 0
        for record in records[::3]:  # a redelivered message for every third job
            queue.dispatch(record.job_id)
            duplicated_messages += 1
        enqueue_s = time.monotonic() - started
        ids = [r.job_id for r in records]
        assert len(set(ids)) == REDIS_JOBS

        deadline = time.monotonic() + 240
        while True:
            done = [r for r in jobs.list_jobs("load", limit=REDIS_JOBS + 10) if r.terminal]
            if len(done) == REDIS_JOBS or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        wall = time.monotonic() - started
    finally:
        for proc, _ in workers:
            logs.append(_stop(proc))

    final = {r.job_id: r for r in jobs.list_jobs("load", limit=REDIS_JOBS + 10)}
    client = redis.Redis.from_url(REDIS_URL)
    effects = {k.decode(): int(v) for k, v in client.hgetall(f"{name}:effects").items()}
    starts = {k.decode(): float(v) for k, v in client.hgetall(f"{name}:started").items()}
    client.close()
    lost = [job_id for job_id in ids if job_id not in final or final[job_id].status.value != "completed"]
    repeated = {job_id: count for job_id, count in effects.items() if count != 1}
    errors = [final[j].error for j in ids if j in final and final[j].error]
    latencies = [starts[j] - final[j].created_at.timestamp() for j in ids if j in starts and j in final]
    workers_used = {final[j].worker.split(":")[1] for j in ids if j in final and final[j].worker}
    figures = {
        "redis_queue_jobs": REDIS_JOBS, "worker_processes": REDIS_WORKERS, "threads_per_worker": 2,
        "work_ms_per_job": REDIS_WORK_MS, "duplicate_messages": duplicated_messages,
        "completed": REDIS_JOBS - len(lost), "lost": len(lost), "duplicated_effects": len(repeated),
        "errors": len(errors), "processes_that_ran_jobs": len(workers_used),
        "attempts_max": max((r.attempts for r in final.values()), default=0),
        "enqueue_s": round(enqueue_s, 2), "wall_s": round(wall, 2), "jobs_per_s": round(REDIS_JOBS / wall, 1),
        "queue_latency_p50_ms": round(float(np.percentile(latencies, 50)) * 1000, 1) if latencies else None,
        "queue_latency_p95_ms": round(float(np.percentile(latencies, 95)) * 1000, 1) if latencies else None,
    }
    print(json.dumps(figures))
    assert lost == [], f"{len(lost)} jobs not completed: {figures}\n" + "\n".join(logs)
    assert repeated == {} and set(effects) == set(ids)
    assert errors == []
