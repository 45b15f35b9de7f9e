"""The contract's commands as a user runs them: the installed console script, real files, ``--json`` shapes.

Every contract command runs here through ``.venv/bin/pmpilot`` (see tests/support/contract.py); a test's
further calls of a command already run that way (stats, the job polls, a repeated enqueue) run its ``main()``
in this process (``cli``). One ``pmpilot demo`` seeds the home the whole session shares; tests that change it
work on this module's copy (``work``). The memory
commands (ingest, stats, search, themes, profile, forget, retention) are in test_cli_memory.py and the
MCP stdio server in test_mcp_stdio.py, the same way.
"""

from __future__ import annotations

import json
import math
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from agents import demo
from kernel.settings import get_settings
from tests.support.contract import (
    PMPILOT,
    DemoHome,
    as_json,
    assert_one_line_error,
    cli,
    cli_env,
    demo_home,
    pmpilot,
)

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
CALENDARS = REPO / "tests" / "fixtures" / "calendars"
WS = demo.DEMO_WORKSPACE
RUN_KEYS = {"run_id", "status", "mode", "goal", "workspace", "artifacts", "traceability", "llm", "timings"}
JOB_KEYS = {"job_id", "status", "run_id", "error"}
SHA = re.compile(r"^[0-9a-f]{40}$")


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> DemoHome:
    return demo_home(tmp_path_factory)


@pytest.fixture(scope="module")
def work(seeded: DemoHome, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This module's writable copy of the demo home (runs, reviews and queued jobs land here)."""
    return seeded.copy(tmp_path_factory.mktemp("contract") / "home")


@pytest.fixture(scope="module")
def repo_shas(seeded: DemoHome) -> set[str]:
    out = subprocess.run(["git", "-C", str(seeded.home / "demo-repo"), "rev-list", "--all"], capture_output=True,
                         text=True, check=True).stdout
    return set(out.split())


def stored_signals(home: Path, ids: set[str]) -> dict[str, Any]:
    """The stored (redacted) signals, read in-process once no CLI process holds the store."""
    from memory import api
    from memory.repository import reset_memory

    patch = pytest.MonkeyPatch()
    patch.setenv("PMPILOT_HOME", str(home))
    get_settings.cache_clear()
    reset_memory()
    try:
        return {s.id: s for s in api.workspace(WS).get_signals(sorted(ids))}
    finally:
        reset_memory()
        patch.undo()
        get_settings.cache_clear()


def stored_texts(home: Path, ids: set[str]) -> dict[str, str]:
    """The stored (redacted) text of signals."""
    return {sid: s.text for sid, s in stored_signals(home, ids).items()}


def cited(node: Any) -> list[str]:
    """Every signal id cited anywhere in a document outside its evidence list."""
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "citations":
                found.extend(value)
            elif key == "quotes" and isinstance(value, list):
                found.extend(q["signal_id"] for q in value if isinstance(q, dict) and "signal_id" in q)
            elif key != "evidence":
                found.extend(cited(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(cited(value))
    return found


def quotes(node: Any) -> list[tuple[str, str]]:
    """Every (signal_id, quote) pair anywhere in a document, evidence included."""
    found: list[tuple[str, str]] = []
    if isinstance(node, dict):
        if isinstance(node.get("signal_id"), str) and isinstance(node.get("quote"), str):
            found.append((node["signal_id"], node["quote"]))
        for value in node.values():
            found.extend(quotes(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(quotes(value))
    return found


def documents(run: dict[str, Any], kinds: list[str]) -> dict[str, dict[str, Any]]:
    """The run's artifact JSON documents, after checking the run.json shape and that each file exists."""
    assert set(run) >= RUN_KEYS
    assert run["status"] == "completed", run.get("error")
    assert run["mode"] == "offline" and run["workspace"] == WS
    assert run["llm"] == {"calls": 0, "prompt_tokens": 0, "completion_tokens": 0}
    assert [a["kind"] for a in run["artifacts"]] == kinds
    trace = run["traceability"]
    assert set(trace) >= {"claims", "cited", "dropped_invalid"}
    assert 0 < trace["cited"] <= trace["claims"] and trace["dropped_invalid"] == 0
    docs: dict[str, dict[str, Any]] = {}
    for artifact in run["artifacts"]:
        md, js = Path(artifact["path_md"]), Path(artifact["path_json"])
        assert md.is_file() and js.is_file() and md.parent == js.parent
        assert md.read_text(encoding="utf-8").strip()
        doc = json.loads(js.read_text(encoding="utf-8"))
        assert doc["kind"] == artifact["kind"] and doc["mode"] == "offline" and doc["title"].strip()
        assert doc["evidence"], f"{doc['kind']} has no evidence"
        for entry in doc["evidence"]:
            assert set(entry) >= {"signal_id", "quote", "source", "user_id"} and entry["quote"].strip()
        evidence = {e["signal_id"] for e in doc["evidence"]}
        stray = set(cited(doc)) - evidence
        assert not stray, f"{doc['kind']} cites signals missing from its evidence: {sorted(stray)[:3]}"
        docs[doc["kind"]] = doc
    run_json = Path(run["artifacts"][0]["path_json"]).parent / "run.json"
    assert json.loads(run_json.read_text(encoding="utf-8"))["run_id"] == run["run_id"]
    return docs


def assert_verbatim(home: Path, docs: list[dict[str, Any]]) -> None:
    """Every quote in the documents is a span of its signal's stored text."""
    pairs = [pair for doc in docs for pair in quotes(doc)]
    texts = stored_texts(home, {sid for sid, _ in pairs})
    for sid, quote in pairs:
        assert sid in texts, f"quote cites a signal that is not stored: {sid}"
        assert quote in texts[sid], f"quote of {sid} is not verbatim: {quote!r}"


def assert_no_usage_quoted(home: Path, docs: list[dict[str, Any]]) -> None:
    """Usage events are behaviour: never quoted as what someone said or asked."""
    signals = stored_signals(home, {sid for doc in docs for sid, _ in quotes(doc)})
    quoted = [(sid, s.text) for sid, s in signals.items() if s.kind.value == "usage"]
    assert quoted == [], quoted


# --------------------------------------------------------------------------- demo, run


def test_demo_prints_a_completed_run_with_grounded_documents(seeded: DemoHome) -> None:
    docs = documents(seeded.run, ["requirements", "brief", "decision_memo"])
    requirements, brief, memo = docs["requirements"], docs["brief"], docs["decision_memo"]
    assert set(requirements) >= {"problem", "goals", "non_goals", "stories", "open_questions", "success_metrics"}
    assert requirements["stories"]
    for story in requirements["stories"]:
        assert set(story) >= {"id", "as_a", "i_want", "so_that", "acceptance_criteria", "priority", "type", "rice",
                              "citations"}
        assert story["i_want"].strip() and story["acceptance_criteria"] and story["citations"]
    assert set(brief) >= {"audience", "tldr", "themes", "proposal", "risks", "asks"}
    assert brief["audience"] == "exec" and brief["tldr"].strip() and brief["themes"]
    assert set(memo) >= {"question", "context", "criteria", "options", "recommendation", "risks", "unknowns"}
    assert len(memo["options"]) >= 2
    assert math.isclose(sum(c["weight"] for c in memo["criteria"]), 1.0, abs_tol=0.02)
    assert_verbatim(seeded.home, list(docs.values()))
    assert_no_usage_quoted(seeded.home, list(docs.values()))


def test_demo_research_spends_its_whole_candidate_budget_on_what_people_wrote(seeded: DemoHome) -> None:
    """Usage events are filtered by the store, so they never take a question's candidate slots."""
    from agents.researcher import CANDIDATES

    run_json = Path(seeded.run["artifacts"][0]["path_json"]).parent / "run.json"
    research = json.loads(run_json.read_text(encoding="utf-8"))["research"]
    assert research and all(q["searched"] == CANDIDATES for q in research), research


def test_run_drafts_status_meeting_notes_and_roadmap(work: Path, seeded: DemoHome, repo_shas: set[str],
                                                     tmp_path: Path) -> None:
    out = tmp_path / "out"
    run = as_json(pmpilot(
        work, "run", "What shipped since October, what did the team decide, and what comes next?",
        "--workspace", WS, "--deliverables", "status,meeting_notes,roadmap", "--repo", str(seeded.home / "demo-repo"),
        "--strategy", str(demo.strategy_file()), "--since", "2026-10-01", "--offline", "--out", str(out), "--json"))
    docs = documents(run, ["status", "meeting_notes", "roadmap"])
    assert Path(run["artifacts"][0]["path_json"]).parent == out / run["run_id"]
    status, notes, roadmap = docs["status"], docs["meeting_notes"], docs["roadmap"]
    assert set(status) >= {"period", "changes", "capacity", "risks", "next"}
    shipped = [sha for change in status["changes"] for sha in change["commits"]]
    assert shipped and set(shipped) <= repo_shas
    assert sum(c["share"] for c in status["capacity"]) <= 1.0 + 1e-6
    assert set(notes) >= {"decisions", "action_items", "open_questions"}
    assert notes["decisions"] and all({"owner", "item", "citations"} <= set(a) for a in notes["action_items"])
    assert set(roadmap) >= {"now", "next", "later", "done", "moved"}
    items = [item for lane in ("now", "next", "later", "done") for item in roadmap[lane]]
    assert items and all({"item", "themes", "score", "commits", "citations"} <= set(i) for i in items)
    assert {sha for item in items for sha in item["commits"]} <= repo_shas
    assert_verbatim(work, list(docs.values()))


# --------------------------------------------------------------------------- align, audit, ask


def test_align_demo_repo_against_the_yaml_strategy(seeded: DemoHome, repo_shas: set[str]) -> None:
    strategy = yaml.safe_load(demo.strategy_file().read_text(encoding="utf-8"))
    report = as_json(pmpilot(seeded.home, "align", "--repo", str(seeded.home / "demo-repo"),
                             "--strategy", str(demo.strategy_file()), "--json"))
    assert set(report) >= {"goals", "unaligned_share", "commits"}
    assert report["commits"] == len(repo_shas)
    goals = {g["goal"]: g for g in report["goals"]}
    assert goals.keys() == {g["name"] for g in strategy["goals"]}
    for goal in strategy["goals"]:
        assert math.isclose(goals[goal["name"]]["weight"], goal["weight"], abs_tol=1e-6)
    for goal in report["goals"]:
        assert set(goal) >= {"goal", "weight", "share", "commits"} and 0.0 <= goal["share"] <= 1.0
        assert all(SHA.match(sha) for sha in goal["commits"]) and set(goal["commits"]) <= repo_shas
    assert 0.0 <= report["unaligned_share"] <= 1.0
    assert math.isclose(sum(g["share"] for g in report["goals"]) + report["unaligned_share"], 1.0, abs_tol=0.01)
    assert any(goal["commits"] for goal in report["goals"])


def test_audit_a_calendar(seeded: DemoHome) -> None:
    report = as_json(pmpilot(seeded.home, "audit", "--calendar", str(CALENDARS / "pm_weeks.ics"),
                             "--since", "2026-10-01", "--until", "2026-12-01", "--tz", "Europe/Berlin", "--json"))
    assert set(report) >= {"categories", "weeks", "top_coordination", "suggestions"}
    categories = report["categories"]
    assert categories and all({"name", "hours", "share"} <= set(c) for c in categories)
    total = sum(c["hours"] for c in categories)
    assert total > 0 and math.isclose(sum(c["share"] for c in categories), 1.0, abs_tol=0.01)
    for c in categories:
        assert math.isclose(c["share"], c["hours"] / total, abs_tol=0.01)
    assert report["weeks"] and math.isclose(sum(w["hours"] for w in report["weeks"]), total, abs_tol=0.01)
    assert all(re.fullmatch(r"\d{4}-W\d{2}", w["week"]) for w in report["weeks"])
    assert report["top_coordination"] and all(m["title"] and m["hours"] > 0 for m in report["top_coordination"])
    assert all(isinstance(s, str) and s.strip() for s in report["suggestions"])
    broken = pmpilot(seeded.home, "audit", "--calendar", str(CALENDARS / "broken.ics"), "--json", check=False)
    assert "iCalendar" in assert_one_line_error(broken, 1)


def test_ask_answers_from_the_demo_users(seeded: DemoHome) -> None:
    answer = as_json(pmpilot(seeded.home, "ask", "What do users say about sync conflicts?", "--workspace", WS,
                             "--json"))
    assert set(answer) >= {"answer", "confidence", "evidence", "dissent", "insufficient_evidence"}
    assert answer["insufficient_evidence"] is False, answer["answer"]
    assert answer["answer"].strip() and 0.0 < answer["confidence"] <= 1.0
    assert answer["evidence"] and all(e["signal_id"] and e["quote"].strip() for e in answer["evidence"])
    said = [e["quote"].lower() for e in answer["evidence"] + answer["dissent"]]
    assert any("sync" in quote for quote in said)
    assert_verbatim(seeded.home, [{"evidence": answer["evidence"], "dissent": answer["dissent"]}])
    assert_no_usage_quoted(seeded.home, [{"evidence": answer["evidence"], "dissent": answer["dissent"]}])


# --------------------------------------------------------------------------- queue: enqueue, worker, jobs


def jobs_of(home: Path) -> dict[str, dict[str, Any]]:
    return {j["job_id"]: j for j in as_json(cli(home, "jobs", "--workspace", WS, "--json"))["jobs"]}


@pytest.fixture()
def worker(work: Path, tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`pmpilot worker` as a background process, stopped with SIGTERM (its graceful stop) afterwards."""
    log = (tmp_path / "worker.log").open("wb")
    proc = subprocess.Popen([str(PMPILOT), "worker", "--concurrency", "1", "--no-schedule"], env=cli_env(work),
                            stdout=log, stderr=subprocess.STDOUT, cwd=REPO)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=90)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()


def test_queue_worker_review_resume_and_runs(work: Path, seeded: DemoHome, tmp_path: Path,
                                            worker: subprocess.Popen[bytes]) -> None:
    """enqueue ingest + enqueue run --review -> the worker drains both -> jobs -> runs -> resume --approve."""
    tickets = tmp_path / "queued.csv"
    tickets.write_text("id,user_id,created_at,text\n"
                       "Q-1,q-user-1,2026-11-20,The queued import of zeppelin tickets never finishes\n"
                       "Q-2,q-user-2,2026-11-21,Zeppelin ticket import hangs at 99 percent\n", encoding="utf-8")
    before = as_json(cli(work, "stats", "--workspace", WS, "--json"))["signals"]
    ingest = as_json(pmpilot(work, "enqueue", "ingest", str(tickets), "--workspace", WS, "--kind", "ticket", "--json"))
    goal = ("Should we fix sync bugs before building dark mode?", "--workspace", WS, "--deliverables", "requirements",
            "--offline", "--review", "--key", "contract-weekly-requirements", "--json")
    run = as_json(pmpilot(work, "enqueue", "run", *goal))
    for job in (ingest, run):
        assert set(job) >= JOB_KEYS and job["job_id"] and job["error"] is None
        assert job["status"] in {"queued", "running", "completed"}
    assert as_json(cli(work, "enqueue", "run", *goal))["job_id"] == run["job_id"]  # same key, same job

    wanted = {ingest["job_id"], run["job_id"]}
    deadline, pause = time.monotonic() + 300, 2.0
    while True:  # back off so polling does not compete with the worker for CPU
        time.sleep(pause)
        pause = min(pause + 1.0, 6.0)
        assert worker.poll() is None, "the worker exited early"
        seen = jobs_of(work)
        if all(seen[j]["status"] in {"completed", "failed"} for j in wanted):
            break
        assert time.monotonic() < deadline, {j: seen[j]["status"] for j in wanted}
    assert {seen[j]["status"] for j in wanted} == {"completed"}, {j: seen[j]["error"] for j in wanted}
    assert seen.keys() == wanted, "the repeated key queued a second run"
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=90) == 0, "SIGTERM is the worker's graceful stop"

    job = as_json(pmpilot(work, "jobs", run["job_id"], "--json"))
    assert set(job) >= JOB_KEYS and job["status"] == "completed" and job["error"] is None and job["run_id"]
    assert as_json(cli(work, "stats", "--workspace", WS, "--json"))["signals"] == before + 2

    runs = {r["run_id"]: r for r in as_json(pmpilot(work, "runs", "--workspace", WS, "--json"))["runs"]}
    for record in runs.values():
        assert {"run_id", "status", "mode", "goal", "workspace"} <= set(record) and record["workspace"] == WS
    assert runs[seeded.run["run_id"]]["status"] == "completed"
    assert runs[job["run_id"]]["status"] == "awaiting_review", "the queued run was asked to pause for review"

    done = as_json(pmpilot(work, "resume", job["run_id"], "--approve", "--json"))
    assert done["run_id"] == job["run_id"]
    assert_verbatim(work, list(documents(done, ["requirements"]).values()))
    missing = pmpilot(work, "jobs", "no-such-job", "--json", check=False)
    assert "no-such-job" in assert_one_line_error(missing, 1)


# --------------------------------------------------------------------------- usage errors, .env


@pytest.mark.parametrize("args", [
    (),
    ("no-such-command",),
    ("ingest", "--workspace", WS),
    ("search", "sync", "--workspace", WS, "--limit", "many"),
    ("profile", "--user"),
    ("run", "goal", "--workspace", WS, "--audience", "board"),
    ("resume",),
    ("demo", "--offline"),
    ("worker", "--concurrency", "two"),
    ("enqueue", "mail"),
    ("enqueue", "run", "--workspace", WS),
    ("enqueue", "ingest", "--workspace", WS),
    ("retention",),
    ("jobs", "a", "b"),
    ("mcp", "--transport", "carrier-pigeon"),
    ("ui", "--port", "eighty"),
    ("align", "--repo", "."),
    ("audit",),
    ("ask", "--workspace", WS),
])
def test_usage_errors_exit_2_with_one_line(args: tuple[str, ...], tmp_path: Path) -> None:
    proc = pmpilot(tmp_path / "home", *args, "--json", check=False)
    line = assert_one_line_error(proc, 2)
    assert line.startswith("pmpilot") and ": error: " in line and "--help" in line
    assert not (tmp_path / "home").exists(), "a usage error must not touch the home"


def test_dotenv_in_the_working_directory_configures_the_cli(seeded: DemoHome, tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / ".env").write_text(f"PMPILOT_HOME={seeded.home}\n", encoding="utf-8")
    stats = as_json(pmpilot(None, "stats", "--workspace", WS, "--json", cwd=project))
    assert stats["signals"] > 0, "PMPILOT_HOME from .env was not used"
    empty = tmp_path / "empty-home"
    overridden = as_json(pmpilot(empty, "stats", "--workspace", WS, "--json", cwd=project))
    assert overridden["signals"] == 0 and empty.is_dir(), "the environment must win over .env"

    (project / ".env").write_text(f"PMPILOT_HOME={seeded.home}\nPMPILOT_QUEUE_URL=http://queue.invalid\n",
                                  encoding="utf-8")
    bad = pmpilot(None, "jobs", "--json", cwd=project, check=False)
    assert "PMPILOT_QUEUE_URL" in assert_one_line_error(bad, 1)
