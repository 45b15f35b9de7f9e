"""Small fixes to how ``ask`` reads its question and renders its answer.

"What plans to add SSO" is not a which-plan question; a key phrase whose words stand two spaces apart in the
quote is rendered with one; a broad question reads only the largest themes' members, not every theme's.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from agents.ask import _WHICH
from agents.ask_overview import largest_topics
from agents.ask_summary import describe, key_points
from memory import api as memory_api
from memory.repository import WorkspaceMemory
from tests.support.banking77 import banking_workspace
from tools.citations import find_span

WS = "citefix"
INTENTS = ("card_arrival", "declined_card_payment", "exchange_rate", "terminate_account", "pin_blocked",
           "top_up_failed", "age_limit", "lost_or_stolen_card")


@pytest.mark.parametrize(("question", "who"), [
    ("What plans to add SSO?", False),
    ("What plans are there for SSO?", False),
    ("What plans do we have to fix exports?", False),
    ("Which plans include SSO?", True),
    ("What plan tiers ask for SSO?", True),
    ("What segments are asking to add SSO?", True),
    ("Which accounts are affected by the SSO bug?", True),
])
def test_a_plan_to_do_something_is_not_a_which_plan_question(question: str, who: bool) -> None:
    assert bool(_WHICH.search(question)) is who


def test_a_key_phrase_spaced_twice_in_the_quote_is_rendered_with_one_space() -> None:
    quotes = [("a", "My card was reported  lost but I found it."), ("b", "It was reported lost last week"),
              ("c", "Reported lost, then found in my coat"), ("d", "How do I change my PIN?")]
    points = key_points(quotes, "What do people say about their card?")
    assert any(p.phrase.lower() == "reported lost" for p in points), points
    for p in points:
        assert "  " not in p.phrase
        assert find_span(dict(quotes)[p.signal_id], p.phrase) is not None  # still the quote's own words
    assert "  " not in describe(points, len(quotes))


@pytest.fixture(scope="module")
def themed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    with banking_workspace(tmp_path_factory.mktemp("citefix"), WS, INTENTS, 20, prefix="C", themes=True) as label:
        yield label


def _reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every signal id ``WorkspaceMemory.get_signals`` is asked for from now on (the real method still runs)."""
    asked: list[str] = []
    real = WorkspaceMemory.get_signals

    def counting(self: WorkspaceMemory, ids: Sequence[str], *args: Any, **kwargs: Any) -> Any:
        asked.extend(ids)
        return real(self, ids, *args, **kwargs)

    monkeypatch.setattr(WorkspaceMemory, "get_signals", counting)
    return asked


@pytest.mark.parametrize("angle", ["problem", "any"])
def test_a_broad_question_reads_only_the_themes_it_names(themed: dict[str, str], angle: str,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    report = memory_api.workspace(WS).load_themes()
    assert report is not None and len(report.themes) >= 4
    everything = largest_topics(WS, limit=len(report.themes), angle=angle)  # type: ignore[arg-type]
    assert everything
    asked = _reads(monkeypatch)
    first = largest_topics(WS, limit=1, angle=angle)  # type: ignore[arg-type]
    assert first == everything[:1]  # the same answer as reading every theme
    # Only the themes as large as the one named (ties are read together) are read, not every theme's members.
    size = first[0].size
    read = {t.id for t in report.themes if t.size >= size}
    allowed = {m.signal_id for t in report.themes if t.id in read for m in t.members}
    allowed |= {q.signal_id for t in report.themes if t.id in read for q in t.quotes}
    assert set(asked) <= allowed
    assert len(set(asked)) < sum(len(t.members) for t in report.themes) / 2

