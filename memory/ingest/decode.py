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
from dataclasses import dataclass
from pathlib import Path

from kernel.errors import InputError

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
