"""Names a PM would write for a theme: "lost edits", not the bare keyword "lost".

A theme's label is often one keyword ("lost", "edits", "mobile"). Deliverables that show a theme
as a heading or an item name it by the phrase its own members use most that contains the label:
the most frequent run of two or three words around the label, read verbatim from the members'
texts, that neither starts nor ends with a stopword and occurs in at least :data:`MIN_SHARE` of
the members holding the label. A label of two or more words is kept as it is; without such a
phrase the label stays too (better a keyword than an invented name).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from tools.topics import PRAISE, STOPWORDS

#: Share of the label-holding members a phrase must occur in to name the theme.
MIN_SHARE = 0.15
_WORD = re.compile(r"[A-Za-z][\w'-]*")
_NOISE = STOPWORDS | PRAISE


def phrase_label(label: str, texts: Sequence[str]) -> str:
    """The phrase around a one-word ``label`` that most of ``texts`` use (``label`` when none qualifies)."""
    words = label.split()
    if len(words) != 1:
        return label
    key = words[0].lower()
    counts: Counter[tuple[str, ...]] = Counter()
    forms: dict[tuple[str, ...], Counter[str]] = {}
    holding = 0
    for text in texts:
        tokens = _WORD.findall(text)
        low = [t.lower() for t in tokens]
        if key not in low:
            continue
        holding += 1
        seen: set[tuple[str, ...]] = set()
        for i, word in enumerate(low):
            if word != key:
                continue
            for start in range(max(0, i - 2), i + 1):
                for end in range(i + 1, min(len(low), start + 3) + 1):
                    gram = tuple(low[start:end])
                    if len(gram) < 2 or gram[0] in _NOISE or gram[-1] in _NOISE:
                        continue
                    if gram not in seen:
                        seen.add(gram)
                        forms.setdefault(gram, Counter())[" ".join(tokens[start:end])] += 1
        counts.update(seen)
    if not holding:
        return label
    need = max(2, MIN_SHARE * holding)
    best = max((g for g, n in counts.items() if n >= need), key=lambda g: (counts[g], len(g), g), default=None)
    if best is None:
        return label
    text = forms[best].most_common(1)[0][0]
    return text if any(c.isupper() for c in label) or not text[:1].isupper() or text[1:2].isupper() \
        else text[:1].lower() + text[1:]
