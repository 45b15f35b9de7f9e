"""Topics checked against the goal: off-goal clusters become context, one capability is one topic."""

from __future__ import annotations

from typing import Any

from agents.deliverables import Materials
from agents.deliverables.brief import BriefDraft, BriefThemeDraft, complete_brief, draft_brief
from agents.deliverables.common import CitedQuote, section_heading
from agents.deliverables.requirements import draft_requirements
from agents.planner import offline_plan
from agents.scorer import goal_topics
from tests.unit.test_goal_topics import materials, row
from tools.topics import DENSE_MARGIN, goal_fit, is_problem_goal, same_capability, stem, uses_goal_words
from tools.wording import example_report

KEPT = ["The ATM kept my card and would not give it back.", "My card got stuck in the ATM.",
        "The machine swallowed my card, how do I get it back?", "I cannot get my card out of the ATM."]
WHERE = ["Which ATMs accept my card?", "Can I use this card at any ATM?", "What ATMs take this card?",
         "Where is the nearest ATM for this card?"]
TYPES = {**{f"k{i}": "bug" for i in range(len(KEPT))}, **{f"w{i}": "question" for i in range(len(WHERE))}}
TEXTS = {**{f"k{i}": q for i, q in enumerate(KEPT)}, **{f"w{i}": q for i, q in enumerate(WHERE)}}
GOAL = "Draft requirements to stop ATMs from keeping customers' cards"


def test_a_stop_goal_keeps_the_cluster_reporting_the_problem_not_the_questions_around_it() -> None:
    groups = [[f"w{i}" for i in range(4)], [f"k{i}" for i in range(4)]]
    # Dense closeness cannot tell them apart (the questions are even a little closer): the problem rule does.
    fit = goal_fit(groups, goal=GOAL, texts=TEXTS, types=TYPES, queries=["stop ATMs keeping cards"],
                   closeness=[[0.66], [0.65]])
    assert fit[1] is None
    assert fit[0] is not None and "reports no problem" in fit[0]
    # A goal that does not ask to stop anything keeps both.
    fit = goal_fit(groups, goal="Requirements for ATM cards", texts=TEXTS, types=TYPES, queries=["ATM cards"],
                   closeness=[[0.66], [0.65]])
    assert fit == [None, None]


def test_small_far_or_wordless_clusters_are_off_goal_and_thin_evidence_gives_no_topic() -> None:
    texts = {**TEXTS, "f0": "Fees are too high.", "f1": "Why a fee?", "f2": "The fee again.", "x": "ATM card"}
    types = {**TYPES, "f0": "complaint", "f1": "question", "f2": "complaint", "x": "bug"}
    groups = [[f"k{i}" for i in range(4)], ["x"], ["f0", "f1", "f2"], [f"w{i}" for i in range(3)]]
    fit = goal_fit(groups, goal=GOAL, texts=texts, types=types, queries=["ATMs keeping cards"],
                   closeness=[[0.70], [0.69], [0.68], [0.70 - DENSE_MARGIN - 0.01]], problems=False)
    assert fit[0] is None
    assert fit[1] == "only 1 signal"
    assert fit[2] is not None and "use the goal's words" in fit[2]
    assert fit[3] is not None and fit[3].startswith("further from the goal")
    # One relevant signal is too thin for a story: nothing is on the goal.
    assert goal_fit([["x"]], goal=GOAL, texts=texts, types=types) == ["only 1 signal"]


def test_each_query_keeps_its_own_best_cluster() -> None:
    """'Fix sync before dark mode': the dark-mode cluster is much closer to its query, sync stays a topic."""
    texts = {"s0": "Sync lost my edits.", "s1": "Sync conflicts again.", "s2": "Sync fails on my phone.",
             "d0": "Please add dark mode.", "d1": "Dark mode would be great.", "d2": "Dark mode please!"}
    types = {"s0": "bug", "s1": "bug", "s2": "bug", "d0": "feature_request", "d1": "feature_request",
             "d2": "feature_request"}
    fit = goal_fit([["s0", "s1", "s2"], ["d0", "d1", "d2"]], goal="Should we fix sync bugs before dark mode?",
                   texts=texts, types=types, queries=["fix sync bugs", "building dark mode"],
                   closeness=[[0.55, 0.2], [0.2, 0.85]])
    assert fit == [None, None]


def test_goal_words_match_across_word_forms() -> None:
    assert stem("cancelling") == stem("cancel") and stem("cards") == stem("card")
    assert uses_goal_words("How do I verify my identity?", {stem("verification"), stem("identity")})
    assert not uses_goal_words("Where is the closest branch?", {stem("cancel"), stem("transfer")})
    assert is_problem_goal("Stop ATMs from keeping cards") and is_problem_goal("Requirements for fixing sync bugs")
    assert not is_problem_goal("Requirements for faster delivery of new physical cards")
    assert same_capability("sync", "sync conflicts") and not same_capability("card back", "card to arrive")


def _state(goal: str, groups: dict[str, list[tuple[str, str, str]]]) -> tuple[dict[str, Any], dict[str, str | None]]:
    evidence, membership = {}, {}
    for theme, rows in groups.items():
        for sid, quote, kind in rows:
            evidence[sid] = row(sid, quote, questions=["q0"], signal_type=kind, score=0.8)
            membership[sid] = theme
    return {"goal": goal, "workspace": "w", "plan": offline_plan(goal, ["requirements", "brief"], None),
            "mode": "offline", "evidence": evidence}, membership


def test_clusters_asking_for_one_capability_become_one_story() -> None:
    state, membership = _state("Requirements for fixing sync bugs", {
        "t1": [("a0", "Sync conflicts wiped my edits.", "bug"), ("a1", "Another sync conflicts mess today.", "bug"),
               ("a2", "Sync conflicts on the shared notebook.", "bug")],
        "t2": [("b0", "For me, sync.", "bug"), ("b1", "Sync is broken on my phone.", "bug"),
               ("b2", "Sync never finishes.", "bug")],
    })
    topics, near = goal_topics(state, membership, [])
    themes = [t for t in topics if t["kind"] == "theme"]
    assert len(themes) == 1 and not near
    assert set(themes[0]["signal_ids"]) == {"a0", "a1", "a2", "b0", "b1", "b2"}
    doc = draft_requirements(materials(state, membership, []))
    assert len(doc["stories"]) == 1
    assert "For me, sync" not in doc["stories"][0]["i_want"]


def test_off_goal_clusters_are_named_as_context_and_never_cited() -> None:
    rows = {"kept": [(f"k{i}", q, "bug") for i, q in enumerate(KEPT)],
            "where": [(f"w{i}", q, "question") for i, q in enumerate(WHERE)]}
    state, membership = _state(GOAL, rows)
    m = materials(state, membership, [])
    state["scores"]["near"] = goal_topics(state, membership, [])[1]
    m = Materials.from_state(state)  # type: ignore[arg-type]
    assert [(n["size"], n["reason"]) for n in m.near] == [(4, "reports no problem (the goal asks to stop one)")]
    doc = draft_requirements(m)
    cited = {sid for s in doc["stories"] for sid in s["citations"]}
    assert cited and cited <= {f"k{i}" for i in range(len(KEPT))}
    assert "Found next to the goal, not about it:" in doc["problem"]
    brief = draft_brief(m)
    assert {sid for t in brief["themes"] for sid in t["citations"]} <= cited
    # A model citing the questions' signals in the brief has them removed; a section with nothing else goes.
    draft = BriefDraft(tldr="x", proposal="y", risks=[], asks=[], themes=[
        BriefThemeDraft(label="ATMs", quotes=[CitedQuote(signal_id="w0", quote=WHERE[0])], citations=["w0", "k0"]),
        BriefThemeDraft(label="where", quotes=[CitedQuote(signal_id="w1", quote=WHERE[1])], citations=["w1"]),
    ])
    done = complete_brief(draft, m)
    assert [t["citations"] for t in done["themes"]] == [["k0"]]
    assert all(q["signal_id"] != "w0" for t in done["themes"] for q in t["quotes"])


def test_brief_headings_name_the_topic_never_a_bare_keyword() -> None:
    state, membership = _state("Requirements for cancelling transfers", {
        "t": [("c0", "How do I cancel a transfer?", "question"), ("c1", "Can I cancel it?", "question"),
              ("c2", "Cancel please, how?", "question")]})
    m = materials(state, membership, [])
    topic = m.topics[0]
    heading = section_heading({**topic, "name": "cancel"}, m)
    assert heading in ("Questions like “How do I cancel a transfer?”", "Questions like “Can I cancel it?”")
    dark = {"signal_ids": ["c0"], "name": "dark mode"}
    m.evidence["c0"] = {**m.evidence["c0"], "signal_type": "feature_request"}
    assert section_heading(dark, m) == "Requests for dark mode"


def test_a_fragment_or_a_request_to_fix_is_not_an_example_report() -> None:
    evidence: dict[str, dict[str, Any]] = {
        "a": {"quote": "For me, sync.", "signal_type": "bug"},
        "b": {"quote": "Fix sync, skip the gimmicks.", "signal_type": "complaint"},
        "c": {"quote": "Sync lost my checklist changes twice.", "signal_type": "bug"},
    }
    assert example_report(["a", "b", "c"], "sync", "problem", evidence) == "Sync lost my checklist changes twice."
    assert example_report(["a", "b"], "sync", "problem", evidence) == ""


def test_materials_without_scores_have_no_near_topics() -> None:
    m = Materials(goal="g", focus="g", audience="exec", mode="offline", evidence={}, topics=[], criteria={},
                  findings=[], decisions=[], has_strategy=False)
    assert m.near == [] and m.also() == ""


def test_a_mixed_review_gives_its_problem_part_as_the_report() -> None:
    evidence: dict[str, dict[str, Any]] = {
        "a": {"quote": "Great editor, but sync between phone and laptop is hit or miss.", "signal_type": "praise"},
        "b": {"quote": "Love the sync, thanks a lot!", "signal_type": "praise"},
    }
    assert example_report(["a", "b"], "sync", "problem", evidence) == "sync between phone and laptop is hit or miss."


def test_a_near_group_named_like_a_topic_is_not_listed_as_context() -> None:
    m = Materials(goal="g", focus="g", audience="exec", mode="offline", evidence={}, criteria={}, findings=[],
                  decisions=[], has_strategy=False,
                  topics=[{"name": "sync conflicts", "signal_ids": ["a"], "kind": "theme"}],
                  near=[{"label": "sync", "size": 3, "reason": "x"}, {"label": "billing", "size": 4, "reason": "y"}])
    assert m.also() == "Found next to the goal, not about it: billing (4 signals) — not used as evidence."


def test_story_titles_name_the_capability_never_a_pasted_sentence() -> None:
    from agents.deliverables.base import render_markdown
    from agents.deliverables.requirements import story_title

    state, membership = _state(GOAL, {"kept": [(f"k{i}", q, "bug") for i, q in enumerate(KEPT)]})
    doc = draft_requirements(materials(state, membership, []))
    story = doc["stories"][0]
    assert "“" in story["i_want"]  # the user's own words stay in the story ...
    assert story["title"].startswith("Fix: ") and "“" not in story["title"]  # ... not in its heading
    assert f"### S1 — {story['title']}" in render_markdown(doc)
    assert story_title("cancel a transfer", "question", "answers to questions like “How?”") == (
        "Answers: cancel a transfer")
    assert story_title("change my PIN", "request", "to change my PIN") == "Change my PIN"
    assert story_title("SSO", "request", "SSO") == "SSO"


def test_plural_and_singular_stem_alike() -> None:
    from tools.topics import same_capability, stem

    assert stem("fees") == stem("fee") and stem("rates") == stem("rate") and stem("boxes") == "box"
    assert same_capability("fee to transfer", "fees") and same_capability("exchange rates", "exchange rate")
