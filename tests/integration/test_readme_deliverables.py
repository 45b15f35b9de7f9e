"""Every usage example of README, run on the sample workspace, read the way a PM reads the result.

The commands are parsed from README's "Using it" and "Coordination automations" code blocks (so the
test follows README when it changes) and run on a copy of the session's demo home; README's
placeholder names map to the demo's (``acme`` → the demo workspace, ``~/src/tandem`` → the demo
repository, ``strategy.yaml`` → the demo strategy …). An argument that looks like a file and has no
mapping fails the test: README then names something the demo cannot run. The task-queue block needs a
running worker and is driven by tests/integration/test_queue_embedded.py instead.

Assertions are on content, not shape: the roadmap has items in Now, the status period has commits,
no usage event is quoted as what someone said, and no field dump or Python repr reaches a document.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from agents import demo
from tests.support import contract
from tests.support.contract import DemoHome, as_json, demo_home

WS = demo.DEMO_WORKSPACE
README = contract.REPO / "README.md"
#: In-process CLI when the support module offers it (it spares a model load per command), else the script.
RUN: Callable[..., subprocess.CompletedProcess[str]] = getattr(contract, "cli", contract.pmpilot)
#: What a field dump or a Python repr looks like in a document.
DUMPS = (
    re.compile(r"""\b\w+: \[(?:\]|'|")"""),  # "commits: []", "goals: ['a']" (not "[PM to decide]", "[s:1a2b]")
    re.compile(r"\{'"),                   # a dict repr
    re.compile(r"\b\w+: \{"),             # a nested mapping dumped
    re.compile(r"\bshare: 0\.0\b"),
    re.compile(r"(?:[:=(\[,]\s*|\bis )None\b"),  # "goal: None", "(None", "is None" — not "None of its quotes"
    re.compile(r"\bsummary: "),
    re.compile(r"\b0 of 0 commits\b"),
)
#: How the store words an aggregated usage event ("Used sync 3 times between …", "Used export once on …").
USAGE_TEXT = re.compile(r"^Used .+ (?:once on|\d+ times (?:on|between)) \d{4}-\d\d-\d\d")
#: A percentage of four or more digits ("+2100 %"): what a tiny baseline produces.
HUGE_PERCENT = re.compile(r"[+-]?\d{4,}\s?%")


def readme_commands(*sections: str) -> list[list[str]]:
    """The ``pmpilot`` commands of README's sh blocks under the given ``## `` headings, as argv lists."""
    text = README.read_text(encoding="utf-8")
    commands: list[list[str]] = []
    for section in sections:
        body = text.split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
        for block in re.findall(r"```sh\n(.*?)```", body, flags=re.S):
            joined = block.replace("\\\n", " ")
            for line in joined.splitlines():
                line = re.sub(r"\s+#.*$", "", line).strip()
                for part in line.split("&&"):
                    argv = shlex.split(part)
                    if argv and argv[0] == "pmpilot":
                        commands.append(argv[1:])
    return commands


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> DemoHome:
    return demo_home(tmp_path_factory)


@pytest.fixture(scope="module")
def home(seeded: DemoHome, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A writable copy of the demo home (ingest, runs and forget land here)."""
    return seeded.copy(tmp_path_factory.mktemp("readme-deliverables") / "home")


@pytest.fixture(scope="module")
def mapping(home: Path) -> dict[str, list[str]]:
    """README's placeholder arguments → the demo's."""
    data = demo.data_dir()
    user = _a_demo_user(home)
    return {
        "acme": [WS], "demo": [WS], "northwind": ["Northwind Logistics"], "u-1042": [user],
        "~/src/tandem": [str(home / "demo-repo")], "strategy.yaml": [str(demo.strategy_file())],
        "strategy.md": [str(demo.strategy_file())], "standup.vtt": [str(demo.meeting_file())],
        "tickets.csv": [str(data / "tickets.csv")], "reviews.csv": [str(data / "reviews.csv")],
        "calls/*.vtt": sorted(str(p) for p in (data / "interviews").glob("*.vtt")),
    }


def _a_demo_user(home: Path) -> str:
    """A user of the demo who wrote something (forget needs one with signals)."""
    hits = as_json(RUN(home, "search", "sync lost edits", "--workspace", WS, "--limit", "20", "--json"))["hits"]
    return next(h["user_id"] for h in hits if h["user_id"] and h["kind"] != "usage")


def demo_argv(argv: list[str], mapping: dict[str, list[str]]) -> list[str]:
    out: list[str] = []
    for arg in argv:
        if arg in mapping:
            out += mapping[arg]
        elif re.search(r"[/~*]|\.(csv|vtt|srt|ya?ml|md|json|ics)$", arg) and not arg.startswith("-"):
            pytest.fail(f"README example argument {arg!r} has no demo equivalent: add it to the mapping")
        else:
            out.append(arg)
    return out


def assert_reads_well(markdown: str, where: str) -> None:
    for pattern in DUMPS:
        found = pattern.search(markdown)
        assert found is None, f"{where}: field dump or repr {found.group(0)!r} in:\n{_around(markdown, found)}"
    found = HUGE_PERCENT.search(markdown)
    assert found is None, f"{where}: a trend percentage from a tiny baseline: {_around(markdown, found)}"


def _around(text: str, match: re.Match[str] | None) -> str:
    return text[max(0, match.start() - 160): match.end() + 160] if match else ""


def assert_no_usage_quoted(doc: dict[str, Any], where: str) -> None:
    """No evidence row, nor any nested quote, is a usage event (behaviour is counted, never quoted)."""
    for row in doc.get("evidence") or []:
        assert not str(row.get("source") or "").startswith("usage_events"), f"{where}: usage event cited: {row}"
        assert not USAGE_TEXT.match(row["quote"]), f"{where}: usage event quoted: {row['quote']!r}"

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            quote = node.get("quote")
            if isinstance(quote, str):
                assert not USAGE_TEXT.match(quote), f"{where}: usage event quoted: {quote!r}"
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk({k: v for k, v in doc.items() if k != "evidence"})


def artifacts(run: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    """kind → (Markdown, JSON) of a run's artifacts."""
    return {a["kind"]: (Path(a["path_md"]).read_text(encoding="utf-8"),
                        json.loads(Path(a["path_json"]).read_text(encoding="utf-8"))) for a in run["artifacts"]}


def check_documents(run: dict[str, Any], where: str) -> dict[str, tuple[str, dict[str, Any]]]:
    assert run["status"] == "completed", run.get("error")
    docs = artifacts(run)
    assert docs, f"{where}: no document"
    for kind, (markdown, doc) in docs.items():
        assert_reads_well(markdown, f"{where} / {kind}")
        assert_no_usage_quoted(doc, f"{where} / {kind}")
    return docs


def check_roadmap(doc: dict[str, Any], markdown: str) -> None:
    from tools.trends import MIN_BASELINE

    assert doc["now"], "the roadmap has nothing in Now"
    assert any(i.get("goal") == "Reliable sync" for i in doc["now"]), \
        f"the demo's top complaint (reliable sync) is not in Now: {[i['item'] for i in doc['now']]}"
    for bucket in ("now", "next", "later", "done"):
        for item in doc[bucket]:
            assert item["citations"] and item["signals"] >= len(item["citations"]), item
            assert not re.fullmatch(r"[a-z]+", item["item"]), f"an item named by a bare keyword: {item['item']}"
            trend = item.get("trend")
            if trend and trend["before"] < MIN_BASELINE:
                assert trend["change"] is None and "%" not in trend["text"], trend
    for item in doc["now"]:
        assert "score" in item["why"] and item["why"].count("/100") == 1, item["why"]
        assert f"{item['signals']} signals, {len(item['citations'])} cited" in markdown
    for item in doc["done"]:
        assert item["commits"] and item["why"].startswith("shipped"), item
    assert not re.search(r"(?<![\d,.])0 signals", markdown)


def check_status(doc: dict[str, Any], markdown: str, repo: Path, started: datetime, argv: list[str]) -> None:
    """The week's status (README's ``--since 7d`` example; the demo data is dated relative to today)."""
    assert "--since" in argv and argv[argv.index("--since") + 1] == "7d", f"README's status example: {argv}"
    log = subprocess.run(["git", "-C", str(repo), "log", "--format=%H %cI"], capture_output=True, text=True,
                         check=True).stdout.split("\n")
    week = {sha for sha, when in (line.split() for line in log if line.strip())
            if datetime.fromisoformat(when) >= started - timedelta(days=7, minutes=5)}
    assert len(week) >= 3, "the demo history must reach into the last week"
    assert doc["period"][:10] in {(started - timedelta(days=7)).date().isoformat(),
                                  (datetime.now(UTC) - timedelta(days=7)).date().isoformat()}
    cited = {sha for change in doc["changes"] for sha in change["commits"]}
    assert cited and cited <= week, "the status period cites the week's commits, and only them"
    assert "nothing shipped in the period" not in markdown and "No commits since" not in markdown
    assert not re.search(r"Users (?:asked|report):? “?[a-z]+”? \(", markdown), "a theme named by a bare keyword"
    asks = [c for c in doc["changes"] if c["summary"].startswith("Users report")]
    assert asks and all(c["citations"] for c in asks)
    # usage is behaviour: a number with its source, cited by nothing
    usage = [c for c in doc["changes"] if ", usage: " in c["summary"]]
    assert usage and all("usage_events.csv" in c["summary"] and not c["citations"] for c in usage)


def test_every_readme_usage_example_on_the_demo(home: Path, seeded: DemoHome, mapping: dict[str, list[str]]) -> None:
    commands = readme_commands("Using it", "Coordination automations")
    kinds = [argv[0] for argv in commands]
    assert {"ingest", "search", "themes", "profile", "run", "forget", "align"} <= set(kinds), kinds
    runs = [argv for argv in commands if argv[0] == "run"]
    assert any("roadmap" in argv for argv in runs) and any("status" in argv for argv in runs)
    # forget erases a person: it runs last
    ordered = [argv for argv in commands if argv[0] != "forget"] + [argv for argv in commands if argv[0] == "forget"]
    seen: set[str] = set()
    for argv in ordered:
        args = demo_argv(argv, mapping)
        where = " ".join(argv[:2])
        started = datetime.now(UTC)
        out = as_json(RUN(home, *args, "--json", *(["--offline"] if argv[0] == "run" else [])))
        seen.add(argv[0])
        if argv[0] == "ingest":
            assert not out["rejected"] and out["ingested"] + out["duplicates"] + out["updated"] > 0, out
        elif argv[0] == "search":
            assert out["hits"] and all("sync" in h["text"].lower() or "conflict" in h["text"].lower()
                                       for h in out["hits"][:3]), out["hits"][:3]
        elif argv[0] == "themes":
            assert len(out["themes"]) >= 3 and sum(t["size"] for t in out["themes"]) >= 50
        elif argv[0] == "profile":
            assert out["claims"] and all(c["evidence"] for c in out["claims"])
        elif argv[0] == "forget":
            assert out["deleted_signals"] > 0 and out["receipt"]
        elif argv[0] == "align":
            assert out["commits"] >= 30 and any(g["share"] > 0 for g in out["goals"])
        elif argv[0] == "run":
            docs = check_documents(out, where)
            if "roadmap" in docs:
                check_roadmap(docs["roadmap"][1], docs["roadmap"][0])
            if "status" in docs:
                check_status(docs["status"][1], docs["status"][0], home / "demo-repo", started, args)
            if "meeting_notes" in docs:
                notes = docs["meeting_notes"][1]
                assert notes["decisions"] and notes["action_items"] and all(a["citations"]
                                                                              for a in notes["action_items"])
            if "requirements" in docs:
                assert docs["requirements"][1]["stories"]
            if "brief" in docs:
                assert docs["brief"][1]["themes"]
    assert {"ingest", "search", "themes", "profile", "run", "forget", "align"} <= seen


def test_the_demo_runs_documents_read_well(seeded: DemoHome) -> None:
    """`make demo`'s own run (requirements, brief, decision memo): no dump, no usage quote, trends in counts."""
    docs = check_documents(seeded.run, "pmpilot demo")
    assert {"requirements", "brief", "decision_memo"} <= set(docs)
    brief = docs["brief"][1]
    for theme in brief["themes"]:
        counts = theme.get("trend_counts")
        if counts:
            assert counts["text"] in docs["brief"][0]
            assert ("%" in counts["text"]) == (counts["change"] is not None)
