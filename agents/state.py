"""Graph state: input, internal and output channels, with reducers where parallel branches write.

All values are plain JSON-compatible data (dicts, lists, strings, numbers) so checkpoints are
portable between SQLite and Postgres and readable by LangGraph Studio. The pydantic shapes of
the documents live in :mod:`kernel.artifacts`.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict


def merge_evidence(left: dict[str, dict[str, Any]] | None, right: dict[str, dict[str, Any]] | None
                   ) -> dict[str, dict[str, Any]]:
    """Union of evidence rows by signal id; list fields (questions, themes) are unioned too."""
    merged = {k: dict(v) for k, v in (left or {}).items()}
    for sid, row in (right or {}).items():
        if sid not in merged:
            merged[sid] = dict(row)
            continue
        current = merged[sid]
        for key in ("questions", "themes"):
            current[key] = sorted(set(current.get(key) or []) | set(row.get(key) or []))
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
    artifacts: list[dict[str, Any]]
    traceability: dict[str, int]
    llm: Annotated[dict[str, int], add_numbers]
    timings: Annotated[dict[str, float], add_numbers]


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

    plan: dict[str, Any]
    evidence: Annotated[dict[str, dict[str, Any]], merge_evidence]
    findings: Annotated[list[dict[str, Any]], extend]
    themes: Annotated[dict[str, dict[str, Any]], merge_dict]
    context_themes: Annotated[dict[str, dict[str, Any]], merge_dict]
    research: Annotated[list[dict[str, Any]], extend]
    warnings: Annotated[list[str], extend]
    decisions: Annotated[list[dict[str, Any]], extend]
    scores: dict[str, Any]
    drafts: dict[str, dict[str, Any]]
    review_notes: list[dict[str, Any]]
    review_rounds: int
    human_feedback: str | None
    pm_revised: bool
    dropped_invalid: Annotated[int, operator.add]


class ResearchTask(TypedDict):
    """The private input of one researcher branch (sent with ``Send``).

    Attributes:
        question: ``{id, question, query, scope, focus, segment}`` from the plan.
        goal: The run's goal (context for the researcher).
        workspace: The tenant to search.
    """

    question: dict[str, Any]
    goal: str
    workspace: str
