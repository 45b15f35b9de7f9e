"""Relevance floor and abstention on a small real-data workspace (BANKING77 train, 8 intents x 12 messages)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from agents import researcher
from agents.ask import ask_users
from agents.planner import offline_plan, search_query, wants_landscape
from agents.researcher import SubmitFindings
from agents.runner import run_goal
from memory import api as memory_api
from memory.sparse import stem
from tests.support.banking77 import banking_workspace
from tests.support.services import require_shared_data
from tools.relevance import (
    FITTED,
    Background,
    RelevanceModel,
    coverage,
    coverage_tokens,
    query_terms,
    search_relevant,
)

INTENTS = ("card_swallowed", "exchange_rate", "pin_blocked", "terminate_account", "age_limit",
           "lost_or_stolen_phone", "cash_withdrawal_charge", "card_arrival")
PER_INTENT = 12
WS = "bank"


@pytest.fixture(scope="module", autouse=True)
def _banking77() -> None:
    """Fails in CI, skips elsewhere, when ../shared/data/banking77 is missing."""
    require_shared_data("banking77", "train.csv")


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A workspace of the first 12 messages of 8 intents; yields signal id → intent."""
    with banking_workspace(tmp_path_factory.mktemp("relevance"), WS, INTENTS, PER_INTENT) as label:
        assert len(label) == len(INTENTS) * PER_INTENT
        yield label


def test_model_is_monotone_and_reports_its_floor() -> None:
    assert FITTED.probability(0.6, 0.5) > FITTED.probability(0.3, 0.5) > FITTED.probability(0.0, 0.5)
    assert FITTED.probability(0.4, 1.0) > FITTED.probability(0.4, 0.0)
    edge = FITTED.min_excess(0.0)
    assert FITTED.probability(edge + 0.01, 0.0) >= FITTED.floor > FITTED.probability(edge - 0.01, 0.0)
    described = FITTED.describe()
    assert described["probability"] == FITTED.floor and described["fitted_on"]
    strict = RelevanceModel(dense=FITTED.dense, sparse=FITTED.sparse, bias=FITTED.bias, floor=0.99)
    assert strict.min_excess() > edge


def test_query_terms_drop_framing_and_weigh_rare_words() -> None:
    background = Background.of(["my card is here", "card card card", "the card works"], np.zeros((3, 4)))
    terms = query_terms("What do customers say about the card and the mortgage?", background)
    assert "customer" not in terms and "say" not in terms
    assert terms[stem("mortgage")] > terms["card"]
    assert coverage(terms, "A mortgage question") > coverage(terms, "My card") > 0


def test_coverage_splits_camel_case_roles_and_ignores_template_words() -> None:
    assert coverage_tokens("As a MedicalCaregiver, I want user_id") == ["medical", "caregiver", "want", "user", "id"]
    assert coverage_tokens("ATMs kept my card") == ["atms", "kept", "card"]  # an acronym's plural stays whole
    stories = [f"As an OlderPerson, I want {w} so that I feel safe" for w in (
        "a reminder", "a taxi", "a game", "news", "a call", "music")] + [
        f"As a MedicalCaregiver, I want to determine the {w}" for w in ("blood pressure", "temperature")]
    stories += [f"As a Researcher, I want the {w} dataset" for w in ("ocean", "soil", "wind", "census")]
    stories += [f"As an Admin, I want {w}" for w in ("audit logs", "backups", "roles", "quotas")]
    background = Background.of(stories * 2, np.zeros((len(stories) * 2, 4)))
    assert background.boilerplate("want") and not background.boilerplate("caregiver")
    terms = query_terms("What do caregivers want to determine?", background)
    assert "caregiver" in terms and "want" not in terms
    assert coverage(terms, stories[6]) == 1.0
    assert "older" not in query_terms("Older person safety", Background.of(stories[:6] * 4, np.zeros((24, 4))))


def test_floor_keeps_on_topic_and_drops_off_topic_signals(bank: dict[str, str]) -> None:
    found = search_relevant(WS, "An ATM kept my card and did not give it back")
    kept = [bank[h.signal_id] for h, _ in found.kept]
    assert found.searched > len(found.kept) >= 5
    assert kept.count("card_swallowed") / len(kept) >= 0.8
    assert not {"age_limit", "terminate_account", "exchange_rate"} & set(kept)
    assert all(s.relevance >= FITTED.floor for _, s in found.kept)
    assert all(s.relevance < FITTED.floor for _, s in found.dropped)
    stats = found.stats()
    assert stats["searched"] == found.searched and stats["kept"] == len(found.kept)
    assert stats["floor"]["probability"] == FITTED.floor


@pytest.mark.parametrize("question", [
    "What do customers say about our mortgage interest rates?",  # a near miss: another banking product
    "How do users feel about the dark mode theme?",
])
def test_ask_abstains_off_domain_with_no_quotes(bank: dict[str, str], question: str) -> None:
    answer = ask_users(question, WS, offline=True)
    assert answer.insufficient_evidence
    assert answer.evidence == [] and answer.dissent == [] and answer.confidence == 0.0
    assert answer.answer.startswith("Not enough evidence") and "searched" in answer.answer
    assert answer.searched_signals > 0


def test_ask_answers_in_domain_from_on_topic_evidence(bank: dict[str, str]) -> None:
    answer = ask_users("What do customers do when an ATM keeps their card?", WS, offline=True)
    assert not answer.insufficient_evidence
    cited = [bank[c.signal_id] for c in [*answer.evidence, *answer.dissent]]
    assert cited and set(cited) == {"card_swallowed"}
    assert answer.relevant_signals <= PER_INTENT + 2


def test_llm_researcher_cannot_add_signals_the_floor_rejected(bank: dict[str, str]) -> None:
    plan = offline_plan("Draft requirements to stop ATMs from keeping customers' cards", ["requirements"], None)
    task = {"question": plan["questions"][0], "goal": "ATM cards", "workspace": WS}
    found = researcher.search(task)
    evidence = found["evidence"]
    on_topic = [sid for sid in evidence if bank[sid] == "card_swallowed"]
    off_topic = sorted(sid for sid, intent in bank.items() if intent in ("age_limit", "exchange_rate"))[:3]
    assert on_topic and not set(off_topic) & set(evidence)
    # A tool result full of unrelated signals adds nothing to the evidence.
    researcher._absorb(task, [{"signal_id": sid} for sid in off_topic], evidence)
    assert not set(off_topic) & set(evidence)
    # Citations of real but unrelated signals are dropped (not counted as invalid); the model may drop rows.
    texts = {s.id: s.text for s in memory_api.workspace(WS).get_signals([*off_topic, *on_topic])}
    dropped_row = next((sid for sid in evidence if sid not in on_topic[:1]), None)
    submitted = SubmitFindings(
        summary="ATMs keep cards.",
        citations=[{"signal_id": on_topic[0], "quote": texts[on_topic[0]][:20]},
                   *({"signal_id": sid, "quote": texts[sid][:20]} for sid in off_topic)],
        off_topic=[dropped_row] if dropped_row else [],
    )
    invalid = researcher._apply_findings(task, submitted, found)
    assert invalid == 0
    assert found["findings"][0]["signal_ids"] == [on_topic[0]]
    assert found["research"][0]["off_topic_citations_dropped"] == len(off_topic)
    assert not set(off_topic) & set(evidence)
    if dropped_row:
        assert dropped_row not in evidence


def test_planner_marks_landscape_goals_and_cleans_queries() -> None:
    assert wants_landscape("What should we build next?")
    assert wants_landscape("Draft requirements", ["roadmap"])
    assert not wants_landscape("Draft requirements to stop ATMs from keeping customers' cards")
    assert search_query("Draft requirements for the mortgage application flow") == "the mortgage application flow"
    assert search_query("Draft requirements so customers are no longer charged twice") == (
        "customers are no longer charged twice")
    plan = offline_plan("Draft requirements for sync reliability and dark mode", ["requirements"], None)
    assert plan["landscape"] is False
    assert [q["query"] for q in plan["questions"]][1:] == ["sync reliability", "dark mode"]


def test_run_on_an_off_topic_goal_writes_no_stories_and_warns(bank: dict[str, str], tmp_path: Path) -> None:
    run = run_goal("Draft requirements for the mortgage application flow", WS, deliverables=["requirements"],
                   offline=True, out=tmp_path)
    assert run["status"] == "completed"
    assert run["warnings"] and "No relevant evidence" in run["warnings"][0]
    assert run["research"] and all(r["kept"] == 0 and r["searched"] > 0 for r in run["research"])
    assert run["research"][0]["floor"]["probability"] == FITTED.floor
    doc = json.loads(Path(run["artifacts"][0]["path_json"]).read_text(encoding="utf-8"))
    assert doc["stories"] == [] and doc["evidence"] == []
    on_disk = json.loads((Path(run["artifacts"][0]["path_json"]).parent / "run.json").read_text(encoding="utf-8"))
    assert on_disk["warnings"] == run["warnings"]


def test_cli_ask_abstains_the_same_way(bank: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    from ui.cli import main

    assert main(["ask", "What do customers say about our mortgage interest rates?", "--workspace", WS,
                 "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["insufficient_evidence"] is True and answer["evidence"] == [] and answer["dissent"] == []
    assert answer["answer"].startswith("Not enough evidence")
