"""CSV/TSV decoding: dialect sniffing, backslash escapes, export quote wrapping, quotes that are the author's."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kernel.errors import InputError
from kernel.schemas import Rejection
from memory.ingest import RawRow, read_file
from memory.ingest.decode import CsvDialect, check_file, sniff_csv, unwrap, uses_escapes

#: What an export leaves in a text when it is decoded wrongly: a wrapping or stray quote mark at either end,
#: a backslash escape, a doubled quote.
ARTEFACT_RE = re.compile("^['\"]|['\"]$|\\\\[\\\\%\"'tnr]|\"\"")


def collect(path: Path) -> tuple[list[RawRow], list[Rejection]]:
    rows: list[RawRow] = []
    rejected: list[Rejection] = []
    for item in read_file(path):
        (rejected if isinstance(item, Rejection) else rows).append(item)  # type: ignore[arg-type]
    return rows, rejected


def write(tmp_path: Path, name: str, content: str) -> Path:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return path


def texts(path: Path) -> list[str]:
    rows, rejected = collect(path)
    assert not rejected
    return [r.text for r in rows]


def test_rfc4180_doubled_quotes_keep_the_authors_quotes(tmp_path: Path) -> None:
    path = write(tmp_path, "f.csv", 'id,comment\n1,"The ""Save"" button does nothing, again"\n'
                                    '2,Plain text\n3,"Click ""Export"""\n')
    assert texts(path) == ['The "Save" button does nothing, again', "Plain text", 'Click "Export"']


def test_backslash_escaped_quotes_are_decoded(tmp_path: Path) -> None:
    path = write(tmp_path, "f.csv", 'id,comment\n1,"The \\"Save\\" button, broken"\n'
                                    '2,"Reports say \\"pending\\" forever"\n3,"Path C:\\Users\\me stays"\n')
    assert texts(path) == ['The "Save" button, broken', 'Reports say "pending" forever', "Path C:\\Users\\me stays"]


def test_escape_sequences_become_characters(tmp_path: Path) -> None:
    path = write(tmp_path, "f.csv", "id,comment\n1,90\\% of users\\tmust log in\n2,It\\'s down 100\\% of the time\n"
                                    "3,line one\\nline two\n")
    assert texts(path) == ["90% of users must log in", "It's down 100% of the time", "line one\nline two"]


def test_backslashes_in_paths_are_text_not_escapes(tmp_path: Path) -> None:
    path = write(tmp_path, "f.csv", "id,comment\n1,Saved to C:\\Users\\ana\\Documents\n2,Open D:\\Reports\\q1\n")
    assert texts(path) == ["Saved to C:\\Users\\ana\\Documents", "Open D:\\Reports\\q1"]
    assert not uses_escapes("C:\\Users\\ana D:\\Reports")


def test_single_quote_wrapping_of_an_export_is_removed(tmp_path: Path) -> None:
    # every value wrapped in single quotes; one lost its opening quote, one is double-quoted with a stray quote
    path = write(tmp_path, "f.csv", "project,text,class\n"
                                    "1,'The system shall refresh the display every 60 seconds.',PE\n"
                                    "1,' If projected  the data must be readable.',US\n"
                                    "2,The system shall interface with the central server',O\n"
                                    '3,"Users register as a ""pay as you go"" user.\'",PE\n'
                                    "3,'The product shall keep the user’s preferences.',US\n")
    assert texts(path) == [
        "The system shall refresh the display every 60 seconds.",
        "If projected the data must be readable.",
        "The system shall interface with the central server",
        'Users register as a "pay as you go" user.',
        "The product shall keep the user’s preferences.",
    ]


def test_single_quoted_fields_holding_commas_are_one_field(tmp_path: Path) -> None:
    path = write(tmp_path, "f.csv", "id,text,class\n1,'Fast, simple, and cheap.',US\n2,'Slow, sadly.',PE\n"
                                    "3,'Works.',F\n")
    rows, rejected = collect(path)
    assert not rejected
    assert [r.text for r in rows] == ["Fast, simple, and cheap.", "Slow, sadly.", "Works."]
    assert all("column_4" not in r.extra for r in rows)


def test_quotes_the_author_wrote_stay(tmp_path: Path) -> None:
    # a few quoted values in a column that is not wrapped: the author quoted a label or a status
    path = write(tmp_path, "f.csv", "text,category\n\"Transfer failed, states 'declined'\",a\n"
                                    "Why does it say \"pending.\",b\n'Save' does nothing,c\nCannot log in,d\n"
                                    "Export works,e\n")
    assert texts(path) == ["Transfer failed, states 'declined'", 'Why does it say "pending."',
                           "'Save' does nothing", "Cannot log in", "Export works"]


def test_tsv_with_unbalanced_quotes_reads_line_by_line(tmp_path: Path) -> None:
    path = write(tmp_path, "m.tsv", 'n\ttext\tlabel\n1\t"So the idea is\tF\n2\tYes.\tNULL\n3\tIt\'s "fine\tA\n'
                                    "4\tNext point\tF\n")
    rows, rejected = collect(path)
    assert not rejected
    assert [r.text for r in rows] == ['"So the idea is', "Yes.", 'It\'s "fine', "Next point"]
    assert [r.line for r in rows] == [2, 3, 4, 5]


def test_multiline_quoted_field_and_line_numbers(tmp_path: Path) -> None:
    path = write(tmp_path, "f.csv", 'id,text\n1,"first line\nsecond ""line"""\n2,after\n3,"\\"x\\" and \\"y\\""\n')
    rows, _ = collect(path)
    assert [(r.line, r.text) for r in rows] == [(2, 'first line\nsecond "line"'), (4, "after"), (5, '"x" and "y"')]


def test_wrapped_value_that_is_only_quotes_is_rejected_with_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "f.csv", "id,text\n1,'Alpha'\n2,''\n3,'Beta'\n")
    rows, rejected = collect(path)
    assert [r.text for r in rows] == ["Alpha", "Beta"]
    assert [(r.line, r.reason) for r in rejected] == [(3, "missing or empty text (column 'text')")]


def test_broken_quoting_is_one_input_error_or_row_rejections(tmp_path: Path) -> None:
    path = write(tmp_path, "f.csv", 'id,text\n1,"never closed\n2,\\\n')
    try:
        rows, _ = collect(path)
    except InputError as exc:
        assert "\n" not in str(exc)
    else:
        assert all(r.text.strip() for r in rows)


def test_sniffed_dialects(tmp_path: Path) -> None:
    assert sniff_csv(check_file(write(tmp_path, "a.csv", 'a,b\n1,"x, y"\n2,z\n')), ",") == CsvDialect(",", '"')
    assert sniff_csv(check_file(write(tmp_path, "b.csv", "a,b\n1,'x, y'\n2,'z'\n")), ",") == CsvDialect(",", "'")
    tsv = write(tmp_path, "c.tsv", 'a\tb\n1\t"x\n2\ty\n3\tz\n')
    assert sniff_csv(check_file(tsv), "\t") == CsvDialect("\t", None)


@pytest.mark.parametrize(("value", "quote", "expected"), [
    ("'text'", "'", "text"),
    ("text'", "'", "text"),
    ("'text", "'", "text"),
    ("students' grades", "'", "students' grades"),  # not at an end: the author's apostrophe
    ("'Save' and 'Cancel", "'", "'Save' and 'Cancel"),  # several marks: the author's quotes
    ('"x"', "'", '"x"'),
])
def test_unwrap(value: str, quote: str, expected: str) -> None:
    assert unwrap(value, quote) == expected


def test_shared_promise_nfr_has_no_artefacts_left(shared_data: Path) -> None:
    path = shared_data / "promise-nfr" / "nfr.csv"
    if not path.exists():
        pytest.skip("shared data not present")
    rows, rejected = collect(path)
    assert not rejected and len(rows) == 625  # before: all 625 texts kept their wrapping quote, 73 a \% or \t
    assert [r.text for r in rows if ARTEFACT_RE.search(r.text)] == []
    quoted = [r.text for r in rows if '"' in r.text]  # the requirements that quote a label keep the quotes
    assert len(quoted) == 4 and not any('""' in t for t in quoted)
    assert all(r.extra.get("class") and "'" not in r.extra["class"] for r in rows)


def test_shared_banking77_keeps_the_customers_quotes(shared_data: Path) -> None:
    path = shared_data / "banking77" / "train.csv"
    if not path.exists():
        pytest.skip("shared data not present")
    rows, rejected = collect(path)
    assert not rejected
    edge_quoted = [r.text for r in rows if r.text[:1] in "'\"" or r.text[-1:] in "'\""]
    assert len(edge_quoted) == 4  # "... states 'declined'", '... says "pending."': the customers' own quotes


def test_header_names_wrapped_in_quotes_are_found(tmp_path: Path) -> None:
    path = write(tmp_path, "f.csv", "'id','comment','user'\n'1','Slow export','ana'\n'2','No SSO','bo'\n")
    rows, rejected = collect(path)
    assert not rejected
    assert [(r.external_id, r.text, r.user_id) for r in rows] == [("1", "Slow export", "ana"), ("2", "No SSO", "bo")]


def test_text_file_lines_wrapped_by_an_export_are_unwrapped(tmp_path: Path) -> None:
    path = write(tmp_path, "backlog.txt", "'As a user, I want to export reports.'\n\n'As an admin, I want SSO.'\n\n"
                                          "As a PM, I want the \"estimate\" field filled in.'\n")
    assert texts(path) == ["As a user, I want to export reports.", "As an admin, I want SSO.",
                           'As a PM, I want the "estimate" field filled in.']


def test_text_file_quotes_of_the_author_stay(shared_data: Path) -> None:
    path = shared_data / "user-stories" / "g13-planningpoker.txt"
    if not path.exists():
        pytest.skip("shared data not present")
    quoted = [t for t in texts(path) if '"' in t]
    assert len(quoted) == 3 and all(t.count('"') == 2 and t.startswith("As a") for t in quoted)
