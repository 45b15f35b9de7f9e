"""Replay of ``ask``'s citations on the relevance bench's workspace: measure a keep or ranking rule in seconds.

``python -m bench.relevance --replay [--quick]`` builds the bench workspace (:func:`bench.relevance.build`,
with a theme snapshot), records every bench and calibration question's candidates once through
:func:`agents.ask.search_pool` (features, theme, stance, label) and then *replays* what ``ask`` would
cite under each rule of :data:`RULES`: the offline answer's quotes (the dominant camp's 5 best and 5 of
the opposite camp, after the question's angle) and what an LLM answer citing the first 4 signals it is
shown would cite. Rule ``current`` takes ``search_pool``'s own order, so its bench figures are the
bench's ``ask_evidence_precision`` (quick: every 2nd question offline, every 4th for the LLM figure,
as :func:`bench.relevance.measure_ask`). The other rules re-rank or re-filter the same candidates; the
calibration questions are the development set, the bench questions the check.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from bench.relevance_data import BENCH_IN, BENCH_OFF, CALIBRATION_BANKING, CALIBRATION_OFF_BANKING


@dataclass(frozen=True)
class Candidate:
    """One scored candidate of a question, as ``ask`` saw it."""

    signal_id: str
    text: str
    cosine: float
    coverage: float
    relevance: float
    theme: str | None
    #: Cosine of the question to the candidate's theme centroid (None without a theme).
    theme_cosine: float | None
    stance: str
    signal_type: str
    on_topic: bool


@dataclass
class Question:
    """A question, its split (``bench`` or ``calibration``), its candidates and what ``ask`` kept, in order."""

    split: str
    text: str
    intents: list[str]
    candidates: list[Candidate]
    found: list[str] = field(default_factory=list)
    #: The question's content words (:func:`tools.relevance.query_terms`: framing and boilerplate dropped).
    terms: list[str] = field(default_factory=list)


#: A rule: (question) -> the relevant signals in citation order (not :func:`agents.ask.enough`: "not enough evidence").
Rule = Callable[[Question], list[Candidate]]


#: (split, question, intents it is about) of every question replayed: the bench's and the calibration's.
QUESTIONS: list[tuple[str, str, list[str]]] = [
    *(("bench", q, i) for q, i in BENCH_IN), *(("bench", q, []) for q in BENCH_OFF),
    *(("calibration", q, i) for q, i in CALIBRATION_BANKING),
    *(("calibration", q, []) for q in CALIBRATION_OFF_BANKING)]


def record(workspace: str, label: dict[str, str],
           questions: Sequence[tuple[str, str, list[str]]] = QUESTIONS) -> list[Question]:
    """Each question's candidates and kept signals, through ``agents.ask.search_pool`` (``label``: id → intent)."""
    from agents.ask import search_pool
    from agents.ask_stance import stance_of
    from memory import api
    from tools.relevance import background, query_terms, theme_centroids, theme_map

    memory = api.workspace(workspace)
    themes, centroids = theme_map(workspace), theme_centroids(workspace)
    sample = background(workspace)
    out = []
    for split, text, intents in questions:
        found, _, pool = search_pool(text, workspace)
        vector = memory.embedder.embed_query(text)
        unique = list({s.signal_id: s for s in pool}.values())
        signals = {s.id: s for s in memory.get_signals([s.signal_id for s in unique])}
        candidates = []
        for s in unique:
            signal = signals.get(s.signal_id)
            if signal is None:
                continue
            theme = themes.get(s.signal_id)
            candidates.append(Candidate(
                s.signal_id, signal.text, s.cosine, s.coverage, s.relevance, theme,
                float(centroids[theme] @ vector) if theme in centroids else None, stance_of(signal),
                signal.signal_type.value, label.get(s.signal_id) in intents))
        out.append(Question(split, text, list(intents), candidates, [e.signal.id for e in found],
                            sorted(query_terms(text, sample))))
    return out


# ------------------------------------------------------------------------------------------- rules


def current(question: Question) -> list[Candidate]:
    """What ``ask`` keeps, in its own order (floor, focus, theme-smoothed ranking)."""
    by_id = {c.signal_id: c for c in question.candidates}
    return [by_id[sid] for sid in question.found if sid in by_id]


def cluster_score(question: Question, weight: float = 0.5, lexical: float = 0.3) -> dict[str, float]:
    """:func:`tools.relevance.cluster_scores` recomputed from the recorded candidates."""
    covered: dict[str, list[float]] = {}
    for c in question.candidates:
        if c.theme is not None:
            covered.setdefault(c.theme, []).append(c.coverage)
    out = {}
    for c in question.candidates:
        if c.theme in covered and c.theme_cosine is not None:
            mean = sum(covered[c.theme]) / len(covered[c.theme])
            out[c.signal_id] = (1 - weight) * c.cosine + weight * c.theme_cosine + lexical * mean
        else:
            out[c.signal_id] = c.cosine + lexical * c.coverage
    return out


def reranked(score: Callable[[Question], dict[str, float]]) -> Rule:
    """A rule keeping what ``ask`` keeps, ordered by ``score`` (higher first)."""
    def rule(question: Question) -> list[Candidate]:
        scores = score(question)
        return sorted(current(question), key=lambda c: (-round(scores[c.signal_id], 4), -c.relevance, c.signal_id))
    return rule


def own_coverage(weight: float) -> Rule:
    """The cluster score plus ``weight`` × the hit's own coverage of the question's words."""
    def score(question: Question) -> dict[str, float]:
        base = cluster_score(question)
        return {c.signal_id: base[c.signal_id] + weight * c.coverage for c in question.candidates}
    return reranked(score)


def fused(k: int) -> Rule:
    """Reciprocal-rank fusion of the cluster-score order and the coverage order of the kept signals."""
    def score(question: Question) -> dict[str, float]:
        kept = current(question)
        base = cluster_score(question)
        dense = sorted(kept, key=lambda c: -base[c.signal_id])
        sparse = sorted(kept, key=lambda c: (-c.coverage, -c.cosine))
        out = {c.signal_id: 1 / (k + i) for i, c in enumerate(dense)}
        for i, c in enumerate(sparse):
            out[c.signal_id] += 1 / (k + i)
        return out
    return reranked(score)


def agreement_first(question: Question) -> list[Candidate]:
    """Kept signals whose coverage is at least the kept signals' median (dense and sparse agree) first."""
    kept = current(question)
    if not kept:
        return kept
    covers = sorted(c.coverage for c in kept)
    median = covers[len(covers) // 2]
    return sorted(kept, key=lambda c: not (c.coverage >= median and c.coverage > 0))


def near_best(delta: float) -> Rule:
    """Kept signals whose relevance is within ``delta`` of the question's best (the 3 best always stay)."""
    def rule(question: Question) -> list[Candidate]:
        kept = current(question)
        best = max((c.relevance for c in kept), default=0.0)
        top = {c.signal_id for c in sorted(kept, key=lambda c: -c.relevance)[:3]}
        return [c for c in kept if c.signal_id in top or c.relevance >= best - delta]
    return rule


def pool_rare_words(weight: float) -> Rule:
    """The cluster score plus ``weight`` × coverage of the question's words weighted by IDF *among the candidates*.

    A word most candidates share ("payment" for a payment question) weighs little; one that sets a few
    apart ("friend") weighs most.
    """
    from tools.relevance import FRAMING_WORDS, coverage_tokens

    def score(question: Question) -> dict[str, float]:
        tokens = [set(coverage_tokens(c.text)) for c in question.candidates]
        df = Counter(t for ts in tokens for t in ts)
        n = len(tokens)
        terms = {t: math.log((n + 1) / (df[t] + 0.5)) for t in set(coverage_tokens(question.text)) - FRAMING_WORDS
                 if df.get(t)}
        total = sum(terms.values()) or 1.0
        base = cluster_score(question)
        return {c.signal_id: base[c.signal_id] + weight * sum(w for t, w in terms.items() if t in ts) / total
                for c, ts in zip(question.candidates, tokens, strict=True)}
    return reranked(score)


# ------------------------------------------------------------------------------------------- abstention


def support(question: Question, least: int = 2) -> dict[str, bool]:
    """Whether each content word of the question occurs in at least ``least`` of its candidates.

    Hybrid search's sparse half returns the signals that carry a question's rare words, so a word absent
    from the candidates is (nearly always) absent from the workspace. A stem the light stemmer cut short
    ("clos" of "closing") also matches its form with a final e ("close").
    """
    from tools.relevance import coverage_tokens

    tokens = [set(coverage_tokens(c.text)) for c in question.candidates]
    return {t: sum(t in ts or t + "e" in ts for ts in tokens) >= least for t in question.terms}


def refloored(question: Question, shift: float) -> list[Candidate]:
    """What ``ask`` would keep, in its order, had every candidate's relevance logit been moved by ``shift``.

    Floor (:data:`tools.relevance.FITTED`), then focus (:data:`tools.relevance.FOCUS`, on the recorded
    themes), then the theme-smoothed order (:func:`cluster_score`); ``shift`` 0 gives :func:`current`
    (profile claims aside).
    """
    from tools.relevance import FITTED, FOCUS

    def moved(p: float) -> float:
        p = min(max(p, 1e-9), 1 - 1e-9)
        return 1 / (1 + math.exp(-(math.log(p / (1 - p)) + shift)))

    rel = {c.signal_id: moved(c.relevance) for c in question.candidates}
    kept = sorted((c for c in question.candidates if rel[c.signal_id] >= FITTED.floor),
                  key=lambda c: (-rel[c.signal_id], -c.cosine, c.signal_id))
    best = sorted(question.candidates, key=lambda c: (-c.cosine, c.signal_id))[:FOCUS.top]
    voters = [c.theme for c in best if c.theme is not None]
    if voters and len(voters) * 2 >= len(best):
        votes = Counter(voters)
        kept = [c for i, c in enumerate(kept) if c.theme is None or i < FOCUS.min_keep
                or votes.get(c.theme, 0) / len(best) >= FOCUS.min_vote]
    score = cluster_score(question)
    return sorted(kept, key=lambda c: (-round(score[c.signal_id], 4), -rel[c.signal_id], c.signal_id))


def support_floor(shift: float, share: float = 1.0) -> Rule:
    """Lower the floor (relevance logit + ``shift``) when at least ``share`` of the question's words are supported.

    A near miss from the same domain names something the workspace never mentions ("mortgage"); an
    answerable paraphrase uses words it has. Questions below ``share`` keep the fitted floor.
    """
    def rule(question: Question) -> list[Candidate]:
        ok = support(question)
        if not ok or sum(ok.values()) < share * len(ok):
            return current(question)
        return refloored(question, shift)
    return rule


#: The rules measured (docs/agents.md, "Citation rules replayed").
RULES: dict[str, Rule] = {
    "current": current,
    "own coverage +0.2": own_coverage(0.2),
    "rank fusion k=20": fused(20),
    "agreement first": agreement_first,
    "within 0.3 of the best": near_best(0.3),
    "rare-among-candidates words +0.1": pool_rare_words(0.1),
    "floor -0.4 logit when every word is supported": support_floor(0.4),
    "floor -0.6 logit when every word is supported": support_floor(0.6),
    "floor -0.6 logit when 3/4 of the words are supported": support_floor(0.6, 0.75),
}


# ------------------------------------------------------------------------------------------- replay


def cited(found: Sequence[Candidate], question: str,
          workspace: str | None = None) -> tuple[list[Candidate], list[Candidate]]:
    """What the offline answer cites (evidence, dissent) and what an LLM citing the 4 first shown would cite.

    The offline quotes are :func:`agents.ask.quoted`'s (fewer when the best signals span several themes, judged on
    all of ``found``) of the part :func:`agents.ask.on_question` keeps as about the question, when ``workspace``
    (holding the candidates' vectors) is given; without it there is no split.
    """
    from agents.ask import mixed, on_question, prefer_angle, quoted

    evidence = [SimpleNamespace(stance=c.stance, score=c.relevance, candidate=c, theme=c.theme, quote=c.text,
                                signal=SimpleNamespace(id=c.signal_id, text=c.text,
                                                       signal_type=SimpleNamespace(value=c.signal_type)))
                for c in found]
    ordered: list[Any] = prefer_angle(evidence, question)  # type: ignore[arg-type]
    spread = mixed(ordered)
    split = on_question(evidence, question, workspace) if workspace else None  # type: ignore[arg-type]
    about: list[Any] = prefer_angle(split.about, question) if split is not None else ordered
    _, main, against = quoted(about, spread)
    return [e.candidate for e in [*main, *against]], [e.candidate for e in ordered[:4]]  # type: ignore[attr-defined]


def shown(found: Sequence[Candidate], question: str) -> list[Candidate]:
    """The relevant signals an LLM answer is shown, in order (:func:`agents.ask.prefer_angle`, the first 30)."""
    from agents.ask import prefer_angle

    evidence = [SimpleNamespace(stance=c.stance, candidate=c, signal=SimpleNamespace(
        signal_type=SimpleNamespace(value=c.signal_type))) for c in found]
    return [e.candidate for e in prefer_angle(evidence, question)][:30]  # type: ignore[arg-type, attr-defined]


def citable(question: Question, found: Sequence[Candidate]) -> Callable[[Candidate], bool]:
    """:func:`agents.ask.citable` for ``question``'s candidates (in quoting order): may an LLM answer cite this one?"""
    from agents.ask import citable as allowed_of
    from agents.ask import prefer_angle

    evidence = [SimpleNamespace(stance=c.stance, score=c.relevance, theme=c.theme, quote=c.text, signal=SimpleNamespace(
        id=c.signal_id, signal_type=SimpleNamespace(value=c.signal_type))) for c in found]
    allowed = allowed_of(prefer_angle(evidence, question.text))  # type: ignore[arg-type]
    return lambda c: allowed is None or c.signal_id in allowed


def _mixed(found: Sequence[Candidate], question: str) -> bool:
    """:func:`agents.ask.mixed` on the candidates in quoting order (after the question's angle)."""
    from agents.ask import mixed, prefer_angle

    evidence = [SimpleNamespace(stance=c.stance, theme=c.theme, signal=SimpleNamespace(
        signal_type=SimpleNamespace(value=c.signal_type))) for c in found]
    return mixed(prefer_angle(evidence, question))  # type: ignore[arg-type]


def replay(questions: list[Question], rule: Rule, split: str, step: int = 1, llm_step: int = 1,
           signals: int = 0, workspace: str | None = None) -> dict[str, Any]:
    """Precision of what ``ask`` would cite under ``rule``, abstention, and the LLM's 4-first precision.

    A question is answered when its kept signals are :func:`agents.ask.enough` in a workspace of ``signals``;
    its offline quotes are of :func:`agents.ask.on_question`'s split when ``workspace`` is given (:func:`cited`).
    """
    from agents.ask import enough

    mine = [q for q in questions if q.split == split]
    inside = [q for q in mine if q.intents][::step]
    outside = [q for q in mine if not q.intents][::min(step, 2)]
    on = total = llm_on = llm_total = abstained_in = abstained_off = bound_on = bound_total = cut_on = cut_total = 0
    checked = Counter[str]()
    for i, q in enumerate(inside):
        found = rule(q)
        if not enough([c.relevance for c in found], signals):
            abstained_in += 1
            continue
        offline, llm = cited(found, q.text, workspace)
        on, total = on + sum(c.on_topic for c in offline), total + len(offline)
        if i % llm_step == 0:
            llm_on, llm_total = llm_on + sum(c.on_topic for c in llm), llm_total + len(llm)
            # The adopted check (agents.ask.citable) on the 4 first shown, and on every on-topic signal shown
            # (what a model citing only on-topic signals could cite).
            ok = citable(q, found)
            kept = [c for c in llm if ok(c)]
            checked.update({"kept": len(kept), "kept_on": sum(c.on_topic for c in kept),
                            "dropped": len(llm) - len(kept), "dropped_on": sum(c.on_topic for c in llm)
                            - sum(c.on_topic for c in kept), "emptied": not kept,
                            "shown_on": sum(c.on_topic for c in shown(found, q.text)),
                            "shown_on_kept": sum(c.on_topic and ok(c) for c in shown(found, q.text))})
            # Measured, not adopted: LLM citations bounded by the offline quotes when the best signals span themes.
            bounded = {c.signal_id for c in offline} if _mixed(found, q.text) else None
            cut = [c for c in llm if bounded is not None and c.signal_id not in bounded]
            bound_on, bound_total = bound_on + sum(c.on_topic for c in llm) - sum(c.on_topic for c in cut), \
                bound_total + len(llm) - len(cut)
            cut_on, cut_total = cut_on + sum(c.on_topic for c in cut), cut_total + len(cut)
    for q in outside:
        abstained_off += not enough([c.relevance for c in rule(q)], signals)
    return {"precision": round(on / max(1, total), 4), "cited": total, "off_topic": total - on,
            "llm_precision": round(llm_on / max(1, llm_total), 4),
            "llm_precision_bounded": round(bound_on / max(1, bound_total), 4),
            "llm_bounded_dropped": cut_total, "llm_bounded_dropped_on_topic": cut_on,
            "llm_precision_checked": round(checked["kept_on"] / max(1, checked["kept"]), 4),
            "llm_checked_dropped": checked["dropped"], "llm_checked_dropped_on_topic": checked["dropped_on"],
            "llm_checked_emptied": checked["emptied"],
            "llm_on_topic_kept": round(checked["kept_on"] / max(1, checked["kept_on"] + checked["dropped_on"]), 4),
            "shown_on_topic_kept": round(checked["shown_on_kept"] / max(1, checked["shown_on"]), 4),
            "false_abstention": round(abstained_in / max(1, len(inside)), 4),
            "abstention_offdomain": round(abstained_off / max(1, len(outside)), 4)}


def measure(quick: bool, rules: dict[str, Rule] | None = None) -> dict[str, Any]:
    """``--replay``: record the questions on the bench workspace once, then replay every rule."""
    from bench.common import isolated_home
    from bench.relevance import QUICK_ROWS, WORKSPACE, _labels, build
    from memory import api

    step = 2 if quick else 1
    out: dict[str, Any] = {}
    with isolated_home("relevance-replay"):
        label = _labels(WORKSPACE, build(QUICK_ROWS if quick else None))
        api.themes(WORKSPACE, refresh=True)
        questions = record(WORKSPACE, label)
        out["signals"] = len(label)
        for name, rule in (rules or RULES).items():  # on_question's split reads the workspace's vectors
            out[name] = {"bench": replay(questions, rule, "bench", step, 2 if quick else 1, len(label), WORKSPACE),
                         "calibration": replay(questions, rule, "calibration", signals=len(label),
                                               workspace=WORKSPACE)}
    return out


def ask_kept(home: str, quick: bool) -> dict[str, Any]:
    """``--ask-kept DIR``: the bench's ask keys, offline and against the scripted server, on a kept workspace.

    The first call builds the bench workspace (:func:`bench.relevance.build`, with its theme snapshot) into
    ``DIR`` and saves the labels beside it; later calls reuse it, so the full set's ``ask`` keys take about half
    a CPU-minute instead of a bench run (the run keys and the single-product companion are not measured).
    Figures are :func:`bench.relevance.measure_ask`'s, with the same scripted model and question steps.
    """
    import json
    import os
    from pathlib import Path

    from agents.ask import ask_users
    from bench.common import isolated_home
    from bench.relevance import QUICK_ROWS, WORKSPACE, _labels, build, measure_ask, off_topic_model, off_topic_pool
    from kernel.settings import get_settings
    from memory import api
    from tests.support.scripted_openai import ScriptedOpenAI

    root = Path(home)
    root.mkdir(parents=True, exist_ok=True)
    saved = root / "relevance-gold.json"
    out: dict[str, Any] = {}
    with isolated_home("relevance-kept", keep=root):
        if not saved.exists():
            gold = build(QUICK_ROWS if quick else None)
            api.themes(WORKSPACE, refresh=True)
            saved.write_text(json.dumps({"quick": quick, "gold": gold}), encoding="utf-8")
        kept = json.loads(saved.read_text(encoding="utf-8"))
        if kept["quick"] != quick:
            raise SystemExit(f"{root} holds the {'quick' if kept['quick'] else 'full'} workspace")
        label = _labels(WORKSPACE, kept["gold"])
        out["offline"] = measure_ask(label, lambda q: ask_users(q, WORKSPACE, offline=True), 2 if quick else 1)
        with ScriptedOpenAI(off_topic_model(off_topic_pool(label))) as server:
            os.environ["OPENAI_BASE_URL"] = server.base_url
            os.environ["OPENAI_API_KEY"] = server.api_key
            get_settings.cache_clear()
            out["llm"] = measure_ask(label, lambda q: ask_users(q, WORKSPACE, offline=False), 4 if quick else 1)
    return out


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.relevance_replay --ask-kept DIR [--quick]``: :func:`ask_kept`, printed as JSON."""
    import argparse
    import json
    import os

    parser = argparse.ArgumentParser(prog="python -m bench.relevance_replay", description=__doc__.splitlines()[0])
    parser.add_argument("--ask-kept", metavar="DIR", required=True,
                        help="the bench's ask keys (offline and LLM) on a workspace built once into DIR, then reused")
    parser.add_argument("--quick", action="store_true", help="the quick bench's 2,500-signal subset and steps")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    print(json.dumps(ask_kept(args.ask_kept, args.quick), indent=2))
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main())
