"""Topic naming remembers each quote's candidate phrases; a name never depends on what was named before it."""

from __future__ import annotations

from tools import topics
from tools.topics import name_topic, proper_nouns

QUOTES = ["Dropbox sync fails every morning", "my Dropbox sync fails again and again", "Dropbox sync fails on wifi"]
OTHERS = ["dark mode please, the white screen hurts", "please add a dark mode for night reading"]
GOALS = ["Should we fix sync before dark mode?", "Should we fix Dropbox sync before dark mode?"]


def _fresh(quotes: list[str], goal: str, others: list[str]) -> str:
    topics._keyed_grams.cache_clear()
    topics._text_proper_nouns.cache_clear()
    return name_topic(quotes, goal, others)


def test_a_name_is_the_same_whatever_was_named_before() -> None:
    calls = [(QUOTES, goal, others) for goal in GOALS for others in (OTHERS, [], ["I moved to Dropbox"])]
    calls += [(OTHERS, goal, QUOTES) for goal in GOALS]
    expected = [_fresh(*call) for call in calls]
    # The goal's words decide whether a brand may name the topic: the cache must not carry one goal's phrases over.
    assert "dropbox" not in expected[0] and "dropbox" in expected[3]
    for order in (list(range(len(calls))), list(range(len(calls)))[::-1]):
        topics._keyed_grams.cache_clear()
        topics._text_proper_nouns.cache_clear()
        named = {i: name_topic(*calls[i]) for i in order}
        assert [named[i] for i in range(len(calls))] == expected
    assert topics._keyed_grams.cache_info().hits > 0


def test_proper_nouns_are_the_union_of_each_texts() -> None:
    texts = ["Dropbox sync fails", "I moved to Dropbox and Notion", "The ATM kept my card"]
    assert proper_nouns(texts) == {"dropbox", "notion"}
    assert proper_nouns(texts[:1]) == set()  # opening a sentence only: not known as a brand from this text alone
