"""The stemmer never cuts a base word's final e: an inflection gets it back instead.

Version 2 cut the e of every base word of 5+ letters, which merged different words (quite/quit, paste/past,
stripe/strip, plane/plan, unite/unit, state/stat, and theme into the stopword "them"). Version 3 keeps the
base whole and restores the e on an inflection whose stem is a known word only with it.
"""

from __future__ import annotations

import numpy as np
import pytest

from memory.sparse import _stem_v1, doc_sparse, query_sparse, stem, tokenize
from tools.relevance import Background, coverage, query_terms


@pytest.mark.parametrize(("base", "other"), [
    ("quite", "quit"), ("paste", "past"), ("stripe", "strip"), ("plane", "plan"), ("unite", "unit"),
    ("state", "stat"), ("theme", "them"),
])
def test_a_base_word_keeps_its_final_e(base: str, other: str) -> None:
    assert stem(base) == base
    assert tokenize(base) == [base]  # "theme" is not the stopword "them"
    assert stem(base) != stem(other)


@pytest.mark.parametrize("forms", [
    ("close", "closes", "closed", "closing"),
    ("charge", "charges", "charged", "charging"),
    ("change", "changes", "changed", "changing"),
    ("manage", "manages", "managed", "managing"),
    ("cause", "causes", "caused"),
])
def test_an_inflection_meets_its_base(forms: tuple[str, ...]) -> None:
    assert {stem(w) for w in forms} == {forms[0]}


def test_inflections_without_a_silent_e_keep_version_1_stems() -> None:
    for word in ("testing", "tested", "posting", "crashes", "stopped", "planning", "quitting", "matches"):
        assert stem(word) == _stem_v1(word), word


def test_an_intensifier_does_not_cover_a_question_about_quitting() -> None:
    texts = ["The app is quite good", "Quite slow to load", "My card was declined", "Top up failed twice",
             "The exchange rate is bad", "Where is my new card?"] * 4
    sample = Background.of(texts, np.zeros((len(texts), 4), dtype=np.float32))
    assert coverage(query_terms("Why does the app keep quitting?", sample), "Quite slow to load") == 0.0
    assert coverage(query_terms("Do users want copy paste?", sample), "It failed twice in the past month") == 0.0
    assert not set(query_sparse("Stripe").indices) & set(doc_sparse("strip the formatting").indices)
