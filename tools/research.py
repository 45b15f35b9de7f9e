"""Read-only research tools the researcher uses: memory search, themes, profiles, the decision log.

Each capability is a typed function taking the workspace explicitly (used by the offline
researcher), plus a LangChain tool wrapper in :data:`RESEARCH_TOOLS` whose workspace is injected
from the run's config (``configurable.workspace``) — never from model input, so a model (or an
instruction hidden inside a signal) cannot read another tenant. Nothing here writes or deletes.
"""

# No ``from __future__ import annotations`` here: LangChain reads the tool signatures at runtime.

import re
from collections import Counter
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any, Protocol, runtime_checkable

from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool, tool

from kernel.errors import InputError
from kernel.schemas import SearchHit, Signal
from memory import api as memory_api
from tools.relevance import (
    FOCUS,
    Retrieval,
    Scored,
    background,
    coverage_tokens,
    focus,
    query_terms,
    score,
    search_relevant,
    theme_map,
)
from tools.scoring import tokens

QUOTE_MAX = 240
_SENTENCE = re.compile(r"(?:[^.!?\n]|[.!?](?=[\w\d]))+[.!?]?")  # "4.10" and "e.g" stay inside their sentence


def best_quote(text: str, query: str = "", max_chars: int = QUOTE_MAX) -> str:
    """The sentence of ``text`` that best matches ``query``: always a verbatim span of ``text``."""
    query_tokens = tokens(query)
    best, best_score = "", -1.0
    for match in _SENTENCE.finditer(text):
        sentence = match.group(0).strip()
        if len(sentence) < 12:
            continue
        score = len(tokens(sentence) & query_tokens) + min(len(sentence), 160) / 1000
        if score > best_score:
            best, best_score = sentence, score
    if not best:
        best = text.strip()
    if len(best) > max_chars:
        cut = best[:max_chars]
        best = cut[: cut.rfind(" ")] if " " in cut else cut
    return best.strip()


def evidence_row(signal: Signal, query: str, *, score: float = 0.0, question: str | None = None,
                 theme: str | None = None) -> dict[str, Any]:
    """The evidence row of one stored signal (what the graph state keeps about it)."""
    return {
        "signal_id": signal.id,
        "quote": best_quote(signal.text, query),
        "source": signal.source,
        "kind": signal.kind.value,
        "signal_type": signal.signal_type.value,
        "sentiment": signal.sentiment,
        "user_id": signal.user_id,
        "account_id": signal.account_id,
        "segment": signal.segment,
        "created_at": signal.created_at.isoformat(),
        "score": round(float(score), 4),
        "questions": [question] if question else [],
        "themes": [theme] if theme else [],
    }


def search_signals(workspace: str, query: str, *, segment: str | None = None, account_id: str | None = None,
                   kind: str | None = None, limit: int = 10) -> list[SearchHit]:
    """Hybrid search of one workspace's user memory (tenant-scoped by the memory layer)."""
    return memory_api.search(query, workspace, segment=segment, account_id=account_id, kind=kind,
                             limit=max(1, min(int(limit), 50)))


def fetch_signals(workspace: str, ids: Sequence[str]) -> dict[str, Signal]:
    """Stored signals by id (ids of other workspaces or unknown ids are simply absent)."""
    if not ids:
        return {}
    return {s.id: s for s in memory_api.workspace(workspace).get_signals(list(dict.fromkeys(ids)))}


# ------------------------------------------------------------------------------ goal research retrieval

#: A candidate's sentences are scored on their own when it has at least this many (of at least 3 words) ...
MIN_SENTENCES = 2
#: ... up to this many of them (the first ones: a ticket's subject and opening come first).
MAX_SENTENCES = 12
#: A theme holding at least this share of the question's best hits (the focus stage's ``top`` nearest) ...
THEME_SHARE = 0.5
#: ... and at least this many of its kept signals is *the question's cluster*: its other candidates join.
THEME_KEPT = 3


def _sentences(text: str) -> list[str]:
    """The sentences of ``text`` (verbatim spans) with at least 3 words."""
    out = [m.group(0).strip() for m in _SENTENCE.finditer(text)]
    return [x for x in out if len(x.split()) >= 3][:MAX_SENTENCES]


class VectorMemo(Protocol):
    """Where a run shares text vectors between its branches (``agents.context.RunCache.vectors``)."""

    def vectors(self, embedder: Any, texts: Sequence[str]) -> Mapping[str, Any]:
        """Vectors of ``texts``: the ones known or being embedded are shared, the rest embedded here."""


def _spans(texts: dict[str, str]) -> dict[str, list[str]]:
    """The sentences :func:`best_sentences` scores, by text id (only texts with enough of them)."""
    spans = {sid: _sentences(text) for sid, text in texts.items()}
    return {sid: parts for sid, parts in spans.items() if len(parts) >= MIN_SENTENCES}


def candidate_sentences(workspace: str, query: str, *, segment: str | None = None, candidates: int = 60) -> list[str]:
    """The sentences :func:`goal_search` would embed for ``query``: those of its candidates below the floor."""
    found = search_relevant(workspace, query, segment=segment, candidates=candidates)
    spans = _spans({h.signal_id: h.text for h, _ in found.dropped})
    return list(dict.fromkeys(part for parts in spans.values() for part in parts))


def best_sentences(workspace: str, query: str, texts: dict[str, str], memo: VectorMemo | None = None
                   ) -> dict[str, tuple[Scored, str]]:
    """Each multi-sentence text's most relevant sentence, scored against ``query`` like a signal of its own.

    A long review or ticket that mentions the question in one sentence among many has its whole-text vector
    diluted by the rest ("Good but sync worries me. Love the app, but after losing a note …" sits far from
    "fix sync bugs" as a whole); its best sentence does not. Same model, floor and background as the whole text.
    A stored signal's sentence vectors are kept by the memory layer (:func:`memory.api.sentence_vectors`);
    with ``memo`` (the run's), the ones not kept yet are shared with the run's other questions and whatever
    embedded them ahead of time.
    """
    spans = _spans(texts)
    if not spans:
        return {}
    embedder = memory_api.workspace(workspace).embedder
    flat = [(sid, part) for sid, parts in spans.items() for part in parts]
    vectors = memory_api.sentence_vectors(workspace, flat, memo)  # kept per signal; the missing ones embedded
    # A sentence is scored as the short text it is: the floor's length term follows the sentences' own median
    # length, not the workspace's (whole long reviews), which would lift any short sentence of a wordy workspace.
    words = sorted(len(part.split()) for _, part in flat)
    sample = replace(background(workspace), median_words=float(words[len(words) // 2]))
    scored = score(query, embedder.embed_query(query), [(sid, part, vectors[i]) for i, (sid, part) in enumerate(flat)],
                   sample)
    best: dict[str, tuple[Scored, str]] = {}
    for item, (sid, part) in zip(scored, flat, strict=True):
        if sid not in best or item.relevance > best[sid][0].relevance:
            best[sid] = (item, part)
    return best


def goal_search(workspace: str, query: str, *, segment: str | None = None, candidates: int = 60,
                limit: int | None = None, memo: VectorMemo | None = None, themes: Mapping[str, str] | None = None
                ) -> tuple[Retrieval, dict[str, str], dict[str, int]]:
    """The relevance-filtered search of a run's research question, made for long texts and clusters.

    On top of :func:`tools.relevance.search_relevant` (floor, then focus):

    * a candidate below the floor whose best sentence reaches it is kept (:func:`best_sentences`), and the
      sentence becomes its quote — unless its theme disagrees with the best hits (the focus stage's rule);
    * when one workspace theme holds at least :data:`THEME_SHARE` of the question's best hits and at least
      :data:`THEME_KEPT` of the kept signals, that cluster *is* the question's subject: its other candidates
      join, after the kept ones ("Lost edits again — third time this month" for "fix sync bugs", in the
      cluster of sync failures whose best hits say "sync").

    Both apply only to a question the floor alone answers (at least :data:`THEME_KEPT` kept signals; the floor
    was calibrated so that off-domain questions keep fewer), so abstention is unchanged.

    ``themes`` (signal id → theme id) is the run's theme snapshot; without it, the workspace's saved one
    (:func:`tools.relevance.theme_map`, empty before the first snapshot). Returns the retrieval (``kept`` best
    first, then the cluster's), quotes by signal id (best sentences) and counts ``{"by_sentence": n,
    "by_theme": n}`` for ``run.json``.
    """
    found = search_relevant(workspace, query, segment=segment, candidates=candidates)
    if len(found.kept) < THEME_KEPT:
        # The floor alone decides whether the question is answered (it was calibrated so that off-domain
        # questions keep fewer than 3): a short sentence of a long text never turns an abstention into an answer.
        found.kept = found.kept[:limit] if limit else found.kept
        return GoalRetrieval.of(found, lexical_matches(workspace, query, found)), {}, {"by_sentence": 0,
                                                                                      "by_theme": 0}
    kept_ids = {h.signal_id for h, _ in found.kept}
    away_ids = {h.signal_id for h, _ in found.unfocused}
    below = {h.signal_id: h.text for h, _ in found.dropped}
    best = best_sentences(workspace, query, below, memo)
    rescued = [(h, replace(best[h.signal_id][0], signal_id=h.signal_id)) for h, _ in found.dropped
               if h.signal_id in best and best[h.signal_id][0].relevance >= found.model.floor]
    membership: dict[str, str] = theme_map(workspace) if themes is None else dict(themes)
    everything = [s for _, s in [*found.kept, *found.unfocused, *found.dropped]]
    if rescued and membership and found.focus_model is not None:
        stay, _ = focus(everything, [s for _, s in rescued], membership, replace(found.focus_model, min_keep=0))
        staying = {s.signal_id for s in stay}
        rescued = [(h, s) for h, s in rescued if s.signal_id in staying]
    kept = sorted([*found.kept, *rescued], key=lambda p: (-p[1].relevance, -p[1].cosine, p[0].signal_id))
    quotes = {h.signal_id: best[h.signal_id][1] for h, _ in rescued}
    joined: list[tuple[Any, Scored]] = []
    if membership:
        top = (found.focus_model or FOCUS).top
        nearest = sorted(everything, key=lambda s: (-s.cosine, s.signal_id))[:top]
        votes = Counter(membership[s.signal_id] for s in nearest if s.signal_id in membership)
        held = Counter(membership.get(h.signal_id) for h, _ in found.kept)  # by the floor, not by a sentence
        cluster = next((t for t, n in votes.most_common()
                        if n >= THEME_SHARE * len(nearest) and held[t] >= THEME_KEPT), None)
        if cluster is not None:
            taken = kept_ids | away_ids | set(quotes)
            joined = [(h, s) for h, s in found.dropped
                      if h.signal_id not in taken and membership.get(h.signal_id) == cluster]
            for h, _ in joined:
                if h.signal_id in best:
                    quotes[h.signal_id] = best[h.signal_id][1]
    found.kept = (kept + joined)[:limit] if limit else kept + joined
    ids = {h.signal_id for h, _ in found.kept}
    found.dropped = [p for p in found.dropped if p[0].signal_id not in ids]
    counts = {"by_sentence": sum(1 for h, _ in rescued if h.signal_id in ids),
              "by_theme": sum(1 for h, _ in joined if h.signal_id in ids)}
    return found, {sid: q for sid, q in quotes.items() if sid in ids}, counts


#: A question keeping at most this many signals is checked for candidates naming its key terms (:func:`lexical_matches`)
FEW_KEPT = 2
#: A candidate "mentions" the question's key terms when it holds at least this share of their IDF mass (the relevance
#: model's own coverage feature: the rarer words weigh most, framing and template words none).
MENTION_SHARE = 0.5
#: Candidates judged off topic that mention the key terms from which the diagnostic is said ("many").
MANY_MENTIONS = 5
#: Key terms named in the diagnostic at most.
MENTION_TERMS = 3
#: Where a PM reads how the floor works and how to tune it.
FLOOR_DOCS = "docs/agents.md ('Relevance and abstention')"


@dataclass
class GoalRetrieval(Retrieval):
    """A :class:`tools.relevance.Retrieval` that also reports candidates naming the question's key terms.

    ``lexical`` (:func:`lexical_matches`) goes to ``run.json`` as ``research[].floor.lexical_matches``; it never
    changes what is kept.
    """

    lexical: dict[str, Any] | None = None

    @classmethod
    def of(cls, found: Retrieval, lexical: dict[str, Any] | None) -> "GoalRetrieval":
        """``found`` with its diagnostic."""
        return cls(**{f.name: getattr(found, f.name) for f in fields(Retrieval)}, lexical=lexical)

    def stats(self) -> dict[str, Any]:
        """:meth:`Retrieval.stats`, with ``floor.lexical_matches`` when the diagnostic was said."""
        out = super().stats()
        if self.lexical:
            out["floor"]["lexical_matches"] = self.lexical
        return out


#: Two words are one family ("availability", "available") when they share a prefix of at least this many letters …
FAMILY_PREFIX = 6
#: … that is at least this share of the shorter word ("backup" and "back" are not one family). A diagnostic only:
#: a rare false family ("organisation", "organic") can only add to a count, never to the evidence.
FAMILY_SHARE = 0.6


def same_family(a: str, b: str) -> bool:
    """Whether two coverage tokens are forms of one word ("availability", "available"; "respond", "response")."""
    if a == b:
        return True
    common = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        common += 1
    return common >= FAMILY_PREFIX and common >= FAMILY_SHARE * min(len(a), len(b))


def query_words(query: str) -> dict[str, str]:
    """The query's words by their coverage token (the first word giving a token names it)."""
    out: dict[str, str] = {}
    for word in re.findall(r"[\w'’-]+", query):
        for token in coverage_tokens(word):
            out.setdefault(token, word)
    return out


def mentions(terms: Mapping[str, float], text: str) -> dict[str, str]:
    """The key ``terms`` (token → IDF) ``text`` names, each with the form it uses (:func:`same_family`)."""
    present = set(coverage_tokens(text))
    out: dict[str, str] = {}
    for term in terms:
        form = term if term in present else next((t for t in sorted(present) if same_family(term, t)), None)
        if form is not None:
            out[term] = form
    return out


def lexical_matches(workspace: str, query: str, found: Retrieval) -> dict[str, Any] | None:
    """When ``query`` keeps at most :data:`FEW_KEPT` signals while many candidates name its key terms, say so.

    The key terms are the query's content words with their IDF in the workspace's background
    (:func:`tools.relevance.query_terms`: framing and story-template words weigh nothing, rare words most); a
    candidate names them when the terms it holds, in any form of the word (:func:`same_family`: "available" for
    "availability"), carry at least :data:`MENTION_SHARE` of that weight. At least :data:`MANY_MENTIONS` such
    candidates below the floor or dropped by focus mean the words are there while the meaning was judged off topic:
    the goal may be worded unlike what users write, or the floor may be too strict for this workspace. Returns
    ``{"count", "below_floor", "dropped_by_focus", "kept", "terms", "forms", "min_share", "note"}`` (terms: those at
    least half of the matching candidates hold, rarest first; forms: how those candidates write them), or None.
    Diagnostic only: nothing is kept or dropped by it.
    """
    if len(found.kept) > FEW_KEPT:
        return None
    terms = query_terms(query, background(workspace))
    total = sum(terms.values())
    if total <= 0:
        return None
    named: dict[str, dict[str, str]] = {}
    for hit, _ in [*found.dropped, *found.unfocused]:
        held = mentions(terms, hit.text)
        if sum(terms[t] for t in held) >= MENTION_SHARE * total:
            named[hit.signal_id] = held
    if len(named) < MANY_MENTIONS:
        return None
    away = sum(1 for h, _ in found.unfocused if h.signal_id in named)
    below = len(named) - away
    counts = Counter(t for held in named.values() for t in held)
    shared = sorted((t for t, n in counts.items() if 2 * n >= len(named)), key=lambda t: (-terms[t], t))
    shared = shared[:MENTION_TERMS]
    words = query_words(query)
    forms = {t: Counter(held[t] for held in named.values() if t in held).most_common(1)[0][0] for t in shared}

    def said(t: str) -> str:
        word = words.get(t, t)
        return f"'{word}'" if forms[t] == t else f"'{word}' (as '{forms[t]}')"

    listed = [said(t) for t in shared]
    what = " and ".join(listed) if len(listed) <= 2 else ", ".join(listed[:-1]) + f" and {listed[-1]}"
    kept = len(found.kept)
    note = (f"{len(named)} of the {found.searched} signals searched for '{query}' mention {what or 'its key words'} "
            f"but were judged off-topic ({below} below the relevance floor"
            + (f", {away} dropped by focus" if away else "")
            + f"; {kept} kept): check the goal's wording, or see {FLOOR_DOCS} on tuning the floor.")
    return {"count": len(named), "below_floor": below, "dropped_by_focus": away, "kept": kept,
            "terms": [words.get(t, t) for t in shared], "forms": [forms[t] for t in shared],
            "min_share": MENTION_SHARE, "note": note}


def floor_note(record: Mapping[str, Any]) -> str:
    """The lexical-match diagnostic of a ``run.json`` research record (:func:`lexical_matches`), or ""."""
    floor = record.get("floor") or {}
    lexical = floor.get("lexical_matches") if isinstance(floor, Mapping) else None
    return str(lexical.get("note") or "") if isinstance(lexical, Mapping) else ""


@runtime_checkable
class Memo(Protocol):
    """Where a run keeps values it computes once (``agents.context.RunCache``)."""

    def get(self, key: Hashable, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """The value of ``key``, computed by ``fn(*args, **kwargs)`` when nobody did yet."""


def themes_key(workspace: str) -> tuple[str, str]:
    """The key of a workspace's theme snapshot (with members) in a run's cache."""
    return ("themes", workspace)


def theme_summaries(workspace: str, *, members: bool = True, memo: Memo | None = None) -> list[dict[str, Any]]:
    """The workspace's themes as data (cached snapshot when the workspace is unchanged).

    With ``memo`` (the run's cache), the snapshot is read once per run, with members, and shared:
    the landscape question and the ``get_themes`` tool see the same themes without re-reading
    the workspace to check the snapshot. The shared rows are read-only.
    """
    if memo is None:
        report = memory_api.themes(workspace, members=members)
        return [t.model_dump(mode="json") for t in report.themes]
    themes: list[dict[str, Any]] = memo.get(themes_key(workspace), theme_summaries, workspace, members=True)
    return themes if members else [{**t, "members": []} for t in themes]


def profile_claims(workspace: str, *, user: str | None = None, account: str | None = None,
                   segment: str | None = None, limit: int = 8) -> dict[str, Any]:
    """The strongest active claims of one user, account or segment profile."""
    profile = memory_api.profile(workspace, user=user, account=account, segment=segment)
    claims = sorted(profile.claims, key=lambda c: (-c.support, c.text))
    return {
        "subject": profile.subject,
        "subject_type": profile.subject_type,
        "claims": [
            {"type": c.type.value, "text": c.text, "evidence": c.evidence[:5], "support": c.support,
             "status": c.status.value}
            for c in claims[:limit]
        ],
    }


def past_decisions(workspace: str, query: str, limit: int = 5) -> list[dict[str, Any]]:
    """Earlier decisions from the workspace's decision log that match ``query``."""
    return list(memory_api.workspace(workspace).search_decisions(query, limit=limit))


def _memo(config: RunnableConfig) -> Memo | None:
    """The run's cache, when the run put one in the config (``configurable.memo``)."""
    memo = (config.get("configurable") or {}).get("memo")
    return memo if isinstance(memo, Memo) else None


def _workspace(config: RunnableConfig) -> str:
    workspace = (config.get("configurable") or {}).get("workspace")
    if not workspace:
        raise InputError("research tools need a workspace in the run config")
    return str(workspace)


def share_query_vector(workspace: str, query: str, memo: Memo | None) -> None:
    """Embed a tool's search query once per run: parallel branches asking the same search share the pass.

    Researchers' models often search the same words at once ('sync' for two questions about sync): the first
    branch embeds the query (remembered by the embedder, so the memory's search finds it), the others wait for
    that pass instead of each running its own. The vector is the one the search would embed itself.
    """
    if memo is None or not query.strip():
        return
    embedder = memory_api.workspace(workspace).embedder
    memo.get(("query", embedder.name, query), embedder.embed_queries, [query])


@tool
def search_memory(  # noqa: D417 - config is injected, not a model argument
    query: str, config: RunnableConfig, segment: str | None = None, account_id: str | None = None,
    kind: str | None = None, limit: int = 8,
) -> list[dict[str, Any]]:
    """Search the user memory (tickets, reviews, interviews, sales calls, surveys, usage) for signals.

    Args:
        query: What to look for, in plain words.
        segment: Only signals of this customer segment.
        account_id: Only signals of this account.
        kind: Only signals of this kind (ticket, review, interview, sales_call, survey, usage).
        limit: Maximum number of signals (1-20).
    """
    workspace = _workspace(config)
    share_query_vector(workspace, query, _memo(config))
    hits = search_signals(workspace, query, segment=segment, account_id=account_id, kind=kind, limit=min(limit, 20))
    return [
        {"signal_id": h.signal_id, "text": h.text[:600], "kind": h.kind.value, "source": h.source,
         "user_id": h.user_id, "account_id": h.account_id, "segment": h.segment,
         "created_at": h.created_at.isoformat()}
        for h in hits
    ]


@tool
def get_themes(config: RunnableConfig, limit: int = 8) -> list[dict[str, Any]]:  # noqa: D417 - config injected
    """The recurring themes users talk about, largest first, with size, users, trend and quotes.

    Args:
        limit: Maximum number of themes.
    """
    themes = theme_summaries(_workspace(config), members=False, memo=_memo(config))
    return [
        {"id": t["id"], "label": t["label"], "keywords": t["keywords"][:6], "size": t["size"], "users": t["users"],
         "accounts": t["accounts"], "trend": t["trend"], "quotes": t["quotes"][:3]}
        for t in themes[: max(1, min(limit, 20))]
    ]


@tool
def get_profile(  # noqa: D417 - config is injected, not a model argument
    config: RunnableConfig, user: str | None = None, account: str | None = None, segment: str | None = None,
) -> dict[str, Any]:
    """The evolving profile (pain points, needs, requests, objections) of one user, account or segment.

    Args:
        user: A user id.
        account: An account id.
        segment: A segment name (e.g. enterprise, smb).
    """
    return profile_claims(_workspace(config), user=user, account=account, segment=segment)


@tool
def search_decision_log(  # noqa: D417 - config is injected, not a model argument
    query: str, config: RunnableConfig, limit: int = 5,
) -> list[dict[str, Any]]:
    """Earlier product decisions (from previous runs) and their rationale that relate to ``query``.

    Args:
        query: The topic of the decision.
        limit: Maximum number of decisions.
    """
    return past_decisions(_workspace(config), query, limit=min(limit, 10))


#: The only tools a model is ever given: all read-only.
RESEARCH_TOOLS: list[BaseTool] = [search_memory, get_themes, get_profile, search_decision_log]
