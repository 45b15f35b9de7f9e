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


def theme_name(label: str, keywords: Sequence[str], texts: Sequence[str]) -> str:
    """A theme's name: :func:`phrase_label`, else the phrase around a keyword that is a form of the label.

    'price' with no phrase around it -> 'volume pricing' (keyword 'pricing'); ``label`` when neither qualifies.
    """
    name = phrase_label(label, texts)
    if name != label or len(label.split()) != 1:
        return name
    stem = word_stem(label).rstrip("e")
    for keyword in keywords:
        if keyword != label and len(keyword.split()) == 1 and word_stem(keyword).rstrip("e") == stem:
            phrased = phrase_label(keyword, texts)
            if phrased != keyword:
                return phrased
    return label


#: A document and its audience framing a goal ("Brief for leadership on …", "Update for the board about …",
#: "Brief the exec team on …"): what to write and for whom — the plan's deliverable and audience — never a topic.
_DOCUMENT = (r"(?:brief(?:ing)?|memo|update|summary|report|notes|one[- ]pager|deck|overview|write-?up|presentation|"
             r"readout|note)")
_FRAMED = re.compile(
    rf"^\s*(?:(?:a|an|the|short|quick)\s+)*(?:[\w-]+\s+)?{_DOCUMENT}\s+(?:for|to)\s+(?:[\w'&-]+\s+){{1,3}}?"
    r"(?:on|about|regarding|covering|re:?|of)\s+(?=\w)|"
    rf"^\s*(?:(?:a|an|the|short|quick)\s+)*(?:[\w-]+\s+)?{_DOCUMENT}\s+(?:for|to)\s+(?:[\w'&-]+\s+){{0,2}}[\w'&-]+"
    r"\s*(?::|\s[—–-])\s*(?=\w)|"
    r"^\s*brief\s+(?:[\w'&-]+\s+){1,3}?(?:on|about|regarding)\s+(?=\w)",
    re.IGNORECASE)


def strip_framing(text: str) -> str:
    """``text`` without a leading document-and-audience framing, else ``text`` itself.

    'Brief for leadership on what depositors need' → 'what depositors need'.
    """
    stripped = _FRAMED.sub("", text, count=1).strip()
    return stripped or text


# --------------------------------------------------------------------------- capabilities: verb + object

_ROLE = re.compile(r"^\W*as\s+(?:an?|the)\s+([^,]{2,60}?)\s*,?\s+i\s+(?:want|would|need|wish|can|should|am)\b",
                   re.IGNORECASE)
_WANT = re.compile(r"\bi\s+(?:want|would\s+like|need|wish|should\s+be\s+able|can)\s+(?:to\s+)?(?:be\s+able\s+to\s+)?"
                   r"(?P<clause>[^,.;:!?]+)", re.IGNORECASE)
#: Words that end a capability's object: what follows says how, where or why, not what.
_OBJECT_END = frozenset("""
on in through for with from via by so that which who when where while because if as at into onto using
without within across per than to
""".split())
_VERB_SKIP = frozenset("be able have get".split())
#: Words a capability's phrase never ends on.
_DANGLING = frozenset("a an the my our their his her its this that these those and or of to some any be been "
                      "being after before under over about".split())


def word_stem(word: str) -> str:
    """A word's stem for matching variants: 'depositors' / 'depositor' / 'deposit' share 'deposit'."""
    word = word.lower().strip("'")
    for suffix in ("ors", "or", "ers", "er", "ings", "ing", "ions", "ion", "ies", "es", "ed", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word


def same_lemma(a: str, b: str) -> bool:
    """Whether two one-or-more-word names are variants of one word ('deposit' / 'depositor', 'file' / 'files')."""
    sa, sb = [word_stem(w) for w in a.split()], [word_stem(w) for w in b.split()]
    return len(sa) == len(sb) and all(x == y or (min(len(x), len(y)) >= 5 and (x.startswith(y) or y.startswith(x)))
                                      for x, y in zip(sa, sb, strict=True))


def story_role(text: str) -> str:
    """The role of a user story ('As a depositor, I want …' → 'depositor'), '' for any other text."""
    match = _ROLE.match(text)
    return match.group(1).strip().lower() if match else ""


def capability(text: str) -> str:
    """What a text asks to do, as verb + object in its own words ('deposit arbitrarily large files'), or ''.

    Read from a user story's 'I want to …' clause, cut before what says how, where or why ('through Pure',
    'so that …'); '' when the text states no such clause.
    """
    match = _WANT.search(text)
    if not match:
        return ""
    words = _WORD.findall(match.group("clause"))
    while words and words[0].lower() in _VERB_SKIP and len(words) > 1:
        words = words[1:]
    if words and words[0].lower() in ("a", "an", "the", "some"):  # 'I want a method to add …': what is wanted
        words = words[1:]
    if len(words) > 1 and words[1].lower() == "be" or \
            len(words) > 2 and words[1].lower() == "to" and words[2].lower() in ("be", "have", "get"):
        return ""  # 'I want users to be presented with …': someone else's passive, no verb + object to name
    out: list[str] = []
    for i, word in enumerate(words):
        nxt = words[i + 1].lower() if i + 1 < len(words) else ""
        # 'allow others to deposit': 'to' after a one-word object leads the verb the object does
        if i and word.lower() in _OBJECT_END and len(out) >= 2 and not (
                word.lower() == "to" and len(out) == 2 and nxt and nxt not in _DANGLING):
            break
        out.append(word)
        if len(out) >= 5:
            break
    while out and out[-1].lower() in _DANGLING:
        out.pop()
    return " ".join(out) if len(out) >= 2 else ""


#: Verbs that say little on their own ('know …', 'see …', 'have …'): their capability is the verb with its object.
_CLAUSE_WORDS = frozenset("whether what which how when where who whom why if i we you they he she it my our "
                          "should shall can could would will may might must".split())
_LIGHT_VERBS = frozenset("know see have get view find understand use be access receive keep".split())


def verb_of(phrase: str) -> str:
    """What groups a capability: its verb's stem, with its first content word after a light verb.

    'deposit and maintain datasets' → 'deposit'; 'know how secure data is' → 'know secure'.
    """
    words = phrase.split()
    if not words:
        return ""
    verb = word_stem(words[0])
    if words[0].lower() in _LIGHT_VERBS:
        obj = next((w for w in words[1:] if w.lower() not in STOPWORDS | _OBJECT_END | _CLAUSE_WORDS), "")
        return f"{verb} {word_stem(obj)}".strip()
    return verb


def capability_groups(items: Sequence[tuple[str, str]]) -> list[tuple[str, list[str]]]:
    """``(id, text)`` items grouped by the verb of what they ask to do, biggest first, each with its label.

    The label is the capability phrase the group's members share most (verb + object, verbatim), else the
    group's shortest. Items stating no capability are left out.
    """
    groups: dict[str, list[tuple[str, str]]] = {}
    for sid, text in items:
        phrase = capability(text)
        if phrase:
            groups.setdefault(verb_of(phrase), []).append((sid, phrase))
    out = []
    for members in groups.values():
        counts = Counter(p.lower() for _, p in members)
        best = max(counts, key=lambda p: (counts[p], -len(p.split()), p))
        label = next(p for _, p in members if p.lower() == best) if counts[best] > 1 else \
            min((p for _, p in members), key=lambda p: (len(p.split()), p))
        out.append((label, [sid for sid, _ in members]))
    return sorted(out, key=lambda g: (-len(g[1]), g[0]))
