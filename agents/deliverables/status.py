"""Status update deliverable: what changed in a period, by strategy goal, backed by commits.

Inputs: the run's repository (``--repo``), period start (``--since``; else the date of the last
completed status run of the workspace — "since last update" —, else the last 7 days), the
strategy (``--strategy``) and the workspace's user memory (themes and ingested issues).

- **changes**: one line per strategy goal that got commits (audience tone: exec = outcomes and
  shares, eng = commits, PRs and lines, sales = customer-visible features and fixes), every line
  citing the shas it summarises (all read from the repository, so each exists); one line per
  goal the users ask about ("shipped vs asked", citing the theme's quotes); one line for
  unaligned work; and, when a previous status exists, what moved since it.
- **capacity**: each goal's share of the period's commits (:mod:`tools.alignment`), plus
  ``Unaligned``; the shares sum to 1.
- **risks**: stalled goals (share ≤ a third of the weight), growing complaint themes on
  under-invested goals, a large unaligned share, breaking changes.
- **next**: rebalancing toward the most under-invested goal, the issues users filed about it,
  and asked-for themes with nothing shipped.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from agents.deliverables.base import Deliverable, Materials, parts, register
from agents.deliverables.labels import theme_name
from agents.runs import latest_artifact
from kernel.artifacts import CapacityShare, EvidenceRef, StatusChange, StatusUpdate
from kernel.errors import InputError, PmpilotError
from kernel.schemas import EvidenceRow, SignalKind, as_evidence_row
from kernel.timeutil import parse_when
from memory import api as memory_api
from memory.ingest.gitlog import Commit, read_commits
from tools import trends
from tools.alignment import AlignmentReport, align, assign_goals, embedding_similarity, theme_goals
from tools.citations import find_span
from tools.relevance import UNQUOTABLE_KIND
from tools.render import Layout, bullets, cite, inline, one_line, render_value, section
from tools.research import evidence_row, fetch_signals, theme_summaries
from tools.scoring import Strategy
from tools.topics import STOPWORDS

KIND = "status"
KEYWORDS = (" status", "weekly update", "progress update", "what shipped", "what changed", "changelog",
            "release notes", "sprint review", "since last update", "capacity")
DEFAULT_PERIOD = timedelta(days=7)
MAX_THEMES = 8
QUOTES_PER_THEME = 3
STALLED_RATIO = 1 / 3
UNALIGNED_RISK = 0.25
#: Product features (by users) whose usage figures may join the goals' lines.
MAX_USAGE_FEATURES = 30
_INTERNAL_TYPES = frozenset({"chore", "ci", "build", "test", "refactor", "style", "docs"})


# ------------------------------------------------------------------------------------------- period


def previous_status(workspace: str) -> dict[str, Any] | None:
    """The newest completed run of ``workspace`` that wrote a status update: run id, date and document."""
    return latest_artifact(workspace, KIND)


def period_start(since: str | None, previous: dict[str, Any] | None, now: datetime) -> datetime:
    """``--since`` when given, else the previous status run's date, else :data:`DEFAULT_PERIOD` ago."""
    if since:
        return parse_when(since, now=now)
    if previous and previous.get("created_at"):
        return parse_when(previous["created_at"], now=now)
    return now - DEFAULT_PERIOD


# ------------------------------------------------------------------------------------------- collect


def _themes(workspace: str) -> list[dict[str, Any]]:
    """The largest themes of what people wrote or said, named by their phrase, with counts and trend.

    A theme made mostly of usage events (behaviour, not an ask) or of an interviewer's questions is
    left out; ``size`` is the count of its written signals and ``trend_figure`` their :mod:`tools.trends`
    figure, so the numbers shown agree with what the quotes stand for.
    """
    try:
        themes = theme_summaries(workspace, members=True)
    except PmpilotError:  # no theme snapshot can be made (an empty or tiny workspace)
        return []
    dates = trends.signal_dates(workspace)
    # no trend from dates that say nothing about time (every row dated at ingest)
    end = max(dates.values(), default=None) if trends.informative(dates.values()) else None
    out: list[dict[str, Any]] = []
    for theme in themes:
        members = [x["signal_id"] for x in theme.get("members") or []]
        written = [sid for sid in members if sid in dates]
        quotes = [q for q in theme.get("quotes") or [] if q["signal_id"] in dates]
        if not written or len(written) < trends.MIN_WRITTEN_SHARE * len(members) or not quotes:
            continue
        asked = sum(1 for q in quotes if q["quote"].rstrip().endswith("?"))
        if asked > len(quotes) / 2:  # an interviewer's questions, not what users said
            continue
        out.append({**theme, "members": [], "quotes": quotes, "size": len(written), "written": written,
                    "trend_figure": trends.count_trend((dates[sid] for sid in written), end) if end else None})
    return sorted(out, key=lambda t: (-t["size"], t["id"]))[:MAX_THEMES]


def _adoption(workspace: str, strategy: Strategy, similarity: Any) -> dict[str, list[str]]:
    """Goal → "sync used by 45 users (usage_events.csv)" per product feature the usage events map to it.

    Usage events are behaviour: they are stated as numbers with their source, never quoted as an ask.
    """
    users: dict[tuple[str, str], set[str]] = {}
    for signal, _ in memory_api.workspace(workspace).iter_signals(kind=SignalKind.USAGE.value):
        if signal.feature:
            who = signal.user_id or signal.account_id or signal.id
            users.setdefault((signal.feature, signal.source), set()).add(who)
    if not users:
        return {}
    keys = sorted(users, key=lambda k: (-len(users[k]), k))[:MAX_USAGE_FEATURES]
    out: dict[str, list[str]] = {}
    for (feature, source), goals in zip(keys, assign_goals(strategy, [f for f, _ in keys], similarity=similarity),
                                        strict=True):
        for goal in goals:
            out.setdefault(goal, []).append(f"{feature} used by {len(users[(feature, source)])} users ({source})")
    return {goal: lines[:3] for goal, lines in out.items()}


def _shared_themes(m: Materials) -> list[dict[str, Any]]:
    """:func:`_themes` of the run's workspace, read once per drafting (``collect`` and the draft share ``m``)."""
    if "_status_themes" not in m.__dict__:
        m.__dict__["_status_themes"] = _themes(m.workspace)
    return list(m.__dict__["_status_themes"])


def _name(theme: dict[str, Any], texts: dict[str, str]) -> str:
    """The theme as a PM names it: the phrase its signals use around a one-word label ("lost edits")."""
    return theme_name(theme["label"], theme.get("keywords") or [],
                      [texts[sid] for sid in theme.get("written") or [] if sid in texts])


def _says(theme: dict[str, Any], texts: dict[str, str]) -> str:
    """How users raise a theme: 'ask for' when most of its written signals ask for something, else 'report'."""
    said = [texts[sid] for sid in theme.get("written") or [] if sid in texts]
    asks = sum(1 for t in said if _ASKS.search(t))
    return "ask for" if said and asks > len(said) / 2 else "report"


#: A signal that asks for something ('As a user, I want …', 'I would like …', 'please add …', 'The system shall …').
_ASKS = re.compile(r"\b(?:i\s+(?:want|need|would\s+like|wish)|i'd\s+like|please\s+add|it\s+would\s+be\s+(?:nice|great)"
                   r"|(?:shall|should|must)\s+(?:be\s+able|allow|support|provide|let))\b", re.IGNORECASE)


def _issue_signals(workspace: str) -> list[Any]:
    return [s for s, _ in memory_api.workspace(workspace).iter_signals(kind=SignalKind.ISSUE.value) if s.chunk == 0]


def collect(m: Materials) -> dict[str, EvidenceRow]:
    """Evidence for "what users asked": the quotes of the largest themes and the ingested issues."""
    rows: dict[str, EvidenceRow] = {}
    if not m.workspace:
        return rows
    themes = _shared_themes(m)
    quotes = {q["signal_id"]: (q["quote"], t["id"]) for t in themes for q in t["quotes"][:QUOTES_PER_THEME]}
    for sid, signal in fetch_signals(m.workspace, list(quotes)).items():
        if signal.kind == UNQUOTABLE_KIND:  # behaviour, counted elsewhere, never quoted as an ask
            continue
        quote, theme_id = quotes[sid]
        row = as_evidence_row(evidence_row(signal, quote, theme=theme_id))
        row["quote"] = find_span(signal.text, quote) or row["quote"]
        rows[sid] = row
    for signal in _issue_signals(m.workspace):
        row = as_evidence_row(evidence_row(signal, signal.text.split("\n", 1)[0]))
        row["quote"] = signal.text.split("\n", 1)[0].strip() or row["quote"]
        rows[signal.id] = row
    return rows


# ------------------------------------------------------------------------------------------- text


def _pct(value: float) -> str:
    """A share as every line of the update writes it: '11 %' (the trends' format); '<1 %' above 0, never '0 %'."""
    if 0 < value < 0.005:
        return "<1 %"
    return f"{round(100 * value)} %"


def _commits(count: float) -> str:
    """A goal's commit count ('34'; 'about 34' when commits serving several goals were split between them)."""
    return f"{count:g}" if float(count).is_integer() else f"about {round(count)}"


#: Words of a commit subject an exec line shows at most (its first clause).
SUBJECT_WORDS = 12


def _headline(commit: Commit) -> str:
    """A commit subject as an exec reads it: its first clause, at most :data:`SUBJECT_WORDS` words.

    An area named before a colon ('docs/cli: a failed run exits 1', 'Search: …') is not what changed: the clause
    after it is.
    """
    text = _plain(commit)
    area, colon, rest = text.partition(": ")
    if colon and rest.strip() and len(area.split()) <= 2:
        text = rest
    clause = re.split(r"[;:(]|\s[-—]\s", text, maxsplit=1)[0].strip(" .,")
    words = clause.split()
    return " ".join(words[:SUBJECT_WORDS]) + (" …" if len(words) > SUBJECT_WORDS else "") if words else _plain(commit)


def _plain(commit: Commit) -> str:
    """A commit subject without its conventional prefix and PR reference, as a phrase."""
    subject = commit.subject
    if commit.type:
        subject = subject.split(":", 1)[1].strip() if ":" in subject else subject
    subject = subject.rsplit(" (#", 1)[0].strip() if subject.endswith(")") and " (#" in subject else subject
    return lower_word(subject)


def lower_word(text: str) -> str:
    """``text`` with its first word lower-cased only when it is a plain capitalised word ('Fix' → 'fix').

    An identifier or acronym keeps its case: all capitals ('LOOSE', 'API'), an underscore ('PMPILOT_HOME'),
    capitals after the first letter ('iOS', 'McKinsey', 'OAuth') or a digit ('S3').
    """
    first = text.split(" ", 1)[0]
    word = first.rstrip(",.;:!?")
    if not word or not re.fullmatch(r"[A-Z][a-z'-]*", word):
        return text
    return text[:1].lower() + text[1:]


#: Change lines an exec update shows at most (the largest areas); the rest are one "N smaller areas" line.
EXEC_AREAS = 5
#: Conventional commit types: they say what kind of change it is, not which part of the product.
_CONVENTIONAL_TYPES = frozenset({"feat", "fix", "chore", "ci", "build", "test", "tests", "refactor", "style", "docs",
                                 "perf", "revert", "release", "deps", "wip"})
_AREA_PREFIX = re.compile(r"^(?P<area>[A-Za-z][\w./ -]{0,40}?)(?:\s*\([^)]*\))?:\s+\S")


def area(commit: Commit) -> str:
    """The code area a commit is about ('' when nothing says).

    Its scope ('feat(sync): …' → 'sync'), its own prefix ('ask: …', 'decision memo: …', 'docs/agents: …' →
    'docs'), else the top folder of the files it changes most (a file at the root names none).
    """
    if commit.scope:
        return _area_word(commit.scope)
    if commit.type and commit.type.lower() not in _CONVENTIONAL_TYPES:
        return _area_word(commit.type)
    match = _AREA_PREFIX.match(commit.subject)
    if match and len(match.group("area").split()) <= 3 and match.group("area").lower() not in _CONVENTIONAL_TYPES:
        return _area_word(match.group("area"))
    folders = [f for f in commit.files if "/" in f.path]
    if folders:  # a file at the repository's root names no area
        return _area_word(max(folders, key=lambda f: f.lines).path.split("/")[0])
    return _area_word(commit.type) if commit.type else ""


def _area_word(prefix: str) -> str:
    """An area's name: the first word of a prefix, singular, so one area's commits are counted together.

    'meeting notes', 'meetings' → 'meeting'; 'bench.relevance' → 'bench'; 'story_quality' → 'story'.
    """
    word = re.split(r"[\s./_:-]+", prefix.strip().lower().lstrip("."), maxsplit=1)[0]
    if len(word) > 4 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    return word


_WORD = re.compile(r"[A-Za-z][a-z]+(?:-[a-z]+)*")


def area_sentence(name: str, commits: list[Commit], share: float) -> str:
    """One sentence for an exec on an area: how much changed and what it was mostly about.

    'Ask: 19 changes (4 % of the period's commits), mostly about abstention, evidence and confidence.' — the words
    its commit subjects use most (plain lower-case words in two or more of them), else the shortest subject's first
    clause; never a pasted list of subjects.
    """
    counts: Counter[str] = Counter()
    for c in commits:
        counts.update({w.lower() for w in _WORD.findall(_plain(c)) if w.islower() and len(w) > 3
                       and w.lower() not in STOPWORDS and w.lower() not in _VAGUE and not w.startswith(name[:4])})
    common = [w for w, n in counts.most_common() if n >= 2][:3]
    # two of them said together in two or more subjects are one phrase ('dark mode', not 'dark, mode')
    subjects = [" ".join(_WORD.findall(_plain(c))).lower() for c in commits]
    for a in list(common):
        for b in list(common):
            if a in common and b in common and a != b and sum(f"{a} {b}" in t for t in subjects) >= 2:
                common[common.index(a)] = f"{a} {b}"
                common.remove(b)
    head = f"{name[:1].upper()}{name[1:]}: {len(commits)} change{'s' if len(commits) != 1 else ''} ({_pct(share)} of " \
           "the period's commits)"
    if common:
        about = common[0] if len(common) == 1 else f"{', '.join(common[:-1])} and {common[-1]}"
        return f"{head}, mostly about {about}."
    clause = re.split(r"[;:(]|\s[-—]\s", min((_plain(c) for c in commits), key=len), maxsplit=1)[0].strip(" .,")
    words = clause.split()
    clause = " ".join(words[:12]) + (" …" if len(words) > 12 else "")
    return f"{head}: {clause}." if clause else f"{head}."


#: Words that say nothing about what an area's work was.
_VAGUE = frozenset("""
change changes changed instead when where which while with without from into than then them they their there these
those this that what each every only also more most less same other others just still again once used uses using
make makes made keep keeps kept gets does done test tests fixed fixes adds added adding update updated updates
""".split())


def exec_areas(commits: list[Commit]) -> list[dict[str, Any]]:
    """An exec's change lines without a strategy, grouped by code area.

    One sentence per largest area (at most :data:`EXEC_AREAS`, by share of the period's commits) and one line for
    the smaller areas and the commits with no area.
    """
    groups: dict[str, list[Commit]] = {}
    for c in commits:
        groups.setdefault(area(c), []).append(c)
    named = sorted(((a, g) for a, g in groups.items() if a), key=lambda kv: (-len(kv[1]), kv[0]))
    shown, rest = named[:EXEC_AREAS], named[EXEC_AREAS:]
    total = len(commits)
    note = (f"No strategy given: the period's {total} commit{'s' if total != 1 else ''} are grouped by code area "
            "(pass --strategy FILE to group them by goal).")
    out: list[dict[str, Any]] = [{"summary": note, "goal": None, "commits": []}]
    out += [{"summary": area_sentence(a, g, len(g) / total), "goal": None, "commits": [c.sha for c in g]}
            for a, g in shown]
    unlabelled = groups.get("", [])
    small = [c for _, g in rest for c in g] + unlabelled
    if small:
        names = [a for a, _ in rest[:6]]
        more = len(rest) - len(names)
        listed = ", ".join(names) + (f" and {more} more" if more > 0 else "")
        what = f"{len(rest)} smaller area{'s' if len(rest) != 1 else ''}" + (f" ({listed})" if listed else "")
        if unlabelled:
            what += (" and " if rest else "") + f"{len(unlabelled)} commit{'s' if len(unlabelled) != 1 else ''} " \
                    "with no area"
        out.append({"summary": f"{what[:1].upper()}{what[1:]}: {len(small)} change{'s' if len(small) != 1 else ''} "
                               f"({_pct(len(small) / total)} of the period's commits).",
                    "goal": None, "commits": [c.sha for c in small]})
    return out


def _goal_line(goal: str, commits: list[Commit], share: float, weight: float | None, audience: str) -> str | None:
    """One change line in the audience's tone (None when there is nothing to tell that audience)."""
    if audience == "sales":
        visible = [c for c in commits if c.type not in _INTERNAL_TYPES]
        if not visible:
            return None
        news = [("New: " if c.type == "feat" else "Fixed: " if c.type == "fix" else "") + _plain(c)
                for c in visible[:4]]
        return f"{goal}: " + "; ".join(news) + ("; and more." if len(visible) > 4 else ".")
    if audience == "eng":
        prs = [f"#{c.pr}" for c in commits if c.pr]
        lines = sum(c.lines for c in commits)
        items = "; ".join(f"{c.sha[:8]} {c.subject}" for c in commits[:5])
        return (f"{goal}: {len(commits)} commits, {lines} lines changed"
                + (f", PRs {', '.join(prs[:8])}" if prs else "") + f" — {items}"
                + (f"; and {len(commits) - 5} more." if len(commits) > 5 else "."))
    weight_text = f" (weight {_pct(weight)})" if weight is not None else ""
    shipped = "; ".join(_headline(c) for c in commits[:3])
    return (f"{goal}: {len(commits)} change{'s' if len(commits) != 1 else ''} shipped, {_pct(share)} of "
            f"engineering capacity{weight_text} — {shipped}" + ("; …" if len(commits) > 3 else "."))


# ------------------------------------------------------------------------------------------- draft


#: A goal is stalled (little or no work), not merely behind its weight, when it got at most this fraction of the
#: commits the other goals got (their median; a goal with ~50 commits in two days beside 110 is not stalled).
STALLED_WORK = 0.2


def _behind(goal: Any, commits: int, worked: list[int]) -> str:
    """The risk line of a goal far below its weight: stalled when it got little work beside the others'.

    The commit count is the one its change line shows (every commit serving the goal; a commit serving
    several goals is counted under each, and its share is split between them).
    """
    count = len(goal.commits)
    others = sorted(n for n in worked if n != count) or [0]
    median = others[len(others) // 2]
    stalled = count == 0 or count <= STALLED_WORK * median
    shared = ", some shared with other goals" if count and not float(goal.commit_count).is_integer() else ""
    state = "stalled" if stalled else "behind its weight"
    return (f"{goal.goal} is {state}: weight {_pct(goal.weight)}, {_pct(goal.share)} of capacity "
            f"({count} of the period's {commits} commits{shared}).")


def _strategy(m: Materials) -> Strategy | None:
    return Strategy.from_dict(m.strategy, source=str(m.strategy.get("source") or "")) if m.strategy else None


def build_status(m: Materials, *, now: datetime | None = None) -> dict[str, Any]:
    """The status update as artifact data (contract shape); see the module docstring for each part.

    Raises:
        InputError: No repository was given, or it cannot be read.
    """
    if not m.repo:
        raise InputError("the status update needs a git repository: pass --repo PATH (and --since DATE)")
    now = now or datetime.now(UTC)
    if m.until:
        now = parse_when(m.until, now=now)  # the period ends here (--until)
    audience = m.audience if m.audience in ("exec", "eng", "sales") else "exec"
    previous = previous_status(m.workspace) if m.workspace and not m.since else None
    start = period_start(m.since, previous, now)
    if start > now:
        raise InputError(f"the status period starts ({start:%Y-%m-%d}) after it ends ({now:%Y-%m-%d}): "
                         "check --since and --until")
    commits = [c for c in read_commits(Path(m.repo), since=start, until=now) if not c.merge]
    by_sha = {c.sha: c for c in commits}
    strategy = _strategy(m)
    similarity = embedding_similarity()
    issues = _issue_signals(m.workspace) if m.workspace else []
    report: AlignmentReport | None = None
    if strategy is not None:
        report = align(Path(m.repo), strategy, since=start, until=now, similarity=similarity,
                       issues=[{"id": s.external_id, "text": s.text} for s in issues])
    ingested = memory_api.workspace(m.workspace).count() if m.workspace else 0
    themes = _shared_themes(m) if ingested else []
    texts = {sid: sig.text for sid, sig in fetch_signals(m.workspace, [sid for t in themes for sid in t["written"]]
                                                          ).items()} if themes else {}
    names = {t["id"]: _name(t, texts) for t in themes}

    changes: list[dict[str, Any]] = []
    capacity: list[dict[str, Any]] = []
    risks: list[str] = []
    nexts: list[str] = []
    if previous is not None:
        before = {c["goal"]: c["share"] for c in previous["doc"].get("capacity") or []}
        moved = [f"{g.goal} {_pct(before[g.goal])} → {_pct(g.share)}" for g in (report.goals if report else [])
                 if g.goal in before and abs(before[g.goal] - g.share) >= 0.05]
        changes.append({"summary": f"Since the last update ({previous['created_at'][:10]}, run {previous['run_id']}): "
                                   f"{len(commits)} new commits" + (f"; capacity moved: {', '.join(moved)}." if moved
                                                                     else "."),
                        "goal": None, "commits": [c.sha for c in commits[:20]]})
    if not ingested:
        where = f"workspace {m.workspace!r}" if m.workspace else "this run"
        changes.append({"summary": f"What users said: nothing has been ingested in {where} yet, so this update "
                                   "reads commits and issues only (pmpilot ingest FILE --workspace W adds feedback).",
                        "goal": None, "commits": []})
    goal_themes: dict[str, list[dict[str, Any]]] = {}
    if report is not None and strategy is not None:
        # the roadmap's function too: both documents name the same goal for a theme, or none
        unmapped: list[dict[str, Any]] = []
        for theme, goals in zip(themes, theme_goals(strategy, themes, similarity=similarity), strict=True):
            for goal in goals:
                goal_themes.setdefault(goal, []).append(theme)
            if not goals:
                unmapped.append(theme)
        adoption = _adoption(m.workspace, strategy, similarity) if ingested else {}
        for g in sorted(report.goals, key=lambda g: -g.weight):
            goal_commits = [by_sha[s] for s in g.commits if s in by_sha]
            line = _goal_line(g.goal, goal_commits, g.share, g.weight, audience) if goal_commits else None
            if line:
                changes.append({"summary": line, "goal": g.goal, "commits": [c.sha for c in goal_commits]})
            for theme in goal_themes.get(g.goal, [])[:2]:
                cites = [q["signal_id"] for q in theme["quotes"][:QUOTES_PER_THEME] if q["signal_id"] in m.evidence]
                figure = theme.get("trend_figure")
                trend = f"; {figure.text()}" if figure is not None and not figure.empty else ""
                # the goal's commits, not work on this theme: the commits are not read for it
                shipped = (f"which got {len(goal_commits)} change{'s' if len(goal_commits) != 1 else ''}"
                           if goal_commits else "which got no change")
                users = theme.get("users") or 0
                who = f" from {users} user{'s' if users != 1 else ''}" if users else ""
                changes.append({"summary": f"Users {_says(theme, texts)} {names[theme['id']]} ({theme['size']} "
                                           f"signals{who}{trend}); it maps to {g.goal}, {shipped} this period.",
                                "goal": g.goal, "commits": [c.sha for c in goal_commits], "citations": cites})
            if adoption.get(g.goal) and audience != "sales":
                changes.append({"summary": f"{g.goal}, usage: " + "; ".join(adoption[g.goal]) + ".",
                                "goal": g.goal, "commits": []})
            capacity.append({"goal": g.goal, "share": g.share})
        capacity.append({"goal": "Unaligned", "share": report.unaligned_share})
        if unmapped and audience != "sales":  # what users raise that the strategy does not cover, said once
            listed = [f"{names[t['id']]} ({t['size']} signals)" for t in unmapped[:2]]
            changes.append({"summary": f"Users {_says(unmapped[0], texts)} {' and '.join(listed)}: "
                                       f"{'it serves' if len(listed) == 1 else 'they serve'} no strategy goal.",
                            "goal": None, "commits": [],
                            "citations": [q["signal_id"] for t in unmapped[:2] for q in t["quotes"][:2]
                                          if q["signal_id"] in m.evidence]})
        unaligned = [by_sha[s] for s in report.unaligned_commits if s in by_sha]
        if unaligned and audience != "sales":
            changes.append({"summary": f"Not tied to a strategy goal: {len(unaligned)} "
                                       f"commit{'s' if len(unaligned) != 1 else ''} "
                                       f"({_pct(report.unaligned_share)}) — "
                                       + "; ".join(_headline(c) for c in unaligned[:3]) + ".",
                            "goal": None, "commits": [c.sha for c in unaligned]})
        worked = [len(g.commits) for g in report.goals if g.commits]
        for g in sorted(report.goals, key=lambda g: -g.weight):
            if report.commits and g.weight >= 0.15 and g.share <= g.weight * STALLED_RATIO:
                risks.append(_behind(g, report.commits, worked))
            for theme in goal_themes.get(g.goal, []):
                negative = theme.get("sentiment", {}).get("negative", 0)
                figure = theme.get("trend_figure")
                if figure is not None and figure.growing and negative >= theme["size"] / 3 and g.gap < -0.05:
                    risks.append(f"Growing complaints about {names[theme['id']]} ({figure.text()}) map to {g.goal}, "
                                 f"which got {_pct(g.share)} of capacity.")
        if report.unaligned_share >= UNALIGNED_RISK:
            risks.append(f"{_pct(report.unaligned_share)} of commits serve no strategy goal.")
        starved = min(report.goals, key=lambda g: g.gap, default=None)
        if starved is not None and starved.gap < -0.05:
            nexts.append(f"Rebalance toward {starved.goal}: it needs about {_pct(-starved.gap)} more of capacity "
                         f"to match its weight of {_pct(starved.weight)}.")
            titles = {s.external_id: s.text.split("\n", 1)[0] for s in issues}
            for issue_id in starved.issues[:3]:
                nexts.append(f"{starved.goal}: {issue_id} — {titles.get(issue_id, '')}".rstrip(" —"))
        for goal, mapped in goal_themes.items():
            if not any(g.goal == goal and g.commits for g in report.goals) and mapped:
                nexts.append(f"Users {_says(mapped[0], texts)} {names[mapped[0]['id']]} ({goal}) and nothing shipped "
                             "for it: plan it.")
    elif audience == "exec" and commits:
        changes += exec_areas(commits)
        risks.append("No strategy file: capacity per goal was not measured (pass --strategy FILE).")
    else:
        by_type: dict[str, list[Commit]] = {}
        for c in commits:
            by_type.setdefault(c.type or "other", []).append(c)
        for kind, group in sorted(by_type.items(), key=lambda kv: -len(kv[1])):
            line = _goal_line(kind, group, len(group) / len(commits), None, audience)
            if line:
                changes.append({"summary": line, "goal": None, "commits": [c.sha for c in group]})
        risks.append("No strategy file: capacity per goal was not measured (pass --strategy FILE).")
    breaking = [c for c in commits if c.breaking]
    if breaking and audience in ("eng", "sales"):
        risks.append("Breaking changes: " + "; ".join(f"{c.sha[:8]} {c.subject}" for c in breaking[:3]) + ".")
    if not commits:
        risks.append(f"No commits between {start:%Y-%m-%d} and {now:%Y-%m-%d}: nothing shipped in the period.")
    if audience == "sales":
        nexts.append("Tell customers only what shipped above; dates for planned work are [PM to decide].")
    return StatusUpdate(title=f"Status update ({audience}): {start:%Y-%m-%d} to {now:%Y-%m-%d}",
                        mode=m.mode, period=f"{start:%Y-%m-%d} to {now:%Y-%m-%d}",
                        changes=parts(StatusChange, changes), capacity=parts(CapacityShare, capacity), risks=risks,
                        next=nexts,
                        evidence=parts(EvidenceRef, m.evidence_for([sid for c in changes
                                                                    for sid in c.get("citations") or []])),
                        ).model_dump(mode="json")


def draft_status(m: Materials) -> dict[str, Any]:
    """Offline status update."""
    return build_status(m)


# ------------------------------------------------------------------------------------------- LLM


class StatusDraft(BaseModel):
    """Wording for a status update; commits, shares and dates are computed, not written by you.

    Write for the audience: exec = outcomes and risks in plain words, eng = technical detail,
    sales = what customers can be told. Ground risks and next steps in the evidence.
    """

    headline: str = Field(description="One sentence: the period's main news for the audience.")
    risks: list[str] = Field(default_factory=list, description="Risks the evidence shows (complaints, churn).")
    next: list[str] = Field(default_factory=list, description="Concrete next steps.")


def complete_status(draft: BaseModel, m: Materials) -> dict[str, Any]:
    """The computed status update with the model's headline, risks and next steps added."""
    assert isinstance(draft, StatusDraft)
    doc = build_status(m)
    if draft.headline.strip():
        doc["changes"].insert(0, {"summary": draft.headline.strip(), "goal": None, "commits": []})
    doc["risks"] = [*doc["risks"], *(r.strip() for r in draft.risks if r.strip())]
    doc["next"] = [*doc["next"], *(n.strip() for n in draft.next if n.strip())]
    return doc




# ------------------------------------------------------------------------------------------- Markdown


_PLACED = ("period", "changes", "capacity", "risks", "next")


def _render(doc: Mapping[str, Any]) -> list[str]:
    lines = [f"**Period:** {one_line(doc.get('period'))}"] if one_line(doc.get("period")) else []
    changes: list[str] = []
    listed: set[tuple[str, ...]] = set()  # commit lists already shown: a line about the same commits names them once
    for change in doc.get("changes") or []:
        if not isinstance(change, Mapping):
            changes += render_value([change])
            continue
        # the summary names its goal and what shipped; the commits follow as short shas, never as fields
        shas = [str(s)[:8] for s in change.get("commits") or [] if s]
        extra = {k: v for k, v in change.items() if k not in {"summary", "goal", "commits", "citations"}}
        more = f" and {len(shas) - 8} more" if len(shas) > 8 else ""
        commits = f" (commits {', '.join(shas[:8])}{more})" if shas and tuple(shas) not in listed else ""
        listed.add(tuple(shas))
        rest = f" — {inline(extra)}" if inline(extra) else ""
        changes.append(f"- {one_line(change.get('summary')) or '(no summary)'}{commits}{rest}"
                       f"{cite(change.get('citations'))}")
    lines += section("What changed", changes)
    capacity = []
    for row in doc.get("capacity") or []:
        if isinstance(row, Mapping) and one_line(row.get("goal")):
            share = row.get("share")
            # the prose's format ('11 %'), so a share reads the same in every line of the update
            capacity.append(f"- {one_line(row['goal'])}" + (f": {_pct(float(share))}" if isinstance(share, int | float)
                                                        else ""))
    lines += section("Capacity", capacity)
    lines += section("Risks", bullets(doc.get("risks")))
    lines += section("Next", bullets(doc.get("next")))
    return lines


register(Deliverable(KIND, StatusUpdate, KEYWORDS, draft_status, StatusDraft, complete_status, collect=collect,
                     layout=Layout(_render, frozenset(_PLACED)), needs_signals=False))
