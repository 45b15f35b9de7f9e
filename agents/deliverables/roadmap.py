"""Living roadmap deliverable: Now / Next / Later / Done, each item tied to themes, evidence, score and commits.

**Items.** The workspace's themes of what people wrote or said (tickets, reviews, interviews, sales
calls, surveys — a theme made mostly of usage events or of interview questions is not an item),
plus the run's own scored topics that no such theme already covers. Each item is scored like the
scorer scores a topic (RICE, plus strategic alignment when a strategy is given) over its written
signals; an item named by a bare keyword takes the phrase its signals use ("lost edits").

**Placement.** Open items fill Now, Next and Later by score; the best item of the heaviest strategy
goal is always in Now (strategy first), and an item whose evidence grew since the previous roadmap,
or whose trend is growing (:mod:`tools.trends`), moves up one bucket. Every item states why it is
where it is: its score and what makes it, the goal it serves with the goal's weight, its trend.
Strategy goals no item serves are listed apart (``strategy_gaps``): nothing cites them.

**Done** is only what shipped: commits of the run's repository (``--repo``, since ``--since``)
are matched to items by keywords and embedding similarity, and an item is done when a matched
commit carries an explicit done marker (a ``Roadmap: done`` line), when its strategy goal is marked
done in the strategy file (``status: done``), or when a matched commit closes an issue (``Closes
#N``) and no user signal about the item arrived after it. Other matched commits are progress: the
item stays open and lists them.

**Counts agree with citations.** ``signals`` is the number of the item's signals and
``citations`` the strongest :data:`CITES_PER_ITEM` of those same signals.

**What moved.** When the workspace has an earlier completed run with a roadmap (looked up like the
status update looks up its previous run), ``moved`` lists, per item, the bucket it left and the one
it entered, with the reason (shipped, evidence grew, score changed, new, dropped). Items are matched
across runs by name, else by overlapping citations.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from agents.deliverables.base import Deliverable, Materials, parts, register
from agents.deliverables.labels import theme_name
from agents.runs import latest_artifact
from kernel.artifacts import EvidenceRef, Roadmap, RoadmapItem, RoadmapMove
from kernel.errors import PmpilotError
from kernel.schemas import EvidenceRow, as_evidence_row
from kernel.timeutil import parse_iso, parse_when
from memory.ingest.gitlog import Commit, read_commits
from tools import trends
from tools.alignment import theme_goals
from tools.citations import find_span
from tools.render import Layout, bullets, cite, field_lines, one_line, section
from tools.research import evidence_row, fetch_signals, theme_summaries
from tools.scoring import Strategy, criteria_weights, rank_key, rice_normalized, tie_note, tokens
from tools.topic_scores import score_topic
from tools.topics import name_topic, told_apart, topic_words

KIND = "roadmap"
KEYWORDS = ("roadmap", "now next later", "now/next/later", "what to build next", "prioritize", "prioritise",
            "what moved", "plan the quarter", "quarterly plan")
NOW_SIZE = 3
NEXT_SIZE = 3
LATER_SIZE = 6
CITES_PER_ITEM = 5
#: Written signals a theme needs to be a roadmap item of its own.
MIN_ITEM_SIGNALS = 5
#: Themes considered as items (the largest by written signals; the roadmap shows at most 12 open items).
MAX_THEME_ITEMS = 24
#: Signals per theme read as the item's evidence (the strongest first; counts use all of them).
MAX_ITEM_SIGNALS = 150
#: A run topic whose signals lie this much inside a theme item is that item.
SAME_ITEM = 0.5
#: Cosine similarity (commit subject vs item) that matches a commit on its own ...
COMMIT_MATCH = 0.55
#: ... or together with two shared keywords ...
COMMIT_MATCH_WITH_KEYWORD = 0.3
#: ... or with one. One common word ('file', 'report', 'research') with a loose meaning (cosine 0.30-0.375) is
#: chance: a library backlog's 'files' item took 'memory: repository.py split by concern' (PM review F12);
#: on the reviewer's g27t backlog and this repository 9 such matches -> 0, on the demo 15 -> 11 (lost: 2 of its
#: SSO item's 3 SAML/SCIM commits, a pull-to-refresh and a referral commit its items do not cover).
COMMIT_MATCH_ONE_WORD = 0.4
#: Relative and absolute evidence growth that moves an item up one bucket.
GROWTH_RATIO = 0.2
GROWTH_MIN = 2
#: Days users must stay quiet about an item after the commit that closes it (within the data) for it to be done.
QUIET_DAYS = 14
#: Signal types that tell something (a report or a request), cited before questions and chatter.
_TELLING = frozenset({"bug", "complaint", "churn_risk", "feature_request"})
#: An item serves the goal it matches at least this much (alignment match, 0..1).
GOAL_MATCH = 0.5
_ORDER = ("now", "next", "later")
_NAME = re.compile(r"[^\w]+")
_DONE_MARKER = re.compile(r"^\s*roadmap\s*[:-]\s*done\b", re.IGNORECASE | re.MULTILINE)
_CLOSES = re.compile(r"\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)\s+#\d+", re.IGNORECASE)
_DONE_STATUS = frozenset({"done", "shipped", "complete", "completed", "closed"})


def _key(name: str) -> str:
    return _NAME.sub(" ", name.lower()).strip()


# ------------------------------------------------------------------------------------------- previous


def previous_roadmap(workspace: str) -> dict[str, Any] | None:
    """The newest completed run of ``workspace`` that wrote a roadmap: run id, date and document."""
    return latest_artifact(workspace, KIND)


def _previous_items(doc: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(bucket, item) for bucket in ("now", "next", "later", "done") for item in doc.get(bucket) or []]


_Entry = tuple[str, dict[str, Any]]


def _match_previous(item: dict[str, Any], previous: list[_Entry]) -> _Entry | None:
    """The previous roadmap's entry for ``item``: same name, else the largest citation overlap (≥ 30 %)."""
    for bucket, old in previous:
        if _key(old["item"]) == _key(item["item"]):
            return bucket, old
    best: tuple[float, _Entry | None] = (0.0, None)
    cited = set(item["citations"])
    for bucket, old in previous:
        other = set(old.get("citations") or [])
        if cited and other:
            overlap = len(cited & other) / len(cited | other)
            if overlap > best[0]:
                best = (overlap, (bucket, old))
    return best[1] if best[0] >= 0.3 else None


# ------------------------------------------------------------------------------------------- commits


def _item_text(topic: dict[str, Any]) -> str:
    keywords = (topic.get("theme") or {}).get("keywords") or []
    return ". ".join(x for x in [topic["name"], " ".join(keywords[:6]), topic.get("description") or ""] if x)


def match_commits(commits: list[Commit], topics: list[dict[str, Any]],
                  similarity: Any = None) -> dict[str, list[Commit]]:
    """Commits per topic id: each commit goes to its most similar topic when the match is strong enough.

    Strong enough: a cosine of :data:`COMMIT_MATCH` alone, :data:`COMMIT_MATCH_ONE_WORD` with one shared content
    word, :data:`COMMIT_MATCH_WITH_KEYWORD` with two or more.
    """
    if not commits or not topics:
        return {}
    if similarity is None:
        from tools.alignment import embedding_similarity

        similarity = embedding_similarity()
    texts = [_item_text(t) for t in topics]
    subjects = [re.sub(r"^\w+(\([^)]*\))?!?:\s*", "", c.subject) for c in commits]
    sims = similarity(subjects, texts)
    topic_tokens = [tokens(t) for t in texts]
    out: dict[str, list[Commit]] = {}
    for i, commit in enumerate(commits):
        words = tokens(subjects[i]) | ({commit.scope.lower()} if commit.scope else set())
        best, best_score = None, 0.0
        for j, topic in enumerate(topics):
            score = float(sims[i][j])
            shared = len(words & topic_tokens[j])
            floor = COMMIT_MATCH if not shared else COMMIT_MATCH_WITH_KEYWORD if shared > 1 else COMMIT_MATCH_ONE_WORD
            if score >= floor and score > best_score:
                best, best_score = topic, score
        if best is not None:
            out.setdefault(best["id"], []).append(commit)
    return out


def _commits(m: Materials) -> list[Commit]:
    if not m.repo:
        return []
    since = parse_when(m.since, now=datetime.now(UTC)) if m.since else None
    return [c for c in read_commits(Path(m.repo), since=since) if not c.merge]


# ------------------------------------------------------------------------------------------- candidates


def _theme_items(m: Materials) -> list[dict[str, Any]]:
    """The workspace's themes that can be items: ``{"theme", "ids", "end"}`` (written member ids, strongest first).

    Read once per drafting (the writer's ``collect`` and the draft share ``m``).
    """
    cached = m.__dict__.get("_roadmap_themes")
    if cached is not None:
        return list(cached)
    out: list[dict[str, Any]] = []
    if m.workspace:
        try:
            themes = theme_summaries(m.workspace, members=True)
        except PmpilotError:  # no theme snapshot can be made (an empty or tiny workspace)
            themes = []
        dates = trends.signal_dates(m.workspace) if themes else {}
        end = max(dates.values(), default=None)
        for theme in themes:
            members = [x["signal_id"] for x in theme.get("members") or []]
            written = [sid for sid in members if sid in dates]
            if len(written) < MIN_ITEM_SIGNALS or len(written) < trends.MIN_WRITTEN_SHARE * len(members):
                continue
            out.append({"theme": theme, "ids": written, "dates": {sid: dates[sid] for sid in written}, "end": end})
    out = sorted(out, key=lambda c: (-len(c["ids"]), c["theme"]["id"]))[:MAX_THEME_ITEMS]
    m.__dict__["_roadmap_themes"] = out
    return list(out)


def collect(m: Materials) -> dict[str, EvidenceRow]:
    """Evidence rows of the candidate themes' written signals (the run may cite only stored evidence)."""
    rows: dict[str, EvidenceRow] = {}
    for cand in _theme_items(m):
        theme = cand["theme"]
        ids = cand["ids"][:MAX_ITEM_SIGNALS]
        stored = fetch_signals(m.workspace, [sid for sid in ids if sid not in m.evidence])
        quotes = {q["signal_id"]: q["quote"] for q in theme.get("quotes") or []}
        query = " ".join([theme["label"], *(theme.get("keywords") or [])[:6]])
        for rank, sid in enumerate(ids):
            if sid not in stored:
                continue
            # members come closest-to-the-theme first: that order ranks them for citation
            row = as_evidence_row(evidence_row(stored[sid], query, score=round(0.5 * (1 - rank / len(ids)), 4),
                                               theme=theme["id"]))
            span = find_span(stored[sid].text, quotes[sid]) if sid in quotes else None
            row["quote"] = span or row["quote"]
            rows[sid] = row
    return rows


def _strategy(m: Materials) -> Strategy | None:
    return Strategy.from_dict(m.strategy, source=str(m.strategy.get("source") or "")) if m.strategy else None


def _done_goals(m: Materials) -> set[str]:
    """Strategy goals the strategy file marks done (``status: done`` or ``done: true``)."""
    goals = (m.strategy or {}).get("goals")
    if not isinstance(goals, list):
        return set()
    return {str(g.get("name") or g.get("goal") or "").strip() for g in goals if isinstance(g, dict)
            and (g.get("done") is True or str(g.get("status") or "").strip().lower() in _DONE_STATUS)}


def _scoring_similarity(similarity: Any) -> Any:
    """The scorer's ``(text, goal_texts) -> cosines`` from a ``(texts, goals) -> matrix`` function."""
    return lambda text, goals: [float(x) for x in similarity([text], list(goals))[0]]


def _questions(ids: list[str], m: Materials) -> float:
    rows = [m.evidence[sid] for sid in ids]
    asked = sum(1 for r in rows if r.get("signal_type") == "question" or str(r["quote"]).rstrip().endswith("?"))
    return asked / len(rows) if rows else 0.0


def candidates(m: Materials, theme_items: list[dict[str, Any]], similarity: Any) -> list[dict[str, Any]]:
    """Scored topics to place: the theme items (scored here), then the run's topics no theme item covers."""
    strategy = _strategy(m)
    weights = m.criteria or criteria_weights(strategy)
    score_sim = _scoring_similarity(similarity) if strategy is not None else None
    topics: list[dict[str, Any]] = []
    covered: list[set[str]] = []
    for cand in theme_items:
        theme = cand["theme"]
        ids = [sid for sid in cand["ids"] if sid in m.evidence]
        if len(ids) < MIN_ITEM_SIGNALS or _questions(ids, m) > trends.MAX_QUESTION_SHARE:
            continue
        name = theme_name(theme["label"], theme.get("keywords") or [], [m.evidence[sid]["quote"] for sid in ids])
        topic = {"id": f"theme:{theme['id']}", "kind": "theme", "name": name,
                 "description": ", ".join((theme.get("keywords") or [])[:6]), "signal_ids": ids, "theme": theme}
        # ranked by closeness to the theme, not by this run's search: the same data scores the same every run
        own = {sid: {**m.evidence[sid], "score": round(1 - rank / len(ids), 4)} for rank, sid in enumerate(ids)}
        topic.update(score_topic(topic, own, strategy, weights, score_sim))
        topic["ranking"] = own
        topic["signal_count"] = len(cand["ids"])
        topic["trend_figure"] = (trends.count_trend(cand["dates"].values(), cand["end"])
                                 if cand["end"] and trends.informative(cand["dates"].values()) else None)
        topics.append(topic)
        covered.append(set(cand["ids"]))
    end = next((c["end"] for c in theme_items if c["end"]), None)
    for scored in m.ranked():
        sids = set(scored["signal_ids"])
        theme_id = (scored.get("theme") or {}).get("id")
        # the run's topic is an item already when its theme is, or when most of its signals are on the roadmap
        # (in one theme item or spread over several: 'fee on a card payment' across 'extra fee' and 'charged twice')
        if any(t["theme"]["id"] == theme_id for t in topics if theme_id) or \
                len(sids & set().union(*covered)) >= SAME_ITEM * len(sids):
            continue
        covered.append(sids)
        rows = [m.evidence[sid] for sid in scored["signal_ids"] if sid in m.evidence]
        dates = [parse_iso(r["created_at"]) for r in rows
                 if r.get("created_at") and trends.counted(r.get("kind"))]
        last = end or max(dates, default=None)
        topics.append({**scored, "signal_count": len(scored["signal_ids"]),
                       "trend_figure": trends.count_trend(dates, last) if last and trends.informative(dates) else None})
    return topics


def distinct_names(topics: list[dict[str, Any]], m: Materials) -> list[dict[str, Any]]:
    """The items, each named so that no two read as one capability ('extra fee' and 'fee on a card payment').

    An item's name that shares a content word with another item's name and describes that item's messages about as
    well as its own (:func:`tools.topics.told_apart`) does not tell the two apart: the item is named again from its
    own messages, preferring what sets them apart from the other items' (:func:`tools.topics.name_topic` with the
    others' quotes, never a name like another item's). The new name is kept only when it tells the item apart from
    more items than the old one did.
    """
    quotes = {t["id"]: [str(m.evidence[s]["quote"]) for s in t["signal_ids"] if s in m.evidence] for t in topics}

    def clashes(name: str, topic: dict[str, Any]) -> int:
        # only names that share a content word read as one item ('extra fee', 'fee on a card payment'); a name of
        # its own ('Sync reliability' beside 'Search') is never traded for a phrase cut from a quote
        words = topic_words(name)
        return sum(1 for other in topics if other is not topic and words & topic_words(other["name"])
                   and not told_apart(name, quotes[topic["id"]], quotes[other["id"]]))

    for topic in topics:
        before = clashes(topic["name"], topic)
        if not before:
            continue
        others = [q for other in topics if other is not topic for q in quotes[other["id"]]]
        names = [other["name"] for other in topics if other is not topic]
        name = name_topic(quotes[topic["id"]], m.focus or m.goal, others, fallback=topic["name"], unlike=names)
        if name != topic["name"] and clashes(name, topic) < before:
            topic["name"] = name
    return topics


# ------------------------------------------------------------------------------------------- build


def _score(topic: dict[str, Any]) -> float:
    if topic.get("total") is not None:
        return round(float(topic["total"]), 1)
    return round(100 * rice_normalized(float(topic["rice"]["score"])), 1)


def _pct(value: float) -> str:
    return f"{round(100 * value)} %"


def _goal(topic: dict[str, Any], strategy: Strategy | None) -> tuple[str | None, float | None]:
    """The strategy goal a topic serves most (match ≥ :data:`GOAL_MATCH`, the heavier goal on a tie)."""
    per_goal = (topic.get("alignment") or {}).get("per_goal") or {}
    if strategy is None or not per_goal:
        return None, None
    weight = {g.name: g.weight for g in strategy.goals}
    best = max(per_goal, key=lambda g: (per_goal[g], weight.get(g, 0.0), g))
    return (best, weight.get(best)) if per_goal[best] >= GOAL_MATCH else (None, None)


def _reason(item: dict[str, Any], topic: dict[str, Any]) -> str:
    """Why the item scores what it scores: RICE and reach, the goal it serves, its trend."""
    rice = topic["rice"]
    parts = [f"score {item['score']}/100", f"RICE {rice['score']:g} from {rice['reach']} users/accounts reporting"]
    if item.get("goal"):
        parts.append(f"serves {item['goal']} (weight {_pct(item['goal_weight'])})")
    elif topic.get("alignment") is not None:
        parts.append("serves no strategy goal")
    trend = topic.get("trend_figure")
    if trend is not None and not trend.empty:
        parts.append(f"trend {trend.text()}")
    return "; ".join(parts)


def build_roadmap(m: Materials, *, previous: dict[str, Any] | None = None, similarity: Any = None,
                  commits: list[Commit] | None = None, themes: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The roadmap as artifact data (contract shape); see the module docstring for the rules.

    Args:
        m: drafting materials (scored topics, evidence, repository, workspace, strategy).
        previous: ``{"run_id", "created_at", "doc"}`` of the roadmap to diff against; looked up in the
            workspace's runs when None.
        similarity: ``(texts, items) -> matrix`` cosine function; the configured embedder when None.
        commits: the commits to match; read from ``m.repo`` when None.
        themes: the candidate theme items (:func:`_theme_items` shape); the workspace's when None,
            ``[]`` for the run's topics only.

    Raises:
        InputError: the repository cannot be read.
    """
    if previous is None and m.workspace:
        previous = previous_roadmap(m.workspace)
    if similarity is None:
        from tools.alignment import embedding_similarity

        similarity = embedding_similarity()
    strategy = _strategy(m)
    topics = distinct_names(candidates(m, _theme_items(m) if themes is None else themes, similarity), m)
    commits = _commits(m) if commits is None else commits
    by_topic = match_commits(commits, topics, similarity)
    prev_items = _previous_items(previous["doc"]) if previous else []
    done_goals = _done_goals(m)
    # the data's end: the newest signal the run holds (quiet periods and trends are measured up to it)
    end = max((parse_iso(r["created_at"]) for r in m.evidence.values() if r.get("created_at")), default=None)

    # a theme item's goal: the status update's function (tools.alignment.theme_goals), so both name the same goal
    themed = [t for t in topics if t.get("kind") == "theme" and t.get("theme")]
    theme_goal = dict(zip([t["id"] for t in themed], theme_goals(strategy, [t["theme"] for t in themed],
                                                                similarity=similarity), strict=True)) \
        if strategy is not None and themed else {}
    weights = {g.name: g.weight for g in strategy.goals} if strategy is not None else {}
    items: list[tuple[dict[str, Any], dict[str, Any], str | None]] = []
    for topic in topics:
        theme = topic.get("theme") or {}
        matched = by_topic.get(topic["id"], [])
        if topic["id"] in theme_goal:
            served_goals = sorted(theme_goal[topic["id"]], key=lambda g: (-weights.get(g, 0.0), g))
            goal, goal_weight = (served_goals[0], weights.get(served_goals[0])) if served_goals else (None, None)
        else:
            goal, goal_weight = _goal(topic, strategy)
        trend = topic.get("trend_figure")
        item = {"item": topic["name"], "themes": [theme["label"]] if theme.get("label") else [],
                "score": _score(topic), "commits": [c.sha for c in matched],
                "citations": _cites(topic, m),
                "signals": int(topic.get("signal_count") or len(topic["signal_ids"])),
                "goal": goal, "goal_weight": goal_weight,
                "trend": trend.as_dict() if trend is not None and not trend.empty else None}
        item["why"] = _reason(item, topic)
        items.append((item, topic, _shipped(matched, topic, goal, done_goals, m, end)))
    # equal shown scores (RICE normalised, one decimal) ordered by reach, signals, relevance, newest evidence, name
    items.sort(key=lambda x: (-x[0]["score"], *rank_key(x[1]["rice"], x[0]["item"])[1:]))

    buckets: dict[str, list[dict[str, Any]]] = {"now": [], "next": [], "later": [], "done": []}
    why: dict[str, str] = {}
    for item, _, shipped in items:
        if shipped:
            item["status"] = "done"
            item["why"] = f"{shipped}; {item['why']}"
            buckets["done"].append(item)
            why[item["item"]] = shipped
    open_items = [item for item, _, shipped in items if not shipped]
    for item in open_items:
        item["status"] = "in progress" if item["commits"] else "open"
    top_goal = max(strategy.goals, key=lambda g: (g.weight, g.name)).name if strategy and strategy.goals else None
    first = next((i for i, item in enumerate(open_items) if top_goal and item["goal"] == top_goal), None)
    if first is not None and first >= NOW_SIZE:  # strategy first: the top goal's best item is in Now
        open_items.insert(NOW_SIZE - 1, open_items.pop(first))
        open_items[NOW_SIZE - 1]["why"] = f"best item of the top strategy goal; {open_items[NOW_SIZE - 1]['why']}"
    for rank, item in enumerate(open_items[:NOW_SIZE + NEXT_SIZE + LATER_SIZE]):
        bucket = 0 if rank < NOW_SIZE else 1 if rank < NOW_SIZE + NEXT_SIZE else 2
        growth = _growth(item, prev_items)
        if growth and bucket > 0:
            bucket -= 1
            why[item["item"]] = growth
            # the growth states the trend: the reason does not say it again at its end
            reason = str(item["why"])
            tail = re.search(r"; trend ([^;]+)$", reason)
            item["why"] = f"moved up: {growth}; {reason[:tail.start()] if tail and tail.group(1) in growth else reason}"
        buckets[_ORDER[bucket]].append(item)

    served = {item["goal"] for bucket in buckets.values() for item in bucket if item.get("goal")}
    gaps = [f"{g.name} (weight {_pct(g.weight)}): no user theme maps to it — [PM to decide] what belongs here."
            for g in sorted(strategy.goals, key=lambda g: (-g.weight, g.name))
            if g.name not in served and g.name not in done_goals] if strategy else []
    moved = _moves(buckets, prev_items, why) if previous else []
    cited = [sid for bucket in buckets.values() for item in bucket for sid in item["citations"]]
    title = f"Roadmap: {m.focus}" if m.focus else "Roadmap"
    return Roadmap(title=title, mode=m.mode, now=parts(RoadmapItem, buckets["now"]),
                   next=parts(RoadmapItem, buckets["next"]), later=parts(RoadmapItem, buckets["later"]),
                   done=parts(RoadmapItem, buckets["done"]), moved=parts(RoadmapMove, moved),
                   previous_run=previous["run_id"] if previous else None, strategy_gaps=gaps,
                   evidence=parts(EvidenceRef, m.evidence_for(cited))).model_dump(mode="json", by_alias=True)


def _cites(topic: dict[str, Any], m: Materials) -> list[str]:
    """The item's strongest signals: those naming it first, reports and requests before chatter, then by score."""
    words = tokens(" ".join([topic["name"], str((topic.get("theme") or {}).get("label") or "")]))

    evidence = topic.get("ranking") or m.evidence

    def rank(sid: str) -> tuple[int, int, float, str]:
        row = evidence[sid]
        named = bool(words & tokens(row["quote"]))
        telling = row.get("signal_type") in _TELLING and not str(row["quote"]).rstrip().endswith("?")
        return (0 if named else 1, 0 if telling else 1, -float(row.get("score") or 0.0), sid)

    return sorted((sid for sid in topic["signal_ids"] if sid in evidence and sid in m.evidence),
                  key=rank)[:CITES_PER_ITEM]


def _shipped(matched: list[Commit], topic: dict[str, Any], goal: str | None, done_goals: set[str],
             m: Materials, end: datetime | None) -> str | None:
    """Why the item is done (an explicit marker, or a closing commit users went quiet after), else None."""
    if goal and goal in done_goals:
        return f"shipped: the strategy marks {goal} done"
    marked = [c for c in matched if _DONE_MARKER.search(c.message)]
    if marked:
        return f"shipped: {marked[0].sha[:8]} marks it done ({marked[0].subject})"
    closing = [c for c in matched if _CLOSES.search(c.message)]
    if not closing or end is None:
        return None
    dates = [parse_iso(m.evidence[sid]["created_at"]) for sid in topic["signal_ids"]
             if sid in m.evidence and m.evidence[sid].get("created_at")]
    newest = max(dates, default=None)
    quiet = [c for c in closing if (newest is None or newest <= c.committed)
             and end - c.committed >= timedelta(days=QUIET_DAYS)]
    if not quiet:
        return None  # users still raise it after the closing commit, or too soon to tell: not done
    commit = max(quiet, key=lambda c: c.committed)
    return (f"shipped: {commit.sha[:8]} closes it ({commit.subject}) and no signal about it came in during the "
            f"{(end - commit.committed).days} days since")


def _growth(item: dict[str, Any], prev_items: list[tuple[str, dict[str, Any]]]) -> str | None:
    """Why an item moves up for growing evidence, or None."""
    match = _match_previous(item, prev_items)
    if match is not None:
        before = int(match[1].get("signals") or 0)
        after = item["signals"]
        if after - before >= GROWTH_MIN and after >= before * (1 + GROWTH_RATIO):
            return f"evidence grew from {before} to {after} signals"
    trend = item.get("trend")
    if trend and trends.Trend(trend["before"], trend["after"], trend["window_days"]).growing:
        return f"its signals are growing ({trend['text']})"
    return None


def _moves(buckets: dict[str, list[dict[str, Any]]], prev_items: list[tuple[str, dict[str, Any]]],
           why: dict[str, str]) -> list[dict[str, Any]]:
    moves: list[dict[str, Any]] = []
    seen: set[int] = set()
    for bucket in ("done", "now", "next", "later"):
        for item in buckets[bucket]:
            match = _match_previous(item, prev_items)
            if match is not None:
                seen.add(id(match[1]))
            before = match[0] if match else None
            if before == bucket:
                continue
            if before is None:
                reason = why.get(item["item"]) or f"new on the roadmap (score {item['score']})"
            else:
                old_score = float(match[1].get("score") or 0.0) if match else 0.0
                reason = why.get(item["item"]) or (
                    f"score {'rose' if item['score'] > old_score else 'fell'} from {old_score} to {item['score']}"
                    if item["score"] != old_score else "other items ranked above it changed")
            moves.append({"item": item["item"], "from": before, "to": bucket, "why": reason})
    for bucket, old in prev_items:
        if id(old) not in seen and bucket != "done":
            moves.append({"item": old["item"], "from": bucket, "to": "dropped",
                          "why": "no longer among the run's evidence-backed topics"})
    return moves


def draft_roadmap(m: Materials) -> dict[str, Any]:
    """Offline (and LLM-mode) roadmap: placement, scores and commits are computed, never written by a model."""
    return build_roadmap(m)




# ------------------------------------------------------------------------------------------- Markdown


_ROADMAP_PLACED = frozenset({"item", "themes", "score", "signals", "citations", "commits", "why", "goal", "goal_weight",
                             "trend", "status", "rice", "alignment"})


def _roadmap_item(item: Mapping[str, Any], bucket: str = "") -> list[str]:
    """One roadmap item: name, how many signals back it (and how many are cited), why it is here, its commits."""
    cited = len([c for c in item.get("citations") or [] if c])
    count = item.get("signals")
    facts = []
    if isinstance(count, int):
        facts.append(f"{count} signal{'s' if count != 1 else ''}" + (f", {cited} cited" if cited else ""))
    elif cited:
        facts.append(f"{cited} signal{'s' if cited != 1 else ''} cited")
    themes = [one_line(t) for t in item.get("themes") or [] if one_line(t)]
    name = one_line(item.get("item")) or "(untitled)"
    if themes and themes != [name]:
        facts.append(f"theme{'s' if len(themes) > 1 else ''} " + ", ".join(f"“{t}”" for t in themes))
    lines = [f"- **{name}**{' (' + '; '.join(facts) + ')' if facts else ''}{cite(item.get('citations'))}"]
    why = one_line(item.get("why"))
    if not why:
        why = "; ".join(p for p in (f"score {one_line(item.get('score'))}" if one_line(item.get("score")) else "",
                                    f"serves {one_line(item.get('goal'))}" if one_line(item.get("goal")) else "") if p)
    if why:
        lines.append(f"  - Why: {why}")
    shas = [str(s)[:8] for s in item.get("commits") or [] if s]
    if shas:
        label = "Shipped in" if item.get("status") == "done" or bucket == "done" else "In progress"
        more = f" and {len(shas) - 6} more" if len(shas) > 6 else ""
        lines.append(f"  - {label}: {len(shas)} commit{'s' if len(shas) != 1 else ''} ({', '.join(shas[:6])}{more})")
    lines += field_lines(item, _ROADMAP_PLACED, "  ")
    return lines


_PLACED = ("now", "next", "later", "done", "moved", "previous_run", "strategy_gaps")


#: Reasons that place an item other than by its score (its tie with another is not the tie-break's doing).
_PLACED_BY = ("moved up:", "best item of the top strategy goal")


def tie_line(doc: Mapping[str, Any]) -> str | None:
    """One line saying how open items with equal scores were ordered (None: no tie).

    The open items (Now, Next, Later, in the document's order) placed by score alone are compared on the score
    shown; items moved up for growing evidence or placed first for the top strategy goal say so in their reason.
    """
    ranked: list[tuple[str, Mapping[str, Any]]] = []
    for bucket in _ORDER:
        for item in doc.get(bucket) or []:
            if not isinstance(item, Mapping) or str(item.get("why") or "").startswith(_PLACED_BY):
                continue
            try:
                ranked.append((one_line(item.get("item")) or "(untitled)", {"score": float(item.get("score") or 0.0)}))
            except (TypeError, ValueError):
                continue
    return tie_note(ranked, what="score", heading="scores")


def _render(doc: Mapping[str, Any]) -> list[str]:
    lines: list[str] = []
    tie = tie_line(doc)
    if tie:
        lines += ["", f"_{tie}_"]
    for bucket, title in (("now", "Now"), ("next", "Next"), ("later", "Later"), ("done", "Done")):
        lines += ["", f"## {title}", ""]
        items = [i for i in doc.get(bucket) or [] if isinstance(i, Mapping)]
        if not items:
            lines.append("_Nothing shipped that closes a roadmap item._" if bucket == "done" else "_Nothing here._")
        for item in items:
            lines += _roadmap_item(item, bucket)
    lines += section("Strategy goals with no user evidence", bullets(doc.get("strategy_gaps")))
    moved = [m for m in doc.get("moved") or [] if isinstance(m, Mapping)]
    lines += ["", "## What moved since the last roadmap", ""]
    if not one_line(doc.get("previous_run")):
        lines.append("_First roadmap of this workspace: nothing to compare with._")
    elif not moved:
        lines.append(f"_Nothing moved since run {one_line(doc.get('previous_run'))}._")
    for move in moved:
        why = one_line(move.get("why"))
        lines.append(f"- **{one_line(move.get('item')) or '(untitled)'}**: {one_line(move.get('from')) or 'new'} → "
                     f"{one_line(move.get('to')) or 'dropped'}{f' ({why})' if why else ''}")
    return lines


register(Deliverable(KIND, Roadmap, KEYWORDS, draft_roadmap, collect=collect,
                     layout=Layout(_render, frozenset(_PLACED)), cited_lists=("now", "next", "later")))
