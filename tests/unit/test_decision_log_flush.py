"""A run's decision-log write: embedded ahead of finalize, acknowledged once in the write-ahead log, flushed after.

``validate`` starts embedding the decision the validated drafts will log, so ``finalize`` finds its vector
remembered; ``finalize`` returns once the write is in the store's write-ahead log and leaves the flush to a
background thread. What a completed run acknowledged must survive the process being killed before that flush.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from agents import review
from kernel.settings import get_settings
from memory import api as memory_api
from tests.support.workspace import seeded_home

GOAL = "Should we fix sync bugs before building dark mode? Draft a decision memo."
WS = "acme"
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with seeded_home(tmp_path_factory, "decision-flush", WS) as path:
        yield path


class HeldFlush:
    """Holds every background flush of the decision log until released (the flush still runs after)."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.entered = threading.Event()
        self.started = 0
        self.done = 0
        self.real = review._flush

    def __call__(self, later: Any) -> None:
        self.started += 1
        self.entered.set()
        self.release.wait()
        self.real(later)
        self.done += 1


def _decision(record: dict[str, Any]) -> list[dict[str, Any]]:
    question = json.loads((Path(record["artifacts"][0]["path_json"]).parent / "request.json").read_text())["goal"]
    hits = memory_api.workspace(WS).search_decisions(question, limit=20)
    return [h for h in hits if h["run_id"] == record["run_id"]]


def test_finalize_logs_the_prefetched_decision_and_returns_before_the_flush(home: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from agents.runner import run_goal

    embedder = memory_api.workspace(WS).embedder
    embedder.forget_queries()
    calls: list[tuple[str, list[str]]] = []
    real_embed = embedder.embed

    def embed(texts: Sequence[str]) -> np.ndarray:
        calls.append((threading.current_thread().name, list(texts)))
        return real_embed(texts)

    monkeypatch.setattr(embedder, "embed", embed)
    held = HeldFlush()
    monkeypatch.setattr(review, "_flush", held)
    try:
        record = run_goal(GOAL, WS, offline=True, deliverables=["decision_memo"])
        assert record["status"] == "completed"
        # Acknowledged with its flush still held (the flush thread may start after run_goal returns on a loaded
        # machine: wait for it, never for a time): the decision is already readable ...
        assert held.entered.wait(60)
        assert held.started == 1 and held.done == 0
        [logged] = _decision(record)
        assert logged["recommendation"]
        # ... and its text was embedded once, ahead of finalize, on a prefetch thread.
        text = review.decision_text(logged["question"], logged["recommendation"], logged["rationale"])
        embedded = [name for name, texts in calls if text in texts]
        assert len(embedded) == 1 and embedded[0].startswith("pmpilot-prefetch")
    finally:
        held.release.set()
        review.wait_for_flushes()
    assert held.done == 1
    assert _decision(record) == [logged]


_CHILD = """
import json, sys, threading
from agents import review
from agents.runner import run_goal

def never(later):  # the process is killed before any flush of the decision log
    threading.Event().wait()
review._flush = never
record = run_goal(sys.argv[1], sys.argv[2], offline=True, deliverables=["decision_memo"])
print("RESULT " + json.dumps({"status": record["status"], "run_id": record["run_id"]}), flush=True)
threading.Event().wait()
"""


def test_a_decision_acknowledged_before_its_flush_survives_a_kill(home: Path) -> None:
    from memory.repository import reset_memory

    reset_memory()  # let the child take the store
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "PMPILOT_"))}
    env.update(PMPILOT_HOME=str(home), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    proc = subprocess.Popen([sys.executable, "-c", _CHILD, GOAL, WS], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env, cwd=REPO)
    assert proc.stdout is not None and proc.stderr is not None
    result: dict[str, Any] = {}
    for line in proc.stdout:
        if line.startswith("RESULT "):
            result = json.loads(line[len("RESULT "):])
            proc.send_signal(signal.SIGKILL)  # acknowledged, never flushed
            break
    proc.wait(timeout=60)
    assert result, proc.stderr.read()[-2000:]
    assert result["status"] == "completed"
    get_settings.cache_clear()
    reset_memory()  # reopen: the shard replays its write-ahead log
    decisions = memory_api.workspace(WS).search_decisions(GOAL, limit=50)
    assert [d["run_id"] for d in decisions].count(result["run_id"]) == 1
