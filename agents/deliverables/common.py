"""Drafting helpers the goal's documents share (requirements, brief, decision memo).

Quotes to show for a topic, a brief section's heading (the requirements' problem statement lists
topics by the same headings), the memo's close-call rule (the brief follows it too), and how a model's
draft item is matched to a scored topic.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, Field

from agents.deliverables.base import Materials
from agents.state import Topic
from tools import scoring, story_quality, trends
from tools.topics import STOPWORDS
from tools.wording import PM, example_report, known_reporters, subject, topic_nature

_TELLING = ("bug", "complaint", "churn_risk", "feature_request")


def pick_quotes(ids: list[str], m: Materials, theme: Mapping[str, Any] | None, limit: int = 2,
                name: str = "") -> list[dict[str, str]]:
    """The quotes to show: the theme's own, then users' reports and requests that name the topic.

    Reports and requests come before questions (an interviewer's "Have you ever had problems with …?")
    and chatter; among them, those naming the topic first, in retrieval order.
    """
    preferred = [q["signal_id"] for q in (theme or {}).get("quotes") or [] if q["signal_id"] in ids]
    words = {w.lower() for w in re.findall(r"\w+", name)}

    def rank(sid: str) -> tuple[int, int]:
        row = m.evidence[sid]
        telling = row.get("signal_type") in _TELLING and not row["quote"].rstrip().endswith("?")
        named = bool(words & {w.lower() for w in re.findall(r"\w+", row["quote"])})
        return (0 if telling else 1, 0 if named else 1)

    known = [sid for sid in ids if sid in m.evidence]
    ordered = list(dict.fromkeys([*preferred, *sorted(known, key=rank), *ids]))
    return [{"signal_id": sid, "quote": m.evidence[sid]["quote"]} for sid in ordered[:limit] if sid in m.evidence]


_PARTICLES = frozenset("back out up off in on away down over around through".split())


def section_heading(topic: Topic, m: Materials) -> str:
    """A brief section's heading that names the topic, never a bare keyword or a cut phrase.

    'Requests for dark mode' (users ask for it), the topic's name when it is a phrase of two or more
    content words ('Sync conflicts', 'Identity verification'), else a short report or question of the
    topic's own ('Reports like “The ATM machine would not give my card back”').
    """
    name = topic["name"].strip()
    nature = topic_nature(topic, m.evidence)
    words = name.split()
    content = [w for w in words if w.lower() not in STOPWORDS]
    action = bool(words) and words[0].lower() in story_quality.ACTION_VERBS
    if nature == "request" and not action and content:
        text = f"requests for {subject(name)}"
    elif len(content) >= 2 and words[-1].lower() not in _PARTICLES:
        text = name
    else:
        example = example_report(m.topic_cites(topic), subject(name), nature, m.evidence)
        if example:
            text = f"{'Questions' if nature == 'question' else 'Reports'} like “{example.rstrip('.!')}”"
        else:
            text = f"{'questions' if nature == 'question' else 'reports'} about {subject(name)}"
    first = text.split()[0]
    return text[:1].upper() + text[1:] if first.islower() else text


def baseline(topic: Topic, m: Materials, noun: str, ids: Sequence[str] | None = None) -> str:
    """'1.8 reports/week in the last 4 weeks' where the evidence's dates allow, else '7 reports in the period'.

    ``ids``: the signals the noun counts (a problem's reports, not its questions); default the topic's.
    """
    trend = trends.evidence_trend(topic["signal_ids"] if ids is None else list(ids), m.evidence)
    if trend is not None and not trend.empty:
        rate = trend.after_rate()
        return f"{rate} {singular(noun) if rate == '1' else noun}/week in the last {trend.window_days // 7} weeks"
    count = topic["signals"] if ids is None else len(ids)
    return f"{count} {singular(noun) if count == 1 else noun} in the period"


def singular(noun: str) -> str:
    """'reports' → 'report', 'questions' → 'question', 'signals' → 'signal' (the plural nouns counts use)."""
    return noun[:-1] if noun.endswith("s") and not noun.endswith("ss") else noun


def theme_users(theme: Mapping[str, Any], ids: Sequence[str], m: Materials) -> int:
    """A brief theme's users: the theme's known users, else the cited rows' known users/accounts (0: none known)."""
    return int(theme.get("users") or 0) or known_reporters(m.evidence[s] for s in ids if s in m.evidence)


#: Score margin (of 100) under which the top two options are too close to call: the PM decides.
CLOSE_CALL = 5


def memo_options(m: Materials) -> list[Topic]:
    """The topics the decision memo weighs (options, else the strongest themes), with evidence, best first."""
    option_topics = [t for t in m.topics if t["kind"] == "option"] or m.ranked("theme")[:3]
    return sorted((t for t in option_topics if t["signal_ids"]), key=lambda t: -t["total"])


def close_call(m: Materials, options: Sequence[Topic] | None = None) -> str | None:
    """'Too close to call …' when the memo's top two options lie within :data:`CLOSE_CALL`, else None.

    ``options``: the options as the memo scores them, best first (default :func:`memo_options`).
    """
    options = list(options) if options is not None else memo_options(m)
    if len(options) < 2:
        return None
    best, runner_up = options[0], options[1]
    margin = round(best["total"] - runner_up["total"], 1)
    if margin >= CLOSE_CALL:
        return None
    return (f"Too close to call on the evidence: {best['name']} {best['total']} vs "
            f"{runner_up['name']} {runner_up['total']} (margin {margin}). {PM}.")


def best_option(m: Materials) -> Topic | None:
    """The strongest option (else topic) by total score, or None."""
    candidates = m.ranked("option") or m.ranked()
    return max(candidates, key=lambda t: (t["total"], -len(t["id"])), default=None)


class CitedQuote(BaseModel):
    """A verbatim quote of one signal from the evidence."""

    signal_id: str
    quote: str = Field(description="Exact span copied from the signal text.")


def topic_for(name: str, ids: list[str], m: Materials) -> Topic | None:
    """The scored topic a model's item is about: by name, else the one sharing most cited signals."""
    by_name = {t["name"].lower(): t for t in m.topics}
    if name.lower() in by_name:
        return by_name[name.lower()]
    overlap = [(len(set(ids) & set(t["signal_ids"])), t) for t in m.topics]
    best = max(overlap, key=lambda x: x[0], default=(0, None))
    return best[1] if best[0] else None


def rice_of(ids: list[str], m: Materials) -> scoring.RiceScore:
    """RICE of the evidence behind ``ids`` (an item no scored topic matches)."""
    stats = scoring.EvidenceStats.from_evidence([m.evidence[s] for s in ids if s in m.evidence])
    return scoring.rice(stats)
