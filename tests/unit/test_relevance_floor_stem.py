"""The stemmer folds a final silent e, so an inflection meets its base in coverage and in sparse search."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from memory.sparse import _stem_v1, doc_sparse, query_sparse, stem, term_id
from memory.store.base import CollectionSpec, Filter, Point, SparseVector
from memory.store.edge import EdgeStore
from tools.relevance import Background, coverage, query_terms


@pytest.mark.parametrize("forms", [
    ("close", "closes", "closed", "closing"),
    ("charge", "charges", "charged", "charging"),
    ("price", "prices", "pricing"),
    ("update", "updates", "updated", "updating"),
    ("receive", "received", "receiving"),
    ("issue", "issues", "issued"),
])
def test_inflections_share_one_stem(forms: tuple[str, ...]) -> None:
    assert len({stem(w) for w in forms}) == 1, {w: stem(w) for w in forms}


def test_short_words_and_double_e_are_not_folded() -> None:
    # A four-letter word keeps its e ("note" is not "not", "rate" is not "rat"); "free" keeps "ee".
    assert stem("note") == "note" and stem("rate") == "rate" and stem("free") == "free" and stem("fee") == "fee"
    assert stem("notes") == "note" and stem("rating") == "rate"


def test_coverage_counts_an_inflection_of_the_question_word() -> None:
    texts = ["How do I close my account?", "I want to close my account now", "Top up failed twice",
             "Where is my new card?", "The exchange rate is bad", "My card was declined"] * 4
    sample = Background.of(texts, np.zeros((len(texts), 4), dtype=np.float32))
    terms = query_terms("Why are customers closing their account?", sample)
    assert coverage(terms, "I want to close my account") == pytest.approx(1.0)
    assert coverage(terms, "My card was declined") == 0.0


def test_a_workspace_indexed_with_version_1_tokens_still_matches(tmp_path: Path) -> None:
    # Sparse vectors stored before the fold carry "close" whole; the query emits both versions' tokens.
    old = [_stem_v1(w) for w in ("close", "account")]
    assert old == ["close", "account"]
    store = EdgeStore(tmp_path / "store")
    try:
        store.ensure_collection(CollectionSpec(name="things", dim=2, keyword_fields=("workspace",)))
        v1 = SparseVector(indices=sorted({term_id(t) for t in old}), values=[1.0] * len(set(old)))
        store.upsert("things", [Point(id="00000000-0000-0000-0000-000000000001", vector=[1.0, 0.0],
                                      payload={"workspace": "w", "text": "close account"}, sparse=v1),
                                Point(id="00000000-0000-0000-0000-000000000002", vector=[0.0, 1.0],
                                      payload={"workspace": "w", "text": "closing account"},
                                      sparse=doc_sparse("closing account"))])
        hits = store.search("things", None, Filter(), 5, sparse=query_sparse("close"))
        assert {h.payload["text"] for h in hits} == {"close account", "closing account"}
    finally:
        store.close()
