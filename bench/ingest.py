"""Ingest throughput against the bare embedder on the same texts, in the same process.

``ingest_vs_raw_embedder_ratio`` = signals/s of ``memory.api.ingest`` end to end (read the CSV,
redact, tag, embed, upsert dense + sparse vectors, update profiles) ÷ signals/s of
``LocalEmbedder.embed`` on the same texts. The embedder is timed before and after the ingest and the
mean of the two is used, so a change of machine load during the run affects both sides.
"""

from __future__ import annotations

import csv
import statistics
import tempfile
import time
from pathlib import Path

from bench.common import Results, isolated_home
from bench.datasets import write_signals_csv


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
        embedder.embed(texts[:64])  # loads the model outside the timings
        raw_s = []
        with isolated_home("ingest"):
            api.ingest([warm], "bench-warmup")  # first-use costs: tagger, redactor, store creation
            started = time.perf_counter()
            embedder.embed(texts)
            raw_s.append(time.perf_counter() - started)
            started = time.perf_counter()
            report = api.ingest([data], "bench-ingest")
            ingest_s = time.perf_counter() - started
            started = time.perf_counter()
            embedder.embed(texts)
            raw_s.append(time.perf_counter() - started)
            claims = sum(1 for _ in api.workspace("bench-ingest").iter_claims())
        if report.ingested != rows or report.rejected:
            raise RuntimeError(f"benchmark ingest stored {report.ingested} of {rows} rows: {report.rejected[:3]}")
        raw_rate = rows / statistics.mean(raw_s)
        ingest_rate = rows / ingest_s
        results.put(
            "ingest_vs_raw_embedder_ratio",
            ingest_rate / raw_rate,
            f"{rows} banking77 texts as a ticket CSV (synthetic users/accounts/segments/dates, 5% with PII); "
            f"ingest {ingest_rate:.0f} signals/s end to end (parse, redact, tag, embed, upsert, {claims} profile "
            f"claims) vs MiniLM alone {raw_rate:.0f} signals/s (mean of the runs before/after: "
            f"{raw_s[0]:.1f}/{raw_s[1]:.1f} s)",
        )
        results.companion("ingest_signals_per_s", ingest_rate)
        results.companion("raw_embedder_signals_per_s", raw_rate)
        results.companion("ingest_rows", rows)
