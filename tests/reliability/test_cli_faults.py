"""Hostile files and a killed process through the real CLI: one error line, nothing lost, no duplicates."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.contract import cli

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
FIX = REPO / "tests" / "fixtures" / "ingest"
GOOD = [FIX / "feedback.jsonl", FIX / "appstore_reviews.csv"]


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "PMPILOT_"))}
    return {**env, "PMPILOT_HOME": str(home), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


def pmpilot(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ui.cli", *args], capture_output=True, text=True, env=_env(home), cwd=REPO,
        timeout=300,
    )


def stats(home: Path, workspace: str) -> dict:
    proc = pmpilot(home, "stats", "--workspace", workspace, "--json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("rel-cli-home")
    proc = pmpilot(home, "ingest", *map(str, GOOD), "--workspace", "good", "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["ingested"] > 0
    return home


def _hostile(tmp: Path) -> dict[str, Path]:
    files = {
        "binary.csv": bytes(range(256)) * 64,
        "zip.csv": b"PK\x03\x04" + os.urandom(512),
        "truncated.json": b'{"tickets": [{"id": 1, "description": "export is br',
        "deep.json": b"[" * 200_000 + b"]" * 200_000,
        "utf16.jsonl": '{"text": "hello there"}\n'.encode("utf-16-le"),
        "empty.md": b"",
        "no-text.csv": b"id,created_at\n1,2026-01-01\n",
        "notes.xlsx": b"PK\x03\x04",
        "../../etc/passwd.csv": None,
    }
    out: dict[str, Path] = {}
    for name, data in files.items():
        path = tmp / name
        if data is not None:
            path.write_bytes(data)
        out[name] = path
    return out


def test_hostile_files_fail_with_one_line_and_change_nothing(seeded: Path, tmp_path: Path) -> None:
    before = stats(seeded, "good")
    tried = 0
    for name, path in _hostile(tmp_path).items():
        mixes = ([], [str(GOOD[0])]) if name.endswith(".json") or name.startswith("binary") else ([],)
        for extra in mixes:  # alone, and (some) together with a good file: all or nothing
            proc = pmpilot(seeded, "ingest", *extra, str(path), "--workspace", "good", "--json")
            tried += 1
            assert proc.returncode == 1, (name, proc.returncode, proc.stderr)
            lines = proc.stderr.strip().splitlines()
            assert len(lines) == 1, (name, proc.stderr)
            assert lines[0].startswith("error: ") and "unexpected" not in lines[0], (name, lines[0])
            assert "Traceback" not in proc.stderr and proc.stdout.strip() == "", name
    assert tried == 12
    assert stats(seeded, "good") == before


def test_debug_flag_shows_traceback_only_when_asked(seeded: Path, tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(b"[{")
    proc = pmpilot(seeded, "ingest", str(path), "--workspace", "good", "--json", "--debug")
    assert proc.returncode != 0
    assert "InputError" in proc.stderr


def _big_csv(path: Path, rows: int) -> None:
    topics = ["export to PDF is slow", "SSO with Okta fails", "sync conflicts lose edits", "billing page crashes",
              "mobile app logs me out", "search ignores archived projects", "calendar import duplicates events"]
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["Ticket ID", "Subject", "Description", "Requester", "Organization", "Created at"])
        for i in range(rows):
            topic = topics[i % len(topics)]
            writer.writerow([f"T-{i}", topic, f"Ticket {i}: {topic} for our team of {i % 90 + 3} people.",
                             f"user{i % 150}", f"Org {i % 40}", f"2026-0{1 + i % 9}-1{i % 10}T10:00:00Z"])


_KILLABLE = """
import sys
from pathlib import Path
from memory import api
from memory.ingest.pipeline import ingest_files
def progress(done, total):
    print(f"progress {done} {total}", flush=True)
ingest_files(api.workspace("big"), [Path(sys.argv[1])], progress=progress, batch_size=40)
print("finished", flush=True)
"""


def test_sigkill_mid_ingest_then_rerun_has_no_duplicates(tmp_path: Path) -> None:
    home = tmp_path / "home"
    rows = 320
    data = tmp_path / "big_tickets.csv"
    _big_csv(data, rows)
    proc = subprocess.Popen([sys.executable, "-c", _KILLABLE, str(data)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=_env(home), cwd=REPO)
    seen: list[str] = []
    assert proc.stdout is not None
    for line in proc.stdout:
        seen.append(line.strip())
        if len([s for s in seen if s.startswith("progress")]) >= 2:
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(timeout=120)
    assert proc.returncode == -signal.SIGKILL, (seen, proc.stderr.read() if proc.stderr else "")
    assert "finished" not in seen

    # The re-run is the CLI's main() in this process (it opens the home afresh, as a new process would, and
    # its model is loaded already); the one-line errors above are what needs a real process.
    rerun = cli(home, "ingest", str(data), "--workspace", "big", "--json", check=False)
    assert rerun.returncode == 0, rerun.stderr
    report = json.loads(rerun.stdout)
    partial = report["duplicates"]
    assert 0 < partial < rows, "the killed run had stored some batches, not all"
    assert report["rejected"] == [] and report["updated"] == 0
    assert report["ingested"] == rows - partial
    final = json.loads(cli(home, "stats", "--workspace", "big", "--json").stdout)
    assert final["signals"] == rows and final["users"] == 150
