"""Ingest throughput against the bare embedder on the same texts, in the same process.

``ingest_vs_raw_embedder_ratio`` = signals/s of ``memory.api.ingest`` end to end (read the CSV,
redact, tag, embed, upsert dense + sparse vectors, update profiles) ÷ signals/s of
``LocalEmbedder.embed`` on the same texts. The embedder is timed before and after the ingest and the
mean of the two is used, so a change of machine load during the run affects both sides. Quick mode
times :data:`ROUNDS` ingests (each into a fresh workspace), the bare embedder between them, and reports
the median round: one quick run read 0.64–0.79 on a quiet machine for the same code. Companions:
the CPU-seconds of both sides (the process, all threads), their ratio and the load at the end, to
tell a busy machine's artefacts from the code: on a loaded box the bare embedder's call has used 2–4×
the CPU-seconds it uses on a quiet one, and the wall-clock ratio then reads above 1. The model
embeds the whole file once, untimed, before either timing (first-use costs: weights paged in, pass shapes).

``ingest_rows_per_second_100k`` and ``ingest_peak_rss_mb_100k``: a child process
(``python -m bench.ingest --rows N``) ingests a ticket CSV of N rows (100,000; 10,000 in quick mode)
through ``memory.api.ingest`` with the real MiniLM (no vector cache: every text is embedded) into a
fresh home; rows/s end to end, and the child's peak RSS (``VmHWM``: Python, torch, MiniLM, the store).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import Results, isolated_home
from bench.datasets import write_signals_csv

#: Ingests timed in quick mode, each between two bare runs; the ratio is the median round's.
ROUNDS = 3


def _texts(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8") as handle:
        return [row["text"] for row in csv.DictReader(handle)]


def run(results: Results, quick: bool) -> None:
    """Time the raw embedder, the ingest, then the raw embedder again."""
    from memory import api
    from memory.embeddings import LocalEmbedder

    rows = 600 if quick else 10_000
    with tempfile.TemporaryDirectory(prefix="pmpilot-bench-ingest-") as tmp:
        data = write_signals_csv(Path(tmp) / "tickets.csv", rows, seed=21)
        warm = write_signals_csv(Path(tmp) / "warmup.csv", 40, seed=5)
        texts = _texts(data)
        embedder = LocalEmbedder()
        embedder.embed(texts)  # loads the model and warms every pass shape outside the timings (the first
        # pass over new shapes is several times slower: it inflated the bare side of the ratio)
        raw_s: list[float] = []
        raw_cpu: list[float] = []
        ingest_runs: list[tuple[float, float]] = []
        ratios: list[float] = []
        with isolated_home("ingest"):
            api.ingest([warm], "bench-warmup")  # first-use costs: tagger, redactor, store creation
            started, cpu = time.perf_counter(), time.process_time()
            embedder.embed(texts)
            raw_s.append(time.perf_counter() - started)
            raw_cpu.append(time.process_time() - cpu)
            for i in range(ROUNDS if quick else 1):  # bare, ingest, bare, ingest, ..., bare
                started, cpu = time.perf_counter(), time.process_time()
                report = api.ingest([data], "bench-ingest" if i == 0 else f"bench-ingest-{i + 1}")
                ingest_runs.append((time.perf_counter() - started, time.process_time() - cpu))
                started, cpu = time.perf_counter(), time.process_time()
                embedder.embed(texts)
                raw_s.append(time.perf_counter() - started)
                raw_cpu.append(time.process_time() - cpu)
                ratios.append(statistics.mean(raw_s[-2:]) / ingest_runs[-1][0])
                if report.ingested != rows or report.rejected:
                    raise RuntimeError(f"benchmark ingest stored {report.ingested} of {rows} rows: "
                                       f"{report.rejected[:3]}")
            claims = sum(1 for _ in api.workspace("bench-ingest").iter_claims())
        # The median round: its ingest and the bare runs either side of it.
        middle = sorted(range(len(ratios)), key=ratios.__getitem__)[len(ratios) // 2]
        ingest_s, ingest_cpu = ingest_runs[middle]
        raw_s, raw_cpu = raw_s[middle:middle + 2], raw_cpu[middle:middle + 2]
        raw_rate = rows / statistics.mean(raw_s)
        ingest_rate = rows / ingest_s
        results.put(
            "ingest_vs_raw_embedder_ratio",
            ingest_rate / raw_rate,
            f"{rows} banking77 texts as a ticket CSV (synthetic users/accounts/segments/dates, 5% with PII); "
            f"ingest {ingest_rate:.0f} signals/s end to end (parse, redact, tag, embed, upsert, {claims} profile "
            f"claims) vs MiniLM alone {raw_rate:.0f} signals/s (mean of the runs before/after: "
            f"{raw_s[0]:.2f}/{raw_s[1]:.2f} s); CPU-seconds, bare ÷ ingest: {statistics.mean(raw_cpu):.2f} ÷ "
            f"{ingest_cpu:.2f}; the median of {len(ratios)} rounds (bare, ingest, bare, ...: "
            f"{', '.join(f'{r:.3f}' for r in ratios)}); load average {os.getloadavg()[0]:.1f} at the end",
        )
        # CPU-seconds (all threads) of the bare embedder ÷ the ingest's: what the ratio would be if the
        # model kept both cores busy in both runs (see the module's docstring on loaded machines).
        results.companion("ingest_vs_raw_embedder_cpu_ratio", statistics.mean(raw_cpu) / ingest_cpu)
        results.companion("ingest_cpu_s", ingest_cpu)
        results.companion("raw_embedder_cpu_s", statistics.mean(raw_cpu))
        results.companion("load_avg_1m_after_ingest", os.getloadavg()[0])
        results.companion("ingest_signals_per_s", ingest_rate)
        results.companion("raw_embedder_signals_per_s", raw_rate)
        results.companion("ingest_rows", rows)
        results.companion("ingest_vs_raw_embedder_ratio_rounds", [round(r, 3) for r in ratios])

    scale_rows = 10_000 if quick else 100_000
    scale = measure_scale(scale_rows)
    note = (f"{scale_rows} banking77 ticket rows (texts repeat past 10,003, each with its own id) through "
            f"memory.api.ingest with the real MiniLM in a child process, fresh home: {scale['seconds']:.0f} s, "
            f"{scale['claims']} profile claims; load average {scale['load_avg_1m']} at the end")
    results.put("ingest_rows_per_second_100k", scale["rows_per_second"], note)
    results.put("ingest_peak_rss_mb_100k", scale["peak_rss_mb"],
                note + f"; VmHWM of the child (RSS before the ingest, model loaded: {scale['rss_before_mb']:.0f} MB)")
    results.companion("ingest_rows_per_second_100k_n", scale_rows)


def measure_scale(rows: int) -> dict[str, float]:
    """Run :func:`scale_child` in a fresh process (its own peak RSS) and return its figures."""
    out = subprocess.run([sys.executable, "-m", "bench.ingest", "--rows", str(rows)], check=True,
                         capture_output=True, text=True, timeout=7200)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def _rss_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"/proc/self/status has no {field}")


def scale_child(rows: int) -> dict[str, float]:
    """Ingest ``rows`` ticket rows with the real embedder in this process; rows/s and peak RSS."""
    from memory import api
    from memory.embeddings import LocalEmbedder

    with tempfile.TemporaryDirectory(prefix="pmpilot-bench-ingest-scale-") as tmp:
        data = write_signals_csv(Path(tmp) / "tickets.csv", rows, seed=21)
        LocalEmbedder().embed(["load the model"])
        with isolated_home("ingest-scale"):
            rss_before = _rss_mb("VmRSS")
            started = time.perf_counter()
            report = api.ingest([data], "bench-ingest-scale")
            seconds = time.perf_counter() - started
            claims = sum(1 for _ in api.workspace("bench-ingest-scale").iter_claims())
    if report.ingested != rows or report.rejected:
        raise RuntimeError(f"benchmark ingest stored {report.ingested} of {rows} rows: {report.rejected[:3]}")
    return {"rows_per_second": round(rows / seconds, 1), "seconds": round(seconds, 1), "claims": claims,
            "peak_rss_mb": round(_rss_mb("VmHWM"), 1), "rss_before_mb": round(rss_before, 1),
            "load_avg_1m": round(os.getloadavg()[0], 2)}


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.ingest --rows N`` (the child of :func:`measure_scale`)."""
    parser = argparse.ArgumentParser(prog="python -m bench.ingest")
    parser.add_argument("--rows", type=int, required=True, help="ticket rows to ingest")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    print(json.dumps(scale_child(args.rows)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
