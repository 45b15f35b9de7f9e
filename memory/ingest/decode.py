"""File-level checks and encoding detection, done in one cheap streaming pass before any row is read.

Encoding policy:
- A byte-order mark decides: UTF-8 (BOM stripped), UTF-16 LE/BE, UTF-32 LE/BE.
- Without a BOM the file must be valid UTF-8. If it is not, but it decodes as Windows-1252 and
  is clearly text (no NUL bytes, few control characters), it is read as cp1252: that is what
  Excel and older Windows tools write, and cp1252 covers Latin-1's printable range.
- Anything else is one :class:`~kernel.errors.InputError` naming the file and the first bad byte.

Binary files (archives such as XLSX, PDFs, images, databases, or text with many NUL/control
bytes) are refused with a hint; a stray NUL inside an otherwise textual file is not a file-level
error — the row holding it is rejected instead.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kernel.errors import InputError

if TYPE_CHECKING:
    from _csv import Reader

_CHUNK = 1 << 20
_SAMPLE = 1 << 16
#: Formats parsed whole (JSON, text documents, subtitles) must stay under this size.
MAX_WHOLE_FILE_BYTES = 64 << 20

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "a ZIP archive (XLSX/DOCX?); export it as CSV"),
    (b"\xd0\xcf\x11\xe0", "an Office document (XLS/DOC?); export it as CSV"),
    (b"%PDF", "a PDF; export its text first"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\x1f\x8b", "a gzip archive; decompress it first"),
    (b"SQLite format 3\x00", "an SQLite database"),
)
_CONTROL = frozenset(range(0, 9)) | frozenset(range(14, 27)) | frozenset(range(28, 32))


@dataclass(frozen=True)
class FileInfo:
    """What the first pass learned about a file."""

    path: Path
    encoding: str
    size: int


def _fail(path: Path, reason: str) -> InputError:
    return InputError(f"{path}: {reason}")


def check_file(path: Path) -> FileInfo:
    """Validate that ``path`` is a readable, non-empty text file and return its encoding.

    Raises:
        InputError: Missing, not a file, empty, binary, or undecodable (one line, with the path).
    """
    if not path.exists():
        raise _fail(path, "file not found")
    if not path.is_file():
        raise _fail(path, "not a regular file")
    size = path.stat().st_size
    if size == 0:
        raise _fail(path, "file is empty")
    with path.open("rb") as fh:
        sample = fh.read(_SAMPLE)
    encoding = next((enc for bom, enc in _BOMS if sample.startswith(bom)), None)
    if encoding is None:
        for magic, what in _MAGIC:
            if sample.startswith(magic):
                raise _fail(path, f"binary content ({what})")
        nul = sample.count(0)
        control = sum(1 for b in sample if b in _CONTROL)
        if nul > max(2, len(sample) // 100) or control > max(8, len(sample) // 20):
            hint = " or UTF-16 without a byte-order mark" if nul > len(sample) // 4 else ""
            raise _fail(path, f"binary content (NUL/control bytes){hint}; save it as UTF-8 text")
        encoding = "utf-8"
    encoding = _validate_decoding(path, encoding)
    return FileInfo(path=path, encoding=encoding, size=size)


def _decodes(path: Path, encoding: str) -> tuple[bool, bool, str]:
    """Stream-decode the whole file: (decodes, has non-whitespace text, error detail)."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    offset = 0
    has_text = False
    with path.open("rb") as fh:
        while True:
            block = fh.read(_CHUNK)
            final = not block
            try:
                text = decoder.decode(block, final=final)
            except UnicodeDecodeError as exc:
                return False, has_text, f"undecodable byte 0x{exc.object[exc.start]:02x} at offset {offset + exc.start}"
            if not has_text and text.strip().lstrip("\ufeff"):
                has_text = True
            if final:
                return True, has_text, ""
            offset += len(block)


def _validate_decoding(path: Path, encoding: str) -> str:
    ok, has_text, detail = _decodes(path, encoding)
    if not ok and encoding == "utf-8":
        fallback_ok, has_text, _ = _decodes(path, "cp1252")
        if fallback_ok:
            ok, encoding = True, "cp1252"
    if not ok:
        raise _fail(path, f"not valid {'UTF-8' if encoding == 'utf-8' else encoding} text ({detail}); save it as UTF-8")
    if not has_text:
        raise _fail(path, "file is empty")
    return encoding


def read_whole(info: FileInfo) -> str:
    """The decoded content of a file that is parsed whole (JSON, documents, subtitles).

    Raises:
        InputError: The file is larger than :data:`MAX_WHOLE_FILE_BYTES`.
    """
    if info.size > MAX_WHOLE_FILE_BYTES:
        raise _fail(
            info.path, f"too large to parse whole ({info.size >> 20} MB > {MAX_WHOLE_FILE_BYTES >> 20} MB); "
            "split it or use JSONL/CSV, which are streamed"
        )
    return info.path.read_text(encoding=info.encoding).lstrip("\ufeff")


# ----------------------------------------------------------------------------------------- CSV dialect

#: Decoded text the dialect is sniffed from.
_CSV_SAMPLE_CHARS = 1 << 18
#: Rows whose values decide which columns are wrapped in quote marks.
WRAP_SAMPLE_ROWS = 5000
_NEWLINE_SENTINEL = "\ue000"
#: A backslash and the character after it (a backslash that ends the file stands alone).
_BACKSLASH_RE = re.compile(r"\\(.?)", re.S)
_ESCAPED_PUNCT_RE = re.compile(r"""\\[\\"'%,;|]|\\[tnr](?![a-z])""")
_BACKSLASH_LETTER_RE = re.compile(r"\\[A-Za-z0-9]")
_DOUBLED_QUOTES_RE = re.compile(r'""(\S(?:[^"\n]*\S)?)""')
_QUOTES = ('"', "'")


@dataclass(frozen=True)
class CsvDialect:
    r"""How a CSV/TSV file is written, as sniffed from its start (:func:`sniff_csv`).

    Attributes:
        delimiter: The field separator.
        quotechar: The quote that wraps fields holding separators or newlines (``None``: no quoting, every
            quote mark is text).
        escapes: Backslash escapes are decoded: ``\\"``, ``\\'``, ``\\\\``, ``\\%``, an escaped separator and
            other escaped punctuation become the character itself, ``\\t`` a blank, ``\\n`` a newline, ``\\r``
            nothing; a backslash before a letter or digit other than t, n, r (``C:\\Users``) stays.
    """

    delimiter: str
    quotechar: str | None = '"'
    escapes: bool = False

    def reader(self, lines: Iterable[str]) -> Reader:
        """A ``csv.reader`` over physical lines (its ``line_num`` counts them, escapes or not)."""
        if self.quotechar is None:
            options: dict[str, Any] = {"quoting": csv.QUOTE_NONE}
        else:
            options = {"quotechar": self.quotechar, "doublequote": True}
        if self.escapes:
            return csv.reader(map(self._protect, lines), delimiter=self.delimiter, escapechar="\\", **options)
        return csv.reader(lines, delimiter=self.delimiter, **options)

    def _protect(self, line: str) -> str:
        r"""Rewrite a line's escapes so that ``csv`` (escapechar ``\\``) decodes them as documented above."""
        if "\\" not in line:
            return line
        return _BACKSLASH_RE.sub(_escape_for_csv, line)

    def field(self, value: str) -> str:
        """A decoded field value: the newline escape restored, ``""quoted""`` text quoted once."""
        if self.escapes and _NEWLINE_SENTINEL in value:
            value = value.replace(_NEWLINE_SENTINEL, "\n")
        if '""' in value:
            value = _DOUBLED_QUOTES_RE.sub(r'"\1"', value)
        return value


def _escape_for_csv(match: re.Match[str]) -> str:
    after = match.group(1)
    if after == "t":
        return " "
    if after == "n":
        return _NEWLINE_SENTINEL
    if after == "r":
        return ""
    if after and not after.isalnum() and not after.isspace():
        return "\\" + after  # csv drops the escape character, keeping the character after it
    return "\\\\" + after  # a literal backslash (before a letter, digit, blank or the end)


def _record_sizes(sample: str, delimiter: str, quotechar: str | None, escapes: bool) -> list[int] | None:
    """Field counts of the sample's records under one candidate dialect (``None`` when it cannot be read)."""
    reader = CsvDialect(delimiter, quotechar, escapes).reader(io.StringIO(sample, newline=""))
    try:
        return [len(row) for row in reader if any(cell.strip() for cell in row)]
    except csv.Error:
        return None


def uses_escapes(sample: str) -> bool:
    r"""Whether backslashes in ``sample`` are escapes (``\\"``, ``\\%``, ``\\t`` ...) rather than text (paths)."""
    if "\\" not in sample:
        return False
    escaped = len(_ESCAPED_PUNCT_RE.findall(sample))
    letters = len(_BACKSLASH_LETTER_RE.findall(sample)) - len(re.findall(r"\\[tnr](?![a-z])", sample))
    return escaped >= 2 and escaped > letters


def sniff_csv(info: FileInfo, delimiter: str) -> CsvDialect:
    """The quoting and escaping a CSV file uses, judged on its first 256 K characters.

    Candidates are double-quote quoting (RFC 4180, Excel), single-quote quoting and no quoting at all (a
    TSV whose text holds unbalanced quote marks); the one giving the most records with as many fields as
    the header wins, double quotes on a tie. Backslash escapes are decoded when the sample holds escaped
    punctuation more often than backslashes before letters (see :func:`uses_escapes`).
    """
    with info.path.open(encoding=info.encoding, newline="") as fh:
        sample = fh.read(_CSV_SAMPLE_CHARS)
        whole = not fh.read(1)
    sample = sample.lstrip("\ufeff")
    if not whole and "\n" in sample:
        sample = sample[: sample.rindex("\n") + 1]
    escapes = uses_escapes(sample)
    best, best_fit = CsvDialect(delimiter, '"', escapes), -1
    for quotechar in ('"', None, "'"):
        sizes = _record_sizes(sample, delimiter, quotechar, escapes)
        if not sizes:
            continue
        body = sizes[1:] if whole else sizes[1:-1]  # a cut sample's last record may be partial
        matches = sum(1 for n in body if n == sizes[0])
        fit = 2 * matches - len(body)  # records of the header's width, less those of another width
        if fit > best_fit:
            best, best_fit = CsvDialect(delimiter, quotechar, escapes), fit
    return best


class WrapStats:
    """Counts, per column, the values wholly wrapped in one quote mark (``'text'``), over the first rows.

    A column most of whose values are so wrapped was written by an exporter that quoted every value; the
    wrapping (and a stray quote left on one side of a value, where the exporter lost the other) is then an
    artefact, not the author's text (:meth:`wrapping`). A column where only some values are quoted keeps
    them: the author quoted something.
    """

    def __init__(self) -> None:
        self._filled: dict[int, int] = {}
        self._wrapped: dict[tuple[int, str], int] = {}
        self.rows = 0

    def add(self, row: list[str]) -> None:
        """Count one data row (only the first :data:`WRAP_SAMPLE_ROWS` are looked at)."""
        if self.rows >= WRAP_SAMPLE_ROWS:
            return
        self.rows += 1
        for i, value in enumerate(row):
            value = value.strip()
            if not value:
                continue
            self._filled[i] = self._filled.get(i, 0) + 1
            if len(value) >= 2 and value[0] == value[-1] and value[0] in _QUOTES:
                self._wrapped[i, value[0]] = self._wrapped.get((i, value[0]), 0) + 1

    def wrapping(self) -> dict[int, str]:
        """Column index -> the quote mark wrapping at least two values and half of the filled ones."""
        out: dict[int, str] = {}
        for (i, quote), count in self._wrapped.items():
            if count >= 2 and 2 * count >= self._filled[i]:
                out[i] = quote
        return out


def unwrap(value: str, quote: str) -> str:
    """``value`` without the export's wrapping ``quote`` marks (both, or the one stray mark on one side)."""
    text = value.strip()
    if len(text) >= 2 and text[0] == quote and text[-1] == quote:
        return text[1:-1]
    if text.count(quote) == 1 and (text[0] == quote or text[-1] == quote):
        return text.strip(quote)
    return value
