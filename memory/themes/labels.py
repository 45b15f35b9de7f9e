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
#: A topic-naming label is preferred in at least this share of the theme's members.
LABEL_TOPIC_COVERAGE = 0.2
#: Boilerplate: a word in at least this share of all the workspace's texts (a product name, "user").
TEMPLATE_SHARE = 0.5
#: A template slot: the words after a text's opening stopwords ("As a ___"), when that opening starts this
#: share of all texts and few distinct fillers (this share of its uses at most) fill it (roles, personas).
FRAME_SHARE, FRAME_VARIETY = 0.3, 0.25
#: ... or, whatever their variety, when "I" / "we" follows them (in the opening clause or as the next clause's
#: first word) in this share of its uses, the opening being more than a bare determiner: the role of
#: "As a ___, I want" in a backlog with many roles (not the subject of a short title "The ___ crashes").
SLOT_CLOSED = 0.8
_SUBJECTS = frozenset({"i", "we"})
#: One word alone names a topic only when at least this share of the texts using it are in the theme ...
LONE_PRECISION = 0.3
#: ... and it is used as a noun: after a determiner or possessive in this share of its uses at least.
NOUN_SHARE = 0.1
#: Labels of themes whose key words overlap are re-picked by contrast: a phrase in this share more of
#: the theme's members than of any overlapping theme's.
CONTRAST_MIN = 0.15
#: ... and found in this share of the theme's members at least (so it still reads as the theme's topic).
CONTRAST_COVERAGE = 0.2
_DETERMINERS = frozenset("a an the my your our their his her its this that these those any some".split())
_NOUN_BEFORE = frozenset(
    "a an the my your our their his her its this that these those any some no every each another "
    "in on at for from with about of into by via without".split()
)

#: Stopwords plus generic verbs: they may sit inside a label but never start or end one ("used sync" -> "sync").
_LABEL_STOPWORDS = frozenset({
    "use", "used", "uses", "using", "try", "tried", "trying", "say", "says", "said", "got", "getting", "gets",
    "going", "went", "think", "thought", "happened", "happening", "make", "makes", "made", "making", "sure",
}) | _KEYWORD_STOPWORDS
#: Attributive words: they may start a label ("new card") but never end one ("order a new").
_ATTRIBUTIVE = frozenset("new old same different certain whole entire particular specific".split())
#: Time words: a label may end on one ("transfer pending for days") but they name no topic alone ("half an hour").
_TIME_WORDS = frozenset("""
second seconds minute minutes hour hours day days week weeks weekend month months year years today yesterday
tomorrow morning evening night tonight time times half now ago soon
""".split())
#: A joined label ("exchange rate was wrong") spans at most this many words.
JOIN_MAX_WORDS = 6
#: A joined phrase never runs across a conjunction or a subordinate clause ("ATM and tried to withdraw").
_JOIN_BREAK = frozenset("and or but nor because so if when while that which who whom whose then than".split())
#: A theme's phrase is joined to the first of its this many most distinctive words that members join it to.
JOIN_TRIES = 5
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
                if bound[j] and not low[j].endswith("'s") and (j == i or low[j] not in _ATTRIBUTIVE):
                    out.append(" ".join(low[i : j + 1]))
    return out


def phrase_labels(groups: Sequence[Sequence[str]], keywords: Sequence[Sequence[str]]) -> list[str]:
    """One readable, distinct label per group of texts: its best verbatim phrase that names a topic.

    A candidate is a contiguous 1-4-word phrase (case-insensitive, within one clause, never starting
    or ending with a stopword or number) found in at least two members and ``LABEL_MIN_COVERAGE`` of
    them. It scores ``coverage x precision``: the share of the group's texts containing it times the
    share of all texts containing it that belong to the group (common *and* distinctive). A candidate
    must name a topic (:func:`_names_topic`): not only template words (boilerplate, the filler of a
    story template's "As a ___"), and a lone word must be a noun used mostly in this theme. The best
    phrase is then replaced by its most distinctive extension (a longer candidate containing it) that
    keeps ``LABEL_EXTEND`` of its members ("offline" -> "offline mode"). Themes whose labels share their
    key words (same words up to plural, hyphen, inflection or a bracketed tail, or one inside the other:
    "ATM" / "ATMs", "transfer" / "transfer money") are relabelled by contrast: each takes its best phrase
    that its members use at least ``CONTRAST_MIN`` more often than the overlapping themes' members.
    Groups without a candidate keep the keyword label. Labels are unique: when themes still share a
    phrase (no contrasting phrase: one topic split in two), the one it describes best keeps it; each
    other one takes its best extension of that phrase, else its next most distinctive word in brackets.

    Args:
        groups: Member texts per theme.
        keywords: The themes' c-TF-IDF keywords (fallback labels).

    Returns:
        One label per group, all different.
    """
    candidates, counts = _phrase_candidates(groups)
    picks: list[tuple[str, float]] = []
    for cand, words in zip(candidates, keywords, strict=True):
        if cand is None:
            picks.append((_keyword_label(words), -1.0))
            continue
        top = cand.best()
        extended = cand.extension(top, LABEL_EXTEND * cand.hits[top], set())
        picks.append((cand.phrases[extended if extended is not None else top], float(cand.scores[top])))
    picks = _contrast(picks, candidates, counts, groups)
    holder: dict[str, int] = {}
    for index, (label, score) in enumerate(picks):
        other = holder.get(label)
        if other is None or (score, len(groups[index])) > (picks[other][1], len(groups[other])):
            holder[label] = index
    labels = [label if holder[label] == index else "" for index, (label, _) in enumerate(picks)]
    taken = set(labels) - {""}
    for index, (label, _) in enumerate(picks):
        if not labels[index]:
            labels[index] = _disambiguate(label, candidates[index], keywords[index], taken, groups[index])
            taken.add(labels[index])
    surface = _surface_forms([t for texts in groups for t in texts], set(re.findall(r"[^\s()]+", " ".join(labels))))
    return [re.sub(r"[^\s()]+", lambda m: surface.get(m.group(), m.group()), label) for label in labels]


def _stem(word: str) -> str:
    """A crude English stem for comparing labels: plural, -ing and -ed endings off ("top-ups" ~ "top-up")."""
    word = word.lower().split("'")[0]
    for suffix, keep in (("ies", "y"), ("sses", "ss"), ("xes", "x"), ("ches", "ch"), ("shes", "sh"), ("ing", ""),
                         ("ed", ""), ("s", "")):
        if word.endswith(suffix) and len(word) > len(suffix) + 2 and not word.endswith("ss"):
            return word[: -len(suffix)] + keep
    return word


def label_key(label: str) -> tuple[frozenset[str], str]:
    """What a label says, for spotting near-duplicates: its content-word stems and their letters run together.

    The bracketed tail and a possessive "'s" are ignored; a hyphenated word is one word whose letters
    run together: "Top-ups (card)" -> ({"top-up"}, "topup"); "meta data" and "metadata" spell alike.
    """
    head = label.split(" (")[0].lower().replace("\u2019", "'").replace("'s ", " ") + " "
    every = [w for w in re.findall(r"[a-z0-9]+(?:-[a-z0-9]+)*", head) if len(w) > 1]
    words = [w for w in every if not set(w.split("-")) <= _LABEL_STOPWORDS] or every
    stems = [_stem(w) for w in words]
    return frozenset(stems), "".join(stems).replace("-", "")


def labels_overlap(a: str, b: str) -> bool:
    """Whether label ``a`` fails to tell its theme apart from label ``b``'s.

    True for the same words up to plural, hyphen, inflection, spacing or a bracketed tail ("ATM" /
    "ATMs", "refund" / "refund (item)"), or when ``a`` is one word inside ``b`` ("transfer" / "transfer
    money", "top-up" / "top-up card"; not the reverse: the longer label says more).
    """
    (sa, ja), (sb, jb) = label_key(a), label_key(b)
    return bool(sa and sb) and (ja == jb or sa == sb or (len(sa) == 1 and sa < sb))


def same_topic_pairs(labels: Sequence[str]) -> list[tuple[str, str]]:
    """Pairs of labels with the same words up to a bracketed tail.

    Their themes' members say nothing the other's don't (see :func:`phrase_labels`): a clustering
    matter to report, not a labelling one.
    """
    keys = [label_key(label)[1] for label in labels]
    return [(labels[i], labels[j]) for i in range(len(labels)) for j in range(i + 1, len(labels))
            if keys[i] and keys[i] == keys[j]]


def _contrast(
    picks: list[tuple[str, float]], candidates: list[_Candidates | None], counts: _Counts | None,
    groups: Sequence[Sequence[str]],
) -> list[tuple[str, float]]:
    """Relabel themes whose labels overlap others' (:func:`labels_overlap`) by the phrases that set them apart.

    Contrast of a phrase: its coverage in the theme minus its highest coverage among the themes whose
    labels this one's overlaps or is overlapped by (spellings of one key counted together, so a plural
    is no contrast). Themes go largest first. One whose own label overlaps no label kept so far keeps it
    when it overlaps no other label either, or has ``CONTRAST_MIN`` contrast; else it takes its best
    topic-naming candidate by ``contrast x precision`` with ``CONTRAST_MIN`` contrast, in
    ``CONTRAST_COVERAGE`` of its members, overlapping no label kept so far (a lone word is joined to the
    theme's own phrase when members join them: "wrong" -> "exchange rate was wrong"). Without one it keeps its
    label, unless that label has the same words as one kept ("exchange rate" / "exchange rates"): then
    the theme has no topic of its own and takes the kept phrase with its best contrasting word in
    brackets ("exchange rate (wrong)"); :func:`same_topic_pairs` reports such pairs as possibly one topic.
    """
    n, sizes = len(picks), [len(g) for g in groups]
    flagged = {i: [j for j in range(n) if j != i and labels_overlap(picks[i][0], picks[j][0])] for i in range(n)}
    if counts is None or not any(flagged.values()):
        return picks
    rivals = {i: set(flagged[i]) | {j for j in range(n) if i in flagged[j]} for i in range(n)}
    merged, column = counts.by_key()
    out = list(picks)
    fixed = [picks[i][0] for i in range(n) if not rivals[i]]
    for theme in sorted((i for i in range(n) if rivals[i]), key=lambda i: (-sizes[i], i)):
        cand, current = candidates[theme], picks[theme][0]
        clash = [f for f in fixed if labels_overlap(current, f)]
        if cand is None or (not clash and not flagged[theme]):
            fixed.append(current)
            continue
        keys = column[cand.cols]
        own = merged[theme].toarray().ravel()[keys] / sizes[theme]
        rival = np.max([merged[o].toarray().ravel()[keys] / sizes[o] for o in rivals[theme]], axis=0)
        gap = own - rival
        where = cand.index.get(current)
        if not clash and (where is not None and gap[where] >= CONTRAST_MIN):
            fixed.append(current)
            continue
        gain = gap * cand.precision
        order = sorted(np.flatnonzero(gap >= CONTRAST_MIN), key=lambda j: (-gain[j], cand.phrases[j]))
        enough = cand.hits >= CONTRAST_COVERAGE * sizes[theme]
        phrase = next((cand.phrases[j] for j in order if cand.ok[j] and enough[j]
                       and not any(labels_overlap(cand.phrases[j], f) for f in fixed)), None)
        if phrase is not None and " " not in phrase and (joined := _join(groups[theme], current, phrase)) is not None \
                and not any(labels_overlap(joined, f) for f in fixed):
            phrase = joined  # a lone contrasting word joined to the shared topic: "exchange rate was wrong"
        same = [f for f in clash if label_key(f)[1] == label_key(current)[1]]
        if phrase is None and same:  # no topic of its own: show the shared phrase (told apart in brackets later)
            phrase = same[0].split(" (")[0]
        out[theme] = (phrase or current, out[theme][1])
        fixed.append(out[theme][0])
    return out


def _join(texts: Sequence[str], head: str, word: str) -> str | None:
    """The members' commonest verbatim phrase joining a shared topic phrase and its distinctive word.

    Within one clause: the head phrase followed by the word at most :data:`JOIN_MAX_WORDS` words on, with
    no conjunction between ("transfer is taking so long", "exchange rate was wrong"), or the word right
    before the head, with at most a determiner between ("wrong exchange rate", "cancel a transfer").
    Spellings that differ only in stopwords and word endings count together; the commonest spelling is
    shown. At least two members must use it, else None (the label keeps its bracketed word).
    """
    head_stems = [_stem(w) for w in head.lower().replace("-", " ").split()]
    target, n = _stem(word), len(head_stems)
    if not head_stems or not target:
        return None
    uses: Counter[tuple[str, ...]] = Counter()
    spellings: dict[tuple[str, ...], Counter[str]] = {}
    for text in texts:
        found: dict[tuple[str, ...], str] = {}
        for tokens in _clauses(text):
            low = [part for t in tokens for part in t.lower().split("-")]  # "top-up" ~ "top up"
            glue = [" " if k == len(parts) - 1 else "-" for t in tokens
                    for parts in [t.split("-")] for k in range(len(parts))]  # after each part: its spelling
            stems = [_stem(t) for t in low]
            for i in range(len(low) - n + 1):
                if stems[i:i + n] != head_stems:
                    continue
                last = min(len(low), i + JOIN_MAX_WORDS)
                stop = next((j for j in range(i + n, last) if low[j] in _JOIN_BREAK), last)
                spans = [(i, j + 1) for j in range(i + n, stop) if stems[j] == target][:1]
                spans += [(j, i + n) for j in (i - 1, i - 2)
                          if j >= 0 and stems[j] == target and all(t in _DETERMINERS for t in low[j + 1:i])][:1]
                for a, b in spans:
                    key = tuple(_stem(t) for t in low[a:b] if _can_bound(t))
                    found.setdefault(key, "".join(w + g for w, g in zip(low[a:b], glue[a:b], strict=True)).strip())
        for key, spelling in found.items():
            uses[key] += 1
            spellings.setdefault(key, Counter())[spelling] += 1
    if not uses:
        return None
    key, count = min(uses.items(), key=lambda kv: (-kv[1], len(kv[0]), kv[0]))
    if count < 2:
        return None
    return min(spellings[key].items(), key=lambda kv: (-kv[1], len(kv[0]), kv[0]))[0]


def _disambiguate(label: str, cand: _Candidates | None, keywords: Sequence[str], taken: set[str],
                  texts: Sequence[str] = ()) -> str:
    """A label for a group whose phrase another group holds: a longer phrase, else the phrase and a word.

    The word is one of the group's most distinctive ones not already in the phrase: the first of its
    :data:`JOIN_TRIES` best (the best, then those with precision at least half :data:`LONE_PRECISION` in at
    least half as many members as the best) that members join to the phrase (:func:`_join`: "transfer (pending)" ->
    "transfer is still pending"), else the best in brackets ("sync (conflicted)").
    """
    words: list[str] = []
    inside = label_key(label)[0]
    joinable: list[str] = []
    if cand is not None:
        where = cand.index.get(label)
        if where is not None and (longer := cand.extension(where, 0, taken)) is not None:
            return cand.phrases[longer]
        single = [j for j in cand.ranked() if " " not in cand.phrases[j]]
        words += [cand.phrases[j] for j in single]
        # other join words: distinctive (precision) and nearly as common in the theme as its best word
        fresh = [j for j in single if _stem(cand.phrases[j]) not in inside and _can_bound(cand.phrases[j])]
        top = cand.hits[fresh[0]] if fresh else 0.0
        joinable = [cand.phrases[j] for j in fresh
                    if cand.precision[j] >= LONE_PRECISION / 2 and cand.hits[j] >= top / 2]
    words += [w for k in keywords for w in k.split()]
    fresh_words = [w for w in dict.fromkeys(words) if _stem(w) not in inside and _can_bound(w)]
    for word in list(dict.fromkeys(fresh_words[:1] + joinable))[:JOIN_TRIES]:
        joined = _join(texts, label, word)
        if joined is not None and joined not in taken:
            return joined
    options = [f"{label} ({w})" for w in fresh_words]
    for option in options:
        if option not in taken:
            return option
    return next(f"{label} ({n})" for n in range(2, len(taken) + 3) if f"{label} ({n})" not in taken)


class _Candidates:
    """One group's label candidates: phrase (lower case), members containing it, coverage x precision.

    ``ok`` marks the candidates that name a topic (:func:`_names_topic` level 1 or 2; all of them when
    none does: a label is never missing).
    """

    def __init__(self, phrases: list[str], cols: np.ndarray, hits: np.ndarray, precision: np.ndarray,
                 size: float, level: np.ndarray, boiler: np.ndarray | None = None) -> None:
        self.phrases, self.cols, self.hits, self.precision = phrases, cols, hits, precision
        self.boiler = boiler if boiler is not None else np.zeros(len(phrases), dtype=bool)
        self.scores = (hits / size) * precision
        self.ok = level > 0 if (level > 0).any() else np.ones(len(phrases), dtype=bool)
        self.size = size
        self.index = {p: j for j, p in enumerate(phrases)}

    def ranked(self) -> list[int]:
        """Candidate positions, best score first (ties: alphabetical, for determinism)."""
        return sorted(range(len(self.phrases)), key=lambda j: (-self.scores[j], self.phrases[j]))

    def best(self) -> int:
        """The best-scoring candidate if it names a topic, else the best that does.

        That is its best topic-naming extension ("sync" -> "sync conflicts"), else the best topic-naming
        candidate in ``LABEL_TOPIC_COVERAGE`` of the members, else it (a vague word beats a rare phrase).
        """
        ranked = self.ranked()
        strongest = ranked[0]
        if self.ok[strongest]:
            return strongest
        longer = self.extension(strongest, 0, set())
        if longer is not None:
            return longer
        named = next((j for j in ranked if self.ok[j] and self.hits[j] >= LABEL_TOPIC_COVERAGE * self.size), None)
        if named is not None:
            return named
        # a vague word beats a rare phrase, but boilerplate or a time phrase ("half an hour") says nothing
        return next((j for j in ranked if not self.boiler[j]), strongest)

    def extension(self, anchor: int, min_hits: float, taken: set[str]) -> int | None:
        """The best-scoring longer topic-naming candidate containing the anchor phrase, with ``min_hits`` members."""
        inner = f" {self.phrases[anchor]} "
        longer = [
            j for j, p in enumerate(self.phrases)
            if j != anchor and self.ok[j] and self.hits[j] >= min_hits and inner in f" {p} " and p not in taken
        ]
        return min(longer, key=lambda j: (-self.scores[j], self.phrases[j])) if longer else None


def template_words(docs: Sequence[str]) -> frozenset[str]:
    """Words that repeat the workspace's boilerplate rather than name a topic (lower case).

    Two kinds: a content word in ``TEMPLATE_SHARE`` of all texts (a product name, "user" in a
    one-persona backlog), and the filler of a template slot — the content words right after a text's
    opening stopwords when that opening word starts ``FRAME_SHARE`` of all texts and is followed by few
    distinct fillers (at most ``FRAME_VARIETY`` of its uses): the persona of "As a ___, I want ...".
    """
    if not docs:
        return frozenset()
    frequency: Counter[str] = Counter()
    frames: dict[str, Counter[str]] = {}
    closed: dict[str, Counter[bool]] = {}
    for text in docs:
        clauses = [[t.lower() for t in tokens] for tokens in _clauses(text)]
        frequency.update({t for tokens in clauses for t in tokens})
        if not clauses or clauses[0][0] not in _LABEL_STOPWORDS:
            continue
        tokens = clauses[0]
        start = next((i for i, t in enumerate(tokens) if t not in _LABEL_STOPWORDS), len(tokens))
        end = next((i for i in range(start, len(tokens)) if tokens[i] in _LABEL_STOPWORDS), len(tokens))
        frames.setdefault(tokens[0], Counter())[" ".join(tokens[start:min(end, start + 3)])] += 1
        # the slot closes only when "I" / "we" follows it, in this clause or as the next one ("As a ___, I want"):
        # a filler that merely ends a short title ("The app crashes") closes nothing; nor does a bare determiner
        # open a slot ("The ___")
        subject = tokens[end] if end < len(tokens) else clauses[1][0] if len(clauses) > 1 else ""
        bare = start == 1 and tokens[0] in _DETERMINERS
        closed.setdefault(tokens[0], Counter())[subject in _SUBJECTS and not bare] += 1
    out = {w for w, c in frequency.items() if c >= TEMPLATE_SHARE * len(docs) and _can_bound(w)}
    for opening, fillers in frames.items():
        uses = sum(fillers.values())
        slot = closed[opening][True] >= SLOT_CLOSED * uses  # "As a ___, I want": the filler is the whole slot
        if uses >= FRAME_SHARE * len(docs) and (slot or len(fillers) <= FRAME_VARIETY * uses):
            out |= {w for filler, c in fillers.items() if c >= 2 for w in filler.split() if _can_bound(w)}
    return frozenset(out | {_stem(w) for w in out})


def _noun_shares(docs: Sequence[str]) -> dict[str, float]:
    """Per word (lower case): the share of its uses that show it is a noun.

    A noun use is the head of a noun phrase — right after a determiner, possessive or preposition and
    before no content word ("my refund is", "the fee.", "in China"; not "an incorrect rate", "to link") —
    or a capitalised use inside a clause (a name or acronym: "AUD", "Visa"). A plural also counts as
    its singular does ("currencies" ~ "currency").
    """
    uses: Counter[str] = Counter()
    nouns: Counter[str] = Counter()
    for text in docs:
        for tokens in _clauses(text):
            low = [t.lower() for t in tokens] + [""]
            uses.update(low[:-1])
            nouns.update(b for a, b, c in zip(low, low[1:], low[2:], strict=False)
                         if a in _NOUN_BEFORE and (not c or not _can_bound(c)))
            nouns.update(low[i] for i in range(1, len(tokens)) if tokens[i][0].isupper() and tokens[i] != "I")
    shares = {w: min(nouns[w] / c, 1.0) for w, c in uses.items()}
    return {w: max(share, shares.get(_stem(w), 0.0)) if w.endswith("s") else share for w, share in shares.items()}


def _boilerplate(phrase: str, template: frozenset[str]) -> bool:
    """Whether a phrase has only template words, time words ("half an hour") and stopwords."""
    return all(w in template or _stem(w) in template or w in _TIME_WORDS or not _can_bound(w) for w in phrase.split())


def _names_topic(phrase: str, precision: float, template: frozenset[str], nouns: dict[str, float]) -> int:
    """How well a candidate can label a theme: 2 names a topic, 1 only just, 0 not.

    2: a phrase with a non-template content word, or a lone noun (:data:`NOUN_SHARE`) that is not a
    template word and mostly used in this theme (:data:`LONE_PRECISION`). 1: such a noun used more
    widely ("transfer" rather than "long"). 0: template words only, or a lone verb or adjective.
    """
    words = phrase.split()
    if _boilerplate(phrase, template):
        return 0
    if len(words) > 1:
        return 2
    if nouns.get(phrase, 0.0) < NOUN_SHARE:
        return 0
    return 2 if precision >= LONE_PRECISION else 1 if precision >= LONE_PRECISION / 2 else 0


class _Counts:
    """Group x phrase member counts, merged over spellings of one key on demand (:func:`label_key`)."""

    def __init__(self, present: sp.csr_matrix, assign: sp.csr_matrix, vocab: np.ndarray) -> None:
        self.present, self.assign, self.vocab = present, assign, vocab
        self._by_key: tuple[sp.csr_matrix, np.ndarray] | None = None

    def by_key(self) -> tuple[sp.csr_matrix, np.ndarray]:
        """Members per group containing any phrase of each key ("exchange rate" ~ "exchange rates"), key per phrase."""
        if self._by_key is None:
            keys = [label_key(str(p))[1] for p in self.vocab]
            index = {k: i for i, k in enumerate(dict.fromkeys(keys))}
            column = np.array([index[k] for k in keys])
            merge = sp.csr_matrix((np.ones(len(keys)), (np.arange(len(keys)), column)), shape=(len(keys), len(index)))
            present = ((self.present @ merge) > 0).astype(np.float64)
            self._by_key = (self.assign @ present).tocsr(), column
        return self._by_key


def _phrase_candidates(groups: Sequence[Sequence[str]]) -> tuple[list[_Candidates | None], _Counts | None]:
    """Every group's label candidates (None when no phrase qualifies) and the member counts behind them."""
    docs = [text for texts in groups for text in texts]
    sizes = np.array([len(texts) for texts in groups], dtype=np.float64)
    if len(docs) < 2:
        return [None] * len(groups), None
    vectorizer = CountVectorizer(analyzer=_phrases, binary=True, min_df=2)
    try:
        present = vectorizer.fit_transform(docs)
    except ValueError:  # no phrase is shared by two texts
        return [None] * len(groups), None
    owner = np.repeat(np.arange(len(groups)), sizes.astype(np.int64))
    assign = sp.csr_matrix((np.ones(len(docs)), (owner, np.arange(len(docs)))), shape=(len(groups), len(docs)))
    counts = (assign @ present).tocsr()
    vocab = vectorizer.get_feature_names_out()
    total = np.asarray(present.sum(axis=0)).ravel()
    template, nouns = template_words(docs), _noun_shares(docs)
    out: list[_Candidates | None] = []
    for row in range(len(groups)):
        start, end = counts.indptr[row], counts.indptr[row + 1]
        cols, hits = counts.indices[start:end], counts.data[start:end].astype(np.float64)
        keep = (hits >= 2) & (hits >= LABEL_MIN_COVERAGE * sizes[row])
        cols, hits = cols[keep], hits[keep]
        if not len(cols):
            out.append(None)
            continue
        phrases = [str(vocab[c]) for c in cols]
        precision = hits / total[cols]
        level = np.array([_names_topic(p, q, template, nouns) for p, q in zip(phrases, precision, strict=True)])
        boiler = np.array([_boilerplate(p, template) for p in phrases], dtype=bool)
        out.append(_Candidates(phrases, cols, hits, precision, sizes[row], level, boiler))
    return out, _Counts(present.tocsr(), assign.tocsr(), vocab)


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
