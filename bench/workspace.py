"""Build a benchmark workspace in a child process and report its peak memory.

``python -m bench.workspace --home DIR --rows N [--demo]`` ingests the demo corpus (with ``--demo``)
and a banking77 ticket CSV up to ``N`` signals into ``DIR`` through the real pipeline (parse,
redact, tag, embed, upsert, profiles), then prints one JSON line: peak RSS (``VmHWM``), RSS before
the ingest (Python, pmpilot and the loaded MiniLM model), seconds and signal count.

Vectors of the banking77 texts come from the cache (:class:`bench.datasets.CachedMiniLM`, identical
to MiniLM's) so 100k rows stay feasible on two cores; the MiniLM model is loaded anyway (it embeds
every uncached text), so the peak includes it as in a real ``pmpilot ingest``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

WORKSPACE = "bench10k"


def _rss_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"/proc/self/status has no {field}")


def fill(workspace: str, rows: int, demo: bool) -> dict[str, float]:
    """Ingest the demo corpus (``demo``) and banking77 tickets up to ``rows`` signals into the configured home.

    Uses the settings of the current environment (``PMPILOT_HOME``) with :class:`CachedMiniLM`;
    closes the store afterwards so another :class:`~memory.repository.MemoryStore` can open it.
    """
    from bench.datasets import CachedMiniLM, banking77, minilm_vectors, write_signals_csv
    from kernel.settings import get_settings
    from memory.ingest.pipeline import ingest_files
    from memory.repository import MemoryStore
    from memory.store import open_store

    settings = get_settings()
    settings.ensure_home()
    texts, _ = banking77()
    embedder = CachedMiniLM(texts, minilm_vectors(texts))
    embedder.load_model()
    memory = MemoryStore(open_store(settings), embedder)
    try:
        ws = memory.workspace(workspace)
        rss_before = _rss_mb("VmRSS")
        started = time.perf_counter()
        if demo:
            from agents.demo import signal_files

            ingest_files(ws, signal_files())
        remaining = rows - ws.count()
        if remaining > 0:
            with tempfile.TemporaryDirectory(prefix="pmpilot-bench-rows-") as tmp:
                ingest_files(ws, [write_signals_csv(Path(tmp) / "tickets.csv", remaining, seed=3)])
        seconds = time.perf_counter() - started
        count = ws.count()
    finally:
        memory.close()
    embedder.save()
    return {
        "peak_rss_mb": _rss_mb("VmHWM"),
        "rss_before_ingest_mb": rss_before,
        "seconds": seconds,
        "signals": count,
        "embedded_uncached": embedder.misses,
    }


def build(home: Path, rows: int, demo: bool, workspace: str = WORKSPACE) -> dict[str, float]:
    """Ingest into ``home`` (this process's settings now point there) and return the measurements."""
    os.environ["PMPILOT_HOME"] = str(home)
    from kernel.settings import get_settings

    get_settings.cache_clear()
    return fill(workspace, rows, demo)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry of the child process."""
    parser = argparse.ArgumentParser(prog="python -m bench.workspace", description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--rows", type=int, required=True)
    parser.add_argument("--demo", action="store_true")
    args = parser.parse_args(argv)
    print(json.dumps(build(args.home, args.rows, args.demo)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
