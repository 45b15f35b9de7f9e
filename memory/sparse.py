"""BM25-style sparse vectors for the keyword half of hybrid search.

Documents carry the BM25 term-frequency part (saturation ``k1``, length normalisation ``b``
against a fixed average length); the IDF part is applied by Qdrant's ``IDF`` modifier on the
sparse vector, computed over the collection at query time. Term ids are a stable hash
(``crc32 mod 2**31``), so no vocabulary has to be stored or shared between processes. Tokens are
lightly stemmed with a final silent e folded (:data:`TOKENS_VERSION` 2: "close" and "closing" are one
term); queries also carry version 1's tokens, so vectors stored before still match without a re-index.
"""

from __future__ import annotations

import re
import zlib
from collections import Counter
from functools import lru_cache

from kernel.text import STOPWORDS
from memory.store.base import SparseVector

K1 = 1.2
B = 0.75
#: Typical length (tokens after stopwords) of a stored signal chunk: tickets, reviews, turns.
AVG_DOC_LEN = 40.0

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)


#: Suffixes stripped by the light stemmer, longest first, with the minimum stem length kept.
_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("ational", "ate"),
    ("ization", "ize"),
    ("fulness", "ful"),
    ("iveness", "ive"),
    ("ousness", "ous"),
    ("ations", "ate"),
    ("ation", "ate"),
    ("ments", ""),
    ("ment", ""),
    ("ness", ""),
    ("ings", ""),
    ("ing", ""),
    ("ies", "y"),
    ("ied", "y"),
    ("edly", ""),
    ("ly", ""),
    ("ed", ""),
    ("es", ""),
    ("s", ""),
)
_MIN_STEM = 3


#: Shortest stem whose final silent e is folded ("close" → "clos", so "closing", "closed" match it).
_MIN_FOLD = 5
#: Version of the token scheme stored in sparse vectors: 2 folds a final silent e. Queries also emit
#: version 1's token of each word (:func:`query_sparse`), so workspaces indexed before keep matching.
TOKENS_VERSION = 2


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Strip one common English suffix and fold a final silent e.

    "crashes" → "crash", "exporting" → "export"; "close", "closes", "closed" and "closing" all give "clos",
    "charge" and "charged" "charg" (version 1 left "close" and "charge" whole: an inflection never met its base).
    """
    base = _stem_v1(word)
    if len(base) >= _MIN_FOLD and base.endswith("e") and not base.endswith("ee"):
        return base[:-1]
    return base


@lru_cache(maxsize=65536)
def _stem_v1(word: str) -> str:
    """Version 1 of :func:`stem`: one suffix stripped, no folding (the tokens of sparse vectors stored before)."""
    if len(word) <= _MIN_STEM + 1 or word.endswith(("ss", "us", "is")):
        return word
    for suffix, replacement in _SUFFIXES:
        if word.endswith(suffix):
            base = word[: -len(suffix)] + replacement
            if len(base) >= _MIN_STEM:
                if suffix in ("ing", "ed", "ings") and len(base) > 3 and base[-1] == base[-2] and base[-1] not in "lsz":
                    base = base[:-1]  # "stopped" → "stop", "running" → "run"
                elif suffix in ("ing", "ed", "ings") and base.endswith(("c", "v", "iz", "at", "ur")):
                    base += "e"  # "pricing" → "price", "updated" → "update"
                if suffix == "es" and not base.endswith(("sh", "ch", "x", "z", "s", "o")):
                    base = word[:-1]  # "crashes" → "crash" but "features" → "feature"
                return base
            return word
    return word


def _words(text: str) -> list[str]:
    """Lowercased unicode words without English stopwords (possessives and contractions cut)."""
    words: list[str] = []
    for match in _WORD.finditer(text.lower()):
        word = match.group().replace("’", "'")
        if word in STOPWORDS:
            continue
        word = word.split("'", 1)[0]
        if len(word) < 2 or word in STOPWORDS:
            continue
        words.append(word)
    return words


def tokenize(text: str) -> list[str]:
    """Lowercased unicode words without English stopwords, lightly stemmed."""
    return [stem(word) for word in _words(text)]


def term_id(token: str) -> int:
    """Stable term id of a token (same in every process and backend)."""
    return zlib.crc32(token.encode("utf-8")) % (2**31)


def _vector(weights: dict[int, float]) -> SparseVector:
    indices = sorted(weights)
    return SparseVector(indices=indices, values=[float(weights[i]) for i in indices])


def doc_sparse(text: str) -> SparseVector:
    """Sparse vector of a document: BM25 saturated term frequency per term."""
    tokens = tokenize(text)
    if not tokens:
        return SparseVector(indices=[], values=[])
    norm = K1 * (1 - B + B * len(tokens) / AVG_DOC_LEN)
    weights: dict[int, float] = {}
    for token, tf in Counter(tokens).items():
        tid = term_id(token)
        weights[tid] = weights.get(tid, 0.0) + tf * (K1 + 1) / (tf + norm)
    return _vector(weights)


def query_sparse(text: str) -> SparseVector:
    """Sparse vector of a query: weight 1 per distinct term (IDF is applied by the engine).

    Each word gives its token and, where it differs, its :data:`TOKENS_VERSION` 1 token ("close" gives "clos"
    and "close"), so documents indexed before the final e was folded still match; a term no document holds
    adds nothing.
    """
    words = _words(text)
    tokens = {stem(w) for w in words} | {_stem_v1(w) for w in words}
    return _vector({term_id(token): 1.0 for token in tokens})
