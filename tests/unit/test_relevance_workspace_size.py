"""Relevance in a wordy workspace of a few hundred signals: four real backlogs pooled (274 user stories, ~26 words).

The length term (:meth:`tools.relevance.RelevanceModel.shift`) lifts the dense excess in a wordy workspace and fades
as the workspace grows. The old hand taper (``length − taper · ln(signals / 100)``) had faded to a third of its
weight at 274 signals and to nothing by 500: here it refused a goal the pooled backlogs plainly answer (the
depositors' upload goal of g27-culrepo kept 1 signal and abstained). The extreme-value size term
(``sqrt(2 ln signals)``) keeps about 60 % of the weight at this size; off-domain questions still abstain.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from agents.ask import ask_users
from agents.planner import search_query
from memory import api
from tests.support.services import require_shared_data
from tests.support.workspace import offline_home
from tools.relevance import FITTED, search_relevant

WS = "four-backlogs"
BACKLOGS = ("g27-culrepo", "g12-camperplus", "g04-recycling", "g13-planningpoker")


@pytest.fixture(scope="module")
def pooled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Four backlogs ingested into one workspace of a fresh home; yields signal id -> story text."""
    paths = [require_shared_data("user-stories", f"{stem}.txt") for stem in BACKLOGS]
    with offline_home(tmp_path_factory.mktemp("workspace-size") / "home"):
        report = api.ingest(paths, WS)
        assert report.ingested >= 250
        yield {s.id: s.text for s, _ in api.workspace(WS).iter_signals()}


def test_the_size_term_keeps_part_of_the_length_gain_at_a_few_hundred_signals() -> None:
    full = FITTED.shift(26.0, 100)
    assert full > 0.0
    assert 0.5 * full < FITTED.shift(26.0, 274) < full  # the old taper: 0.37 of it
    assert 0.0 < FITTED.shift(26.0, 625) < FITTED.shift(26.0, 274)  # the old taper: nothing from 500 signals on
    assert FITTED.shift(10.0, 274) == 0.0  # short messages: unchanged


def test_depositor_goal_is_answered_in_the_pooled_workspace(pooled: dict[str, str]) -> None:
    query = search_query("Draft requirements so depositors can upload and describe their own research data")
    answer = ask_users(query, WS, offline=True)
    assert not answer.insufficient_evidence
    cited = [pooled[c.signal_id].lower() for c in answer.evidence]
    assert sum("upload" in t or "deposit" in t or "metadata" in t for t in cited) / len(cited) >= 0.5


@pytest.mark.parametrize("question", [
    "What do gamers say about matchmaking and lag?",
    "Complaints about delivery drivers being late with food orders",
    "How do customers feel about card payment fees abroad?",
    "How do users want to pay their electricity bill?",  # a near miss of the recycling backlog
])
def test_off_domain_questions_still_abstain(pooled: dict[str, str], question: str) -> None:
    answer = ask_users(question, WS, offline=True)
    assert answer.insufficient_evidence
    assert answer.evidence == [] and answer.dissent == []


def test_run_json_floor_states_the_length_term_in_this_workspace(pooled: dict[str, str]) -> None:
    floor = search_relevant(WS, "uploading research data").stats()["floor"]
    here = floor["workspace"]
    assert here["signals"] == len(pooled)
    assert here["median_words"] > FITTED.reference_words
    assert here["length_shift"] == round(FITTED.shift(here["median_words"], here["signals"]), 4) > 0.0
    assert here["min_cosine_over_background"] < floor["min_cosine_over_background"]
    assert {"length_weight", "length_taper", "length_term", "size_term", "reference_signals"} <= set(floor)
