"""End-to-end offline runs over a seeded workspace: grounded documents, review/resume, crash/resume."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from agents.context import RunEvent
from agents.runner import get_run, list_runs, read_artifact, resume_run, run_goal
from kernel.errors import InputError, NotFoundError
from kernel.settings import get_settings

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "graph"
GOAL = ("Should we fix sync bugs before building dark mode? Draft requirements, a brief for leadership "
        "and a decision memo.")
WS = "acme"


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    from memory import api
    from memory.repository import reset_memory

    patch = pytest.MonkeyPatch()
    home = tmp_path_factory.mktemp("graph-home")
    patch.setenv("PMPILOT_HOME", str(home))
    get_settings.cache_clear()
    reset_memory()
    report = api.ingest([FIXTURES / "tickets.csv", FIXTURES / "reviews.csv"], WS)
    assert report.ingested == 31 and not report.rejected
    yield home
    reset_memory()
    patch.undo()
    get_settings.cache_clear()


def stored_texts(ids: list[str]) -> dict[str, str]:
    from memory import api

    return {s.id: s.text for s in api.workspace(WS).get_signals(ids)}


def citations(node: object) -> list[str]:
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "citations":
                found.extend(value)
            elif key != "evidence":
                found.extend(citations(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(citations(value))
    return found


def assert_grounded(doc: dict) -> None:
    evidence = {e["signal_id"]: e for e in doc["evidence"]}
    assert evidence, f"{doc['kind']} has no evidence"
    texts = stored_texts(list(evidence))
    assert set(texts) == set(evidence), "evidence cites signals that are not stored"
    for sid, entry in evidence.items():
        assert entry["quote"] and entry["quote"] in texts[sid], f"quote of {sid} is not verbatim"
    for sid in citations(doc):
        assert sid in evidence
    for theme in doc.get("themes") or []:
        for quote in theme["quotes"]:
            assert quote["quote"] in texts[quote["signal_id"]]


def test_offline_run_produces_grounded_documents(seeded: Path) -> None:
    events: list[RunEvent] = []
    run = run_goal(GOAL, WS, strategy=FIXTURES / "strategy.yaml", on_event=events.append)
    assert run["status"] == "completed" and run["mode"] == "offline"
    assert [a["kind"] for a in run["artifacts"]] == ["requirements", "brief", "decision_memo"]
    assert run["llm"] == {"calls": 0, "prompt_tokens": 0, "completion_tokens": 0}
    trace = run["traceability"]
    assert trace["claims"] > 0 and trace["cited"] == trace["claims"] and trace["dropped_invalid"] == 0
    run_dir = seeded / "runs" / run["run_id"]
    assert json.loads((run_dir / "run.json").read_text()) == run
    assert {"planner", "researcher", "scorer", "writer", "validate", "wall"} <= set(run["timings"])

    md, requirements = read_artifact(run["run_id"], "requirements")
    assert "mode: offline" in md and requirements["mode"] == "offline"
    assert_grounded(requirements)
    assert requirements["stories"]
    for story in requirements["stories"]:
        assert story["citations"] and story["as_a"] and story["i_want"] and story["so_that"]
        assert all(c.startswith("Given") and " When " in c and " Then " in c for c in story["acceptance_criteria"])
        assert story["type"] in ("functional", "non-functional")
        assert story["rice"]["formula"].startswith("RICE = reach")
    assert any("sync" in s["i_want"].lower() for s in requirements["stories"])

    _, memo = read_artifact(run["run_id"], "decision_memo")
    assert_grounded(memo)
    assert [o["name"] for o in memo["options"]] == ["fix sync bugs", "building dark mode"]
    assert all(o["citations"] for o in memo["options"])
    assert memo["recommendation"].startswith("fix sync bugs first")
    assert {c["name"] for c in memo["criteria"]} == {"user value (RICE)", "strategic alignment", "evidence confidence"}
    assert memo["options"][0]["scores"]["formulas"]["total"].startswith("total = 100 ×")

    _, brief = read_artifact(run["run_id"], "brief")
    assert_grounded(brief)
    assert brief["audience"] == "exec" and brief["tldr"]
    assert all(t["quotes"] for t in brief["themes"])

    types = [e.type for e in events]
    assert types.count("node_start") >= 8 and "evidence" in types and "artifact" in types
    assert sum(1 for e in events if e.type == "node_start" and e.node == "researcher") == 3

    # the decision is in the workspace's decision log, and a later run sees it
    from memory import api

    logged = api.workspace(WS).search_decisions("fix sync bugs before dark mode")
    assert any(d["run_id"] == run["run_id"] for d in logged)


def test_scores_are_reproducible_across_runs(seeded: Path) -> None:
    first = run_goal("Should we fix sync bugs before building dark mode?", WS, deliverables=["decision_memo"],
                     strategy=FIXTURES / "strategy.yaml")
    second = run_goal("Should we fix sync bugs before building dark mode?", WS, deliverables=["decision_memo"],
                      strategy=FIXTURES / "strategy.yaml")
    a = read_artifact(first["run_id"], "decision_memo")[1]["options"]
    b = read_artifact(second["run_id"], "decision_memo")[1]["options"]
    assert [(o["name"], o["total"], o["scores"]["rice"]) for o in a] == [
        (o["name"], o["total"], o["scores"]["rice"]) for o in b]


def test_review_interrupt_then_revise_then_approve(seeded: Path) -> None:
    run = run_goal("Draft requirements for sync reliability and dark mode", WS, deliverables=["requirements"],
                   review=True)
    assert run["status"] == "awaiting_review"
    _, draft = read_artifact(run["run_id"], "requirements")
    ids = [s["id"] for s in draft["stories"]]
    assert len(ids) >= 2
    # run_goal with the same id does not re-run a paused run
    assert run_goal("ignored", WS, run_id=run["run_id"])["status"] == "awaiting_review"
    with pytest.raises(InputError):
        resume_run(run["run_id"])

    revised = resume_run(run["run_id"], revise=f"drop {ids[-1]}; please keep it short")
    assert revised["status"] == "awaiting_review"
    _, doc = read_artifact(run["run_id"], "requirements")
    assert [s["id"] for s in doc["stories"]] == ids[:-1]
    assert any("PM revision: drop" in q for q in doc["open_questions"])
    assert_grounded(doc)

    done = resume_run(run["run_id"], approve=True)
    assert done["status"] == "completed"
    assert resume_run(run["run_id"], approve=True) == done  # idempotent
    assert get_run(run["run_id"]) == done


def test_crashed_run_resumes_from_its_last_checkpoint(seeded: Path) -> None:
    def crash_in_writer(event: RunEvent) -> None:
        if event.type == "node_start" and event.node == "writer":
            raise KeyboardInterrupt  # a hard stop (Ctrl-C / killed worker) in the middle of the run

    with pytest.raises(KeyboardInterrupt):
        run_goal(GOAL, WS, run_id="crash-test-1", on_event=crash_in_writer)
    assert get_run("crash-test-1")["status"] == "running"

    events: list[RunEvent] = []
    run = run_goal(GOAL, WS, run_id="crash-test-1", on_event=events.append)
    assert run["status"] == "completed"
    started = [e.node for e in events if e.type == "node_start"]
    assert started[0] == "writer" and "researcher" not in started and "planner" not in started
    assert_grounded(read_artifact("crash-test-1", "decision_memo")[1])
    # completed: calling again returns the record without re-running
    again: list[RunEvent] = []
    assert run_goal(GOAL, WS, run_id="crash-test-1", on_event=again.append) == run and not again


def test_runs_listing_and_lookup_errors(seeded: Path, tmp_path: Path) -> None:
    custom = run_goal("What do users say about search?", WS, deliverables=["brief"], out=tmp_path / "out",
                      audience="eng")
    assert Path(custom["artifacts"][0]["path_md"]).is_relative_to(tmp_path / "out")
    assert get_run(custom["run_id"])["status"] == "completed"
    listed = list_runs(WS)
    assert custom["run_id"] in [r["run_id"] for r in listed]
    assert list_runs("other-workspace") == []
    with pytest.raises(NotFoundError):
        get_run("no-such-run")
    with pytest.raises(NotFoundError):
        read_artifact(custom["run_id"], "requirements")
    with pytest.raises(InputError):
        get_run("../etc/passwd")


@pytest.mark.parametrize("kwargs, message", [
    ({"deliverables": ["poem"]}, "unknown deliverable 'poem'"),
    ({"deliverables": ["requirements", "memo"]}, "unknown deliverable .memo."),
    ({"strategy": FIXTURES / "missing.yaml"}, "strategy file not found"),
    ({"audience": "cats"}, "unknown audience"),
    ({"since": "last tuesday-ish"}, "invalid date"),
])
def test_bad_input_is_one_clear_error(seeded: Path, kwargs: dict, message: str) -> None:
    with pytest.raises(InputError, match=message) as info:
        run_goal(GOAL, WS, **kwargs)
    assert "\n" not in str(info.value)


def test_empty_workspace_is_refused(seeded: Path) -> None:
    with pytest.raises(InputError, match="has no signals"):
        run_goal(GOAL, "empty-ws")
