"""Documents and transcripts: Markdown/plain text, WebVTT and SRT.

A text document is a transcript when most of its body lines start with ``Speaker: ...``
(also ``**Speaker:**``, ``[00:01] Speaker:``, ``Q:``/``A:``), or when its speakers stand on lines
of their own with a timestamp and their words below (Teams / Zoom exports: ``Ana Souza   0:03``,
``[00:00:03] Ana Souza``); otherwise it is split into
paragraph blocks (a bulleted block gives one signal per bullet, and so does a block whose
lines each read as a whole sentence: a backlog of one story per line). Subtitles take the speaker
from ``<v Name>`` voice tags or a ``Name:``/``[Name]`` prefix. Consecutive lines or cues of the
same speaker are merged into one turn; each turn is one signal, numbered by ``chunk``.

A header block at the top (``Key: value`` lines, YAML front matter, or VTT ``NOTE`` blocks) is
metadata, not speech: ``Date``, ``Account``/``Company``, ``Segment``, ``Plan``, ``User``/``Interviewee``,
``Participants`` (``Dana Lee (Interviewer), Ana (Acme)``) and ``Interviewer``/``Host``/``Internal``/
``Sales rep``/``Team`` (names of internal speakers). See :mod:`memory.ingest.rows` for the role rule.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from pathlib import Path

from kernel.errors import InputError

from .rows import label_role

_SPEAKER_RE = re.compile(
    r"^\s*(?:>>\s*|-\s+)?(?:[\[(]?\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?[\])]?\s*)?(?:\*\*|__)?"
    r"(?P<name>[A-Z][\w.'’\-]*(?: [A-Za-z][\w.'’\-]*){0,3}(?:\s*[\[(][^)\]\n]{1,40}[\])])?)"
    r"\s*(?:[\[(]\d{1,2}:\d{2}(?::\d{2})?[\])])?\s*(?:\*\*|__)?\s*:\s*(?:\*\*|__)?\s*(?P<text>\S.*)$"
)
_STAMP = r"[\[(]?\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?[\])]?"
#: A speaker line of Teams / Zoom transcript exports: the name and a timestamp alone on a line, the words below.
_HEADER_SPEAKER_RE = re.compile(
    rf"^\s*(?:(?P<pre>{_STAMP})\s+)?(?P<name>[A-Z][\w.'’\-]*(?: [A-Za-z][\w.'’\-]*){{0,3}})"
    rf"(?:\s+(?P<post>{_STAMP}))?\s*$")
_BRACKET_SPEAKER_RE = re.compile(r"^\s*\[(?P<name>[A-Z][^\]\d]{0,40})\]\s*(?P<text>\S.*)$")
_VOICE_RE = re.compile(r"<v(?:\.[\w.\-]+)?\s+([^>]+)>")
_CUE_TAG_RE = re.compile(r"</?[^>]{1,80}>")
_TIMING_RE = re.compile(r"^\s*(\d{1,2}:)?\d{1,2}:\d{2}[.,]\d{1,3}\s*-->\s*(\d{1,2}:)?\d{1,2}:\d{2}[.,]\d{1,3}")
_META_LINE_RE = re.compile(r"^\s*(?:[-*]\s+)?(?:\*\*|__)?(?P<key>[A-Za-z][A-Za-z _/\-]{0,24}?)(?:\*\*|__)?\s*:"
                           r"(?:\*\*|__)?\s*(?P<value>.*?)\s*$")
_NOT_SPEAKERS = frozenset({"http", "https", "note", "notes", "todo", "action", "summary", "date", "time", "re",
                           "ps", "nb", "tldr"})

_META_KEYS: dict[str, str] = {
    "date": "date", "recorded": "date", "recorded on": "date",
    "call date": "date", "interview date": "date", "meeting date": "date", "when": "date",
    "title": "title", "topic": "title",
    "account": "account", "company": "account", "organization": "account", "organisation": "account",
    "org": "account", "account name": "account", "customer account": "account",
    "segment": "segment", "tier": "segment", "plan": "plan", "arr": "arr", "language": "language",
    "user": "user", "interviewee": "user", "user id": "user", "customer name": "user",
    "participants": "participants", "attendees": "participants", "speakers": "participants",
    "interviewer": "internal", "interviewers": "internal", "host": "internal", "hosts": "internal",
    "internal": "internal", "team": "internal", "our team": "internal", "sales rep": "internal",
    "rep": "internal", "ae": "internal", "moderator": "internal", "facilitator": "internal", "pm": "internal",
    "vendor": "vendor", "our company": "vendor", "type": "type", "kind": "type",
}
#: Keys that are also common speaker labels: their value must look like a list of names.
_AMBIGUOUS_KEYS = frozenset({"interviewer", "host", "rep", "ae", "pm", "moderator", "facilitator", "team",
                             "user", "interviewee", "internal"})


@dataclass
class Turn:
    """One speaker turn (or paragraph) with the file line it starts on."""

    text: str
    line: int
    speaker: str | None = None
    start: str | None = None


@dataclass
class DocMeta:
    """Header metadata of a document or transcript.

    Participants are listed as ``Name (Org, Role)``, inline or as bullets under ``Participants:``.
    A participant is internal when the role says so (Interviewer, Product Manager, AE ...) or
    when they share the organisation of a participant whose role does (the vendor); a customer
    when they belong to another named organisation or are tagged as customer/client/user.
    """

    values: dict[str, str] = field(default_factory=dict)
    internal: set[str] = field(default_factory=set)
    customer: set[str] = field(default_factory=set)
    participants: list[tuple[str, str | None, str]] = field(default_factory=list)
    _list_key: str | None = None

    def feed(self, line: str) -> bool:
        """Consume one header line (``Key: value`` or a bullet under a list key); ``False`` if not metadata."""
        bullet = re.match(r"^\s*[-*•]\s+(?P<item>\S.*)$", line)
        if bullet and self._list_key is not None:
            self._add_list_item(self._list_key, bullet.group("item").strip())
            return True
        m = _META_LINE_RE.match(line)
        if not m:
            return False
        key, value = m.group("key").strip().lower(), m.group("value").strip().strip("*_").strip()
        if not value and _META_KEYS.get(key) in ("participants", "internal"):
            self._list_key = _META_KEYS[key]
            return True
        self._list_key = None
        return self.add(key, value)

    def add(self, key: str, value: str) -> bool:
        """Record one ``key: value`` header line; ``False`` when it is not metadata."""
        canon = _META_KEYS.get(key.strip().lower())
        value = value.strip().strip("*_").strip()
        if canon is None or not value:
            return False
        if key.strip().lower() in _AMBIGUOUS_KEYS and not _looks_like_names(value):
            return False
        if canon in ("internal", "participants"):
            for item in _split_participants(value):
                self._add_list_item(canon, item)
        else:
            self.values.setdefault(canon, value)
        return True

    def _add_list_item(self, canon: str, item: str) -> None:
        if canon == "internal":
            self.internal.add(re.sub(r"\s*[\(\[].*$", "", item).strip().lower())
            return
        m = re.match(r"^(?P<name>[^(\[]+?)\s*[\(\[](?P<tag>[^)\]]+)[\)\]]", item)
        if m:
            name, tag = m.group("name").strip(), m.group("tag").strip()
            first = tag.split(",")[0].strip()
            org = first if label_role(first) is None and _is_proper_name(first) else None
            self.participants.append((name.lower(), org, tag))
        elif item.strip():
            self.participants.append((item.strip().lower(), None, ""))

    def resolve(self) -> DocMeta:
        """Classify participants as internal or customer and infer the account (call once, after parsing)."""
        vendor = {self.values["vendor"].lower()} if "vendor" in self.values else set()
        vendor |= {org.lower() for _, org, tag in self.participants if org and label_role(tag) == "internal"}
        orgs: list[str] = []
        for name, org, tag in self.participants:
            if label_role(tag) == "internal" or (org and org.lower() in vendor) or name in self.internal:
                self.internal.add(name)
            elif org or label_role(tag) == "customer":
                self.customer.add(name)
                if org:
                    orgs.append(org)
        if orgs and "account" not in self.values:
            self.values["account"] = max(set(orgs), key=orgs.count)
        return self


_JOB_WORDS = frozenset(
    "lead manager head vp director engineer engineering designer design officer chief cto ceo cfo coo cio ciso "
    "founder cofounder president analyst specialist architect developer owner product marketing operations "
    "support success sales admin administrator consultant coordinator intern writer editor".split()
)


def _is_proper_name(text: str) -> bool:
    """An organisation-like name: capitalised words and no job-title words."""
    words = text.split()
    if not 1 <= len(words) <= 5 or {w.lower() for w in words} & _JOB_WORDS:
        return False
    return all(w[:1].isupper() or w[:1].isdigit() or w in ("&", "of", "and") for w in words)


def _split_participants(value: str) -> list[str]:
    """Split ``A (X, Y), B (Z)`` on separators outside parentheses."""
    items, depth, current = [], 0, ""
    for ch in value:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        if depth == 0 and ch in ",;":
            items.append(current)
            current = ""
        else:
            current += ch
    items.append(current)
    out: list[str] = []
    for item in items:
        out.extend(p for p in re.split(r"\s+(?:and|&)\s+(?![^(]*\))", item) if p.strip())
    return [o.strip() for o in out]


def _split_items(value: str) -> list[str]:
    return [p.strip() for p in re.split(r",|;|\band\b|&", value) if p.strip()]


def _split_names(value: str) -> set[str]:
    return {re.sub(r"\s*[\(\[].*$", "", p).strip().lower() for p in _split_items(value)} - {""}


def _looks_like_names(value: str) -> bool:
    if value.rstrip()[-1:] in ".?!" or len(value) > 120:
        return False
    for item in _split_items(re.sub(r"[\(\[][^)\]]*[\)\]]", "", value)):
        words = item.split()
        if not 1 <= len(words) <= 4 or not all(w[:1].isupper() for w in words):
            return False
    return True


def _speaker_line(line: str) -> tuple[str, str] | None:
    m = _SPEAKER_RE.match(line) or _BRACKET_SPEAKER_RE.match(line)
    if not m:
        return None
    name = m.group("name").strip()
    if name.lower() in _NOT_SPEAKERS or m.group("text").startswith("//"):
        return None
    return name, m.group("text").strip()


def _strip_markdown(line: str) -> str:
    line = re.sub(r"^\s{0,3}(?:[-*+]|\d+[.)])\s+", "", line)
    line = re.sub(r"^\s{0,3}>\s?", "", line)
    return re.sub(r"(\*\*|__)(.+?)\1", r"\2", line).strip()


def _header(lines: list[str]) -> tuple[DocMeta, int]:
    """Parse front matter / a leading ``Key: value`` block; return it and the first body line index."""
    meta = DocMeta()
    i = 0
    if lines and lines[0].strip() == "---":
        end = next((j for j in range(1, min(len(lines), 200)) if lines[j].strip() in ("---", "...")), None)
        if end is not None:
            for raw in lines[1:end]:
                meta.feed(raw.replace('"', "").replace("'", ""))
            i = end + 1
    while i < len(lines):
        raw = lines[i]
        if not raw.strip():
            i += 1
            continue
        if raw.lstrip().startswith("#"):
            meta.values.setdefault("title", raw.strip("# \t"))
            i += 1
            continue
        if not meta.feed(raw):
            break
        i += 1
    return meta.resolve(), i


def parse_document(text: str) -> tuple[DocMeta, list[Turn], bool]:
    """Split a Markdown/plain-text document into turns (a transcript) or paragraphs.

    Returns:
        The header metadata, the turns or paragraphs, and whether it is a transcript.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    meta, body_start = _header(lines)
    body = [(n + 1, line) for n, line in enumerate(lines) if n >= body_start]
    content = [(n, line) for n, line in body if line.strip() and not line.lstrip().startswith("#")]
    spoken = [(n, _speaker_line(_strip_markdown(line))) for n, line in content]
    hits = sum(1 for _, s in spoken if s)
    if hits >= 2 and hits >= 0.5 * len(content):
        return meta, _transcript_turns(body), True
    headers = sum(1 for _, line in content if _header_speaker(line))
    if headers >= 2 and headers >= 0.3 * len(content):
        return meta, _header_turns(body), True
    return meta, _paragraphs(body), False


def _header_speaker(line: str) -> tuple[str, str | None] | None:
    """``(name, timestamp)`` of a Teams / Zoom export speaker line ("Ana Souza   0:03", "[00:00:03] Ana")."""
    m = _HEADER_SPEAKER_RE.match(line)
    if not m or not (m.group("pre") or m.group("post")) or m.group("name").lower() in _NOT_SPEAKERS:
        return None
    return m.group("name").strip(), (m.group("pre") or m.group("post")).strip("[]()")


def _header_turns(body: list[tuple[int, str]]) -> list[Turn]:
    """Turns of a transcript whose speaker lines carry a timestamp and whose words follow below."""
    turns: list[Turn] = []
    speaker: str | None = None
    start: str | None = None
    for n, raw in body:
        line = _strip_markdown(raw)
        if not line or raw.lstrip().startswith("#"):
            continue
        header = _header_speaker(line)
        if header:
            speaker, start = header
        elif turns and turns[-1].speaker == speaker:
            turns[-1].text += " " + line  # the same speaker again (or a wrapped line): one turn
        else:
            turns.append(Turn(text=line, line=n, speaker=speaker, start=start))
    return turns


def _transcript_turns(body: list[tuple[int, str]]) -> list[Turn]:
    turns: list[Turn] = []
    for n, raw in body:
        line = _strip_markdown(raw)
        if not line or raw.lstrip().startswith("#"):
            continue
        said = _speaker_line(line)
        if said:
            speaker, words = said
            if turns and turns[-1].speaker == speaker:
                turns[-1].text += " " + words
            else:
                turns.append(Turn(text=words, line=n, speaker=speaker))
        elif turns:
            turns[-1].text += " " + line
        else:
            turns.append(Turn(text=line, line=n))
    return turns


#: A line that reads as a whole item: it opens like a sentence and ends like one.
_ITEM_START_RE = re.compile(r"^\s*[A-Z0-9\"“'‘(\[]")
_ITEM_END_RE = re.compile(r"[.!?;)\"”'’\]]\s*$")


def _line_items(block: list[tuple[int, str]]) -> bool:
    """Whether a block without blank lines is a list of one item per line (a backlog, a list of requests).

    Hard-wrapped prose breaks lines mid-sentence: its lines rarely both open and end like a sentence. A
    block of at least three lines where nine in ten do is read line by line, so each story or request is
    one signal instead of being joined into a paragraph and cut into 1,200-character chunks.
    """
    if len(block) < 3:
        return False
    whole = sum(1 for _, line in block if _ITEM_START_RE.match(line) and _ITEM_END_RE.search(line))
    return whole >= 0.9 * len(block)


def _paragraphs(body: list[tuple[int, str]]) -> list[Turn]:
    blocks: list[list[tuple[int, str]]] = [[]]
    for n, line in body:
        if line.strip() and not line.lstrip().startswith("#"):
            blocks[-1].append((n, line))
        elif blocks[-1]:
            blocks.append([])
    out: list[Turn] = []
    for block in blocks:
        if not block:
            continue
        bulleted = all(re.match(r"^\s*(?:[-*+]|\d+[.)])\s+", line) or line.startswith(("  ", "\t"))
                       for _, line in block)
        if not bulleted and _line_items(block):
            lines: list[Turn] = []
            for n, line in block:
                text = _strip_markdown(line)
                if not text:
                    continue
                if lines and not _ITEM_START_RE.match(line):
                    lines[-1].text += " " + text  # a wrapped item's continuation line
                else:
                    lines.append(Turn(text=text, line=n))
            out.extend(lines)
        elif bulleted:
            items: list[Turn] = []
            for n, line in block:
                if re.match(r"^\s*(?:[-*+]|\d+[.)])\s+", line) or not items:
                    items.append(Turn(text=_strip_markdown(line), line=n))
                else:
                    items[-1].text += " " + line.strip()
            out.extend(t for t in items if t.text)
        else:
            text = " ".join(_strip_markdown(line) for _, line in block)
            out.append(Turn(text=text, line=block[0][0]))
    return out


# ------------------------------------------------------------------------------------------ subtitles


def _blocks(text: str) -> list[tuple[int, list[str]]]:
    """Blank-line separated blocks with the 1-based line number of their first line."""
    blocks: list[tuple[int, list[str]]] = []
    current: list[str] = []
    start = 1
    for n, line in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), start=1):
        if line.strip():
            if not current:
                start = n
            current.append(line)
        elif current:
            blocks.append((start, current))
            current = []
    if current:
        blocks.append((start, current))
    return blocks


def _cue_lines(payload: list[str], current: str | None) -> list[tuple[str | None, str]]:
    out: list[tuple[str | None, str]] = []
    for raw in payload:
        voice = _VOICE_RE.search(raw)
        speaker = voice.group(1).strip() if voice else None
        line = html.unescape(_CUE_TAG_RE.sub("", raw)).strip()
        if speaker is None:
            said = _speaker_line(line)
            if said:
                speaker, line = said
        if not line:
            continue
        speaker = speaker or (out[-1][0] if out else current)
        out.append((speaker, line))
    return out


def _merge(cues: list[tuple[int, str | None, str, str]]) -> list[Turn]:
    turns: list[Turn] = []
    for line_no, speaker, text, start in cues:
        if turns and turns[-1].speaker == speaker:
            turns[-1].text += " " + text
        else:
            turns.append(Turn(text=text, line=line_no, speaker=speaker, start=start))
    return turns


def parse_vtt(text: str, path: Path) -> tuple[DocMeta, list[Turn]]:
    """Speaker turns of a WebVTT file.

    Raises:
        InputError: No ``WEBVTT`` header, or no cue with text.
    """
    blocks = _blocks(text)
    if not blocks or not blocks[0][1][0].lstrip("\ufeff").startswith("WEBVTT"):
        raise InputError(f"{path}: not a WebVTT file (missing WEBVTT header)")
    meta = DocMeta()
    title = blocks[0][1][0].lstrip("\ufeff")[6:].strip(" -\t")
    if title:
        meta.values["title"] = title
    for raw in blocks[0][1][1:]:
        meta.feed(raw)
    cues: list[tuple[int, str | None, str, str]] = []
    for start_line, lines in blocks[1:]:
        head = lines[0].strip()
        if head.startswith("NOTE"):
            for raw in [head[4:]] + lines[1:]:
                meta.feed(raw)
            continue
        if head.startswith(("STYLE", "REGION")):
            continue
        timing_at = next((i for i, line in enumerate(lines[:2]) if "-->" in line), None)
        if timing_at is None:
            continue
        start = lines[timing_at].split("-->")[0].strip()
        current = cues[-1][1] if cues else None
        for speaker, said in _cue_lines(lines[timing_at + 1 :], current):
            cues.append((start_line, speaker, said, start))
    if not cues:
        raise InputError(f"{path}: no cues with text found in WebVTT file")
    return meta.resolve(), _merge(cues)


def parse_srt(text: str, path: Path) -> tuple[DocMeta, list[Turn]]:
    """Speaker turns of an SRT subtitle file.

    Raises:
        InputError: No subtitle cue with a ``-->`` timing line and text.
    """
    cues: list[tuple[int, str | None, str, str]] = []
    for start_line, lines in _blocks(text):
        timing_at = next((i for i, line in enumerate(lines[:2]) if _TIMING_RE.match(line)), None)
        if timing_at is None:
            continue
        start = lines[timing_at].split("-->")[0].strip()
        current = cues[-1][1] if cues else None
        for speaker, said in _cue_lines(lines[timing_at + 1 :], current):
            cues.append((start_line, speaker, said, start))
    if not cues:
        raise InputError(f"{path}: no subtitle cues found in SRT file")
    return DocMeta(), _merge(cues)


def host_by_greeting(turns: list[Turn]) -> str | None:
    """The opening speaker when they greet or thank another speaker by first name (the host).

    Used only when no speaker of a call or interview is identified as internal otherwise: the
    person who opens the call and addresses the guests by name is the interviewer or sales rep.
    """
    speakers = [t.speaker for t in turns if t.speaker]
    if not speakers or len(set(speakers)) < 2:
        return None
    host = speakers[0]
    first_names = {s.split()[0].lower() for s in set(speakers) if s != host and s.split()}
    opening = next(t.text for t in turns if t.speaker == host)
    words = set(re.findall(r"[a-z]+", opening.lower()))
    return host if words & first_names else None
