"""The project's one sentence splitter and stopword set (kernel/text.py)."""

from __future__ import annotations

import pytest

from kernel.text import STOPWORDS, sentence_spans, split_sentences


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Export fails. Sync is slow! Why? Fine.", ["Export fails.", "Sync is slow!", "Why?", "Fine."]),
        # decimals, versions, addresses and "e.g" without a space stay inside the sentence
        ("Version 4.10 broke v2.1 imports. See example.com for more.",
         ["Version 4.10 broke v2.1 imports.", "See example.com for more."]),
        # abbreviations and initials do not end a sentence
        ("We met Dr. Smith at 9 a.m. today. It went well.", ["We met Dr. Smith at 9 a.m. today.", "It went well."]),
        ("Exports fail, e.g. CSV and PDF. Fix it.", ["Exports fail, e.g. CSV and PDF.", "Fix it."]),
        ("Plan (approx. 5 days). Done.", ["Plan (approx. 5 days).", "Done."]),
        ("J. Smith agreed. Then we left.", ["J. Smith agreed.", "Then we left."]),
        # "No." ends a sentence unless a number follows
        ("No. We never use it. See No. 5 in the list.", ["No.", "We never use it.", "See No. 5 in the list."]),
        # closing quotes and brackets stay with their sentence
        ('He said "it broke." Then it worked.', ['He said "it broke."', "Then it worked."]),
        # an ellipsis before a lower-case word is a pause
        ("It worked… mostly. Wait... What?! Really?", ["It worked… mostly.", "Wait...", "What?!", "Really?"]),
        # a line break always ends a sentence; blank lines and \r vanish
        ("line one\n\nline two\r\n  indented line", ["line one", "line two", "indented line"]),
        # list markers belong to no sentence; "1." opening a line is not a sentence
        ("- Export fails on big files\n* Sync is slow\n• Dark mode\n1. First point. Second one.\n2) Other\na) last",
         ["Export fails on big files", "Sync is slow", "Dark mode", "First point.", "Second one.", "Other", "last"]),
        ("1.5 GB is too much. Really.", ["1.5 GB is too much.", "Really."]),
        ("", []),
        ("   \n  ", []),
        ("no punctuation at all", ["no punctuation at all"]),
    ],
)
def test_split_sentences(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


def test_sentences_are_verbatim_spans() -> None:
    text = "  - First point.  Second one!\n\n3. Third (approx. 2 days)… done.\nLast line  "
    spans = sentence_spans(text)
    assert [text[a:b] for a, b in spans] == split_sentences(text)
    assert split_sentences(text) == ["First point.", "Second one!", "Third (approx. 2 days)… done.", "Last line"]
    assert all(a < b for a, b in spans)
    assert all(b1 <= a2 for (_, b1), (a2, _) in zip(spans, spans[1:], strict=False))


def test_stopwords_are_function_words() -> None:
    for word in ("the", "and", "not", "don't", "you're", "just", "will"):
        assert word in STOPWORDS
    for word in ("export", "sync", "billing", "crash", "call", "system", "bill", "find"):
        assert word not in STOPWORDS  # content words a product manager searches for
    assert all(w == w.lower() and "’" not in w for w in STOPWORDS)
