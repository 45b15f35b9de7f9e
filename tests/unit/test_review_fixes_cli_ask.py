"""Review fix: ``ask -w typo`` answers like the library's ``ask_users`` (MCP ``ask_users``, Gradio): exit 0, the
contract's insufficient-evidence JSON on stdout, the one-line note naming the known workspaces on stderr (issue 14 §3:
the same behaviour on CLI, MCP and Gradio). ``run -w typo`` still exits 1.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.contract import as_json, cli

TYPO = "acme-typo"
NOTE = (f"note: workspace '{TYPO}' has no signals; ingest some first (pmpilot ingest FILE --workspace {TYPO}); "
        "known workspaces: acme")


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("review-fixes-cli")
    data = root / "tickets.csv"
    data.write_text("id,user_id,created_at,text\n"
                    "T-1,u1,2026-11-01,I was charged a fee for taking cash out at the ATM\n"
                    "T-2,u2,2026-11-02,Why is there a fee on my transfer?\n", encoding="utf-8")
    cli(root / "home", "ingest", str(data), "--workspace", "acme", "--json")
    return root / "home"


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
