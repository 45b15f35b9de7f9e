"""A run's research on long texts and clusters, and the landscape's candidate themes (demo tickets and reviews)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest

from agents import demo, researcher
from agents.planner import offline_plan
from memory import api as memory_api
from tests.support.workspace import offline_home
from tools.relevance import FITTED, search_relevant, theme_map
from tools.research import best_sentences, goal_search
from tools.topics import same_capability

WS = "tandem"


@pytest.fixture(scope="module")
def tandem(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo's 110 tickets and 80 reviews (long, multi-sentence texts) in a fresh home, with themes."""
    with offline_home(tmp_path_factory.mktemp("goal-search") / "home"):
        data = demo.data_dir()
        report = memory_api.ingest([data / "tickets.csv", data / "reviews.csv"], WS)
        assert report.ingested == 190 and not report.rejected
        memory_api.themes(WS, refresh=True)
        yield WS


def _texts(ids: list[str]) -> dict[str, str]:
    return {s.id: s.text for s in memory_api.workspace(WS).get_signals(ids)}


def test_a_long_text_counts_by_its_best_sentence(tandem: str) -> None:
    # Since the length term's extreme-value taper (fc932cc) the wordy sync reviews pass the floor whole; "dark mode"
    # still has long reviews below it whose one sentence is about a dark theme ("... I live in dark UIs though ...").
    plain = search_relevant(tandem, "dark mode")
    found, quotes, added = goal_search(tandem, "dark mode")
    kept = {h.signal_id for h, _ in plain.kept}
    rescued = [(h, s) for h, s in found.kept if h.signal_id not in kept and s.relevance >= FITTED.floor]
    assert added["by_sentence"] == len(rescued) >= 1
    texts = _texts([h.signal_id for h, _ in rescued])
    for hit, _ in rescued:
        sentence = quotes[hit.signal_id]
        # The whole text is below the floor; the sentence it is kept for is a verbatim part of it, about dark mode.
        assert sentence in texts[hit.signal_id] and len(sentence) < len(texts[hit.signal_id])
        assert "dark" in sentence.lower()
    # A one-sentence text has no sentence of its own to score.
    assert best_sentences(tandem, "fix sync bugs", {"x": "Sync is broken"}) == {}


def test_the_questions_cluster_joins_and_nothing_joins_an_off_topic_question(tandem: str) -> None:
    plain = search_relevant(tandem, "fix sync bugs")
    found, _, added = goal_search(tandem, "fix sync bugs")
    themes = theme_map(tandem)
    kept = {h.signal_id for h, _ in plain.kept}
    joined = [h.signal_id for h, s in found.kept if h.signal_id not in kept and s.relevance < FITTED.floor]
    assert added["by_theme"] == len(joined) >= 3
    # Every joined signal comes from one cluster, the one holding most of the question's kept signals.
    assert len({themes[sid] for sid in joined}) == 1
    assert Counter(themes.get(h.signal_id) for h, _ in plain.kept).most_common(1)[0][0] == themes[joined[0]]
    # The cluster joins after the signals above the floor.
    relevance = [s.relevance for _, s in found.kept]
    first_joined = next(i for i, (h, _) in enumerate(found.kept) if h.signal_id in joined)
    assert min(relevance[:first_joined]) >= FITTED.floor
    off, quotes, counts = goal_search(tandem, "What do customers say about our mortgage interest rates?")
    assert off.kept == [] and quotes == {} and counts == {"by_sentence": 0, "by_theme": 0}


def test_the_research_record_says_what_joined(tandem: str) -> None:
    plan = offline_plan("Should we fix sync bugs before building dark mode?", ["decision_memo"], None)
    question = next(q for q in plan["questions"] if q["focus"] == "fix sync bugs")
    found = researcher.search({"question": question, "goal": "sync", "workspace": tandem})
    record = found["research"][0]
    assert record["kept"] >= len(found["evidence"])  # an interviewer's question is kept, never evidence
    # its sync reviews pass the floor whole here (the length term), so none needs its best sentence
    assert record["kept_by_sentence"] >= 0 and record["joined_from_cluster"] >= 3
    texts = _texts(list(found["evidence"]))
    assert all(row["quote"] in texts[sid] for sid, row in found["evidence"].items())


def test_a_landscape_goal_gets_the_largest_distinct_themes(tandem: str) -> None:
    plan = offline_plan("What should we build next? Draft requirements.", ["requirements"], None)
    assert plan["landscape"]
    task = {"question": plan["questions"][0], "goal": "next", "workspace": tandem}
    found = researcher.retrieve(task)  # type: ignore[arg-type]
    chosen = list(found["themes"].values())
    assert len(chosen) == researcher.MAX_THEMES
    labels = [researcher._base_label(t["label"]) for t in chosen]
    assert not any(same_capability(a, b) for i, a in enumerate(labels) for b in labels[i + 1:])
    # Each chosen theme brought what users wrote about it as evidence.
    for theme in chosen:
        assert any(theme["id"] in row["themes"] for row in found["evidence"].values())
    # A landscape goal about a subject keeps to the themes holding its hits.
    plan = offline_plan("What are the biggest pain points with sync?", ["requirements"], None)
    assert plan["landscape"]
    found = researcher.retrieve({"question": plan["questions"][0], "goal": "sync", "workspace": tandem})
    assert 1 <= len(found["themes"]) < researcher.MAX_THEMES


def test_a_first_run_finds_the_cluster_before_any_snapshot_is_saved(tandem: str) -> None:
    data = demo.data_dir()
    assert memory_api.ingest([data / "tickets.csv", data / "reviews.csv"], "fresh").ingested == 190
    assert theme_map("fresh") == {}  # no saved snapshot yet: the research reads the run's own
    plan = offline_plan("Should we fix sync bugs before building dark mode?", ["decision_memo"], None)
    question = next(q for q in plan["questions"] if q["focus"] == "fix sync bugs")
    found = researcher.search({"question": question, "goal": "sync", "workspace": "fresh"})
    assert found["research"][0]["joined_from_cluster"] >= 3
