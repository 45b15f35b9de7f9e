"""Agent runs: offline wall time and overhead against bare LangGraph; LLM calls and parallelism.

Offline: ``agents.runner.run_goal`` on a 10k-signal workspace (the demo corpus plus banking77
tickets, built by :mod:`bench.workspace` in a child process) with the model already loaded, against a
bare LangGraph graph of the same topology (same node names, edges, ``Send`` fan-out and review
loop, nodes that do nothing) on the same SQLite checkpointer, in the same process.

LLM: the same goal against the scripted OpenAI-compatible server (``tests/support``), answered by
the test suite's plausible model (real ids and quotes from the prompt), with 300 ms injected before
every answer. The critical path is the longest chain of calls that depend on each other: the
planner's calls, then the longest researcher branch (its tool rounds and findings, branches run in
parallel), then the longest draft (drafts are written in parallel), then anything else in sequence.
As for the offline figure, the first LLM run of the process (imports of the OpenAI client stack,
first structured-output schemas) is timed apart (``llm_run_wall_s_300ms_first``) and the figure is
the median of the warm runs after it. The workspace is in its steady state: theme snapshot saved and the
stored signals' sentence vectors kept (``memory.sentence_vectors``, as the scheduled ``refresh_themes``
job leaves them); one more run after dropping them gives ``llm_wall_vs_critical_path_ratio_cold``.
"""

from __future__ import annotations

import json
import operator
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Annotated, Any, Literal, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.types import Send

from bench.common import Results, isolated_home

GOAL = ("Should we fix sync bugs before building dark mode? Draft requirements, a brief for leadership "
        "and a decision memo.")
LATENCY_S = 0.3
REPO_ROOT = Path(__file__).resolve().parents[1]


def build_workspace(home: Path, rows: int, demo: bool) -> dict[str, float]:
    """Run :mod:`bench.workspace` in a child process (its peak RSS is its own) and return its report."""
    proc = subprocess.run(
        [sys.executable, "-m", "bench.workspace", "--home", str(home), "--rows", str(rows)]
        + (["--demo"] if demo else []),
        cwd=REPO_ROOT, capture_output=True, text=True, check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"bench.workspace failed: {proc.stderr.strip().splitlines()[-1:]}")
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


# --------------------------------------------------------------------------------- bare LangGraph


class BareState(TypedDict, total=False):
    """The least state that carries the same fan-out and loop as PMState."""

    goal: str
    questions: list[str]
    findings: Annotated[list[str], operator.add]
    drafts: dict[str, str]
    status: str


def _bare_builder(questions: int) -> Any:
    def planner(state: BareState) -> dict[str, Any]:
        return {"questions": [f"q{i}" for i in range(questions)]}

    def route(state: BareState) -> list[Send]:
        return [Send("researcher", {"goal": state["goal"], "questions": [q]}) for q in state["questions"]]

    def researcher(state: BareState) -> dict[str, Any]:
        return {"findings": list(state["questions"])}

    def noop(state: BareState) -> dict[str, Any]:
        return {}

    def writer(state: BareState) -> dict[str, Any]:
        return {"drafts": {"requirements": "", "brief": "", "decision_memo": ""}}

    def route_review(state: BareState) -> Literal["writer", "validate"]:
        return "validate"

    def route_human(state: BareState) -> Literal["writer", "finalize"]:
        return "finalize"

    def finalize(state: BareState) -> dict[str, Any]:
        return {"status": "completed"}

    builder = StateGraph(BareState)
    builder.add_node("planner", planner)
    builder.add_node("researcher", researcher)
    for name in ("scorer", "review", "validate", "publish", "human_review"):
        builder.add_node(name, noop)
    builder.add_node("writer", writer)
    builder.add_node("finalize", finalize)
    builder.add_edge(START, "planner")
    builder.add_conditional_edges("planner", route, ["researcher"])
    builder.add_edge("researcher", "scorer")
    builder.add_edge("scorer", "writer")
    builder.add_edge("writer", "review")
    builder.add_conditional_edges("review", route_review, ["writer", "validate"])
    builder.add_edge("validate", "publish")
    builder.add_edge("publish", "human_review")
    builder.add_conditional_edges("human_review", route_human, ["writer", "finalize"])
    builder.add_edge("finalize", END)
    return builder


def bare_run_seconds(questions: int, repeats: int) -> float:
    """Median wall time of the bare graph on the configured SQLite checkpointer."""
    from agents.checkpoint import open_checkpointer

    builder = _bare_builder(questions)
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        with open_checkpointer() as saver:
            app = builder.compile(checkpointer=saver, name="bare")
            config = {"configurable": {"thread_id": f"bare-{uuid.uuid4().hex}"}}
            for _ in app.stream({"goal": GOAL}, config, stream_mode="updates"):
                pass
            if app.get_state(config).values.get("status") != "completed":
                raise RuntimeError("the bare graph did not complete")
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _timed_run(workspace: str, offline: bool) -> tuple[float, dict[str, Any]]:
    from agents.demo import strategy_file
    from agents.runner import run_goal
    from memory import api

    # Each run embeds its research queries, as a new goal's would: the embedder remembers recent
    # queries, and the same goal repeated would otherwise find them already embedded.
    api.workspace(workspace).embedder.forget_queries()
    started = time.perf_counter()
    record = run_goal(GOAL, workspace, offline=offline, strategy=strategy_file())
    wall = time.perf_counter() - started
    if record["status"] != "completed":
        raise RuntimeError(f"benchmark run did not complete: {record.get('error')}")
    return wall, record


def offline(results: Results, home: Path, workspace: str, repeats: int) -> None:
    """Time offline runs on the prepared workspace and the bare graph, same process."""
    from agents.planner import offline_plan
    from memory.embeddings import get_embedder

    with isolated_home("run", keep=home):
        get_embedder().embed(["load the model before timing"])
        themes_s = _themes_seconds(results, workspace)
        first, _ = _timed_run(workspace, offline=True)
        walls = [_timed_run(workspace, offline=True)[0] for _ in range(repeats)]
        wall = statistics.median(walls)
        questions = len(offline_plan(GOAL, None, None)["questions"])
        bare = bare_run_seconds(questions, repeats=max(5, repeats))
        signals = _count(workspace)
    results.put(
        "offline_run_seconds_10k",
        wall,
        f"run_goal(offline) on {signals} signals (demo corpus + banking77 tickets), requirements + brief + decision "
        f"memo, MiniLM loaded, theme snapshot cached (themes_seconds_10k={themes_s:.1f} s before it); "
        f"median of {repeats}; the first run took {first:.2f} s",
    )
    results.put(
        "offline_run_overhead_vs_bare_langgraph",
        wall / bare,
        f"offline run {wall:.2f} s / bare LangGraph graph of the same topology ({questions} researcher branches, "
        f"review loop) on the same SQLite checkpointer {bare * 1000:.1f} ms (median of {max(5, repeats)})",
    )
    results.companion("offline_run_seconds_10k_first", first)
    results.companion("bare_langgraph_seconds", bare)
    results.companion("offline_run_signals", signals)


def _themes_seconds(results: Results, workspace: str) -> float:
    """Time one thematic analysis of the workspace (stored vectors: no embedding) and record it."""
    from memory import api

    started = time.perf_counter()
    try:
        report = api.themes(workspace, refresh=True)
    except ImportError as exc:
        results.put("themes_seconds_10k", None, f"not measured: thematic analysis unavailable ({exc})")
        return 0.0
    seconds = time.perf_counter() - started
    results.put(
        "themes_seconds_10k",
        seconds,
        f"memory.api.themes(refresh=True) on the {_count(workspace)}-signal workspace: read stored vectors, "
        f"cluster, label, quote, save the snapshot; {len(report.themes)} themes; no embedding",
    )
    return seconds


def _count(workspace: str) -> int:
    from memory import api

    return api.workspace(workspace).count()


# --------------------------------------------------------------------------------- LLM mode


def critical_path(requests: list[Any]) -> tuple[int, dict[str, int]]:
    """Longest chain of dependent calls and the call count per stage, from the recorded requests."""
    from tests.integration.test_run_llm import PlausibleModel

    stages: dict[str, Counter[str]] = {"planner": Counter(), "research": Counter(), "writer": Counter()}
    other = 0
    for recorded in requests:
        request = recorded.request
        kind = PlausibleModel.kind(request)
        if kind == "Plan":
            stages["planner"]["plan"] += 1
        elif kind in ("tools", "SubmitFindings"):
            text = request.text
            question = text.split("Research question:", 1)[1].split("\n", 1)[0] if "Research question:" in text else ""
            stages["research"][question.strip()] += 1
        elif kind.endswith("Draft"):
            stages["writer"][kind] += 1
        else:
            other += 1
    chain = sum(max(c.values(), default=0) for c in stages.values()) + other
    counts = {name: sum(c.values()) for name, c in stages.items()} | {"other": other}
    return chain, counts


def critical_gaps(requests: list[Any], started: float, ended: float, latency_s: float) -> dict[str, float]:
    """Seconds of pmpilot's own work between the dependent calls of one run (``time.monotonic`` times).

    An answer arrives ``latency_s`` after its request was received. ``before_plan``: run start to the
    planner's request; ``plan_to_research``: the plan's answer to the last research branch's first request;
    ``tool_round``: the longest wait, in a branch, from one answer to its next request; ``research_to_drafts``:
    the last research answer to the last draft request; ``after_drafts``: the last draft answer to the run's end.
    """
    from tests.integration.test_run_llm import PlausibleModel

    plan: list[float] = []
    branches: dict[str, list[float]] = {}
    drafts: list[float] = []
    for recorded in sorted(requests, key=lambda r: r.received_at):
        kind = PlausibleModel.kind(recorded.request)
        if kind == "Plan":
            plan.append(recorded.received_at)
        elif kind in ("tools", "SubmitFindings"):
            text = recorded.request.text
            question = text.split("Research question:", 1)[1].split("\n", 1)[0] if "Research question:" in text else ""
            branches.setdefault(question.strip(), []).append(recorded.received_at)
        elif kind.endswith("Draft"):
            drafts.append(recorded.received_at)
    if not plan or not branches or not drafts:
        return {}
    rounds = [b - (a + latency_s) for times in branches.values() for a, b in zip(times, times[1:], strict=False)]
    last_research = max(times[-1] for times in branches.values()) + latency_s
    return {
        "before_plan": plan[0] - started,
        "plan_to_research": max(times[0] for times in branches.values()) - (plan[-1] + latency_s),
        "tool_round": max(rounds, default=0.0),
        "research_to_drafts": max(drafts) - last_research,
        "after_drafts": ended - (max(drafts) + latency_s),
    }


def llm_busy_seconds(requests: list[Any], latency_s: float) -> float:
    """Seconds during which at least one call was waiting for its answer (union of call intervals)."""
    return sum(stop - start for start, stop in busy_intervals(requests, latency_s))


def busy_intervals(requests: list[Any], latency_s: float) -> list[tuple[float, float]]:
    """The union of the calls' intervals (``time.monotonic``), in order."""
    merged: list[tuple[float, float]] = []
    for start in sorted(r.received_at for r in requests):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], start + latency_s))
        else:
            merged.append((start, start + latency_s))
    return merged


class CpuTimeline:
    """Samples the process's CPU time every ``period`` seconds (monotonic clock, CPU-seconds) in a thread.

    The sampler's own CPU is left out, so :meth:`between_calls` is the process's CPU while no model call
    was in flight: pmpilot's own work on the critical path, which a loaded machine stretches in wall time.
    """

    def __init__(self, period: float = 0.005) -> None:
        self.period = period
        self.samples: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-cpu-timeline", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append((time.monotonic(), time.process_time() - time.thread_time()))
            self._stop.wait(self.period)
        self.samples.append((time.monotonic(), time.process_time() - time.thread_time()))

    def __enter__(self) -> CpuTimeline:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def between_calls(self, busy: list[tuple[float, float]]) -> float:
        """CPU-seconds of the sampled span spent while no interval of ``busy`` was open (by sample midpoints)."""
        cpu = 0.0
        for (t0, c0), (t1, c1) in zip(self.samples, self.samples[1:], strict=False):
            middle = (t0 + t1) / 2
            if not any(start <= middle <= stop for start, stop in busy):
                cpu += c1 - c0
        return cpu


def _after_run() -> float:
    """Wait for what a run left to do after returning its result; seconds waited.

    That is the decision log's flush and the checkpoint database's close (it syncs the write-ahead log).
    """
    from agents import checkpoint, review

    started = time.perf_counter()
    review.wait_for_flushes()
    checkpoint.wait_for_closes()
    return time.perf_counter() - started


def llm(results: Results, repeats: int) -> None:
    """Calls per full run and wall time against the critical path, with 300 ms per call."""
    from bench.workspace import fill
    from kernel.settings import get_settings
    from memory import api
    from tests.integration.test_run_llm import PlausibleModel
    from tests.support.scripted_openai import ScriptedOpenAI

    with isolated_home("llm"), ScriptedOpenAI(PlausibleModel(), latency_s=LATENCY_S) as server:
        fill("demo", 0, demo=True)
        api.themes("demo", refresh=True)  # the theme snapshot is cached, as in the offline figure
        # Steady state: the scheduled refresh_themes job has kept the stored signals' sentence vectors.
        kept = api.fill_sentence_vectors("demo")
        os.environ["OPENAI_BASE_URL"] = server.base_url
        os.environ["OPENAI_API_KEY"] = server.api_key
        get_settings.cache_clear()
        signals = api.workspace("demo").count()
        walls, calls, chains, reported, busy, cpus, between, drains = [], [], [], [], [], [], [], []
        gaps: dict[str, list[float]] = {}
        load_before = os.getloadavg()[0]  # timings here are wall times: the load says how contended the cores were
        nodes: dict[str, list[float]] = {}
        counts: dict[str, int] = {}
        first = 0.0
        for i in range(repeats + 1):
            server.clear()
            cpu = time.process_time()
            with CpuTimeline() as timeline:
                started = time.monotonic()
                wall, record = _timed_run("demo", offline=False)
                ended = time.monotonic()
            cpu = time.process_time() - cpu
            drains.append(_after_run())
            requests = server.chat_requests
            chain, counts = critical_path(requests)
            if i == 0:  # the process's first LLM run: timed apart, as offline_run_seconds_10k_first
                first = wall / (chain * LATENCY_S)
                results.companion("llm_run_wall_s_300ms_first", wall)
                continue
            walls.append(wall)
            cpus.append(cpu)
            busy.append(llm_busy_seconds(requests, LATENCY_S))
            between.append(timeline.between_calls(busy_intervals(requests, LATENCY_S)))
            calls.append(len(requests))
            chains.append(chain)
            reported.append(int(record["llm"]["calls"]))
            for node, seconds in (record.get("timings") or {}).items():
                nodes.setdefault(node, []).append(float(seconds))
            for gap, seconds in critical_gaps(requests, started, ended, LATENCY_S).items():
                gaps.setdefault(gap, []).append(seconds)
        # A workspace whose sentence vectors are not kept yet: the run embeds (and keeps) them itself.
        api.workspace("demo").clear_sentence_vectors()
        server.clear()
        cold_wall, _ = _timed_run("demo", offline=False)
        _after_run()
        cold = cold_wall / (critical_path(server.chat_requests)[0] * LATENCY_S)
        load_after = os.getloadavg()[0]
    wall = statistics.median(walls)
    chain = max(chains)
    results.put(
        "llm_calls_per_full_run",
        max(calls),
        f"chat requests received by the scripted OpenAI-compatible server for one run (requirements + brief + "
        f"decision memo) on the demo workspace ({signals} signals, theme snapshot cached); per stage {counts}; "
        f"run.json reported "
        f"{reported[-1]} calls",
    )
    results.put(
        "llm_wall_vs_critical_path_ratio",
        wall / (chain * LATENCY_S),
        f"run wall {wall:.2f} s (median of {repeats} warm runs) with {LATENCY_S * 1000:.0f} ms before every answer / "
        f"critical path {chain} dependent calls x {LATENCY_S * 1000:.0f} ms; some call was in flight during "
        f"{statistics.median(busy):.2f} s of the wall time (the rest is pmpilot's own work; the process, scripted "
        f"server included, used {statistics.median(cpus):.2f} CPU-s per run, {statistics.median(between):.2f} of "
        f"them while no call was in flight); the decision log's flush and the checkpoint database's close, left "
        f"to background threads once the run has its result, were waited for between runs, untimed (median "
        f"wait {statistics.median(drains) * 1000:.0f} ms); the process's first run, timed apart, "
        f"had a ratio of {first:.2f}; the stored signals' {kept} sentence vectors kept (steady "
        f"state, as the scheduled refresh_themes job leaves them); one run with none kept: {cold:.2f}; load average "
        f"{load_before:.1f} before the runs, {load_after:.1f} after",
    )
    results.companion("llm_load_avg_300ms", round((load_before + load_after) / 2, 2))
    results.companion("llm_wall_vs_critical_path_ratio_cold", cold)
    results.companion("llm_wall_vs_critical_path_ratio_first", first)
    results.companion("llm_node_seconds_300ms", {n: round(statistics.median(v), 3) for n, v in nodes.items()})
    results.companion("llm_in_flight_s_300ms", statistics.median(busy))
    # Where the wall time outside the calls goes on the critical path (median ms per gap, see critical_gaps).
    results.companion("llm_gaps_ms_300ms", {g: round(statistics.median(v) * 1000, 1) for g, v in gaps.items()})
    # CPU-seconds of the whole process (all threads, the in-process scripted server too) per warm run: on a
    # loaded machine a better guide than wall time to what changed in pmpilot's own work.
    results.companion("llm_run_cpu_s_300ms", statistics.median(cpus))
    # The part of it spent while no call was in flight: pmpilot's own work between the calls.
    results.companion("llm_cpu_between_calls_s_300ms", statistics.median(between))
    results.companion("llm_critical_path_calls", chain)
    results.companion("llm_run_wall_s_300ms", wall)


def run(results: Results, quick: bool) -> None:
    """Build the 10k workspace (and measure its ingest's peak memory), then time the runs."""
    rows = 10_000
    with tempfile.TemporaryDirectory(prefix="pmpilot-bench-ws-") as tmp:
        home = Path(tmp) / "home"
        built = build_workspace(home, rows, demo=True)
        results.companion("workspace_10k_build_s", built["seconds"])
        if quick:
            _record_rss(results, built, rows, note="quick mode: measured while building the 10k workspace")
        offline(results, home, "bench10k", repeats=2 if quick else 3)
    if not quick:
        with tempfile.TemporaryDirectory(prefix="pmpilot-bench-rss-") as tmp:
            built = build_workspace(Path(tmp) / "home", 100_000, demo=False)
            _record_rss(results, built, 100_000, note="")
    llm(results, repeats=3)


def _record_rss(results: Results, built: dict[str, float], rows: int, note: str) -> None:
    results.put(
        "peak_rss_mb_ingest_100k",
        built["peak_rss_mb"],
        f"peak RSS (VmHWM) of a child process ingesting {int(built['signals'])} signals ({rows} rows asked) "
        f"through the real pipeline in {built['seconds']:.0f} s; {built['rss_before_ingest_mb']:.0f} MB before the "
        f"ingest (Python + pmpilot + MiniLM loaded); banking77 vectors served from the MiniLM cache "
        f"({int(built['embedded_uncached'])} texts embedded live)" + (f"; {note}" if note else ""),
    )
    results.companion("peak_rss_mb_ingest_100k_n", int(built["signals"]))
    results.companion("rss_mb_before_ingest", built["rss_before_ingest_mb"])
