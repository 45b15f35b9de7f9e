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


#: Words a heading never holds or ends with: a pronoun or a bare verb makes it a cut clause ('Card it seems',
#: 'Top-up to go'), not a capability or a problem.
_PRONOUNS = frozenset("i me my we us our you your it its they them their he she this that".split())
_FILLER_VERBS = frozenset("""
go goes going went get gets got seem seems seemed is are was were be been do does did have has had come comes came
happen happens happened want wants need needs try tries tried use used make makes let lets
""".split())
_PREPOSITIONS = frozenset("within with without for to of in on at by from about into onto after before during "
                          "through across".split())
#: Words too general to name what is asked for on their own ('Requests for system').
_GENERIC = frozenset("system systems app application product data thing things it stuff feature features tool "
                     "site service platform software".split())


def names_a_thing(name: str) -> bool:
    """Whether a topic name reads as a capability or a problem in users' words, not a cut clause.

    'Top-up to go', 'Card it seems', 'within a repository' and 'system' do not: a pronoun, a bare verb at its end, a
    preposition first or one general word alone. 'Failed top-ups', 'Dark mode', 'card payments' do.
    """
    words = [w.lower().strip(".,;:!?\"'“”") for w in name.split()]
    words = [w for w in words if w]
    if not words or any(w in _PRONOUNS for w in words) or words[-1] in _FILLER_VERBS:
        return False
    if words[0] in _PREPOSITIONS or (words[0] in STOPWORDS and words[0] not in {"no", "not"}):
        return False
    content = [w for w in words if w not in STOPWORDS]
    return not (len(content) == 1 and content[0] in _GENERIC)


def trim_label(name: str) -> str:
    """A label without the cut clause at its end ('top-up to go' → 'top-up', 'card it seems' → 'card').

    Trailing bare verbs, pronouns, prepositions and stop words go; a pronoun inside ('card **it** seems') ends the label
    there. The name as it is when nothing would be left.
    """
    words = name.split()
    for i, word in enumerate(words):
        if i and word.lower().strip(".,;:!?") in _PRONOUNS:
            words = words[:i]
            break
    while words and (words[-1].lower() in _FILLER_VERBS | _PRONOUNS | _PREPOSITIONS or words[-1].lower() in STOPWORDS):
        words.pop()
    return " ".join(words) or name


def _short_report(ids: Sequence[str], nature: str, m: Materials) -> str:
    """The shortest whole report (a question for a question topic) of 3-12 words among ``ids``, '' when none."""
    found = [" ".join(str(m.evidence[s]["quote"]).split()) for s in ids if s in m.evidence]
    fit = [q for q in found if 3 <= len(q.split()) <= 12 and len(re.findall(r"[.!?]", q.rstrip(".!?"))) == 0
           and (q.endswith("?") == (nature == "question"))]
    return min(fit, key=lambda q: (len(q.split()), found.index(q)), default="")


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
    if nature == "request" and not action and content and names_a_thing(subject(name)):
        text = f"requests for {subject(name)}"
    elif len(content) >= 2 and words[-1].lower() not in _PARTICLES and names_a_thing(name):
        text = name
    else:
        example = example_report(m.topic_cites(topic), subject(name), nature, m.evidence)
        if not example and not names_a_thing(name):  # a cut clause is no heading: a short report of its own is
            example = _short_report(m.topic_cites(topic), nature, m)
        if example:
            text = f"{'Questions' if nature == 'question' else 'Reports'} like “{example.rstrip('.!')}”"
        else:
            text = f"{'questions' if nature == 'question' else 'reports'} about {trim_label(subject(name))}"
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
    # as the memo: a margin resting on reach counts within the evidence's noise decides nothing either
    reaches = [int(o["rice"]["reach"]) if "rice" in o else 0 for o in (best, runner_up)]
    impacts = [float(o["rice"]["impact"]) if "rice" in o else 0.0 for o in (best, runner_up)]
    if margin >= CLOSE_CALL and not (all(reaches) and scoring.within_noise(*reaches) and impacts[0] <= impacts[1]):
        return None
    if margin >= CLOSE_CALL:
        return (f"Too close to call on the evidence: {best['name']} {best['total']} vs "
                f"{runner_up['name']} {runner_up['total']} rests on reach {reaches[0]} vs {reaches[1]}, a difference "
                f"within the evidence's noise (±{scoring.reach_noise(*reaches):.0f} for counts this size). {PM}.")
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
