"""User-story quality check in the spirit of the Quality User Story framework (QUS, Lucassen et al. 2016).

The same check runs on stories pmpilot drafts (offline or with a model) and on plain backlog lines
("As a …, I want …, so that …"). It follows AQUSA's syntactic and pragmatic criteria, with rules that
need no language model:

- **well-formed**: a role and a means ("As a <role>, I want <means>").
- **role brackets**: no brackets in the role.
- **atomic**: the means asks for one capability — no "and"/"or"/"&"/"and/or"/"as well as" joining two
  actions (a conjunction followed by another action verb, or joining two actions).
- **minimal**: no brackets or extra notes (a second sentence, an ellipsis) after the story. The literal
  ``[PM to decide]`` placeholder is *not* a defect: it is the writer's explicit to-do for the PM, flagged
  as ``pm_todo`` and counted apart.
- **full sentence**: no part ends on a dangling word ("so that that part is"), no wrong article
  ("an user"), no empty means, no bare word as the means ("I want data"); with the evidence, no title
  cut before its end ("Fix: problems with my top" when the quotes say "top up").
- **uniform**: the story uses the set's most common template (role, means and benefit indicators).
- **criteria** (not a QUS criterion; drafted documents only): every acceptance criterion names what the story is
  about (a content word of its "I want"), so no template that fits any story passes for its test.
- **unique**: no story repeats another (case, spacing and punctuation ignored), and no story's acceptance
  criteria are another's template with only the citation and quote changed (criteria holding the
  ``[PM to decide]`` to-do, such as a metric's target, are not compared).

:func:`review_requirements` applies the safe fixes to a requirements artifact — articles, whitespace,
merging duplicate stories (their citations are united) — and flags the rest: per story in ``flags``,
per document in ``quality_notes``. Defects per story is the figure the bench reports
(``story_defects_per_story``); AQUSA's authors measured about 0.32 on the public backlogs.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypedDict

from kernel.text import split_sentences

PM_TODO = "[PM to decide]"
#: The defect kinds, in report order (``pm_todo`` is not a defect).
DEFECT_KINDS = ("well_formed", "role_brackets", "atomic", "minimal", "full_sentence", "uniform", "unique",
                "criteria")

_WS = re.compile(r"\s+")
_STORY = re.compile(
    r"^\W*(?P<ri>as\s+(?:an?|the)?)\s*(?P<role>.+?)\s*,?\s+"
    r"(?P<mi>i(?:'m|\s+am)?\s+(?:want(?:\s+to)?|would\s+like(?:\s+to)?|'d\s+like(?:\s+to)?|need(?:\s+to)?|wish(?:\s+to)?"
    r"|can|could|should|must|may|would\s+be\s+able\s+to|(?:am\s+|'m\s+)?able\s+to|expect|do\s+not\s+want|don't\s+want|only\s+want(?:\s+to)?))"
    r"\b\s*(?P<means>.*)$",
    re.IGNORECASE | re.DOTALL,
)
#: Benefit indicators, most specific first: the first that occurs splits means from benefit.
_ENDS = tuple(re.compile(rf"(?:,\s*|\s+)(?P<ei>{ind})\s+(?P<ends>.+)$", re.IGNORECASE | re.DOTALL)
              for ind in (r"so\s+that", r"in\s+order\s+to", r"such\s+that", r"(?<=,\s)so", r"so"))
_BRACKETS = re.compile(r"[()\[\]{}]")
_PM = re.compile(re.escape(PM_TODO), re.IGNORECASE)
_CONJ = re.compile(r"\s*(?:\band/or\b|\band\b|\bor\b|&|\+|\bas\s+well\s+as\b)\s*", re.IGNORECASE)
#: Words a finished clause does not end on (stranded prepositions like 'waiting for' are fine English).
_DANGLING = frozenset("a an the of and or but nor than because my your our their its his her "
                      "shall must should will".split())
#: Common action verbs of backlogs and drafts (base forms): a conjunction followed by one starts a second action.
ACTION_VERBS = frozenset("""
accept access add adjust allow analyse analyze annotate apply approve archive arrange assign attach authenticate
automate avoid book browse build calculate cancel capture categorize change check choose claim clear close collect
comment compare compile complete configure confirm connect contact control convert copy correct create customize
define delete deny deposit describe design determine disable discover display download drag drop duplicate edit
email enable enter estimate evaluate exclude execute explore export extract fill filter find fix flag follow forward
generate get give hide identify import include indicate install integrate invite issue join keep know learn leave
limit link list load locate lock log login logout look maintain manage map mark merge migrate modify monitor move
navigate notify obtain open order organize pay perform pick plan post preview print prioritize process provide
publish purchase put query rank rate read receive record recover redirect refresh register reject release
remove rename reorder replace reply report request require reserve reset resolve restore restrict retrieve return
reuse review revoke run save schedule search see select send set setup share show sign sort specify start stop store
submit subscribe suggest switch sync tag take test track take transfer translate trigger unlock unsubscribe update
upgrade upload use validate verify view vote watch withdraw write
""".split())
_FOLLOWS_VERB = frozenset("the a an my our their his her its this these those all any some each every it them me us "
                          "new existing multiple".split())


@dataclass(frozen=True)
class ParsedStory:
    """A story split into its parts (indicators keep the author's words)."""

    text: str
    role: str = ""
    means: str = ""
    ends: str = ""
    role_indicator: str = ""
    means_indicator: str = ""
    ends_indicator: str = ""

    @property
    def template(self) -> tuple[str, str, str]:
        """The story's template: normalised role, means and (when present) benefit indicators."""
        role = "as a" if re.fullmatch(r"as\s+(?:an?|the)", self.role_indicator.lower()) else self.role_indicator.lower()
        means = _WS.sub(" ", self.means_indicator.lower()).replace("'d", "would").replace("'m", "am")
        means = re.sub(r"\s+to$", "", means)
        return role, means, _WS.sub(" ", self.ends_indicator.lower())


@dataclass
class StoryReport:
    """The defects of one story (``pm_todo`` tells a placeholder left for the PM apart from defects)."""

    defects: list[tuple[str, str]] = field(default_factory=list)
    pm_todo: bool = False

    @property
    def kinds(self) -> list[str]:
        """The defect kinds found (one entry per defect)."""
        return [kind for kind, _ in self.defects]


def normalise_space(text: str) -> str:
    """Whitespace runs collapsed, ends stripped, no space before , ; : . ! ?."""
    return re.sub(r"\s+([,;:.!?])", r"\1", _WS.sub(" ", str(text))).strip()


def article(noun: str) -> str:
    """'a' or 'an' by sound: 'a user', 'an hour', 'a European', 'an SMB customer', 'a UI designer'."""
    word = re.sub(r"^[^A-Za-z0-9]+", "", str(noun)).split(" ", 1)[0]
    if not word:
        return "a"
    lower = word.lower()
    if word.isupper() and len(word) > 1 and word.isalpha():  # an acronym is read letter by letter
        return "an" if lower[0] in "aefhilmnorsx" else "a"
    if re.match(r"(?:hour|honest|honou?r|heir)", lower):
        return "an"
    if re.match(r"(?:u[bcdfgjklmnprstvz][aeiouy]|uni|use|usu|ure|uti|eu|ew|one\b|once|ouija)", lower):
        return "a"
    return "an" if lower[0] in "aeiou" else "a"


def fix_article_before(text: str) -> str:
    """Every 'a'/'an' before a word made to agree with it ('an user' → 'a user')."""
    def repl(match: re.Match[str]) -> str:
        if _acronym(match.group(2)):
            return match.group(0)
        wanted = article(match.group(2))
        if match.group(1)[0].isupper():
            wanted = wanted.capitalize()
        return f"{wanted} {match.group(2)}"
    return re.sub(r"\b(an?|An?|AN?)\s+([A-Za-z][\w'-]*)", repl, text)


def parse(text: str) -> ParsedStory:
    """Split a backlog line into role, means and benefit; unparsed parts stay empty."""
    clean = normalise_space(str(text).lstrip("\ufeff"))
    match = _STORY.match(clean)
    if not match:
        return ParsedStory(text=clean)
    means, ends, ends_indicator = match.group("means").strip(), "", ""
    tail = next((m for m in (pattern.search(means) for pattern in _ENDS) if m), None)
    if tail:
        means, ends, ends_indicator = means[: tail.start()].strip(), tail.group("ends").strip(), tail.group("ei")
    return ParsedStory(text=clean, role=match.group("role").strip(" ,"), means=means.strip(" ,"),
                       ends=ends, role_indicator=match.group("ri"), means_indicator=match.group("mi"),
                       ends_indicator=ends_indicator)


def from_fields(as_a: str, i_want: str, so_that: str) -> ParsedStory:
    """A drafted story (artifact fields) as the sentence it renders to."""
    role = normalise_space(as_a)
    role = re.sub(r"^(?:an?|the)\s+", "", role, flags=re.IGNORECASE)
    means, ends = normalise_space(i_want), normalise_space(so_that)
    text = f"As {article(role)} {role}, I want {means}" + (f", so that {ends}" if ends else "") + "."
    return ParsedStory(text=text, role=role, means=means, ends=ends, role_indicator=f"As {article(role)}",
                       means_indicator="I want", ends_indicator="so that" if ends else "")


def _words(text: str) -> list[str]:
    return re.findall(r"[A-Za-z][A-Za-z'-]*", text.lower())


def _two_actions(means: str) -> bool:
    """Whether a conjunction in the means joins two actions (AQUSA's atomic criterion, verb-aware)."""
    body = re.sub(r"^(?:to\s+|be\s+able\s+to\s+)", "", means.strip(), flags=re.IGNORECASE)
    pieces = _CONJ.split(body)
    if len(pieces) < 2:
        return False
    first = _words(pieces[0])
    for piece in pieces[1:]:
        after = _words(piece)
        if not after:
            continue
        head = after[1] if after[0] in ("to", "also", "then") and len(after) > 1 else after[0]
        if head in ("i", "we", "be"):
            return True
        if head in ACTION_VERBS and (after[0] == "to" or len(after) == 1 or after[1] in _FOLLOWS_VERB
                                     or (first and first[-1] in ACTION_VERBS) or (first and first[0] in ACTION_VERBS
                                                                                    and len(first) <= 1)):
            return True
    return False


def asks_two(means: str) -> bool:
    """Whether a means asks for two actions joined by a conjunction ('to see and edit my children').

    The atomic criterion: 'export and share' is two; one action on a compound object ('a map where the buildings
    and rooms are') is one capability.
    """
    return _two_actions(means)


def _dangling(part: str) -> bool:
    words = _words(re.sub(re.escape(PM_TODO), "", part, flags=re.IGNORECASE))
    return bool(words) and words[-1] in _DANGLING


def _acronym(word: str) -> bool:
    return len(word) > 1 and word.isupper()


def _wrong_article(text: str) -> str | None:
    """The first 'a/an + word' whose article disagrees (acronyms may be read as letters or as a word)."""
    for match in re.finditer(r"\b(an?)\s+([A-Za-z][\w'-]*)", text, flags=re.IGNORECASE):
        if not _acronym(match.group(2)) and match.group(1).lower() != article(match.group(2)):
            return match.group(0)
    return None


def _count(n: int, one: str, many: str | None = None) -> str:
    """'1 story', '2 stories', '0 defects'."""
    return f"{n} {one if n == 1 else (many or one + 's')}"


def check_story(story: ParsedStory) -> StoryReport:
    """The defects of one story on its own (uniform and unique need the set: :func:`check_set`)."""
    report = StoryReport(pm_todo=bool(_PM.search(story.text)))
    if not story.role or not story.means:
        missing = "role" if not story.role else "means"
        report.defects.append(("well_formed", f"no {missing}: write 'As a <role>, I want <capability>'"))
        if not story.means and not story.role:
            return report
    if _BRACKETS.search(story.role):
        report.defects.append(("role_brackets", f"brackets in the role '{story.role}'"))
    if story.means and _two_actions(story.means):
        report.defects.append(("atomic", "asks for more than one capability: split it"))
    rest = _PM.sub("", f"{story.means} {story.ends}")
    trailing = len([s for s in split_sentences(story.ends or story.means) if s.strip(" .")]) > 1
    if _BRACKETS.search(rest) or "..." in rest or "…" in rest:
        report.defects.append(("minimal", "brackets or an ellipsis: move the note out of the story"))
    elif trailing and story.role:
        report.defects.append(("minimal", "extra sentence after the story: move it to the notes or criteria"))
    wrong = _wrong_article(story.text)
    if any(_dangling(p) for p in (story.means, story.ends) if p):
        report.defects.append(("full_sentence", "a part ends mid-clause"))
    elif wrong:
        report.defects.append(("full_sentence", f"wrong article: '{wrong}'"))
    elif story.means_indicator and not _words(story.means):
        report.defects.append(("full_sentence", "no capability after 'I want'"))
    elif _fragment(story.means):
        report.defects.append(("full_sentence", f"'I want {story.means}' names no capability: say what they want "
                                                "to do or have"))
    return report


def _fragment(means: str) -> bool:
    """A means that is one bare word, neither an action nor a name ('data', 'users'; not 'SSO', 'to export')."""
    words = means.strip(" .!").split()
    return len(words) == 1 and words[0].isalpha() and words[0].islower() and words[0] not in ACTION_VERBS


_PARTICLES = frozenset("up out in off on down back over".split())
#: Words a name does not end on: it was cut before its object ('problems with my') or its verb ('response time
#: shall', from 'The response time shall be under 2 seconds').
_CUT_END = frozenset("a an the of to for with from by at in on my your our their his her its and or "
                     "shall must should will can".split())


def complete_phrase(name: str, quotes: Sequence[str]) -> str:
    """A name made whole from the quotes it comes from: 'problems with my top' → 'problems with my top up'.

    A last word the quotes mostly follow with a particle ('top' + 'up') gets it back; dangling end words
    ('with', 'my') are dropped. The name as it is when the quotes do not show how it continues.
    """
    words = name.split()
    if not words:
        return name
    last = re.escape(words[-1])
    follows = Counter(m.group(1).lower() for q in quotes for m in re.finditer(rf"\b{last}\s+(\w+)", q, re.IGNORECASE))
    if follows:
        seen = sum(1 for q in quotes for _ in re.finditer(rf"\b{last}\b", q, re.IGNORECASE))
        particle, count = follows.most_common(1)[0]
        # A particle ('top' + 'up'), or the noun an adjective always qualifies ('authorized' + 'users').
        adjective = re.search(r"(?:ed|al|ive|ful|able)$", words[-1].lower()) and count >= 2
        if (particle in _PARTICLES or adjective) and 2 * count > seen:
            words.append(particle)
    while len(words) > 1 and words[-1].lower() in _CUT_END:
        words.pop()
    return " ".join(words)


def _title_defect(title: str, quotes: Sequence[str]) -> str | None:
    """Why a story's title is a cut phrase ('Fix: problems with my top'), or None."""
    phrase = title.split(":", 1)[-1].strip()
    if not phrase:
        return None
    if ":" not in title and _fragment(phrase.lower()) and not _acronym(phrase):
        return f"the title '{title}' names no capability"
    whole = complete_phrase(phrase, quotes)
    return None if whole == phrase else f"the title '{title}' is cut: '{whole}'"


_MARK = re.compile(r"\[s:[^\]]*\]|“[^”]*”|\d+(?:\.\d+)?")


def _criteria_key(criterion: str, role: str) -> str:
    """A criterion without its citations, quotes, numbers and role: what stays is its template."""
    text = _MARK.sub(" ", criterion)
    if role:
        text = re.sub(rf"\b{re.escape(role)}\b", " ", text, flags=re.IGNORECASE)
    return " ".join(_words(text))


def _key(text: str) -> str:
    return " ".join(_words(text))


def check_set(stories: Sequence[ParsedStory]) -> list[StoryReport]:
    """Every story's defects, including the set-level ones (uniform, unique)."""
    reports = [check_story(s) for s in stories]
    templates = Counter(s.template[:2] for s in stories if s.role and s.means)
    benefits = Counter(s.template[2] for s in stories if s.ends_indicator)
    main = templates.most_common(1)[0][0] if templates else None
    main_benefit = benefits.most_common(1)[0][0] if benefits else None
    seen: set[str] = set()
    for story, report in zip(stories, reports, strict=True):
        if main and story.role and story.means and (story.template[:2] != main or (
                story.ends_indicator and story.template[2] != main_benefit)):
            report.defects.append(("uniform", f"template differs from the set's '{' … '.join(main)}'"))
        key = _key(story.text)
        if key and key in seen:
            report.defects.append(("unique", "repeats an earlier story"))
        seen.add(key)
    return reports


class StorySummary(TypedDict):
    """Defect counts over a set of stories (the bench's ``story_defects_per_story`` is ``defects_per_story``)."""

    stories: int
    defects: int
    defects_per_story: float
    stories_with_defects: int
    by_kind: dict[str, int]
    pm_todo: int


def summarise(reports: Sequence[StoryReport]) -> StorySummary:
    """Defects per story and per kind, and how many stories carry a PM to-do."""
    counts = Counter(kind for r in reports for kind in r.kinds)
    stories = len(reports)
    return {
        "stories": stories,
        "defects": sum(counts.values()),
        "defects_per_story": round(sum(counts.values()) / stories, 4) if stories else 0.0,
        "stories_with_defects": sum(1 for r in reports if r.defects),
        "by_kind": {kind: counts.get(kind, 0) for kind in DEFECT_KINDS},
        "pm_todo": sum(1 for r in reports if r.pm_todo),
    }


def check_lines(lines: Sequence[str]) -> tuple[list[ParsedStory], list[StoryReport]]:
    """Parse and check backlog lines (blank lines skipped)."""
    parsed = [parse(line) for line in lines if line.strip()]
    return parsed, check_set(parsed)


# --------------------------------------------------------------------------- drafted stories

_FLAG_TEXT = {
    "well_formed": "not well-formed", "role_brackets": "brackets in the role", "atomic": "not atomic",
    "minimal": "not minimal", "full_sentence": "not a full sentence", "uniform": "not uniform",
    "unique": "duplicate", "criteria": "criterion off the story",
}
#: Words that do not say what a story is about (its object): modals, light verbs, generic nouns and fillers.
_NOT_OBJECT = frozenset("""
a an the to be able have has had get make use using used want wants would like need needs can could shall must should
will may is are was were been being it its this that these those all any each every some my our your their his her
i we you they them me us of for with from by at in on into onto as and or but not no so than then also only just very
system systems product application app software site website service tool solution platform user users people person
feature features function functionality way ways thing things time able
""".split())


def _stem(word: str) -> str:
    """A word's first five letters: 'security' ~ 'secure', 'authorized' ~ 'authorization', 'learn' ~ 'learning'."""
    return word[:5]


def object_words(i_want: str, title: str = "") -> set[str]:
    """The stems of what a story is about: the content words of its "I want" (else its title)."""
    words = {_stem(w) for w in _words(_PM.sub(" ", i_want)) if len(w) > 2 and w not in _NOT_OBJECT}
    if not words and title:
        words = {_stem(w) for w in _words(title) if len(w) > 2 and w not in _NOT_OBJECT}
    return words


def off_object(criterion: str, about: set[str]) -> bool:
    """Whether a criterion names none of the story's object words (a template that fits any story)."""
    if not about:
        return False
    return not about & {_stem(w) for w in _words(_PM.sub(" ", criterion))}


def fix_story(story: dict[str, Any]) -> dict[str, Any]:
    """The safe fixes of one drafted story: whitespace, a leading article in the role, articles."""
    fixed = dict(story)
    for part in ("as_a", "i_want", "so_that"):
        fixed[part] = fix_article_before(normalise_space(str(fixed.get(part) or "")))
    fixed["as_a"] = re.sub(r"^(?:an?|the)\s+", "", fixed["as_a"], flags=re.IGNORECASE)
    so_that = fixed["so_that"]
    so_that = re.sub(r"^(?:so\s+that|so)\s+", "", so_that, flags=re.IGNORECASE)
    fixed["so_that"] = so_that.rstrip(" .") if so_that != PM_TODO else so_that
    fixed["i_want"] = re.sub(r"^i\s+want\s+", "", fixed["i_want"], flags=re.IGNORECASE).rstrip(" ,.")
    fixed["acceptance_criteria"] = [fix_article_before(normalise_space(c))
                                    for c in fixed.get("acceptance_criteria") or []]
    return fixed


_STORY_REF = re.compile(r"\bS(\d+)\b")


def renumber_references(lines: Any, renamed: Mapping[str, str]) -> Any:
    """``lines`` with every story id ('S7') said in them as the story it became after merging and renumbering.

    The ids are replaced all at once ('S2' → 'S1' and 'S3' → 'S2' never chain); a line that then says what an
    earlier line says (a merged duplicate's success metric) is dropped; an id no story had is left as written.
    """
    if not isinstance(lines, list) or not renamed or all(old == new for old, new in renamed.items()):
        return lines
    out: list[Any] = []
    for line in lines:
        if isinstance(line, str):
            line = _STORY_REF.sub(lambda m: renamed.get(m.group(0), m.group(0)), line)
            if line in out:
                continue
        out.append(line)
    return out


def review_requirements(doc: dict[str, Any], evidence: Mapping[str, Mapping[str, Any]] | None = None
                        ) -> dict[str, Any]:
    """A requirements artifact with safe fixes applied and the remaining defects flagged.

    Duplicate stories (same role, capability and benefit) are merged into the first, their citations
    united; stories are renumbered, and the goals, open questions and success metrics that name a story by its
    id ('S7') name it by its new one (:func:`renumber_references`). Each story gets ``flags`` (defects and the PM
    to-do), the document ``quality_notes`` (one line per flagged story and a summary). With the run's
    ``evidence`` (signal id → row), a title cut before its end ('… my top' where the quotes say 'top up')
    is flagged too.
    """
    stories: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    merged = 0
    into: list[tuple[str, int]] = []  # each story's id as drafted → the position of the story it became
    for raw in doc.get("stories") or []:
        story = fix_story(raw)
        key = _key(f"{story['as_a']} {story['i_want']} {story['so_that']}")
        if key in index:
            first = stories[index[key]]
            first["citations"] = list(dict.fromkeys([*first.get("citations", []), *story.get("citations", [])]))
            merged += 1
            into.append((str(raw.get("id") or ""), index[key]))
            continue
        index[key] = len(stories)
        into.append((str(raw.get("id") or ""), len(stories)))
        stories.append(story)
    for i, story in enumerate(stories, 1):
        story["id"] = f"S{i}"
    renamed = {old: f"S{i + 1}" for old, i in into if old}
    doc = {**doc, **{name: renumber_references(doc.get(name), renamed)
                     for name in ("goals", "open_questions", "success_metrics") if doc.get(name)}}
    reports = check_set([from_fields(s["as_a"], s["i_want"], s["so_that"]) for s in stories])
    rows = evidence or {}
    # A criterion every story shares, but for its citations and quotes, is a template, not this story's test.
    keys = [{_criteria_key(c, str(s["as_a"])) for c in s.get("acceptance_criteria") or [] if not _PM.search(c)}
            for s in stories]
    shared = Counter(k for ks in keys for k in ks)
    for story, report, own in zip(stories, reports, keys, strict=True):
        about = object_words(str(story["i_want"]), str(story.get("title") or ""))
        for i, criterion in enumerate(story.get("acceptance_criteria") or [], 1):
            if off_object(str(criterion), about):
                report.defects.append(("criteria", f"criterion {i} does not mention what the story is about "
                                                   f"('{story['i_want']}'): state its test for this capability"))
        if any(shared[k] > 1 for k in own):
            report.defects.append(("unique", "acceptance criteria are the same template as another story's: "
                                             "state this situation's action and outcome"))
        quotes = [str(rows[sid].get("quote") or "") for sid in story.get("citations") or [] if sid in rows]
        cut = _title_defect(str(story.get("title") or ""), quotes)
        if cut:
            report.defects.append(("full_sentence", cut))
    flagged: dict[str, list[str]] = {}  # a defect → the stories it is flagged on (one note for all of them)
    for story, report in zip(stories, reports, strict=True):
        flags = [f"{_FLAG_TEXT[kind]}: {message}" for kind, message in report.defects]
        if report.pm_todo:
            flags.append(f"PM to-do: {PM_TODO} marks what the evidence does not state")
        story["flags"] = flags
        for flag in flags:
            if not flag.startswith("PM to-do"):
                flagged.setdefault(flag, []).append(str(story["id"]))
    notes = [f"{', '.join(ids)} {flag}" for flag, ids in flagged.items()]
    summary = summarise(reports)
    if stories:
        notes.append(f"Story quality (QUS): {_count(summary['defects'], 'defect')} in "
                     f"{_count(summary['stories'], 'story', 'stories')}"
                     + (f"; {_count(merged, 'duplicate story', 'duplicate stories')} merged" if merged else "")
                     + (f"; {_count(summary['pm_todo'], 'story leaves', 'stories leave')} the benefit to the PM"
                        if summary["pm_todo"] else "")
                     + ".")
    return {**doc, "stories": stories, "quality_notes": notes}
