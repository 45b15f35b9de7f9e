"""The deliverable registry: what every kind declares, the drafting inputs, and the lookups by kind.

Each kind lives in its own module (``agents/deliverables/<kind>.py``) that builds one
:class:`Deliverable` and passes it to :func:`register`; the package imports the module of every kind
listed in :mod:`kernel.kinds`. The planner (keywords), the writer (drafting, fixes, revisions, checks),
validation (cited lists), publishing (layout) and the run service read the kind's entry here, never a
kind name.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel

from agents.state import ContextCount, DecisionRecord, Finding, NearTheme, PMState, ReviewNote, Topic
from kernel import kinds
from kernel.artifacts import ArtifactBase, Mode
from kernel.schemas import EvidenceRow
from kernel.text import STOPWORDS
from tools import relevance, render
from tools.citations import StoredSignal, ValidationResult, validate_artifact
from tools.research import floor_note
from tools.story_quality import PM_TODO
from tools.topics import same_capability, same_subject

#: How many signals one item (story, section, option) cites at most.
CITES_PER_ITEM = 8


#: Share of a part's own words (their IDF mass; the words no other part of the goal has) that one kept signal of the
#: goal's topics must name to stand for that part. Half: 'cash withdrawal' names half of 'ATM withdrawals'; an
#: exchange-rate message names only 'rates' of 'mortgage rates', whose 'mortgage' the workspace never uses (the heavier
#: word).
PART_COVERAGE = 0.5


def _base(token: str) -> str:
    """A coverage token without a plural s the light stemmer leaves on short words ('ups' → 'up')."""
    return token[:-1] if len(token) >= 3 and token.endswith("s") and not token.endswith("ss") else token


def _stem_match(a: str, b: str) -> bool:
    """Whether two words are of one stem.

    Equal, one a prefix of the other (4+ letters: 'detect' / 'detection'), or sharing all but the last two letters of
    the shorter, 5+ ('invite' / 'invitation', 'withdrew' / 'withdrawal').
    """
    a, b = _base(a), _base(b)
    if a == b:
        return True
    short = min(len(a), len(b))
    if short >= 4 and (a.startswith(b) or b.startswith(a)):
        return True
    common = len(os.path.commonprefix([a, b]))
    return common >= 5 and common >= short - 2


def _names(term: str, words: set[str]) -> bool:
    """Whether ``words`` (coverage tokens of a text) hold ``term`` or a word of its stem (:func:`_stem_match`)."""
    return any(_stem_match(term, w) for w in words)


def part_terms(part: str, others: Iterable[str], background: relevance.Background | None = None) -> dict[str, float]:
    """The words that make ``part`` this part (none of ``others`` has them), with their IDF in ``background``.

    'ATM withdrawals charged at the wrong exchange rate' beside 'card payments charged at …' → atm, withdrawal: the
    phrase the parts share says nothing about which part a signal is about. All its words when every one is shared;
    without a background each weighs 1.
    """
    terms = relevance.query_terms(part, background) if background is not None \
        else dict.fromkeys(relevance.coverage_tokens(part), 1.0)
    terms = {t: w for t, w in terms.items() if _base(t) not in STOPWORDS} or terms  # 'top-ups' → top (not 'ups')
    shared = {_base(t) for o in others for t in relevance.coverage_tokens(o)}
    return {t: w for t, w in terms.items() if _base(t) not in shared} or terms


def part_coverage(terms: Mapping[str, float], text: str) -> float:
    """Share of the IDF mass of ``terms`` that ``text`` names (0..1; a word's stem counts, :func:`_names`)."""
    total = sum(terms.values())
    if total <= 0:
        return 1.0
    words = set(relevance.coverage_tokens(text))
    return sum(w for t, w in terms.items() if _names(t, words)) / total


def own_words(part: str, terms: Mapping[str, float]) -> str:
    """The words of ``part`` that :func:`part_terms` kept ('ATM withdrawals charged at …': 'ATM withdrawals')."""
    return " ".join(w for w in part.split() if set(relevance.coverage_tokens(w)) & set(terms))


def _about_part(workspace: str, words: str, rows: list[tuple[str, str]]) -> bool:
    """Whether a stored signal of ``rows`` reaches the relevance floor for the part's own ``words``.

    A paraphrase counts ('pulling out cash' for 'ATM withdrawals'); False without a workspace.
    """
    if not workspace or not rows or not words:
        return False
    return any(s.relevance >= relevance.FITTED.floor for s in relevance.score_signals(workspace, words, rows))


def uncovered_parts(plan: Mapping[str, Any], research: Iterable[Mapping[str, Any]], topics: Iterable[Mapping[str, Any]],
                    evidence: Mapping[str, Mapping[str, Any]], workspace: str = "") -> list[str]:
    """One line per part of a multi-part goal that no topic stands for, with what was searched and kept.

    A goal that lists its parts ("response time and system availability") has one search per part
    (``scope`` "search", two or more of them). A part is covered when a signal of the run's topics, kept for the part's
    own search or for the whole goal's, names at least :data:`PART_COVERAGE` of the part's own words
    (:func:`part_terms`, IDF-weighted in ``workspace``'s background sample) or — for a part that shares a phrase with
    the others — reaches the relevance floor for its own words as a query (:func:`own_words`; a paraphrase counts,
    'pulling out cash' for 'ATM withdrawals'): the whole goal's search often finds a part
    its own narrower query missed, and a part's search may keep signals about the words it shares with the other parts
    only ('mortgage rates' keeping exchange-rate messages). An uncovered part — nothing reached the relevance floor, or
    what did was too thin, off the goal or about something else — is named, so a document never drops half of its goal
    silently. Said in every document and in ``run.json``.
    """
    questions = plan.get("questions") or []
    parts = [q for q in questions if q.get("scope") == "search" and q.get("query")]
    if len(parts) < 2 or own_evidence_only(plan.get("deliverables") or []):
        return []
    whole = {str(q["id"]) for q in questions if q.get("scope") == "landscape"}
    used = {sid for t in topics for sid in t.get("signal_ids") or []}
    records = {str(r.get("question_id")): r for r in research}
    background = relevance.background(workspace) if workspace else None
    out = []
    for question in parts:
        others = [str(q["query"]) for q in parts if q is not question]
        terms = part_terms(str(question["query"]), others, background)
        own = own_words(str(question["query"]), terms)  # the part's search already judged the part as a whole
        found = [sid for sid, row in evidence.items() if question["id"] in (row.get("questions") or [])
                 and not row.get("context")]
        candidates = [sid for sid, row in evidence.items() if sid in used and not row.get("context")
                      and {question["id"], *whole} & set(row.get("questions") or [])]
        rows = [(sid, str(evidence[sid].get("quote") or "")) for sid in candidates]
        if any(part_coverage(terms, text) >= PART_COVERAGE for _, text in rows) \
                or (own != question["query"] and _about_part(workspace, own, rows)):
            continue
        record = records.get(str(question["id"])) or {}
        searched, kept = int(record.get("searched") or 0), int(record.get("kept") or len(found))
        hint = floor_note(record)  # many candidates name the part's words but were judged off topic
        if hint and kept <= THIN_PART:
            out.append(f"{'Too little' if kept else 'No'} evidence for '{question['query']}', a part of the goal: "
                       f"{kept} signal{'s' if kept != 1 else ''} kept of {searched} searched. {hint}")
        elif not kept:
            out.append(f"No evidence found for '{question['query']}', a part of the goal (searched: "
                       f"'{question['query']}', {searched} signals; none reached the relevance floor).")
        elif kept <= THIN_PART:
            out.append(f"Too little evidence for '{question['query']}', a part of the goal: {kept} "
                       f"signal{'s' if kept != 1 else ''} kept of {searched} searched, no topic stands for "
                       f"{'them' if kept != 1 else 'it'}.")
        else:
            out.append(f"No topic stands for '{question['query']}', a part of the goal (searched: "
                       f"'{question['query']}', {searched} signals; {kept} reached the relevance floor, too far off "
                       "the goal or not about it to stand for a topic).")
    return out


#: Signals kept for a part of a goal that are too few to form a topic: said as "too little evidence", not "none".
THIN_PART = 2


def own_evidence_only(kinds: Iterable[str]) -> bool:
    """Whether no deliverable of ``kinds`` needs user evidence (a status update reads the commits).

    No goal-relevance warning is due for such a run: there is no goal evidence to be short of.
    """
    known = [k for k in kinds if k in DELIVERABLES]
    return bool(known) and not any(DELIVERABLES[k].needs_signals for k in known)


#: Share of an earlier decision's cited signals (of each of its items) that must be in this run's goal topics for it
#: to be shown. Calibrated on labelled pairs of goals (BANKING77 and user-stories backlogs, offline runs): an
#: earlier decision on the same goal had 8 of its 8 cited signals in the new run's topics; one on another goal —
#: even a neighbouring one ('pending' vs 'declined' card payments, card payments vs ATM withdrawals at the wrong
#: exchange rate) — 0 to 3 of 8.
DECISION_SHARE = 0.5


def _about(citations: Iterable[str], relevant: set[str]) -> bool:
    cited = list(dict.fromkeys(citations))
    return bool(cited) and sum(sid in relevant for sid in cited) >= DECISION_SHARE * len(cited)


def _item_text(text: str) -> str:
    """An item of a recommendation without its id and priority ('S1: to export (high)' → 'to export')."""
    return re.sub(r"\s*\((?:high|medium|low|must|should|could)\)\s*$", "", text.split(": ", 1)[-1], flags=re.I)


def decisions_about_goal(decisions: Iterable[DecisionRecord], topics: Iterable[Mapping[str, Any]],
                         goals: Iterable[str]) -> list[DecisionRecord]:
    """The earlier decisions about this goal, each naming only its parts (stories) that are about it.

    The decision log returns the decisions nearest the goal's query, whatever they decided. A decision, or each of
    its ``items`` when it was logged with some (a requirements document's stories, each with its citations), is about
    this goal when both:

    * at least :data:`DECISION_SHARE` of the signals it cites are in this run's goal topics — evidence this run kept
      for its own goal (the relevance floor and focus of :mod:`tools.relevance`, then the goal's topics);
    * its question or its own text is about the same subject as the goal or one of its searches
      (:func:`tools.topics.same_subject`, each on its own: a union of queries would match by accident). A broad topic
      of the new run ('ALFRED', every story of one product) holds signals of other goals; this keeps their stories
      out ('a medicine reminder' in a document about emergency calls).

    Only the items about this goal are named; a decision with none is not shown. A decision that cites nothing
    counts by its question alone; one whose recommendation opens with ``[PM to decide]`` decided nothing and is not
    shown.
    """
    relevant = {str(sid) for t in topics for sid in t.get("signal_ids") or []}
    goals = [g for g in goals if g]

    def subject(text: str) -> bool:
        return any(same_subject(text, g) for g in goals)

    out: list[DecisionRecord] = []
    for d in decisions:
        if str(d.get("recommendation") or "").lstrip().startswith(PM_TODO):  # left to the PM: nothing was decided
            continue
        asked = subject(str(d.get("question") or ""))
        items = [i for i in d.get("items") or [] if i.get("text")]
        if items:
            kept = [i for i in items if _about(i.get("citations") or [], relevant)
                    and (asked or subject(_item_text(str(i["text"]))))]
            if kept:
                out.append({**d, "items": kept, "recommendation": "; ".join(str(i["text"]) for i in kept),
                            "citations": list(dict.fromkeys(str(c) for i in kept for c in i.get("citations") or []))})
        elif d.get("citations"):
            if _about(d.get("citations") or [], relevant) and (asked or subject(str(d.get("recommendation") or ""))):
                out.append(d)
        elif asked:
            out.append(d)
    return out


@dataclass
class Materials:
    """Everything a drafting function may use (read from state)."""

    goal: str
    focus: str
    audience: str
    mode: Mode
    evidence: dict[str, EvidenceRow]
    topics: list[Topic]
    criteria: dict[str, float]
    findings: list[Finding]
    decisions: list[DecisionRecord]
    has_strategy: bool
    feedback: str | None = None
    fixes: list[ReviewNote] = field(default_factory=list)
    workspace: str = ""
    repo: str | None = None
    since: str | None = None
    until: str | None = None
    strategy: dict[str, Any] | None = None
    context: list[ContextCount] = field(default_factory=list)
    searched: list[str] = field(default_factory=list)
    near: list[NearTheme] = field(default_factory=list)
    uncovered: list[str] = field(default_factory=list)

    @classmethod
    def from_state(cls, state: PMState) -> Materials:
        """Collect the drafting inputs from graph state."""
        plan = state["plan"]
        scores = state.get("scores") or {}
        return cls(
            goal=state["goal"], focus=plan.get("focus") or state["goal"], audience=plan.get("audience") or "exec",
            mode="llm" if state.get("mode") == "llm" else "offline", evidence=state.get("evidence") or {},
            topics=scores.get("topics") or [], criteria=scores.get("criteria") or {},
            findings=state.get("findings") or [], decisions=state.get("decisions") or [],
            has_strategy=bool(scores.get("strategy")), feedback=state.get("human_feedback"),
            fixes=state.get("review_notes") or [], workspace=state.get("workspace") or "",
            repo=state.get("repo"), since=state.get("since"), until=state.get("until"), strategy=state.get("strategy"),
            context=scores.get("context") or [], searched=scores.get("searched") or [],
            near=scores.get("near") or [],
            uncovered=uncovered_parts(plan, state.get("research") or [], scores.get("topics") or [],
                                      state.get("evidence") or {}, state.get("workspace") or "")
            if scores.get("relevant") else [],
        )

    def __post_init__(self) -> None:
        """Earlier decisions count only when they are about this goal (:func:`decisions_about_goal`)."""
        self.decisions = decisions_about_goal(self.decisions, self.topics, [self.focus, *self.searched])

    def also(self) -> str:
        """Parts of the goal no topic stands for, then context: what was found next to the goal, the other themes.

        The parts come from :func:`uncovered_parts`; then 'Found next to the goal, not about it: accept this card
        (10 signals) …' and 'Users also talk about …';
        empty without either.
        """
        parts = list(self.uncovered)
        names = [t["name"] for t in self.topics if t["signal_ids"]]
        # Named like a topic of the goal ('sync' next to 'sync'): listing it would read as a contradiction.
        near = [n for n in self.near if int(n.get("size") or 0) >= 3
                and not any(same_capability(n["label"], name) for name in names)][:3]
        if near:
            parts.append("Found next to the goal, not about it: " + ", ".join(
                f"{n['label']} ({n['size']} signals)" for n in near) + " — not used as evidence.")
        if self.context:
            parts.append("Users also talk about: " + ", ".join(
                f"{c['label']} ({c['size']} signals)" for c in self.context[:5])
                + " — context only, not part of this goal.")
        return " ".join(parts)

    def nothing_found(self) -> str:
        """What to say when no relevant evidence was found: plainly, with what was searched."""
        searched = "; ".join(f"'{q}'" for q in dict.fromkeys(self.searched)) or f"'{self.focus}'"
        if self.near:
            close = sum(int(n.get("size") or 0) for n in self.near)
            return f"Not enough relevant evidence was found: the user memory was searched for {searched}; {close} " \
                   f"signal{'s' if close != 1 else ''} came near it, too few or too far off to stand for a topic."
        return f"No relevant evidence was found: the user memory was searched for {searched} and nothing stored is " \
               f"about it."

    def off_goal(self) -> set[str]:
        """Evidence ids that are in the run but in none of the goal's topics (context): never cited."""
        relevant = {sid for t in self.topics for sid in t["signal_ids"]}
        return {sid for sid in self.evidence if sid not in relevant}

    def ranked(self, kind: str | None = None) -> list[Topic]:
        """Topics with evidence, strongest RICE first (optionally of one kind)."""
        topics = [t for t in self.topics if t["signal_ids"] and (kind is None or t["kind"] == kind)]
        return sorted(topics, key=lambda t: (-t["rice"]["score"], t["id"]))

    def cites(self, ids: list[str], limit: int = CITES_PER_ITEM) -> list[str]:
        """The strongest ``limit`` ids of ``ids`` (by retrieval score), known evidence only."""
        known = [sid for sid in ids if sid in self.evidence]
        return sorted(known, key=lambda s: (-float(self.evidence[s].get("score") or 0.0), s))[:limit]

    def topic_cites(self, topic: Topic, limit: int = CITES_PER_ITEM) -> list[str]:
        """The ids a topic's item cites: in the scorer's order when it ranked them (``ranked``), else by score."""
        if topic.get("ranked"):
            return [sid for sid in topic["signal_ids"] if sid in self.evidence][:limit]
        return self.cites(topic["signal_ids"], limit)

    def evidence_for(self, ids: list[str]) -> list[dict[str, Any]]:
        """Evidence entries (contract shape) of cited ids."""
        out, seen = [], set()
        for sid in ids:
            if sid in self.evidence and sid not in seen:
                seen.add(sid)
                row = self.evidence[sid]
                out.append({"signal_id": sid, "quote": row["quote"], "source": row["source"],
                            "user_id": row.get("user_id")})
        return out

#: Characters a document title holds at most (the goal is cut at a word, with '…').
TITLE_CHARS = 120
#: A goal's opening that names the document it asks for ('Requirements for …', 'Write a leadership brief on …', 'Draft
#: requirements so that …', 'a brief for the director on …'): the title says it. A modifier that says what the document
#: is about ('security requirements') is not an opening: the goal stays whole.
_ASKED_FOR = re.compile(
    r"^\s*(?:(?:please\s+)?(?:draft|write|prepare|create|produce|give\s+me)\s+(?:an?\s+|the\s+|some\s+)?"
    r"(?:(?:leadership|exec|executive|short|quick|one-page|detailed|high-level|new|first|product)\s+){0,2})?"
    r"(?:(?:product\s+)?requirements|prd|brief|memo|user\s+stories|stories)"
    r"(?:\s+for\s+(?:the\s+|our\s+|a\s+)?[\w-]+(?:\s+[\w-]+){0,3}?(?=\s+(?:on|about)\s))?"  # '… for the director on'
    r"\s+(?:for|on|about|of|so\s+that|to|that)\s+",
    re.IGNORECASE)


def doc_title(head: str, goal: str) -> str:
    """A document's title: ``head`` and the goal, without the goal's 'Requirements for' and cut at a word.

    'Requirements: how attendees find sessions …', never 'Requirements: Requirements for how …' nor a word cut
    in half at the length limit ('… at the conferenc').
    """
    goal = " ".join(goal.split())
    rest = _ASKED_FOR.sub("", goal, count=1) or goal
    text = f"{head}: {rest[:1].upper()}{rest[1:]}" if rest != goal else f"{head}: {goal}"
    if len(text) <= TITLE_CHARS:
        return text
    cut = text[:TITLE_CHARS - 1].rsplit(" ", 1)[0].rstrip(" ,;:")
    return f"{cut}…"


P = TypeVar("P", bound=BaseModel)


def parts(model: type[P], items: Iterable[Mapping[str, Any]]) -> list[P]:
    """``items`` validated as parts of a document (its stories, themes, options, evidence …)."""
    return [model.model_validate(item) for item in items]


DraftFn = Callable[[Materials], dict[str, Any]]
CompleteFn = Callable[[BaseModel, Materials], dict[str, Any]]
EditFn = Callable[[dict[str, Any], Materials], dict[str, Any]]
#: A kind's review: (draft, the scored topics, whether coverage is checked) -> fixes for the writer.
ReviewFn = Callable[[Mapping[str, Any], list[Topic], bool], list[ReviewNote]]
CollectFn = Callable[[Materials], dict[str, EvidenceRow]]
#: What a run logs as its decision: (recommendation, rationale, cited signal ids).
Decision = tuple[str, str, list[str]]


@dataclass(frozen=True)
class Deliverable:
    """A deliverable kind the planner may choose and the writer can draft.

    Attributes:
        kind: The kind's name, one of :data:`kernel.kinds.DELIVERABLE_KINDS`.
        model: The artifact's pydantic model (``kernel.artifacts``); drafts are validated against it.
        keywords: Words in a goal that make the planner pick this kind.
        draft_offline: The deterministic drafter.
        llm_schema: The structured-output schema of the model's draft (its docstrings are the prompt's
            contract); without one the kind is always drafted offline.
        complete_llm: Turns the model's draft into the artifact (ids, scores, counts computed here).
        collect: Gathers extra evidence rows before drafting (commits, meeting turns …).
        layout: The Markdown body layout (``tools.render``).
        cited_lists: Lists whose items must cite evidence: validation drops an item left without any.
        note_field: Where notes about dropped items or an unavailable model go.
        fix: Applies the scorer's review fixes to a draft (mechanical, no model call).
        revise: Applies a PM's revision offline.
        check: Runs on every draft, offline or a model's (the story-quality check).
        review: The scorer's review of a draft: specific fixes (:func:`fix_note`) sent back to the writer.
        goal_topics: Drafted from the goal's topics: the model sees and may cite only their evidence.
        needs_signals: False when the kind can be drafted with no ingested signal (a status update).
        decision: What the run logs to the decision log from this kind's document.
        decision_rank: Which kind's decision is logged when several are drafted (highest first).
    """

    kind: str
    model: type[ArtifactBase]
    keywords: tuple[str, ...]
    draft_offline: DraftFn
    llm_schema: type[BaseModel] | None = None
    complete_llm: CompleteFn | None = None
    collect: CollectFn | None = None
    layout: render.Layout | None = None
    cited_lists: tuple[str, ...] = ()
    note_field: str | None = None
    fix: EditFn | None = None
    revise: EditFn | None = None
    check: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    review: ReviewFn | None = None
    goal_topics: bool = False
    needs_signals: bool = True
    decision: Callable[[Mapping[str, Any]], Decision] | None = None
    decision_rank: int = 0


#: Every registered kind, in :data:`kernel.kinds.DELIVERABLE_KINDS` order once the package is imported.
DELIVERABLES: dict[str, Deliverable] = {}


def register(deliverable: Deliverable) -> Deliverable:
    """Add a deliverable kind to the registry; its kind must be listed in :mod:`kernel.kinds`."""
    if deliverable.kind not in kinds.DELIVERABLE_KINDS:
        raise ValueError(f"deliverable kind {deliverable.kind!r} is not listed in kernel.kinds.DeliverableKind")
    DELIVERABLES[deliverable.kind] = deliverable
    # kernel.kinds order whatever order the modules are imported in (a kind's module may import another kind's)
    ordered = sorted(DELIVERABLES.items(), key=lambda item: kinds.DELIVERABLE_KINDS.index(item[0]))
    DELIVERABLES.clear()
    DELIVERABLES.update(ordered)
    return deliverable


def render_markdown(artifact: Mapping[str, Any], *, escaped: bool = False) -> str:
    """The Markdown document of an artifact, with its kind's layout (``tools.render.render_markdown``)."""
    spec = DELIVERABLES.get(str(artifact.get("kind")))
    return render.render_markdown(artifact, escaped=escaped, layout=spec.layout if spec else None)


def validate(artifact: Mapping[str, Any], stored: Mapping[str, StoredSignal],
             run_evidence: Mapping[str, str]) -> ValidationResult:
    """Validate an artifact's citations with its kind's cited lists and note field (``tools.citations``)."""
    spec = DELIVERABLES.get(str(artifact.get("kind")))
    if spec is None:
        return validate_artifact(artifact, stored, run_evidence)
    return validate_artifact(artifact, stored, run_evidence, cited_lists=spec.cited_lists,
                             note_field=spec.note_field)


def fix_note(kind: str, target: str, problem: str, fix: str) -> ReviewNote:
    """One fix the review asks for: which document, which item, what is wrong and what to do."""
    return {"kind": kind, "target": target, "problem": problem, "fix": fix}


def review_drafts(drafts: Mapping[str, Mapping[str, Any]], topics: list[Topic], *, coverage: bool = True
                  ) -> list[ReviewNote]:
    """Every kind's review of its draft: specific fixes (empty when the drafts pass).

    ``coverage=False`` skips rules about what a draft leaves out (after a PM's revision, the PM decides).
    """
    notes: list[ReviewNote] = []
    for kind, spec in DELIVERABLES.items():
        if spec.review is not None and drafts.get(kind) is not None:
            notes += spec.review(drafts[kind], topics, coverage)
    return notes


def check_drafts(drafts: Mapping[str, Mapping[str, Any]]) -> None:
    """Validate every draft against its kind's artifact model; the drafts themselves are left as they are.

    Raises:
        pydantic.ValidationError: a draft holds a key its model does not declare, or a value of the wrong shape.
    """
    for kind, doc in drafts.items():
        spec = DELIVERABLES.get(kind)
        if spec is not None:
            spec.model.model_validate(doc)


def with_note(doc: dict[str, Any], field_name: str, note: str) -> dict[str, Any]:
    """``doc`` with ``note`` appended to its list ``field_name``."""
    return {**doc, field_name: [*(doc.get(field_name) or []), note]}


def revision_text(m: Materials) -> str:
    """The PM's revision request, stripped ('' when there is none)."""
    return (m.feedback or "").strip()
