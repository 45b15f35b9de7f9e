"""Near-duplicate records of one file: same author, same day, same text up to trivial differences.

The later record yields the earlier one's rows again, so the pipeline stores one signal and counts the
repeat under ``duplicates`` (per the ``ingest --json`` contract). Two users saying the same thing stay two
signals; turns of a conversation are never collapsed.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kernel.schemas import SignalKind
from memory.ingest import RawRow
from memory.ingest.pipeline import ingest_files
from memory.ingest.rows import duplicate_text
from memory.ingest.source import Duplicates
from memory.repository import MemoryStore
from memory.store.edge import EdgeStore
from tests.support.embedders import HashingEmbedder
from tests.unit.test_csv_artefacts import collect, write


def distinct(rows: list[RawRow]) -> list[str]:
    """The texts of the distinct signals the rows make (id = external id + chunk)."""
    seen: dict[tuple[str, int], str] = {}
    for r in rows:
        seen.setdefault((r.external_id, r.chunk), r.text)
    return list(seen.values())


@pytest.fixture()
def store(tmp_path: Path, home: Path) -> Iterator[MemoryStore]:
    mem = MemoryStore(EdgeStore(tmp_path / "store"), HashingEmbedder())
    yield mem
    mem.close()


@pytest.mark.parametrize(("a", "b"), [
    ("Export to PDF is slow", "export to pdf is slow."),
    ("Export to PDF is slow", "  Export   to PDF is slow!! "),
    ("Export to PDF is slow", '"Export to PDF is slow"'),
    ("I can't find the setting", "I cant find the setting"),
    ("The auto-top up fails", "The auto top-up fails"),
    ("Why is it 'pending'?", "Why is it “pending”"),
])
def test_trivial_differences_are_the_same_text(a: str, b: str) -> None:
    assert duplicate_text(a) == duplicate_text(b)


@pytest.mark.parametrize(("a", "b"), [
    ("Why an extra £1 charge?", "Why an extra €1 charge?"),
    ("Balance shows -5", "Balance shows 5"),
    ("Fails 50% of the time", "Fails 50 of the time"),
    ("Export is slow", "Export is not slow"),
    (":)", ":("),
])
def test_meaningful_differences_are_not(a: str, b: str) -> None:
    assert duplicate_text(a) != duplicate_text(b)


def test_same_user_near_duplicate_collapses_other_user_stays(tmp_path: Path) -> None:
    path = write(tmp_path, "f.csv", "user,comment\n"
                                    "ana,Please add dark mode\n"
                                    "ana,please add dark mode.\n"  # same user, trivial difference
                                    "bo,Please add dark mode\n"  # another user: reach
                                    'ana,"""Please add dark mode"""\n'
                                    "ana,Please add a dark mode\n")  # a word more: another text
    rows, rejected = collect(path)
    assert not rejected and len(rows) == 5
    assert [(r.user_id, r.text) for r in rows][:4] == [("ana", "Please add dark mode"), ("ana", "Please add dark mode"),
                                                       ("bo", "Please add dark mode"), ("ana", "Please add dark mode")]
    assert rows[1] is rows[0] and rows[3] is rows[0]  # the repeat yields the first record's row
    assert distinct(rows) == ["Please add dark mode", "Please add dark mode", "Please add a dark mode"]


def test_anonymous_rows_collapse_and_different_days_do_not(tmp_path: Path) -> None:
    path = write(tmp_path, "f.csv", "date,comment\n2026-03-01,Search is broken\n2026-03-01,search is broken!\n"
                                    "2026-03-09,Search is broken\n")
    rows, _ = collect(path)
    assert len(distinct(rows)) == 2  # the same day once; a week later the same complaint is new evidence


def test_account_is_the_author_when_there_is_no_user(tmp_path: Path) -> None:
    path = write(tmp_path, "f.csv", "account,comment\nAcme,SSO please\nAcme,SSO please.\nGlobex,SSO please\n")
    rows, _ = collect(path)
    assert [r.account_id for r in rows] == ["Acme", "Acme", "Globex"]
    assert len(distinct(rows)) == 2


def test_meeting_statements_are_never_collapsed(tmp_path: Path) -> None:
    path = write(tmp_path, "meeting-notes.tsv", "n\ttext\n1\tYes.\n2\tWe need exports.\n3\tYes.\n4\tyes\n")
    rows, _ = collect(path)
    assert [r.chunk for r in rows] == [0, 1, 2, 3] and len(distinct(rows)) == 4


def test_transcript_turns_are_never_collapsed(tmp_path: Path) -> None:
    path = write(tmp_path, "call.md", "Dana: How is it going?\nAna: Okay.\nDana: And exports?\nAna: Okay.\n")
    rows, _ = collect(path)
    assert [r.text for r in rows].count("Okay.") == 2 and len(distinct(rows)) == 4


def test_repeated_paragraphs_of_notes_collapse(tmp_path: Path) -> None:
    path = write(tmp_path, "stories.txt", "As a user, I want to export a report, so that I can share it.\n\n"
                                          "As an admin, I want SSO.\n\n"
                                          "As a user, I want to export a report so that I can share it\n")
    rows, _ = collect(path)
    assert len(rows) == 3 and len(distinct(rows)) == 2


def test_rejected_rows_still_name_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "f.csv", "user,date,comment\nana,2026-03-01,Slow\nana,not a date,Slow\nana,2026-03-01,\n"
                                    "ana,2026-03-01,slow.\n")
    rows, rejected = collect(path)
    assert len(rows) == 2 and len(distinct(rows)) == 1
    assert [(Path(r.path).name, r.line) for r in rejected] == [("f.csv", 3), ("f.csv", 4)]


@pytest.mark.parametrize("batch_size", [2, 512])
def test_pipeline_counts_near_duplicates_under_duplicates(tmp_path: Path, store: MemoryStore, batch_size: int) -> None:
    lines = ["user,comment"]
    for i in range(6):
        lines.append(f"u{i},Exports time out on large reports {i}")
    lines += ["u1,exports time out on large reports 1.", "u2,\"Exports time out on large reports 2\"",
              "u3,Exports time out on large reports 1"]  # u3 says what u1 said: another user, kept
    path = write(tmp_path, "feedback.csv", "\n".join(lines) + "\n")
    ws = store.workspace("acme")
    report = ingest_files(ws, [path], batch_size=batch_size)
    assert (report.ingested, report.duplicates, report.updated, report.rejected) == (7, 2, 0, [])
    assert ws.stats().signals == 7
    again = ingest_files(ws, [path], batch_size=batch_size)
    assert (again.ingested, again.duplicates, again.updated) == (0, 9, 0)


def test_shared_data_duplicate_counts(shared_data: Path) -> None:
    """The shared sets: near-duplicates collapse where they exist, the meeting's repeated 'Yes.' stay."""
    counts = {}
    for rel in ("banking77/train.csv", "promise-nfr/nfr.csv", "meetings/elicitation-dev.tsv",
                "user-stories/g02-federalspending.txt"):
        path = shared_data / rel
        if not path.exists():
            pytest.skip("shared data not present")
        rows, rejected = collect(path)
        assert not rejected
        counts[rel] = (len(rows), len(distinct(rows)))
    assert counts == {
        "banking77/train.csv": (10003, 9973),  # 4 exact + 26 trivial variants ('top-up'/'top up', case, '?')
        "promise-nfr/nfr.csv": (625, 622),  # 3 requirements repeated word for word
        "meetings/elicitation-dev.tsv": (333, 333),  # statements of one meeting: never collapsed
        "user-stories/g02-federalspending.txt": (98, 95),  # 3 stories repeated in the backlog
    }


def test_held_rows_are_released_after_the_last_repeat(tmp_path: Path) -> None:
    dups = Duplicates()
    for key in (1, 2, 1, 3, 1):
        dups.scan(key)
    dups.scanned()
    dups.start()
    assert dups.active
    when = datetime(2026, 3, 1, tzinfo=UTC)
    first = [RawRow(line=2, kind=SignalKind.TICKET, external_id="a", text="x", created_at=when)]
    assert dups.take(1) is None
    dups.hold(1, first)
    dups.hold(2, first)  # key 2 never repeats: not held
    assert dups.take(2) is None
    assert dups.take(1) is first and dups.take(1) is first
    assert dups.take(1) is None  # both repeats served: released
    dups.start()  # streaming again starts afresh
    assert dups.take(1) is None
