"""Status update and meeting notes: extraction on the demo transcript, and both deliverables through the graph."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agents.demo import build_demo_repo, meeting_file, strategy_file
from kernel.settings import get_settings
from memory.ingest.readers import read_file
from memory.ingest.rows import RawRow

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "graph"
WS = "tandem"


def demo_turns() -> list[dict[str, Any]]:
    rows = [r for r in read_file(meeting_file(), kind="meeting") if isinstance(r, RawRow)]
    return [{"signal_id": f"turn-{r.chunk}", "quote": r.text, "speaker": r.speaker, "chunk": r.chunk} for r in rows]


def test_meeting_extraction_on_the_demo_transcript() -> None:
    from tools.meeting_points import extract

    turns = demo_turns()
    text = {t["signal_id"]: t["quote"] for t in turns}
    found = extract(turns)
    decisions = [d["decision"] for d in found["decisions"]]
    assert len(decisions) == 1 and "sync reliability is the priority for the next six weeks" in decisions[0]
    owners = {(a["owner"], a["item"]) for a in found["action_items"]}
    assert any(o == "Owen Achterberg" and "guard" in i for o, i in owners)
    assert any(o == "Claire Dubois" and "customer communication" in i for o, i in owners)
    assert any(o == "Priya Raman" and "Tidewater and Northwind calls" in i for o, i in owners)
    assert any(o == "Mei Tanaka" and "contrast fixes" in i for o, i in owners)
    questions = [q["question"] for q in found["open_questions"]]
    assert any("date for the merge work" in q for q in questions)
    assert any("SSO before Helix's renewal" in q for q in questions)
    assert not any("what happens if dark mode pauses" in q.lower() for q in questions)
    requirements = {r["requirement"]: r["type"] for r in found["requirements"]}
    assert requirements["Merging on reconnect has to finish within two seconds at p95 for a document of up to a "
                        "thousand blocks."] == "non-functional"
    assert requirements["Every overwrite that can't be merged must produce a visible conflict the user can "
                        "resolve."] == "functional"
    assert "An email to the document owner when a conflict is created." in requirements
    assert not any("Beatriz" in r for r in requirements)
    assert "Offline mode on mobile depends on Owen's work." not in requirements  # a dependency, not a need
    assert not any("most requested" in r or r.count(";") >= 2 for r in requirements)  # a report, a plan
    stories = [r["story"]["i_want"] for r in found["requirements"] if r.get("story")]
    assert stories and "offline edits to stay on the device until the server confirms them" in stories
    for want in stories:  # a phrase cut from a need, never a whole sentence, dependency, report or plan
        assert not want.endswith(".") and "depends on" not in want and ";" not in want and want != "to show admins"
    assert not any(i.strip(" .") in {"Frame it", "frame it"} for _, i in owners)  # "it" resolved
    for key in found:
        for item in found[key]:
            assert item["citations"] and item["quotes"]
            for quote in item["quotes"]:
                assert quote["quote"] in text[quote["signal_id"]]


# --------------------------------------------------------------------------------------------- graph runs


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    from memory import api
    from memory.repository import reset_memory

    patch = pytest.MonkeyPatch()
    home = tmp_path_factory.mktemp("status-home")
    patch.setenv("PMPILOT_HOME", str(home))
    get_settings.cache_clear()
    reset_memory()
    api.ingest([FIXTURES / "tickets.csv", FIXTURES / "reviews.csv"], WS)
    report = api.ingest([meeting_file()], WS, kind="meeting")
    assert report.ingested == len(demo_turns()) and not report.rejected
    repo = build_demo_repo(home / "tandem-repo")
    yield {"home": home, "repo": repo}
    reset_memory()
    patch.undo()
    get_settings.cache_clear()


def stored(ids: list[str]) -> dict[str, str]:
    from memory import api

    return {s.id: s.text for s in api.workspace(WS).get_signals(ids)}


def assert_grounded(doc: dict[str, Any]) -> None:
    evidence = {e["signal_id"]: e["quote"] for e in doc["evidence"]}
    texts = stored(list(evidence))
    assert set(texts) == set(evidence)
    for sid, quote in evidence.items():
        assert quote and quote in texts[sid]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "citations":
                    assert set(value) <= set(evidence)
                elif key == "quotes":
                    for q in value:
                        assert q["quote"] in stored([q["signal_id"]])[q["signal_id"]]
                elif key != "evidence":
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(doc)


def repo_shas(repo: Path) -> set[str]:
    return set(subprocess.run(["git", "rev-list", "--all"], cwd=repo, capture_output=True, text=True,
                              check=True).stdout.split())


def test_meeting_notes_run_offline(seeded: dict[str, Path]) -> None:
    from agents.runner import read_artifact, run_goal

    run = run_goal("Meeting notes and action items from the sync reliability vs dark mode meeting", WS,
                   deliverables=["meeting_notes"])
    assert run["status"] == "completed" and run["mode"] == "offline"
    md, doc = read_artifact(run["run_id"], "meeting_notes")
    assert doc["kind"] == "meeting_notes" and doc["mode"] == "offline"
    assert ".vtt" not in doc["title"] and "Sync reliability vs dark mode" in doc["title"]  # the subject, no file
    assert any("six weeks" in str(d) for d in doc["decisions"])
    owners = {a["owner"] for a in doc["action_items"]}
    assert {"Owen Achterberg", "Priya Raman", "Claire Dubois", "Mei Tanaka"} <= owners
    assert all(a["citations"] for a in doc["action_items"])
    assert len(doc["open_questions"]) >= 2
    assert_grounded(doc)
    assert "Owen Achterberg" in md


def test_status_run_offline_cites_only_existing_commits(seeded: dict[str, Path]) -> None:
    from agents.runner import read_artifact, run_goal

    repo = seeded["repo"]
    run = run_goal("Weekly status update for leadership: what shipped and where capacity went", WS,
                   deliverables=["status"], strategy=strategy_file(), repo=repo, since="2026-10-01")
    assert run["status"] == "completed", run.get("error")
    _, doc = read_artifact(run["run_id"], "status")
    assert doc["period"].startswith("2026-10-01 to ")
    cited = {sha for change in doc["changes"] for sha in change["commits"]}
    assert cited and cited <= repo_shas(repo)
    capacity = {c["goal"]: c["share"] for c in doc["capacity"]}
    assert sum(capacity.values()) == pytest.approx(1.0) and capacity["Reliable sync"] == 0.05
    goals = {c["goal"] for c in doc["changes"] if c["commits"]}
    assert {"Reliable sync", "Delight", "Growth"} <= goals
    # 2 of 40 commits where the median other goal got 5-7: far behind its 35 % weight, though not stalled (87dc9c8)
    assert any(r.startswith("Reliable sync is behind its weight: weight 35 %, 5 % of capacity (2 of the period's 40")
               for r in doc["risks"])
    assert any("Rebalance toward Reliable sync" in n for n in doc["next"])
    assert_grounded(doc)


def test_status_audiences_and_since_last_update(seeded: dict[str, Path]) -> None:
    from agents.runner import read_artifact, run_goal

    repo = seeded["repo"]
    eng = run_goal("Status update for the engineering team", WS, deliverables=["status"], audience="eng",
                   strategy=strategy_file(), repo=repo, since="2026-11-01")
    _, doc = read_artifact(eng["run_id"], "status")
    sync = next(c for c in doc["changes"] if c["goal"] == "Reliable sync" and c["commits"])
    assert "lines changed" in sync["summary"] and sync["commits"][0][:8] in sync["summary"]
    sales = run_goal("Status update for the sales team", WS, deliverables=["status"], audience="sales",
                     strategy=strategy_file(), repo=repo, since="2026-10-01")
    _, doc = read_artifact(sales["run_id"], "status")
    delight = next(c["summary"] for c in doc["changes"] if c["goal"] == "Delight" and c["commits"])
    assert delight.startswith("Delight: Fixed: ") and "New: " in delight
    assert not any("deps" in c["summary"] or "eslint" in c["summary"] for c in doc["changes"])
    again = run_goal("Status update since last update", WS, deliverables=["status"], strategy=strategy_file(),
                     repo=repo)
    _, doc = read_artifact(again["run_id"], "status")
    assert doc["changes"][0]["summary"].startswith("Since the last update (")
    assert sales["run_id"] in doc["changes"][0]["summary"]


def test_status_without_repo_is_one_clear_error(seeded: dict[str, Path]) -> None:
    from agents.runner import run_goal

    run = run_goal("Weekly status update", WS, deliverables=["status"], strategy=strategy_file())
    assert run["status"] == "failed" and "needs a git repository" in run["error"]


def test_meeting_notes_llm_mode_keeps_only_verbatim_quotes(seeded: dict[str, Path], scripted_openai) -> None:
    from agents.deliverables.meeting_notes import meeting_turns
    from agents.runner import read_artifact, run_goal

    turns = meeting_turns(WS, "sync reliability")
    guard = next(t for t in turns if "guard in production" in t.text)
    memo = next(t for t in turns if "decision memo" in t.text)

    def responder(request):  # noqa: ANN001, ANN202 - scripted server callback
        if request.schema_name == "MeetingNotesDraft":
            return {
                "decisions": [{"text": "Sync first", "signal_id": memo.id, "quote": "We will ship SSO first."}],
                "action_items": [
                    {"text": "Ship the overwrite guard", "signal_id": guard.id,
                     "quote": "I'll have the guard in production by the eighteenth.", "owner": None},
                    {"text": "Invented task", "signal_id": "not-a-signal", "quote": "nothing", "owner": "Nobody"},
                ],
                "open_questions": [],
                "requirements": [],
            }
        return None

    scripted_openai.responder = responder
    run = run_goal("Meeting notes from the sync reliability meeting", WS, deliverables=["meeting_notes"],
                   offline=False)
    assert run["status"] == "completed" and run["mode"] == "llm" and run["llm"]["calls"] >= 2
    _, doc = read_artifact(run["run_id"], "meeting_notes")
    assert doc["decisions"] == []
    assert [(a["owner"], a["item"]) for a in doc["action_items"]] == [("Owen Achterberg", "Ship the overwrite guard")]
    assert_grounded(doc)
    writer_prompts = [r.request.text for r in scripted_openai.chat_requests
                      if r.request.schema_name == "MeetingNotesDraft"]
    assert writer_prompts and guard.id in writer_prompts[0]
