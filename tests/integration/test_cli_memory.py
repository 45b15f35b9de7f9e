"""The memory commands of the CLI, as a user runs them: the installed console script, real files, --json output.

They share the session's demo home (``pmpilot demo`` ingested the sample workspace once, see
tests/support/contract.py) through a copy, since ``forget`` changes it. Each command runs through the
console script at least once; further calls of a command run its ``main()`` in this process (``cli``),
which spares a process start and a model load each.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agents import demo
from tests.support.contract import as_json, assert_one_line_error, cli, demo_home, pmpilot

pytestmark = pytest.mark.slow

WS = demo.DEMO_WORKSPACE


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo_home(tmp_path_factory).copy(tmp_path_factory.mktemp("cli-memory") / "home")


def test_ingest_new_then_reingest_stores_nothing_new(seeded: Path, tmp_path: Path) -> None:
    fresh = tmp_path / "fresh.csv"
    fresh.write_text("id,user_id,account_id,created_at,text\n"
                     "F-1,fresh-1,freshco,2026-11-30,Exporting a board to PDF drops every sticky note\n"
                     "F-2,fresh-2,freshco,2026-11-30,\n", encoding="utf-8")
    files = [str(p) for p in demo.signal_files()]
    report = as_json(pmpilot(seeded, "ingest", *files, str(fresh), "--workspace", WS, "--json"))
    assert set(report) >= {"workspace", "ingested", "duplicates", "updated", "rejected"}
    assert (report["workspace"], report["ingested"], report["updated"]) == (WS, 1, 0), "only F-1 is new"
    assert report["duplicates"] >= 300
    assert [(r["path"].endswith("fresh.csv"), r["line"]) for r in report["rejected"]] == [(True, 3)]
    assert report["rejected"][0]["reason"]


def test_stats_search_themes_profile(seeded: Path) -> None:
    stats = as_json(pmpilot(seeded, "stats", "--workspace", WS, "--json"))
    assert stats["signals"] >= 300 and stats["users"] > 10 and stats["accounts"] > 3
    assert set(stats) >= {"workspace", "signals", "users", "accounts", "themes", "sources"}

    hits = as_json(pmpilot(seeded, "search", "sync conflict lost my edits", "--workspace", WS,
                           "--limit", "5", "--json"))["hits"]
    assert 0 < len(hits) <= 5
    assert set(hits[0]) >= {"signal_id", "external_id", "score", "text", "source", "kind", "user_id",
                            "account_id", "created_at"}
    assert any("sync" in h["text"].lower() for h in hits)

    account = next(h["account_id"] for h in hits if h["account_id"])
    scoped = as_json(cli(seeded, "search", "sync", "--workspace", WS, "--account", account, "--json"))
    assert scoped["hits"] and all(h["account_id"] == account for h in scoped["hits"])

    themes = as_json(pmpilot(seeded, "themes", "--workspace", WS, "--members", "--json"))["themes"]
    assert len(themes) >= 3
    first = themes[0]
    assert set(first) >= {"id", "label", "keywords", "size", "users", "accounts", "trend", "quotes", "members"}
    assert len(first["members"]) == first["size"]

    profile = as_json(pmpilot(seeded, "profile", "--workspace", WS, "--account", account, "--json"))
    assert profile["subject"] == account
    assert profile["claims"], "an account with signals has claims"
    claim = profile["claims"][0]
    assert set(claim) >= {"type", "text", "evidence", "first_seen", "last_seen", "support", "status"}


def test_other_workspace_sees_nothing(seeded: Path) -> None:
    hits = as_json(cli(seeded, "search", "sync", "--workspace", "other", "--json"))["hits"]
    assert hits == []
    stats = as_json(cli(seeded, "stats", "--workspace", "other", "--json"))
    assert stats["signals"] == 0


def test_forget_leaves_nothing(seeded: Path) -> None:
    hits = as_json(cli(seeded, "search", "sync", "--workspace", WS, "--limit", "20", "--json"))["hits"]
    user = next(h["user_id"] for h in hits if h["user_id"])
    receipt = as_json(pmpilot(seeded, "forget", "--workspace", WS, "--user", user, "--json"))
    assert receipt["deleted_signals"] >= 1
    assert user not in receipt["receipt"]
    again = as_json(cli(seeded, "search", "sync", "--workspace", WS, "--user", user, "--json"))
    assert again["hits"] == []
    themes = cli(seeded, "themes", "--workspace", WS, "--members", "--json").stdout
    removed = {h["signal_id"] for h in hits if h["user_id"] == user}
    assert not any(sid in themes for sid in removed)


def test_bad_input_is_one_line_and_exit_1(seeded: Path, tmp_path: Path) -> None:
    missing = pmpilot(seeded, "ingest", str(tmp_path / "nope.csv"), "--workspace", WS, check=False)
    assert "nope.csv" in assert_one_line_error(missing, 1)

    broken = tmp_path / "broken.json"
    broken.write_text('[{"id": 1, "text": "sync is broken"', encoding="utf-8")
    proc = pmpilot(seeded, "ingest", str(broken), "--workspace", WS, "--json", check=False)
    assert "broken.json" in assert_one_line_error(proc, 1)

    usage = pmpilot(seeded, "search", "--workspace", WS, check=False)
    assert "query" in assert_one_line_error(usage, 2)

    bad_profile = pmpilot(seeded, "profile", "--workspace", WS, check=False)
    assert "--user" in assert_one_line_error(bad_profile, 1)

    bad_workspace = pmpilot(seeded, "stats", "--workspace", "../etc", "--json", check=False)
    assert "workspace" in assert_one_line_error(bad_workspace, 1)


def test_retention_command_expires_old_signals_per_settings(tmp_path: Path) -> None:
    home = tmp_path / "home"
    recent = (datetime.now(UTC) - timedelta(days=3)).date().isoformat()
    tickets = tmp_path / "tickets.csv"
    tickets.write_text(
        "id,created_at,user_id,text\n"
        "T-1,2020-01-05,u1,Ancient ticket about the fax integration failing\n"
        "T-2,2020-02-11,u2,Ancient ticket about printing invoices on paper\n"
        f"T-3,{recent},u3,Sync fails on my phone since the update\n", encoding="utf-8")
    reviews = tmp_path / "reviews.csv"
    reviews.write_text(
        "id,created_at,user_id,text\n"
        "R-1,2020-03-01,u4,Old review: the floppy disk export is great\n"
        f"R-2,{recent},u5,New review: dark mode please, my eyes hurt\n", encoding="utf-8")
    cli(home, "ingest", str(tickets), "--workspace", "acme", "--kind", "ticket", "--json")
    cli(home, "ingest", str(reviews), "--workspace", "acme", "--kind", "review", "--json")

    unset = pmpilot(home, "retention", "--workspace", "acme")
    assert "0 signals expired" in unset.stdout and "no retention configured" in unset.stdout
    tickets_only = {"PMPILOT_RETENTION": "ticket=365"}
    first = as_json(pmpilot(home, "retention", "--workspace", "acme", "--json", env_extra=tickets_only))
    assert first == {"workspace": "acme", "expired": 2}
    again = as_json(cli(home, "retention", "--workspace", "acme", "--json", env_extra=tickets_only))
    assert again == {"workspace": "acme", "expired": 0}
    everything = {**tickets_only, "PMPILOT_RETENTION_DAYS": "30"}
    rest = as_json(cli(home, "retention", "-w", "acme", "--json", env_extra=everything))
    assert rest == {"workspace": "acme", "expired": 1}
    stats = as_json(cli(home, "stats", "--workspace", "acme", "--json"))
    assert stats["signals"] == 2
    hits = as_json(cli(home, "search", "fax printing floppy", "--workspace", "acme", "--json"))["hits"]
    assert sorted(h["external_id"] for h in hits) == ["R-2", "T-3"]

    for args, env in ((("--workspace", "../acme"), None), (("--workspace", "acme"), {"PMPILOT_RETENTION": "x=1"})):
        bad = pmpilot(home, "retention", *args, "--json", check=False, env_extra=env)
        assert bad.returncode == 1 and bad.stdout == ""
        assert len(bad.stderr.strip().splitlines()) == 1 and bad.stderr.startswith("error:")
