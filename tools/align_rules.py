"""Strategy alignment's words and declared rules: stemming, path words, goal keywords and path globs, concerns.

Text functions used by :mod:`tools.align_evidence` (scores) and :mod:`tools.alignment` (the report).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Literal

from tools.scoring import Goal, Strategy

#: Share of a commit's changed lines a goal's ``paths`` must hold for the path rule to fire.
PATH_MIN_FRACTION = 0.3
Method = Literal["path", "keyword", "rules", "evidence", "llm", "embedding", "none"]


# ------------------------------------------------------------------------------------------- words

_EXTRA_STOP = frozenset(
    "a an and are as at be been but by can cannot could did do does done each either every for from had has have "
    "he her here his how if in into is it its itself just may might more most much must no nor not now of off on "
    "once one only or other our ours out over own per same she should so some such than that the their theirs them "
    "then there these they this those through to too two under until up upon us very via was we were what when "
    "where which while who whom why will with within without would yet you your etc e g i ie eg vs also get gets "
    "got make makes made use uses used using new now still".split()
) | frozenset(  # generic verbs: "a task queue runs ingestion" says nothing of a commit's "run"
    "run runs ran call calls called keep keeps kept turn turns take takes took give gives gave show shows shown "
    "need needs say says said tell tells let lets see sees want wants try tries look looks put puts come comes go "
    "goes went".split()
)


@cache
def _stop_words() -> frozenset[str]:
    """English stop words (scikit-learn's list, imported on first use) plus the words above."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    english: frozenset[str] = ENGLISH_STOP_WORDS
    return english | _EXTRA_STOP

_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9]*")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_NORMALISE = (("ibility", "ible"), ("ability", "able"))
_SUFFIXES = ("ations", "ation", "ators", "ator", "ating", "ated", "ates", "ities", "ity", "ings", "ing", "ions",
             "ion", "ness", "ments", "ment", "able", "ible", "ers", "er", "ies", "ied", "ed", "es", "ly", "ive", "al",
             "s", "e", "y")
_TO_I = frozenset({"ies", "ied", "y"})


def stem(word: str) -> str:
    """A crude English stem (up to two suffixes stripped, ≥ 3 letters kept): isolated/isolation → isol."""
    w = word.lower()
    for long, short in _NORMALISE:
        if w.endswith(long):
            w = w[: -len(long)] + short
            break
    for _ in range(2):
        suffix = next((x for x in _SUFFIXES if w.endswith(x) and len(w) - len(x) >= 3 and not w.endswith("ss")
                       and not (x == "ly" and w.endswith("ply"))), "")  # apply is no app
        if not suffix:
            break
        # story/stories → stori (not store's stor), as Porter's stemmer does
        w = w[: -len(suffix)] + ("i" if suffix in _TO_I else "")
        if suffix in _TO_I:
            break
    return w


def words(text: str) -> list[tuple[str, str]]:
    """``(stem, word)`` of each content word (camelCase and snake_case split; stop words dropped)."""
    out: list[tuple[str, str]] = []
    stop = _stop_words()
    for token in _TOKEN.findall(text):
        for part in _CAMEL.split(token):
            low = part.lower()
            # "keeps" is as empty as "keep"
            if len(low) >= 2 and low not in stop and low.removesuffix("s") not in stop and not low.isdigit():
                out.append((stem(low), low))
                out += [(stem(w), low) for w in ABBREVIATIONS.get(low, ())]
    return out


#: Software abbreviations and the words they stand for (both sides match: a goal's "command line", a commit's "cli").
ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "cli": ("command", "line"), "gui": ("graphical", "interface"), "ui": ("interface",), "db": ("database",),
    "repo": ("repository",), "config": ("configuration",), "auth": ("authentication",), "perf": ("performance",),
    "i18n": ("internationalization",), "a11y": ("accessibility",), "k8s": ("kubernetes",),
}


def path_words(path: str) -> list[tuple[str, str]]:
    """Content words of a path's directories and file name (extension and test markers dropped)."""
    parts = path.split("/")
    name = parts[-1].rsplit(".", 1)[0] if "." in parts[-1].lstrip(".") else parts[-1]
    return [w for w in words(" ".join([*parts[:-1], re.sub(r"[_\-.]", " ", name)]))
            if w[1] not in _PATH_NOISE]


#: Path words that say how code is organised, not what it is about (extensions, test markers, containers).
_PATH_NOISE = frozenset("py md txt json yaml yml test tests spec specs unit src source lib libs pkg pkgs internal "
                        "tools utils util common core shared helpers helper support misc modules vendor init index "
                        "main base".split())


def module_key(path: str) -> str:
    """What a file is about, across code, tests and docs: tests/unit/test_themes.py and docs/themes.md → themes."""
    name = path.rsplit("/", 1)[-1].rsplit(".", 1)[0].lower().strip("_")
    name = re.sub(r"^test_|_test$|_spec$|\.test$|\.spec$", "", name)
    return name


# ------------------------------------------------------------------------------------------- rules


def _glob(pattern: str) -> re.Pattern[str]:
    """A path glob as a regex: ``**`` crosses directories, ``*`` and ``?`` do not; a trailing ``/`` = dir."""
    pattern = pattern.strip().lstrip("./")
    if pattern.endswith("/"):
        pattern += "**"
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        elif pattern[i] == "[":
            end = pattern.find("]", i)
            if end < 0:
                out, i = out + re.escape("["), i + 1
            else:
                out, i = out + fnmatch.translate(pattern[i:end + 1])[4:-3], end + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(f"^{out}$")


def _phrase(keyword: str) -> re.Pattern[str]:
    words_ = [re.escape(w) for w in keyword.lower().split()]
    body = r"[\s_-]+".join(words_)
    return re.compile(rf"(?<![a-z0-9]){body}(?:e?s)?(?![a-z0-9])", re.IGNORECASE)


# ------------------------------------------------------------------------------------------ concerns

#: Cross-cutting quality concerns (ISO/IEC 25010 security, reliability, performance) in the words engineers
#: write in commits. A goal that names a concern (its name: full strength; each mention in its description:
#: :data:`CONCERN_MENTION`) also owns the concern's work words, so "refuse to serve the app off loopback without
#: a login" serves a goal called "Trust: reliability and security" although it shares no word with it.
#: Generic software-engineering vocabulary, not any one project's: ``(goal cues, strong work words, weak ones)``.
CONCERNS: dict[str, tuple[str, str, str]] = {
    "security": (
        "security secure privacy private trust trusted tenant tenants permissions compliance confidential "
        "confidentiality authentication authorization pii gdpr encryption sso saml",
        "security secure securely insecure auth authn authz authenticate authentication authorization authorize "
        "unauthorized unauthenticated login logout signin password passwords bearer credential credentials secret "
        "secrets permission permissions acl rbac tenant tenants tenancy multitenant isolation isolate isolated "
        "loopback cors csrf xss injection injected hostile malicious attacker attack attacks exploit vulnerability "
        "vulnerable cve sanitize sanitise sanitization untrusted redact redaction pii privacy gdpr retention "
        "erase erasure encrypt encryption encrypted tls https ssl rebinding sso saml scim oauth jwt csp sandbox "
        "spoofing leak leaks inert",
        "access token tokens escape escaped escaping forget role roles",
    ),
    "reliability": (
        "reliability reliable reliably resilient resilience robust robustness dependable durable durability "
        "availability uptime fault faults crash crashes recover recoverable recovery",
        "reliability reliable resilient resilience robust robustness fault faults faulty crash crashes crashed "
        "kill killed retry retries retried timeout timeouts lease leases deadlock recover recovery recovered redo "
        "idempotent idempotency durable durability transactional rollback fuzz fuzzing fuzzer "
        "backoff reconnect failover outage corrupt corrupted corruption survive survives survived redelivered "
        "redelivery flaky hang hangs",
        "lock locks locking race loss lost lose losing graceful gracefully stress load transaction replay atomic",
    ),
    "performance": (
        "performance performant fast faster speed quick quickly latency scalable scale scalability efficient "
        "responsive snappy",
        "performance perf faster speed speedup latency throughput slow slower slowness optimise optimize "
        "optimised optimized optimization optimisation caching profiling vectorized quicker",
        "fast cache cached lazy lazily parallel concurrency memory rss",
    ),
}
#: Verbs that frame a goal's name ("Improve onboarding", "Meet people in their tools") rather than name its
#: subject: in a name they weigh :data:`FRAMING_WEIGHT` (nothing, against 2 for the name's other words).
FRAMING_VERBS = frozenset("achieve accelerate become boost build deliver drive earn enable expand grow help improve "
                          "increase keep launch lower make maximise maximize meet minimise minimize raise reach reduce "
                          "ship strengthen understand win".split())
FRAMING_WEIGHT = 0.0
#: Strength of a concern a goal's description mentions once (its name naming it: 1.0).
CONCERN_MENTION = 0.25
#: A goal owns a concern's work words from this strength on (its name, or two mentions in its description).
CONCERN_MIN = 0.5
#: Weight of a concern's strong work words for a goal that fully owns the concern (weak words: half).
CONCERN_WEIGHT = 1.5


def _concern_strength(goal: Goal) -> dict[str, float]:
    """How much a goal is about each concern: 1.0 when its name (or keywords) names it, else 0.25 per mention."""
    name = {s for s, _ in words(f"{goal.name} {' '.join(goal.keywords)}")}
    described = [s for s, _ in words(goal.description)]
    out: dict[str, float] = {}
    for concern, (cues, _, _) in CONCERNS.items():
        stems = {stem(c) for c in cues.split()}
        if name & stems:
            out[concern] = 1.0
        else:
            mentions = sum(1 for s in described if s in stems)
            if mentions:
                out[concern] = min(1.0, CONCERN_MENTION * mentions)
    return out


@dataclass(frozen=True)
class _GoalRules:
    goal: Goal
    keywords: tuple[re.Pattern[str], ...]
    paths: tuple[re.Pattern[str], ...]
    terms: dict[str, float]
    concern_of: dict[str, str]  # stem → the concern it was added for (for the evidence)

    @classmethod
    def of(cls, goal: Goal, exclude: frozenset[str] = frozenset()) -> _GoalRules:
        """Rules and goal words of a goal; ``exclude``: stems about the whole product (its name), not a goal."""
        terms: dict[str, float] = {}
        for text, weight in ((goal.name, 2.0), (" ".join(goal.keywords), 2.0), (goal.description, 1.0)):
            for s, w in words(text):
                if s not in exclude:
                    # "Meet people in their tools": the framing verb says nothing of the work (a meeting is no meet)
                    value = FRAMING_WEIGHT if text is goal.name and w in FRAMING_VERBS else weight
                    if value > 0:
                        terms[s] = max(terms.get(s, 0.0), value)
        concern_of: dict[str, str] = {}
        for concern, strength in _concern_strength(goal).items():
            if strength < CONCERN_MIN:  # one passing mention ("redact PII") does not make a goal about security
                continue
            _, strong, weak = CONCERNS[concern]
            for cues, factor in ((strong, 1.0), (weak, 0.5)):
                for s in {stem(c) for c in cues.split()} - exclude:
                    weight = CONCERN_WEIGHT * strength * factor
                    if weight > terms.get(s, 0.0):
                        terms[s] = weight
                        concern_of[s] = concern
        return cls(goal, tuple(_phrase(k) for k in goal.keywords if k.strip()),
                   tuple(_glob(p) for p in goal.paths if p.strip()), terms, concern_of)

    def keyword_hits(self, text: str) -> list[str]:
        return [m.group(0) for p in self.keywords for m in [p.search(text)] if m]

    def path_fraction(self, files: Sequence[tuple[str, int]]) -> float:
        if not self.paths or not files:
            return 0.0
        total = sum(max(lines, 1) for _, lines in files)
        hit = sum(max(lines, 1) for path, lines in files if any(p.match(path) for p in self.paths))
        return hit / total


def _rules(strategy: Strategy) -> list[_GoalRules]:
    """Each goal's rules; the product's own name (the strategy's title) counts for no goal."""
    exclude = frozenset(s for s, _ in words(strategy.product))
    return [_GoalRules.of(g, exclude) for g in strategy.goals]


def _message_text(message: str) -> str:
    """A commit message without the conventional prefix's punctuation and PR references, for matching."""
    subject, _, body = message.partition("\n")
    subject = re.sub(r"^(\w+)\(([^)]*)\)!?:", r"\1 \2:", subject.strip())
    subject = re.sub(r"\(#\d+\)\s*$", "", subject).strip()
    return f"{subject}\n{body.strip()}".strip()


def match_goals(rules: Sequence[_GoalRules], text: str,
                files: Sequence[tuple[str, int]] = ()) -> tuple[list[str], Method]:
    """Goals the strategy's declared rules (keywords, paths) assign to a text and its changed files."""
    by_path = [r.goal.name for r in rules if r.path_fraction(files) >= PATH_MIN_FRACTION]
    by_word = [r.goal.name for r in rules if r.keywords and r.keyword_hits(text)]
    if by_path and by_word:
        both = [g for g in by_path if g in by_word]
        return (both, "rules") if both else (list(dict.fromkeys(by_path + by_word)), "rules")
    if by_path:
        return by_path, "path"
    if by_word:
        return by_word, "keyword"
    return [], "none"
