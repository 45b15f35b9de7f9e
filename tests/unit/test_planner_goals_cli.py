"""A workspace name that holds nothing reads the same in every command: run refuses it with one line naming the
known workspaces (exit 1); ask answers insufficient evidence like MCP and Gradio (exit 0, the contract's JSON on stdout,
the note on stderr: issue 14 §3); stats, search, themes and profile still answer 0 (scripts probe with them) and say so
on stderr. A run that ends ``failed`` (a status update without ``--repo``) exits 1 with its error on one stderr line
after printing its run.json (CONTRACT.md: exit 1 for bad input)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.contract import as_json, assert_one_line_error, cli

TYPO = "acme-typo"
NOTE = (f"note: workspace '{TYPO}' has no signals; ingest some first (pmpilot ingest FILE --workspace {TYPO}); "
        "known workspaces: acme")


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("planner-goals-cli")
    data = root / "tickets.csv"
    data.write_text("id,user_id,created_at,text\n"
                    "T-1,u1,2026-11-01,I was charged a fee for taking cash out at the ATM\n"
                    "T-2,u2,2026-11-02,Why is there a fee on my transfer?\n"
                    "T-3,u3,2026-11-03,The card payment cost me an extra charge\n", encoding="utf-8")
    cli(root / "home", "ingest", str(data), "--workspace", "acme", "--json")
    return root / "home"


@pytest.mark.parametrize("args", [
    ("run", "Draft requirements to stop surprise fees", "--offline"),
    ("run", "Draft requirements to stop surprise fees", "--offline", "--deliverables", "requirements"),
])
def test_run_refuses_a_workspace_that_holds_nothing(home: Path, args: tuple[str, ...]) -> None:
    line = assert_one_line_error(cli(home, *args, "--workspace", TYPO, "--json", check=False), 1)
    assert line == (f"error: workspace '{TYPO}' has no signals; ingest some first (pmpilot ingest FILE --workspace "
                    f"{TYPO}); known workspaces: acme")


@pytest.mark.parametrize("args", [("stats",), ("search", "fees"), ("profile", "--user", "u1")])
def test_inspection_commands_answer_nothing_and_name_the_known_workspaces(home: Path, args: tuple[str, ...]) -> None:
    proc = cli(home, *args, "--workspace", TYPO, "--json")
    payload = as_json(proc)
    assert payload.get("signals", 0) == 0 and not payload.get("hits") and not payload.get("claims")
    assert proc.stderr.strip() == (f"note: workspace '{TYPO}' has no signals; ingest some first (pmpilot ingest FILE "
                                   f"--workspace {TYPO}); known workspaces: acme")


def test_a_workspace_with_signals_gets_no_note_and_an_empty_question_is_still_the_question_error(home: Path) -> None:
    proc = cli(home, "stats", "--workspace", "acme", "--json")
    assert as_json(proc)["signals"] == 3 and proc.stderr == ""
    line = assert_one_line_error(cli(home, "ask", "   ", "--workspace", TYPO, "--json", check=False), 1)
    assert "question is empty" in line


def test_ask_on_an_empty_workspace_prints_the_insufficient_evidence_json_and_a_note(home: Path) -> None:
    proc = cli(home, "ask", "Why do customers pay fees?", "--workspace", TYPO, "--json", check=False)
    assert proc.returncode == 0, proc.stderr
    payload = as_json(proc)
    assert payload["insufficient_evidence"] is True and payload["evidence"] == []
    assert {"answer", "confidence", "evidence", "dissent", "insufficient_evidence"} <= set(payload)
    assert proc.stderr.strip() == NOTE


def test_ask_on_an_empty_workspace_in_human_form_prints_the_answer_and_the_note(home: Path) -> None:
    proc = cli(home, "ask", "Why do customers pay fees?", "--workspace", TYPO, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip()  # the answer that says there is not enough evidence
    assert proc.stderr.strip() == NOTE


def test_run_on_an_empty_workspace_still_exits_1(home: Path) -> None:
    proc = cli(home, "run", "Draft requirements to stop surprise fees", "--offline", "--workspace", TYPO, "--json",
               check=False)
    assert proc.returncode == 1 and proc.stdout == ""


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
