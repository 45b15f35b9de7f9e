"""Relevance of stored signals to a research question: a calibrated floor over dense and sparse scores.

Every candidate that retrieval returns for a question (hybrid search) gets two features:

* **dense excess** — its MiniLM cosine to the question minus the *background* cosine, the 10th
  percentile of the question's cosines to a fixed sample of the workspace (:data:`BACKGROUND_SIZE`
  signals; a low quantile, so a small workspace mostly about the question does not raise its own bar). Raw
  cosines depend on the corpus (short support messages sit closer to a question than long reviews);
  the excess over the workspace's own background transfers between corpora much better;
* **sparse coverage** — the share of the question's IDF mass (its content words, question framing
  such as "what do users say" removed) that occurs in the signal, with document frequencies taken
  from the same background sample, so a word the workspace never uses weighs most.

A logistic model turns them into the probability that the signal is about the question; only
signals at or above :data:`FITTED`'s ``floor`` are kept. The constants were fitted by
``python -m bench.relevance --fit`` (see that module and ``docs/agents.md``): questions written in
plain words about BANKING77 intents and about single backlogs of the user-stories set, each
candidate labelled relevant iff its intent (backlog) is one the question is about, fitted on both
corpora pooled, the floor chosen by leave-questions-out cross-validation as the lowest probability
that still leaves >= 95 % of the off-domain calibration questions with fewer than 3 relevant signals.
A question whose relevant evidence is thinner than the caller's minimum is answered with
"not enough evidence" by the caller (``agents.ask``, the researcher's warnings).
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from kernel.schemas import SearchHit, SignalKind
from memory import api as memory_api
from memory.sparse import tokenize

#: Signals whose cosines to a question form its background distribution.
BACKGROUND_SIZE = 512
#: Quantile of the question's cosines to the background sample taken as its base line: a low one, so a
#: workspace mostly about the question (a small, focused one) does not raise its own bar.
BACKGROUND_QUANTILE = 0.1
#: Candidates hybrid search returns before the floor is applied.
CANDIDATES = 60

#: Words that frame a question rather than name its topic ("what do our users say about …").
FRAMING_WORDS = frozenset(tokenize(
    "what which who how why when where do does did say says said saying tell think thinks feel feels felt "
    "user users customer customers client clients people person someone anyone our we us you they "
    "feedback complaint complaints complain opinion opinions mention mentions report reports experience "
    "want wants need needs like likes request requests ask asks asking problem problems issue issues "
    "app product service feature features evidence signal signals about regarding around"
))


@dataclass(frozen=True)
class RelevanceModel:
    """Logistic relevance model: P(relevant) = σ(dense·excess + sparse·coverage + bias), kept at ≥ floor."""

    dense: float
    sparse: float
    bias: float
    floor: float
    fitted_on: str = ""

    def probability(self, excess: float, coverage: float) -> float:
        """The probability that a signal with these features is about the question."""
        z = self.dense * excess + self.sparse * coverage + self.bias
        return 1.0 / (1.0 + math.exp(-max(-40.0, min(40.0, z))))

    def min_excess(self, coverage: float = 0.0) -> float:
        """The dense excess at which a signal with ``coverage`` reaches the floor (for reports)."""
        logit = math.log(self.floor / (1.0 - self.floor))
        return (logit - self.bias - self.sparse * coverage) / self.dense

    def describe(self) -> dict[str, Any]:
        """The floor as data (``run.json``'s ``research[].floor``)."""
        return {"probability": self.floor, "dense_weight": self.dense, "sparse_weight": self.sparse,
                "bias": self.bias, "min_cosine_over_background": round(self.min_excess(), 3),
                "fitted_on": self.fitted_on}


#: Fitted by ``python -m bench.relevance --fit`` (MiniLM-L6-v2 vectors); refit when the embedder changes.
#: Cross-validated at the floor: precision 0.712, recall 0.831 over 5,247 labelled candidates of 73 questions
#: (strict labels: a neighbouring intent counts as off topic); off-domain abstention 1.0, in-domain 0.018.
FITTED = RelevanceModel(dense=9.75, sparse=0.96, bias=-5.39, floor=0.4,
                        fitted_on="banking77 train (60 questions) + user-stories (13 questions), 2026-12-03")


@dataclass
class Background:
    """A workspace's background sample: vectors (for the mean cosine) and document frequencies."""

    vectors: np.ndarray
    df: Counter[str] = field(default_factory=Counter)

    @classmethod
    def of(cls, texts: Sequence[str], vectors: np.ndarray) -> Background:
        """Background of a sample of texts and their vectors."""
        df: Counter[str] = Counter()
        for text in texts:
            df.update(set(tokenize(text)))
        return cls(vectors=np.asarray(vectors, dtype=np.float32), df=df)

    @property
    def size(self) -> int:
        """Signals in the sample."""
        return int(self.vectors.shape[0])

    def base_cosine(self, query_vector: np.ndarray) -> float:
        """The :data:`BACKGROUND_QUANTILE` quantile of the query's cosines to the sample (0 for an empty sample)."""
        if not self.size:
            return 0.0
        return float(np.quantile(self.vectors @ np.asarray(query_vector, dtype=np.float32), BACKGROUND_QUANTILE))

    def idf(self, token: str) -> float:
        """Smoothed inverse document frequency of a token in the sample."""
        return math.log((self.size + 1) / (self.df.get(token, 0) + 0.5))


def query_terms(query: str, background: Background) -> dict[str, float]:
    """The question's content words with their IDF weights (framing words dropped unless nothing is left)."""
    words = set(tokenize(query))
    content = words - FRAMING_WORDS or words
    return {t: max(background.idf(t), 0.0) for t in content}


def coverage(terms: dict[str, float], text: str) -> float:
    """Share of the question's IDF mass that occurs in ``text`` (0..1)."""
    total = sum(terms.values())
    if total <= 0:
        return 0.0
    present = set(tokenize(text))
    return sum(w for t, w in terms.items() if t in present) / total


@dataclass(frozen=True)
class Scored:
    """One candidate's relevance to a question."""

    signal_id: str
    cosine: float
    excess: float
    coverage: float
    relevance: float


def score(query: str, query_vector: np.ndarray, items: Sequence[tuple[str, str, np.ndarray]],
          background: Background, model: RelevanceModel = FITTED) -> list[Scored]:
    """Relevance of each ``(signal_id, text, vector)`` to the question, in the order given."""
    base = background.base_cosine(query_vector)
    terms = query_terms(query, background)
    q = np.asarray(query_vector, dtype=np.float32)
    out = []
    for sid, text, vector in items:
        cos = float(np.asarray(vector, dtype=np.float32) @ q)
        cov = coverage(terms, text)
        out.append(Scored(sid, round(cos, 4), round(cos - base, 4), round(cov, 4),
                          round(model.probability(cos - base, cov), 4)))
    return out


# ------------------------------------------------------------------------------------------- store

_BACKGROUNDS: dict[tuple[str, str, int], Background] = {}
_LOCK = threading.Lock()


def background(workspace: str) -> Background:
    """The workspace's background sample (cached per process while the signal count is unchanged)."""
    memory = memory_api.workspace(workspace)
    key = (workspace, memory.embedder.name, memory.count())
    with _LOCK:
        cached = _BACKGROUNDS.get(key)
    if cached is not None:
        return cached
    texts, vectors = memory.sample_signals(BACKGROUND_SIZE)
    found = Background.of(texts, vectors)
    with _LOCK:
        for stale in [k for k in _BACKGROUNDS if k[0] == workspace]:
            del _BACKGROUNDS[stale]
        if len(_BACKGROUNDS) > 64:
            _BACKGROUNDS.clear()
        _BACKGROUNDS[key] = found
    return found


@dataclass
class Retrieval:
    """What one relevance-filtered search found: kept hits (best first) and how many were searched."""

    query: str
    searched: int
    kept: list[tuple[SearchHit, Scored]]
    dropped: list[tuple[SearchHit, Scored]]
    model: RelevanceModel = FITTED

    def stats(self) -> dict[str, Any]:
        """``{searched, kept, floor}`` for run.json."""
        return {"searched": self.searched, "kept": len(self.kept), "floor": self.model.describe()}


def score_signals(workspace: str, query: str, signals: Sequence[tuple[str, str]], *,
                  query_vector: np.ndarray | None = None, model: RelevanceModel = FITTED) -> list[Scored]:
    """Relevance of stored signals ``(signal_id, text)`` of ``workspace`` to ``query`` (unknown ids are skipped)."""
    if not signals:
        return []
    memory = memory_api.workspace(workspace)
    vector = memory.embedder.embed_query(query) if query_vector is None else query_vector
    vectors = memory.signal_vectors([sid for sid, _ in signals])
    items = [(sid, text, vectors[sid]) for sid, text in signals if sid in vectors]
    return score(query, vector, items, background(workspace), model)


#: The signal kind that records behaviour (an event count), never a person's words.
UNQUOTABLE_KIND = SignalKind.USAGE


def search_relevant(workspace: str, query: str, *, segment: str | None = None, account_id: str | None = None,
                    kind: str | None = None, candidates: int = CANDIDATES, limit: int | None = None,
                    model: RelevanceModel = FITTED) -> Retrieval:
    """Hybrid search for ``query``, then only the candidates at or above the relevance floor, best first.

    Usage events are behaviour, not something a person said: they feed counts and adoption figures,
    never quotes, so they are not candidates unless ``kind="usage"`` asks for them explicitly.
    """
    hits = memory_api.search(query, workspace, segment=segment, account_id=account_id, kind=kind,
                             limit=max(1, min(int(candidates), 200)))
    if kind != UNQUOTABLE_KIND:
        hits = [h for h in hits if h.kind != UNQUOTABLE_KIND]
    scored = {s.signal_id: s for s in score_signals(workspace, query, [(h.signal_id, h.text) for h in hits],
                                                       model=model)}
    pairs = [(h, scored[h.signal_id]) for h in hits if h.signal_id in scored]
    pairs.sort(key=lambda p: (-p[1].relevance, -p[1].cosine, p[0].signal_id))
    kept = [p for p in pairs if p[1].relevance >= model.floor]
    dropped = [p for p in pairs if p[1].relevance < model.floor]
    return Retrieval(query=query, searched=len(hits), kept=kept[:limit] if limit else kept, dropped=dropped,
                     model=model)
