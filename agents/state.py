"""Graph state: input, internal and output channels, with reducers where parallel branches write.

All values are plain JSON-compatible data (dicts, lists, strings, numbers) so checkpoints are
portable between SQLite and Postgres and readable by LangGraph Studio: the checkpointer's msgpack
serde stores dicts as they are, while it stores a pydantic object as a reference to its class
(langgraph-checkpoint 4.3 warns when it loads one and is to block unregistered classes). Their
shapes are the TypedDicts below (evidence rows in :mod:`kernel.schemas`, the documents' pydantic
models in :mod:`kernel.artifacts`); :func:`check_update` validates what every node returns against
them, rejecting any key they do not declare.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import ConfigDict, TypeAdapter, with_config
from typing_extensions import TypedDict

from kernel.schemas import EvidenceRow
from tools.scoring import AlignmentScore, RiceScore, WsjfScore

#: Every state shape rejects keys it does not declare: a node cannot slip an unvalidated key into state.
_STRICT = ConfigDict(extra="forbid")


@with_config(_STRICT)
class PlanOption(TypedDict):
    """An option the goal names (a decision between options)."""

    name: str
    description: str


@with_config(_STRICT)
class ResearchQuestion(TypedDict, total=False):
    """One research question of the plan (one researcher branch)."""

    id: str
    question: str
    query: str
    scope: str
    focus: str | None
    segment: str | None
    landscape: bool


@with_config(_STRICT)
class Plan(TypedDict, total=False):
    """The planner's ``Plan`` as data."""

    deliverables: list[str]
    audience: str
    focus: str
    landscape: bool
    options: list[PlanOption]
    questions: list[ResearchQuestion]
    vague_options: list[str]  # alternatives that name no subject ("anything else"): left out of the options


@with_config(_STRICT)
class Finding(TypedDict):
    """What one researcher found for one question."""

    question_id: str
    question: str
    kind: str
    summary: str
    signal_ids: list[str]


@with_config(_STRICT)
class ThemeQuote(TypedDict):
    """A theme's verbatim quote."""

    signal_id: str
    quote: str


@with_config(_STRICT)
class ThemeSummary(TypedDict, total=False):
    """A theme relevant to the goal, as the researchers keep it (``relevance``: members in the evidence)."""

    id: str | None
    label: str
    size: int
    users: int
    accounts: int
    trend: float
    keywords: list[str]
    quotes: list[ThemeQuote]
    segments: dict[str, int]
    sentiment: dict[str, int]
    relevance: int


@with_config(_STRICT)
class ContextTheme(TypedDict, total=False):
    """A large workspace theme that is not about the goal (context only)."""

    id: str
    label: str
    size: int
    users: int
    keywords: list[str]
    trend: float


@with_config(_STRICT)
class ResearchRecord(TypedDict, total=False):
    """How one research question was searched (``floor``: the relevance floor's fitted parameters)."""

    question_id: str
    question: str
    query: str
    searched: int
    kept: int
    kept_by_sentence: int
    joined_from_cluster: int
    dropped_by_focus: int
    dropped_by_model: int
    off_topic_citations_dropped: int
    floor: dict[str, Any]


@with_config(_STRICT)
class DecisionRecord(TypedDict, total=False):
    """An earlier decision from the workspace's decision log."""

    run_id: str
    question_id: str
    question: str
    recommendation: str
    rationale: str
    citations: list[str]
    #: The recommendation's parts that stand on their own evidence (``{"text", "citations"}``; stories).
    items: list[dict[str, Any]]
    created_at: str
    score: float


@with_config(_STRICT)
class Topic(TypedDict, total=False):
    """A scored topic (option or theme): RICE, strategic alignment and the weighted total."""

    id: str
    name: str
    kind: str
    description: str
    signal_ids: list[str]
    ranked: bool
    signals: int
    reach: int
    theme: ThemeSummary | None
    rice: RiceScore
    alignment: AlignmentScore
    wsjf: WsjfScore
    criteria: dict[str, float]
    formulas: dict[str, str]
    total: float
    priority: str


@with_config(_STRICT)
class NearTheme(TypedDict):
    """A cluster the search found next to the goal but not about it."""

    label: str
    size: int
    reason: str


@with_config(_STRICT)
class ContextCount(TypedDict):
    """A workspace theme named as context in the documents."""

    label: str
    size: int


@with_config(_STRICT)
class Scores(TypedDict, total=False):
    """The scorer's output: criteria weights and scored topics, with what was searched and found nearby."""

    criteria: dict[str, float]
    topics: list[Topic]
    strategy: bool
    context: list[ContextCount]
    near: list[NearTheme]
    searched: list[str]
    relevant: int


@with_config(_STRICT)
class ReviewNote(TypedDict):
    """One fix the review asks for: which document, which item, what is wrong and what to do."""

    kind: str
    target: str
    problem: str
    fix: str


@with_config(_STRICT)
class ArtifactEntry(TypedDict):
    """Where one document of the run was written (``kernel.artifacts.ArtifactRef`` as data)."""

    kind: str
    path_md: str
    path_json: str


@with_config(_STRICT)
class TraceabilityCounts(TypedDict):
    """How well the final documents' claims are backed (``kernel.artifacts.Traceability`` as data)."""

    claims: int
    cited: int
    dropped_invalid: int


def merge_evidence(left: Mapping[str, EvidenceRow] | None, right: Mapping[str, EvidenceRow] | None
                   ) -> dict[str, EvidenceRow]:
    """Union of evidence rows by signal id; list fields (questions, themes) are unioned too."""
    merged = {k: EvidenceRow(**v) for k, v in (left or {}).items()}
    for sid, row in (right or {}).items():
        if sid not in merged:
            merged[sid] = EvidenceRow(**row)
            continue
        current = merged[sid]
        current["questions"] = sorted(set(current.get("questions") or []) | set(row.get("questions") or []))
        current["themes"] = sorted(set(current.get("themes") or []) | set(row.get("themes") or []))
        if float(row.get("score") or 0.0) > float(current.get("score") or 0.0):
            current["score"] = row["score"]
    return merged


def merge_dict(left: dict[str, Any] | None, right: dict[str, Any] | None) -> dict[str, Any]:
    """Shallow dict merge (right wins)."""
    return {**(left or {}), **(right or {})}


def add_numbers(left: dict[str, float] | None, right: dict[str, float] | None) -> dict[str, float]:
    """Key-wise sum (LLM usage, timings) so parallel branches and repeated passes accumulate."""
    out = dict(left or {})
    for key, value in (right or {}).items():
        out[key] = round(out.get(key, 0) + value, 3) if isinstance(value, float) else out.get(key, 0) + value
    return out


def extend(left: list[Any] | None, right: list[Any] | None) -> list[Any]:
    """List concatenation (findings of parallel researchers)."""
    return [*(left or []), *(right or [])]


@with_config(_STRICT)
class InputState(TypedDict, total=False):
    """What a caller gives the graph.

    Attributes:
        goal: The PM's goal in their words.
        workspace: The tenant whose user memory is read.
        deliverables: Requested deliverable kinds; the planner chooses when empty.
        audience: Brief audience (exec, eng, sales); the planner infers it when empty.
        strategy: Parsed strategy file (``tools.scoring.Strategy.to_dict()``) or None.
        repo: Path of a git repository (for project-data deliverables).
        since: Start of the period (ISO date or span like ``7d``) for period deliverables.
        until: End of the period (ISO date or span); now when None.
        review: Pause for human review before finalising.
    """

    goal: str
    workspace: str
    deliverables: list[str] | None
    audience: str | None
    strategy: dict[str, Any] | None
    repo: str | None
    since: str | None
    until: str | None
    review: bool


@with_config(_STRICT)
class OutputState(TypedDict, total=False):
    """What the graph returns.

    Attributes:
        status: ``completed`` when finalised (``awaiting_review`` is derived from an interrupt).
        mode: ``offline`` or ``llm``.
        artifacts: ``[{kind, path_md, path_json}]`` of the written documents.
        traceability: ``{claims, cited, dropped_invalid}`` over the final documents.
        llm: ``{calls, prompt_tokens, completion_tokens}`` summed over every node.
        timings: Seconds per node (parallel researchers summed).
    """

    status: str
    mode: str
    artifacts: list[ArtifactEntry]
    traceability: TraceabilityCounts
    llm: Annotated[dict[str, int], add_numbers]
    timings: Annotated[dict[str, float], add_numbers]


@with_config(_STRICT)
class PMState(InputState, OutputState, total=False):
    """The whole state (input + internal + output).

    Attributes:
        plan: The planner's ``Plan`` as data: deliverables, audience, questions, options.
        evidence: Signal id → evidence row (quote, source, user/account, kind, type, questions, themes).
        findings: What each researcher found (question id, summary, cited signal ids).
        themes: Theme id → theme summary relevant to the goal (candidate topics only for landscape goals).
        context_themes: Theme id → ``{id, label, size, users, keywords, trend}`` of large workspace themes
            that are NOT about the goal: context ("users also talk about …"), never evidence or stories.
        research: Per research question ``{question_id, question, query, searched, kept, floor}``.
        warnings: Plain-language warnings for run.json (e.g. no relevant evidence was found).
        decisions: Earlier decisions from the decision log that match the goal.
        scores: The scorer's output: criteria weights and scored topics (options, themes).
        drafts: Deliverable kind → artifact as data.
        review_notes: The scorer's requested fixes for the current drafts (empty = accepted).
        review_rounds: How many times drafts were sent back by the scorer (at most 2).
        human_feedback: The PM's revision request, consumed by the writer.
        pm_revised: The PM revised the drafts: their choices win over the scorer's coverage rule.
        dropped_invalid: Invalid citations/quotes removed (by researchers and validation), summed.
    """

    plan: Plan
    evidence: Annotated[dict[str, EvidenceRow], merge_evidence]
    findings: Annotated[list[Finding], extend]
    themes: Annotated[dict[str, ThemeSummary], merge_dict]
    context_themes: Annotated[dict[str, ContextTheme], merge_dict]
    research: Annotated[list[ResearchRecord], extend]
    warnings: Annotated[list[str], extend]
    decisions: Annotated[list[DecisionRecord], extend]
    scores: Scores
    drafts: dict[str, dict[str, Any]]
    review_notes: list[ReviewNote]
    review_rounds: int
    human_feedback: str | None
    pm_revised: bool
    dropped_invalid: Annotated[int, operator.add]


@with_config(_STRICT)
class ResearchTask(TypedDict):
    """The private input of one researcher branch (sent with ``Send``).

    Attributes:
        question: ``{id, question, query, scope, focus, segment}`` from the plan.
        goal: The run's goal (context for the researcher).
        workspace: The tenant to search.
    """

    question: ResearchQuestion
    goal: str
    workspace: str


_TOPIC = TypeAdapter(Topic)


def as_topic(data: Mapping[str, Any]) -> Topic:
    """``data`` validated as a scored topic (a copy; raises ``pydantic.ValidationError`` on an undeclared key)."""
    return _TOPIC.validate_python(data)


#: Validates a node's update (every PMState key optional) against the state's shapes.
_UPDATE = TypeAdapter(PMState)


def check_update(update: Mapping[str, Any]) -> None:
    """Validate what a node returns into the state; the update itself is left as it is.

    Drafts are plain dicts here: each is validated against its kind's artifact model by the writer
    and the validation node (:func:`agents.deliverables.base.check_drafts`).

    Raises:
        pydantic.ValidationError: a key the state does not declare, or a value of the wrong shape.
    """
    _UPDATE.validate_python(update)
