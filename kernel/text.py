"""English text basics shared by every layer: the stopword set and the sentence splitter.

One list and one splitter, so that retrieval, quotes, claims and summaries agree on what a
function word and what a sentence is. Modules with a narrower job (the words a topic name never
starts with, the features of a trained classifier) keep their own list and say why.

Sentence rules (:func:`split_sentences`):

- A line break always ends a sentence: lines, list items and transcript turns are never joined.
- ``.``, ``!``, ``?`` and ``…`` (or a run of them, with closing quotes or brackets after it) end a
  sentence when whitespace follows; an ellipsis before a lower-case word is a pause, not an end.
  So decimals and versions ("4.10", "v2.1"), addresses ("example.com") and "e.g" without a space
  stay inside their sentence.
- Not after a common abbreviation ("e.g.", "Dr.", "approx.", "Jan."), a single capital initial
  ("J. Smith") or "No." before a number ("No. 5"); "No. We never use it." is two sentences.
- A list marker at the start of a line ("- ", "* ", "• ", "1. ", "2) ", "a) ", "B) ") belongs to no sentence.
- Every sentence is a verbatim span of the text, stripped of surrounding whitespace.
"""

from __future__ import annotations

import re

#: English function words (the Snowball/NLTK list with its contractions) and the fillers customer
#: text is full of ("also", "just", "really", "get", "got", "will"). Lower case; apostrophes are "'".
STOPWORDS = frozenset(
    """
    a about above after again against all am an and any are aren't as at be because been before being
    below between both but by can can't cannot could couldn't did didn't do does doesn't doing don't down
    during each few for from further had hadn't has hasn't have haven't having he he'd he'll he's her here
    here's hers herself him himself his how how's i i'd i'll i'm i've if in into is isn't it it's its itself
    let's me more most mustn't my myself no nor not of off on once only or other ought our ours ourselves
    out over own same shan't she she'd she'll she's should shouldn't so some such than that that's the their
    theirs them themselves then there there's these they they'd they'll they're they've this those through
    to too under until up very was wasn't we we'd we'll we're we've were weren't what what's when when's
    where where's which while who who's whom why why's with won't would wouldn't you you'd you'll you're
    you've your yours yourself yourselves also just really get got will
    """.split()
)

#: Words that end with a full stop without ending the sentence (lower case, inner dots kept).
ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof st ave rd blvd ln jr sr vs etc inc ltd co corp approx dept fig e.g i.e cf est "
    "jan feb mar apr jun jul aug sep sept oct nov dec a.m p.m u.s mt ft".split()
)

_END = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s|$)")
_WORD_BEFORE = re.compile(r"([\w.]+?)\.+$")
_BULLET = re.compile(r"(?:[-*+•·–—]|\d{1,3}[.)]|[a-z][.)]|[A-Z]\))\s+")  # not "J. Smith"
_INITIAL = re.compile(r"[A-Z]")
_NUMBER_AFTER = re.compile(r"\s*#?\d")
_LOWER_AFTER = re.compile(r"\s*[a-z]")


def _ends_sentence(text: str, start: int, end: int) -> bool:
    """Whether the punctuation ending at ``end`` closes the sentence begun at ``start``."""
    last = text[start:end].split()[-1].rstrip("\"'”’)]")
    if last.endswith(("…", "..")):  # a pause ("it worked… mostly") unless a capital opens what follows
        return not _LOWER_AFTER.match(text, end)
    if not last.endswith("."):
        return True
    word = _WORD_BEFORE.search(last)
    if word is None:
        return True
    token = word.group(1)
    if token.lower() in ABBREVIATIONS or _INITIAL.fullmatch(token):
        return False
    return not (token.lower() == "no" and _NUMBER_AFTER.match(text, end))


def _add(spans: list[tuple[int, int]], text: str, begin: int, end: int) -> None:
    piece = text[begin:end]
    begin += len(piece) - len(piece.lstrip())
    end = begin + len(text[begin:end].rstrip())
    if end > begin:
        spans.append((begin, end))


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` offsets of the sentences of ``text`` (see the module's rules), in order."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for line in text.split("\n"):
        begin, line_end = pos, pos + len(line)
        pos = line_end + 1
        begin += len(line) - len(line.lstrip())
        bullet = _BULLET.match(text, begin, line_end)
        start = bullet.end() if bullet else begin
        for match in _END.finditer(text, start, line_end):
            if _ends_sentence(text, start, match.end()):
                _add(spans, text, start, match.end())
                start = match.end()
        _add(spans, text, start, line_end)
    return spans


def split_sentences(text: str) -> list[str]:
    """The sentences of ``text``: verbatim spans, stripped, without list markers (module docstring)."""
    return [text[begin:end] for begin, end in sentence_spans(text)]
