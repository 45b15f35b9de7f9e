"""A process SIGKILLed inside a batch's writes, then re-run: the same signals and profile claims as a clean run.

Each child is a real ``ingest_files`` on the embedded store with the bundled MiniLM. To kill it at a
chosen point of a batch's commit, the child pauses right after the real store write (the redo
record, the claims or the signals of batch 2) and prints a line; the test SIGKILLs it on that
line. The re-run (the same ingest, run in the test's process, which opens the home afresh as a new
process would and has the model loaded already) is compared with a clean ingest of the same file
into another home: signals, and every claim's text, status, evidence ids, support, contradictions.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kernel.settings import get_settings

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
ROWS = 160
BATCH = 40

_CHILD = """
import json, sys, time
from pathlib import Path
from memory.store.edge import EdgeStore
from tests.reliability.test_ingest_resume import ingest_and_read

if len(sys.argv) > 3:  # "<collection prefix>:<n>": pause for good after the n-th write to that collection
    prefix, nth = sys.argv[3].split(":")
    writes = [0]
    real = EdgeStore.upsert

    def upsert(self, collection, points):
        real(self, collection, points)
        if collection.startswith(prefix) and points:
            writes[0] += 1
            if writes[0] == int(nth):
                print(f"paused after write {nth} to {collection}", flush=True)
                time.sleep(600)

    EdgeStore.upsert = upsert

def progress(done, total):
    print(f"progress {done} {total}", flush=True)

print("RESULT " + json.dumps(ingest_and_read(Path(sys.argv[1]), int(sys.argv[2]), progress)), flush=True)
"""


def ingest_and_read(data: Path, batch: int, progress: Any = None) -> dict[str, Any]:
    """Ingest ``data`` into workspace "resume" of the current home; the report, signals, claims, redo left."""
    from memory import api
    from memory.ingest.pipeline import ingest_files

    ws = api.workspace("resume")
    report = ingest_files(ws, [data], progress=progress, batch_size=batch)
    signals = sorted(
        [s.id, s.content_hash, s.text, str(s.signal_type), s.sentiment, s.user_id, s.account_id]
        for s, _ in ws.iter_signals()
    )
    claims = sorted(
        [st, subj, c.id, c.type.value, c.text, c.status.value, c.evidence, c.support, c.contradicted_by,
         c.accounts, c.confidence, c.first_seen.isoformat(), c.last_seen.isoformat()]
        for st, subj, c in ws.iter_claims()
    )
    return {"report": report.model_dump(mode="json"), "signals": signals, "claims": claims, "pending": ws.recover()}

_TEXTS = [
    "Sync conflicts keep losing my edits",
    "The export to PDF is way too slow",
    "We need SSO with Okta",
    "We don't need SSO anymore",
    "I love the export feature",
    "The export feature is broken again",
    "Our team uses the dashboard daily",
    "Our team uses the dashboard weekly",
    "Please add dark mode",
    "Way too expensive for what it does",
    "How do I invite a teammate?",
    "We are cancelling our subscription and moving to Notion",
    "Calendar import duplicates events",
]


def _csv(path: Path) -> Path:
    """Tickets whose claims reinforce, contradict and supersede each other across batches."""
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["Ticket ID", "Description", "Requester", "Organization", "Segment", "Created at"])
        for i in range(ROWS):
            text = _TEXTS[(i * 7) % len(_TEXTS)]
            writer.writerow([f"T-{i}", f"{text} (ticket {i})" if i % 3 == 0 else text, f"user{i % 23}",
                             f"Org {i % 6}", ("smb", "enterprise")[i % 2],
                             f"2026-{1 + i // 20:02d}-{1 + i % 20:02d}T10:00:00Z"])
    return path


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "PMPILOT_"))}
    return {**env, "PMPILOT_HOME": str(home), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


def _run(home: Path, data: Path) -> dict[str, Any]:
    """The ingest in this process on ``home`` (opened afresh, released after), as JSON as the child prints it."""
    from memory.repository import reset_memory

    patch = pytest.MonkeyPatch()
    for name in [n for n in os.environ if n.startswith(("OPENAI_", "PMPILOT_"))]:
        patch.delenv(name)
    patch.setenv("PMPILOT_HOME", str(home))
    get_settings.cache_clear()
    reset_memory()
    try:
        return json.loads(json.dumps(ingest_and_read(data, BATCH)))
    finally:
        reset_memory()
        patch.undo()
        get_settings.cache_clear()


def _kill_on(home: Path, data: Path, args: list[str], line_starts: str, count: int = 1) -> list[str]:
    """Start the child and SIGKILL it on the ``count``-th stdout line starting with ``line_starts``."""
    proc = subprocess.Popen([sys.executable, "-c", _CHILD, str(data), str(BATCH), *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=_env(home), cwd=REPO)
    seen: list[str] = []
    assert proc.stdout is not None
    for line in proc.stdout:
        seen.append(line.strip())
        if len([s for s in seen if s.startswith(line_starts)]) >= count:
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(timeout=120)
    stderr = proc.stderr.read() if proc.stderr else ""
    assert proc.returncode == -signal.SIGKILL, (seen, stderr[-2000:])
    assert not any(s.startswith("RESULT") for s in seen)
    return seen


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _csv(tmp_path_factory.mktemp("resume-data") / "tickets.csv")


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory, data: Path) -> dict[str, Any]:
    result = _run(tmp_path_factory.mktemp("resume-clean"), data)
    assert result["report"]["ingested"] == ROWS and result["pending"] == 0
    claims = result["claims"]
    statuses = {c[5] for c in claims}
    assert {"active", "contradicted", "superseded"} <= statuses, statuses  # the data exercises every rule
    assert any(c[7] >= 5 for c in claims)  # and reinforcement
    return result


def _assert_same_as_clean(rerun: dict[str, Any], clean: dict[str, Any]) -> None:
    assert rerun["signals"] == clean["signals"]
    assert len(rerun["claims"]) == len(clean["claims"])
    assert rerun["claims"] == clean["claims"]
    for claim in rerun["claims"]:
        evidence = claim[6]
        assert len(evidence) == len(set(evidence)) == claim[7], claim  # no duplicate evidence, support = ids
    assert rerun["pending"] == 0  # no redo record left behind


@pytest.mark.parametrize(
    "pause",
    [
        "meta:2",  # batch 2's redo record written, nothing else of it
        "claims__:2",  # its claims written, its signals not
        "signals__:2",  # its signals written too (the gap: claims used to be written after the signals)
    ],
)
def test_sigkill_inside_batch_commit_then_rerun_matches_clean_ingest(
    tmp_path: Path, data: Path, clean: dict[str, Any], pause: str
) -> None:
    home = tmp_path / "home"
    seen = _kill_on(home, data, [pause], "paused after")
    assert [s for s in seen if s.startswith("progress")] == [f"progress {BATCH} {ROWS}"], seen

    rerun = _run(home, data)
    # Batch 2 is complete after the re-run's recovery, before it reads the file: 2 batches are duplicates.
    assert rerun["report"]["duplicates"] == 2 * BATCH, rerun["report"]
    assert rerun["report"]["ingested"] == ROWS - 2 * BATCH and rerun["report"]["updated"] == 0
    _assert_same_as_clean(rerun, clean)


def test_sigkill_on_progress_line_then_rerun_matches_clean_ingest(
    tmp_path: Path, data: Path, clean: dict[str, Any]
) -> None:
    home = tmp_path / "home"
    _kill_on(home, data, [], "progress", count=2)  # lands somewhere in batch 3
    rerun = _run(home, data)
    assert 2 * BATCH <= rerun["report"]["duplicates"] < ROWS
    _assert_same_as_clean(rerun, clean)
