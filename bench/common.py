"""Shared harness pieces: goals, results, machine description, isolated homes, timing."""

from __future__ import annotations

import contextlib
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parent / "results"
CACHE_DIR = Path(os.environ.get("PMPILOT_BENCH_CACHE", Path(__file__).resolve().parent / ".cache"))
BANKING77_TRAIN = Path(
    os.environ.get("PMPILOT_BENCH_BANKING77", Path(__file__).resolve().parents[2] / "shared/data/banking77/train.csv")
)


@dataclass(frozen=True)
class Goal:
    """The bar a figure must meet: ``op`` is ``<=``, ``>=``, ``between`` or ``reported``."""

    op: str
    value: float | None = None
    high: float | None = None

    def passes(self, measured: float | None) -> bool | None:
        """Whether ``measured`` meets the goal (None when there is no bar or no figure)."""
        if measured is None or self.op == "reported":
            return None
        if self.op == "<=":
            return measured <= float(self.value or 0)
        if self.op == ">=":
            return measured >= float(self.value or 0)
        return float(self.value or 0) <= measured <= float(self.high or 0)

    def __str__(self) -> str:
        if self.op == "reported":
            return "reported"
        if self.op == "between":
            return f"{self.value:g}–{self.high:g}"
        return f"{self.op} {self.value:g}"


#: Every key of latest.json with its goal (issue 8), in table order.
GOALS: dict[str, Goal] = {
    "memory_search_p95_ms_100k": Goal("<=", 20),
    "memory_search_p95_ms_100k_baseline_local_mode": Goal("reported"),
    "ingest_vs_raw_embedder_ratio": Goal(">=", 0.80),
    "ingest_rows_per_second_100k": Goal("reported"),
    "ingest_peak_rss_mb_100k": Goal("reported"),
    "offline_run_overhead_vs_bare_langgraph": Goal("reported"),
    "offline_run_seconds_10k": Goal("<=", 10),
    "llm_calls_per_full_run": Goal("<=", 12),
    "llm_wall_vs_critical_path_ratio": Goal("<=", 1.3),
    "themes_nmi_banking77_train": Goal(">=", 0.82),
    "themes_ari_banking77_train": Goal(">=", 0.55),
    "themes_count_banking77_train": Goal("between", 50, 160),
    "themes_nmi_subsets_min": Goal(">=", 0.83),
    "themes_ari_subsets_min": Goal(">=", 0.57),
    "themes_seconds_100k": Goal("<=", 60),
    "themes_peak_rss_mb_100k": Goal("<=", 2048),
    "themes_seconds_10k": Goal("reported"),
    "peak_rss_mb_ingest_100k": Goal("reported"),
    "ask_evidence_precision": Goal(">=", 0.95),
    "ask_abstention_offdomain": Goal(">=", 0.95),
    "ask_false_abstention": Goal("<=", 0.05),
    "run_evidence_precision": Goal(">=", 0.90),
    "run_evidence_recall": Goal("reported"),
    "ask_evidence_precision_llm": Goal(">=", 0.95),
    "ask_abstention_offdomain_llm": Goal(">=", 0.95),
    "ask_false_abstention_llm": Goal("<=", 0.05),
    "run_evidence_precision_llm": Goal(">=", 0.90),
    "run_evidence_recall_llm": Goal("reported"),
    "story_defects_per_story": Goal("<=", 0.15),
    "story_defects_per_story_llm": Goal("<=", 0.15),
    "meeting_requirements_precision": Goal(">=", 0.80),
    "meeting_requirements_recall": Goal(">=", 0.60),
    "align_agreement": Goal(">=", 0.85),
    "align_unaligned_share": Goal("<=", 0.25),
}


@dataclass
class Results:
    """Figures, companion figures and one note per key, as written to latest.json."""

    quick: bool
    figures: dict[str, Any] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def put(self, key: str, value: Any, note: str) -> None:
        """Record one figure (``None`` when it could not be measured, with the reason in ``note``)."""
        self.figures[key] = round(value, 4) if isinstance(value, float) else value
        self.notes[key] = note

    def companion(self, key: str, value: Any) -> None:
        """Record a companion figure (sizes, breakdowns) that qualifies a main key."""
        self.extra[key] = round(value, 4) if isinstance(value, float) else value


def machine() -> dict[str, Any]:
    """Cores, RAM, CPU model, OS and Python of this machine, plus its load when the run started."""
    model = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    ram_gb = None
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    return {
        "cores": os.cpu_count(),
        "ram_gb": ram_gb,
        "cpu": model,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "load_avg_1m_at_start": round(os.getloadavg()[0], 2),
    }


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile (0-100), linear interpolation between ranks."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    pos = (len(ordered) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def median_time(fn: Callable[[], Any], repeats: int) -> float:
    """Median wall time of ``repeats`` calls of ``fn`` in seconds."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


@contextlib.contextmanager
def isolated_home(prefix: str, keep: Path | None = None) -> Iterator[Path]:
    """Point pmpilot at a fresh ``PMPILOT_HOME`` (no LLM endpoint) and restore everything afterwards.

    Args:
        prefix: Name prefix of the temporary directory.
        keep: Use this directory instead of a temporary one (it is not deleted).
    """
    from kernel.settings import get_settings
    from memory.repository import reset_memory

    saved = {k: os.environ.get(k) for k in ("PMPILOT_HOME", "OPENAI_BASE_URL", "OPENAI_API_KEY")}
    with contextlib.ExitStack() as stack:
        home = keep or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=f"pmpilot-bench-{prefix}-")))
        os.environ["PMPILOT_HOME"] = str(home)
        os.environ.pop("OPENAI_BASE_URL", None)
        os.environ.pop("OPENAI_API_KEY", None)
        get_settings.cache_clear()
        reset_memory()
        try:
            yield home
        finally:
            reset_memory()
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
            get_settings.cache_clear()


def format_value(value: Any) -> str:
    """A figure as shown in the table."""
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 100 else f"{value:.0f}"
    return str(value)


def table_rows(results: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(key, value, goal, pass) rows of latest.json's figures in GOALS order."""
    rows = []
    for key, goal in GOALS.items():
        value = results.get(key)
        verdict = goal.passes(value)
        mark = "—" if verdict is None else ("yes" if verdict else "NO")
        rows.append((key, format_value(value), str(goal), mark))
    return rows


def markdown_table(results: dict[str, Any]) -> str:
    """The figures as a Markdown table (docs/performance.md, README)."""
    lines = ["| key | value | goal | pass |", "|---|---|---|---|"]
    lines += [f"| `{k}` | {v} | {g} | {p} |" for k, v, g, p in table_rows(results)]
    return "\n".join(lines)
