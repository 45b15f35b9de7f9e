"""Relevance of evidence and abstention on BANKING77 train, offline and against the scripted LLM server.

A workspace is built from BANKING77 training texts (a random 2,500-row subset with ``--quick``,
all 10,003 otherwise; vectors from the bench cache). Every signal's intent is known from its
external id, so a cited signal is *on topic* iff its intent is one the question is about
(:mod:`bench.relevance_data`, questions written by hand, never naming an intent).

* ``ask_evidence_precision``: share of the evidence and dissent that ``ask`` cites for the 32
  in-domain questions that is on topic;
* ``ask_abstention_offdomain``: share of the 12 off-domain questions (half near misses: other banking
  products) answered ``insufficient_evidence``;
* ``ask_false_abstention``: share of the in-domain questions answered ``insufficient_evidence``;
* ``run_evidence_recall``: share of the goals' intents' signals that the documents cite or count (reported, no goal);
* ``run_evidence_precision``: share of the evidence the documents of 5 offline ``run`` goals cite
  that is on topic (the off-topic goal's run must cite nothing; reported as a companion).

The full run adds the companion ``relevance_single_product``: false abstention, off-domain abstention and cited
precision of ``ask`` on each backlog of :mod:`bench.relevance_products` ingested alone (tuning and held-out
backlogs reported apart; ``python -m bench.relevance --products`` prints it per question).

``*_llm`` keys measure the same in LLM mode against the scripted OpenAI-compatible server, whose
model cites real but off-topic signals next to the ones it was shown (they must be dropped).
``--quick`` measures every 2nd in-domain and off-domain question and 3 goals offline, every 4th
in-domain question, every 2nd off-domain one and 2 goals in LLM mode (each plus the off-topic goal).

``python -m bench.relevance --fit`` refits :data:`tools.relevance.FITTED` on the calibration
questions (BANKING77 and user-stories, disjoint from the measured ones) and prints the constants.
``python -m bench.relevance --heldout`` runs the held-out check of :mod:`bench.relevance_heldout`
(promise-nfr and user-stories). ``python -m bench.relevance --replay [--quick]`` records the bench and
calibration questions' candidates once and replays what ``ask`` would cite under each citation rule of
:mod:`bench.relevance_replay` (seconds per rule instead of a bench run). ``python -m bench.relevance --focus``
measures the focus stage (:data:`tools.relevance.FOCUS`) at several ``min_vote`` values on two BANKING77
subsets: chosen on the calibration questions, reported held out on the bench questions.
Abstention rules (whether a question's evidence passes the floor) are replayed by :mod:`bench.relevance_floor`.
"""

from __future__ import annotations

import argparse
import csv
import glob
import json
import math
import os
import random
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import BANKING77_TRAIN, Results, isolated_home
from bench.relevance_data import (
    BENCH_GOALS,
    BENCH_IN,
    BENCH_OFF,
    BENCH_OFF_GOAL,
    CALIBRATION_BANKING,
    CALIBRATION_OFF_BANKING,
    CALIBRATION_OFF_STORIES,
    CALIBRATION_STORIES,
)

WORKSPACE = "relevance"
QUICK_ROWS = 2500
#: Goals run with ``--quick`` offline and in LLM mode (plus the off-topic one); all of them otherwise.
QUICK_GOALS = 3
QUICK_LLM_GOALS = 2
USER_STORIES = BANKING77_TRAIN.parents[1] / "user-stories"


# ------------------------------------------------------------------------------------------- workspace


def _subset(rows: int | None) -> list[int]:
    from bench.datasets import banking77

    texts, _ = banking77()
    indices = list(range(len(texts)))
    if rows is None or rows >= len(texts):
        return indices
    return sorted(random.Random(14).sample(indices, rows))


def build(rows: int | None) -> dict[str, str]:
    """Ingest BANKING77 texts into :data:`WORKSPACE` of the current home; external id → intent."""
    from bench.datasets import CachedMiniLM, banking77, minilm_vectors
    from kernel.settings import get_settings
    from memory.ingest.pipeline import ingest_files
    from memory.repository import MemoryStore
    from memory.store import open_store

    texts, labels = banking77()
    chosen = _subset(rows)
    settings = get_settings()
    settings.ensure_home()
    embedder = CachedMiniLM(texts, minilm_vectors(texts))
    memory = MemoryStore(open_store(settings), embedder)
    gold: dict[str, str] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="pmpilot-bench-relevance-") as tmp:
            path = Path(tmp) / "tickets.csv"
            rng = random.Random(5)
            with path.open("w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow(["id", "created_at", "user_id", "text"])
                for i in chosen:
                    writer.writerow([f"B-{i}", f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}", f"u{rng.randrange(600)}",
                                     texts[i]])
                    gold[f"B-{i}"] = labels[i]
            ingest_files(memory.workspace(WORKSPACE), [path], kind="ticket")
    finally:
        memory.close()
    embedder.save()
    return gold


def _labels(workspace: str, gold: dict[str, str]) -> dict[str, str]:
    """Signal id → intent of every stored signal."""
    from memory import api

    return {s.id: gold[s.external_id] for s, _ in api.workspace(workspace).iter_signals() if s.external_id in gold}


# ------------------------------------------------------------------------------------------- measures


def measure_ask(label: dict[str, str], ask: Callable[[str], Any], step: int = 1) -> dict[str, Any]:
    """Precision, off-domain abstention and false abstention of ``ask`` over every ``step``-th bench question."""
    inside, outside = BENCH_IN[::step], BENCH_OFF[::min(step, 2)]
    on = cited = false_abstain = 0
    details = []
    for question, intents in inside:
        answer = ask(question)
        ids = [c.signal_id for c in [*answer.evidence, *answer.dissent]]
        good = sum(1 for sid in ids if label.get(sid) in intents)
        on, cited = on + good, cited + len(ids)
        false_abstain += int(answer.insufficient_evidence)
        details.append({"q": question[:60], "abstained": answer.insufficient_evidence, "cited": len(ids),
                        "on_topic": good, "confidence": answer.confidence})
    abstained = 0
    quotes_when_abstaining = 0
    for question in outside:
        answer = ask(question)
        abstained += int(answer.insufficient_evidence)
        quotes_when_abstaining += len(answer.evidence) + len(answer.dissent) if answer.insufficient_evidence else 0
        details.append({"q": question[:60], "abstained": answer.insufficient_evidence, "off_domain": True})
    return {"precision": on / cited if cited else 1.0, "cited": cited,
            "abstention_offdomain": abstained / len(outside), "false_abstention": false_abstain / len(inside),
            "questions": (len(inside), len(outside)),
            "quotes_when_abstaining": quotes_when_abstaining, "details": details}


def measure_runs(label: dict[str, str], offline: bool, goals: int | None = None) -> dict[str, Any]:
    """Evidence precision of the documents of the bench goals, and what the off-topic goal produced."""
    from agents.runner import run_goal

    on = cited = found = wanted = 0
    per_goal = []
    for goal, intents in BENCH_GOALS[:goals]:
        record = run_goal(goal, WORKSPACE, deliverables=["requirements", "brief"], offline=offline)
        ids = _cited_ids(record)
        good = sum(1 for sid in ids if label.get(sid) in intents)
        on, cited = on + good, cited + len(ids)
        # Recall: the goal's intents' signals the documents cite or count (a topic's evidence, its RICE reach).
        used = set(ids) | _counted_ids(record["run_id"])
        hits = sum(1 for sid in used if label.get(sid) in intents)
        total = sum(1 for v in label.values() if v in intents)
        found, wanted = found + hits, wanted + total
        per_goal.append({"goal": goal[:60], "cited": len(ids), "on_topic": good, "counted": len(used),
                         "counted_on_topic": hits, "intent_signals": total})
    record = run_goal(BENCH_OFF_GOAL, WORKSPACE, deliverables=["requirements"], offline=offline)
    off_ids = _cited_ids(record)
    stories = sum(len(_artifact(a).get("stories") or []) for a in record.get("artifacts") or [])
    return {"precision": on / cited if cited else 1.0, "cited": cited, "per_goal": per_goal,
            "recall": found / wanted if wanted else 1.0, "found": found, "wanted": wanted,
            "off_goal": {"cited": len(off_ids), "stories": stories, "warnings": record.get("warnings") or [],
                         "status": record.get("status")}}


def _runs_or_error(label: dict[str, str], offline: bool, goals: int | None) -> dict[str, Any]:
    """:func:`measure_runs`, or ``{"error"}`` when the run stack fails (the ask keys are still reported)."""
    try:
        return measure_runs(label, offline=offline, goals=goals)
    except Exception as exc:  # noqa: BLE001 - reported as the run keys' note, with the ask keys beside it
        traceback.print_exc()
        return {"error": f"{type(exc).__name__}: {exc}"}


def _counted_ids(run_id: str) -> set[str]:
    """The signals a run's scored topics count (their evidence), read from the run's checkpointed state."""
    from agents.checkpoint import open_checkpointer
    from agents.graph import builder
    from kernel.settings import get_settings

    with open_checkpointer(get_settings()) as saver:
        values = builder.compile(checkpointer=saver).get_state({"configurable": {"thread_id": run_id}}).values
    topics = ((values or {}).get("scores") or {}).get("topics") or []
    return {sid for topic in topics for sid in topic.get("signal_ids") or []}


def _artifact(ref: dict[str, Any]) -> dict[str, Any]:
    return dict(json.loads(Path(ref["path_json"]).read_text(encoding="utf-8")))


def _cited_ids(record: dict[str, Any]) -> list[str]:
    ids: list[str] = []
    for ref in record.get("artifacts") or []:
        ids.extend(e["signal_id"] for e in _artifact(ref).get("evidence") or [])
    return ids


# ------------------------------------------------------------------------------------------- LLM


def off_topic_pool(label: dict[str, str]) -> list[tuple[str, str]]:
    """Three stored signals (id, text) about none of the bench questions' intents: the off-topic citations."""
    from memory import api

    relevant = {i for _, intents in [*BENCH_IN, *BENCH_GOALS] for i in intents}
    return sorted((s.id, s.text) for s, _ in api.workspace(WORKSPACE).iter_signals()
                  if label.get(s.id) not in relevant and len(s.text) > 30)[:3]


def off_topic_model(pool: list[tuple[str, str]]) -> Any:
    """The scripted model: plausible answers that also cite real signals about something else.

    ``pool`` holds (signal id, text) of stored signals unrelated to the bench questions; the model
    searches for an unrelated topic in its tool round and cites those results and pool signals
    next to the evidence it was shown.
    """
    from tests.integration.test_run_llm import PlausibleModel, data_block, opening_words

    class OffTopic(PlausibleModel):
        def __call__(self, request: Any) -> Any:
            from tests.support.scripted_openai import ScriptedReply

            if self.kind(request) == "AskDraft":
                return ScriptedReply(structured=self.ask(request))
            return super().__call__(request)

        def plan(self, request: Any) -> dict[str, Any]:
            goal = data_block(request.text, "goal") or ""
            return {"deliverables": ["requirements", "brief"], "audience": "exec",
                    "questions": [{"question": f"What do customers report about: {goal}", "query": goal}],
                    "options": []}

        def tool_round(self, request: Any) -> Any:
            from tests.support.scripted_openai import ScriptedReply

            return ScriptedReply(tool_calls=[{"name": "search_memory",
                                              "arguments": {"query": "exchange rate top up limits", "limit": 5}}])

        def findings(self, request: Any) -> dict[str, Any]:
            shown = self.signals(request)
            ids = list(shown)
            tool_ids = ids[-3:]  # the tool round's (off-topic) results come last
            cited = list(dict.fromkeys(ids[:3] + tool_ids))
            extra = [{"signal_id": sid, "quote": opening_words(text)} for sid, text in pool[:2]]
            return {"summary": "Findings.", "citations": [{"signal_id": s, "quote": opening_words(shown[s])}
                                                          for s in cited] + extra}

        def cited(self, ids: list[str], shown: dict[str, str]) -> list[str]:
            return [*super().cited(ids, shown), *(sid for sid, _ in pool[:2])]

        def ask(self, request: Any) -> dict[str, Any]:
            import re

            shown = dict(re.findall(r'<signal id="([^"]+)"[^>]*>(.*?)</signal>', request.text, re.DOTALL))
            evidence = [{"signal_id": sid, "quote": opening_words(text)} for sid, text in list(shown.items())[:4]]
            evidence += [{"signal_id": sid, "quote": opening_words(text)} for sid, text in pool[:3]]
            return {"answer": "Users describe this clearly.", "evidence": evidence, "dissent": [],
                    "insufficient_evidence": False}

    return OffTopic()


# ------------------------------------------------------------------------------------------- section


def run(results: Results, quick: bool) -> None:
    """Build the workspace, then measure ask and run offline and against the scripted server."""
    from agents.ask import ask_users
    from kernel.settings import get_settings
    from memory import api
    from tests.support.scripted_openai import ScriptedOpenAI

    rows = QUICK_ROWS if quick else None
    with isolated_home("relevance"):
        started = time.perf_counter()
        seconds: dict[str, float] = {}
        gold = build(rows)
        seconds["build"] = time.perf_counter() - started
        label = _labels(WORKSPACE, gold)
        size = len(label)
        api.themes(WORKSPACE, refresh=True)
        offline_ask = measure_ask(label, lambda q: ask_users(q, WORKSPACE, offline=True), 2 if quick else 1)
        offline_run = _runs_or_error(label, offline=True, goals=QUICK_GOALS if quick else None)
        seconds["offline"] = time.perf_counter() - started
        with ScriptedOpenAI(off_topic_model(off_topic_pool(label))) as server:
            os.environ["OPENAI_BASE_URL"] = server.base_url
            os.environ["OPENAI_API_KEY"] = server.api_key
            get_settings.cache_clear()
            llm_ask = measure_ask(label, lambda q: ask_users(q, WORKSPACE, offline=False), 4 if quick else 1)
            llm_run = _runs_or_error(label, offline=False, goals=QUICK_LLM_GOALS if quick else None)
        seconds["llm"] = time.perf_counter() - started - seconds["offline"]
    if not quick:  # each labelled backlog ingested alone and asked offline (about a minute on a quiet machine)
        products_started = time.perf_counter()
        _single_product(results)
        seconds["single_product"] = time.perf_counter() - products_started
    for suffix, asked, ran in (("", offline_ask, offline_run), ("_llm", llm_ask, llm_run)):
        mode = "offline" if not suffix else "LLM mode (scripted server citing off-topic signals too)"
        base = (f"BANKING77 train, {size} signals ({'random subset' if quick else 'all'}), "
                f"{asked['questions'][0]} in-domain / {asked['questions'][1]} off-domain questions, "
                f"{len(ran['per_goal'])} goals + an off-topic one")
        results.put(f"ask_evidence_precision{suffix}", asked["precision"],
                    f"{mode}; {base}; {asked['cited']} cited signals")
        results.put(f"ask_abstention_offdomain{suffix}", asked["abstention_offdomain"],
                    f"{mode}; {base}; quotes given while abstaining: {asked['quotes_when_abstaining']}")
        results.put(f"ask_false_abstention{suffix}", asked["false_abstention"], f"{mode}; {base}")
        results.companion(f"relevance_ask_details{suffix}", asked["details"])
        results.companion("relevance_seconds", {k: round(v, 1) for k, v in seconds.items()})
        if "error" in ran:  # a broken run stack must not hide the ask figures measured before it
            results.put(f"run_evidence_precision{suffix}", None, f"not measured: {ran['error']}")
            continue
        results.put(f"run_evidence_precision{suffix}", ran["precision"],
                    f"{mode}; {base}; {ran['cited']} cited signals; off-topic goal: {ran['off_goal']['stories']} "
                    f"stories, {ran['off_goal']['cited']} citations, {len(ran['off_goal']['warnings'])} warnings")
        results.put(f"run_evidence_recall{suffix}", ran["recall"],
                    f"{mode}; {base}; {ran['found']} of the goals' intents' {ran['wanted']} signals cited or counted "
                    "by the documents' topics")
        results.companion(f"relevance_run_details{suffix}", {"per_goal": ran["per_goal"], "off_goal": ran["off_goal"]})


def _single_product(results: Results) -> None:
    """Companion ``relevance_single_product``: ask on each single-product backlog ingested alone (tuning, held out)."""
    from bench.relevance_heldout import single_products

    try:
        found = single_products()
    except Exception as exc:  # noqa: BLE001 - a companion figure must not hide the keys measured before it
        traceback.print_exc()
        results.companion("relevance_single_product", {"error": f"{type(exc).__name__}: {exc}"})
        return
    results.companion("relevance_single_product", {k: v for k, v in found.items() if k != "per_backlog"})


# ------------------------------------------------------------------------------------------- fitting


def _stories() -> tuple[list[str], list[str]]:
    texts, labels = [], []
    for path in sorted(glob.glob(str(USER_STORIES / "*.txt"))):
        for line in Path(path).read_text(encoding="utf-8-sig").splitlines():
            if line.strip():
                texts.append(line.strip())
                labels.append(Path(path).stem)
    return texts, labels


def calibration_rows() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Features (excess, coverage), labels, question groups and off-domain flags of the calibration candidates.

    Candidates per question: the 60 nearest by cosine and the 20 best by sparse coverage (the two
    halves of hybrid search), scored exactly as :func:`tools.relevance.score` scores them against a
    512-signal background sample.
    """
    from bench.datasets import banking77, minilm_vectors
    from memory.embeddings import LocalEmbedder
    from tools.relevance import BACKGROUND_SIZE, Background, coverage, query_terms, score

    embedder = LocalEmbedder()
    texts, labels = banking77()
    corpora = [(list(texts), list(labels), minilm_vectors(texts), CALIBRATION_BANKING, CALIBRATION_OFF_BANKING)]
    story_texts, story_labels = _stories()
    corpora.append((story_texts, story_labels, embedder.embed(story_texts), CALIBRATION_STORIES,
                    CALIBRATION_OFF_STORIES))
    features, ys, groups, off = [], [], [], []
    group = 0
    for corpus, gold, vectors, inside, outside in corpora:
        sample = np.random.default_rng(0).choice(len(corpus), min(BACKGROUND_SIZE, len(corpus)), replace=False)
        background = Background.of([corpus[i] for i in sample], vectors[sample])
        questions = [*inside, *((q, []) for q in outside)]
        qvectors = embedder.embed([q for q, _ in questions])
        for (question, intents), qv in zip(questions, qvectors, strict=True):
            cos = vectors @ qv
            terms = query_terms(question, background)
            cov = np.array([coverage(terms, t) for t in corpus])
            candidates = list(dict.fromkeys([*np.argsort(-cos)[:60].tolist(), *np.argsort(-cov)[:20].tolist()]))
            for s in score(question, qv, [(str(i), corpus[i], vectors[i]) for i in candidates], background):
                features.append((s.excess, s.coverage))
                ys.append(gold[int(s.signal_id)] in intents)
                groups.append(group)
                off.append(not intents)
            group += 1
    return np.array(features), np.array(ys), np.array(groups), np.array(off)


def fit() -> dict[str, Any]:
    """Fit the logistic relevance model and choose its floor by leave-questions-out cross-validation.

    The floor is the lowest probability at which at least 95 % of the off-domain calibration
    questions are left with fewer than 3 relevant signals (so ``ask`` abstains on them), i.e. the most
    recall that keeps abstention; F0.5 decides when no floor reaches that.
    """
    from sklearn.linear_model import LogisticRegression

    x, y, groups, off = calibration_rows()
    folds = groups % 5
    proba = np.zeros(len(y))
    for f in range(5):
        model = LogisticRegression(C=10.0, max_iter=2000).fit(x[folds != f], y[folds != f])
        proba[folds == f] = model.predict_proba(x[folds == f])[:, 1]
    best: tuple[tuple[float, float], float, float, float] | None = None
    table = []
    for floor in np.arange(0.3, 0.91, 0.05):
        kept = proba >= floor
        precision = float(y[kept].mean()) if kept.any() else 1.0
        recall = float((kept & y).sum() / max(1, y.sum()))
        f05 = 1.25 * precision * recall / (0.25 * precision + recall) if precision + recall else 0.0
        off_abstain = np.mean([(kept & (groups == g)).sum() < 3 for g in np.unique(groups[off])])
        in_abstain = np.mean([(kept & (groups == g)).sum() < 3 for g in np.unique(groups[~off])])
        table.append({"floor": round(float(floor), 2), "precision": round(precision, 3), "recall": round(recall, 3),
                      "f0.5": round(f05, 3), "off_domain_abstention": round(float(off_abstain), 3),
                      "in_domain_abstention": round(float(in_abstain), 3)})
        # The lowest floor (most recall) that still abstains on >= 95 % of the off-domain questions;
        # F0.5 (precision first) decides when no floor does.
        qualifies = off_abstain >= 0.95
        rank = (1.0 if qualifies else 0.0, -float(floor) if qualifies else f05)
        if best is None or rank > best[0]:
            best = (rank, float(floor), precision, recall)
    assert best is not None
    final = LogisticRegression(C=10.0, max_iter=2000).fit(x, y)
    return {"dense": round(float(final.coef_[0][0]), 2), "sparse": round(float(final.coef_[0][1]), 2),
            "bias": round(float(final.intercept_[0]), 2), "floor": round(best[1], 2),
            "cv_precision": round(best[2], 3), "cv_recall": round(best[3], 3), "candidates": int(len(y)),
            "questions": int(len(np.unique(groups))), "table": table}


def _length_rows(name: str, corpus: list[str], questions: list[tuple[str, Callable[[int], bool] | None]],
                 embedder: Any) -> list[dict[str, Any]]:
    """Candidates of ``questions`` on ``corpus`` (one workspace), scored as :func:`calibration_rows` scores them.

    Each question comes with a test of whether story ``i`` is relevant (None: off-domain). A goal is searched
    by its topic, as the planner does (:func:`agents.planner.search_query`).
    """
    from agents.planner import search_query
    from tools.relevance import AGREEMENT, BACKGROUND_SIZE, Background, agreement, coverage_tokens, query_terms

    vectors = embedder.embed(corpus)
    tokens = [set(coverage_tokens(text)) for text in corpus]  # tools.relevance.coverage, each text tokenized once
    sample = np.random.default_rng(0).choice(len(corpus), min(BACKGROUND_SIZE, len(corpus)), replace=False)
    background = Background.of([corpus[i] for i in sample], vectors[sample], len(corpus))
    out: list[dict[str, Any]] = []
    for question, relevant in questions:
        query = search_query(question)
        qv = embedder.embed_query(query)
        cos = vectors @ qv
        terms = query_terms(query, background)
        total = sum(terms.values())
        cov = np.array([sum(w for t, w in terms.items() if t in present) / total if total > 0 else 0.0
                        for present in tokens])
        base = background.base_cosine(qv)
        agreed = agreement(qv, vectors[np.argsort(-cos, kind="stable")[:AGREEMENT.top]])
        for i in dict.fromkeys([*np.argsort(-cos)[:60].tolist(), *np.argsort(-cov)[:20].tolist()]):
            out.append({"backlog": name, "question": question, "off": relevant is None,
                        "relevant": relevant is not None and relevant(i), "excess": float(cos[i] - base),
                        "coverage": float(cov[i]), "median_words": background.median_words,
                        "signals": len(corpus), "agreement": agreed})
    return out


def product_rows(split: str) -> list[dict[str, Any]]:
    """Candidates of every question of ``split``'s single-product backlogs, each backlog its own workspace."""
    from bench.relevance_heldout import stories
    from bench.relevance_products import products
    from memory.embeddings import LocalEmbedder

    embedder = LocalEmbedder()
    every = stories()
    out: list[dict[str, Any]] = []
    for product in products(split):
        corpus = [text for _, text, stem in every if stem == product.stem]
        questions: list[tuple[str, Callable[[int], bool] | None]] = [
            *((q, frozenset(r).__contains__) for q, r in product.questions), *((q, None) for q in product.off)]
        out += _length_rows(product.stem, corpus, questions, embedder)
    return out


def pooled_story_rows() -> list[dict[str, Any]]:
    """Candidates of the user-stories calibration questions on all 22 backlogs in one workspace (1,680 stories)."""
    from memory.embeddings import LocalEmbedder

    texts, labels = _stories()
    questions: list[tuple[str, Callable[[int], bool] | None]] = [
        *((q, (lambda i, about=frozenset(b): labels[i] in about)) for q, b in CALIBRATION_STORIES),
        *((q, None) for q in CALIBRATION_OFF_STORIES)]
    return _length_rows("user-stories", texts, questions, LocalEmbedder())


#: Wordy workspaces of several sizes for ``--fit-length``: the 4 tuning backlogs and the calibration questions'
#: other backlogs pooled, 2 to 22 at a time (170-1,680 stories). Held-out backlogs are in the pools as
#: background only: their questions are never asked there.
LENGTH_POOLS: tuple[tuple[str, ...], ...] = (
    ("g27-culrepo", "g12-camperplus"),
    ("g27-culrepo", "g12-camperplus", "g04-recycling", "g13-planningpoker"),
    ("g27-culrepo", "g12-camperplus", "g04-recycling", "g13-planningpoker", "g02-federalspending", "g03-loudoun",
     "g10-scrumalliance", "g18-neurohub"),
    ("g27-culrepo", "g12-camperplus", "g04-recycling", "g13-planningpoker", "g02-federalspending", "g03-loudoun",
     "g10-scrumalliance", "g18-neurohub", "g19-alfred", "g21-badcamp", "g28-zooniverse"),
    (),  # all 22
)


def pooled_rows(stems: tuple[str, ...]) -> list[dict[str, Any]]:
    """Candidates on the backlogs ``stems`` pooled into one workspace (all 22 for an empty tuple).

    Asked: the TUNING products' questions and off-domain questions of the pooled tuning backlogs, the calibration
    questions about a pooled backlog and the calibration off-domain questions. A product question's relevant stories
    are its labelled ones (every other backlog's are off topic).
    """
    from bench.datasets import minilm_vectors
    from bench.relevance_heldout import stories
    from bench.relevance_products import products

    every = stories()
    chosen = [i for i, (_, _, stem) in enumerate(every) if not stems or stem in stems]
    texts = [every[i][1] for i in chosen]
    ext = [every[i][0] for i in chosen]
    stem_of = [every[i][2] for i in chosen]
    pool = set(stem_of)
    questions: list[tuple[str, Callable[[int], bool] | None]] = []
    for product in products("tuning"):
        if product.stem in pool:
            questions += [(q, _member(ext, {f"{product.stem}-{k}" for k in r})) for q, r in product.questions]
            questions += [(q, None) for q in product.off]
    questions += [(q, _member(stem_of, set(b))) for q, b in CALIBRATION_STORIES if pool & set(b)]
    questions += [(q, None) for q in CALIBRATION_OFF_STORIES]
    vectors = minilm_vectors(tuple(texts))
    return _length_rows(f"pool{len(pool)}", texts, questions, _Precomputed(texts, vectors))


def _member(labels: list[str], wanted: set[str]) -> Callable[[int], bool]:
    """Whether item ``i``'s label is one of ``wanted``."""
    about = frozenset(wanted)
    return lambda i: labels[i] in about


class _Precomputed:
    """An embedder for :func:`_length_rows` whose corpus vectors are known (queries embedded by MiniLM)."""

    def __init__(self, texts: list[str], vectors: np.ndarray) -> None:
        from memory.embeddings import LocalEmbedder

        self.known = {t: v for t, v in zip(texts, vectors, strict=True)}
        self.model = LocalEmbedder()

    def embed(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in texts if t not in self.known]
        if missing:
            self.known.update(zip(missing, self.model.embed(missing), strict=True))
        return np.array([self.known[t] for t in texts])

    def embed_query(self, text: str) -> np.ndarray:
        return np.asarray(self.model.embed_query(text))


def banking_pair_rows(sizes: tuple[int, ...] = (600, 0)) -> list[dict[str, Any]]:
    """Candidates on wordy BANKING77 workspaces: the quick subset's messages joined in pairs of one intent (~20 words).

    Asked: the BANKING77 calibration questions and off-domain questions plus :data:`bench.relevance_floor.NEW_IN` /
    ``NEW_OFF`` (never the bench's). One workspace per size (0: all 1,228 pairs; else a random subset).
    """
    from bench.datasets import banking77, minilm_vectors
    from bench.relevance_floor import NEW_IN, NEW_OFF

    texts, labels = banking77()
    by_intent: dict[str, list[int]] = {}
    for i in _subset(QUICK_ROWS):
        by_intent.setdefault(labels[i], []).append(i)
    pairs: list[str] = []
    intents: list[str] = []
    rng = random.Random(7)
    for intent, members in sorted(by_intent.items()):
        rng.shuffle(members)
        for a in range(0, len(members) - 1, 2):
            pairs.append(f"{texts[members[a]].strip()} {texts[members[a + 1]].strip()}")
            intents.append(intent)
    vectors = minilm_vectors(tuple(pairs))
    out: list[dict[str, Any]] = []
    for size in sizes:
        keep = sorted(random.Random(2).sample(range(len(pairs)), size)) if 0 < size < len(pairs) else \
            list(range(len(pairs)))
        corpus = [pairs[i] for i in keep]
        gold = [intents[i] for i in keep]
        questions: list[tuple[str, Callable[[int], bool] | None]] = [
            *((q, _member(gold, set(c))) for q, c in [*CALIBRATION_BANKING, *NEW_IN]),
            *((q, None) for q in [*CALIBRATION_OFF_BANKING, *NEW_OFF])]
        out += _length_rows(f"banking-pairs-{len(corpus)}", corpus, questions,
                            _Precomputed(corpus, vectors[keep]))
    return out


def product_table(rows: list[dict[str, Any]], length: float, taper: float = 0.0,
                  agreement_model: Any = None) -> dict[str, float]:
    """False abstention, off-domain abstention and precision of the kept signals at ``length``, ``taper``.

    A question is answered as :func:`agents.ask.enough` decides (3 relevant signals, or fewer clear ones in a
    small workspace), so the table scores what ``ask`` does.
    """
    from agents.ask import enough
    from tools.relevance import FITTED

    model = replace(FITTED, length=length, taper=taper)
    kept: dict[tuple[str, str], list[tuple[bool, float]]] = {}
    off: dict[tuple[str, str], bool] = {}
    size: dict[tuple[str, str], int] = {}
    for r in rows:
        key = (r["backlog"], r["question"])
        off[key] = r["off"]
        size[key] = int(r["signals"])
        kept.setdefault(key, [])
        lift = agreement_model.lift(r["agreement"]) if agreement_model is not None else 0.0
        p = model.probability(r["excess"], r["coverage"], r["median_words"], r["signals"], lift)
        if p >= model.floor:
            kept[key].append((r["relevant"], p))

    def answers(key: tuple[str, str]) -> bool:
        return enough([p for _, p in kept[key]], size[key])

    inside = [k for k in off if not off[k]]
    outside = [k for k in off if off[k]]
    answered = [[rel for rel, _ in kept[k]] for k in inside if answers(k)]
    good = sum(sum(a) for a in answered)
    return {"false_abstention": round(sum(not answers(k) for k in inside) / max(1, len(inside)), 3),
            "abstention_offdomain": round(sum(not answers(k) for k in outside) / max(1, len(outside)), 3),
            "precision_kept": round(good / max(1, sum(len(a) for a in answered)), 3),
            "questions": len(inside), "off_domain": len(outside)}


#: Off-domain abstention the length term must keep over all tuning workspaces together.
LENGTH_OFF_DOMAIN = 0.9
#: Off-domain questions per tuning workspace the length term may answer beyond what the model without it answers.
LENGTH_OFF_SLACK = 1
#: Highest length weight tried: at 2.0 the end-to-end single-product bench (``--products``, ``ask``'s own hybrid
#: candidates) answers g27-culrepo's off-domain "tuition fees" question by 0.07 logit, which the replay misses.
LENGTH_CAP = 1.9


def length_rows() -> dict[str, list[dict[str, Any]]]:
    """``--fit-length``'s candidates: TUNING workspaces (single backlogs, pools, BANKING77 pairs) and HELD-OUT ones."""
    return {"tuning": [*product_rows("tuning"), *(r for stems in LENGTH_POOLS for r in pooled_rows(stems)),
                       *banking_pair_rows()],
            "heldout": product_rows("heldout")}


def workspace_tables(rows: list[dict[str, Any]], length: float, taper: float) -> dict[str, dict[str, float]]:
    """:func:`product_table` per workspace (the rows' ``backlog``)."""
    names = sorted({r["backlog"] for r in rows})
    return {n: product_table([r for r in rows if r["backlog"] == n], length, taper) for n in names}


def fit_length(rows: dict[str, list[dict[str, Any]]] | None = None) -> dict[str, Any]:
    """``--fit-length``: the length weight and taper of :data:`tools.relevance.FITTED`, dense/sparse/bias/floor fixed.

    Grid (weight 1.0 to :data:`LENGTH_CAP` by 0.1, taper 1.0 to 3.0 by 0.125): the lowest mean false abstention over
    the TUNING workspaces (:func:`length_rows`: single backlogs, 2-22 backlogs pooled, BANKING77 messages in pairs
    at two sizes), where no workspace answers more than
    :data:`LENGTH_OFF_SLACK` off-domain question beyond the model without a length term and all of them together
    keep off-domain abstention >= :data:`LENGTH_OFF_DOMAIN`; ties go to the smaller weight, then the smaller taper.
    A workspace of short messages (wordiness 0) is unchanged. The HELD-OUT backlogs are only reported.
    """
    rows = rows if rows is not None else length_rows()
    tuning, heldout = rows["tuning"], rows["heldout"]
    plain = workspace_tables(tuning, 0.0, 0.0)
    table: list[dict[str, Any]] = []
    best: tuple[float, float, float] | None = None
    for i in range(round((LENGTH_CAP - 1.0) / 0.1) + 1):
        for j in range(17):
            length, taper = round(1.0 + i * 0.1, 2), 1.0 + j * 0.125
            tuned = workspace_tables(tuning, length, taper)
            mean_fa = float(np.mean([t["false_abstention"] for t in tuned.values()]))
            off_answered = {n: round((1 - t["abstention_offdomain"]) * t["off_domain"]) for n, t in tuned.items()}
            base = {n: round((1 - t["abstention_offdomain"]) * t["off_domain"]) for n, t in plain.items()}
            off_all = 1 - sum(off_answered.values()) / max(1, sum(t["off_domain"] for t in tuned.values()))
            passes = off_all >= LENGTH_OFF_DOMAIN and all(off_answered[n] <= base[n] + LENGTH_OFF_SLACK for n in tuned)
            row = {"length": length, "taper": taper, "mean_false_abstention": round(mean_fa, 3),
                   "abstention_offdomain": round(off_all, 3), "passes": passes}
            table.append(row)
            if passes:
                rank = (round(mean_fa, 6), length, taper)
                best = rank if best is None or rank < best else best
    assert best is not None
    chosen = {"tuning": workspace_tables(tuning, best[1], best[2]),
              "heldout": workspace_tables(heldout, best[1], best[2])}
    return {"length": best[1], "taper": best[2], "chosen": chosen, "table": table}


def banking_rows() -> list[dict[str, Any]]:
    """Candidates on the quick bench's BANKING77 subset (2,500 short messages): calibration and NEW questions only."""
    from bench.datasets import banking77, minilm_vectors
    from bench.relevance_floor import NEW_IN, NEW_OFF

    texts, labels = banking77()
    chosen = _subset(QUICK_ROWS)
    corpus = [texts[i] for i in chosen]
    gold = [labels[i] for i in chosen]
    vectors = minilm_vectors(texts)[chosen]
    questions: list[tuple[str, Callable[[int], bool] | None]] = [
        *((q, _member(gold, set(c))) for q, c in [*CALIBRATION_BANKING, *NEW_IN]),
        *((q, None) for q in [*CALIBRATION_OFF_BANKING, *NEW_OFF])]
    return _length_rows(f"banking-{len(corpus)}", corpus, questions, _Precomputed(corpus, vectors))


def question_needs(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per question of ``rows``: the logit lift it needs to be answered (as :func:`agents.ask.enough` decides), its
    agreement and whether it is off-domain. Answered under a lift ``s`` iff ``s >= need``."""
    from agents.ask import STRONG_HIT, needed
    from tools.relevance import FITTED

    def logit(p: float) -> float:
        return math.log(p / (1.0 - p))

    by: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in rows:
        by.setdefault((r["backlog"], r["question"]), []).append(r)
    out = []
    for (workspace, question), items in by.items():
        first = items[0]
        z = sorted((FITTED.dense * r["excess"] + FITTED.sparse * r["coverage"]
                    + FITTED.shift(r["median_words"], r["signals"]) + FITTED.bias for r in items), reverse=True)
        z += [-40.0] * 3
        k = needed(int(first["signals"]))
        need = min(logit(FITTED.floor) - z[2], logit(STRONG_HIT) - z[k - 1])
        out.append({"workspace": workspace, "question": question, "off": first["off"], "need": need,
                    "agreement": first["agreement"]})
    return out


def agreement_table(needs: list[dict[str, Any]], model: Any) -> dict[str, dict[str, Any]]:
    """False and off-domain abstention per workspace under ``model`` (an :class:`tools.relevance.AgreementModel`)."""
    out: dict[str, dict[str, Any]] = {}
    for name in sorted({n["workspace"] for n in needs}):
        mine = [n for n in needs if n["workspace"] == name]
        inside = [n for n in mine if not n["off"]]
        outside = [n for n in mine if n["off"]]
        refused = [n["question"] for n in inside if model.lift(n["agreement"]) < n["need"]]
        answered_off = [n["question"] for n in outside if model.lift(n["agreement"]) >= n["need"]]
        out[name] = {"false_abstention": round(len(refused) / max(1, len(inside)), 3),
                     "abstention_offdomain": round(1 - len(answered_off) / max(1, len(outside)), 3),
                     "questions": [len(inside), len(outside)], "refused": refused, "answered_off": answered_off}
    return out


def fit_agreement(rows: dict[str, list[dict[str, Any]]] | None = None) -> dict[str, Any]:
    """``--fit-agreement``: :data:`tools.relevance.AGREEMENT`'s start, weight and cap, the relevance model fixed.

    Grid (start 0.10-0.25 by 0.01, weight 2-30 by 1, cap 0.25-2.0 by 0.25) over the TUNING workspaces
    (:func:`length_rows`' and the quick BANKING77 subset with its calibration and NEW questions): the lowest mean false
    abstention such that no workspace answers an off-domain question the model without the lift refuses; ties go
    to the smaller cap, the larger start, then the smaller weight (the least lift that does as well). HELD-OUT
    backlogs are only reported.
    """
    from tools.relevance import AgreementModel

    if rows is None:
        rows = length_rows()
        rows["tuning"] = [*rows["tuning"], *banking_rows()]
    tuning, heldout = question_needs(rows["tuning"]), question_needs(rows["heldout"])
    plain = agreement_table(tuning, AgreementModel())
    best: tuple[Any, ...] | None = None
    for a in range(16):
        for weight in range(2, 31):
            for c in range(1, 9):
                model = AgreementModel(weight=float(weight), start=round(0.10 + a * 0.01, 2), cap=c * 0.25)
                table = agreement_table(tuning, model)
                if any(len(t["answered_off"]) > len(plain[n]["answered_off"]) for n, t in table.items()):
                    continue
                mean_fa = round(float(np.mean([t["false_abstention"] for t in table.values()])), 6)
                rank = (mean_fa, model.cap, -model.start, model.weight)
                best = (rank, model) if best is None or rank < best[0] else best
    assert best is not None
    model = best[1]
    return {"start": model.start, "weight": model.weight, "cap": model.cap,
            "tuning": {"without": plain, "with": agreement_table(tuning, model)},
            "heldout": {"without": agreement_table(heldout, AgreementModel()),
                        "with": agreement_table(heldout, model)}}


def focus_rows(seed: int, rows: int) -> list[dict[str, Any]]:
    """Calibration and bench candidates of a random BANKING77 subset, with their theme vote (for ``--focus``).

    The subset is clustered by :func:`memory.themes.cluster_vectors` (as a theme snapshot would be);
    candidates are the 60 nearest by cosine and the 20 best by coverage, scored as
    :func:`tools.relevance.score` scores them against a 512-signal background sample.
    """
    from bench.datasets import banking77, minilm_vectors
    from memory.embeddings import LocalEmbedder
    from memory.themes import cluster_vectors
    from tools.relevance import BACKGROUND_SIZE, FOCUS, Background, coverage, query_terms, score

    texts, labels = banking77()
    everything = minilm_vectors(texts)
    chosen = sorted(random.Random(seed).sample(range(len(texts)), rows))
    corpus, gold, vectors = [texts[i] for i in chosen], [labels[i] for i in chosen], everything[chosen]
    themes = cluster_vectors(vectors, corpus)
    sample = np.random.default_rng(0).choice(len(corpus), min(BACKGROUND_SIZE, len(corpus)), replace=False)
    background = Background.of([corpus[i] for i in sample], vectors[sample])
    questions = [*((q, i, "calibration") for q, i in CALIBRATION_BANKING),
                 *((q, [], "calibration") for q in CALIBRATION_OFF_BANKING),
                 *((q, i, "bench") for q, i in BENCH_IN), *((q, [], "bench") for q in BENCH_OFF)]
    qvectors = LocalEmbedder().embed([q for q, _, _ in questions])
    out = []
    for n, ((question, intents, split), qv) in enumerate(zip(questions, qvectors, strict=True)):
        cos = vectors @ qv
        terms = query_terms(question, background)
        cov = np.array([coverage(terms, t) for t in corpus])
        candidates = list(dict.fromkeys([*np.argsort(-cos)[:60].tolist(), *np.argsort(-cov)[:20].tolist()]))
        best = sorted(candidates, key=lambda i: -cos[i])[:FOCUS.top]
        votes = Counter(int(themes[i]) for i in best)
        for s in score(question, qv, [(str(i), corpus[i], vectors[i]) for i in candidates], background):
            i = int(s.signal_id)
            out.append({"question": n, "split": split, "off": not intents, "relevant": gold[i] in intents,
                        "relevance": s.relevance, "vote": votes.get(int(themes[i]), 0) / len(best)})
    return out


def focus_table(rows: list[dict[str, Any]], min_vote: float) -> dict[str, dict[str, float]]:
    """Per split: precision of all kept and of the 5 best, kept per answered question, abstention, at ``min_vote``."""
    from tools.relevance import FITTED, FOCUS

    table = {}
    for split in ("calibration", "bench"):
        by: dict[int, list[dict[str, Any]]] = {}
        for r in rows:
            if r["split"] == split:
                by.setdefault(r["question"], []).append(r)
        on = kept_n = top_on = top_n = answered = abstained_in = abstained_off = n_off = worse = 0
        for items in by.values():
            floor = sorted((r for r in items if r["relevance"] >= FITTED.floor), key=lambda r: -r["relevance"])
            if items[0]["off"]:
                n_off += 1
                abstained_off += len(floor) < 3
                continue
            if len(floor) < 3:
                abstained_in += 1
                continue
            answered += 1
            kept = [r for i, r in enumerate(floor) if i < FOCUS.min_keep or r["vote"] >= min_vote][:30]
            on, kept_n = on + sum(r["relevant"] for r in kept), kept_n + len(kept)
            top_on, top_n = top_on + sum(r["relevant"] for r in kept[:5]), top_n + len(kept[:5])
            before = sum(r["relevant"] for r in floor[:30]) / len(floor[:30])
            worse += sum(r["relevant"] for r in kept) / len(kept) < before - 0.05
        table[split] = {
            "precision_kept": round(on / max(1, kept_n), 3), "precision_top5": round(top_on / max(1, top_n), 3),
            "kept_per_answer": round(kept_n / max(1, answered), 1), "questions_less_precise": worse,
            "in_domain_abstention": round(abstained_in / max(1, answered + abstained_in), 3),
            "off_domain_abstention": round(abstained_off / max(1, n_off), 3),
        }
    return table


def focus_sweep(subsets: tuple[tuple[int, int], ...] = ((3, 3080), (14, 2500))) -> dict[str, Any]:
    """``--focus``: the focus stage at several ``min_vote`` on BANKING77 subsets (calibration and held-out bench)."""
    out: dict[str, Any] = {}
    for seed, rows in subsets:
        found = focus_rows(seed, rows)
        out[f"subset seed {seed}, {rows} signals"] = {str(v): focus_table(found, v) for v in (0.0, 0.1, 0.2, 0.3)}
    return out


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.relevance --fit``: print refitted constants for tools.relevance.FITTED."""
    parser = argparse.ArgumentParser(prog="python -m bench.relevance", description=__doc__.splitlines()[0])
    parser.add_argument("--fit", action="store_true", help="refit the relevance floor and print it")
    parser.add_argument("--fit-length", action="store_true",
                        help="choose the relevance model's length weight on the single-product tuning backlogs")
    parser.add_argument("--fit-agreement", action="store_true",
                        help="choose the per-question agreement lift on the tuning workspaces")
    parser.add_argument("--focus", action="store_true",
                        help="measure the focus stage (theme agreement) at several min_vote values")
    parser.add_argument("--heldout", action="store_true",
                        help="ask's precision and abstention on promise-nfr and user-stories (never tuned on)")
    parser.add_argument("--products", action="store_true",
                        help="ask on each single-product backlog of bench.relevance_products ingested alone")
    parser.add_argument("--replay", action="store_true",
                        help="replay ask's citations under each rule of bench.relevance_replay.RULES")
    parser.add_argument("--quick", action="store_true", help="--replay on the quick bench's 2,500-signal subset")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    if args.quick and not args.replay:  # it used to be ignored (the help was printed): refuse, saying what runs it
        parser.error("--quick only applies to --replay; the quick bench section is "
                     "`python -m bench --quick --only relevance --out /tmp/<name>.json`")
    if not (args.fit or args.fit_length or args.fit_agreement or args.focus or args.heldout or args.products
            or args.replay):
        parser.print_help()
        return 0
    if args.fit:
        print(json.dumps(fit(), indent=2))
    if args.fit_length:
        print(json.dumps(fit_length(), indent=2))
    if args.fit_agreement:
        print(json.dumps(fit_agreement(), indent=2))
    if args.focus:
        print(json.dumps(focus_sweep(), indent=2))
    if args.heldout:
        from bench.relevance_heldout import heldout

        print(json.dumps(heldout(), indent=2))
    if args.products:
        from bench.relevance_heldout import single_products

        print(json.dumps(single_products(), indent=2))
    if args.replay:
        from bench.relevance_replay import measure

        print(json.dumps(measure(args.quick), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
