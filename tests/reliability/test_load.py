"""Load on 127.0.0.1, bounded in count and time: concurrent MCP HTTP clients and a burst of queue jobs.

Figures (throughput, p95) are printed for docs/reliability.md; the assertions are about correctness only
(no errors, no lost jobs), never about time.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import numpy as np
import pytest

import agents.jobs as jobs
from tests.integration.test_mcp_http import ADMIN, WS, base_url, client  # noqa: F401  (module fixture)
from tests.integration.test_queue_embedded import queue_home, running_worker, wait_for  # noqa: F401

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
            while time.monotonic() < deadline:
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
    assert len(latencies) >= CLIENTS
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
