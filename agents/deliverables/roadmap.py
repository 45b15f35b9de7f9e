"""Living roadmap deliverable: Now / Next / Later / Done, each item tied to themes, evidence, score and commits.

Items are the run's scored topics (user themes and plan options with evidence), ranked by their
weighted score (RICE, plus strategic alignment when a strategy is given). Commits of the run's
repository (``--repo``, since ``--since`` when given) are matched to items by shared keywords and
embedding similarity; an item advanced by a user-visible commit (``feat``/``fix``/``perf`` or an
unconventional message) has shipped and goes to **Done**. The rest fill Now, Next and Later by
rank; an item whose evidence grew since the previous roadmap (or whose theme is trending up) moves
up one bucket.

When the workspace has an earlier completed run with a roadmap, ``moved`` lists, per item, the
bucket it left and the one it entered, with the reason (shipped, evidence grew, score changed,
new, dropped). Items are matched across runs by name, else by overlapping citations.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from agents.writer import Deliverable, Materials, register
from kernel.artifacts import Roadmap
from kernel.errors import NotFoundError
from kernel.timeutil import parse_when
from memory.ingest.gitlog import Commit, read_commits
from tools.scoring import rice_normalized, tokens

KIND = "roadmap"
KEYWORDS = ("roadmap", "now next later", "now/next/later", "what to build next", "prioritize", "prioritise",
            "what moved", "plan the quarter", "quarterly plan")
NOW_SIZE = 3
NEXT_SIZE = 3
LATER_SIZE = 6
CITES_PER_ITEM = 5
#: Cosine similarity (commit subject vs item) that matches a commit on its own ...
COMMIT_MATCH = 0.55
#: ... or together with at least one shared keyword.
COMMIT_MATCH_WITH_KEYWORD = 0.3
#: Relative and absolute evidence growth that moves an item up one bucket.
GROWTH_RATIO = 0.2
GROWTH_MIN = 2
TRENDING = 0.25
_SHIPPING_TYPES = frozenset({"feat", "fix", "perf"})
_ORDER = ("now", "next", "later")
_NAME = re.compile(r"[^\w]+")


def _key(name: str) -> str:
    return _NAME.sub(" ", name.lower()).strip()


# ------------------------------------------------------------------------------------------- previous


def previous_roadmap(workspace: str) -> dict[str, Any] | None:
    """The newest completed run of ``workspace`` that wrote a roadmap: run id, date and document."""
    from agents.runner import list_runs, read_artifact

    for run in list_runs(workspace):
        if run.get("status") != "completed" or not any(a.get("kind") == KIND for a in run.get("artifacts") or []):
            continue
        try:
            _, doc = read_artifact(run["run_id"], KIND)
        except NotFoundError:  # the run's files were removed: look further back
            continue
        return {"run_id": run["run_id"], "created_at": run.get("created_at") or "", "doc": doc}
    return None


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
    """Commits per topic id: each commit goes to its most similar topic when the match is strong enough."""
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
            shared = bool(words & topic_tokens[j])
            if (score >= COMMIT_MATCH or (shared and score >= COMMIT_MATCH_WITH_KEYWORD)) and score > best_score:
                best, best_score = topic, score
        if best is not None:
            out.setdefault(best["id"], []).append(commit)
    return out


def _commits(m: Materials) -> list[Commit]:
    if not m.repo:
        return []
    since = parse_when(m.since, now=datetime.now(UTC)) if m.since else None
    return [c for c in read_commits(Path(m.repo), since=since) if not c.merge]


# ------------------------------------------------------------------------------------------- build


def _score(topic: dict[str, Any]) -> float:
    if topic.get("total") is not None:
        return round(float(topic["total"]), 3)
    return round(rice_normalized(float(topic["rice"]["score"])), 3)


def build_roadmap(m: Materials, *, previous: dict[str, Any] | None = None, similarity: Any = None,
                  commits: list[Commit] | None = None) -> dict[str, Any]:
    """The roadmap as artifact data (contract shape); see the module docstring for the rules.

    Args:
        m: drafting materials (scored topics, evidence, repository, workspace).
        previous: ``{"run_id", "created_at", "doc"}`` of the roadmap to diff against; looked up in the
            workspace's runs when None.
        similarity: ``(texts, items) -> matrix`` cosine function; the configured embedder when None.
        commits: the commits to match; read from ``m.repo`` when None.

    Raises:
        InputError: the repository cannot be read.
    """
    if previous is None and m.workspace:
        previous = previous_roadmap(m.workspace)
    topics = m.ranked()
    commits = _commits(m) if commits is None else commits
    by_topic = match_commits(commits, topics, similarity)
    prev_items = _previous_items(previous["doc"]) if previous else []

    items: list[tuple[dict[str, Any], dict[str, Any], bool]] = []
    for topic in topics:
        theme = topic.get("theme") or {}
        shas = [c.sha for c in by_topic.get(topic["id"], [])]
        shipped = any((c.type or "feat") in _SHIPPING_TYPES for c in by_topic.get(topic["id"], []))
        item = {"item": topic["name"], "themes": [theme["label"]] if theme.get("label") else [],
                "score": _score(topic), "commits": shas,
                "citations": m.cites(topic["signal_ids"], CITES_PER_ITEM),
                "signals": len(topic["signal_ids"]), "rice": topic["rice"]["score"],
                "alignment": (topic.get("alignment") or {}).get("score"),
                "trend": float(theme.get("trend") or 0.0)}
        items.append((item, topic, shipped))
    items.sort(key=lambda x: (-x[0]["score"], x[0]["item"]))

    buckets: dict[str, list[dict[str, Any]]] = {"now": [], "next": [], "later": [], "done": []}
    why: dict[str, str] = {}
    open_items = [item for item, _, shipped in items if not shipped]
    for item, _, shipped in items:
        if shipped:
            buckets["done"].append(item)
            why[item["item"]] = f"shipped: {len(item['commits'])} matched commit(s) " \
                                f"({', '.join(s[:8] for s in item['commits'][:3])})"
    for rank, item in enumerate(open_items[:NOW_SIZE + NEXT_SIZE + LATER_SIZE]):
        bucket = 0 if rank < NOW_SIZE else 1 if rank < NOW_SIZE + NEXT_SIZE else 2
        growth = _growth(item, prev_items)
        if growth and bucket > 0:
            bucket -= 1
            why[item["item"]] = growth
        buckets[_ORDER[bucket]].append(item)

    moved = _moves(buckets, prev_items, why) if previous else []
    cited = [sid for bucket in buckets.values() for item in bucket for sid in item["citations"]]
    title = f"Roadmap: {m.focus}" if m.focus else "Roadmap"
    doc = Roadmap(title=title, mode=m.mode).model_dump(mode="json")  # type: ignore[arg-type]
    doc.update(buckets)
    doc["moved"] = moved
    doc["previous_run"] = previous["run_id"] if previous else None
    doc["evidence"] = m.evidence_for(cited)
    return doc


def _growth(item: dict[str, Any], prev_items: list[tuple[str, dict[str, Any]]]) -> str | None:
    """Why an item moves up for growing evidence, or None."""
    match = _match_previous(item, prev_items)
    if match is not None:
        before = int(match[1].get("signals") or 0)
        after = item["signals"]
        if after - before >= GROWTH_MIN and after >= before * (1 + GROWTH_RATIO):
            return f"evidence grew from {before} to {after} signals"
    if item["trend"] >= TRENDING:
        return f"its theme is trending up ({item['trend']:+.0%})"
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


register(Deliverable(KIND, Roadmap, KEYWORDS, draft_roadmap))
