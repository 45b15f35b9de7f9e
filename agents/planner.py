"""Planner: turns the goal into a Plan — deliverables, audience, research questions, options.

Offline, deliverables come from keyword rules and options from the goal's wording ("X before Y",
"X or Y", "X vs Y"); with an LLM, a structured ``Plan`` call decides, and the result is normalised
the same way (known deliverables only, at most three research questions, a landscape question first).
Both modes mark from the goal's wording (and a roadmap deliverable) whether the goal asks for a
landscape ("what should we build next?"): only then do the workspace's themes become candidate topics.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from langchain_core.messages import HumanMessage, SystemMessage
from langgraph.runtime import Runtime
from pydantic import BaseModel, Field

from agents import prompts
from agents.context import RunContext, timed
from agents.deliverables import DELIVERABLES
from agents.state import PMState
from kernel.errors import TransientError
from kernel.llm import LLMUsage, invoke_structured
from kernel.text import split_sentences
from tools.topics import STOPWORDS, stem, topic_words

logger = logging.getLogger(__name__)

MAX_QUESTIONS = 3
DEFAULT_DELIVERABLES = ("requirements", "brief")
AUDIENCES = ("exec", "eng", "sales")


class ResearchQuestion(BaseModel):
    """One question to answer from the user memory."""

    question: str = Field(description="The question, in plain words.")
    query: str = Field(description="A short search query (keywords) for the user memory.")
    focus: str | None = Field(default=None, description="Name of the option this question is about, if any.")
    segment: str | None = Field(default=None, description="Customer segment to restrict the search to, if any.")


class PlannedOption(BaseModel):
    """A candidate option the decision compares."""

    name: str = Field(description="Short name, e.g. 'fix sync bugs'.")
    description: str = Field(default="", description="What choosing this option means.")


class Plan(BaseModel):
    """The plan of a run: what to draft, for whom, and what to research."""

    deliverables: list[str] = Field(description="Deliverable kinds to draft, from the available list.")
    audience: str = Field(default="exec", description="Audience of the brief: exec, eng or sales.")
    questions: list[ResearchQuestion] = Field(description="At most 3 research questions, most important first.")
    options: list[PlannedOption] = Field(
        default_factory=list, description="Alternatives the goal compares; empty when it compares none."
    )


_INSTRUCTION = re.compile(
    r"\b(draft|write|prepare|produce|create|give me|i need)\b|\b(prd|memo|brief)\b", re.IGNORECASE
)
_LEAD = re.compile(
    r"^\s*(?:should|shall|can|could|do|must)\s+we\s+|^\s*(?:whether|decide\s+(?:whether|if))\s+(?:we\s+should\s+|to\s+)?"
    r"|^\s*(?:let'?s|we\s+should)\s+",
    re.IGNORECASE,
)
_SPLIT = re.compile(r"\s+(?:before|instead\s+of|rather\s+than|vs\.?|versus|or)\s+", re.IGNORECASE)
_TAIL = re.compile(r"\s+(?:first|now|next|later|instead|(?:this|next)\s+(?:week|month|quarter|sprint|year|release)|"
                   r"in\s+Q[1-4])\s*$", re.IGNORECASE)


_LANDSCAPE = re.compile(
    r"\bwhat\s+(?:should|shall|could|do|can)\s+(?:we|i)\s+(?:build|do|work\s+on|focus\s+on|prioriti[sz]e|fix)\b"
    r"|\bwhat\s+to\s+(?:build|work\s+on|prioriti[sz]e)\b|\b(?:build|ship|do)\s+next\b|\broadmap\b|\blandscape\b"
    r"|\b(?:biggest|top|main|key|most\s+common)\s+(?:\w+\s+)?(?:pain\s+points?|problems?|issues?|requests?|"
    r"complaints?|themes?|opportunit(?:y|ies)|needs?)\b"
    r"|\bprioriti[sz]e\s+(?:the|our)\s+backlog\b|\boverall\s+(?:user\s+|customer\s+)?feedback\b"
    r"|\bwhat\s+(?:are|do)\s+(?:our\s+)?(?:users|customers)\s+(?:asking\s+for|want(?:ing)?|complaining\s+about)\s*\??$",
    re.IGNORECASE,
)


def wants_landscape(goal: str, deliverables: list[str] | None = None) -> bool:
    """Whether the goal asks for the landscape of what users say ("what should we build next?", a roadmap)."""
    return bool(_LANDSCAPE.search(goal)) or "roadmap" in (deliverables or [])


_INSTRUCTION_LEAD = re.compile(
    r"^\s*(?:please\s+)?(?:(?:draft|write|prepare|produce|create|give\s+me|i\s+need|we\s+need)\s+)?"
    r"(?:(?:a|an|the|some)\s+)?(?:(?:product\s+)?requirements?|prd|brief|(?:decision\s+)?memo|spec(?:ification)?|"
    r"user\s+stories|stories|document)\s+(?:for|to|on|about|so\s+that|so|that|where|when)\s+",
    re.IGNORECASE,
)
#: A trailing request for a document ("…, and a decision memo", "plus a brief for leadership"): what to write,
#: not what to search. Only document words that are rarely a product's own feature (not "roadmap", "notes").
_INSTRUCTION_TAIL = re.compile(
    r"\s*,?\s*\b(?:and|plus|then)\s+(?:also\s+)?(?:(?:draft|write|prepare|produce|create|give\s+me)\s+)?"
    r"(?:(?:a|an|the|some)\s+)?(?:(?:product\s+)?requirements(?:\s+doc(?:ument)?)?|prd|(?:stakeholder\s+)?brief|"
    r"(?:decision\s+)?memo|spec(?:ification)?|user\s+stories|status\s+(?:update|report))"
    r"(?:\s+(?:for|to)\s+(?:leadership|stakeholders|the\s+team|execs|executives|management))?\s*[.?!]*\s*$",
    re.IGNORECASE,
)
_AND = re.compile(r"\s*(?:,|\band\b|&)\s*", re.IGNORECASE)


def search_query(text: str) -> str:
    """The topic of a goal sentence for searching, without the document requests around it.

    A leading "Draft requirements for …" and a trailing "… and a decision memo" are removed.
    """
    stripped = _INSTRUCTION_LEAD.sub("", text.strip(), count=1).strip()
    stripped = _INSTRUCTION_TAIL.sub("", stripped, count=1).strip().rstrip("?.!").strip()
    return stripped or text.strip()


#: Verbs a goal opens with that are shared by every object it lists ("reduce failed and pending top-ups").
_GOAL_VERBS = frozenset("""
reduce stop prevent cut lower clarify explain simplify speed make keep help fix improve build add support
""".split())
#: Endings of a word that modifies the noun after it ("failed", "pending", "social", "privacy"): a lone modifier
#: in a list shares the last item's noun ("failed and pending top-ups" → "failed top-ups", "pending top-ups").
_MODIFIER = re.compile(r"\w{2,}(?:ed|ing|al|ic|ive|ous|ful|less|able|ible|ary|acy)$", re.IGNORECASE)


def conjuncts(phrase: str, limit: int = MAX_QUESTIONS - 1) -> list[str]:
    """The objects a phrase lists, each searchable on its own, or ``[]`` when it lists none.

    "sync reliability and dark mode" → two topics; a leading verb is shared by every object ("reduce failed and
    pending top-ups"); a lone modifier takes the last object's noun ("failed" → "failed top-ups", "social and
    entertainment features" → "social features", "entertainment features"). Only 2-``limit`` short objects.
    """
    parts = [p.strip(" .?!") for p in _AND.split(search_query(phrase)) if p.strip(" .?!")]
    if not 2 <= len(parts) <= limit or not all(1 <= len(p.split()) <= 5 for p in parts):
        return []
    head = parts[0].split()
    if len(head) > 1 and head[0].lower() in _GOAL_VERBS:
        parts[0] = " ".join(head[1:])
    last = parts[-1].split()
    if len(last) >= 2:
        parts = [f"{p} {last[-1]}" if len(p.split()) == 1 and _MODIFIER.fullmatch(p) else p for p in parts[:-1]] \
            + [parts[-1]]
    return parts


def topic_parts(focus: str) -> list[str]:
    """The topics a goal lists ("sync reliability and dark mode" → two), when it lists 2-3 short ones."""
    return conjuncts(focus)



def research_focus(goal: str) -> str:
    """The part of the goal that is about the product (instructions like 'Draft a brief' removed)."""
    sentences = split_sentences(goal)
    topical = [s for s in sentences if not _INSTRUCTION.search(s)]
    return " ".join(topical or sentences).strip()


#: Verbs a decision puts before its options ("build sync or dark mode"): shared by all of them when only the first
#: option is led by one.
_DECISION_VERBS = frozenset("""
add build building create design do doing extend finish fix fixing focus implement improve improving invest
launch make offer prioritise prioritize redesign release rework ship shipping start support tackle work
""".split())
#: Words that make an "or" part of a phrase, not a choice: "10 or more", "one or two", "or not", "sooner or later".
_NUMBER = (r"(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|a\s+few|few|several|once|twice|more|less|"
           r"fewer|sooner|whether)")
_PHRASE_OR = re.compile(rf"\b({_NUMBER})\s+or\b|\bor\s+(?=(?:{_NUMBER}|so|not|else|otherwise|later|never|"
                        r"nothing|anything|whatever|both|neither)\b)", re.IGNORECASE)
_KEEP_OR = "\x00"
#: A part that opens like this is a clause, not an option ("… before *they* lose edits", "*what* do users say …").
_CLAUSE_LEAD = re.compile(r"^(?:i|you|he|she|it|we|they|there|this|that|these|those|what|which|who|whom|whose|how|"
                          r"why|when|where|do|does|did|is|are|was|were|has|have|had|can|could|will|would)\b",
                          re.IGNORECASE)
#: What makes a sentence a choice even when its options are joined by a bare "or".
_CHOICE_CUE = re.compile(r"\b(?:first|next|instead|rather|prioriti[sz]e|which|either|whether|choose|pick|decide|"
                         r"versus|vs)\b", re.IGNORECASE)
_PREPOSITION = re.compile(r"^(.*\b(?:to|for|in|on|into|with|from|via|as)\s+)\S+$", re.IGNORECASE)


def _option_parts(sentence: str) -> list[str]:
    """The options of one sentence, or ``[]`` when it compares none (see :func:`extract_options`)."""
    text = sentence.strip().rstrip("?.!").strip()
    text = _PHRASE_OR.sub(lambda m: re.sub(r"\bor\b", _KEEP_OR, m.group(0), flags=re.IGNORECASE), text)
    pieces = _SPLIT.split(text)
    if len(pieces) < 2:
        return []
    # The choice lies between the last clause break before the first connector and the first one after the last.
    pieces[0] = re.split(r"[,:;—–]\s*|\s+-\s+", pieces[0].rstrip(" ,;:—–-"))[-1]
    pieces[-1] = re.split(r"[,:;—–]\s*|\s+-\s+", pieces[-1])[0]
    parts = [_TAIL.sub("", _LEAD.sub("", p.replace(_KEEP_OR, "or").strip())).strip(" ,;:") for p in pieces]
    parts = [re.sub(r"^(?:to|either)\s+", "", p, flags=re.IGNORECASE) for p in parts]
    if any(not p or len(p.split()) > 8 or _CLAUSE_LEAD.match(p) for p in parts):
        return []
    if not any(re.search(r"[a-z0-9]", p, re.IGNORECASE) and p.lower() not in STOPWORDS for p in parts[1:]):
        return []
    bare_or = all(m.group(0).strip().lower() == "or" for m in _SPLIT.finditer(text))
    if bare_or and not (_LEAD.search(sentence) or _CHOICE_CUE.search(sentence) or len(text.split()) <= 8):
        return []  # "users who lose or forget their password": an "or" inside a phrase, not a choice
    verbs = [p.split()[0].lower() in _DECISION_VERBS and len(p.split()) > 1 for p in parts]
    if verbs[0] and not any(verbs[1:]):  # "build sync or dark mode": the verb is shared, the options are its objects
        parts[0] = parts[0].split(None, 1)[1]
        # "invest in search or in templates": the verb's preposition is shared too
        parts = [re.sub(r"^(?:either|in|on|into)\s+", "", p, flags=re.IGNORECASE) for p in parts]
        # "export to PDF or Word": the other option completes the same phrase
        lead = _PREPOSITION.match(parts[0])
        if lead and len(parts[0].split()) >= 3:
            parts = [parts[0], *(lead.group(1) + p if len(p.split()) <= 2 and not _PREPOSITION.match(p) else p
                                 for p in parts[1:])]
    return parts


#: An alternative that names nothing the evidence could be about: "anything else", "other work", "everything".
_VAGUE = re.compile(r"^(?:(?:the|all|any)\s+)?(?:anything|everything|something|nothing|whatever|others?|rest|"
                    r"(?:other|remaining)\s+(?:work|things|stuff|features|items|priorities|projects|requests|topics|"
                    r"ideas|tasks|bugs|issues)|rest\s+of\s+(?:the\s+)?(?:backlog|roadmap|work))(?:\s+else)?$",
                    re.IGNORECASE)


def vague(option: str) -> bool:
    """Whether an option names no subject ("anything else", "other work"): no evidence can be about it."""
    return bool(_VAGUE.match(option.strip()))


def _option_stems(name: str) -> set[str]:
    return topic_words(name) - {stem(w) for w in _DECISION_VERBS}


def _distinct(parts: list[str]) -> list[str]:
    """Options without the ones another option already covers ("fee to transfer" within "fees": one option)."""
    out: list[str] = []
    for part in parts:
        words = _option_stems(part)
        k = next((k for k, o in enumerate(out) if words and _option_stems(o)
                  and (words <= _option_stems(o) or _option_stems(o) <= words)), None)
        if k is None:
            out.append(part)
        elif len(words) < len(_option_stems(out[k])):  # the broader name stands for both
            out[k] = part
    return out


def extract_options(goal: str) -> list[dict[str, str]]:
    """Options compared by the goal's wording: 'X before Y', 'X or Y', 'X vs Y', 'X instead of Y'.

    The choice is read inside its clause ("Which is more urgent, sync or dark mode?" → sync, dark mode); a verb
    only the first option carries is shared ("build sync or dark mode first" → sync, dark mode); an "or" inside a
    phrase is no choice ("10 or more seats", "or not", "users who lose or forget their password"), nor is a part
    that reads as a clause ("warn users before they lose edits"). A vague alternative ("anything else", "other
    work") names nothing to score and is left out (:func:`vague_alternatives` keeps it for a note); an option whose
    words another option covers ("fee to transfer" next to "fees") is one option with it.
    """
    for sentence in split_sentences(goal):
        if _INSTRUCTION.search(sentence) and not sentence.rstrip().endswith("?"):
            continue
        parts = _option_parts(sentence)
        if len(parts) >= 2:
            ordered = " before " in f" {sentence.lower()} "
            loose = [p for p in parts if vague(p)]
            parts = _distinct([p for p in parts if not vague(p)])
            options = []
            for i, part in enumerate(parts[:4]):
                others = ", ".join(p for j, p in enumerate(parts) if j != i)
                if not others:
                    description = (f"Focus on {part} first; “{loose[0]}” names no subject the evidence could be "
                                   "about, so it is not scored as an option.") if loose else f"Focus on {part}."
                elif ordered:
                    description = f"Prioritise {part} ahead of {others}."
                else:
                    description = f"Choose {part} over {others}."
                options.append({"name": part, "description": description})
            return options
    return []


def vague_alternatives(goal: str) -> list[str]:
    """The alternatives of the goal's choice that name no subject ("anything else"): left out of the options."""
    for sentence in split_sentences(goal):
        if _INSTRUCTION.search(sentence) and not sentence.rstrip().endswith("?"):
            continue
        parts = _option_parts(sentence)
        if len(parts) >= 2:
            return [p for p in parts if vague(p)]
    return []


def choose_deliverables(goal: str) -> list[str]:
    """Deliverables whose keywords occur in the goal (default: requirements and a brief)."""
    text = f" {goal.lower()} "
    chosen = [kind for kind, spec in DELIVERABLES.items() if any(k in text for k in spec.keywords)]
    return chosen or list(DEFAULT_DELIVERABLES)


def choose_audience(goal: str) -> str:
    """Brief audience from the goal's wording (exec by default)."""
    text = goal.lower()
    if re.search(r"\b(engineer|engineering|eng team|developers|tech lead)\b", text):
        return "eng"
    if re.search(r"\b(sales|account executive|customer success|cs team)\b", text):
        return "sales"
    return "exec"


#: Research questions at most: the goal's, then one per option or listed object.
MAX_RESEARCH = 5


def option_questions(options: list[dict[str, str]], start: int = 1) -> list[dict[str, Any]]:
    """One question per option; an option that lists objects ("social and entertainment features") one per object."""
    out: list[dict[str, Any]] = []
    for option in options:
        for query in conjuncts(option["name"]) or [search_query(option["name"])]:
            out.append({"id": f"q{start + len(out)}", "question": f"What evidence do users give about {query}?",
                        "query": query, "scope": "option", "focus": option["name"], "segment": None})
    return out


def _questions(goal: str, options: list[dict[str, str]], landscape: bool = False) -> list[dict[str, Any]]:
    focus = research_focus(goal)
    questions: list[dict[str, Any]] = [
        {"id": "q0", "question": f"What do users say that matters for: {focus}", "query": search_query(focus),
         "scope": "landscape", "focus": None, "segment": None, "landscape": landscape}
    ]
    questions += option_questions(options[:4])[: MAX_RESEARCH - 1]
    if not options:  # a goal that lists topics: one search per topic (a joint query dilutes each)
        for i, part in enumerate(topic_parts(focus), 1):
            questions.append({"id": f"q{i}", "question": f"What do users say about {part}?", "query": part,
                              "scope": "search", "focus": None, "segment": None})
    return questions


def offline_plan(goal: str, deliverables: list[str] | None, audience: str | None) -> dict[str, Any]:
    """The deterministic plan."""
    options = extract_options(goal)
    chosen = list(deliverables) if deliverables else choose_deliverables(goal)
    landscape = wants_landscape(goal, chosen)
    return {
        "deliverables": chosen,
        "audience": audience or choose_audience(goal),
        "questions": _questions(goal, options, landscape),
        "options": options,
        "focus": research_focus(goal),
        "landscape": landscape,
        "vague_options": vague_alternatives(goal),
    }


def normalise_plan(plan: Plan, goal: str, deliverables: list[str] | None, audience: str | None) -> dict[str, Any]:
    """A model's Plan made safe: known deliverables, ≤3 questions, a landscape question first."""
    chosen = list(deliverables) if deliverables else [d for d in plan.deliverables if d in DELIVERABLES]
    options = [{"name": o.name.strip(), "description": o.description.strip()} for o in plan.options if o.name.strip()]
    options = [o for o in options if not vague(o["name"])] or extract_options(goal)  # "X before Y" compares X and Y
    questions: list[dict[str, Any]] = []
    for i, q in enumerate(plan.questions[:MAX_QUESTIONS]):
        focus = q.focus if q.focus and any(o["name"] == q.focus for o in options) else None
        questions.append({"id": f"q{i}", "question": q.question.strip(), "query": search_query(q.query or q.question),
                          "scope": "option" if focus else "search", "focus": focus, "segment": q.segment})
    if not questions:
        questions = _questions(goal, options)[:1]
    # Each option is searched on its own: a joint query ("sync before dark mode") dilutes both.
    covered = {q["focus"] for q in questions}
    extra = option_questions([o for o in options[:4] if o["name"] not in covered], len(questions))
    questions += extra[: max(0, MAX_RESEARCH - len(questions))]
    chosen = chosen or choose_deliverables(goal)
    landscape = wants_landscape(goal, chosen)
    questions[0]["scope"] = "landscape"
    questions[0]["landscape"] = landscape
    return {
        "landscape": landscape,
        "deliverables": chosen,
        "audience": audience or (plan.audience if plan.audience in AUDIENCES else choose_audience(goal)),
        "questions": questions,
        "options": options[:4],
        "focus": research_focus(goal),
        "vague_options": vague_alternatives(goal),
    }


def _summary(update: dict[str, Any]) -> str:
    plan = update["plan"]
    return (f"deliverables: {', '.join(plan['deliverables'])}; {len(plan['questions'])} research questions; "
            f"{len(plan['options'])} options")


@timed("planner", _summary)
def plan(state: PMState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    """Decide deliverables, audience, research questions and options."""
    context = runtime.context
    goal = state["goal"]
    requested = state.get("deliverables") or None
    audience = state.get("audience")
    usage = LLMUsage()
    if context.offline:
        result = offline_plan(goal, requested, audience)
    else:
        model = context.chat("planner", usage)
        messages = [
            SystemMessage(prompts.PLANNER_SYSTEM),
            HumanMessage(prompts.PLANNER_USER.format(
                available=", ".join(DELIVERABLES), requested=", ".join(requested or []), audience=audience or "",
                goal=prompts.pm_text(goal),
                strategy=prompts.pm_text(json.dumps(state.get("strategy") or {}, ensure_ascii=False)[:4000]),
            )),
        ]
        try:
            # The run's prefetched work starts as the request goes out (RunContext.cache).
            plan_ = invoke_structured(model, Plan, messages, usage=usage, config=context.cache.on_model_call().config)
            result = normalise_plan(plan_, goal, requested, audience)
        except TransientError as exc:
            # The goal's wording still yields a sound plan; a model that stays unreachable or unusable
            # after the retries should not cost the PM the whole run.
            logger.warning("planner: model unavailable, planning from the goal's wording: %s", exc)
            context.emit("error", "planner", f"model unavailable ({exc}); planned from the goal's wording")
            result = offline_plan(goal, requested, audience)
    return {"plan": result, "mode": "offline" if context.offline else "llm", "llm": usage.as_dict(),
            "review_rounds": 0, "review_notes": [], "dropped_invalid": 0}
