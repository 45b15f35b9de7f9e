"""Artifact schemas: the JSON shapes of the documents a run writes (external contract).

Every artifact carries ``kind``, ``title``, ``mode`` and ``evidence``; every ``citations`` list
anywhere inside an artifact holds signal ids that appear in ``evidence``, and every evidence
``quote`` is a verbatim span of the stored (redacted) signal text. Field names are public.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Mode = Literal["llm", "offline"]
RunStatus = Literal["completed", "failed", "awaiting_review"]


class Part(BaseModel):
    """A part of a document: it declares every key it may hold (a draft with an undeclared key is rejected)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class EvidenceRef(Part):
    """One piece of stored evidence an artifact cites."""

    signal_id: str
    quote: str = Field(description="Verbatim span of the stored signal text.")
    source: str = ""
    user_id: str | None = None


class QuoteRef(Part):
    """A verbatim quote of one signal."""

    signal_id: str
    quote: str


class ArtifactBase(Part):
    """Fields shared by every artifact."""

    kind: str
    title: str
    mode: Mode
    evidence: list[EvidenceRef] = Field(default_factory=list)


class Story(Part):
    """A user story with testable acceptance criteria and its evidence."""

    id: str
    as_a: str
    i_want: str
    so_that: str
    title: str = Field(default="", description="Short name of the capability (the story's heading); '' = i_want.")
    acceptance_criteria: list[str] = Field(default_factory=list, description="Given/When/Then criteria.")
    priority: Literal["high", "medium", "low"] = "medium"
    type: Literal["functional", "non-functional"] = "functional"
    rice: dict[str, Any] = Field(default_factory=dict)
    citations: list[str] = Field(default_factory=list)
    flags: list[str] = Field(default_factory=list, description="Story-quality defects and PM to-dos (QUS check).")


class Requirements(ArtifactBase):
    """Product requirements: problem, goals, user stories, open questions, success metrics."""

    kind: Literal["requirements"] = "requirements"
    problem: str = ""
    goals: list[str] = Field(default_factory=list)
    non_goals: list[str] = Field(default_factory=list)
    stories: list[Story] = Field(default_factory=list)
    open_questions: list[str] = Field(default_factory=list)
    success_metrics: list[str] = Field(default_factory=list)
    quality_notes: list[str] = Field(default_factory=list, description="What the story-quality check flagged.")


class BriefTheme(Part):
    """A theme as summarised in a stakeholder brief."""

    label: str
    signals: int = 0
    users: int = 0
    trend: float = 0.0
    trend_counts: dict[str, Any] | None = Field(
        default=None, description="Signals in two equal windows (tools.trends.Trend.as_dict); the text shown.")
    quotes: list[QuoteRef] = Field(default_factory=list)
    citations: list[str] = Field(default_factory=list)


class Brief(ArtifactBase):
    """A stakeholder brief for one audience."""

    kind: Literal["brief"] = "brief"
    audience: str = "exec"
    tldr: str = ""
    themes: list[BriefTheme] = Field(default_factory=list)
    proposal: str = ""
    risks: list[str] = Field(default_factory=list)
    asks: list[str] = Field(default_factory=list)


class Criterion(Part):
    """A weighted decision criterion."""

    name: str
    weight: float


class OptionScore(Part):
    """An option of a decision memo with its per-criterion scores."""

    name: str
    description: str = ""
    scores: dict[str, Any] = Field(default_factory=dict)
    total: float = 0.0
    citations: list[str] = Field(default_factory=list)


class DecisionMemo(ArtifactBase):
    """A decision memo: criteria, weighted options, recommendation, risks, unknowns."""

    kind: Literal["decision_memo"] = "decision_memo"
    question: str = ""
    context: str = ""
    criteria: list[Criterion] = Field(default_factory=list)
    options: list[OptionScore] = Field(default_factory=list)
    recommendation: str = ""
    risks: list[str] = Field(default_factory=list)
    unknowns: list[str] = Field(default_factory=list)


class StatusChange(Part):
    """One line of a status update, supported by commits."""

    summary: str
    goal: str | None = None
    commits: list[str] = Field(default_factory=list)
    citations: list[str] = Field(default_factory=list)


class CapacityShare(Part):
    """A strategy goal's share of engineering capacity."""

    goal: str
    share: float


class StatusUpdate(ArtifactBase):
    """A status update for a period."""

    kind: Literal["status"] = "status"
    period: str = ""
    changes: list[StatusChange] = Field(default_factory=list)
    capacity: list[CapacityShare] = Field(default_factory=list)
    risks: list[str] = Field(default_factory=list)
    next: list[str] = Field(default_factory=list)


class ActionItem(Part):
    """An action item from a meeting."""

    owner: str | None = None
    item: str
    citations: list[str] = Field(default_factory=list)
    quotes: list[QuoteRef] = Field(default_factory=list, exclude=True, description=(
        "The verbatim quotes the item was drawn from: checked against the stored signals by validation (a valid "
        "quote's signal joins the citations), not published."))


class MeetingNotes(ArtifactBase):
    """Meeting notes: decisions, action items, open questions."""

    kind: Literal["meeting_notes"] = "meeting_notes"
    decisions: list[Any] = Field(default_factory=list)
    action_items: list[ActionItem] = Field(default_factory=list)
    open_questions: list[Any] = Field(default_factory=list)
    answered_questions: list[Any] = Field(default_factory=list,
                                          description="Questions settled in the meeting, each with its answer.")
    progress: list[Any] = Field(default_factory=list,
                                description="Progress reported: what is done, in progress or left, and effort "
                                            "estimates, each quoted with its speaker; never a requirement.")
    requirements: list[Any] = Field(default_factory=list)


class RoadmapItem(Part):
    """An item on the living roadmap."""

    item: str
    themes: list[str] = Field(default_factory=list)
    score: float = 0.0
    commits: list[str] = Field(default_factory=list)
    citations: list[str] = Field(default_factory=list)
    signals: int | None = Field(default=None, description="Signals behind the item (citations: the strongest).")
    goal: str | None = Field(default=None, description="The strategy goal the item serves.")
    goal_weight: float | None = None
    trend: dict[str, Any] | None = Field(default=None, description="tools.trends.Trend.as_dict of its signals.")
    why: str = Field(default="", description="Why the item is in its bucket: score, goal and weight, trend.")
    status: str = Field(default="", description="open, in progress (matched commits) or done.")


class RoadmapMove(Part):
    """How an item moved since the previous roadmap."""

    item: str
    from_: str | None = Field(default=None, alias="from")
    to: str
    why: str = ""


class Roadmap(ArtifactBase):
    """Now / Next / Later / Done with what moved."""

    kind: Literal["roadmap"] = "roadmap"
    now: list[RoadmapItem] = Field(default_factory=list)
    next: list[RoadmapItem] = Field(default_factory=list)
    later: list[RoadmapItem] = Field(default_factory=list)
    done: list[RoadmapItem] = Field(default_factory=list)
    moved: list[RoadmapMove] = Field(default_factory=list)
    previous_run: str | None = Field(default=None, description="The roadmap run this one is compared with.")
    strategy_gaps: list[str] = Field(default_factory=list, description="Strategy goals no item serves.")


class ArtifactRef(BaseModel):
    """Where one artifact of a run was written."""

    kind: str
    path_md: str
    path_json: str


class Traceability(BaseModel):
    """How well a run's claims are backed by stored evidence."""

    claims: int = Field(default=0, description="Items that must cite evidence (stories, options, themes ...).")
    cited: int = Field(default=0, description="Of those, how many cite at least one valid signal.")
    dropped_invalid: int = Field(default=0, description="Citations and quotes removed as invalid.")


class LLMUsage(BaseModel):
    """LLM calls and tokens of a run."""

    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0


class RunRecord(BaseModel):
    """The content of ``run.json`` (contract shape plus a few extras)."""

    run_id: str
    status: str
    mode: Mode
    goal: str
    workspace: str
    artifacts: list[ArtifactRef] = Field(default_factory=list)
    traceability: Traceability = Field(default_factory=Traceability)
    llm: LLMUsage = Field(default_factory=LLMUsage)
    timings: dict[str, float] = Field(default_factory=dict)
    deliverables: list[str] = Field(default_factory=list)
    created_at: str = ""
    updated_at: str = ""
    error: str | None = None


class RunFile(RunRecord):
    """``run.json`` of a run that reached the graph: the record, then how the research went and the warnings."""

    research: list[dict[str, Any]] = Field(default_factory=list, description=(
        "Per research question: signals searched and kept, and the relevance floor used."))
    warnings: list[str] = Field(default_factory=list, description="Plain-language warnings, each once.")
