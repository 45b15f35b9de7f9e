"""Quality of offline theme labels: are they readable phrases that say what the theme is about?

* BANKING77 (train): themes found without k (same clustering as test_themes_banking77.py). A label
  is *on topic* when it shares a content word (or stem) with the gold intent name of most of its
  members ("card arrived" ~ card_arrival); it is *verbatim* when it occurs as a contiguous phrase
  (case-insensitive, after tokenisation) in >= 20 % of the members. Reported for the phrase labels
  and for the previous keyword-bag labels (the baseline), with labelling time for 10k texts; pairs of
  labels with the same words (up to plural, hyphen, inflection, spacing or a bracketed tail) are counted
  and bounded (issue 14: themes sharing a topic are told apart by the members' joined phrase).
* User-story backlogs (three real ones): no label is only the persona of "As a ___" (template words).
* Demo workspace: the packaged demo corpus is ingested into a temporary home and its labels are
  printed next to the keyword-bag labels they replace.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from memory.themes.labels import (
    _class_keywords,
    _clauses,
    _keyword_label,
    label_key,
    phrase_labels,
    same_topic_pairs,
    template_words,
)

from .test_themes_banking77 import banking77_clusters, embed, load_banking77, one_torch_thread

pytestmark = pytest.mark.quality

VERBATIM_SHARE = 0.2


def _stem(word: str) -> str:
    word = word.lower().replace("'", "")
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def _related(a: str, b: str) -> bool:
    """Same word, or sharing a prefix of 5 letters (or the whole shorter word): arrival ~ arrived, fee ~ fees."""
    a, b = _stem(a), _stem(b)
    common = len(a) if a == b else next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y),
                                        min(len(a), len(b)))
    return common >= min(5, len(a), len(b))


#: Function words; sklearn's list also holds "top" and "amount", which are topics in banking.
_FUNCTION_WORDS = ENGLISH_STOP_WORDS - {"top", "amount"}


def _content(words: Sequence[str]) -> list[str]:
    parts = [p for w in words for p in re.split(r"[-']", w)]
    return [w for w in parts if len(w) > 1 and w.lower() not in _FUNCTION_WORDS]


def on_topic(label: str, intent: str) -> bool:
    label_words = _content([t for clause in _clauses(label) for t in clause])
    return any(_related(a, b) for a in label_words for b in _content(intent.split("_")))


def verbatim_share(label: str, texts: Sequence[str]) -> float:
    """Share of texts in which the label's words occur contiguously within one clause (case-insensitive)."""
    needle = " " + " ".join(t.lower() for clause in _clauses(label) for t in clause) + " "
    hits = sum(
        any(needle in " " + " ".join(t.lower() for t in clause) + " " for clause in _clauses(text)) for text in texts
    )
    return hits / max(len(texts), 1)


def phrase_part(label: str) -> str:
    """The phrase of a disambiguated label ("used sync (conflicted)" -> "used sync")."""
    return label.split(" (")[0]


def label_figures(labels: Sequence[str], groups: Sequence[Sequence[str]], intents: Sequence[str]) -> dict[str, float]:
    n = len(labels)
    return {
        "on_topic": sum(on_topic(lab, intent) for lab, intent in zip(labels, intents, strict=True)) / n,
        "verbatim_20": sum(verbatim_share(lab, g) >= VERBATIM_SHARE for lab, g in zip(labels, groups, strict=True)) / n,
        "phrase_verbatim_20": sum(
            verbatim_share(phrase_part(lab), g) >= VERBATIM_SHARE for lab, g in zip(labels, groups, strict=True)
        ) / n,
        "mean_verbatim": float(np.mean([verbatim_share(lab, g) for lab, g in zip(labels, groups, strict=True)])),
        "unique": len(set(labels)) / n,
        "words": float(np.mean([len(lab.split()) for lab in labels])),
    }


def test_banking77_labels(shared_data: Path) -> None:
    texts, gold = load_banking77(shared_data)
    clusters = banking77_clusters(shared_data)
    members = [np.flatnonzero(clusters == c) for c in range(int(clusters.max()) + 1)]
    members = [m for m in members if len(m) >= 2]
    groups = [[texts[i] for i in m] for m in members]
    intents = [Counter(gold[i] for i in m).most_common(1)[0][0] for m in members]
    keywords = _class_keywords(groups)
    before = [_keyword_label(k) for k in keywords]
    start = time.perf_counter()
    after = phrase_labels(groups, keywords)
    seconds = time.perf_counter() - start
    old, new = label_figures(before, groups, intents), label_figures(after, groups, intents)
    twins = same_topic_pairs(after)
    print(f"\nBANKING77 labels, {len(groups)} themes over {sum(map(len, groups))} texts, labelling {seconds:.2f} s")
    print(f"  same-words label pairs {len(twins)}: {twins}")
    for name in old:
        print(f"  {name:18s} keyword labels {old[name]:.3f}   phrase labels {new[name]:.3f}")
    for label, intent, group in zip(after, intents, groups, strict=True):
        print(f"  {len(group):4d}  {intent:34s} {label}")
    rooted = [verbatim_share(phrase_part(lab), g) * len(g) >= 2 - 1e-9 for lab, g in zip(after, groups, strict=True)]
    print(f"  phrase verbatim in >= 2 members {np.mean(rooted):.3f}")
    assert new["unique"] == 1.0
    # issue 14: themes that share a topic are told apart by a rarer joined phrase ("card payment was reverted")
    # rather than a bracketed word, so fewer labels reach 20 % of their members (0.762 -> 0.733 measured)
    assert new["verbatim_20"] >= 0.70 > 0.2 > old["verbatim_20"]
    assert np.mean(rooted) >= 0.95  # ... but every label is still the members' own phrase
    assert len(twins) <= 5  # same-words pairs: 11 before issue 14, 2 measured after
    assert new["on_topic"] >= 0.7
    assert new["words"] <= 2.5  # (labelling time is reported above; speed is judged by `make bench`)
    # themes with nothing to tell them apart show one phrase (reported), never plural or hyphen variants
    assert all(phrase_part(a) == phrase_part(b) for a, b in twins)


@pytest.mark.parametrize("backlog", ["g19-alfred", "g27-culrepo", "g05-openspending"])
def test_user_story_labels_are_not_personas(shared_data: Path, backlog: str) -> None:
    from memory.themes import cluster_vectors

    path = shared_data / "user-stories" / f"{backlog}.txt"
    texts = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    clusters = cluster_vectors(embed(texts), texts)
    groups = [[texts[i] for i in np.flatnonzero(clusters == c)] for c in range(int(clusters.max()) + 1)]
    groups = [g for g in groups if len(g) >= 2]
    labels = phrase_labels(groups, _class_keywords(groups))
    template = template_words(texts)
    print(f"\n{backlog}: {len(groups)} themes, template words {sorted(template)}")
    for label, group in zip(labels, groups, strict=True):
        print(f"  {len(group):4d}  {label}")
    personas = [label for label in labels if label_key(label)[0] <= template]
    assert len(labels) == len(set(labels))
    assert len(personas) <= 1, personas  # a theme whose every shared phrase is boilerplate keeps one


def test_demo_labels(home: Path) -> None:
    from agents import demo
    from memory import api

    with one_torch_thread():
        api.ingest(demo.signal_files(), "demo")
    by_id = {s.id: s.text for s, _ in api.workspace("demo").iter_signals()}
    report = api.themes("demo", members=True)
    groups = [[by_id[m.signal_id] for m in t.members] for t in report.themes]
    before = [_keyword_label(t.keywords) for t in report.themes]
    print(f"\nDemo workspace: {len(report.themes)} themes")
    for theme, old, group in zip(report.themes, before, groups, strict=True):
        print(f"  {theme.size:4d}  {old:30s} -> {theme.label}   (verbatim in {verbatim_share(theme.label, group):.0%})")
    labels = [t.label for t in report.themes]
    assert len(set(labels)) == len(labels)
    rooted = [verbatim_share(phrase_part(t.label), g) >= 0.1 for t, g in zip(report.themes, groups, strict=True)]
    assert sum(rooted) >= 0.8 * len(rooted)
