"""Review fix: a run that ends ``failed`` (a status update without ``--repo``) exits 1 with its error on one stderr
line (CONTRACT.md: exit 1 for bad input); with ``--json`` its run.json is still printed on stdout.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.contract import cli

TYPO = "acme-typo"


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("review-fixes-cli")
    data = root / "tickets.csv"
    data.write_text("id,user_id,created_at,text\n"
                    "T-1,u1,2026-11-01,I was charged a fee for taking cash out at the ATM\n"
                    "T-2,u2,2026-11-02,Why is there a fee on my transfer?\n", encoding="utf-8")
    cli(root / "home", "ingest", str(data), "--workspace", "acme", "--json")
    return root / "home"


def test_a_failed_run_exits_1_with_its_error_and_still_prints_run_json(home: Path) -> None:
    proc = cli(home, "run", "Status update", "--workspace", TYPO, "--deliverables", "status", "--offline", "--json",
               check=False)
    assert proc.returncode == 1, proc.stdout
    record = json.loads(proc.stdout)
    assert record["status"] == "failed"
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr
    assert lines[0] == f"error: run {record['run_id']} failed: {record['error']}"
    assert "--repo" in lines[0]
