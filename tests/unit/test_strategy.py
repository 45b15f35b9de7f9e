"""Strategy readers: Markdown/plain text (headings or lists), YAML and JSON; weights in every written form."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from kernel.errors import InputError
from tools.strategy import load_strategy, parse_strategy, read_strategy

PROJECT = Path(__file__).resolve().parents[2]
FIXTURE = PROJECT / "tests" / "fixtures" / "align" / "pmpilot_strategy.md"


def goals(text: str, fmt: str | None = None) -> list[tuple[str, float, str]]:
    parsed = parse_strategy(text, "s", fmt)
    return [(g.name, g.weight, g.description) for g in parsed.strategy.goals]


def test_numbered_markdown_list_with_weight_in_parentheses() -> None:
    text = ("# Acme strategy\n\nOur bets for H2.\n\n"
            "1. Reliable sync (weight 35). No edit is ever lost.\n   Offline edits merge on reconnect.\n"
            "2. Enterprise readiness (weight 40) SAML SSO and audit logs.\n"
            "3. Delight (weight 25): dark mode.\n")
    parsed = parse_strategy(text, "s.md", "markdown")
    assert [(g.name, g.weight) for g in parsed.strategy.goals] == [
        ("Reliable sync", 0.35), ("Enterprise readiness", 0.4), ("Delight", 0.25)]
    sync = parsed.strategy.goals[0]
    assert sync.description == "No edit is ever lost. Offline edits merge on reconnect."
    assert parsed.strategy.goals[1].description == "SAML SSO and audit logs."
    assert parsed.strategy.product == "Acme strategy"
    assert parsed.warnings == ["goal weights sum to 100: read as percentages"]


def test_headings_with_percentages_keywords_and_paths() -> None:
    text = ("# Strategy\n\nIntro paragraph that is not a goal.\n\n"
            "## Reliable sync — 35 %\n\nNo edit is ever lost.\n\nKeywords: sync, conflict, `offline queue`\n"
            "Paths: src/sync/**, packages/crdt/\n\n"
            "## Mobile experience — 65%\n\nFast cold start.\n- Smooth editing on tablets\n")
    parsed = parse_strategy(text, "s.md")
    sync, mobile = parsed.strategy.goals
    assert (sync.name, sync.weight, sync.description) == ("Reliable sync", 0.35, "No edit is ever lost.")
    assert sync.keywords == ("sync", "conflict", "offline queue") and sync.paths == ("src/sync/**", "packages/crdt/")
    assert (mobile.name, mobile.weight) == ("Mobile experience", 0.65)
    assert mobile.description == "Fast cold start. Smooth editing on tablets"
    assert parsed.warnings == []


def test_goals_section_bulleted_fractions_and_bold_names() -> None:
    text = ("# Plan\n\n## Context\n\n- not a goal\n- neither\n\n## Goals\n\n"
            "- **Sync** (0.6): never lose an edit\n- **Mobile** — 0.4 — fast app\n\n## Risks\n\n- hiring\n")
    assert goals(text) == [("Sync", 0.6, "never lose an edit"), ("Mobile", 0.4, "fast app")]


def test_absent_weights_are_equal_with_a_warning() -> None:
    parsed = parse_strategy("Goals\n=====\n\n* Sync\n  never lose an edit\n* Mobile\n* Admin\n", "plain.txt")
    assert [g.weight for g in parsed.strategy.goals] == [0.3333, 0.3333, 0.3333]
    assert parsed.strategy.goals[0].description == "never lose an edit"
    assert parsed.warnings == ["strategy plain.txt: no goal weights given: each of the 3 goals weighs 1/3"]


def test_yaml_and_json_with_written_weights_or_none() -> None:
    yaml_text = "goals:\n  - name: A\n    weight: 35 %\n    keywords: a, b\n  - name: B\n    weight: '(weight 65)'\n"
    parsed = parse_strategy(yaml_text, "s.yaml", "yaml")
    assert [(g.name, g.weight, g.keywords) for g in parsed.strategy.goals] == [("A", 0.35, ("a", "b")),
                                                                              ("B", 0.65, ())]
    data = {"goals": [{"name": "A", "description": "first"}, {"name": "B"}]}
    parsed = parse_strategy(json.dumps(data), "s.json")
    assert parsed.format == "json" and [(g.name, g.weight) for g in parsed.strategy.goals] == [("A", 0.5),
                                                                                              ("B", 0.5)]
    assert "no goal weights given" in parsed.warnings[0]
    assert goals("goals:\n  Sync: 0.7\n  Mobile: 0.3\n", "yaml") == [("Sync", 0.7, ""), ("Mobile", 0.3, "")]


@pytest.mark.parametrize("text, fmt, message", [
    ("Just a paragraph of prose about the company.", "markdown", "no goals found; expected a Markdown list"),
    ("", "markdown", "no goals found"),
    ("product: x\n", "yaml", "no goals found"),
    ('{"goals": []}', "json", "no goals found"),
    ("{not json", "json", "not valid JSON"),
    ("goals: [unclosed", "yaml", "not valid YAML"),
    ("1. Sync (weight 60)\n2. Mobile\n", "markdown", "goal 2 has no weight while others do"),
    ("1. Sync (weight 50)\n2. sync (weight 50)\n", "markdown", "duplicate goal name"),
    ("goals:\n  - {name: A, weight: lots}\n", "yaml", "must be a number"),
])
def test_bad_strategies_get_one_line(text: str, fmt: str, message: str) -> None:
    with pytest.raises(InputError, match=message) as info:
        parse_strategy(text, "s", fmt)
    assert "\n" not in str(info.value)


def test_files_by_extension_and_run_loader(tmp_path: Path) -> None:
    parsed = read_strategy(FIXTURE)
    assert parsed.format == "markdown" and len(parsed.strategy.goals) == 4
    assert [g.weight for g in parsed.strategy.goals] == [0.3, 0.3, 0.2, 0.2]
    assert parsed.strategy.goals[3].name == "Trust: reliability and security"
    assert parsed.strategy.goals[3].description.startswith("Tenants never see each other's data;")
    assert load_strategy(FIXTURE).goals == parsed.strategy.goals  # `run --strategy` reads Markdown too
    with pytest.raises(InputError, match="not found"):
        read_strategy(tmp_path / "missing.md")
    binary = tmp_path / "s.md"
    binary.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(InputError, match="cannot be read as UTF-8"):
        read_strategy(binary)


def test_cli_refuses_a_strategy_without_goals_in_one_line(tmp_path: Path) -> None:
    empty = tmp_path / "strategy.md"
    empty.write_text("# Our strategy\n\nWe will do great things.\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "ui.cli", "align", "--repo", str(PROJECT), "--strategy", str(empty),
                           "--offline"], cwd=PROJECT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "no goals found; expected a Markdown list or headings of goals" in lines[0]
    assert "Traceback" not in done.stderr


def test_a_short_name_may_hold_a_colon_before_its_weight() -> None:
    parsed = parse_strategy("## Goals\n\n1. Trust: reliability and security (weight 40). Tenants never mix.\n"
                            "2. Reliable sync: no edit is ever lost (weight 60). Offline too.\n", "s.md")
    assert [(g.name, g.weight) for g in parsed.strategy.goals] == [("Trust: reliability and security", 0.4),
                                                                   ("Reliable sync", 0.6)]
    assert parsed.strategy.goals[0].description == "Tenants never mix."
    assert parsed.strategy.goals[1].description.startswith("no edit is ever lost")
