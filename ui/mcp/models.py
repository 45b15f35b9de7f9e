"""Typed inputs and structured outputs of the MCP tools, and their short Markdown renders.

Outputs reuse the domain schemas (kernel.schemas, kernel.artifacts) where the contract already
defines the shape, so MCP clients see the same field names as ``pmpilot ... --json``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from kernel.artifacts import RunRecord, Traceability
from kernel.kinds import DELIVERABLE_KINDS, DeliverableKind
from kernel.schemas import ForgetReceipt, IngestReport, Profile, SearchHit, ThemeReport

Deliverable = DeliverableKind
Audience = Literal["exec", "eng", "sales"]
Kind = Literal["ticket", "review", "interview", "sales_call", "survey", "usage", "meeting", "commit", "issue"]
IngestKind = Literal[
    "auto", "ticket", "review", "interview", "sales_call", "survey", "usage", "meeting", "commits", "issues"
]

#: Every deliverable of the contract, in the order prompts are listed.
DELIVERABLES: tuple[str, ...] = DELIVERABLE_KINDS


class InlineSignal(BaseModel):
    """One user signal sent inline (a ticket, review, survey answer, call note ...)."""

    text: str = Field(min_length=1, max_length=200_000, description="What the user said or did, verbatim.")
    external_id: str | None = Field(
        default=None,
        max_length=200,
        description="Id in the source system; re-sending the same id updates the signal instead of duplicating it.",
    )
    user_id: str | None = Field(default=None, max_length=200, description="The person who said it.")
    account_id: str | None = Field(default=None, max_length=200, description="The customer account (company).")
    segment: str | None = Field(default=None, max_length=100, description="Customer segment, e.g. enterprise, smb.")
    created_at: str | None = Field(
        default=None, description="When it was said: ISO date or datetime (defaults to now)."
    )


class SearchResult(BaseModel):
    """Hits of a hybrid search of user memory, best first."""

    workspace: str
    query: str
    hits: list[SearchHit]


class DraftResult(BaseModel):
    """One drafted document and the run that produced it."""

    run_id: str
    status: str = Field(description="completed, failed or awaiting_review.")
    mode: str = Field(description="llm or offline.")
    kind: str = Field(description="requirements, brief or decision_memo.")
    title: str = ""
    markdown: str = Field(default="", description="The document rendered as Markdown.")
    document: dict[str, Any] = Field(
        default_factory=dict, description="The document's JSON (contract shape: evidence, citations ...)."
    )
    traceability: Traceability = Field(default_factory=Traceability)
    resource_uri: str = Field(default="", description="pmpilot://runs/{run_id}/{kind}, readable as a resource.")
    error: str | None = None


class JobSummary(BaseModel):
    """A queued job (contract shape of ``pmpilot enqueue ... --json``)."""

    job_id: str
    kind: str
    workspace: str
    status: str = Field(description="queued, running, completed or failed.")
    run_id: str | None = None
    error: str | None = None
    created_at: str = ""


def artifact_uri(run_id: str, kind: str) -> str:
    """The resource URI of one document of a run."""
    return f"pmpilot://runs/{run_id}/{kind}"


def _clip(text: str, limit: int = 160) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def md_ingest(report: IngestReport) -> str:
    """Markdown summary of an ingestion."""
    lines = [f"Ingested **{report.ingested}** new signals into `{report.workspace}` "
             f"({report.duplicates} duplicates, {report.updated} updated, {len(report.rejected)} rejected)."]
    lines += [f"- rejected {r.path}:{r.line}: {r.reason}" for r in report.rejected[:10]]
    if len(report.rejected) > 10:
        lines.append(f"- … and {len(report.rejected) - 10} more rejections")
    return "\n".join(lines)


def md_search(result: SearchResult) -> str:
    """Markdown list of search hits."""
    if not result.hits:
        return f"No signals in `{result.workspace}` match “{_clip(result.query, 80)}”."
    lines = [f"{len(result.hits)} signals in `{result.workspace}` for “{_clip(result.query, 80)}”:"]
    for hit in result.hits:
        who = hit.user_id or hit.account_id or "anonymous"
        lines.append(f"- [{hit.kind.value} · {who} · {hit.created_at:%Y-%m-%d}] {_clip(hit.text)} "
                     f"(`{hit.signal_id}`, score {hit.score:.3f})")
    return "\n".join(lines)


def md_themes(report: ThemeReport) -> str:
    """Markdown table of themes."""
    if not report.themes:
        return f"No themes found in `{report.workspace}` (not enough signals?)."
    lines = [f"{len(report.themes)} themes in `{report.workspace}`:", "",
             "| theme | signals | users | accounts | trend |", "|---|---|---|---|---|"]
    for theme in report.themes:
        lines.append(f"| {theme.label} | {theme.size} | {theme.users} | {theme.accounts} | {theme.trend:+.0%} |")
    if report.bias_note:
        lines += ["", f"_{report.bias_note}_"]
    return "\n".join(lines)


def md_profile(profile: Profile) -> str:
    """Markdown list of a profile's claims."""
    if not profile.claims:
        return f"No claims yet about {profile.subject_type} `{profile.subject}`."
    lines = [f"Profile of {profile.subject_type} `{profile.subject}` ({len(profile.claims)} claims):"]
    for claim in profile.claims[:30]:
        lines.append(f"- **{claim.type.value}** ({claim.status.value}, support {claim.support}): {_clip(claim.text)}")
    return "\n".join(lines)


def md_forget(receipt: ForgetReceipt, user_id: str) -> str:
    """Markdown confirmation of an erasure."""
    return (f"Erased user `{user_id}`: {receipt.deleted_signals} signals and {receipt.deleted_claims} claims "
            f"deleted. Receipt `{receipt.receipt}`.")


def md_draft(draft: DraftResult) -> str:
    """The drafted document, or why there is none."""
    if draft.markdown:
        return draft.markdown
    return f"Run `{draft.run_id}` ended with status **{draft.status}**: {draft.error or 'no document was written'}."


def md_run(record: RunRecord) -> str:
    """Markdown summary of a run."""
    lines = [f"Run `{record.run_id}` ({record.mode}) is **{record.status}** for workspace `{record.workspace}`."]
    if record.error:
        lines.append(f"Error: {record.error}")
    for artifact in record.artifacts:
        lines.append(f"- {artifact.kind}: {artifact_uri(record.run_id, artifact.kind)} ({artifact.path_md})")
    trace = record.traceability
    if trace.claims:
        lines.append(f"Traceability: {trace.cited}/{trace.claims} items cite stored evidence; "
                     f"{trace.dropped_invalid} invalid citations dropped.")
    return "\n".join(lines)


def md_job(job: JobSummary) -> str:
    """Markdown summary of a queued job."""
    run = f", run `{job.run_id}`" if job.run_id else ""
    return f"Job `{job.job_id}` ({job.kind}) is **{job.status}**{run}. A worker (`pmpilot worker`) runs it."
