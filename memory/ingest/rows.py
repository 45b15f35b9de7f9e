"""The raw row every reader yields, and the value parsing shared by all formats.

Rules written down here because they are policy:
- Dates: ISO 8601, epoch seconds/milliseconds, or anything ``dateutil`` reads (month-first for
  ``03/01/2026``). Naive times are taken as UTC. Years outside 1970–2100 are rejected.
  A row without a date gets the file's modification time (when the export was written).
- Long texts are cut into chunks of at most :data:`CHUNK_CHARS` characters on sentence
  boundaries (never after common abbreviations such as "St." or "e.g."), chunk index 0..n.
- Speaker roles: ``internal`` when the speaker is listed as internal (``--map internal=A,B``,
  a header such as ``Interviewer: Dana``/``Participants: Dana (PM)``) or the speaker label carries an
  internal marker (Interviewer, Host, Moderator, PM, Sales, AE, CSM, Support, Agent, Q ...);
  otherwise ``customer``.
- Near-duplicates (:func:`duplicate_key`): two records of one file are the same message when they have the
  same author, the same day and the same text up to trivial differences (case, blanks, punctuation such
  as a trailing period, quote marks, apostrophes); digits and symbols (``£1``/``€1``, ``-5``) still count.
  The author is the user, else the account, plus the speaker; records with neither user nor account are
  one anonymous author (nothing tells their writers apart). Two users saying the same thing stay two
  signals (reach). The later record counts under ``duplicates``, like a re-ingested row. Turns of a
  conversation (meetings, interviews, sales calls) are never collapsed: people repeat "Yes." in a call.
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from dateutil import parser as date_parser

from kernel.errors import InputError
from kernel.schemas import SignalKind
from kernel.text import sentence_spans
from kernel.timeutil import aware, parse_iso

CHUNK_CHARS = 1200
MAX_FIELD_BYTES = 1 << 20


@dataclass(slots=True)
class RawRow:
    """One unit of user evidence as read from a file, before redaction and tagging."""

    line: int
    kind: SignalKind
    external_id: str
    text: str
    created_at: datetime
    chunk: int = 0
    user_id: str | None = None
    account_id: str | None = None
    segment: str | None = None
    plan: str | None = None
    arr: float | None = None
    speaker: str | None = None
    role: str | None = None
    rating: float | None = None
    feature: str | None = None
    language: str = "en"
    extra: dict[str, str] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------- dates

_MIN_TS = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_RE = re.compile(r"\d{9,14}(?:\.\d+)?")
_DIGIT_RE = re.compile(r"\d")
_MAX_TS = datetime(2100, 12, 31, tzinfo=UTC)


def parse_date(value: Any) -> datetime | None:
    """A tz-aware datetime from a cell value; ``None`` when the cell is empty.

    Raises:
        ValueError: The value is not a date (or is outside 1970–2100).
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return _from_epoch(float(value))
    raw = str(value).strip()
    if not raw:
        return None
    if _EPOCH_RE.fullmatch(raw):
        return _from_epoch(float(raw))
    if (raw.isdigit() and len(raw) != 8) or not _DIGIT_RE.search(raw):
        raise ValueError(raw)
    try:
        parsed = parse_iso(raw)
    except InputError:
        try:
            parsed = aware(date_parser.parse(raw))
        except (ValueError, OverflowError) as exc:
            raise ValueError(raw) from exc
    if not _MIN_TS <= parsed <= _MAX_TS:
        raise ValueError(raw)
    return parsed


def _from_epoch(number: float) -> datetime:
    seconds = number / 1000.0 if number >= 1e11 else number
    if not 1e8 <= seconds < 4.2e9:
        raise ValueError(str(number))
    return datetime.fromtimestamp(seconds, tz=UTC)


def parse_offset(stamp: str) -> timedelta:
    """``hh:mm:ss.mmm`` / ``mm:ss,mmm`` cue times as a timedelta (0 when unreadable)."""
    parts = re.split(r"[:]", stamp.strip().replace(",", "."))
    try:
        values = [float(p) for p in parts]
    except ValueError:
        return timedelta(0)
    seconds = 0.0
    for v in values:
        seconds = seconds * 60 + v
    return timedelta(seconds=seconds)


# ------------------------------------------------------------------------------------------- numbers

_MULTIPLIERS = {"k": 1e3, "m": 1e6, "b": 1e9}


def parse_number(value: Any) -> float | None:
    """A number from ``"$12,000"``, ``"12k"``, ``"4/5"``, ``"4.5 stars"``; ``None`` when there is none."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    raw = str(value).strip().lower().replace(",", "").replace("\u00a0", "").replace(" ", "")
    stars = raw.count("★")
    if stars and not re.search(r"\d", raw):
        return float(stars)
    m = re.search(r"-?\d+(?:\.\d+)?", raw)
    if not m:
        return None
    number = float(m.group(0))
    suffix = raw[m.end() : m.end() + 1]
    return number * _MULTIPLIERS.get(suffix, 1.0)


# ---------------------------------------------------------------------------------------------- text

_TAG_BREAK_RE = re.compile(r"(?i)<\s*(?:br\s*/?|/p|/div|/li|/h\d|/tr)\s*>")
_TAG_RE = re.compile(r"<[^<>]{1,400}>")
_NEEDS_CLEANING_RE = re.compile(r"[<&\r\n\t\u00a0]|  ")
_BLANKS_RE = re.compile(r"[ \t\u00a0]+")
_LINE_EDGES_RE = re.compile(r" *\n *")
_MANY_NEWLINES_RE = re.compile(r"\n{3,}")
_HTML_HINT_RE = re.compile(r"(?i)<\s*(?:/?(?:p|div|br|span|a|b|i|strong|em|li|ul|ol|h\d|table|tr|td)\b)")


def clean_text(text: str) -> str:
    """Strip HTML (when the text is HTML), unescape entities, normalise newlines and blank runs."""
    if not _NEEDS_CLEANING_RE.search(text):
        return text.strip()
    if _HTML_HINT_RE.search(text):
        text = _TAG_BREAK_RE.sub("\n", text)
        text = _TAG_RE.sub("", text)
        text = html.unescape(text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _BLANKS_RE.sub(" ", text)
    text = _LINE_EDGES_RE.sub("\n", text)
    text = _MANY_NEWLINES_RE.sub("\n\n", text)
    return text.strip()


def split_sentences(text: str) -> list[str]:
    """Consecutive pieces of ``text``, cut where :func:`kernel.text.sentence_spans` ends a sentence.

    Abbreviations such as "St." or "e.g." stay inside their sentence; unlike the kernel's sentences, a list
    marker stays with the sentence after it, so chunks keep the text verbatim.
    """
    out: list[str] = []
    start = 0
    for _, end in sentence_spans(text):
        piece = text[start:end].strip()
        if piece:
            out.append(piece)
        start = end
    tail = text[start:].strip()
    if tail:
        out.append(tail)
    return out


def chunk_text(text: str, limit: int = CHUNK_CHARS) -> list[str]:
    """Cut a text into chunks of at most ``limit`` characters on sentence boundaries."""
    if len(text) <= limit:
        return [text]
    chunks: list[str] = []
    current = ""
    for sentence in split_sentences(text):
        for piece in _split_long(sentence, limit):
            if current and len(current) + 1 + len(piece) > limit:
                chunks.append(current)
                current = piece
            else:
                current = f"{current} {piece}" if current else piece
    if current:
        chunks.append(current)
    return chunks


def _split_long(sentence: str, limit: int) -> Iterable[str]:
    while len(sentence) > limit:
        cut = sentence.rfind(" ", 0, limit + 1)
        if cut <= 0:
            cut = limit
        yield sentence[:cut].strip()
        sentence = sentence[cut:].strip()
    if sentence:
        yield sentence


#: Kinds whose records are turns of a conversation: a repeated turn is said again, not a duplicate.
CONVERSATION_KINDS = frozenset({SignalKind.MEETING, SignalKind.INTERVIEW, SignalKind.SALES_CALL, SignalKind.USAGE})
#: Apostrophes and quote marks, dropped from a text's duplicate key (``can't`` = ``cant``).
_QUOTE_CHARS = frozenset("'\"`´‘’‚‛“”„‟«»‹›′″")
#: Punctuation that changes what a text says (``50%`` is not ``50``).
_SIGNIFICANT_PUNCT = frozenset("%‰#@&")
_MINUS_RE = re.compile(r"-(?=\d)")


class _KeyChars(dict[int, str | None]):
    """``str.translate`` table for :func:`duplicate_text`, filled per character on first use.

    Quote marks go, other punctuation (Unicode category P) becomes a blank, letters, digits and symbols
    (currency, ``+``, ``=``, emoji; also ``%#@&``) stay.
    """

    def __missing__(self, code: int) -> str | None:
        char = chr(code)
        value: str | None = char
        if char in _QUOTE_CHARS:
            value = None
        elif char not in _SIGNIFICANT_PUNCT and unicodedata.category(char).startswith("P"):
            value = " "
        self[code] = value
        return value


_KEY_CHARS = _KeyChars()


def duplicate_text(text: str) -> str:
    """``text`` with the differences that leave a message the same removed (see the module's rules)."""
    folded = text if text.isascii() else unicodedata.normalize("NFKC", text)
    if "-" in folded:
        folded = _MINUS_RE.sub("\u2212", folded)  # a minus sign (a symbol): -5 is not 5
    kept = folded.casefold().translate(_KEY_CHARS)
    return " ".join(kept.split()) or " ".join(text.split())


def duplicate_key(author: tuple[str | None, ...], day: object, text: str) -> int:
    """The identity of a record for near-duplicate detection: its author, day and :func:`duplicate_text`.

    A 64-bit hash, compared only within one read of one file (one process).
    """
    return hash((author, day, duplicate_text(text)))


def row_hash(*parts: object) -> str:
    """A stable id for rows that have none, from their content."""
    joined = "\x1f".join("" if p is None else str(p) for p in parts)
    return "row-" + hashlib.sha1(joined.encode("utf-8"), usedforsecurity=False).hexdigest()[:16]


def oversized_field(record: dict[str, Any]) -> str | None:
    """The rejection reason when any value exceeds :data:`MAX_FIELD_BYTES`, else ``None``."""
    for key, value in record.items():
        if isinstance(value, str) and len(value) > MAX_FIELD_BYTES // 4:
            size = len(value.encode("utf-8", errors="surrogatepass"))
            if size > MAX_FIELD_BYTES:
                return f"field {key!r} is over 1 MB ({size:,} bytes)"
    return None


# --------------------------------------------------------------------------------------------- roles

INTERNAL_MARKERS = frozenset(
    "interviewer interviewers host moderator facilitator researcher pm rep ae se sdr bdr csm agent q internal "
    "teammate".split()
)
_INTERNAL_PHRASES = ("product manager", "account executive", "account manager", "solutions engineer",
                     "sales engineer", "customer success", "sales rep", "our team", "ux researcher",
                     "support agent", "support engineer")
#: Whole labels that name an internal function ("Sales: ...", "Support: ...").
_INTERNAL_LABELS = frozenset({"sales", "support", "team", "staff", "admin", "bot", "operator", "us", "we"})
CUSTOMER_MARKERS = frozenset(
    "customer client user participant interviewee respondent prospect buyer guest a".split()
)


def _tokens(label: str) -> set[str]:
    return set(re.findall(r"[a-z]+", label.lower()))


def label_role(label: str) -> str | None:
    """``internal``/``customer`` when a speaker label or role value says so, else ``None``."""
    low = label.lower()
    if low.strip() in _INTERNAL_LABELS or any(p in low for p in _INTERNAL_PHRASES) or _tokens(label) & INTERNAL_MARKERS:
        return "internal"
    if _tokens(label) & CUSTOMER_MARKERS or re.fullmatch(r"\s*p\d+\s*", low):
        return "customer"
    return None


def is_generic_label(label: str) -> bool:
    """A role word rather than a person's name (``Customer``, ``Interviewer``, ``P1``, ``Q``)."""
    low = re.sub(r"[^a-z0-9 ]", "", label.lower()).strip()
    return bool(re.fullmatch(r"(speaker|participant|p)\s*\d*", low)) or all(
        t in INTERNAL_MARKERS | CUSTOMER_MARKERS | _INTERNAL_LABELS for t in low.split()
    )


def name_matches(speaker: str, names: Iterable[str]) -> bool:
    """Whether a speaker label is one of ``names`` (full name, or first name either way)."""
    base = re.sub(r"\s*[\(\[].*$", "", speaker).strip().lower()
    if not base:
        return False
    first = base.split()[0]
    for name in names:
        n = re.sub(r"\s*[\(\[].*$", "", name).strip().lower()
        if n and (n == base or n.split()[0] == base or n == first):
            return True
    return False


def speaker_role(speaker: str | None, internal: set[str], customer: set[str]) -> str:
    """The role of a speaker under the module's documented rule."""
    if not speaker:
        return "customer"
    if name_matches(speaker, customer):
        return "customer"
    if name_matches(speaker, internal):
        return "internal"
    return label_role(speaker) or "customer"


def normalize_role(value: str, speaker: str | None, internal: set[str], customer: set[str]) -> str:
    """A role column value mapped to ``internal``/``customer`` when recognisable, else kept lower-cased."""
    return label_role(value) or (speaker_role(speaker, internal, customer) if not value.strip() else value.lower())
