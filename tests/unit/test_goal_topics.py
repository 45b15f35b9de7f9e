"""Goal-scoped topics: stories, options and brief sections come from the evidence found for the goal."""

from __future__ import annotations

from typing import Any

from agents.deliverables import Materials
from agents.deliverables.brief import draft_brief
from agents.deliverables.decision_memo import draft_decision_memo
from agents.deliverables.requirements import RequirementsDraft, StoryDraft, complete_requirements, draft_requirements
from agents.planner import offline_plan
from agents.scorer import build_topics, context_themes, goal_evidence_ids
from tools import scoring
from tools.story_quality import review_requirements
from tools.topic_scores import score_topic
from tools.topics import name_topic
from tools.wording import PM

SYNC = [
    "Sync conflicts wiped my edits twice this week.",
    "Every morning I get a sync conflict between my phone and laptop.",
    "The sync conflict dialog loses the newer version so that I have to retype everything.",
    "Sync conflict again, this time on the shared notebook.",
]
BILLING = [
    "I was charged twice for the annual plan.",
    "The invoice shows the wrong VAT number.",
    "Charged twice again this month, please refund.",
]
DARK = ["Please add dark mode, my eyes hurt at night.", "Dark mode would make evening work possible.",
        "Dark mode please, the white screen is blinding."]


def row(sid: str, quote: str, *, questions: list[str], themes: list[str] | None = None, score: float = 0.5,
        kind: str = "ticket", signal_type: str = "bug") -> dict[str, Any]:
    return {"signal_id": sid, "quote": quote, "source": "tickets.csv", "kind": kind, "signal_type": signal_type,
            "sentiment": -0.5, "user_id": f"u-{sid}", "account_id": None, "segment": "smb",
            "created_at": "2026-10-01T00:00:00+00:00", "score": score if questions else 0.0,
            "questions": questions, "themes": themes or []}


def materials(state: dict[str, Any], membership: dict[str, str | None], themes: list[dict[str, Any]]) -> Materials:
    weights = scoring.criteria_weights(None)
    topics = [{**t, **score_topic(t, state["evidence"], None, weights, None)}
              for t in build_topics(state, membership, themes)]
    used = {(t.get("theme") or {}).get("id") for t in topics}
    state["scores"] = {"criteria": weights, "topics": topics, "strategy": False,
                       "context": context_themes(themes, used),
                       "searched": [q["query"] for q in state["plan"]["questions"]]}
    return Materials.from_state(state)  # type: ignore[arg-type]


def mixed_state(goal: str) -> tuple[dict[str, Any], dict[str, str | None], list[dict[str, Any]]]:
    """A workspace mixing sync conflicts (found for the goal) and billing (only a workspace theme)."""
    evidence = {f"s{i}": row(f"s{i}", q, questions=["q0"], score=0.9 - i / 100) for i, q in enumerate(SYNC)}
    evidence |= {f"b{i}": row(f"b{i}", q, questions=[], themes=["t-bill"]) for i, q in enumerate(BILLING)}
    themes = [{"id": "t-sync", "label": "sync", "size": 40, "members": []},
              {"id": "t-bill", "label": "charged twice", "size": 90, "members": []}]
    membership: dict[str, str | None] = {f"s{i}": "t-sync" for i in range(len(SYNC))}
    return {"goal": goal, "workspace": "w", "plan": offline_plan(goal, ["requirements", "brief"], None),
            "mode": "offline", "evidence": evidence}, membership, themes


def test_stories_cite_only_the_goal_topic_and_are_named_after_it() -> None:
    state, membership, themes = mixed_state("Draft requirements for fixing sync conflicts")
    assert set(goal_evidence_ids(state)) == {f"s{i}" for i in range(len(SYNC))}
    m = materials(state, membership, themes)
    doc = draft_requirements(m)
    assert len(doc["stories"]) == 1
    story = doc["stories"][0]
    assert "sync conflict" in story["i_want"].lower()
    assert set(story["citations"]) <= {f"s{i}" for i in range(len(SYNC))}
    assert {e["signal_id"] for e in doc["evidence"]} <= set(story["citations"])
    # The other theme is context, never a story.
    assert "Users also talk about: charged twice (90 signals)" in doc["problem"]
    assert story["so_that"] == "I have to retype everything" or story["so_that"] == PM
    brief = draft_brief(m)
    assert [t["label"].lower() for t in brief["themes"]] == [m.topics[0]["name"].lower()] == ["sync conflict"]
    assert "charged twice" in brief["tldr"]


def test_the_benefit_is_the_one_a_quote_states_or_left_to_the_pm() -> None:
    state, membership, themes = mixed_state("Draft requirements for fixing sync conflicts")
    state["evidence"]["s2"]["quote"] = "The sync conflict dialog keeps the newer version so that I can keep working."
    doc = draft_requirements(materials(state, membership, themes))
    assert doc["stories"][0]["so_that"] == "I can keep working"
    state["evidence"]["s2"]["quote"] = "The sync conflict dialog loses the newer version."
    doc = draft_requirements(materials(state, membership, themes))
    assert doc["stories"][0]["so_that"] == PM
    assert any("S1" in q and "benefit" in q for q in doc["open_questions"])


def test_criteria_refer_to_the_reported_situation() -> None:
    state, membership, themes = mixed_state("Draft requirements for fixing sync conflicts")
    story = draft_requirements(materials(state, membership, themes))["stories"][0]
    first = story["acceptance_criteria"][0]
    assert first.startswith("Given an SMB customer who reported [s:")
    assert any(q in first for q in SYNC), first


def test_no_relevant_evidence_means_no_stories_and_says_what_was_searched() -> None:
    state, _, themes = mixed_state("Draft requirements for a DICOM viewer latency budget")
    for sid in [s for s in state["evidence"] if s.startswith("s")]:
        del state["evidence"][sid]
    m = materials(state, {}, themes)
    doc = draft_requirements(m)
    assert doc["stories"] == []
    assert doc["problem"].startswith("No relevant evidence was found: the user memory was searched for")
    assert "DICOM viewer latency budget" in doc["problem"]
    assert doc["evidence"] == []
    assert draft_brief(m)["themes"] == []
    assert "No relevant evidence" in draft_brief(m)["tldr"]


def test_decision_memo_options_get_their_own_evidence() -> None:
    goal = "Should we fix sync bugs before building dark mode?"
    plan = offline_plan(goal, ["decision_memo"], None)
    evidence = {f"s{i}": row(f"s{i}", q, questions=["q0", "q1"]) for i, q in enumerate(SYNC)}
    evidence |= {f"d{i}": row(f"d{i}", q, questions=["q0", "q2"], signal_type="feature_request")
                 for i, q in enumerate(DARK)}
    # A hit both option searches returned, about sync only: it belongs to the sync option alone.
    evidence["both"] = row("both", "Sync conflicts matter more to me than any theme.", questions=["q1", "q2"])
    state = {"goal": goal, "workspace": "w", "plan": plan, "mode": "offline", "evidence": evidence}
    membership: dict[str, str | None] = {sid: ("t-sync" if sid.startswith(("s", "both")) else "t-dark")
                                         for sid in evidence}
    memo = draft_decision_memo(materials(state, membership, []))
    options = {o["name"]: set(o["citations"]) for o in memo["options"]}
    sync, dark = options["fix sync bugs"], options["building dark mode"]
    assert sync and dark and not sync & dark
    assert "both" in sync
    assert dark <= {f"d{i}" for i in range(len(DARK))}


def test_topic_names_use_the_evidence_words_never_brands_or_praise() -> None:
    quotes = ["Thank you Dropbox, great app!", "Dropbox sync fails when the file is open.",
              "Great app but sync fails on big files.", "Sync fails every time I rename a folder."]
    name = name_topic(quotes, "Requirements for fixing sync bugs")
    assert name.lower() == "sync fails"
    assert name_topic(["Love it", "Great app"], "fix sync", fallback="sync") == "sync"
    # A brand opening a sentence is still a brand when it is written capitalised elsewhere.
    assert "dropbox" not in name_topic(["Dropbox uploads stall.", "Dropbox uploads stall again.",
                                        "I pay for Dropbox."], "fix uploads").lower()


def test_topic_names_are_the_capability_in_the_goal_and_evidence_words() -> None:
    atm = ["what do I need to do if the ATM kept my card?", "I cannot get my card out of the ATM.",
           "How do I get back a card swallowed by an ATM?", "The ATM machine would not give my card back",
           "Please help, the atm swallowed my card, what do I do?",
           "How do I get my card back after the ATM swallowed it."]
    # 'card back' is a fragment; the phrase in any word order ('ATM swallowed my card') names the capability.
    goal = "Draft requirements to stop ATMs from keeping customers' cards"
    assert name_topic(atm, goal) == "card swallowed by an ATM"
    cancel = ["How do I cancel a transfer?", "Help me cancel a transfer.", "I need to cancel my transfer quickly.",
              "Cancelling a transaction", "Can you cancel the transfer I sent?"]
    # Determiners do not split one phrase in three, and a noun that is also a verb ('a transfer') ends a name.
    assert name_topic(cancel, "Draft requirements to let customers cancel a bank transfer sent by mistake") == (
        "cancel a transfer")
    assert name_topic(["I want my card back", "Give my card back"], "cards").split()[-1] != "back"
    # A clause ('the exchange rate was wrong') is no name; 'rate' before 'was' is a noun, not a cut-off verb.
    rate = ["The exchange rate was wrong", "I got the wrong exchange rate", "wrong exchange rate on my card payment",
            "Why was the exchange rate wrong?"]
    assert name_topic(rate, "Requirements to stop charging the wrong exchange rate on card payments") == (
        "wrong exchange rate")
    assert "accept" not in name_topic(["ATMs accept my card?", "Do ATMs accept my card abroad?", "ATMs accept it"],
                                      "ATM cards").split()[-1:]
    # Context next to a topic is named by what sets it apart from it, never as the same capability.
    where = ["Which ATMs accept my card?", "Can I use this card at any ATM?", "Where is the nearest ATM for this card?"]
    assert name_topic(where, "stop ATMs keeping cards", atm, unlike=["card"]).upper() == "ATM"


def test_a_model_draft_keeps_only_goal_evidence_and_gets_the_same_check() -> None:
    state, membership, themes = mixed_state("Draft requirements for fixing sync conflicts")
    m = materials(state, membership, themes)  # billing rows are in the run's evidence as context only
    story = {"as_a": "an user", "i_want": "sync conflicts resolved without losing edits",
             "so_that": "so that  I trust it",
             "acceptance_criteria": ["Given two devices, When both edit, Then no edit is lost"]}
    draft = RequirementsDraft(problem="Sync conflicts lose edits.", goals=[], non_goals=[], open_questions=[],
                              success_metrics=[], stories=[
                                  StoryDraft(**story, citations=["s0", "b0", "invented"]),
                                  StoryDraft(**story, citations=["s1"]),
                                  StoryDraft(as_a="user", i_want="a cheaper plan", so_that=PM,
                                             acceptance_criteria=[], citations=["b0", "b1"]),
                              ])
    doc = review_requirements(complete_requirements(draft, m))
    assert [s["citations"] for s in doc["stories"]] == [["s0", "invented", "s1"]]  # unknown ids: validation's job
    assert (doc["stories"][0]["as_a"], doc["stories"][0]["so_that"]) == ("user", "I trust it")
    assert "1 duplicate story merged" in doc["quality_notes"][-1]


def test_a_quoted_report_with_and_is_not_split_by_the_review() -> None:
    from agents.deliverables import review_drafts

    story = {"id": "S1", "as_a": "user", "i_want": "a fix for “I log in and the app logs me out”", "so_that": PM,
             "acceptance_criteria": ["Given a user, When they log in, Then they stay logged in"], "citations": ["s0"]}
    notes = review_drafts({"requirements": {"stories": [story]}}, [], coverage=False)
    assert notes == []
    notes = review_drafts({"requirements": {"stories": [{**story, "i_want": "export and share"}]}}, [], coverage=False)
    assert [n["problem"] for n in notes] == ["story is not atomic"]


def test_earlier_decisions_count_only_when_about_the_goal() -> None:
    state, membership, themes = mixed_state("Draft requirements for fixing sync conflicts")
    state["decisions"] = [{"run_id": "r1", "question": "Should we fix sync conflicts first?", "recommendation": "yes"},
                          {"run_id": "r2", "question": "Which pricing tier for SSO?", "recommendation": "Pro"}]
    m = materials(state, membership, themes)
    assert [d["run_id"] for d in m.decisions] == ["r1"]


def test_an_option_and_its_goal_topic_count_alike() -> None:
    from agents.scorer import one_count

    topics = [{"kind": "option", "name": "declined card payments", "signal_ids": ["a", "b", "c"]},
              {"kind": "theme", "name": "card payment declined", "signal_ids": ["b", "c", "d"],
               "description": "", "theme": {"size": 3}},
              {"kind": "theme", "name": "exchange rate", "signal_ids": ["e", "f"], "description": "", "theme": {}}]
    out = one_count(topics)
    assert out[0]["signal_ids"] == out[1]["signal_ids"] == ["a", "b", "c", "d"] and out[1]["theme"]["size"] == 4
    assert out[2]["signal_ids"] == ["e", "f"]


def test_a_theme_the_goal_names_is_never_context_outside_it() -> None:
    from agents.scorer import context_themes

    themes = [{"id": "t1", "label": "exchange rate", "size": 75}, {"id": "t2", "label": "ATM", "size": 70},
              {"id": "t3", "label": "card delivery", "size": 40}]
    goal = "Make exchange rates and fees transparent to customers"
    assert [t["label"] for t in context_themes(themes, set(), goal=goal)] == ["ATM", "card delivery"]
    assert [t["label"] for t in context_themes(themes, set(), goal=goal, names=["delivery of my card"])] == ["ATM"]
