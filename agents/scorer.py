"""Scorer: scores options and candidate requirements, and reviews the writer's drafts.

Scoring (node ``score``): every topic — an option the goal compares, or a theme relevant to the
goal — gets RICE from its evidence, strategic alignment against the strategy's weighted goals,
optional WSJF, and a weighted total over the decision criteria; formulas are kept with the numbers.

Review (node ``review``): rule-based checks of the drafts — coverage of the strongest topics,
traceability (every story/option/theme cites evidence), story quality (role/goal/benefit present,
atomic, Given/When/Then criteria) — returned as specific fixes the writer must apply.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

import numpy as np
from langgraph.runtime import Runtime

from agents import context as run_context
from agents.context import RunCache, RunContext, timed
from agents.deliverables import DELIVERABLES, review_drafts
from agents.deliverables.base import own_evidence_only, uncovered_parts
from agents.state import PMState
from kernel.errors import PmpilotError
from memory import api as memory_api
from tools import scoring, trends
from tools.relevance import FITTED
from tools.research import theme_summaries
from tools.scoring import Strategy
from tools.topic_scores import alignment_text, score_topic
from tools.topics import (
    STOPWORDS,
    capability_words,
    cluster,
    goal_fit,
    goal_names,
    mentions,
    name_topic,
    option_words,
    query_parts,
    same_capability,
)

#: (signal ids, query texts) → (stored vectors by id, one unit vector per query).
VectorSource = Callable[[Sequence[str], Sequence[str]], tuple[dict[str, np.ndarray], np.ndarray]]
MAX_REVIEW_ROUNDS = 2


def slug(text: str) -> str:
    """A short id from a name."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "item"


def goal_evidence_ids(state: PMState) -> list[str]:
    """Ids of the evidence found *for the goal*, most relevant first.

    That is what the researchers' searches for the goal's questions kept (a row with a question and a
    retrieval score, or one a model cited in its findings). Theme members added by the landscape
    research (no question) and profile claims (no score) are context, not evidence about the goal.
    """
    evidence = state.get("evidence") or {}
    cited = {sid for f in state.get("findings") or [] if f.get("kind") == "llm" for sid in f.get("signal_ids") or []}
    ids = [sid for sid, row in evidence.items()
           if row.get("questions") and not row.get("context")
           and (float(row.get("score") or 0.0) > 0 or sid in cited)]
    return sorted(ids, key=lambda s: (-float(evidence[s].get("score") or 0.0), s))


def wants_landscape(state: PMState) -> bool:
    """Whether the goal asks for the landscape ('what should we build next?'): then themes become topics."""
    plan = state.get("plan") or {}
    return bool(plan.get("landscape"))


def theme_membership(workspace: str, ids: Sequence[str], cache: RunCache | None) -> tuple[
        dict[str, str | None], list[dict[str, Any]]]:
    """Signal id → workspace theme id for ``ids``, and the workspace's themes (from the run's snapshot)."""
    try:
        themes = theme_summaries(workspace, members=True, memo=cache)
    except PmpilotError:  # no themes (an empty or tiny workspace): every signal is its own
        return dict.fromkeys(ids), []
    wanted = set(ids)
    membership: dict[str, str | None] = dict.fromkeys(ids)
    for theme in themes:
        for member in theme.get("members") or []:
            if member["signal_id"] in wanted:
                membership[member["signal_id"]] = theme["id"]
    return membership, themes


def _option_ids(option: Mapping[str, Any], plan: Mapping[str, Any], evidence: Mapping[str, Mapping[str, Any]],
                relevant: list[str]) -> list[str]:
    """The evidence about one option: found by its own question (or, without one, mentioning it).

    Rows that name another option's distinctive words but none of this option's are left out, so two
    options never share one pool of evidence.
    """
    names = [o["name"] for o in plan.get("options") or []]
    others = [n for n in names if n != option["name"]]
    own = option_words(option["name"], others)
    rivals = [option_words(n, [x for x in names if x != n]) for n in others]
    qids = {q["id"] for q in plan["questions"] if q.get("focus") == option["name"]}
    pool = [sid for sid in relevant if qids & set(evidence[sid]["questions"])] if qids else \
        [sid for sid in relevant if mentions(evidence[sid]["quote"], own)]
    return [sid for sid in pool
            if mentions(evidence[sid]["quote"], own) or not any(mentions(evidence[sid]["quote"], r) for r in rivals)]


def build_topics(state: PMState, membership: dict[str, str | None] | None = None,
                 themes: list[dict[str, Any]] | None = None, vectors: VectorSource | None = None
                 ) -> list[dict[str, Any]]:
    """Options and goal topics, each with the ids of its evidence (see :func:`goal_topics`)."""
    return goal_topics(state, membership, themes, vectors)[0]


def goal_topics(state: PMState, membership: dict[str, str | None] | None = None,
                themes: list[dict[str, Any]] | None = None, vectors: VectorSource | None = None
                ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Options and goal topics, each with the ids of its evidence.

    Goal topics are clusters of the goal-relevant evidence (:func:`goal_evidence_ids`), grouped by the
    workspace theme each signal belongs to (``membership``) and named from their own quotes
    (:func:`tools.topics.name_topic`). Each cluster is checked against the goal
    (:func:`tools.topics.goal_fit`: size, closeness of its centroid to the goal's queries — when
    ``vectors`` gives the signals' and queries' vectors —, the goal's words, and for a goal that asks to
    stop a problem, whether it reports one); the clusters that fail are returned apart as *near* topics
    (label, size, reason), context only. Clusters asking for the same capability are merged. Only when the
    goal asks for a landscape do the workspace's themes themselves become topics.
    """
    plan = state["plan"]
    evidence = state.get("evidence") or {}
    relevant = goal_evidence_ids(state)
    topics: list[dict[str, Any]] = []
    for option in plan.get("options") or []:
        ids = _option_ids(option, plan, evidence, relevant)
        topics.append({"id": f"option:{slug(option['name'])}", "kind": "option", "name": option["name"],
                       "description": option.get("description", ""), "signal_ids": ids, "theme": None})
    if wants_landscape(state):
        landscape = sorted((state.get("themes") or {}).values(),
                           key=lambda t: (-t.get("relevance", 0), -t["size"], t["id"]))
        members = {t["id"]: [sid for sid, row in evidence.items() if t["id"] in row["themes"]] for t in landscape}
        named: list[str] = []
        for theme in landscape:
            ids = members[theme["id"]]
            # Named from its members' words like a goal topic ('lost edits', not the clustering's 'lost'), and
            # never like a topic named before it ('card' twice): a phrase of its own, else its theme's label.
            others = [evidence[s]["quote"] for t, g in members.items() if t != theme["id"] for s in g]
            said = [evidence[s]["quote"] for s in ids]
            name = name_topic(said, state.get("goal") or "", others, fallback=theme["label"]) if ids \
                else theme["label"]
            if ids and any(same_name(name, n) for n in named):
                labels = [theme["label"], *(theme.get("keywords") or [])]
                fallback = next((x for x in labels if not any(same_name(x, n) for n in named)), name)
                name = name_topic(said, state.get("goal") or "", others, fallback=fallback, unlike=named)
            if ids:
                named.append(name)
            topics.append({"id": f"theme:{theme['id']}", "kind": "theme", "name": name,
                           "description": ", ".join(theme.get("keywords", [])[:6]), "signal_ids": ids,
                           "theme": theme})
        return distinct(topics), []
    membership = membership if membership is not None else {sid: next(iter(evidence[sid].get("themes") or []), None)
                                                            for sid in relevant}
    by_id = {t["id"]: t for t in themes or []}
    quotes = {sid: evidence[sid]["quote"] for sid in relevant}
    groups = cluster(relevant, membership, quotes)
    focus = plan.get("focus") or state.get("goal") or ""
    queries = list(dict.fromkeys(q["query"] for q in plan.get("questions") or [] if q.get("query")))
    closeness = _closeness(groups, queries, vectors) if vectors is not None and queries else None
    parts = _part_closeness(groups, queries, vectors) if vectors is not None and closeness is not None else None
    fit = goal_fit(groups, goal=focus, texts=quotes, queries=queries, closeness=closeness, parts=parts,
                   types={sid: str(evidence[sid].get("signal_type") or "") for sid in relevant})
    kept: list[tuple[str, list[str]]] = []
    merged: set[int] = set()
    near: list[dict[str, Any]] = []
    off_goal: list[int] = []
    for i, ids in enumerate(groups):
        if fit[i] is not None:
            off_goal.append(i)
            continue
        others = [quotes[s] for j, g in enumerate(groups) if j != i for s in g]
        name = _group_name(ids, membership, by_id, quotes, others, focus)
        # Two clusters asking for one capability ('sync', 'sync conflicts'): one topic with the evidence of both.
        k = next((k for k, (other, _) in enumerate(kept)
                  if other.lower() == name.lower() or same_capability(other, name)), None)
        if k is None:
            kept.append((name, list(ids)))
        else:
            kept[k] = (kept[k][0], [*kept[k][1], *ids])
            merged.add(k)
    order = {sid: i for i, sid in enumerate(relevant)}
    for k in sorted(merged):  # a merged topic is named again from all its quotes
        ids = sorted(kept[k][1], key=order.__getitem__)
        others = [quotes[s] for j, (_, g) in enumerate(kept) if j != k for s in g]
        kept[k] = (_group_name(ids, membership, by_id, quotes, others, focus), ids)
    for i in off_goal:  # context is named by what sets it apart from the goal's topics ('ATMs accept', not 'card')
        others = [quotes[s] for j, g in enumerate(groups) if j != i for s in g]
        name = _group_name(groups[i], membership, by_id, quotes, others, focus, unlike=[n for n, _ in kept])
        near.append({"label": name, "size": len(groups[i]), "reason": fit[i]})
    ranked = vectors is not None and closeness is not None
    if ranked and vectors is not None:  # most relevant and most typical first: a neighbouring intent's stray goes last
        kept = [(name, _typical_first(ids, evidence, vectors)) for name, ids in kept]
    for name, ids in kept:
        source = Counter(membership.get(s) for s in ids).most_common(1)[0][0]
        source_theme: Mapping[str, Any] = by_id.get(source or "") or {}
        topics.append({
            "id": f"topic:{slug(name)}", "kind": "theme", "name": name,
            "description": f"{len(ids)} signals found for the goal",
            "signal_ids": ids, "ranked": ranked,
            "theme": {"id": source_theme.get("id"), "label": source_theme.get("label") or name, "size": len(ids),
                      "users": len({evidence[s].get("user_id") or evidence[s].get("account_id") for s in ids}
                                   - {None, ""}),
                      "trend": float(source_theme.get("trend") or 0.0), "keywords": [], "quotes": []},
        })
    return distinct(one_count(topics)), near


#: Two topics are one when more than this share of the smaller one's signals are in the other.
DUPLICATE_SHARE = 0.5


def duplicates(a: Sequence[str], b: Sequence[str]) -> bool:
    """Whether two evidence sets are one topic's: more than :data:`DUPLICATE_SHARE` of the smaller is in the other."""
    smaller = min(len(set(a)), len(set(b)))
    return bool(smaller) and len(set(a) & set(b)) > DUPLICATE_SHARE * smaller


def distinct(topics: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Topics without duplicates: one topic per body of evidence, never the same evidence under two names.

    A theme topic whose evidence is mostly another's (:func:`duplicates`) is not a topic of its own: inside an
    option (the goal names it; :func:`one_count` already gave the option the union) it is dropped; inside an
    earlier theme topic (stronger: the goal's topics come most relevant first) its signals join that one, which
    keeps its name. Options always stay, each the goal's own; topics without evidence are kept as they are.
    """
    kept: list[dict[str, Any]] = []
    for topic in topics:
        if topic["kind"] != "theme" or not topic["signal_ids"]:
            kept.append(topic)
            continue
        k = next((k for k, other in enumerate(kept)
                  if other["signal_ids"] and duplicates(other["signal_ids"], topic["signal_ids"])), None)
        if k is None:
            kept.append(topic)
            continue
        other = kept[k]
        if other["kind"] == "option":
            other["signal_ids"] = list(dict.fromkeys([*other["signal_ids"], *topic["signal_ids"]]))
            continue
        union = list(dict.fromkeys([*other["signal_ids"], *topic["signal_ids"]]))
        kept[k] = {**other, "signal_ids": union}
        if str(other.get("description") or "").endswith("signals found for the goal"):
            kept[k]["description"] = f"{len(union)} signals found for the goal"
        if other.get("theme") and "size" in other["theme"] and other["id"].startswith("topic:"):
            kept[k]["theme"] = {**other["theme"], "size": len(union)}
    return kept


def one_count(topics: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """An option and the goal topic that is the same capability share one evidence set (one topic, one count).

    An option's evidence is what its own question found; the goal topic of the same capability is a cluster of
    all the goal's evidence. Both are about one thing, so every document (requirements, brief, memo) must count
    it alike: each gets the union of the two, option's order first. A topic is the same capability as an option
    when their names are (:func:`tools.topics.same_capability`) or when most of the smaller one's signals are in
    the other.
    """
    options = [t for t in topics if t["kind"] == "option" and t["signal_ids"]]
    for topic in (t for t in topics if t["kind"] == "theme" and t["signal_ids"]):
        for option in options:
            shared = set(option["signal_ids"]) & set(topic["signal_ids"])
            if same_capability(option["name"], topic["name"]) or \
                    len(shared) > 0.5 * min(len(option["signal_ids"]), len(topic["signal_ids"])):
                union = list(dict.fromkeys([*option["signal_ids"], *topic["signal_ids"]]))
                option["signal_ids"] = union
                topic["signal_ids"] = list(union)
                topic["description"] = f"{len(union)} signals found for the goal"
                if topic.get("theme"):
                    topic["theme"] = {**topic["theme"], "size": len(union)}
                break
    return topics


def _typical_first(ids: list[str], evidence: Mapping[str, Mapping[str, Any]], vectors: VectorSource) -> list[str]:
    """``ids`` by relevance + cosine to the topic's centroid, highest first (ties: relevance order)."""
    stored, _ = vectors(ids, [])
    rows = [stored[s] for s in ids if s in stored]
    if not rows:
        return ids
    centroid = np.mean(rows, axis=0)
    centroid = centroid / (np.linalg.norm(centroid) or 1.0)

    def key(item: tuple[int, str]) -> tuple[float, int]:
        i, sid = item
        typical = float(stored[sid] @ centroid) if sid in stored else 0.0
        return (-(float(evidence[sid].get("score") or 0.0) + typical), i)

    return [sid for _, sid in sorted(enumerate(ids), key=key)]


def _closeness(groups: Sequence[Sequence[str]], queries: Sequence[str],
               vectors: Callable[[Sequence[str], Sequence[str]], tuple[dict[str, np.ndarray], np.ndarray]]
               ) -> list[list[float]] | None:
    """Each group's centroid cosine to each query (None when the signals' vectors are not at hand)."""
    stored, qvecs = vectors([s for g in groups for s in g], queries)
    centroids = _centroids(groups, stored)
    if centroids is None:
        return None
    return [[float(q @ centroid) for q in qvecs] for centroid in centroids]


def _centroids(groups: Sequence[Sequence[str]], stored: Mapping[str, np.ndarray]) -> list[np.ndarray] | None:
    """Each group's unit-length mean vector; None when a group has no stored vector."""
    out = []
    for group in groups:
        rows = [stored[s] for s in group if s in stored]
        if not rows:
            return None
        centroid = np.mean(rows, axis=0)
        out.append(centroid / (np.linalg.norm(centroid) or 1.0))
    return out


def _part_closeness(groups: Sequence[Sequence[str]], queries: Sequence[str], vectors: VectorSource
                    ) -> list[list[list[float]]] | None:
    """Each group's centroid cosine to each part of each query (:func:`tools.topics.query_parts`)."""
    split = [query_parts(q) for q in queries]
    texts = list(dict.fromkeys(p for ps in split for p in ps))
    if not texts:
        return None
    stored, pvecs = vectors([s for g in groups for s in g], texts)
    at = {t: pvecs[k] for k, t in enumerate(texts)}
    centroids = _centroids(groups, stored)
    if centroids is None:
        return None
    return [[[float(at[p] @ centroid) for p in ps] for ps in split] for centroid in centroids]


def _group_name(ids: Sequence[str], membership: dict[str, str | None], by_id: dict[str, dict[str, Any]],
                quotes: dict[str, str], others: list[str], focus: str, unlike: Sequence[str] = ()) -> str:
    """A group's name: the phrase most of its quotes share, else its theme's short label, else the goal's subject."""
    source = Counter(membership.get(s) for s in ids).most_common(1)[0][0]
    label = str((by_id.get(source or "") or {}).get("label") or "")
    fallback = label if label and len(label.split()) <= 4 else focus_subject(focus)
    return name_topic([quotes[s] for s in ids], focus, others, fallback=fallback, unlike=unlike)


_INSTRUCTION_WORDS = frozenset("draft write prepare produce create requirements requirement prd stories story spec "
                               "brief memo decision document docs plan".split())


def same_name(a: str, b: str) -> bool:
    """Whether two topic names are one name: the same content words, stemmed ('card' and 'cards', 'the card')."""
    return capability_words(a) == capability_words(b)


def focus_subject(focus: str) -> str:
    """A short subject for a goal when its evidence yields no shared phrase (instruction words left out)."""
    words = [w for w in re.findall(r"[\w'-]+", focus) if w.lower() not in STOPWORDS | _INSTRUCTION_WORDS]
    return " ".join(words[:4]) or focus


def context_themes(themes: Sequence[Mapping[str, Any]], used: set[str | None], limit: int = 5,
                   written: Callable[[Mapping[str, Any]], bool] | None = None, goal: str = "",
                   names: Sequence[str] = ()) -> list[dict[str, Any]]:
    """The workspace's largest themes the goal's topics did not come from ('users also talk about …').

    With ``written``, only themes it accepts: made of what people wrote or said, not of usage events or
    interviewers' questions (:func:`tools.trends.written_theme`). A theme the goal names — its label's content
    words all among the ``goal``'s, or the capability of one of the goal's topics (``names``) — is never
    context 'not part of this goal' ('exchange rate' for 'make exchange rates and fees transparent').
    """
    def named(label: str) -> bool:
        return goal_names(label, goal) or any(same_capability(label, n) for n in names)

    rest = [t for t in themes if t["id"] not in used and not named(str(t.get("label") or ""))]
    rest.sort(key=lambda t: (-int(t.get("size") or 0), t["id"]))
    out: list[dict[str, Any]] = []
    for theme in rest:
        if len(out) >= limit:
            break
        if written is None or written(theme):
            out.append({"label": theme["label"], "size": int(theme.get("size") or 0)})
    return out


def written_check(workspace: str, themes: list[dict[str, Any]], known: Mapping[str, bool] | None = None
                  ) -> Callable[[Mapping[str, Any]], bool] | None:
    """Whether a theme (by id, members from ``themes``) is made of what people wrote; None without a snapshot.

    ``known`` holds verdicts already read (:func:`written_ahead`), by theme id; the others are read when asked.
    """
    if not themes:
        return None
    members = {t["id"]: [m["signal_id"] for m in t.get("members") or []] for t in themes}
    memory = memory_api.workspace(workspace)

    def written(theme: Mapping[str, Any]) -> bool:
        if known is not None and theme["id"] in known:
            return known[theme["id"]]
        ids = members.get(theme["id"])
        if not ids:
            return False
        rows = memory.get_signals(ids[:trends.WRITTEN_SAMPLE])
        return trends.written_theme([(s.kind, s.signal_type, s.text) for s in rows])

    return written


#: Largest themes whose written-or-not verdict is read ahead (context_themes takes up to 5 beyond the goal's own).
WRITTEN_AHEAD = 12


def _written_key(workspace: str) -> tuple[str, str]:
    return ("written", workspace)


def _vectors_key(workspace: str, question_id: str) -> tuple[str, str, str]:
    return ("signal-vectors", workspace, question_id)


def written_ahead(workspace: str, cache: RunCache) -> dict[str, bool]:
    """The written-or-not verdicts of the workspace's largest themes (context_themes asks in this order)."""
    try:
        themes = theme_summaries(workspace, members=True, memo=cache)
    except PmpilotError:  # no themes: nothing to judge
        return {}
    written = written_check(workspace, themes)
    ahead = sorted(themes, key=lambda t: (-int(t.get("size") or 0), t["id"]))[:WRITTEN_AHEAD]
    return {t["id"]: written(t) for t in ahead} if written is not None else {}


def read_ahead(workspace: str, question_id: str, ids: Sequence[str], cache: RunCache) -> None:
    """While a researcher's last call is in flight, read what the scorer will need whatever the model answers.

    The model's citations change the quotes (so the topics' names and texts), never which themes are made of
    what users wrote, nor the stored vectors of the evidence it was shown (it may only drop rows). Both are
    registered in the run's cache (started with the call); the scorer takes them from there and reads any
    other itself (:func:`score`).
    """
    if not run_context.READ_AHEAD:
        return
    cache.prefetch(_written_key(workspace), written_ahead, workspace, cache)
    cache.prefetch(_vectors_key(workspace, question_id), memory_api.workspace(workspace).signal_vectors, list(ids))


def _strategy(state: PMState) -> Strategy | None:
    """The run's strategy file, parsed (None without one)."""
    data = state.get("strategy")
    return Strategy.from_dict(data, source=data.get("source", "")) if data else None


def prefetch(state: PMState, cache: RunCache) -> None:
    """Start embedding the strategy goals (alignment needs them, whatever the research finds)."""
    strategy = _strategy(state)
    if strategy is not None and strategy.goals:
        cache.prefetch_vectors(memory_api.workspace(state["workspace"]).embedder, [g.text for g in strategy.goals])


def workspace_vectors(workspace: str, cache: RunCache, ahead: Mapping[str, np.ndarray] | None = None
                      ) -> VectorSource:
    """Stored vectors of the goal's evidence and the embedded queries (cached for the run).

    ``ahead`` holds stored vectors already read (:func:`read_ahead`), by signal id; the others are read here.
    """
    memory = memory_api.workspace(workspace)

    known: dict[str, np.ndarray] = {}

    def vectors(ids: Sequence[str], queries: Sequence[str]) -> tuple[dict[str, np.ndarray], np.ndarray]:
        missing = [s for s in dict.fromkeys(ids) if s not in known]
        if missing:
            read = {s: ahead[s] for s in missing if ahead is not None and s in ahead}
            rest = [s for s in missing if s not in read]
            if rest:
                read.update(memory.signal_vectors(rest))
            known.update({k: v / (np.linalg.norm(v) or 1.0) for k, v in read.items()})
        stored = {s: known[s] for s in ids if s in known}
        if not queries:
            return stored, np.zeros((0, memory.embedder.dim), dtype=np.float32)
        embedded = cache.vectors(memory.embedder, list(queries))
        matrix = np.array([embedded[q] for q in queries], dtype=np.float32)
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        return stored, matrix / np.where(norms, norms, 1.0)

    return vectors


def _similarity(workspace: str, texts: list[str], goals: list[str], cache: RunCache) -> scoring.Similarity:
    """Cosine similarity to the strategy goals, every topic text embedded in one batch.

    One batched MiniLM pass instead of one per topic, and the goals' vectors from the run's cache
    (the planner starts them while its model call is in flight), keep the scorer's own work between
    the research calls and the drafting calls short.
    """
    embedder = memory_api.workspace(workspace).embedder
    vectors: dict[str, np.ndarray] = cache.vectors(embedder, [*goals, *texts])

    def similarity(text: str, goal_texts: Sequence[str]) -> list[float]:
        missing = [t for t in dict.fromkeys([text, *goal_texts]) if t not in vectors]
        if missing:
            vectors.update(cache.vectors(embedder, missing))
        return [float(vectors[goal] @ vectors[text]) for goal in goal_texts]

    return similarity


def search_warnings(state: PMState, relevant: int) -> list[str]:
    """``run.json`` warnings about the searches: nothing relevant at all, or questions that kept nothing alone.

    "No relevant evidence found" is said only when no question kept any; when some did (an option goal whose
    whole sentence matches nothing while each option has evidence), the empty ones are named as such.
    """
    plan = state.get("plan") or {}
    records = state.get("research") or []
    out: list[str] = []
    # Deliverables that gather their own evidence (meeting notes read the meeting's turns, status the commits)
    # are not short of evidence when the goal's search keeps nothing: their drafts say when there is none.
    kinds = [k for k in plan.get("deliverables") or [] if k in DELIVERABLES]
    own_evidence = bool(kinds) and all(DELIVERABLES[k].collect is not None for k in kinds)
    if not relevant and not own_evidence:
        searched = max((int(r.get("searched") or 0) for r in records), default=0)
        queries = ", ".join(repr(q["query"]) for q in plan.get("questions") or []) or repr(state["goal"])
        out.append(f"No relevant evidence found for {plan.get('focus') or state['goal']!r}: up to {searched} signals "
                   f"searched for each of {queries}, none reached the relevance floor (p >= {FITTED.floor}).")
    elif not own_evidence:  # meeting notes / status cover their own scope whatever the goal's search kept
        empty = [r for r in records if not r.get("kept")]
        if empty:
            out.append("Nothing relevant on its own for " + ", ".join(repr(r["query"]) for r in empty)
                       + f" ({max(int(r.get('searched') or 0) for r in empty)} signals searched each); the goal's "
                       f"{relevant} relevant signals come from its other questions.")
    for loose in plan.get("vague_options") or []:
        out.append(f"'{loose}' names no subject the evidence could be about: it is not scored as an option.")
    return out


def _score_summary(update: dict[str, Any]) -> str:
    topics = update["scores"]["topics"]
    best = max(topics, key=lambda t: t["total"], default=None)
    return f"{len(topics)} topics scored" + (f"; best: {best['name']} ({best['total']})" if best else "")


@timed("scorer", _score_summary)
def score(state: PMState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    """Score every option and relevant theme (absolute, reproducible, formulas shown)."""
    strategy = _strategy(state)
    weights = scoring.criteria_weights(strategy)
    evidence = state.get("evidence") or {}
    cache = runtime.context.cache
    membership, themes = theme_membership(state["workspace"], goal_evidence_ids(state), cache)
    ahead: dict[str, np.ndarray] = {}
    for question in (state.get("plan") or {}).get("questions") or []:  # read during the researchers' last calls
        ahead.update(cache.peek(_vectors_key(state["workspace"], question["id"])) or {})
    candidates, near = goal_topics(state, membership, themes, workspace_vectors(state["workspace"], cache, ahead))
    similarity = _similarity(state["workspace"], [alignment_text(t, evidence) for t in candidates],
                             [g.text for g in strategy.goals], runtime.context.cache) if strategy is not None else None
    topics = [{**topic, **score_topic(topic, evidence, strategy, weights, similarity)} for topic in candidates]
    used = {(t.get("theme") or {}).get("id") for t in topics}
    context = context_themes(list((state.get("context_themes") or {}).values()) or themes, used,
                             written=written_check(state["workspace"], themes,
                                                   cache.peek(_written_key(state["workspace"]))),
                             goal=(state.get("plan") or {}).get("focus") or state["goal"],
                             names=[t["name"] for t in topics if t["signal_ids"]])
    searched = [q["query"] for q in (state.get("plan") or {}).get("questions") or []]
    warnings = search_warnings(state, len(goal_evidence_ids(state)))
    if goal_evidence_ids(state):  # a multi-part goal's part no topic stands for is said, never dropped silently
        warnings += uncovered_parts(state.get("plan") or {}, state.get("research") or [], topics, evidence,
                                    state["workspace"])
    if near and not any(t["signal_ids"] for t in topics if t["kind"] == "theme") \
            and not own_evidence_only((state.get("plan") or {}).get("deliverables") or []):
        count = sum(n["size"] for n in near)
        subject = (state.get("plan") or {}).get("focus") or state["goal"]
        warnings.append(f"Too little relevant evidence for '{subject}': "
                        f"{count} signal{'s were' if count != 1 else ' was'} found near it, but none forms a topic of "
                        f"its own ({'; '.join(n['label'] + ': ' + n['reason'] for n in near[:3])}).")
    return {"scores": {"criteria": weights, "topics": topics, "strategy": bool(strategy),
                       "context": context, "near": near, "searched": searched,
                       "relevant": len(goal_evidence_ids(state))}, "warnings": warnings}


# --------------------------------------------------------------------------- review


def _review_summary(update: dict[str, Any]) -> str:
    notes = update["review_notes"]
    return f"{len(notes)} fixes requested" if notes else "drafts accepted"


@timed("review", _review_summary)
def review(state: PMState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    """Check the drafts; send them back with specific fixes at most twice."""
    notes = review_drafts(state.get("drafts") or {}, (state.get("scores") or {}).get("topics") or [],
                          coverage=not state.get("pm_revised"))
    rounds = int(state.get("review_rounds") or 0)
    if notes and rounds < MAX_REVIEW_ROUNDS:
        runtime.context.emit("review", "review", f"round {rounds + 1}: {len(notes)} fixes", fixes=notes)
        return {"review_notes": notes, "review_rounds": rounds + 1}
    return {"review_notes": [], "review_rounds": rounds}


def route_review(state: PMState) -> Literal["writer", "validate"]:
    """Back to the writer when fixes were requested, else on to citation validation."""
    return "writer" if state.get("review_notes") else "validate"
