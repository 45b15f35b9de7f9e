"""Domain schemas shared by every layer: signals, search hits, ingestion reports, claims, themes.

These are the shapes of the external contract (``--json`` output, MCP structured output),
so field names here are public.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Required

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, with_config
from typing_extensions import TypedDict

#: Namespace for deterministic point ids (uuid5).
ID_NAMESPACE = uuid.UUID("5b1f0a2e-8c4d-4e7a-9f61-7d0c2b9e3a11")


class SignalKind(StrEnum):
    """Where a signal came from."""

    TICKET = "ticket"
    REVIEW = "review"
    INTERVIEW = "interview"
    SALES_CALL = "sales_call"
    SURVEY = "survey"
    USAGE = "usage"
    MEETING = "meeting"
    COMMIT = "commit"
    ISSUE = "issue"


class SignalType(StrEnum):
    """What a signal says (tagged offline by rules + a classifier, or by an LLM)."""

    BUG = "bug"
    FEATURE_REQUEST = "feature_request"
    COMPLAINT = "complaint"
    PRAISE = "praise"
    QUESTION = "question"
    CHURN_RISK = "churn_risk"
    USAGE_PATTERN = "usage_pattern"
    OTHER = "other"


def signal_id(workspace: str, source: str, external_id: str, chunk: int = 0) -> str:
    """Deterministic point id: the same row of the same source always maps to the same id."""
    return str(uuid.uuid5(ID_NAMESPACE, f"{workspace}\x1f{source}\x1f{external_id}\x1f{chunk}"))


def content_hash(text: str) -> str:
    """Stable hash of a signal's stored text (detects changed rows on re-ingest)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


class Signal(BaseModel):
    """One piece of user evidence (a ticket, a review, one speaker turn of a call ...), as stored."""

    model_config = ConfigDict(use_enum_values=False)

    id: str = Field(description="Deterministic point id from (workspace, source, external_id, chunk).")
    workspace: str
    kind: SignalKind
    source: str = Field(description="Source file name or system, e.g. 'tickets.csv' or 'zendesk'.")
    external_id: str = Field(description="Id of the row/ticket/review in its source system.")
    chunk: int = Field(default=0, description="Chunk index for long texts / speaker turns.")
    user_id: str | None = None
    account_id: str | None = None
    segment: str | None = None
    plan: str | None = None
    arr: float | None = None
    created_at: datetime
    text: str = Field(description="The stored (PII-redacted) text of this chunk.")
    speaker: str | None = None
    role: str | None = Field(default=None, description="Speaker role in transcripts: customer, internal ...")
    language: str = "en"
    sentiment: float = Field(default=0.0, ge=-1.0, le=1.0)
    signal_type: SignalType = SignalType.OTHER
    rating: float | None = None
    content_hash: str = ""
    redacted: bool = False
    feature: str | None = Field(default=None, description="Product feature, for usage signals.")

    @property
    def is_customer_speech(self) -> bool:
        """Only customer speech becomes profile claims (not interviewer or sales rep turns)."""
        if self.kind in (SignalKind.COMMIT, SignalKind.ISSUE, SignalKind.MEETING):
            return False
        return self.role in (None, "", "customer", "user")


class Rejection(BaseModel):
    """A row that could not be ingested, with where and why."""

    path: str
    line: int
    reason: str


class IngestReport(BaseModel):
    """Result of one ``ingest`` call (contract shape)."""

    workspace: str
    ingested: int = Field(default=0, description="New signals stored.")
    duplicates: int = Field(default=0, description=(
        "Rows already stored with identical text, or repeating an earlier row of the same file by the same "
        "author on the same day (differences only in case, blanks, punctuation or quote marks)."))
    updated: int = Field(default=0, description="Rows already stored whose text changed (updated in place).")
    rejected: list[Rejection] = Field(default_factory=list)


class SearchHit(BaseModel):
    """One result of a hybrid memory search (contract shape)."""

    signal_id: str
    external_id: str
    score: float
    text: str
    source: str
    kind: SignalKind
    user_id: str | None = None
    account_id: str | None = None
    created_at: datetime
    segment: str | None = None
    signal_type: SignalType | None = None


class ClaimType(StrEnum):
    """Kinds of typed statements a profile holds about a user, account or segment."""

    PAIN_POINT = "pain_point"
    NEED = "need"
    FEATURE_REQUEST = "feature_request"
    OBJECTION = "objection"
    CHURN_RISK = "churn_risk"
    PREFERENCE = "preference"
    USAGE_PATTERN = "usage_pattern"


class ClaimStatus(StrEnum):
    """Lifecycle of a claim: reinforced claims stay active; contradictions are kept and shown."""

    ACTIVE = "active"
    SUPERSEDED = "superseded"
    CONTRADICTED = "contradicted"


class Claim(BaseModel):
    """A typed statement in a profile, with its evidence (contract shape plus extras)."""

    id: str = ""
    type: ClaimType
    text: str
    evidence: list[str] = Field(default_factory=list, description="Signal ids supporting the claim.")
    first_seen: datetime
    last_seen: datetime
    support: int = 1
    accounts: int = 0
    confidence: float = 0.0
    status: ClaimStatus = ClaimStatus.ACTIVE
    contradicted_by: list[str] = Field(default_factory=list, description="Signal ids that contradict it.")


class Profile(BaseModel):
    """The evolving profile of a user, account or segment."""

    subject: str
    subject_type: str = Field(description="user, account or segment")
    claims: list[Claim] = Field(default_factory=list)


class Quote(BaseModel):
    """A verbatim span of a stored signal."""

    signal_id: str
    quote: str


class Member(BaseModel):
    """A theme member."""

    signal_id: str
    external_id: str


class Theme(BaseModel):
    """A discovered theme (contract shape plus extras)."""

    id: str
    label: str
    keywords: list[str] = Field(default_factory=list)
    size: int
    users: int
    accounts: int
    segments: dict[str, int] = Field(default_factory=dict)
    sentiment: dict[str, int] = Field(default_factory=dict, description="negative/neutral/positive counts")
    trend: float = Field(default=0.0, description="Relative change of size vs the previous window.")
    quotes: list[Quote] = Field(default_factory=list)
    members: list[Member] = Field(default_factory=list)


class ThemeReport(BaseModel):
    """Result of a thematic analysis."""

    workspace: str
    themes: list[Theme]
    bias_note: str = ""
    sources: dict[str, int] = Field(default_factory=dict)
    generated_at: datetime | None = None
    fingerprint: str = Field(default="", description="Digest of the signals the report was built from.")


class Stats(BaseModel):
    """What a workspace holds (contract shape)."""

    workspace: str
    signals: int
    users: int
    accounts: int
    themes: int
    sources: dict[str, int]


class ForgetReceipt(BaseModel):
    """Result of erasing a person (contract shape). The receipt holds no personal content."""

    deleted_signals: int
    deleted_claims: int
    receipt: str


def utcnow() -> datetime:
    """Timezone-aware now (UTC)."""
    return datetime.now(UTC)


@with_config(ConfigDict(extra="forbid"))
class EvidenceRow(TypedDict, total=False):
    """What a run keeps about one stored signal it may cite (graph state, plain data for the checkpointer).

    ``quote`` is a verbatim span of the signal's text; ``score`` its retrieval score and ``relevance`` the
    relevance model's probability; ``questions`` and ``themes`` the research questions and themes it was
    found for. Meeting turns add their ``speaker`` and ``chunk`` (turn number).
    """

    signal_id: Required[str]
    quote: Required[str]
    source: str
    kind: str
    signal_type: str
    sentiment: float
    user_id: str | None
    account_id: str | None
    segment: str | None
    created_at: str
    score: float
    relevance: float
    questions: list[str]
    themes: list[str]
    speaker: str | None
    chunk: int


_EVIDENCE_ROW = TypeAdapter(EvidenceRow)


def as_evidence_row(data: Mapping[str, Any]) -> EvidenceRow:
    """``data`` validated as an evidence row (a copy; raises ``pydantic.ValidationError`` on an undeclared key)."""
    return _EVIDENCE_ROW.validate_python(data)
