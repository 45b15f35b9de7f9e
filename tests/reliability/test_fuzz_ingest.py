"""Hostile input against every ingestion parser: only InputError (one line) or per-row rejections.

Each format gets hypothesis-generated files built from five families of damage: random bytes,
a real fixture truncated at a random offset, a real fixture with random bytes spliced in, a
well-formed file whose cells are hostile strings (NUL bytes, path-like strings, bad dates,
control characters, huge numbers) and a valid file re-encoded in a wrong encoding. JSON also
gets deeply nested documents. 5 MB single lines are tried once per format.

`make test` draws a fixed set of examples (the ``ci`` Hypothesis profile); `make fuzz` draws
random ones, 20 times as many, and saves each failing file to ``fuzz_regressions/``, which every
run replays (commit the file with the fix).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kernel.errors import InputError
from kernel.schemas import Rejection
from memory.ingest import RawRow, open_source
from tests.support.hypothesis_profiles import FUZZING, scaled

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "ingest"
REGRESSIONS = Path(__file__).resolve().parent / "fuzz_regressions"
SAMPLES = {
    ".csv": FIX / "support_tickets.csv",
    ".json": FIX / "zendesk_tickets.json",
    ".jsonl": FIX / "feedback.jsonl",
    ".md": FIX / "interview-northwind-2026-03-04.md",
    ".txt": FIX / "research_notes.md",
    ".vtt": FIX / "sales_call_globex.vtt",
    ".srt": FIX / "onboarding_interview.srt",
}
EXTENSIONS = sorted(SAMPLES)
EXAMPLES = 60
FUZZ = settings(
    max_examples=scaled(EXAMPLES),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)

HOSTILE_STRINGS = [
    "",
    " ",
    "\x00",
    "abc\x00def",
    "../../../../etc/passwd",
    "/etc/shadow",
    "C:\\Windows\\System32\\config\\SAM",
    "file:///etc/passwd",
    "\\\\server\\share\\x",
    "~/.ssh/id_rsa",
    "2026-13-45",
    "31/02/2026",
    "not a date",
    "0000-00-00T00:00:00Z",
    "9999999999999999999999",
    "-1e309",
    "NaN",
    "1970-01-01",
    "\u202e\u0645\u0631\u062d\u0628\u0627",
    "\ud7ff\ufffe\uffff",
    "=cmd|' /C calc'!A0",
    "<script>alert(1)</script>",
    '{"nested": [1, 2, {"x": null}]}',
    "line one\nline two\r\nline three\rx",
    "\x1b[31mred\x1b[0m",
    "\"unterminated",
]

CSV_HEADERS = ["Ticket ID", "Subject", "Description", "Requester", "Organization", "Plan", "Created at"]


def hostile_text() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(HOSTILE_STRINGS),
        st.text(max_size=80),
        st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x3F), max_size=40),
    )


def _records(draw: st.DrawFn) -> list[dict[str, object]]:
    keys = draw(st.lists(st.sampled_from([*CSV_HEADERS, "text", "message", "user_id", "date", "?"]),
                         min_size=0, max_size=7, unique=True))
    values = st.one_of(hostile_text(), st.integers(), st.floats(allow_nan=True), st.none(), st.booleans())
    return [{k: draw(values) for k in keys} for _ in range(draw(st.integers(0, 6)))]


@st.composite
def structured_file(draw: st.DrawFn, ext: str) -> bytes:
    """A syntactically plausible file of the format whose content is hostile."""
    if ext == ".csv":
        buf = io.StringIO()
        writer = csv.writer(buf)
        headers = draw(st.lists(st.sampled_from([*CSV_HEADERS, *HOSTILE_STRINGS[:8]]), min_size=0, max_size=7))
        writer.writerow(headers)
        for _ in range(draw(st.integers(0, 6))):
            writer.writerow([draw(hostile_text()) for _ in range(draw(st.integers(0, len(headers) + 2)))])
        return buf.getvalue().encode("utf-8", "surrogatepass")
    if ext == ".json":
        shape = draw(st.sampled_from(["list", "wrapped", "scalar", "nested"]))
        records = _records(draw)
        if shape == "list":
            doc: object = records
        elif shape == "wrapped":
            doc = {draw(st.sampled_from(["tickets", "data", "items", "x"])): records}
        elif shape == "scalar":
            doc = draw(st.one_of(st.integers(), st.text(max_size=20), st.none()))
        else:
            depth = draw(st.integers(50, 20000))
            doc = None
            text = "[" * depth + "]" * depth
            return text.encode()
        return json.dumps(doc, allow_nan=True).encode("utf-8", "surrogatepass")
    if ext == ".jsonl":
        lines = []
        for record in _records(draw):
            lines.append(json.dumps(record, allow_nan=True))
            if draw(st.booleans()):
                lines.append(draw(st.sampled_from(["{", "[1,", "null", '"x"', "{}", "[[[[[[[[[[", "\x00"])))
        return "\n".join(lines).encode("utf-8", "surrogatepass")
    if ext in (".vtt", ".srt"):
        head = "WEBVTT\n\n" if ext == ".vtt" and draw(st.booleans()) else ""
        cues = []
        sep = "." if ext == ".vtt" else ","
        for i in range(draw(st.integers(0, 5))):
            start = draw(st.sampled_from([f"00:00:0{i}{sep}000", "99:99:99,999", "garbage", "", "-1:00:00.000"]))
            speaker = draw(hostile_text())
            cues.append(f"{i + 1}\n{start} --> 00:00:1{i}{sep}000\n{speaker}: {draw(hostile_text())}\n")
        return (head + "\n".join(cues)).encode("utf-8", "surrogatepass")
    parts = [draw(hostile_text()) for _ in range(draw(st.integers(0, 8)))]
    prefix = draw(st.sampled_from(["", "# Interview\n", "Date: 2026-13-45\n", "Participants: ../etc\n"]))
    return (prefix + "\n".join(parts)).encode("utf-8", "surrogatepass")


@st.composite
def hostile_file(draw: st.DrawFn, ext: str) -> bytes:
    sample = SAMPLES[ext].read_bytes()
    family = draw(st.sampled_from(["random", "truncated", "spliced", "structured", "encoding", "nul"]))
    if family == "random":
        return draw(st.binary(max_size=4096))
    if family == "truncated":
        return sample[: draw(st.integers(0, len(sample)))]
    if family == "spliced":
        at = draw(st.integers(0, len(sample)))
        return sample[:at] + draw(st.binary(min_size=1, max_size=64)) + sample[at:]
    if family == "structured":
        return draw(structured_file(ext))
    if family == "nul":
        at = draw(st.integers(0, len(sample)))
        return sample[:at] + b"\x00" * draw(st.integers(1, 3)) + sample[at:]
    encoding = draw(st.sampled_from(["utf-16-le", "utf-16-be", "utf-32-le", "latin-1", "cp1252", "shift_jis"]))
    text = sample.decode("utf-8") + "\ncafé naïve Ünïcödé ≠ €"
    return text.encode(encoding, errors="replace")


def _check_error(exc: InputError) -> None:
    message = str(exc)
    assert message.strip(), "an InputError must say something"
    assert "\n" not in message and "\r" not in message, f"multi-line error: {message!r}"


def consume(path: Path) -> tuple[int, int]:
    """Open and stream a file; return (rows, rejections) or raise InputError. Anything else fails."""
    try:
        source = open_source(path)
        rows = rejections = 0
        for item in source.rows():
            if isinstance(item, Rejection):
                assert "\n" not in item.reason
                rejections += 1
            else:
                assert isinstance(item, RawRow)
                assert item.text.strip() and "\x00" not in item.text
                rows += 1
        return rows, rejections
    except InputError as exc:
        _check_error(exc)
        return -1, -1


@pytest.fixture(scope="module")
def scratch() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="pmpilot-fuzz-") as tmp:
        yield Path(tmp)


def save_regression(ext: str, data: bytes) -> Path:
    """Keep a failing fuzz input as a file every later run replays (see test_saved_regressions)."""
    REGRESSIONS.mkdir(exist_ok=True)
    path = REGRESSIONS / f"{hashlib.sha256(data).hexdigest()[:12]}{ext}"
    path.write_bytes(data)
    return path


@pytest.mark.hypothesis
@pytest.mark.parametrize("ext", EXTENSIONS)
def test_fuzz_parser(ext: str, scratch: Path) -> None:
    seen = {"examples": 0}
    failing: list[bytes] = []

    @FUZZ
    @given(data=hostile_file(ext))
    def run(data: bytes) -> None:
        path = scratch / f"fuzz{ext}"
        path.write_bytes(data)
        try:
            consume(path)
        except BaseException:
            failing.append(data)
            raise
        seen["examples"] += 1

    try:
        run()
    except BaseException:
        if FUZZING and failing:  # Hypothesis replays the shrunk example last
            print(f"saved the failing input as {save_regression(ext, failing[-1])}")
        raise
    assert seen["examples"] >= EXAMPLES // 2


@pytest.mark.parametrize("path", sorted(REGRESSIONS.glob("*.*")), ids=lambda p: p.name)
def test_saved_regressions(path: Path) -> None:
    """Inputs that once broke a parser (found by `make fuzz` or by chance) stay handled."""
    consume(path)


# (rows, rejections) of each sample: the samples hold deliberately bad records (an empty text, a
# bad date, a non-object row, a line of invalid JSON), each rejected with a reason; the transcripts
# and notes hold none.
EXPECTED = {
    ".csv": (5, 2), ".json": (2, 2), ".jsonl": (3, 4), ".md": (5, 0), ".txt": (5, 0), ".vtt": (5, 0), ".srt": (4, 0),
}


@pytest.mark.parametrize("ext", EXTENSIONS)
def test_real_fixture_still_parses(ext: str) -> None:
    assert consume(SAMPLES[ext]) == EXPECTED[ext]


@pytest.mark.parametrize("ext", EXTENSIONS)
def test_five_megabyte_line(ext: str, scratch: Path) -> None:
    blob = "very long complaint about export " * (5_000_000 // 33)
    if ext == ".csv":
        content = f"Ticket ID,Description,Created at\n1,{blob},2026-03-01\n2,short and fine,2026-03-02\n"
    elif ext == ".json":
        content = json.dumps([{"id": 1, "text": blob}, {"id": 2, "text": "short and fine"}])
    elif ext == ".jsonl":
        content = json.dumps({"id": 1, "text": blob}) + "\n" + json.dumps({"id": 2, "text": "short and fine"})
    elif ext == ".vtt":
        content = f"WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\n<v Ana>{blob}\n"
    elif ext == ".srt":
        content = f"1\n00:00:01,000 --> 00:00:02,000\nAna: {blob}\n"
    else:
        content = blob
    path = scratch / f"long{ext}"
    path.write_text(content)
    rows, rejections = consume(path)
    assert rows == -1 or rows + rejections > 0, "an oversized line is rejected with a reason, never dropped silently"
    if ext in (".csv", ".json", ".jsonl"):
        assert rows == 1 and rejections == 1, "the short record beside the 5 MB one is kept"


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("empty.csv", b""),
        ("blank.json", b"   \n\t "),
        ("zip.csv", b"PK\x03\x04" + b"\x00" * 100),
        ("utf16-nobom.jsonl", '{"text": "hello"}\n'.encode("utf-16-le")),
        ("truncated.json", b'[{"text": "hi", "id": '),
        ("deep.json", b"[" * 100_000 + b"]" * 100_000),
        ("deep-dict.json", b'{"a":' * 50_000 + b"1" + b"}" * 50_000),
        ("no-text-column.csv", b"id,date\n1,2026-01-01\n"),
        ("noext", b"text\nhello\n"),
        ("binary.vtt", bytes(range(256)) * 20),
        ("header-cell-newline.csv", b'\r\n"0\n",\r\n\x00\r\n'),
    ],
)
def test_hostile_files_are_one_clear_error(name: str, data: bytes, scratch: Path) -> None:
    path = scratch / name
    path.write_bytes(data)
    with pytest.raises(InputError) as info:
        list(open_source(path).rows())
    _check_error(info.value)


def test_missing_columns_and_bad_dates_reject_rows_not_files(scratch: Path) -> None:
    path = scratch / "mixed.csv"
    path.write_text(
        "Ticket ID,Description,Requester,Created at\n"
        "1,Export is slow,a@x.example,2026-03-01\n"
        "2,,b@x.example,2026-03-01\n"
        "3,Bad date here,c@x.example,2026-13-45\n"
        "4,Path in text ../../etc/passwd,d@x.example,2026-03-02\n"
        '5,"NUL \x00 inside",e@x.example,2026-03-02\n'
    )
    rows, rejections = consume(path)
    assert rows == 2 and rejections == 3
