"""Writer: drafts the deliverables as artifact data (kernel.artifacts shapes), offline or with an LLM.

Deliverables live in a registry (:data:`DELIVERABLES`): each kind declares its artifact model, the
goal keywords the planner uses to pick it, an offline drafting function and an LLM draft schema.
Later kinds (status, meeting notes, roadmap) plug in with :func:`register`.

Offline drafts are filled from the scored topics and the evidence: stories derived from themes,
quotes and segments, Given/When/Then criteria referencing the evidence, and explicit
``[PM to decide]`` markers where the evidence is silent. With an LLM, one structured call per
deliverable (run concurrently) drafts the text; scores, ids and counts are always computed here.
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from langchain_core.messages import HumanMessage, SystemMessage
from langgraph.runtime import Runtime
from pydantic import BaseModel, Field

from agents import prompts
from agents.context import RunContext, timed
from agents.state import PMState
from kernel.artifacts import ArtifactBase, Brief, DecisionMemo, Requirements
from kernel.errors import TransientError
from kernel.llm import LLMUsage, invoke_structured
from tools import scoring, story_quality, trends
from tools.reqtype import classify_requirement
from tools.topics import STOPWORDS, option_phrase, same_capability, same_subject

logger = logging.getLogger(__name__)

PM = "[PM to decide]"
MAX_STORIES = 6
MAX_BRIEF_THEMES = 5
CITES_PER_ITEM = 8


@dataclass
class Materials:
    """Everything a drafting function may use (read from state)."""

    goal: str
    focus: str
    audience: str
    mode: str
    evidence: dict[str, dict[str, Any]]
    topics: list[dict[str, Any]]
    criteria: dict[str, float]
    findings: list[dict[str, Any]]
    decisions: list[dict[str, Any]]
    has_strategy: bool
    feedback: str | None = None
    fixes: list[dict[str, Any]] = field(default_factory=list)
    workspace: str = ""
    repo: str | None = None
    since: str | None = None
    until: str | None = None
    strategy: dict[str, Any] | None = None
    context: list[dict[str, Any]] = field(default_factory=list)
    searched: list[str] = field(default_factory=list)
    near: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def from_state(cls, state: PMState) -> Materials:
        """Collect the drafting inputs from graph state."""
        plan = state["plan"]
        scores = state.get("scores") or {}
        return cls(
            goal=state["goal"], focus=plan.get("focus") or state["goal"], audience=plan.get("audience") or "exec",
            mode=state.get("mode") or "offline", evidence=state.get("evidence") or {},
            topics=scores.get("topics") or [], criteria=scores.get("criteria") or {},
            findings=state.get("findings") or [], decisions=state.get("decisions") or [],
            has_strategy=bool(scores.get("strategy")), feedback=state.get("human_feedback"),
            fixes=state.get("review_notes") or [], workspace=state.get("workspace") or "",
            repo=state.get("repo"), since=state.get("since"), until=state.get("until"), strategy=state.get("strategy"),
            context=scores.get("context") or [], searched=scores.get("searched") or [],
            near=scores.get("near") or [],
        )

    def __post_init__(self) -> None:
        """Earlier decisions count only when they are about this goal (:func:`tools.topics.same_subject`)."""
        goals = [self.focus, *self.searched]  # each on its own: a union of queries would match by accident
        self.decisions = [d for d in self.decisions
                          if any(same_subject(str(d.get("question") or ""), g) for g in goals)]

    def also(self) -> str:
        """Context only: topics the search found next to the goal but not about it, and the workspace's other themes.

        'Found next to the goal, not about it: accept this card (10 signals) …' and 'Users also talk about …';
        empty without either.
        """
        parts = []
        names = [t["name"] for t in self.topics if t["signal_ids"]]
        # Named like a topic of the goal ('sync' next to 'sync'): listing it would read as a contradiction.
        near = [n for n in self.near if int(n.get("size") or 0) >= 3
                and not any(same_capability(n["label"], name) for name in names)][:3]
        if near:
            parts.append("Found next to the goal, not about it: " + ", ".join(
                f"{n['label']} ({n['size']} signals)" for n in near) + " — not used as evidence.")
        if self.context:
            parts.append("Users also talk about: " + ", ".join(
                f"{c['label']} ({c['size']} signals)" for c in self.context[:5])
                + " — context only, not part of this goal.")
        return " ".join(parts)

    def nothing_found(self) -> str:
        """What to say when no relevant evidence was found: plainly, with what was searched."""
        searched = "; ".join(f"'{q}'" for q in dict.fromkeys(self.searched)) or f"'{self.focus}'"
        if self.near:
            close = sum(int(n.get("size") or 0) for n in self.near)
            return f"Not enough relevant evidence was found: the user memory was searched for {searched}; {close} " \
                   f"signal{'s' if close != 1 else ''} came near it, too few or too far off to stand for a topic."
        return f"No relevant evidence was found: the user memory was searched for {searched} and nothing stored is " \
               f"about it."

    def off_goal(self) -> set[str]:
        """Evidence ids that are in the run but in none of the goal's topics (context): never cited."""
        relevant = {sid for t in self.topics for sid in t["signal_ids"]}
        return {sid for sid in self.evidence if sid not in relevant}

    def ranked(self, kind: str | None = None) -> list[dict[str, Any]]:
        """Topics with evidence, strongest RICE first (optionally of one kind)."""
        topics = [t for t in self.topics if t["signal_ids"] and (kind is None or t["kind"] == kind)]
        return sorted(topics, key=lambda t: (-t["rice"]["score"], t["id"]))

    def cites(self, ids: list[str], limit: int = CITES_PER_ITEM) -> list[str]:
        """The strongest ``limit`` ids of ``ids`` (by retrieval score), known evidence only."""
        known = [sid for sid in ids if sid in self.evidence]
        return sorted(known, key=lambda s: (-float(self.evidence[s].get("score") or 0.0), s))[:limit]

    def topic_cites(self, topic: dict[str, Any], limit: int = CITES_PER_ITEM) -> list[str]:
        """The ids a topic's item cites: in the scorer's order when it ranked them (``ranked``), else by score."""
        if topic.get("ranked"):
            return [sid for sid in topic["signal_ids"] if sid in self.evidence][:limit]
        return self.cites(topic["signal_ids"], limit)

    def evidence_for(self, ids: list[str]) -> list[dict[str, Any]]:
        """Evidence entries (contract shape) of cited ids."""
        out, seen = [], set()
        for sid in ids:
            if sid in self.evidence and sid not in seen:
                seen.add(sid)
                row = self.evidence[sid]
                out.append({"signal_id": sid, "quote": row["quote"], "source": row["source"],
                            "user_id": row.get("user_id")})
        return out


DraftFn = Callable[[Materials], dict[str, Any]]


@dataclass(frozen=True)
class Deliverable:
    """A deliverable kind the planner may choose and the writer can draft."""

    kind: str
    model: type[ArtifactBase]
    keywords: tuple[str, ...]
    draft_offline: DraftFn
    llm_schema: type[BaseModel] | None = None
    complete_llm: Callable[[BaseModel, Materials], dict[str, Any]] | None = None
    collect: Callable[[Materials], dict[str, dict[str, Any]]] | None = None


DELIVERABLES: dict[str, Deliverable] = {}


def register(deliverable: Deliverable) -> Deliverable:
    """Add a deliverable kind to the registry."""
    DELIVERABLES[deliverable.kind] = deliverable
    return deliverable


# --------------------------------------------------------------------------- text helpers

_LEAD_VERB = re.compile(
    r"^(?:fix(?:ing)?|build(?:ing)?|add(?:ing)?|improv(?:e|ing)|ship(?:ping)?|support(?:ing)?|implement(?:ing)?|"
    r"creat(?:e|ing)|mak(?:e|ing)|launch(?:ing)?|rework(?:ing)?|redesign(?:ing)?|invest(?:ing)? in)\s+",
    re.IGNORECASE,
)
_PROBLEM_WORDS = re.compile(r"\s+(?:bugs?|issues?|problems?|errors?|failures?|crash(?:es)?)$", re.IGNORECASE)
QUOTE_CUT = 230
#: Words that open a verb's object: after an action verb they make the name an action ('change my PIN').
_OBJECT_START = frozenset("my our your the a an this that these those their his her its it them me us all every "
                          "any some more new".split())
_REQUEST_LEAD = re.compile(
    r"^(?:please\s+)?(?:add(?:ing)?|need(?:s|ed)?|want(?:s|ed)?|get|have|bring(?:\s+back)?|support|allow|enable|"
    r"implement|introduce)\s+", re.IGNORECASE)
_PROBLEM_TYPES = frozenset({"bug", "complaint", "churn_risk"})
_IMPERATIVE = re.compile(r"^\W*(?:please|fix|add|make|stop|give|let|get|bring|build)\b", re.IGNORECASE)
_CONTRAST = re.compile(r"[,;]?\s+(?:but|however|except that|although)\s+(?=\S)", re.IGNORECASE)
_SLOW = re.compile(r"\b(slow|seconds?|minutes?|lag|latency|timeout|takes forever|loading)\b", re.IGNORECASE)


def subject(name: str) -> str:
    """The thing a topic is about: 'fix sync bugs' → 'sync', 'Building dark mode' → 'dark mode'.

    Words with a capital after their first letter keep their spelling ('SSO', 'iOS', 'GitHub').
    """
    core = _LEAD_VERB.sub("", name.strip()).strip()
    core = _PROBLEM_WORDS.sub("", core).strip()
    return " ".join(w if any(c.isupper() for c in w[1:]) else w.lower() for w in (core or name).split())


def topic_nature(topic: dict[str, Any], evidence: dict[str, dict[str, Any]]
                 ) -> Literal["problem", "request", "question"]:
    """Whether users mostly report problems with a topic, ask for something new, or ask how it works."""
    types = Counter(evidence[sid]["signal_type"] for sid in topic["signal_ids"] if sid in evidence)
    problems = types["bug"] + types["complaint"] + types["churn_risk"]
    if types["question"] > problems + types["feature_request"]:
        return "question"
    return "problem" if problems >= types["feature_request"] else "request"


def persona(ids: list[str], evidence: dict[str, dict[str, Any]]) -> str:
    """The role of a story: the dominant segment of its evidence."""
    segments = Counter(evidence[sid].get("segment") for sid in ids if sid in evidence and evidence[sid].get("segment"))
    if not segments:
        return "user"
    words = segments.most_common(1)[0][0].replace("_", " ").split()
    # A short word without vowels is an acronym ('smb' → 'SMB'), so it reads (and takes its article) as one.
    words = [w.upper() if len(w) <= 4 and not re.search(r"[aeiouy]", w, re.IGNORECASE) else w for w in words]
    return f"{' '.join(words)} customer"


_CLAUSE = r"(?P<c>[^.!?\n]+?)\s*(?P<end>[.!?]|$)"
#: A word of the object in 'would make <object> happy' (not an intensifier of the adjective).
_W = r"(?!(?:very|so|much|far|way|really|a|more|less)\b)[\w'-]+"
#: Benefit clauses users state, and how each becomes a "so that" (None: the clause as it is).
_BENEFITS: tuple[tuple[re.Pattern[str], str | None], ...] = (
    (re.compile(r"\bso\s+that\s+" + _CLAUSE, re.IGNORECASE), None),
    (re.compile(r"\bso\s+(?=(?:I|we|my|our)\b)" + _CLAUSE, re.IGNORECASE), None),
    (re.compile(r"\b(?:in\s+order|to\s+be\s+able)\s+to\s+" + _CLAUSE, re.IGNORECASE), "I can {c}"),
    (re.compile(r"\bbecause\s+(?:I|we)\s+(?:need|have|want)\s+to\s+" + _CLAUSE, re.IGNORECASE), "I can {c}"),
    (re.compile(r"\botherwise\s+(?:I|we)\s+(?:will|'ll|’ll)\s+" + _CLAUSE, re.IGNORECASE), "I won't {c}"),
    (re.compile(r"\botherwise\s+(?:I|we)\s+(?:can't|cannot|can’t)\s+" + _CLAUSE, re.IGNORECASE), "I can {c}"),
    (re.compile(r"\botherwise\s+(?:I|we)\s+(?!will\b|'ll|can|am\b|was\b|would\b)" + _CLAUSE, re.IGNORECASE),
     "I don't {c}"),
    # 'would make my designers very happy', 'makes it easier to share', 'would make us faster at billing'
    (re.compile(rf"\b(?:(?:would|will|could|it'?d)\s+(?:really\s+)?make|makes)\s+(?P<o>me|us|it|(?:{_W}\s+){{0,3}}{_W})"
                r"\s+(?P<c>(?:(?:very|so|much|a\s+lot|far|way|a\s+bit|really)\s+)?(?:happy|happier|easier|faster|"
                r"quicker|simpler|safer|better|more\s+productive|more\s+efficient|less\s+\w+)\b[^.!?\n]*?)"
                r"\s*(?P<end>[.!?]|$)", re.IGNORECASE), "{o} would be {c}"),
    # 'would save us hours a week', 'could save me a trip to the bank'
    (re.compile(r"\b(?:would|will|could|to|it'?d)\s+save\s+(?P<o>me|us)\s+" + _CLAUSE, re.IGNORECASE),
     "{o} would save {c}"),
)
#: How a benefit's object reads as the subject of its "so that" clause.
_SUBJECT = {"me": "I", "us": "we"}


def stated_benefit(quote: str) -> str | None:
    """The benefit a quote states ('… so that I can pay rent', '… otherwise I lose my notes'), or None.

    Only a whole clause (up to the end of its sentence) of 3-20 words is taken, never a cut one; a quote
    cut at its length limit (no closing punctuation) gives nothing from its last sentence.
    """
    for pattern, template in _BENEFITS:
        for match in pattern.finditer(quote):
            clause = " ".join(match.group("c").split()).strip(" ,;:-")
            closed = bool(match.group("end")) or len(quote) < QUOTE_CUT
            found = match.groupdict()
            who = " ".join(str(found.get("o") or "").split())
            who = _SUBJECT.get(who.lower(), who)
            text = template.format(c=clause, o=who) if template else clause
            words = (text if who else clause).split()
            if not closed or not 3 <= len(words) <= 20 or words[0].lower() == "that":
                continue
            if not story_quality.check_story(story_quality.from_fields("user", "x", text)).defects:
                return text
    return None


def benefit(ids: list[str], evidence: dict[str, dict[str, Any]]) -> str | None:
    """A benefit users stated themselves in one of the cited quotes, if any."""
    for sid in ids:
        found = stated_benefit(evidence[sid]["quote"]) if sid in evidence else None
        if found:
            return found
    return None


def requirement_type(text: str) -> Literal["functional", "non-functional"]:
    """Functional or non-functional (tools.reqtype)."""
    kind, _ = classify_requirement(text)
    return "non-functional" if str(kind).startswith("non") else "functional"


def known_reporters(rows: Iterable[Mapping[str, Any]]) -> int:
    """Distinct users/accounts the rows name (rows without a user or account id are not counted)."""
    return len({r.get("user_id") or r.get("account_id") for r in rows} - {None, ""})


def from_reporters(rows: Sequence[Mapping[str, Any]]) -> str:
    """'from 4 users/accounts', 'from 2 known users/accounts' (some rows name none), or 'users not recorded'."""
    known = known_reporters(rows)
    if not known:
        return "users not recorded"
    named = sum(1 for r in rows if r.get("user_id") or r.get("account_id"))
    return f"from {known} {'known ' if named < len(rows) else ''}user{'s' if known != 1 else ''}/accounts"


def _short(sid: str) -> str:
    return f"[s:{sid[:8]}]"


# --------------------------------------------------------------------------- requirements


def capability(name: str, nature: str, example: str = "") -> str:
    """What a story asks for, from its topic's name and a short report of it.

    'dark mode', 'to change my PIN', 'a fix for “The ATM would not give my card back”' (a problem, shown by
    a user's own words when a short one names it), 'answers to questions like “What ATMs accept my card?”'.
    """
    core = _REQUEST_LEAD.sub("", name.strip()).strip() or name.strip()
    words = core.lower().split()
    # 'change my PIN' is an action; 'rate for my payment' is not (a noun that is also a verb).
    if len(words) > 1 and words[0] in story_quality.ACTION_VERBS and words[1] in _OBJECT_START:
        return f"to {core}"
    if nature == "question":
        return f"answers to questions like “{example}”" if example else f"clear answers about “{core}”"
    if nature == "problem":
        return f"a fix for “{example.rstrip('.!')}”" if example else f"a fix for the “{core}” problem"
    return core


def example_report(ids: list[str], name: str, nature: str, evidence: dict[str, dict[str, Any]],
                   role: str = "user") -> str:
    """A short quote (≤ 90 characters) that names the topic and reads as the story's capability, or ''.

    A question for a question topic, a statement otherwise; never one the story check would flag.
    """
    words = {w.lower() for w in re.findall(r"\w+", name)}
    best: tuple[int, int, str] | None = None
    for sid in ids:
        row = evidence.get(sid, {})
        quote = str(row.get("quote") or "").strip()
        kind = row.get("signal_type", "bug")
        # A mixed report ('Great editor, but sync between phone and laptop is hit or miss'): the part after the
        # contrast is the problem (tagged praise or other, as the whole may be).
        contrast = _CONTRAST.search(quote) if nature == "problem" and kind not in _PROBLEM_TYPES else None
        if contrast:
            quote, kind = quote[contrast.end():].strip(), "complaint"
        overlap = len(words & {w.lower() for w in re.findall(r"\w+", quote)})
        if not quote or len(quote) > 90 or not overlap or quote.endswith("?") != (nature == "question"):
            continue
        # A whole report of the situation: 4+ words ('For me, sync.' is not one), and for a problem, a report of
        # it (a bug or complaint), not a request to fix it ('Fix sync, skip the gimmicks.').
        if len(re.findall(r"\w+", quote)) < 4 or (nature == "problem" and (
                kind not in _PROBLEM_TYPES or _IMPERATIVE.match(quote))):
            continue
        draft = capability(name, nature, quote)
        if story_quality.check_story(story_quality.from_fields(role, draft, PM)).defects:
            continue
        key = (-overlap, len(quote), quote)
        if best is None or key < best:
            best = key
    return best[2] if best else ""


def _situation(ids: list[str], name: str, evidence: dict[str, dict[str, Any]]) -> tuple[str, str]:
    """(signal id, quote) that shows the reported situation best: short, whole, and naming the topic."""
    words = {w.lower() for w in re.findall(r"\w+", name)}
    candidates = [(sid, evidence[sid]["quote"]) for sid in ids if sid in evidence]
    whole = [(sid, q) for sid, q in candidates if len(q) <= 160]
    pool = whole or candidates
    if not pool:
        return "", ""
    sid, quote = max(pool, key=lambda c: (len(words & {w.lower() for w in re.findall(r"\w+", c[1])}), -len(c[1])))
    return sid, (quote if len(quote) <= 160 else "")


def _baseline(topic: dict[str, Any], m: Materials, noun: str) -> str:
    """'1.8 reports/week in the last 4 weeks' where the evidence's dates allow, else '7 reports in the period'."""
    trend = trends.evidence_trend(topic["signal_ids"], m.evidence)
    if trend is not None and not trend.empty:
        return f"{trend.after_rate()} {noun}/week in the last {trend.window_days // 7} weeks"
    return f"{topic['signals']} {noun} in the period"


def story_from_topic(topic: dict[str, Any], m: Materials, number: int, want: str | None = None) -> dict[str, Any]:
    """One user story (with criteria, type, RICE and citations) from a scored topic.

    The capability is named in the evidence's words, the benefit is one a cited quote states (else
    ``[PM to decide]``), and the criteria refer to the situation a cited quote reports.
    """
    ids = m.topic_cites(topic)
    name = want or subject(topic["name"])
    role = persona(topic["signal_ids"], m.evidence)
    nature = topic_nature(topic, m.evidence)
    i_want = capability(name, nature, example_report(ids, name, nature, m.evidence, role))
    so_that = benefit(ids, m.evidence) or PM
    sid, quote = _situation(ids, name, m.evidence)
    said = f"{_short(sid)}: “{quote}”" if quote else _short(sid)
    a_role = f"{story_quality.article(role)} {role}"
    if nature == "question":
        criteria = [
            f"Given {a_role} with the question asked in {said}, When they look for the answer, "
            f"Then they find it without contacting support",
            f"Given the answer is published, When {PM} weeks have passed, Then questions like {_short(sid)} "
            f"fall below {PM} per week (baseline: {_baseline(topic, m, 'questions')})",
        ]
    elif nature == "problem":
        criteria = [
            f"Given {a_role} in the situation reported in {said}, When they do the same after the change, "
            f"Then the reported problem does not happen",
            f"Given the change is released, When {PM} weeks have passed, Then new reports like {_short(sid)} "
            f"fall below {PM} per week (baseline: {_baseline(topic, m, 'reports')})",
        ]
    else:
        criteria = [
            f"Given {a_role} who asked for it in {said}, When they use {name}, Then it does what they asked for",
            f"Given {a_role} who has never used {name}, When they look for it, Then they find it without help "
            f"within {PM} steps",
        ]
    if any(_SLOW.search(m.evidence[s]["quote"]) for s in ids):
        criteria.append(f"Given a typical {role} workload, When they use {name}, Then it responds within {PM} seconds")
    rice = topic["rice"]
    return {
        "id": f"S{number}",
        "as_a": role,
        "i_want": i_want,
        "so_that": so_that,
        "acceptance_criteria": criteria,
        "priority": scoring.priority(rice["score"]),
        "type": requirement_type(f"{name} {quote}"),
        "rice": rice,
        "citations": ids,
        "topic": topic["name"],
    }


def distinct_topics(topics: list[dict[str, Any]], overlap: float = 0.5) -> list[dict[str, Any]]:
    """Topics minus those that repeat a stronger one (same subject, or ≥ ``overlap`` of its evidence shared)."""
    kept: list[dict[str, Any]] = []
    for topic in topics:
        ids = set(topic["signal_ids"])
        duplicate = any(
            subject(topic["name"]) == subject(other["name"])
            or (ids and len(ids & set(other["signal_ids"])) / len(ids) >= overlap)
            for other in kept
        )
        if not duplicate:
            kept.append(topic)
    return kept


def article(noun: str) -> str:
    """'a' or 'an' for a noun phrase, by sound ('a user', 'an SSO admin')."""
    return story_quality.article(noun)


def _split_atomic(core: str) -> list[str]:
    parts = [p.strip() for p in re.split(r"\s*(?:\band\b|&|;|,|\bas well as\b)\s*", core) if p.strip()]
    return parts or [core]


def story_topics(m: Materials) -> list[dict[str, Any]]:
    """The topics stories are written for: the goal's topics (options only when there are none)."""
    return distinct_topics(m.ranked("theme") or m.ranked())


def draft_requirements(m: Materials) -> dict[str, Any]:
    """Requirements from the goal's strongest topics; none (said plainly) when nothing relevant was found."""
    candidates = story_topics(m)
    topics = candidates[:MAX_STORIES]
    stories = [story_from_topic(topic, m, i) for i, topic in enumerate(topics, 1)]
    left_out = candidates[MAX_STORIES:]
    all_ids = sorted({sid for t in topics for sid in t["signal_ids"]})
    reporters = from_reporters([m.evidence[s] for s in all_ids if s in m.evidence])
    names = "; ".join(_lower_first(section_heading(t, m)) for t in topics[:3])
    defaults = [t["name"] for t in topics if t["rice"]["effort_source"] == "default"]
    open_questions = [f"{PM}: effort estimates — a default of {scoring.DEFAULT_EFFORT} person-month was used for: "
                      f"{', '.join(defaults)}."] if defaults else []
    open_questions += [f"{PM}: {s['id']} — which benefit do users expect? None of its quotes states one."
                       for s in stories if s["so_that"] == PM]
    open_questions += [f"Earlier decision (run {d.get('run_id')}): {d.get('question')} → {d.get('recommendation')}"
                       for d in m.decisions[:2]]
    if stories:
        problem = (f"{len(all_ids)} signals ({reporters}) are about the goal ('{m.focus}'). "
                   f"What they say: {names}.")
    else:
        problem = m.nothing_found()
        topic = m.searched[0] if m.searched else m.focus
        open_questions.insert(0, f"{PM}: gather evidence about {topic} (interviews, tickets, a survey) "
                                 f"before writing stories.")
    problem = f"{problem} {m.also()}".strip()
    doc = Requirements(
        title=f"Requirements: {m.focus}"[:120],
        mode=m.mode,  # type: ignore[arg-type]
        problem=problem,
        goals=[f"{s['i_want'][:1].upper()}{s['i_want'][1:]} for the {s['as_a']} ({s['rice']['formula']})"
               for s in stories[:3]],
        non_goals=[f"{t['name']} (weaker evidence: RICE {t['rice']['score']})" for t in left_out[:3]]
        or ([f"{PM}: anything outside the stories below"] if stories else []),
        open_questions=open_questions,
        success_metrics=[_metric(s, topics, m) for s in stories],
    ).model_dump(mode="json")
    doc["stories"] = stories
    doc["evidence"] = m.evidence_for([sid for s in stories for sid in s["citations"]])
    return doc


def _metric(story: dict[str, Any], topics: list[dict[str, Any]], m: Materials) -> str:
    """A success metric tied to the story's own topic and baseline (a weekly rate only where dates allow one)."""
    if story["i_want"].startswith(("a fix for", "answers to questions")):
        like = _short(story["citations"][0]) if story["citations"] else "these"
        trend = trends.evidence_trend(_topic_ids(story, topics), m.evidence)
        if trend is not None and not trend.empty:
            return f"{story['id']}: reports like {like} drop from {trend.after_rate()} to {PM} per week"
        return (f"{story['id']}: reports like {like} ({_topic_signals(story, topics)} signals in the period) "
                f"drop to {PM} per week")
    return f"{story['id']}: {PM} % of {story['as_a']}s use it within {PM} weeks of release"


def _topic_ids(story: dict[str, Any], topics: list[dict[str, Any]]) -> list[str]:
    for topic in topics:
        if set(story["citations"]) & set(topic["signal_ids"]):
            return list(topic["signal_ids"])
    return list(story["citations"])


def _topic_signals(story: dict[str, Any], topics: list[dict[str, Any]]) -> int:
    for topic in topics:
        if set(story["citations"]) & set(topic["signal_ids"]):
            return int(topic["signals"])
    return len(story["citations"])


# --------------------------------------------------------------------------- brief


_TELLING = ("bug", "complaint", "churn_risk", "feature_request")


def _quotes(ids: list[str], m: Materials, theme: dict[str, Any] | None, limit: int = 2,
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


def _lower_first(text: str) -> str:
    """'Requests for dark mode' → 'requests for dark mode' (an acronym or brand keeps its capital)."""
    first = text.split()[0] if text.split() else ""
    return text[:1].lower() + text[1:] if first[1:].islower() or len(first) == 1 else text


def section_heading(topic: dict[str, Any], m: Materials) -> str:
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


def draft_brief(m: Materials) -> dict[str, Any]:
    """A stakeholder brief for the plan's audience."""
    themed = m.ranked("theme") or m.ranked()
    themes = []
    end = trends.evidence_end(m.evidence)
    for topic in themed[:MAX_BRIEF_THEMES]:
        theme = topic.get("theme") or {}
        ids = m.topic_cites(topic)
        themes.append({
            "label": section_heading(topic, m),
            "signals": int(theme.get("size") or topic["signals"]),
            "users": _users(theme, topic["signal_ids"], m),
            **trends.trend_fields(trends.evidence_trend(topic["signal_ids"], m.evidence, end)),
            "quotes": _quotes(ids, m, theme, name=topic["name"]),
            "citations": ids,
        })
    best = _best(m)
    cited = {sid for t in themed[:MAX_BRIEF_THEMES] for sid in t["signal_ids"]}
    total_users = known_reporters(m.evidence[s] for s in cited if s in m.evidence)
    undecided = close_call(m)  # the memo's rule: within the margin, the brief proposes no winner either
    proposal = undecided or (f"Prioritise {best['name']}: it scores {best['total']}/100 on the decision criteria "
                             f"({best['formulas']['total']})." if best else
                             f"{PM}: no option is supported by enough evidence.")
    risks = [f"'{t['label']}' is growing ({t['trend_counts']['text']})."
             for t in themes if trends.is_growing(t["trend_counts"])]
    churn_rows = [r for r in m.evidence.values() if r["signal_type"] == "churn_risk"]
    if churn_rows:
        accounts = len({r["account_id"] for r in churn_rows if r["account_id"]})
        risks.append(f"{len(churn_rows)} churn-risk signals from {accounts} accounts in the evidence.")
    risks += [f"Evidence for '{t['name']}' is thin (confidence {t['rice']['confidence']})."
              for t in m.ranked()[:3] if t["rice"]["confidence"] < 0.5]
    asks = {
        "exec": [f"Approve prioritising {best['name']}." if best and not undecided else f"{PM}: which bet to fund.",
                 f"{PM}: staffing for the top stories (effort estimates pending)."],
        "eng": [f"Estimate effort for {', '.join(t['name'] for t in m.ranked()[:3])} "
                f"(scores use a default of {scoring.DEFAULT_EFFORT} person-month).",
                "Flag technical risks the user evidence cannot show."],
        "sales": ["Tell affected accounts what is planned and when.",
                  f"{PM}: which accounts get early access."],
    }.get(m.audience, [f"{PM}: what we need from this audience."])
    top = "; ".join(f"{_lower_first(t['label'])} ({t['signals']} signals"
                    + (f", {t['users']} users)" if t["users"] else ")") for t in themes[:3])
    if themes:
        who = (f"{total_users} users/accounts in the evidence" if total_users else
               f"{len(cited)} signals in the evidence (users not recorded)")
        tldr = (f"{who} for '{m.focus}'. What they report: {top}. "
                + (undecided or (f"Recommendation: prioritise {best['name']} ({best['total']}/100)." if best
                                 else "")))
    else:
        tldr = m.nothing_found()
    tldr = f"{tldr.strip()} {m.also()}"
    doc = Brief(title=f"Brief ({m.audience}): {m.focus}"[:120], mode=m.mode, audience=m.audience,  # type: ignore[arg-type]
                tldr=tldr.strip(), proposal=proposal, risks=risks or ["No major risk signalled in the evidence."],
                asks=asks).model_dump(mode="json")
    doc["themes"] = themes
    doc["evidence"] = m.evidence_for([sid for t in themes for sid in t["citations"]])
    return doc


def _users(theme: Mapping[str, Any], ids: Sequence[str], m: Materials) -> int:
    """A brief theme's users: the theme's known users, else the cited rows' known users/accounts (0: none known)."""
    return int(theme.get("users") or 0) or known_reporters(m.evidence[s] for s in ids if s in m.evidence)


#: Score margin (of 100) under which the top two options are too close to call: the PM decides.
CLOSE_CALL = 5


def memo_options(m: Materials) -> list[dict[str, Any]]:
    """The topics the decision memo weighs (options, else the strongest themes), with evidence, best first."""
    option_topics = [t for t in m.topics if t["kind"] == "option"] or m.ranked("theme")[:3]
    return sorted((t for t in option_topics if t["signal_ids"]), key=lambda t: -t["total"])


def close_call(m: Materials) -> str | None:
    """'Too close to call …' when the memo's top two options lie within :data:`CLOSE_CALL`, else None."""
    options = memo_options(m)
    if len(options) < 2:
        return None
    best, runner_up = options[0], options[1]
    margin = round(best["total"] - runner_up["total"], 1)
    if margin >= CLOSE_CALL:
        return None
    return (f"Too close to call on the evidence: {best['name']} {best['total']} vs "
            f"{runner_up['name']} {runner_up['total']} (margin {margin}). {PM}.")


def _best(m: Materials) -> dict[str, Any] | None:
    candidates = m.ranked("option") or m.ranked()
    return max(candidates, key=lambda t: (t["total"], -len(t["id"])), default=None)


# --------------------------------------------------------------------------- decision memo


def _option(topic: dict[str, Any], m: Materials) -> dict[str, Any]:
    scores: dict[str, Any] = dict(topic["criteria"])
    scores["rice"] = topic["rice"]["score"]
    scores["formulas"] = topic["formulas"]
    return {"name": topic["name"], "description": _option_description(topic, m),
            "scores": scores, "total": topic["total"], "citations": m.cites(topic["signal_ids"])}


_OPTION_TEMPLATE = re.compile(r"(Prioritise|Choose) (.+) (ahead of|over) (.+)\.")


def _option_description(topic: dict[str, Any], m: Materials) -> str:
    """The option's description; the planner's 'Prioritise X ahead of Y.' with X and Y as noun phrases."""
    description = str(topic.get("description") or f"Focus on {topic['name']}.")
    match = _OPTION_TEMPLATE.fullmatch(description)
    if not match or match.group(2) != topic["name"]:
        return description
    goal = f"{m.goal} {m.focus}"
    others = ", ".join(option_phrase(o, goal) for o in match.group(4).split(", "))
    return f"{match.group(1)} {option_phrase(topic['name'], goal)} {match.group(3)} {others}."


def draft_decision_memo(m: Materials) -> dict[str, Any]:
    """A decision memo over the options (or, when the goal names none, the strongest themes)."""
    option_topics = [t for t in m.topics if t["kind"] == "option"] or m.ranked("theme")[:3]
    options = sorted((_option(t, m) for t in option_topics if t["signal_ids"]), key=lambda o: -o["total"])
    unsupported = [t["name"] for t in option_topics if not t["signal_ids"]]
    rows = [m.evidence[sid] for sid in dict.fromkeys(s for t in option_topics for s in t["signal_ids"])
            if sid in m.evidence]
    kinds = sorted({r["kind"] for r in rows})
    who = from_reporters(rows)
    sources = f"{who} ({', '.join(kinds)})" if who.startswith("from") else f"({', '.join(kinds)}; {who})"
    context = (f"Evidence: {len(rows)} signals {sources}, each "
               f"option with its own. " if rows else f"{m.nothing_found()} ") + \
        f"Criteria weights: {', '.join(f'{k} {v}' for k, v in m.criteria.items())}."
    if m.also():
        context += f" {m.also()}"
    if m.decisions:
        context += " Earlier decisions: " + "; ".join(
            f"{d.get('question')} → {d.get('recommendation')} (run {d.get('run_id')})" for d in m.decisions[:2])
    if len(options) >= 2:
        best, runner_up = options[0], options[1]
        margin = round(best["total"] - runner_up["total"], 1)
        if margin < CLOSE_CALL:
            recommendation = (f"Too close to call on the evidence: {best['name']} {best['total']} vs "
                              f"{runner_up['name']} {runner_up['total']} (margin {margin}). {PM}.")
        else:
            recommendation = (f"{best['name']} first: {best['total']}/100 vs {runner_up['total']}/100 for "
                              f"{runner_up['name']} (margin {margin}), driven by "
                              f"{_driver(best, runner_up, m.criteria)}.")
    elif options:
        recommendation = f"{options[0]['name']}: the only option with stored evidence ({options[0]['total']}/100)."
    else:
        recommendation = f"{PM}: no option is supported by stored user evidence."
    risks = []
    for option in options[1:]:
        churn = [sid for sid in option["citations"] if m.evidence[sid]["signal_type"] == "churn_risk"]
        risks.append(f"Deferring {option['name']}: {len(option['citations'])} cited signals"
                     + (f", {len(churn)} of them churn risks." if churn else "."))
    unknowns = [f"No stored user evidence for option '{name}'; it could not be scored." for name in unsupported]
    if not m.has_strategy:
        unknowns.append("No strategy file given: strategic alignment was not assessed.")
    defaults = [t["name"] for t in option_topics if t["signal_ids"] and t["rice"]["effort_source"] == "default"]
    if defaults:
        unknowns.append(f"{PM}: effort of {', '.join(defaults)} (default {scoring.DEFAULT_EFFORT} person-month used).")
    doc = DecisionMemo(title=f"Decision memo: {m.focus}"[:120], mode=m.mode, question=m.focus,  # type: ignore[arg-type]
                       context=context, criteria=[{"name": k, "weight": v} for k, v in m.criteria.items()],
                       recommendation=recommendation, risks=risks, unknowns=unknowns).model_dump(mode="json")
    doc["options"] = options
    doc["evidence"] = m.evidence_for([sid for o in options for sid in o["citations"]])
    return doc


def _driver(best: dict[str, Any], other: dict[str, Any], criteria: dict[str, float]) -> str:
    gains = {name: weight * (float(best["scores"].get(name, 0)) - float(other["scores"].get(name, 0)))
             for name, weight in criteria.items()}
    name = max(gains, key=lambda k: gains[k])
    return f"{name} ({best['scores'].get(name)} vs {other['scores'].get(name)})"


# --------------------------------------------------------------------------- fixes and revisions


def apply_fixes(kind: str, doc: dict[str, Any], m: Materials) -> dict[str, Any]:
    """Apply the scorer's fixes to an existing draft deterministically."""
    notes = [n for n in m.fixes if n["kind"] == kind]
    if kind == "requirements":
        stories = list(doc.get("stories") or [])
        by_target = {n["target"]: n for n in notes}
        fixed: list[dict[str, Any]] = []
        for story in stories:
            problems = [n["problem"] for n in notes if n["target"] == story["id"]]
            if "story cites no evidence" in problems:
                continue
            story = dict(story)
            for part in ("as_a", "i_want", "so_that"):
                if not str(story.get(part) or "").strip():
                    story[part] = PM
            a_role = f"{article(story['as_a'])} {story['as_a']}"
            criteria = [c if re.match(r"^\s*given\b.+\bwhen\b.+\bthen\b", c, re.I | re.S)
                        else f"Given {a_role}, When they use {story['i_want']}, Then {c}"
                        for c in story.get("acceptance_criteria") or []]
            story["acceptance_criteria"] = criteria or [
                f"Given {a_role}, When they use {story['i_want']}, Then {PM}"]
            if "story is not atomic" in problems:
                for part in _split_atomic(story["i_want"]):
                    fixed.append({**story, "i_want": part})
            else:
                fixed.append(story)
        for target, note in by_target.items():
            topic = next((t for t in m.topics if t["id"] == target), None)
            if topic is not None and "has no story" in note["problem"]:
                fixed.append(story_from_topic(topic, m, 0))
        for i, story in enumerate(fixed, 1):
            story["id"] = f"S{i}"
        doc = {**doc, "stories": fixed}
        doc["evidence"] = m.evidence_for([sid for s in fixed for sid in s["citations"]])
    elif kind == "decision_memo":
        topics = {t["name"]: t for t in m.topics}
        options = []
        for option in doc.get("options") or []:
            if not option.get("citations") and option["name"] in topics:
                option = {**option, "citations": m.cites(topics[option["name"]]["signal_ids"])}
            options.append(option)
        doc = {**doc, "options": options}
        if not str(doc.get("recommendation") or "").strip():
            best = max(options, key=lambda o: o.get("total", 0), default=None)
            doc["recommendation"] = f"{best['name']} ({best.get('total')}/100)." if best else PM
        doc["evidence"] = m.evidence_for([sid for o in options for sid in o["citations"]])
    elif kind == "brief":
        themes = []
        for theme in doc.get("themes") or []:
            if not theme.get("quotes"):
                theme = {**theme, "quotes": _quotes(theme.get("citations") or [], m, None)}
            themes.append(theme)
        doc = {**doc, "themes": themes}
        if not str(doc.get("tldr") or "").strip():
            doc["tldr"] = draft_brief(m)["tldr"]
        doc["evidence"] = m.evidence_for([sid for t in themes for sid in t.get("citations") or []])
    return doc


_DROP = re.compile(r"\b(?:drop|remove|delete)\s+(?:story\s+)?(S\d+)\b", re.IGNORECASE)
_AUDIENCE = re.compile(r"\baudience\s*(?:to|:|=|is)?\s*(exec|eng|sales)\b", re.IGNORECASE)


def apply_revision(kind: str, doc: dict[str, Any], m: Materials) -> dict[str, Any]:
    """Apply a PM's revision offline: 'drop S2', 'audience eng' are executed; the rest is recorded."""
    text = (m.feedback or "").strip()
    if not text:
        return doc
    audience = _AUDIENCE.search(text)
    if kind == "brief" and audience:
        m.audience = audience.group(1).lower()
        doc = draft_brief(m)
    drops = {d.upper() for d in _DROP.findall(text)}
    if kind == "requirements" and drops:
        doc = {**doc, "stories": [s for s in doc.get("stories") or [] if s["id"].upper() not in drops]}
        doc["evidence"] = m.evidence_for([sid for s in doc["stories"] for sid in s["citations"]])
    field_name = {"requirements": "open_questions", "brief": "asks", "decision_memo": "unknowns"}.get(kind)
    if field_name:
        doc = {**doc, field_name: [*(doc.get(field_name) or []), f"PM revision: {text}"]}
    return doc


# --------------------------------------------------------------------------- LLM drafting


class CitedQuote(BaseModel):
    """A verbatim quote of one signal from the evidence."""

    signal_id: str
    quote: str = Field(description="Exact span copied from the signal text.")


class StoryDraft(BaseModel):
    """A user story: one capability, testable Given/When/Then criteria, cited evidence."""

    as_a: str = Field(description="The user role.")
    i_want: str = Field(description="One capability (atomic: no 'and').")
    so_that: str = Field(description="The benefit, or '[PM to decide]'.")
    acceptance_criteria: list[str] = Field(description="Each 'Given …, When …, Then …'.")
    citations: list[str] = Field(description="Signal ids from the evidence that support the story.")


class RequirementsDraft(BaseModel):
    """Product requirements grounded in the evidence."""

    problem: str
    goals: list[str]
    non_goals: list[str]
    stories: list[StoryDraft]
    open_questions: list[str]
    success_metrics: list[str]


class BriefThemeDraft(BaseModel):
    """A theme to show the audience, with verbatim quotes."""

    label: str
    quotes: list[CitedQuote]
    citations: list[str]


class BriefDraft(BaseModel):
    """A stakeholder brief."""

    tldr: str
    themes: list[BriefThemeDraft]
    proposal: str
    risks: list[str]
    asks: list[str]


class OptionDraft(BaseModel):
    """An option of the decision (use the scored topic names)."""

    name: str
    description: str
    citations: list[str]


class DecisionMemoDraft(BaseModel):
    """A decision memo; the scores are attached from the scorer, not written by you."""

    context: str
    options: list[OptionDraft]
    recommendation: str
    risks: list[str]
    unknowns: list[str]


def _topic_for(name: str, ids: list[str], m: Materials) -> dict[str, Any] | None:
    by_name = {t["name"].lower(): t for t in m.topics}
    if name.lower() in by_name:
        return by_name[name.lower()]
    overlap = [(len(set(ids) & set(t["signal_ids"])), t) for t in m.topics]
    best = max(overlap, key=lambda x: x[0], default=(0, None))
    return best[1] if best[0] else None


def _rice_of(ids: list[str], m: Materials) -> dict[str, Any]:
    stats = scoring.EvidenceStats.from_evidence([m.evidence[s] for s in ids if s in m.evidence])
    return scoring.rice(stats)


def complete_requirements(draft: BaseModel, m: Materials) -> dict[str, Any]:
    """Requirements from a model draft: ids, RICE, priority and type computed here."""
    assert isinstance(draft, RequirementsDraft)
    relevant = {sid for t in m.topics for sid in t["signal_ids"]}
    off_topic = m.off_goal()
    stories = []
    for s in draft.stories:
        # Only evidence about the goal may back a story: citations of the run's other evidence (context) are
        # removed here, and a story left with none of its own is not kept. Unknown ids stay for validation,
        # which drops and counts them.
        kept = [c for c in s.citations if c not in off_topic]
        if s.citations and not kept:
            continue
        s = s.model_copy(update={"citations": kept})
        i = len(stories) + 1
        topic = _topic_for(s.i_want, s.citations, m)
        rice = topic["rice"] if topic else _rice_of(s.citations, m)
        stories.append({"id": f"S{i}", "as_a": s.as_a, "i_want": s.i_want, "so_that": s.so_that,
                        "acceptance_criteria": s.acceptance_criteria, "priority": scoring.priority(rice["score"]),
                        "type": requirement_type(f"{s.i_want} so that {s.so_that}"), "rice": rice,
                        "citations": list(s.citations)})
    if not relevant:  # nothing was found for the goal: no story, whatever the model wrote
        stories = []
    problem = draft.problem if stories else m.nothing_found()
    doc = Requirements(title=f"Requirements: {m.focus}"[:120], mode=m.mode, problem=problem,  # type: ignore[arg-type]
                       goals=draft.goals if stories else [], non_goals=draft.non_goals,
                       open_questions=draft.open_questions,
                       success_metrics=draft.success_metrics).model_dump(mode="json")
    doc["stories"] = stories
    doc["evidence"] = m.evidence_for([sid for s in stories for sid in s["citations"]])
    return doc


def complete_brief(draft: BaseModel, m: Materials) -> dict[str, Any]:
    """A brief from a model draft: theme counts and trends computed here."""
    assert isinstance(draft, BriefDraft)
    themes = []
    off_topic = m.off_goal()
    for t in draft.themes:
        # As for stories: only the goal's evidence backs a section (unknown ids are left to validation).
        quotes = [q for q in t.quotes if q.signal_id not in off_topic]
        citations = [c for c in t.citations if c not in off_topic]
        if (t.citations or t.quotes) and not (citations or quotes):
            continue
        t = t.model_copy(update={"quotes": quotes, "citations": citations})
        topic = _topic_for(t.label, t.citations, m)
        theme = (topic or {}).get("theme") or {}
        themes.append({"label": t.label, "signals": int(theme.get("size") or len(t.citations)),
                       "users": _users(theme, (topic or {}).get("signal_ids") or list(t.citations), m),
                       **trends.trend_fields(trends.evidence_trend((topic or {}).get("signal_ids") or t.citations,
                                                                   m.evidence)),
                       "quotes": [q.model_dump() for q in t.quotes], "citations": list(t.citations)})
    found = any(t["signal_ids"] for t in m.topics)
    if not found:  # nothing was found for the goal: say so, show no theme
        themes = []
    tldr = draft.tldr if found else f"{m.nothing_found()} {m.also()}".strip()
    doc = Brief(title=f"Brief ({m.audience}): {m.focus}"[:120], mode=m.mode, audience=m.audience,  # type: ignore[arg-type]
                tldr=tldr, proposal=draft.proposal, risks=draft.risks, asks=draft.asks).model_dump(mode="json")
    doc["themes"] = themes
    quoted = [{"signal_id": q["signal_id"], "quote": q["quote"], "source": "", "user_id": None}
              for t in themes for q in t["quotes"]]
    doc["evidence"] = quoted + m.evidence_for([s for t in themes for s in t["citations"]])
    return doc


def complete_decision_memo(draft: BaseModel, m: Materials) -> dict[str, Any]:
    """A decision memo from a model draft: criteria and option scores attached from the scorer."""
    assert isinstance(draft, DecisionMemoDraft)
    options = []
    off_topic = m.off_goal()
    for o in draft.options:
        o = o.model_copy(update={"citations": [c for c in o.citations if c not in off_topic]})
        topic = _topic_for(o.name, o.citations, m)
        if topic is not None and topic["name"].lower() == o.name.lower():
            scored = _option(topic, m)
        else:
            from agents.scorer import score_topic

            pseudo = {"name": o.name, "description": o.description, "signal_ids": [c for c in o.citations
                                                                                   if c in m.evidence], "theme": None}
            # Scored against the same strategy as the planned options (keyword and word-overlap
            # alignment), so its total is on the same criteria and comparable.
            strategy = scoring.Strategy.from_dict(m.strategy, source=m.strategy.get("source", "")) \
                if m.strategy else None
            scored = {**pseudo, **score_topic(pseudo, m.evidence, strategy, m.criteria, None)}
            scored = _option(scored, m)
        options.append({**scored, "name": o.name, "description": o.description, "citations": list(o.citations)})
    doc = DecisionMemo(title=f"Decision memo: {m.focus}"[:120], mode=m.mode, question=m.focus,  # type: ignore[arg-type]
                       context=draft.context, criteria=[{"name": k, "weight": v} for k, v in m.criteria.items()],
                       recommendation=draft.recommendation, risks=draft.risks,
                       unknowns=draft.unknowns).model_dump(mode="json")
    doc["options"] = sorted(options, key=lambda o: -o["total"])
    doc["evidence"] = m.evidence_for([sid for o in options for sid in o["citations"]])
    return doc


register(Deliverable("requirements", Requirements, (" requirement", " prd", " stories", " story", " spec "),
                     draft_requirements, RequirementsDraft, complete_requirements))
register(Deliverable("brief", Brief, (" brief", "leadership", "stakeholder", " exec", "board", "update for"),
                     draft_brief, BriefDraft, complete_brief))
register(Deliverable("decision_memo", DecisionMemo,
                     ("should we", "decide", "decision", " vs ", " vs. ", "versus", " before ", " or not", " memo",
                      "trade-off", "tradeoff", "instead of"),
                     draft_decision_memo, DecisionMemoDraft, complete_decision_memo))


#: Kinds drafted from the goal's topics: their model sees (and may cite) only the topics' evidence.
GOAL_KINDS = frozenset({"requirements", "brief", "decision_memo"})


def _evidence_block(m: Materials, kind: str = "requirements", limit: int = 60) -> str:
    """The evidence the model may cite: for the goal's documents, the goal's topics' (context rows are not shown)."""
    off_topic = m.off_goal() if kind in GOAL_KINDS else set()
    rows = sorted((r for sid, r in m.evidence.items() if sid not in off_topic),
                  key=lambda r: -float(r.get("score") or 0.0))[:limit]
    return "\n".join(f"[{r['signal_id']}] ({r['kind']}, {r['source']}, {r.get('segment') or '-'}) "
                     f"{prompts.data(r['quote'])}" for r in rows)


def _scores_block(m: Materials) -> str:
    return json.dumps([{"name": t["name"], "kind": t["kind"], "total": t["total"], "rice": t["rice"]["formula"],
                        "signals": t["signals"], "cite": m.topic_cites(t, 5)} for t in m.topics],
                      ensure_ascii=False)


def draft_llm(kind: str, m: Materials, context: RunContext, usage: LLMUsage,
              previous: dict[str, Any] | None) -> dict[str, Any]:
    """One structured writer call for one deliverable, completed with computed fields.

    A model that stays unreachable or unusable after the retries (``TransientError``) does not
    fail the run: the deliverable is drafted deterministically instead, labelled ``mode: offline``,
    with a note saying why.
    """
    spec = DELIVERABLES[kind]
    if spec.llm_schema is None or spec.complete_llm is None:
        return spec.draft_offline(m)
    feedback = m.feedback or ""
    if previous is not None and feedback:
        feedback = f"{feedback}\nPrevious draft:\n{json.dumps(previous, ensure_ascii=False)[:6000]}".strip()
    messages = [
        SystemMessage(prompts.WRITER_SYSTEM.format(kind=kind)),
        HumanMessage(prompts.WRITER_USER.format(
            kind=kind, audience=m.audience, goal=prompts.pm_text(m.goal), scores=prompts.data(_scores_block(m)),
            findings=prompts.data(json.dumps([{k: f[k] for k in ("question", "summary", "signal_ids")}
                                              for f in m.findings], ensure_ascii=False)[:6000]),
            decisions=prompts.data(json.dumps(m.decisions[:3], ensure_ascii=False, default=str)[:2000]),
            evidence=_evidence_block(m, kind), feedback=prompts.pm_text(feedback) if feedback else "none",
        )),
    ]
    try:
        draft = invoke_structured(context.chat("writer", usage), spec.llm_schema, messages, usage=usage)
    except TransientError as exc:
        logger.warning("writer %s: model unavailable, drafting offline: %s", kind, exc)
        context.emit("error", "writer", f"{kind}: model unavailable ({exc}); drafted without it", kind=kind)
        offline = replace(m, mode="offline")
        doc = spec.draft_offline(offline)
        note_field = {"requirements": "open_questions", "brief": "risks", "decision_memo": "unknowns"}.get(kind)
        if note_field:
            doc[note_field] = [*(doc.get(note_field) or []),
                               f"Drafted without the language model, which was unavailable: {exc}"]
        return doc
    return spec.complete_llm(draft, m)


# --------------------------------------------------------------------------- node


def _summary(update: dict[str, Any]) -> str:
    return "drafted " + ", ".join(sorted(update.get("drafts") or {}))


@timed("writer", _summary)
def write(state: PMState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    """Draft (or fix, or revise) every planned deliverable."""
    context = runtime.context
    m = Materials.from_state(state)
    drafts = dict(state.get("drafts") or {})
    kinds = [k for k in state["plan"]["deliverables"] if k in DELIVERABLES]
    if not drafts:
        targets = kinds
    elif m.fixes:
        targets = sorted({n["kind"] for n in m.fixes if n["kind"] in kinds})
    else:
        targets = kinds
    collected: dict[str, dict[str, Any]] = {}
    for kind in targets:
        collect = DELIVERABLES[kind].collect
        if collect is not None and kind not in drafts:
            collected.update(collect(m))
    m.evidence = {**m.evidence, **collected}
    usage = LLMUsage()
    if m.fixes and drafts:
        # The scorer's fixes are mechanical (split, rephrase as Given/When/Then, cite, add a story for a
        # scored topic): code applies them in both modes, so a review round costs no LLM call.
        for kind in targets:
            drafts[kind] = apply_fixes(kind, drafts[kind], m) if kind in drafts else DELIVERABLES[kind].draft_offline(m)
    elif context.offline:
        for kind in targets:
            drafts[kind] = DELIVERABLES[kind].draft_offline(m) if kind not in drafts \
                else apply_revision(kind, drafts[kind], m)
    else:
        with ThreadPoolExecutor(max_workers=max(1, len(targets))) as pool:
            futures = {kind: pool.submit(draft_llm, kind, m, context, usage, drafts.get(kind)) for kind in targets}
            for kind, future in futures.items():
                drafts[kind] = future.result()
    if "requirements" in targets and "requirements" in drafts:
        # The story-quality check runs on every draft, offline or a model's: safe fixes, the rest flagged.
        drafts["requirements"] = story_quality.review_requirements(drafts["requirements"])
    for kind in targets:
        context.emit("artifact", "writer", f"drafted {kind}", kind=kind)
    update: dict[str, Any] = {"drafts": drafts, "human_feedback": None, "llm": usage.as_dict()}
    if collected:
        update["evidence"] = collected
    return update
