"""Theme descriptions: c-TF-IDF keywords and verbatim-phrase labels (:func:`phrase_labels`)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

from memory.themes.graph import _PLACEHOLDER

_WORD = re.compile(r"[a-z][a-z']*[a-z]")
_KEYWORD_STOPWORDS = frozenset(ENGLISH_STOP_WORDS) | {
    "hi", "hello", "hey", "thanks", "thank", "please", "just", "ok", "okay", "really", "like", "want", "need",
    "know", "tell", "does", "did", "doing", "let", "able", "way", "im", "ive", "id", "ill", "youre", "dont",
    "cant", "doesnt", "didnt", "isnt", "wasnt", "arent", "werent", "havent", "hasnt", "wont", "wouldnt",
    "couldnt", "shouldnt",
}


def _keyword_terms(text: str) -> list[str]:
    """Content unigrams and bigrams of *adjacent* content words (no bigram spans a stopword or a text)."""
    words = [w.replace("'", "") for w in _WORD.findall(_PLACEHOLDER.sub(" ", text).lower())]
    content = [w if len(w) > 1 and w not in _KEYWORD_STOPWORDS else None for w in words]
    terms = [w for w in content if w]
    terms += [f"{a} {b}" for a, b in zip(content, content[1:], strict=False) if a and b and a != b]
    return terms


def _class_keywords(groups: list[list[str]], top: int = 8) -> list[list[str]]:
    """Top terms per group by class-based TF-IDF over unigrams and bigrams (stopwords, PII placeholders out).

    Each term's frequency within a group is weighted by ``log(1 + A / f)``, with ``A`` the average
    number of terms per group and ``f`` the term's frequency over all groups (BERTopic's c-TF-IDF).
    """
    vectorizer = CountVectorizer(analyzer=_keyword_terms)
    docs = [text for texts in groups for text in texts]
    owner = np.repeat(np.arange(len(groups)), [len(texts) for texts in groups])
    try:
        per_doc = vectorizer.fit_transform(docs)
    except ValueError:  # no content words anywhere: themes stay unlabelled rather than invented
        return [[] for _ in groups]
    assign = sp.csr_matrix((np.ones(len(docs)), (owner, np.arange(len(docs)))), shape=(len(groups), len(docs)))
    counts = (assign @ per_doc).astype(np.float64).tocsr()
    vocab = vectorizer.get_feature_names_out()
    term_freq = sp.diags(1.0 / np.maximum(np.asarray(counts.sum(axis=1)).ravel(), 1.0)) @ counts
    words_per_class = counts.sum() / len(groups)
    idf = np.log1p(words_per_class / np.maximum(np.asarray(counts.sum(axis=0)).ravel(), 1.0))
    scores = (term_freq @ sp.diags(idf)).tocsr()
    result = []
    for row in range(len(groups)):
        start, end = scores.indptr[row], scores.indptr[row + 1]
        cols, vals = scores.indices[start:end], scores.data[start:end]
        order = sorted(range(len(cols)), key=lambda j: (-vals[j], vocab[cols[j]]))
        result.append([str(vocab[cols[j]]) for j in order[:top]])
    return result


def _keyword_label(keywords: Sequence[str], max_words: int = 3) -> str:
    """The fallback label: top keywords joined in rank order, no repeats (a bag of words, not a phrase)."""
    words: list[str] = []
    for phrase in keywords[:4]:
        fresh = [w for w in phrase.split() if w not in words]
        if words and len(words) + len(fresh) > max_words:
            break
        words.extend(fresh)
    return " ".join(words) if words else "unlabelled"


#: Longest label phrase, in words.
LABEL_MAX_WORDS = 4
#: A label phrase occurs in at least this share of a theme's members, and in two of them at least.
LABEL_MIN_COVERAGE = 0.1
#: A longer phrase replaces the best one it contains while it keeps this share of its members.
LABEL_EXTEND = 0.3

#: Stopwords plus generic verbs: they may sit inside a label but never start or end one ("used sync" -> "sync").
_LABEL_STOPWORDS = frozenset({
    "use", "used", "uses", "using", "try", "tried", "trying", "say", "says", "said", "got", "getting", "gets",
    "going", "went", "think", "thought", "happened", "happening",
}) | _KEYWORD_STOPWORDS
#: Phrases never span these: sentence and clause punctuation, brackets, quotes, line breaks.
_CLAUSE = re.compile(r"[^.!?;:,()\[\]{}\"“”‘’…\n/|]+")
_LABEL_TOKEN = re.compile(r"[A-Za-z0-9]+(?:['-][A-Za-z0-9]+)*")


def _clauses(text: str) -> list[list[str]]:
    """Word tokens (surface form) per clause; PII placeholders and punctuation are clause breaks."""
    clean = _PLACEHOLDER.sub("\n", text).replace("\u2019", "'")
    return [tokens for part in _CLAUSE.findall(clean) if (tokens := _LABEL_TOKEN.findall(part))]


def _can_bound(token: str) -> bool:
    """Whether a (lower-cased) token may start or end a label: a content word, not a stopword or number.

    Contractions count as their first word ("what's", "you'd" are stopwords; "customer's" is not).
    """
    if len(token) < 2 or any(ch.isdigit() for ch in token):
        return False
    bare, first = token.replace("'", ""), token.split("'")[0]
    return bare not in _LABEL_STOPWORDS and first not in _LABEL_STOPWORDS


def _phrases(text: str) -> list[str]:
    """Contiguous 1..LABEL_MAX_WORDS-grams within a clause that start and end with a content word."""
    out: list[str] = []
    for tokens in _clauses(text):
        low = [t.lower() for t in tokens]
        bound = [_can_bound(t) for t in low]
        for i in range(len(low)):
            if not bound[i]:
                continue
            for j in range(i, min(i + LABEL_MAX_WORDS, len(low))):
                if any(ch.isdigit() for ch in low[j]):
                    break
                if bound[j]:
                    out.append(" ".join(low[i : j + 1]))
    return out


def phrase_labels(groups: Sequence[Sequence[str]], keywords: Sequence[Sequence[str]]) -> list[str]:
    """One readable, distinct label per group of texts: its best verbatim phrase.

    A candidate is a contiguous 1-4-word phrase (case-insensitive, within one clause, never starting
    or ending with a stopword or number) found in at least two members and ``LABEL_MIN_COVERAGE`` of
    them. It scores ``coverage x precision``: the share of the group's texts containing it times the
    share of all texts containing it that belong to the group (common *and* distinctive). The best
    phrase is then replaced by its most distinctive extension (a longer candidate containing it) that
    keeps ``LABEL_EXTEND`` of its members ("offline" -> "offline mode"). Groups without a candidate
    keep the keyword label. Labels are unique: when groups pick the same phrase, the one it describes
    best keeps it; each other one takes its best extension of that phrase, else adds its next most
    distinctive word in brackets ("used sync (conflicted)").

    Args:
        groups: Member texts per theme.
        keywords: The themes' c-TF-IDF keywords (fallback labels).

    Returns:
        One label per group, all different.
    """
    candidates = _phrase_candidates(groups)
    picks: list[tuple[str, float]] = []
    for cand, words in zip(candidates, keywords, strict=True):
        if cand is None:
            picks.append((_keyword_label(words), -1.0))
            continue
        top = cand.best()
        extended = cand.extension(top, LABEL_EXTEND * cand.hits[top], set())
        picks.append((cand.phrases[extended if extended is not None else top], float(cand.scores[top])))
    holder: dict[str, int] = {}
    for index, (label, score) in enumerate(picks):
        other = holder.get(label)
        if other is None or (score, len(groups[index])) > (picks[other][1], len(groups[other])):
            holder[label] = index
    labels = [label if holder[label] == index else "" for index, (label, _) in enumerate(picks)]
    taken = set(labels) - {""}
    for index, (label, _) in enumerate(picks):
        if not labels[index]:
            labels[index] = _disambiguate(label, candidates[index], keywords[index], taken)
            taken.add(labels[index])
    surface = _surface_forms([t for texts in groups for t in texts], set(re.findall(r"[^\s()]+", " ".join(labels))))
    return [re.sub(r"[^\s()]+", lambda m: surface.get(m.group(), m.group()), label) for label in labels]


def _disambiguate(label: str, cand: _Candidates | None, keywords: Sequence[str], taken: set[str]) -> str:
    """A label for a group whose phrase another group holds: a longer phrase, else the phrase plus a word."""
    words: list[str] = []
    if cand is not None:
        where = cand.index.get(label)
        if where is not None and (longer := cand.extension(where, 0, taken)) is not None:
            return cand.phrases[longer]
        words += [cand.phrases[j] for j in cand.ranked() if " " not in cand.phrases[j]]
    words += [w for k in keywords for w in k.split()]
    inside = set(label.split())
    for option in [f"{label} ({w})" for w in dict.fromkeys(words) if w not in inside and _can_bound(w)]:
        if option not in taken:
            return option
    return next(f"{label} ({n})" for n in range(2, len(taken) + 3) if f"{label} ({n})" not in taken)


class _Candidates:
    """One group's label candidates: phrase (lower case), members containing it, coverage x precision."""

    def __init__(self, phrases: list[str], hits: np.ndarray, scores: np.ndarray) -> None:
        self.phrases, self.hits, self.scores = phrases, hits, scores
        self.index = {p: j for j, p in enumerate(phrases)}

    def ranked(self) -> list[int]:
        """Candidate positions, best score first (ties: alphabetical, for determinism)."""
        return sorted(range(len(self.phrases)), key=lambda j: (-self.scores[j], self.phrases[j]))

    def best(self) -> int:
        """Position of the best-scoring candidate."""
        return self.ranked()[0]

    def extension(self, anchor: int, min_hits: float, taken: set[str]) -> int | None:
        """The best-scoring longer candidate containing the anchor phrase, with ``min_hits`` members."""
        inner = f" {self.phrases[anchor]} "
        longer = [
            j for j, p in enumerate(self.phrases)
            if j != anchor and self.hits[j] >= min_hits and inner in f" {p} " and p not in taken
        ]
        return min(longer, key=lambda j: (-self.scores[j], self.phrases[j])) if longer else None


def _phrase_candidates(groups: Sequence[Sequence[str]]) -> list[_Candidates | None]:
    """Every group's label candidates (None when no phrase qualifies), from one binary phrase count."""
    docs = [text for texts in groups for text in texts]
    sizes = np.array([len(texts) for texts in groups], dtype=np.float64)
    if len(docs) < 2:
        return [None] * len(groups)
    vectorizer = CountVectorizer(analyzer=_phrases, binary=True, min_df=2)
    try:
        present = vectorizer.fit_transform(docs)
    except ValueError:  # no phrase is shared by two texts
        return [None] * len(groups)
    owner = np.repeat(np.arange(len(groups)), sizes.astype(np.int64))
    assign = sp.csr_matrix((np.ones(len(docs)), (owner, np.arange(len(docs)))), shape=(len(groups), len(docs)))
    counts = (assign @ present).tocsr()
    vocab = vectorizer.get_feature_names_out()
    total = np.asarray(present.sum(axis=0)).ravel()
    out: list[_Candidates | None] = []
    for row in range(len(groups)):
        start, end = counts.indptr[row], counts.indptr[row + 1]
        cols, hits = counts.indices[start:end], counts.data[start:end].astype(np.float64)
        ok = (hits >= 2) & (hits >= LABEL_MIN_COVERAGE * sizes[row])
        cols, hits = cols[ok], hits[ok]
        scores = (hits / sizes[row]) * (hits / total[cols])
        out.append(_Candidates([str(vocab[c]) for c in cols], hits, scores) if len(cols) else None)
    return out


def _surface_forms(docs: Sequence[str], words: set[str]) -> dict[str, str]:
    """How to print each label word: its commonest spelling among the texts ("SSO", "iOS", "Europe").

    A capital at the start of a clause is no evidence (only acronyms and mixed case count there), so
    "Sync conflicts again" votes for nothing and "sync" stays lower case.
    """
    spellings: dict[str, Counter[str]] = {w: Counter() for w in words}
    for text in docs:
        for tokens in _clauses(text):
            for position, token in enumerate(tokens):
                low = token.lower()
                if low in spellings and (position or token[1:] != low[1:]):
                    spellings[low][token] += 1
    return {w: min(c.items(), key=lambda kv: (-kv[1], kv[0]))[0] if c else w for w, c in spellings.items()}
