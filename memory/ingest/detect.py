"""Column and kind detection for tabular sources (CSV, JSON, JSONL).

Column names are matched after normalisation (lower case, only letters and digits), so
``Ticket ID``, ``ticket_id`` and ``ticketId`` are the same column. Nested JSON keys are
flattened with dots (``user.email``) and match on the whole path first, then on the last
segment. An explicit ``mapping`` (``--map COLUMN=FIELD``) always wins over detection.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kernel.errors import InputError, shown
from kernel.schemas import SignalKind

#: Fields a column can be mapped to (``--map col=FIELD``).
FIELDS: tuple[str, ...] = (
    "external_id", "text", "title", "user_id", "account_id", "segment", "plan", "arr",
    "created_at", "speaker", "role", "rating", "feature", "language", "ignore",
)
_FIELD_ALIASES = {
    "id": "external_id", "user": "user_id", "account": "account_id", "date": "created_at",
    "timestamp": "created_at", "time": "created_at", "subject": "title", "event": "feature",
    "skip": "ignore", "body": "text",
}
#: Special ``--map`` keys for transcripts: speaker names to treat as internal / customer.
SPEAKER_KEYS = ("internal", "customer")

_CANDIDATES: dict[str, tuple[str, ...]] = {
    "text": (
        "text", "body", "comment", "comments", "review", "reviewtext", "reviewbody", "content", "message",
        "description", "feedback", "answer", "response", "verbatim", "note", "notes", "transcript",
        "utterance", "query", "requirementtext", "requirement", "story", "userstory", "details", "quote",
    ),
    "title": ("title", "subject", "summary", "headline", "reviewtitle", "topic"),
    "external_id": (
        "id", "ticketid", "reviewid", "conversationid", "responseid", "submissionid", "issueid", "callid",
        "interviewid", "messageid", "commentid", "feedbackid", "recordid", "externalid", "uuid", "number",
        "ticketnumber", "key", "ticket", "issuenumber", "reviewnumber",
    ),
    "user_id": (
        "userid", "user", "customerid", "customer", "author", "authorname", "authorid", "reviewer",
        "reviewername", "username", "useremail", "email", "customeremail", "requester", "requesterid",
        "requesteremail", "contact", "contactid", "contactemail", "respondent", "respondentid",
        "distinctid", "anonymousid", "memberid", "personid", "visitorid", "nickname",
    ),
    "account_id": (
        "accountid", "account", "accountname", "company", "companyname", "companyid", "org", "orgid",
        "organization", "organizationid", "organizationname", "organisation", "organisationid", "client",
        "clientid", "groupid", "workspaceid", "tenant",
    ),
    "segment": ("segment", "customersegment", "marketsegment", "tier", "customertier", "cohort"),
    "plan": ("plan", "planname", "subscription", "subscriptionplan", "pricingplan", "edition"),
    "arr": ("arr", "annualrevenue", "acv", "contractvalue", "mrr12", "arrusd"),
    "created_at": (
        "createdat", "created", "date", "timestamp", "time", "datetime", "submittedat", "submitted",
        "reviewdate", "eventtime", "occurredat", "ts", "sentat", "receivedat", "createddate", "dateutc",
        "updatedat", "lastmodified",
    ),
    "rating": ("rating", "stars", "starrating", "score", "nps", "npsscore", "csat", "csatscore", "reviewrating"),
    "feature": ("feature", "event", "eventname", "featurename", "action", "eventtype"),
    "speaker": ("speaker", "speakername"),
    "role": ("role", "speakerrole", "authortype"),
    "language": ("language", "lang", "locale", "reviewlanguage"),
}
_TEXT_SUBSTRINGS = ("text", "body", "comment", "review", "feedback", "message", "description", "content", "answer")
#: Assignment order: specific fields before generic ones so e.g. ``review_id`` is an id, not text.
_ORDER = (
    "external_id", "user_id", "account_id", "created_at", "rating", "feature", "speaker", "role",
    "language", "segment", "plan", "arr", "title", "text",
)


def normalize(name: str) -> str:
    """Normalised column name: lower case letters and digits only."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


def canonical_field(target: str) -> str | None:
    """The field a ``--map`` target names, or ``None`` if it is not a known field."""
    key = target.strip().lower().replace("-", "_")
    if key in FIELDS:
        return key
    return _FIELD_ALIASES.get(key)


@dataclass
class MappingSpec:
    """A validated ``--map`` option: column overrides plus transcript speaker lists."""

    columns: dict[str, str] = field(default_factory=dict)
    internal: set[str] = field(default_factory=set)
    customer: set[str] = field(default_factory=set)


def parse_mapping(mapping: dict[str, str] | None) -> MappingSpec:
    """Validate a ``{column: field}`` mapping.

    ``internal=Alice,Bob`` / ``customer=Carol`` are read as speaker lists for transcripts.

    Raises:
        InputError: A target that is not a known field.
    """
    spec = MappingSpec()
    for column, target in (mapping or {}).items():
        if column.strip().lower() in SPEAKER_KEYS:
            names = {n.strip().lower() for n in re.split(r"[,;]", target) if n.strip()}
            getattr(spec, column.strip().lower()).update(names)
            continue
        canonical = canonical_field(target)
        if canonical is None:
            raise InputError(
                f"--map {column}={target}: unknown field {target!r}; expected one of: {', '.join(FIELDS)}"
            )
        spec.columns[column] = canonical
    return spec


@dataclass
class ColumnMap:
    """Which source column feeds which field (columns named as in the file)."""

    fields: dict[str, str]
    columns: list[str]

    def get(self, name: str) -> str | None:
        """The source column for a field, if any."""
        return self.fields.get(name)


def detect_columns(columns: Sequence[str], mapping: MappingSpec, path: Path, *, need_text: bool = True) -> ColumnMap:
    """Assign source columns to fields.

    Raises:
        InputError: A mapped column is missing, or no text column exists when one is needed.
    """
    by_norm: dict[str, str] = {}
    for col in columns:
        by_norm.setdefault(normalize(col), col)
    fields: dict[str, str] = {}
    used: set[str] = set()
    for source, target in mapping.columns.items():
        col = source if source in columns else by_norm.get(normalize(source))
        if col is None:
            raise InputError(f"{path}: column {source!r} from --map not found (columns: {column_list(columns)})")
        used.add(col)
        if target != "ignore":
            fields[target] = col
    for matcher in (_match_full, _match_last_segment):
        for name in _ORDER:
            if name in fields:
                continue
            col = matcher(name, columns, used)
            if col is not None:
                fields[name] = col
                used.add(col)
    if "created_at" not in fields:
        col = next((c for c in columns if c not in used and any(s in normalize(c) for s in ("date", "timestamp"))),
                   None)
        if col is not None:
            fields["created_at"] = col
            used.add(col)
    if "text" not in fields:
        col = next((c for c in columns if c not in used and any(s in normalize(c) for s in _TEXT_SUBSTRINGS)), None)
        if col is None and "title" in fields:
            col = fields.pop("title")
        if col is not None:
            fields["text"] = col
    if need_text and "text" not in fields:
        raise InputError(f"{path}: no text column found (columns seen: {column_list(columns)}); use --map COLUMN=text")
    return ColumnMap(fields=fields, columns=list(columns))


def _match_full(name: str, columns: Sequence[str], used: set[str]) -> str | None:
    free = {normalize(c): c for c in reversed(columns) if c not in used}
    return next((free[c] for c in _CANDIDATES.get(name, ()) if c in free), None)


def _match_last_segment(name: str, columns: Sequence[str], used: set[str]) -> str | None:
    free = {normalize(c.rsplit(".", 1)[-1]): c for c in reversed(columns) if c not in used and "." in c}
    return next((free[c] for c in _CANDIDATES.get(name, ()) if c in free), None)


def column_list(columns: Iterable[str]) -> str:
    """Column names for a one-line message: names holding line breaks or control characters as reprs."""
    cols = [shown(c) for c in columns]
    return ", ".join(cols) if cols else "none"


# --------------------------------------------------------------------------------------------- kinds

_KIND_NAMES: dict[str, SignalKind] = {
    **{k.value: k for k in SignalKind},
    "tickets": SignalKind.TICKET, "reviews": SignalKind.REVIEW, "interviews": SignalKind.INTERVIEW,
    "sales_calls": SignalKind.SALES_CALL, "sales": SignalKind.SALES_CALL, "surveys": SignalKind.SURVEY,
    "meetings": SignalKind.MEETING, "commits": SignalKind.COMMIT, "issues": SignalKind.ISSUE,
    "events": SignalKind.USAGE, "analytics": SignalKind.USAGE,
}


def parse_kind(kind: str) -> SignalKind | None:
    """``None`` for ``auto``; else the kind named (plural forms accepted).

    Raises:
        InputError: An unknown kind name.
    """
    key = kind.strip().lower().replace("-", "_")
    if key in ("", "auto"):
        return None
    if key not in _KIND_NAMES:
        raise InputError(f"unknown kind {kind!r}; expected auto or one of: {', '.join(k.value for k in SignalKind)}")
    return _KIND_NAMES[key]


#: File-name tokens per kind, checked in this order (interview before the looser "call").
_NAME_TOKENS: tuple[tuple[SignalKind, frozenset[str]], ...] = (
    (SignalKind.USAGE, frozenset({"usage", "events", "event", "analytics", "amplitude", "mixpanel", "telemetry",
                                  "posthog", "heap", "pendo"})),
    (SignalKind.REVIEW, frozenset({"review", "reviews", "appstore", "playstore", "googleplay", "ratings", "g2",
                                   "capterra", "trustpilot"})),
    (SignalKind.SURVEY, frozenset({"survey", "surveys", "nps", "csat", "typeform", "questionnaire", "poll",
                                   "responses"})),
    (SignalKind.INTERVIEW, frozenset({"interview", "interviews", "research", "usability", "usertest",
                                      "userinterview"})),
    (SignalKind.SALES_CALL, frozenset({"sales", "gong", "chorus", "discovery", "demo", "prospect", "deal",
                                       "call", "calls", "salescall"})),
    (SignalKind.MEETING, frozenset({"meeting", "meetings", "standup", "sync", "retro", "minutes", "planning",
                                    "oneonone", "1on1"})),
    (SignalKind.ISSUE, frozenset({"issue", "issues", "github", "jira", "linear", "bugs"})),
    (SignalKind.COMMIT, frozenset({"commit", "commits", "gitlog"})),
    (SignalKind.TICKET, frozenset({"ticket", "tickets", "support", "zendesk", "helpdesk", "intercom",
                                   "conversations", "freshdesk", "cases", "inbox", "helpscout"})),
)


def kind_from_name(path: Path) -> SignalKind | None:
    """A kind suggested by the file name (``appstore_reviews.csv`` → review), else its folder's name."""
    return _kind_from_stem(path.stem) or (_kind_from_stem(path.parent.name) if path.parent.name else None)


def _kind_from_stem(stem_text: str) -> SignalKind | None:
    parts = [t for t in re.split(r"[^a-z0-9]+", stem_text.lower()) if t]
    tokens = set(parts) | {a + b for a, b in zip(parts, parts[1:], strict=False)}
    stem = normalize(stem_text)
    for kind, names in _NAME_TOKENS:
        if tokens & names or any(len(n) > 6 and n in stem for n in names):
            return kind
    return None


def kind_from_columns(columns: Sequence[str], cmap: ColumnMap) -> SignalKind | None:
    """A kind suggested by the columns present, if they are distinctive."""
    norms = {normalize(c) for c in columns}
    if cmap.get("feature") and ("text" not in cmap.fields or cmap.fields["text"] == cmap.get("feature")):
        return SignalKind.USAGE
    if norms & {"nps", "npsscore", "csat", "csatscore", "question", "surveyid", "responseid", "respondentid"}:
        return SignalKind.SURVEY
    if cmap.get("rating") and norms & {"version", "appversion", "stars", "reviewid", "reviewtitle", "title",
                                       "territory", "country", "store", "platform"}:
        return SignalKind.REVIEW
    if norms & {"labels", "state", "assignees", "issuenumber", "milestone"} and cmap.get("title"):
        return SignalKind.ISSUE
    if norms & {"ticketid", "priority", "requester", "requesterid", "assignee", "channel", "status", "via"}:
        return SignalKind.TICKET
    return None


def detect_kind(path: Path, columns: Sequence[str], cmap: ColumnMap, default: SignalKind) -> SignalKind:
    """Kind of a tabular source: distinctive columns, then the file name, then speaker rows, then ``default``."""
    by_columns = kind_from_columns(columns, cmap) or kind_from_name(path)
    if by_columns is not None:
        return by_columns
    return SignalKind.INTERVIEW if cmap.get("speaker") else default
