"""Strategy alignment's evidence scores: a goal's words, concerns, meaning and file history per work item.

:class:`_Scorer` is step 2 of :mod:`tools.alignment` (commits no declared rule decides).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from tools.align_rules import (
    PATH_MIN_FRACTION,
    _GoalRules,
    _message_text,
    module_key,
    path_words,
    words,
)
from tools.scoring import Goal

if TYPE_CHECKING:  # the embedder (torch) is imported when a similarity is first built: the CLI starts light
    from kernel.settings import Settings


#: Evidence score a goal needs to be assigned: about one distinctive goal word in the subject, or the
#: goal's words in the paths of most of the changed lines plus the history of those files.
DECIDE_SCORE = 2.0
#: A second goal is kept when its score is at least this fraction of the best one's.
SECOND_GOAL = 0.9
#: Score of a rule the strategy declares (a keyword in the message, its paths holding the changed lines).
RULE_SCORE = 3.0
#: Weight of goal words in the changed paths (share of the changed lines), against words in the subject.
PATH_WEIGHT = 1.0
#: Weight of the goals of the other commits that touched the same files, modules and directories.
PROPAGATION_WEIGHT = 3.0
#: A file's, module's or directory's goal counts in proportion to support / (support + this), where support
#: is the summed confidence of the other commits that touched it (one decided commit: 0.8).
PROPAGATION_SUPPORT = 0.25
#: Closeness in meaning (MiniLM cosine between the message and a goal's sentence) counts above this floor …
EMBED_FLOOR = 0.2
#: … with this weight (a cosine of 0.45, a clear paraphrase, adds 1.5).
EMBED_WEIGHT = 6.0
#: Weight of the commit's area (conventional scope, or the ``area:`` prefix of a subject) against subject words.
AREA_WEIGHT = 2.0
#: A subject with more content words than this counts each word less (by the square root of the excess ratio).
SUBJECT_WORDS = 10
#: Conventional types that name no area: ``feat(sync): …`` has area ``sync``; ``themes: …`` has area ``themes``.
CONVENTIONAL_TYPES = frozenset({"feat", "fix", "docs", "doc", "test", "tests", "chore", "refactor", "perf", "ci",
                                "build", "style", "revert", "wip", "merge"})
#: Chores, CI, build and style commits serve a goal only on strong evidence: their scores are scaled by this.
CHORE_TYPES = frozenset({"chore", "ci", "build", "style", "deps", "dep", "bump", "release", "lint"})
CHORE_FACTOR = 0.5
#: What a subject says the work is, when it is upkeep rather than a goal's work (generic engineering words):
#: style fixes serve a goal almost never, refactors and de-duplication only on strong evidence.
STYLE_WORK = re.compile(r"\b(?:line[- ]length|lint(?:s|ing|er)?|typos?|reformat(?:ted|ting)?|formatting|whitespace|"
                        r"pep ?8|ruff|flake8|pylint|mypy|isort|prettier|eslint|spelling)\b", re.IGNORECASE)
REFACTOR_WORK = re.compile(r"\b(?:refactor(?:s|ed|ing)?|de-?dup(?:e|licate[sd]?|lication)?|duplicat(?:e[sd]?|ion)|"
                           r"copies|twins?|clean ?ups?|tid(?:y|ies|ied)|renamed?|dead code|unused)\b", re.IGNORECASE)
#: Build, CI, packaging and test-harness files (any project's): a commit mostly in them is upkeep.
INFRA_PATH = re.compile(r"(?:^|/)(?:\.github|\.gitlab|\.circleci|\.ci|\.devcontainer|ci|\.buildkite)/|"
                        r"(?:^|/)(?:Makefile|Dockerfile|Containerfile|Jenkinsfile|docker-compose[^/]*\.ya?ml|"
                        r"\.gitlab-ci\.yml|\.travis\.yml|azure-pipelines\.yml|conftest\.py|tox\.ini|noxfile\.py|"
                        r"pyproject\.toml|setup\.py|setup\.cfg|requirements[^/]*\.txt|constraints[^/]*\.txt|"
                        r"[^/]*\.lock|package(?:-lock)?\.json|go\.sum|\.pre-commit-config\.yaml|\.gitignore|"
                        r"\.editorconfig|\.dockerignore)$|(?:^|/)tests?/(?:support|helpers?|utils?)/")
#: A subject naming CI, the build or dependencies as what changed.
INFRA_WORK = re.compile(r"\bCI\b|\bcontinuous integration\b|\bMakefile\b|\b(?:dependency|dependencies|deps)\b",
                        re.IGNORECASE)
INFRA_SHARE = 0.6
STYLE_FACTOR = 0.2
REFACTOR_FACTOR = 0.5
#: Minimum MiniLM cosine between a commit message and a goal text to assign the goal without a rule.
#: Measured on the demo history with the rules hidden: at 0.25, 31 of the 35 rule-mapped commits get
#: their goal back, 1 of 40 gets a wrong goal, and no chore (best cosine ≤ 0.20) is assigned;
#: at 0.30 only 23 of 35 are found (0 wrong).
SIMILARITY_THRESHOLD = 0.25

Similarity = Callable[[Sequence[str], Sequence[str]], np.ndarray]


# ------------------------------------------------------------------------------------------ evidence


@dataclass
class _Item:
    """One work item to map: its message (subject and body), changed files and what git says of it."""

    subject: str
    body: str = ""
    files: Sequence[tuple[str, int]] = ()
    type: str | None = None
    scope: str | None = None


@dataclass
class _Scored:
    scores: dict[str, float]
    evidence: dict[str, list[str]]


_PREFIX = re.compile(r"^([A-Za-z][\w./-]*(?: [\w./-]+){0,2})(?: \(#?\d+\))?:\s")


def _area(item: _Item) -> str:
    """What part of the product the item says it changes: the conventional scope, or the subject's prefix.

    ``feat(sync): …`` → sync; ``themes: …`` → themes; ``docs/agents: …`` → agents; ``Store faults: …`` → store
    faults (up to three words; the kind words docs/test/bench are no area).
    """
    if item.scope or (item.type and item.type not in CONVENTIONAL_TYPES):
        return " ".join(x for x in (item.scope, None if (item.type or "") in CONVENTIONAL_TYPES else item.type)
                        if x)
    match = _PREFIX.match(item.subject)
    if not match:
        return ""
    return " ".join(w for w in re.split(r"[/\s]+", match.group(1)) if w.lower() not in _KIND_WORDS)


#: Words of a subject's prefix that say what kind of change it is, not where.
_KIND_WORDS = frozenset("docs doc test tests bench benchmarks readme fix feat chore wip".split())


def _upkeep(item: _Item) -> tuple[float, str]:
    """The factor on an item's scores when its type, subject or files say it is upkeep (1.0 when not), and why.

    Independent signs multiply: a ``ci:`` commit that touches only CI files is upkeep twice over.
    """
    kind = (item.type or "").lower()
    first = re.split(r"[/\s]", (item.scope or "").lower(), maxsplit=1)[0]
    factor, why = 1.0, list[str]()
    if STYLE_WORK.search(item.subject):
        factor, why = factor * STYLE_FACTOR, [*why, "style fix"]
    elif kind in CHORE_TYPES or first in CHORE_TYPES:
        factor, why = factor * CHORE_FACTOR, [*why, f"{kind if kind in CHORE_TYPES else first} chore"]
    elif re.search(r"\bCI\b", item.subject) or INFRA_WORK.search(_area(item)):
        factor, why = factor * CHORE_FACTOR, [*why, "CI/build work"]
    elif kind == "refactor" or REFACTOR_WORK.search(item.subject):
        factor, why = factor * REFACTOR_FACTOR, [*why, "refactor"]
    total = sum(max(lines, 1) for _, lines in item.files)
    infra = sum(max(lines, 1) for path, lines in item.files if INFRA_PATH.search(path))
    if total and infra / total >= INFRA_SHARE:
        factor, why = factor * CHORE_FACTOR, [*why, "build/CI/test-harness files"]
    return factor, " + ".join(why)


class _Scorer:
    """Evidence scores of items against goals.

    The goals' own words in messages and paths, declared rules, closeness in meaning, and the goals of
    the other items that touched the same files (propagation).
    """

    def __init__(self, rules: Sequence[_GoalRules], items: Sequence[_Item]) -> None:
        self.rules = list(rules)
        self.items = list(items)
        mass: dict[str, float] = {}
        for r in self.rules:
            for t, w in r.terms.items():
                mass[t] = mass.get(t, 0.0) + w
        # a word shared by several goals says less about each of them
        self.weights = [{t: w * w / mass[t] for t, w in r.terms.items()} for r in self.rules]
        n = len(self.items)
        df: dict[str, int] = {}
        for item in self.items:
            seen = {s for s, _ in words(f"{item.subject} {item.body}")}
            seen |= {s for p, _ in item.files for s, _ in path_words(p)}
            for s in seen:
                df[s] = df.get(s, 0) + 1
        # words in most of the history's items (a project's name, "test") discriminate little
        self.idf = {t: (1.0 if n < 20 else min(1.0, max(0.2, math.log(n / c) / math.log(10)))) for t, c in df.items()}

    def direct(self, item: _Item) -> _Scored:
        scores = {r.goal.name: 0.0 for r in self.rules}
        evidence: dict[str, list[str]] = {r.goal.name: [] for r in self.rules}
        text = _message_text(f"{item.subject}\n{item.body}")
        msg: dict[str, tuple[float, str]] = {}
        area = _area(item)
        # a long subject or body lists many things: each word says less
        subject_weight = 1.0 / max(1.0, math.sqrt(len(words(item.subject)) / SUBJECT_WORDS))
        body_weight = 0.5 / max(1.0, math.sqrt(len(words(item.body)) / 10))
        for weight, part in ((AREA_WEIGHT, area), (subject_weight, item.subject), (body_weight, item.body)):
            for s, w in words(part):
                if msg.get(s, (0.0, ""))[0] < weight:
                    msg[s] = (weight, w)
        total = sum(max(lines, 1) for _, lines in item.files) or 1
        for r, weights in zip(self.rules, self.weights, strict=True):
            name = r.goal.name
            for s, (weight, word) in msg.items():
                if s in weights:
                    concern = r.concern_of.get(s)
                    scores[name] += weight * weights[s] * self.idf.get(s, 1.0)
                    evidence[name].append(f"word '{word}'" + (f" ({concern})" if concern else ""))
            path_score, matched = 0.0, []
            for path, lines in item.files:
                stems = {s: w for s, w in path_words(path) if s in weights}
                hit = sorted(set(stems.values()))
                if hit:
                    value = sum(weights[s] * self.idf.get(s, 1.0) for s in stems)
                    path_score += max(lines, 1) / total * min(1.0, value)
                    matched.append(f"path {path} ({', '.join(hit)})")
            scores[name] += PATH_WEIGHT * path_score
            evidence[name] += matched[:5]
            hits = r.keyword_hits(text)
            if hits:
                scores[name] += RULE_SCORE
                evidence[name] += [f"keyword '{h.lower()}'" for h in hits]
            fraction = r.path_fraction(item.files)
            if fraction >= PATH_MIN_FRACTION:
                scores[name] += RULE_SCORE
                evidence[name].append(f"strategy paths hold {round(100 * fraction)} % of the changed lines")
        return _Scored(scores, evidence)

    def semantic(self, scored: list[_Scored], similarity: Similarity | None) -> None:
        """Add each item's closeness in meaning to each goal (best cosine over the goal's name and sentences)."""
        if similarity is None or not self.items:
            return
        sentences = [(i, text) for i, r in enumerate(self.rules) for text in _goal_sentences(r.goal)]
        texts = [_message_text(f"{item.subject}\n{item.body}") for item in self.items]
        matrix = np.asarray(similarity(texts, [t for _, t in sentences]))
        for row, s in zip(matrix, scored, strict=True):
            for i, r in enumerate(self.rules):
                cols = [j for j, (g, _) in enumerate(sentences) if g == i]
                best = max(cols, key=lambda j: row[j])
                cosine = float(row[best])
                if cosine > EMBED_FLOOR:
                    s.scores[r.goal.name] += EMBED_WEIGHT * (cosine - EMBED_FLOOR)
                    if cosine >= SIMILARITY_THRESHOLD:
                        s.evidence[r.goal.name].append(f"meaning close to “{sentences[best][1][:80]}” "
                                                       f"(cosine {cosine:.2f})")

    @staticmethod
    def keys(path: str) -> list[tuple[str, float]]:
        directory = path.rsplit("/", 1)[0] if "/" in path else "."
        return [(f"file:{path}", 0.5), (f"module:{module_key(path)}", 0.3), (f"dir:{directory}", 0.2)]

    def propagate(self, scored: list[_Scored]) -> list[_Scored]:
        """Add to each item the goals of the other items that touched its files, modules and directories.

        Each other item votes with its goal distribution, weighted by how decided it is on its own
        evidence; a key's (file's, module's, directory's) support grows with the votes it got. This is how
        a test, doc or fix commit that names no goal gets the goal of the code it touches.
        """
        names = [r.goal.name for r in self.rules]
        votes: list[tuple[float, dict[str, float]]] = []
        for s in scored:
            total = sum(s.scores.values())
            confidence = min(1.0, max(s.scores.values(), default=0.0) / DECIDE_SCORE)
            votes.append((confidence, {g: (v / total if total > 0 else 0.0) for g, v in s.scores.items()}))
        sums: dict[str, dict[str, float]] = {}
        for item, (confidence, dist) in zip(self.items, votes, strict=True):
            for key in {k for p, _ in item.files for k, _ in self.keys(p)}:
                bucket = sums.setdefault(key, dict.fromkeys(["", *names], 0.0))
                bucket[""] += confidence
                for g in names:
                    bucket[g] += confidence * dist[g]
        out = []
        for item, (confidence, dist), s in zip(self.items, votes, scored, strict=True):
            scores, evidence = dict(s.scores), {g: list(v) for g, v in s.evidence.items()}
            total = sum(max(lines, 1) for _, lines in item.files) or 1
            via: dict[str, dict[str, float]] = {g: {} for g in names}
            mine = {k for p, _ in item.files for k, _ in self.keys(p)}
            for path, lines in item.files:
                parts = []
                for key, weight in self.keys(path):
                    found = sums.get(key)
                    support = (found[""] - (confidence if key in mine else 0.0)) if found else 0.0
                    if found is None or support <= 1e-9:  # no other item touched it
                        continue
                    share = {g: (found[g] - confidence * dist[g]) / support for g in names}
                    parts.append((weight, support / (support + PROPAGATION_SUPPORT), share))
                if not parts:
                    continue
                norm = sum(w for w, _, _ in parts)
                for g in names:
                    value = sum(w * strength * share[g] for w, strength, share in parts) / norm
                    scores[g] += PROPAGATION_WEIGHT * max(lines, 1) / total * value
                    if value >= 0.3:
                        via[g][path] = value
            for g in names:
                for path, value in sorted(via[g].items(), key=lambda kv: -kv[1])[:3]:
                    evidence[g].append(f"history: other commits touching {path} serve it ({value:.2f})")
            out.append(_Scored(scores, evidence))
        return out

    def score(self, similarity: Similarity | None = None) -> list[_Scored]:
        direct = [self.direct(item) for item in self.items]
        self.semantic(direct, similarity)
        upkeep = [_upkeep(item) for item in self.items]
        for s, (factor, _) in zip(direct, upkeep, strict=True):  # upkeep votes weakly on the files it touched …
            s.scores = {g: v * factor for g, v in s.scores.items()}
        out = self.propagate(direct)
        for s, d, (factor, why) in zip(out, direct, upkeep, strict=True):  # … and is led by it only weakly
            if factor < 1:
                s.scores = {g: d.scores[g] + (v - d.scores[g]) * factor for g, v in s.scores.items()}
                for g in s.evidence:
                    s.evidence[g].append(f"{why}: score × {factor:g}")
        return out


def _goal_sentences(goal: Goal) -> list[str]:
    """A goal's name and the sentences (or clauses) of its description, for closeness in meaning."""
    parts = [p.strip() for p in re.split(r"(?<=[.;!?])\s+|:\s+", goal.description) if len(p.strip()) > 3]
    head = f"{goal.name} {' '.join(goal.keywords)}".strip()
    return [head, *parts]


def decide(scores: Mapping[str, float], threshold: float | None = None) -> list[str]:
    """The goals an item serves: the best one when its score reaches the threshold, plus any close second."""
    if not scores:
        return []
    best = max(scores.values())
    if best < (DECIDE_SCORE if threshold is None else threshold):
        return []
    return [g for g, v in scores.items() if v >= SECOND_GOAL * best]


# ------------------------------------------------------------------------------------- similarity


def embedding_similarity(settings: Settings | None = None) -> Similarity:
    """Cosine similarity (texts × goals) with the configured embedder (MiniLM by default)."""
    from memory.embeddings import get_embedder

    embedder = get_embedder(settings)

    def similarity(texts: Sequence[str], goals: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, len(goals)), dtype=np.float32)
        vectors = embedder.embed([*texts, *goals])
        return np.asarray(vectors[: len(texts)] @ vectors[len(texts):].T)

    return similarity
