"""Prioritisation math: RICE, WSJF and strategic alignment, and the Strategy they are weighted by.

Scores are absolute (an option's score never depends on which other options are scored
alongside it) and reproducible (same evidence, same strategy, same score). Every result carries
its formula with the numbers filled in, so a reader can recompute it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NotRequired, SupportsFloat

from typing_extensions import TypedDict  # pydantic validates these in graph state: on 3.11 it needs this one

from kernel.errors import InputError

#: Impact per signal type (Intercom's RICE impact scale: 3 massive, 2 high, 1 medium, 0.5 low, 0.25 minimal).
IMPACT_BY_TYPE: dict[str, float] = {
    "churn_risk": 3.0,
    "bug": 2.0,
    "complaint": 2.0,
    "feature_request": 1.0,
    "usage_pattern": 0.5,
    "question": 0.5,
    "other": 0.5,
    "praise": 0.25,
}
IMPACT_SCALE = (0.25, 0.5, 1.0, 2.0, 3.0)
#: Default effort in person-months when the strategy file gives none for an item.
DEFAULT_EFFORT = 1.0
#: Half-saturation constant turning an unbounded RICE score into an absolute 0..1 value.
RICE_HALF = 10.0
#: Evidence volume and source variety at which confidence saturates.
CONFIDENCE_FULL_SIGNALS = 10
CONFIDENCE_FULL_KINDS = 3
#: Sentiment below which a signal is severe: it weighs up to one half more in impact at sentiment -1.
SEVERE_SENTIMENT = -0.5
SEVERITY_GAIN = 0.5
#: How equal RICE scores are ordered (:func:`rank_key`), as documents state it when scores really tie.
TIE_BREAK = ("more users/accounts reporting first, then more signals, then evidence more on topic, "
             "then the most recent evidence, then by name")

DEFAULT_CRITERIA: dict[str, float] = {
    "user value (RICE)": 0.5,
    "strategic alignment": 0.35,
    "evidence confidence": 0.15,
}
#: Criteria a strategy file may weight (each computed from the evidence, 0..1).
KNOWN_CRITERIA = (*DEFAULT_CRITERIA, "urgency (WSJF)")


class RiceScore(TypedDict):
    """A RICE score with its inputs and its formula filled in."""

    reach: int
    impact: float
    confidence: float
    effort: float
    effort_source: str
    score: float
    formula: str
    #: Signals behind it, mean relevance of the evidence to the goal (None: not scored) and its latest date:
    #: what :func:`rank_key` orders equal scores by.
    signals: NotRequired[int]
    on_topic: NotRequired[float | None]
    latest: NotRequired[str]


class WsjfScore(TypedDict):
    """A WSJF score: the three cost-of-delay components, the job size and the formula."""

    business_value: float
    time_criticality: float
    risk_reduction: float
    job_size: float
    score: float
    formula: str


class AlignmentScore(TypedDict):
    """Strategic alignment: the weighted score, the match per goal name and the formula."""

    score: float
    per_goal: dict[str, float]
    formula: str


class WeightedTotal(TypedDict):
    """The weighted total of the decision criteria (0..100) and its formula."""

    total: float
    formula: str


class GoalData(TypedDict):
    """A :class:`Goal` as plain data."""

    name: str
    weight: float
    description: str
    keywords: list[str]
    paths: list[str]


class StrategyData(TypedDict):
    """A :class:`Strategy` as plain data (graph state and checkpoints)."""

    product: str
    goals: list[GoalData]
    effort: dict[str, float]
    criteria: dict[str, float]
    wsjf: bool
    source: str


@dataclass(frozen=True)
class EvidenceStats:
    """What a score needs to know about the evidence behind an item."""

    signals: int
    reporters: int
    kinds: int
    types: dict[str, int]
    negative: int = 0
    #: Σ per-signal impact (type impact × severity), for the exact mean impact.
    impact_sum: float = 0.0
    #: Mean relevance to the goal of the rows that carry one (None when none does).
    on_topic: float | None = None
    #: The newest evidence date (ISO), '' when none is dated.
    latest: str = ""

    @classmethod
    def from_evidence(cls, evidence: Iterable[Mapping[str, Any]]) -> EvidenceStats:
        """Summarise evidence rows (dicts with signal_id, user_id, account_id, kind, signal_type, sentiment)."""
        seen: dict[str, Mapping[str, Any]] = {}
        for row in evidence:
            seen.setdefault(str(row["signal_id"]), row)
        reporters = {_reporter(row) for row in seen.values()}
        kinds = {str(row.get("kind") or "") for row in seen.values()}
        types: dict[str, int] = {}
        for row in seen.values():
            key = str(row.get("signal_type") or "other")
            types[key] = types.get(key, 0) + 1
        negative = sum(1 for row in seen.values() if float(row.get("sentiment") or 0.0) < -0.1)
        impact_sum = sum(signal_impact(row) for row in seen.values())
        scores = [float(row["score"]) for row in seen.values() if float(row.get("score") or 0.0) > 0]
        on_topic = round(min(1.0, sum(scores) / len(scores)), 3) if scores else None
        latest = max((str(row.get("created_at") or "") for row in seen.values()), default="")
        return cls(signals=len(seen), reporters=len(reporters), kinds=len(kinds - {""}), types=types,
                   negative=negative, impact_sum=round(impact_sum, 6), on_topic=on_topic, latest=latest)


def signal_impact(row: Mapping[str, Any]) -> float:
    """One signal's impact: its type's (:data:`IMPACT_BY_TYPE`), up to :data:`SEVERITY_GAIN` more when it is severe.

    Severity grows linearly from sentiment :data:`SEVERE_SENTIMENT` (none) to -1 (full): 'this bug cost me a
    client' weighs more than 'small bug in the footer'.
    """
    base = IMPACT_BY_TYPE.get(str(row.get("signal_type") or "other"), 0.5)
    sentiment = float(row.get("sentiment") or 0.0)
    severity = min(1.0, max(0.0, (SEVERE_SENTIMENT - sentiment) / (1.0 + SEVERE_SENTIMENT)))
    return base * (1 + SEVERITY_GAIN * severity)


def _reporter(row: Mapping[str, Any]) -> str:
    """A distinct reporter: the user, else the account, else the signal itself."""
    if row.get("user_id"):
        return f"user:{row['user_id']}"
    if row.get("account_id"):
        return f"account:{row['account_id']}"
    return f"signal:{row['signal_id']}"


def impact(stats: EvidenceStats) -> float:
    """Mean per-signal impact of the evidence (:func:`signal_impact`: type, severity), on the RICE scale's range.

    Exact, not snapped to the scale's steps (0.25, 0.5, 1, 2, 3): two topics of bugs and questions mixed
    differently, or reported more or less severely, get different impacts.
    """
    if not stats.signals:
        return IMPACT_SCALE[0]
    total = stats.impact_sum or sum(IMPACT_BY_TYPE.get(t, 0.5) * n for t, n in stats.types.items())
    return round(min(IMPACT_SCALE[-1], max(IMPACT_SCALE[0], total / stats.signals)), 2)


def confidence(stats: EvidenceStats) -> float:
    """Confidence in 0.2..1.0 from evidence strength (volume), source diversity and how on topic the evidence is.

    0.2 + 0.8 × the mean of strength (signals / 10), diversity (kinds of source / 3) and, when the evidence
    carries relevance scores, their mean (:attr:`EvidenceStats.on_topic`); without scores, of the first two.
    """
    strength = min(1.0, stats.signals / CONFIDENCE_FULL_SIGNALS)
    diversity = min(1.0, stats.kinds / CONFIDENCE_FULL_KINDS)
    parts = [strength, diversity] if stats.on_topic is None else [strength, diversity, stats.on_topic]
    return round(0.2 + 0.8 * sum(parts) / len(parts), 3)


def rice(stats: EvidenceStats, effort: float | None = None) -> RiceScore:
    """RICE = reach × impact × confidence / effort, reach = distinct users (or accounts) in the evidence."""
    effort_value = DEFAULT_EFFORT if effort is None else float(effort)
    if effort_value <= 0:
        raise InputError(f"effort must be positive, got {effort_value}")
    reach = stats.reporters
    imp = impact(stats)
    conf = confidence(stats)
    score = round(reach * imp * conf / effort_value, 2)
    return {
        "reach": reach,
        "impact": imp,
        "confidence": conf,
        "effort": effort_value,
        "effort_source": "default" if effort is None else "strategy",
        "score": score,
        "formula": f"RICE = reach {reach} × impact {imp} × confidence {conf} / effort {effort_value} = {score}",
        "signals": stats.signals,
        "on_topic": stats.on_topic,
        "latest": stats.latest,
    }


def rank_key(rice_score: Mapping[str, Any], name: str = "") -> tuple[float, int, int, float, bool, str, str]:
    """Sort key putting the strongest RICE first; equal scores ordered as :data:`TIE_BREAK` states.

    Use with ``sorted(..., key=...)``; dates (ISO) sort newest first by their inverted characters, undated last.
    """
    latest = str(rice_score.get("latest") or "")
    inverted = "".join(chr(0x10FFFF - ord(c)) for c in latest)
    on_topic = rice_score.get("on_topic")
    return (-float(rice_score["score"]), -int(rice_score["reach"]), -int(rice_score.get("signals") or 0),
            -float(on_topic if on_topic is not None else 0.0), not latest, inverted, name.lower())


def tie_note(items: Sequence[tuple[str, Mapping[str, Any]]], *, what: str = "RICE", heading: str = "",
             order: str = TIE_BREAK, top_only: bool = False) -> str | None:
    """What a document says when ranked items really tie: which, and how they were ordered (None: no tie).

    ``items`` are (name, score) pairs in the document's order, each score a mapping with a ``score``: a RICE score,
    or what the document ranks by (``what`` labels the value, 'RICE' by default; ``heading`` names the scores,
    '<what> scores' by default). Tied names are listed in the document's order, the outcome of ``order``
    (:data:`TIE_BREAK` by default). With ``top_only``, only a tie for the first place is stated (a memo's
    recommendation rests on it). One line: 'Equal RICE scores: b, a (RICE 2). Order among them: more
    users/accounts reporting first, …'.
    """
    by_score: dict[float, list[str]] = {}
    for name, score in items:
        by_score.setdefault(float(score["score"]), []).append(name)
    tied = [(s, names) for s, names in by_score.items() if len(names) > 1]
    if top_only and items:
        tied = [(s, names) for s, names in tied if s == float(items[0][1]["score"])]
    if not tied:
        return None
    groups = "; ".join(f"{', '.join(names)} ({what} {s:g})" for s, names in sorted(tied, key=lambda t: -t[0]))
    return f"Equal {heading or what + ' scores'}: {groups}. Order among them: {order}."


#: z of the two-sided 95 % band of :func:`reach_noise`.
NOISE_Z = 1.96


def reach_noise(a: int, b: int) -> float:
    """Half-width of the band within which two reach counts do not differ beyond sampling noise.

    Counts of reporters behave like Poisson counts: the difference of two has a standard deviation of
    sqrt(a + b), so 2 vs 3 (band 4.4) or 23 vs 30 (band 14.3) is no evidence that one reaches more than the other,
    while 30 vs 3 (band 11.3) is. ``a`` and ``b`` are the two options' reach.
    """
    return NOISE_Z * math.sqrt(max(0, a) + max(0, b))


def within_noise(a: int, b: int) -> bool:
    """Whether reach ``a`` and ``b`` differ by no more than :func:`reach_noise`."""
    return abs(a - b) <= reach_noise(a, b)


def rice_normalized(score: float) -> float:
    """Absolute 0..1 value of a RICE score: score / (score + 10)."""
    return round(score / (score + RICE_HALF), 3) if score > 0 else 0.0


def priority(score: float) -> str:
    """Priority bucket from the absolute RICE value (high ≥ 0.6, medium ≥ 0.3)."""
    norm = rice_normalized(score)
    return "high" if norm >= 0.6 else "medium" if norm >= 0.3 else "low"


def wsjf(stats: EvidenceStats, *, trend: float = 0.0, effort: float | None = None) -> WsjfScore:
    """WSJF = cost of delay / job size, cost of delay = user-business value + time criticality + risk reduction.

    Each component is on a 1..10 scale: value from impact and reach, time criticality from the
    trend of the underlying theme, risk reduction from the share of churn-risk and bug evidence.
    """
    size = DEFAULT_EFFORT if effort is None else float(effort)
    value = round(min(10.0, 1 + impact(stats) * math.log2(1 + stats.reporters)), 2)
    criticality = round(min(10.0, max(1.0, 1 + 9 * max(0.0, trend))), 2)
    risky = stats.types.get("churn_risk", 0) + stats.types.get("bug", 0)
    risk = round(1 + 9 * (risky / stats.signals), 2) if stats.signals else 1.0
    cod = round(value + criticality + risk, 2)
    score = round(cod / size, 2)
    return {
        "business_value": value,
        "time_criticality": criticality,
        "risk_reduction": risk,
        "job_size": size,
        "score": score,
        "formula": f"WSJF = (value {value} + time criticality {criticality} + risk reduction {risk}) "
        f"/ job size {size} = {score}",
    }


@dataclass(frozen=True)
class Goal:
    """A weighted strategic goal."""

    name: str
    weight: float
    description: str = ""
    keywords: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        """What the goal is about, for similarity."""
        return " ".join([self.name, self.description, *self.keywords]).strip()


@dataclass(frozen=True)
class Strategy:
    """A strategy file: weighted goals plus optional effort estimates and scoring options."""

    goals: tuple[Goal, ...]
    product: str = ""
    effort: dict[str, float] = field(default_factory=dict)
    criteria: dict[str, float] = field(default_factory=dict)
    wsjf: bool = False
    source: str = ""

    def effort_for(self, text: str) -> float | None:
        """Effort (person-months) of the first effort entry whose key occurs in ``text``."""
        low = text.lower()
        for key, value in self.effort.items():
            if key.lower() in low:
                return value
        return None

    def to_dict(self) -> StrategyData:
        """Plain data (for graph state and checkpoints)."""
        return {
            "product": self.product,
            "goals": [
                {"name": g.name, "weight": g.weight, "description": g.description,
                 "keywords": list(g.keywords), "paths": list(g.paths)}
                for g in self.goals
            ],
            "effort": dict(self.effort),
            "criteria": dict(self.criteria),
            "wsjf": self.wsjf,
            "source": self.source,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "") -> Strategy:
        """Validate and normalise parsed strategy data; weights are rescaled to sum to 1."""
        raw_goals = data.get("goals")
        if isinstance(raw_goals, Mapping):
            raw_goals = [{"name": k, "weight": v} for k, v in raw_goals.items()]
        if not isinstance(raw_goals, list) or not raw_goals:
            raise InputError(f"strategy {source or 'file'}: needs a non-empty 'goals' list")
        goals: list[Goal] = []
        for i, item in enumerate(raw_goals, 1):
            if not isinstance(item, Mapping):
                raise InputError(f"strategy {source or 'file'}: goal {i} must be a mapping with name and weight")
            name = str(item.get("name") or item.get("goal") or item.get("title") or "").strip()
            weight = _number(item.get("weight"), f"strategy {source or 'file'}: goal {i} weight")
            if not name or weight < 0:
                raise InputError(f"strategy {source or 'file'}: goal {i} needs a name and a weight ≥ 0")
            goals.append(Goal(
                name=name,
                weight=weight,
                description=str(item.get("description") or ""),
                keywords=tuple(str(k) for k in item.get("keywords") or ()),
                paths=tuple(str(p) for p in item.get("paths") or ()),
            ))
        total = sum(g.weight for g in goals)
        if total <= 0:
            raise InputError(f"strategy {source or 'file'}: goal weights sum to zero")
        goals = [Goal(g.name, round(g.weight / total, 4), g.description, g.keywords, g.paths) for g in goals]
        effort_raw = data.get("effort") or {}
        if not isinstance(effort_raw, Mapping):
            raise InputError(f"strategy {source or 'file'}: 'effort' must map items to person-months")
        effort = {str(k): _number(v, f"strategy effort {k!r}") for k, v in effort_raw.items()}
        if any(v <= 0 for v in effort.values()):
            raise InputError(f"strategy {source or 'file'}: effort values must be positive")
        scoring = data.get("scoring") or {}
        criteria_raw = (scoring.get("criteria") if isinstance(scoring, Mapping) else None) or data.get("criteria")
        criteria = {str(k): _number(v, f"criterion {k!r}") for k, v in (criteria_raw or {}).items()}
        unknown = sorted(set(criteria) - set(KNOWN_CRITERIA))
        if unknown:
            raise InputError(f"strategy {source or 'file'}: unknown criterion {unknown[0]!r}; "
                             f"expected some of: {', '.join(KNOWN_CRITERIA)}")
        wsjf_flag = bool((scoring.get("wsjf") if isinstance(scoring, Mapping) else None) or data.get("wsjf"))
        return cls(goals=tuple(goals), product=str(data.get("product") or data.get("name") or ""),
                   effort=effort, criteria=criteria, wsjf=wsjf_flag, source=source)


def _number(value: object, what: str) -> float:
    if isinstance(value, str):
        value = value.strip().rstrip("%")
    if isinstance(value, str | SupportsFloat):
        try:
            return float(value)
        except (TypeError, ValueError):
            pass
    raise InputError(f"{what} must be a number, got {value!r}")


_WORD = re.compile(r"[a-z0-9]+")
#: Words goal matching ignores: a few function words and the verbs every option carries ("build", "fix").
#: Not kernel.text.STOPWORDS yet: that list would also drop "more", "only", "all"…, which changes the
#: alignment scores and the quotes research picks (tools/research.py best_quote), so it waits for a bench run.
_STOP = frozenset(
    "a an and are as at be before build building by can do for from fix fixing how in into is it of on or our "
    "should the their them this to users we what when with without vs versus".split()
)


def tokens(text: str) -> set[str]:
    """Content words of a text (lowercase, stop words removed, naive plural folding)."""
    out = set()
    for word in _WORD.findall(text.lower()):
        if word in _STOP or len(word) < 3:
            continue
        out.add(word[:-1] if word.endswith("s") and len(word) > 4 else word)
    return out


Similarity = Callable[[str, Sequence[str]], Sequence[float]]


def alignment(text: str, strategy: Strategy, similarity: Similarity | None = None) -> AlignmentScore:
    """Strategic alignment = Σ goal weight × match(item, goal), match in 0..1.

    match = 1 when a goal keyword (or a content word of the goal name) occurs in the item; otherwise
    the embedding cosine rescaled as clip((cos - 0.2) / 0.5, 0, 1) when a similarity function is
    given, else the share of the goal's words found in the item.
    """
    item_tokens = tokens(text)
    cosines = list(similarity(text, [g.text for g in strategy.goals])) if similarity else None
    per_goal: dict[str, float] = {}
    for i, goal in enumerate(strategy.goals):
        keywords = {k.lower() for k in goal.keywords} | tokens(goal.name)
        hit = any(k in text.lower() if " " in k else (k in item_tokens or k.rstrip("s") in item_tokens)
                  for k in keywords)
        if hit:
            match = 1.0
        elif cosines is not None:
            match = min(1.0, max(0.0, (float(cosines[i]) - 0.2) / 0.5))
        else:
            goal_tokens = tokens(goal.text)
            match = len(goal_tokens & item_tokens) / len(goal_tokens) if goal_tokens else 0.0
        per_goal[goal.name] = round(match, 3)
    score = round(sum(g.weight * per_goal[g.name] for g in strategy.goals), 3)
    terms = " + ".join(f"{g.weight}×{per_goal[g.name]}" for g in strategy.goals)
    return {"score": score, "per_goal": per_goal, "formula": f"alignment = {terms} = {score}"}


def criteria_weights(strategy: Strategy | None) -> dict[str, float]:
    """Decision criteria and weights (the strategy's, else the defaults), renormalised to sum to 1.

    Without a strategy, strategic alignment cannot be measured and is left out.
    """
    weights = dict(strategy.criteria) if strategy and strategy.criteria else dict(DEFAULT_CRITERIA)
    if strategy is None:
        weights.pop("strategic alignment", None)
    total = sum(weights.values())
    return {k: round(v / total, 4) for k, v in weights.items()}


def weighted_total(values: Mapping[str, float], weights: Mapping[str, float]) -> WeightedTotal:
    """Total = 100 × Σ weight × criterion value (values in 0..1), with its formula."""
    total = round(100 * sum(weights[name] * float(values.get(name, 0.0)) for name in weights), 1)
    terms = " + ".join(f"{weights[name]}×{round(float(values.get(name, 0.0)), 3)}" for name in weights)
    return {"total": total, "formula": f"total = 100 × ({terms}) = {total}"}
