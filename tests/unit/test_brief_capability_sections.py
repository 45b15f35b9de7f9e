"""A stakeholder brief on a real backlog (g24, University of Bath): the goal's framing is not searched, sections are
capabilities (verb + object) not a role word or a quote, lemma variants are one topic, no invented contest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from agents.deliverables.base import Materials
from agents.deliverables.brief import draft_brief
from agents.deliverables.labels import capability, same_lemma, story_role, strip_framing
from agents.planner import offline_plan
from tests.unit.test_goal_topics import row
from tools import scoring
from tools.topic_scores import score_topic

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "user-stories" / "g24-unibath.txt"
GOAL = "Brief for leadership on what depositors need"


def backlog() -> list[str]:
    if not DATA.exists():
        pytest.skip("user-stories backlogs not in ../shared/data")
    return [line.strip() for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]


def brief() -> tuple[dict[str, Any], dict[str, str]]:
    """Two goal topics the clustering named 'depositor' and 'deposit' (a lemma pair), as the review's run had."""
    stories = backlog()
    depositor = [s for s in stories if story_role(s) == "depositor"][:12]
    deposit = [s for s in stories if "deposit" in s.lower() and story_role(s) != "depositor"][:3]
    evidence = {f"d{i}": row(f"d{i}", q, questions=["q0"], score=0.9 - i / 100, signal_type="feature_request")
                for i, q in enumerate(depositor)}
    evidence |= {f"o{i}": row(f"o{i}", q, questions=["q0"], score=0.8 - i / 100, signal_type="feature_request")
                 for i, q in enumerate(deposit)}
    weights = scoring.criteria_weights(None)
    ids_a = [f"d{i}" for i in range(0, len(depositor), 2)] + ["o0"]
    ids_b = [f"d{i}" for i in range(1, len(depositor), 2)] + [f"o{i}" for i in range(1, len(deposit))]
    topics = []
    for name, ids in (("depositor", ids_a), ("deposit", ids_b)):
        t = {"id": f"theme:{name}", "kind": "theme", "name": name, "description": "", "signal_ids": ids,
             "theme": None}
        topics.append({**t, **score_topic(t, evidence, None, weights, None)})
    plan = offline_plan(GOAL, ["brief"], "exec")
    m = Materials(goal=GOAL, focus=plan["focus"], audience="exec", mode="offline", evidence=evidence,  # type: ignore[arg-type]
                  topics=topics, criteria=weights, findings=[], decisions=[], has_strategy=False)  # type: ignore[arg-type]
    return draft_brief(m), {sid: r["quote"] for sid, r in evidence.items()}


def test_the_brief_and_its_audience_are_not_searched() -> None:
    plan = offline_plan(GOAL, ["brief"], "exec")
    query = plan["questions"][0]["query"].lower()
    assert "leadership" not in query and "brief" not in query, query
    assert "depositors" in query
    assert strip_framing("Update for the board about churn in Q3") == "churn in Q3"
    assert strip_framing("Fix sync bugs") == "Fix sync bugs"


def test_sections_are_capabilities_of_the_goal_role_without_a_contest() -> None:
    doc, quotes = brief()
    labels = [t["label"] for t in doc["themes"]]
    assert labels
    for label in labels:
        assert "“" not in label and not same_lemma(label.split(":")[0].strip(), "depositor"), labels
        assert "requests for" not in label.lower(), labels
    assert labels[0].lower().startswith("deposit"), labels  # the core need: depositing datasets and files
    text = " ".join([doc["tldr"], doc["proposal"], *doc["asks"]])
    assert "too close to call" not in text.lower() and "which bet" not in text.lower(), text
    cited = {sid for t in doc["themes"] for sid in t["citations"]}
    # the goal names depositors: another role's story (an administrator's, a funder's) does not stand for them
    assert all(story_role(quotes[sid]) == "depositor" for sid in cited), [quotes[s] for s in cited]


def test_capability_is_verb_and_object_in_the_storys_words() -> None:
    assert capability("As a depositor, I want to deposit arbitrarily large files, so that I am not limited") == \
        "deposit arbitrarily large files"
    assert capability("As a depositor, I want to allow others to deposit on my behalf, so that I can") == \
        "allow others to deposit"
    assert capability("How do I top up my card?") == ""
    assert same_lemma("deposit", "depositor") and not same_lemma("deposit", "depot")
