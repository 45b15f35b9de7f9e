"""Decision memo: the question, criteria with weights, scored options, recommendation, risks, unknowns.

The options are the goal's (``X before Y``, ``X or Y``) or, when it names none, its strongest topics;
their scores come from the scorer, never from a model. When the evidence backs one option only, the memo
weighs it against the alternatives that evidence grounds (:func:`alternatives`: guiding the affected users
instead of fixing a problem's cause, and deferring at the cost the evidence shows). Within
:data:`common.CLOSE_CALL` points the memo recommends nothing: the PM decides.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from pydantic import BaseModel

from agents.deliverables.base import (
    CITES_PER_ITEM,
    Decision,
    Deliverable,
    Materials,
    fix_note,
    parts,
    register,
    revision_text,
    with_note,
)
from agents.deliverables.common import CLOSE_CALL, baseline, topic_for
from agents.state import ReviewNote, Topic, as_topic
from kernel.artifacts import Criterion, DecisionMemo, EvidenceRef, OptionScore
from tools import scoring, story_quality, trends
from tools.render import Layout, bullets, cite, field_lines, mapping, one_line, render_value, section
from tools.topic_scores import score_topic
from tools.topics import PROBLEM_GOAL, STOPWORDS, is_problem_goal, option_phrase
from tools.wording import PM, from_reporters, short_id, topic_nature

KIND = "decision_memo"
KEYWORDS = ("should we", "decide", "decision", " vs ", " vs. ", "versus", " before ", " or not", " memo",
            "trade-off", "tradeoff", "instead of")


def _option(topic: Topic, m: Materials) -> dict[str, Any]:
    scores: dict[str, Any] = dict(topic["criteria"])
    scores["rice"] = topic["rice"]["score"]
    scores["formulas"] = {**topic["formulas"], "why": score_parts(topic, m)}
    return {"name": topic["name"], "description": _option_description(topic, m),
            "scores": scores, "total": topic["total"], "citations": m.topic_cites(topic)}


#: How options with equal totals are ordered (stated under the options table when the leading ones tie).
ORDER = f"higher RICE first, then {scoring.TIE_BREAK}"


def option_order(option: Mapping[str, Any], rice: Mapping[str, Mapping[str, Any]]) -> tuple[Any, ...]:
    """Sort key of a memo's options: highest total first; equal totals as :data:`ORDER` states.

    ``rice`` holds the full RICE score (reach, signals, relevance, latest) of the options that have one, by name;
    an option without one (an alternative) ranks by its total and RICE value alone.
    """
    score = rice.get(str(option["name"])) or {"score": (option.get("scores") or {}).get("rice") or 0.0, "reach": 0}
    return (-float(option["total"]), *scoring.rank_key(score, str(option["name"])))


_TYPE_WORDS = {"churn_risk": "churn risks", "bug": "bug reports", "complaint": "complaints",
               "feature_request": "requests", "question": "questions", "usage_pattern": "usage events",
               "other": "other messages", "praise": "praise"}
_TYPE_WORD = {"churn_risk": "churn risk", "bug": "bug report", "complaint": "complaint",
              "feature_request": "request", "question": "question", "usage_pattern": "usage event",
              "other": "other message", "praise": "message of praise"}
#: Bug reports and complaints are one kind of evidence here: problems users report (both weigh 2).
_PROBLEMS = "problems (complaints and bug reports)"


def _count(n: int, kind: str) -> str:
    """'1 complaint', '3 complaints', '2 problems' — a number with its noun in agreement."""
    if kind == "problem":
        return f"{n} problem{'' if n == 1 else 's'}"
    return f"{n} {_TYPE_WORD.get(kind, kind) if n == 1 else _TYPE_WORDS.get(kind, kind)}"


def reach_unit(topic: Topic, m: Materials) -> str:
    """What an option's reach counts: 'users/accounts', or 'signals' when its evidence names no user or account.

    The scorer counts distinct users/accounts and a signal without either once (``scoring._reporter``).
    """
    rows = [m.evidence[sid] for sid in topic["signal_ids"] if sid in m.evidence]
    named = sum(1 for r in rows if r.get("user_id") or r.get("account_id"))
    if not named:
        return "signals"
    return "users/accounts" if named == len(rows) else "users/accounts (a signal naming neither counts once)"


def score_parts(topic: Topic, m: Materials) -> str:
    """Where an option's score comes from, in plain words: who it reaches, why its impact is what it is.

    'Reach: 32 users/accounts. Impact 2.0 (high): the mean of its 40 signals' types — 28 bug reports or
    complaints (2 each), 12 questions (0.5 each) — is 1.55, rounded up the RICE scale. Confidence 0.84: …'
    """
    rice = topic["rice"]
    types = Counter(str(m.evidence[sid].get("signal_type") or "other") for sid in topic["signal_ids"]
                    if sid in m.evidence)
    total = sum(types.values())
    if not total:
        return f"Reach {rice['reach']}; no typed evidence: impact {rice['impact']} is the scale's floor."
    mean = sum(scoring.IMPACT_BY_TYPE.get(t, 0.5) * n for t, n in types.items()) / total
    mix = ", ".join(f"{_count(n, t)} ({scoring.IMPACT_BY_TYPE.get(t, 0.5):g}{' each' if n > 1 else ''})"
                    for t, n in types.most_common())
    level = {3.0: "massive", 2.0: "high", 1.0: "medium", 0.5: "low", 0.25: "minimal"}.get(float(rice["impact"]), "")
    effort = "a default of" if rice["effort_source"] == "default" else "from the strategy,"
    unit = reach_unit(topic, m)
    reach = ("the signals in its evidence (no user or account is recorded: each signal counts once)"
             if unit == "signals" else f"the distinct {unit} in its evidence")
    return (f"Reach {rice['reach']}: {reach}. Impact {rice['impact']:g}"
            f"{f' ({level})' if level else ''}: what its {total} {'signal reports' if total == 1 else 'signals report'}"
            f" — {mix}; their mean {mean:.2f} "
            f"rounded up the RICE scale (problems weigh more than questions). Confidence {rice['confidence']:g}: "
            f"more signals and more kinds of source raise it. Effort {effort} {rice['effort']:g} "
            f"person-month{'' if float(rice['effort']) == 1 else 's'}.")


_OPTION_TEMPLATE = re.compile(r"(Prioritise|Choose) (.+) (ahead of|over) (.+)\.")


def _option_description(topic: Topic, m: Materials) -> str:
    """The option's description; the planner's 'Prioritise X ahead of Y.' with X and Y as noun phrases."""
    description = str(topic.get("description") or "")
    if not description.rstrip().endswith((".", "!", "?")):  # a theme's keywords ('pending, hour, customer') say nothing
        description = f"Focus on {topic['name']}."
    match = _OPTION_TEMPLATE.fullmatch(description)
    if not match or match.group(2) != topic["name"]:
        return description
    # what the option is, not a recommendation: the line stands under the losing option too
    return f"This option: {topic['name']} first, then {match.group(4)}."


#: The alternative to fixing a problem's cause: help the users who hit it, from the questions they ask.
MITIGATE = "Guide affected users instead of fixing the cause"
#: The alternative every decision has: change nothing now, at the cost the evidence shows.
DEFER = "Defer: change nothing now"
#: Questions (and reports) a problem's evidence must hold for the guidance alternative to stand on its own.
MIN_ASKED = 2
_PROBLEM_TYPES = frozenset({"bug", "complaint", "churn_risk"})
_ASKS_WHAT_TO_DO = re.compile(r"^\W*(?:how|what|who|where|can|could|should|is there|do i|please help)\b",
                              re.IGNORECASE)


def _strategy(m: Materials) -> scoring.Strategy | None:
    return scoring.Strategy.from_dict(m.strategy, source=m.strategy.get("source", "")) if m.strategy else None


def alternatives(topic: Topic, option: Mapping[str, Any], m: Materials) -> list[dict[str, Any]]:
    """The alternatives a PM weighs when the evidence backs one option only, each grounded in that evidence.

    * **Guide affected users** (only for a problem: the topic reports one or the goal asks to stop one, and its
      evidence holds :data:`MIN_ASKED` questions from users who hit it besides as many reports): support or
      self-service guidance instead of a fix of the cause. It cites the questions and is scored on them alone
      with the same formulas as every option.
    * **Defer**: change nothing now. It delivers nothing to users (user value 0); its cost is the evidence
      itself, which keeps coming at the rate shown, and it cites the signals that would stay unresolved.

    An alternative with no stored evidence is never invented here: options the goal names without evidence
    are listed in the memo's unknowns.
    """
    ids = [s for s in topic["signal_ids"] if s in m.evidence]
    out: list[dict[str, Any]] = []
    asked, reports = _asked_and_reports(ids, m)
    problem = topic_nature(topic, m.evidence) == "problem" or is_problem_goal(m.focus)
    if problem and len(asked) >= MIN_ASKED and len(reports) >= MIN_ASKED:
        pseudo = {"name": MITIGATE, "description": "", "signal_ids": asked, "theme": None}
        scored = as_topic({**pseudo, **score_topic(pseudo, m.evidence, _strategy(m), m.criteria, None)})
        order = m.topic_cites(topic, len(ids))  # the scorer's order: a neighbouring intent's stray goes last
        cites = [s for s in order if s in asked][:CITES_PER_ITEM]
        # An example that asks what to do ('What should I do?'), not a report phrased as a question.
        example = min((m.evidence[s]["quote"] for s in cites),
                      key=lambda q: (not _ASKS_WHAT_TO_DO.search(q), len(q), q))
        description = (f"Answer the {len(asked)} questions users ask when it happens (e.g. “{example}”) through "
                       f"support or self-service guidance; the cause stays. Scored on those questions alone.")
        out.append({**_option(scored, m), "description": description, "citations": cites})
    # the cost counts what keeps coming: a problem's reports (its questions are the guidance's), else every signal
    noun, counted = ("reports", reports) if problem and reports else ("signals", ids)
    cost = baseline(topic, m, noun, counted)
    out.append({"name": DEFER,
                "description": f"The cost of waiting: {cost} about {option['name']} keep coming, and the "
                               f"{len(ids)} signals behind it stay unresolved. Delivers nothing to users (user "
                               f"value 0).",
                "scores": {"user value (RICE)": 0.0, "formulas": {"cost": f"cost of waiting: {cost}"}},
                "total": 0.0, "citations": list(option["citations"])})
    return out


def _asked_and_reports(ids: list[str], m: Materials) -> tuple[list[str], list[str]]:
    """A topic's stored signals that ask what to do, and those that report a problem (neither: the rest)."""
    asked = [s for s in ids if trends.asked(m.evidence[s].get("signal_type"), m.evidence[s]["quote"])]
    reports = [s for s in ids if s not in asked and m.evidence[s].get("signal_type") in _PROBLEM_TYPES]
    return asked, reports


# --------------------------------------------------------------------------- what each option asks for

#: Verbs with which a PM acts on an option ("fix …", "build …"): what the team does, not a word users' evidence says.
_PM_VERBS = frozenset("""
add build building create design do doing extend finish fix fixing focus implement improve improving invest launch
make offer prioritise prioritize redesign release rework ship shipping start support tackle work adding creating
designing extending finishing implementing investing launching offering redesigning releasing reworking starting
supporting tackling introduce introducing develop developing stop stopping prevent preventing reduce reducing
solve solving resolve resolving address addressing
""".split())
#: A PM verb that creates something users do not have yet: its evidence is users asking for it.
_NEW_VERBS = frozenset("add build building create design develop developing introduce introducing implement "
                       "implementing launch launching offer offering release releasing ship shipping adding "
                       "creating designing".split())
#: Words that frame an option as a new capability ("a new X feature"); not part of its object.
_FRAMING = frozenset("new feature features option options capability tool function functionality first".split())
#: Words that stop a problem: the option's verb, not its condition.
_STOP_VERBS = frozenset("fix fixing stop stopping prevent preventing reduce reducing solve solving resolve resolving "
                        "address addressing tackle tackling avoid avoiding".split())
#: A message reports that something went wrong (in any product's words): failed, an error, not working, declined …
_FAILURE = re.compile(
    r"\b(?:fail\w*|errors?|broke\w*|bugs?|buggy|crash\w*|glitch\w*|wrong|incorrect|declin\w*|reject\w*|revert\w*|"
    r"stuck|missing|disappear\w*|vanish\w*|lost|los(?:e|es|ing)|unable|can\s*not|can'?t|couldn'?t|won'?t|wouldn'?t|"
    r"(?:is|was|are|were|does|did|has|have|had)(?:\s*n[o']t|\s+not)\s+(?:\w+\s+)?(?:work\w*|go(?:ne)?\s+through|"
    r"complet\w*|arriv\w*|load\w*|show\w*)|not\s+work\w*|keeps?\s+\w+ing)\b", re.IGNORECASE)
#: A message asks for a capability (in any product's words): a wish, a request, a missing option.
_WISH = re.compile(
    r"\b(?:wish|(?:would|i'?d)\s+(?:like|love)(?!\s+to\s+(?:know|understand|find\s+out|learn|ask|check|see)\b)|(?:please|can\s+you|could\s+you|will\s+you)\s+(?:\w+\s+)?"
    r"(?:add|build|make|offer|support|introduce|create|allow|let(?!\s+me\s+know)|provide|implement)|(?:i|we)\s+(?:want|need)\s+"
    r"(?:a|an|the|to\s+be\s+able|some)\b|should\s+(?:have|offer|support|add|allow|let)|there\s+(?:is|'s)\s+no\b|"
    r"does\s*n[o']t\s+(?:have|offer|support|allow|let)|lacks?\b|missing\b|feature\s+request|be\s+able\s+to)",
    re.IGNORECASE)
_TOKEN = re.compile(r"[A-Za-z][\w'-]*")
#: A question about what happened to the asker ('Why was I charged a fee?', 'why did my fee go up'), not how-to.
_WHY_ME = re.compile(r"\b(?:why|what\s+is\s+this|where\s+did|how\s+come)\b.*\b(?:i|me|my)\b|"
                     r"\b(?:i|me|my)\b.*\bwhy\b", re.IGNORECASE)
#: Condition words that name reports about a thing, not what users write: 'fee complaints' are messages about fees.
_REPORT_WORDS = frozenset("complaint complaints issue issues problem problems report reports ticket tickets "
                          "question questions".split())


def _stem(word: str) -> str:
    """A word's stem for matching variants ('failures', 'failed', 'failing' → 'fail'; 'top-up' → 'top')."""
    word = word.lower().split("-")[0]
    for suffix in ("ures", "ure", "ings", "ing", "ions", "ion", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def _named(stem: str, text_stems: set[str]) -> bool:
    return any(s.startswith(stem) or (len(s) >= 4 and stem.startswith(s)) for s in text_stems)


def _stems(text: str) -> set[str]:
    return {_stem(t) for t in _TOKEN.findall(text.replace("-", " ")) if t.lower() not in STOPWORDS} | \
        {_stem(t) for t in _TOKEN.findall(text) if "-" in t}


@dataclass(frozen=True)
class Predicate:
    """What an option asks for: its kind, condition, object and head.

    The kind: 'problem' (to fix), 'new' (a capability to build), 'existing' (a capability users already use, named
    by their own verb: 'add money'; :func:`reading`) or 'general'. The words of its condition ('failures') and of
    its object ('card', 'top-up'), and the object's head (the object word next to the condition: 'top-up'). ``verb``
    is the PM verb that opens the name ('add'); ``framed`` says the name calls it new ('a new X feature').
    """

    kind: str
    condition: tuple[str, ...]
    object: tuple[str, ...]
    head: str
    order: tuple[str, ...] = ()
    verb: str = ""
    framed: bool = False

    def query(self) -> str:
        """A search in the users' words for the condition on the object's head ('top-up failures'), or ''."""
        if self.kind != "problem" or not self.condition or not self.head or len(self.object) < 2:
            return ""
        return " ".join(self.order)


def predicate(name: str) -> Predicate:
    """The parts of an option's name (:class:`Predicate`).

    'fix card top-up failures' → problem, condition 'failures', object 'card top-up', head 'top-up';
    'build a new exchange-rate feature' → new, object 'exchange-rate'.
    """
    words = _TOKEN.findall(name)
    lowered = [w.lower() for w in words]
    verb = lowered[0] if lowered and lowered[0] in _PM_VERBS else ""
    rest = [(i, w) for i, w in enumerate(words) if not (i == 0 and verb)
            and w.lower() not in STOPWORDS and w.lower() not in _FRAMING]
    condition = [(i, w) for i, w in rest if PROBLEM_GOAL.fullmatch(w) and w.lower() not in _STOP_VERBS]
    objects = [(i, w) for i, w in rest if (i, w) not in condition]
    if condition or verb in _STOP_VERBS:
        kind = "problem"
    elif verb in _NEW_VERBS or "new" in lowered:
        kind = "new"
    else:
        kind = "general"
    if condition and objects:
        # a trailing condition names what fails ('card top-up failures': the top-up); a leading one may modify
        # the whole phrase ('the lost or stolen card flow'): no single head then, any object word stands for it
        at = condition[-1][0]
        head = max((iw for iw in objects if iw[0] < at), default=(0, ""))[1] if at == len(words) - 1 else ""
    else:
        head = objects[-1][1] if objects else ""
    near = sorted([*condition, *[iw for iw in objects if iw[1] == head]])
    return Predicate(kind, tuple(w for _, w in condition), tuple(w for _, w in objects), head,
                     tuple(w for _, w in near), verb, any(w in _FRAMING for w in lowered))


#: Messages that must use an option's own verb on its object for what users do ('I added money but …', 'How do I
#: add money?') — and at least as many as ask for it — for the option to name an existing capability.
MIN_OWN_USE = 2
#: Words that may stand between a verb and its object ('add some more money', 'add the card').
_OBJECT_GAP = 3


def uses_own_words(pred: Predicate, quote: str) -> bool:
    """Whether a message uses the option's verb on its object ('I added money', 'add some money?', 'adding cash').

    The object is the name's first object word, the verb's own ('add money to my account': money; 'add a card to the
    app': card), within :data:`_OBJECT_GAP` words after the verb.
    """
    if not pred.verb or not pred.object:
        return False
    verb, target = _stem(pred.verb), _stem(pred.object[0])
    words = [_stem(t) for t in _TOKEN.findall(quote.replace("-", " "))]
    return any(w == verb and _named(target, set(words[i + 1:i + 1 + _OBJECT_GAP])) for i, w in enumerate(words))


def _wish(row: Mapping[str, Any]) -> bool:
    """A message asking for a capability: a request, or a wish in any product's words."""
    return row.get("signal_type") == "feature_request" or bool(_WISH.search(str(row.get("quote") or "")))


def reading(name: str, rows: Sequence[Mapping[str, Any]], kind: str = "option"
            ) -> tuple[Predicate, list[Mapping[str, Any]]]:
    """How a memo reads an option, from its name and its evidence ``rows``, and the rows that decided it.

    Only an option the goal names (``kind`` 'option') is read from its words: a theme standing in as an option
    (a goal naming none) is named after a phrase of its own evidence ('card I thought I lost'), which is all about
    it — a general option, never a problem or a new capability because its phrase says 'lost' or 'new'. For an
    option, the name's own reading (:func:`predicate`) stands, except for one that reads as new only because its
    verb is a PM's ('add', 'create', 'offer') and the name does not call it new: when :data:`MIN_OWN_USE` or more of its
    messages use that verb on its object for what users already do — not wishing for it — and they are at least as
    many as the messages asking for it, the verb is the capability's own name ('add money': "I added money but it
    is not showing", "What currencies can I use to add money?"). The option is then the *existing* capability: all
    its evidence counts, problems to fix and questions to explain alike, never as demand for something new.
    """
    pred = predicate(name)
    if kind != "option":
        return replace(pred, kind="general"), []
    if pred.kind != "new" or pred.framed or not pred.verb:
        return pred, []
    own = [r for r in rows if not _wish(r) and uses_own_words(pred, str(r.get("quote") or ""))]
    asking = [r for r in rows if _wish(r)]
    if len(own) >= MIN_OWN_USE and len(own) >= len(asking):
        return replace(pred, kind="existing"), own
    return pred, []


def reading_note(topic: Topic, m: Materials) -> str:
    """How an option read as an existing capability is read, with its evidence's mix: fix or explain ('' else)."""
    rows = [m.evidence[s] for s in topic["signal_ids"] if s in m.evidence]
    pred, own = reading(topic["name"], rows, topic["kind"])
    if pred.kind != "existing":
        return ""
    example = min((str(r["quote"]) for r in own), key=lambda q: (len(q), q))
    questions = sum(1 for r in rows if trends.asked(r.get("signal_type"), r["quote"]))
    problems = sum(1 for r in rows if r.get("signal_type") in _PROBLEM_TYPES
                   and not trends.asked(r.get("signal_type"), r["quote"]))
    need = "fixing" if problems >= questions else "explaining"
    return (f"Reading: a capability users already have, not a new one to build — {len(own)} of its {len(rows)} "
            f"signals use “{pred.verb} {' '.join(pred.object)}” for what they do (e.g. “{example}”); {problems} "
            f"report a problem and {questions} ask about it: it needs {need} more than building.")


def predicate_queries(name: str) -> list[str]:
    """Extra searches an option needs so its evidence is about its condition, not only its object.

    'fix card top-up failures' is searched as written and as 'top-up failures': the whole name's nearest messages
    are how-to questions about card top-ups (its object), the failures are found by the condition on its head.
    The planner adds one research question per query (:func:`agents.planner.option_questions`).
    """
    pred = predicate(name)
    queries = [pred.query()]
    if pred.kind == "problem" and pred.object and pred.condition \
            and all(c.lower() in _REPORT_WORDS for c in pred.condition):
        # 'reduce fee complaints': users never write 'complaints'; they write about the fee itself
        queries.append(" ".join(pred.object))
    out: list[str] = []
    for query in queries:
        if query and query.lower() != name.lower() and query.lower() not in (q.lower() for q in out):
            out.append(query)
    return out


def on_condition(pred: Predicate, row: Mapping[str, Any]) -> bool:
    """Whether a signal is about what the option asks for, not only its object.

    A problem option's evidence reports the problem (names its condition, says something went wrong, or is a
    bug report, complaint or churn risk) on the option's head; a new capability's evidence asks for it (a
    request or a wish, never a how-to question or a problem with what exists) and names its object. A general
    option's evidence is all of it, and so is an existing capability's (:func:`reading`).
    """
    quote = str(row.get("quote") or "")
    stems = _stems(quote)
    kind = str(row.get("signal_type") or "")
    if pred.kind == "problem":
        if pred.head and not _named(_stem(pred.head), stems):
            return False
        if not pred.head and pred.object and not any(_named(_stem(o), stems) for o in pred.object):
            return False
        # 'fee complaints': a user asking why it happened to them ('Why was I charged a fee?') complains about it
        if pred.condition and all(c.lower() in _REPORT_WORDS for c in pred.condition) and _WHY_ME.search(quote):
            return True
        # without a condition word ('fix the ATM keeping cards') the option's own words are its condition
        return (kind in _PROBLEM_TYPES or bool(_FAILURE.search(quote))
                or any(_named(_stem(c), stems) for c in pred.condition)
                or (not pred.condition and all(_named(_stem(o), stems) for o in pred.object)))
    if pred.kind == "new":
        if pred.object and not any(_named(_stem(o), stems) for o in pred.object):
            return False
        # a report of a problem with it ('my virtual card was rejected') shows it exists: not demand for a new one
        return kind == "feature_request" or bool(_WISH.search(quote))
    return True


def _what(pred: Predicate) -> str:
    """What an option's evidence must say: 'report top-up failures', 'ask for a new exchange-rate'."""
    if pred.kind == "problem":
        if pred.condition:
            return f"report {' '.join(pred.order if pred.head else (*pred.condition, *pred.object))}"
        return f"report a problem with {' '.join(pred.object) or 'it'}"
    return f"ask for {' '.join(pred.object) or 'it'}{' (a new capability)' if pred.kind == 'new' else ''}"


def about_option(name: str, ids: list[str], m: Materials) -> list[str]:
    """Those of ``ids`` that are about what option ``name`` asks for (:func:`on_condition`), known evidence only.

    The option is read (:func:`reading`) on the evidence of its scored topic when there is one, else on ``ids``.
    """
    topic = next((t for t in m.topics if t["name"].lower() == name.lower()), None)
    pool = topic["signal_ids"] if topic is not None else ids
    pred, _ = reading(name, [m.evidence[s] for s in pool if s in m.evidence], topic["kind"] if topic else "option")
    return [s for s in ids if s in m.evidence and on_condition(pred, m.evidence[s])]


def condition_evidence(topic: Topic, m: Materials) -> tuple[Topic, str]:
    """An option's topic scored on the evidence about its condition or action only, and a note saying what left.

    Signals that share only the option's object ('How do I top up?' under 'fix card top-up failures') are not
    evidence for it; questions among them are information needs about what exists, never demand for a new
    capability. Returns the topic unchanged (and '') for a general option, an existing capability
    (:func:`reading`) or when every signal qualifies.
    """
    ids = [s for s in topic["signal_ids"] if s in m.evidence]
    pred, _ = reading(topic["name"], [m.evidence[s] for s in ids], topic["kind"])
    if pred.kind in ("general", "existing") or not ids:
        return topic, ""
    on = [s for s in ids if on_condition(pred, m.evidence[s])]
    if len(on) == len(ids):
        return topic, ""
    off = [s for s in ids if s not in on]
    asked = [s for s in off if trends.asked(m.evidence[s].get("signal_type"), m.evidence[s]["quote"])]
    what = " ".join(pred.object) or topic["name"]
    need = ("information needs: confusion about the existing " + what + ", not demand for a new one"
            if pred.kind == "new" else f"information needs about {what}, not reports of the problem")
    note = (f"{len(off)} of its {len(ids)} signals {'does' if len(off) == 1 else 'do'} not {_what(pred)} and "
            f"{'is' if len(off) == 1 else 'are'} not counted"
            + (f"; {len(asked)} of them {'is a question' if len(asked) == 1 else 'are questions'}: {need}"
               if asked else "") + ".")
    pseudo = {**topic, "signal_ids": on}
    scored = as_topic({**pseudo, **score_topic(pseudo, m.evidence, _strategy(m), m.criteria, None)}) if on else \
        as_topic({**pseudo, "signal_ids": []})
    return scored, note


#: How much more relevant to one option than to another a signal must be to count for that option alone.
EXCLUSIVE_MARGIN = 0.1
#: Share of an option's word mass (IDF-weighted, :func:`tools.relevance.coverage`) a signal must name to be about
#: it — about one of three equally rare words: not only a common word it shares with much else ('a particular
#: author' under 'usage statistics for authors': 0.23).
MIN_NAMED = 0.3
#: Relevance at which a signal naming less of an option's words still counts as about it (a paraphrase).
PARAPHRASE = 0.8


def about_queries(name: str) -> list[str]:
    """What an option is about, in words users could write.

    Its name without the PM's verb or framing words, and the searches of :func:`predicate_queries` ('reduce fee
    complaints' → 'fee complaints', 'fee').
    """
    words = _TOKEN.findall(name)
    words = [w for i, w in enumerate(words) if not (i == 0 and w.lower() in _PM_VERBS) and w.lower() not in _FRAMING]
    while words and words[0].lower() in ("a", "an", "the"):
        words = words[1:]
    core = " ".join(words) or name
    out = [core]
    for query in predicate_queries(name):
        if query.lower() not in (q.lower() for q in out):
            out.append(query)
    return out


def option_relevance(names: Sequence[str], ids: Sequence[str], m: Materials) -> dict[str, dict[str, float]]:
    """How much each of ``ids`` is about each option, by option name and signal id.

    The best relevance (:func:`tools.relevance.score_signals`, the calibrated probability retrieval keeps signals
    by) over the option's :func:`about_queries`, counted only where the signal shares a word of the query or is a
    close paraphrase (:data:`PARAPHRASE`). ``{}`` when the workspace's store cannot score them.
    """
    from tools import relevance  # the store and the embedder: loaded only when a memo weighs options

    signals = [(sid, str(m.evidence[sid]["quote"])) for sid in ids if sid in m.evidence]
    if not m.workspace or not signals:
        return {}
    out: dict[str, dict[str, float]] = {}
    try:
        for name in names:
            best: dict[str, float] = {}
            for query in about_queries(name):
                for scored in relevance.score_signals(m.workspace, query, signals):
                    named = scored.coverage >= MIN_NAMED or scored.relevance >= PARAPHRASE
                    value = scored.relevance if named else 0.0
                    best[scored.signal_id] = max(best.get(scored.signal_id, 0.0), value)
            out[name] = best
    except Exception:  # noqa: BLE001 - no store for this workspace (a test's or a deleted one): no filter
        return {}
    return out


def exclusive_evidence(topics: list[Topic], m: Materials) -> tuple[list[Topic], dict[str, str]]:
    """Each option scored only on the signals about it rather than about another option (or about neither).

    Retrieval pools what sits near an option's words ('CSV export of game transcripts' pooled 'import stories from a
    spreadsheet' and 'delete a game'); a signal counts for an option when it is relevant to it (the retrieval
    floor, :func:`option_relevance`) and more so, by :data:`EXCLUSIVE_MARGIN`, than to every other option. A signal
    about two options alike is counted for neither. Returns the rescored topics and a note per option that lost
    signals.
    """
    from tools.relevance import FITTED

    named = [t for t in topics if t["kind"] == "option" and t["signal_ids"]]
    if len(named) < 2:
        return topics, {}
    pool = list(dict.fromkeys(s for t in named for s in t["signal_ids"] if s in m.evidence))
    rel = option_relevance([t["name"] for t in named], pool, m)
    if not rel:
        return topics, {}
    out: list[Topic] = []
    notes: dict[str, str] = {}
    for topic in topics:
        if topic not in named:
            out.append(topic)
            continue
        mine = rel[topic["name"]]
        others = [rel[t["name"]] for t in named if t is not topic]
        ids = [s for s in topic["signal_ids"] if s in m.evidence]
        # a signal the store holds no vector for (not stored in this workspace) is not judged: it stays
        keep = [s for s in ids if s not in mine or (mine[s] >= FITTED.floor
                and all(mine[s] >= o.get(s, 0.0) + EXCLUSIVE_MARGIN for o in others))]
        if not keep:  # the word test found none (a small workspace gives its subject's words ~0 IDF, 'fix sync
            # bugs' over sync reviews): what retrieval found for it stays unless another option claims it
            keep = [s for s in ids if all(o.get(s, 0.0) < FITTED.floor for o in others)]
        if len(keep) == len(ids):
            out.append(topic)
            continue
        both = [s for s in ids if s not in keep and mine.get(s, 0.0) >= FITTED.floor]
        gone = len(ids) - len(keep)
        notes[topic["name"]] = (
            f"{gone} of its {len(ids)} signals {'is' if gone == 1 else 'are'} not about it"
            + (f" ({len(both)} as much about another option)" if both else "")
            + " and not counted.")
        pseudo = {**topic, "signal_ids": keep}
        out.append(as_topic({**pseudo, **score_topic(pseudo, m.evidence, _strategy(m), m.criteria, None)})
                   if keep else as_topic({**pseudo, "signal_ids": []}))
    return out, notes


def draft_decision_memo(m: Materials) -> dict[str, Any]:
    """A decision memo over the options (or, when the goal names none, the strongest themes)."""
    option_topics = [t for t in m.topics if t["kind"] == "option"] or m.ranked("theme")[:3]
    # Each option stands on the evidence about what it asks for (its condition or action), not its object alone.
    judged = [condition_evidence(t, m) for t in option_topics]
    notes = {t["name"]: note for t, note in judged if note}
    # … and on the signals about it rather than about another option
    apart, apart_notes = exclusive_evidence([t for t, _ in judged], m)
    for name, note in apart_notes.items():
        notes[name] = f"{notes[name]} {note}" if name in notes else note
    emptied = [t["name"] for t in apart if not t["signal_ids"]
               and any(o["name"] == t["name"] and o["signal_ids"] for o in option_topics)]
    option_topics = apart
    rice = {t["name"]: t["rice"] for t in option_topics if t["signal_ids"]}
    options = sorted((_option(t, m) for t in option_topics if t["signal_ids"]), key=lambda o: option_order(o, rice))
    for option in options:
        if option["name"] in notes:
            option["scores"]["formulas"]["evidence"] = f"Evidence: {notes[option['name']]}"
        read = reading_note(next(t for t in option_topics if t["name"] == option["name"]), m)
        if read:
            option["scores"]["formulas"]["reading"] = read
    unsupported = [t["name"] for t in option_topics if not t["signal_ids"] and t["name"] not in emptied]
    backed = [t for t in option_topics if t["signal_ids"]]
    # One option with evidence is no decision: weigh it against the alternatives its own evidence grounds.
    extra = alternatives(backed[0], options[0], m) if len(options) == 1 else []
    rows = [m.evidence[sid] for sid in dict.fromkeys(s for t in option_topics for s in t["signal_ids"])
            if sid in m.evidence]
    kinds = sorted({r["kind"] for r in rows})
    who = from_reporters(rows)
    sources = f"{who} ({', '.join(kinds)})" if who.startswith("from") else f"({', '.join(kinds)}; {who})"
    # the criteria and their weights are the memo's own list (and the table's columns), not repeated here
    context = (f"Evidence: {len(rows)} signals {sources}, each option with its own." if rows
               else m.nothing_found())
    if m.also():
        context += f" {m.also()}"
    if m.decisions:
        context += " Earlier decisions: " + "; ".join(
            f"{d.get('question')} → {d.get('recommendation')} (run {d.get('run_id')})" for d in m.decisions[:2])
    if len(options) >= 2:
        best, runner_up = options[0], options[1]
        margin = round(best["total"] - runner_up["total"], 1)
        reaches = [int(rice[o["name"]]["reach"]) if o["name"] in rice else 0 for o in (best, runner_up)]
        impacts = [float(rice[o["name"]]["impact"]) if o["name"] in rice else 0.0 for o in (best, runner_up)]
        # the margin rests on reach only when the leader does not also report the weightier need (problems over asks)
        noisy = margin >= CLOSE_CALL and all(reaches) and scoring.within_noise(*reaches) and impacts[0] <= impacts[1]
        if margin < CLOSE_CALL:
            recommendation = (f"Too close to call on the evidence: {best['name']} {best['total']} vs "
                              f"{runner_up['name']} {runner_up['total']} (margin {margin}). {PM}.")
        elif noisy:
            recommendation = (f"Too close to call on the evidence: {best['name']} {best['total']} vs "
                              f"{runner_up['name']} {runner_up['total']} rests on reach {reaches[0]} vs {reaches[1]}, "
                              f"a difference within the evidence's noise (±{scoring.reach_noise(*reaches):.0f} for "
                              f"counts this size); more evidence or the effort of each should decide. {PM}.")
        else:
            recommendation = (f"{best['name']} first: {best['total']}/100 vs {runner_up['total']}/100 for "
                              f"{runner_up['name']} (margin {margin}), driven by "
                              f"{_driver(best, runner_up, m.criteria)}.")
        by_name = {t["name"]: t for t in option_topics}
        if best["name"] in by_name and runner_up["name"] in by_name:
            recommendation += " " + _contrast(by_name[best["name"]], by_name[runner_up["name"]], m)
    elif options:
        recommendation = _single(options[0], extra, m)
    else:
        recommendation = ""
    if options:
        recommendation += "".join(f" {name} is not weighed: none of its evidence is about what it asks for — "
                                  f"{notes[name]}" for name in emptied)
        recommendation += "".join(f" {name}: {notes[name]}" for name in notes
                                  if name not in emptied and re.search(r"\bquestions?:", notes[name]))
        recommendation += _questions_warning(next(t for t in option_topics if t["name"] == options[0]["name"]), m)
    if not options:
        recommendation = f"{PM}: no option is supported by stored user evidence."
    risks = []
    for option in options[1:]:
        risks.append(_deferral_risk(next(t for t in option_topics if t["name"] == option["name"]), option, m))
    for alt in extra:
        if alt["name"] == MITIGATE:
            _, reports = _asked_and_reports([s for s in backed[0]["signal_ids"] if s in m.evidence], m)
            report = next((s for s in options[0]["citations"] if s in reports), reports[0])
            fixing = option_phrase(options[0]["name"], f"{m.goal} {m.focus}") \
                if options[0]["name"].split()[0].lower() in _STOP_VERBS \
                else f"fixing {options[0]['name']}"
            risks.append(f"Guiding users instead of {fixing} leaves the cause in place: reports "
                         f"like {short_id(report)} keep coming.")
        else:
            risks.append(f"Deferring {options[0]['name']}: {_cost(alt)} keep coming "
                         f"({len(options[0]['citations'])} cited signals).")
    options = sorted([*options, *extra], key=lambda o: option_order(o, rice))
    unknowns = [f"No stored user evidence for option '{name}'; it could not be scored." for name in unsupported]
    unknowns += [f"No stored evidence asks for or reports what option '{name}' is about: {notes[name]} "
                 f"It could not be scored." for name in emptied]
    if not m.has_strategy:
        unknowns.append("No strategy file given: strategic alignment was not assessed.")
    defaults = [t["name"] for t in option_topics if t["signal_ids"] and t["rice"]["effort_source"] == "default"]
    if defaults:
        unknowns.append(f"{PM}: effort of {', '.join(defaults)} (default {scoring.DEFAULT_EFFORT} person-month used).")
    return DecisionMemo(title=f"Decision memo: {m.focus}"[:120], mode=m.mode, question=m.focus,
                        context=context, criteria=[Criterion(name=k, weight=v) for k, v in m.criteria.items()],
                        options=parts(OptionScore, options), recommendation=recommendation, risks=risks,
                        unknowns=unknowns,
                        evidence=parts(EvidenceRef, m.evidence_for([sid for o in options for sid in o["citations"]])),
                        ).model_dump(mode="json")


#: Share of the leading option's evidence that, as questions, makes reach alone unfit to decide.
QUESTION_SHARE = 0.5


def _deferral_risk(topic: Topic, option: Mapping[str, Any], m: Materials) -> str:
    """What deferring an option risks, from its evidence: what keeps coming, with an example and any churn risk.

    'Deferring fix declined payments leaves its reports coming: 12 reports in the period (e.g. “Why did my payment
    get declined?” [s:…]), 1 of them a churn risk.'
    """
    ids = [s for s in topic["signal_ids"] if s in m.evidence]
    problem = topic_nature(topic, m.evidence) == "problem"
    noun = "reports" if problem else "requests"
    cost = baseline(topic, m, noun, ids)
    churn = [s for s in ids if m.evidence[s].get("signal_type") == "churn_risk"]
    cited = [s for s in option["citations"] if s in m.evidence]
    example = f" (e.g. “{m.evidence[cited[0]]['quote']}” {cite([cited[0]])})" if cited else ""
    what = "the problem stays with the users who report it" if problem else "the users asking for it keep waiting"
    return (f"Deferring {option['name']}: {what} — {cost}{example}"
            + (f", {len(churn)} of them {'a churn risk' if len(churn) == 1 else 'churn risks'}." if churn else "."))


def _questions_warning(best: Topic, m: Materials) -> str:
    """' Most of X's evidence (29 of 40) is questions: …' when questions carry a general option, else ''.

    A problem's or a new capability's evidence is already only what reports or asks for it
    (:func:`condition_evidence`).
    """
    ids = [s for s in best["signal_ids"] if s in m.evidence]
    if reading(best["name"], [m.evidence[s] for s in ids], best["kind"])[0].kind not in ("general", "existing"):
        return ""
    asked = [s for s in ids if trends.asked(m.evidence[s].get("signal_type"), m.evidence[s]["quote"])]
    if not ids or len(asked) <= QUESTION_SHARE * len(ids):
        return ""
    return (f" Most of {best['name']}'s evidence ({len(asked)} of {len(ids)} signals) is questions: information "
            f"needs about what exists, not demand for something new; its reach alone should not decide. {PM}.")


def _cost(defer: Mapping[str, Any]) -> str:
    """The defer option's cost ('15 reports in the period'), as :func:`alternatives` recorded it."""
    return str(defer["scores"]["formulas"]["cost"]).removeprefix("cost of waiting: ")


def _single(best: dict[str, Any], extra: list[dict[str, Any]], m: Materials) -> str:
    """The recommendation when the evidence backs one option: it against the alternatives its evidence grounds."""
    guide = next((o for o in extra if o["name"] == MITIGATE), None)
    defer = next((o for o in extra if o["name"] == DEFER), None)
    if guide is not None:
        margin = round(abs(best["total"] - guide["total"]), 1)
        if margin < CLOSE_CALL:
            head = (f"Too close to call on the evidence: {best['name']} {best['total']} vs guiding affected users "
                    f"{guide['total']} (margin {margin}). {PM}.")
        elif best["total"] >= guide["total"]:
            head = (f"{best['name']} first: {best['total']}/100 vs {guide['total']}/100 for guiding affected users "
                    f"instead (margin {margin}), driven by {_driver(best, guide, m.criteria)}.")
        else:  # the questions outweigh the reports: guidance first, the fix of the cause second
            head = (f"Guide affected users first: {guide['total']}/100 vs {best['total']}/100 for {best['name']} "
                    f"(margin {margin}), driven by {_driver(guide, best, m.criteria)}.")
    else:
        head = (f"{best['name']} rather than deferring: {best['total']}/100 on {len(best['citations'])} cited "
                f"signals; no other approach has stored evidence.")
    if defer is not None:
        head += f" Deferring leaves what the evidence shows unresolved: {_cost(defer)}."
    return head


def _mostly(topic: Topic, m: Materials) -> str:
    """How many of a topic's signals are its most common kind (bug reports and complaints count together).

    '19 of its 33 signals are problems (complaints and bug reports)', '29 of its 38 signals are questions'.
    """
    types = Counter(str(m.evidence[sid].get("signal_type") or "other") for sid in topic["signal_ids"]
                    if sid in m.evidence)
    if not types:
        return "untyped"
    problems = types.pop("bug", 0) + types.pop("complaint", 0)
    if problems:
        types["problem"] = problems
    kind, n = types.most_common(1)[0]
    total = sum(types.values())
    if kind == "problem":
        what = _PROBLEMS if n > 1 else "a problem (a complaint or bug report)"
    else:
        one = _TYPE_WORD.get(kind, kind)
        what = _TYPE_WORDS.get(kind, kind) if n > 1 else f"{story_quality.article(one)} {one}"
    return f"{n} of its {total} signal{'' if total == 1 else 's'} {'are' if n > 1 else 'is'} {what}"


def _contrast(best: Topic, other: Topic, m: Materials) -> str:
    """Reach and impact of the two leading options side by side, and where each impact comes from."""
    a, b = best["rice"], other["rice"]
    unit, other_unit = reach_unit(best, m), reach_unit(other, m)
    unit, other_unit = unit.split(" (")[0], other_unit.split(" (")[0]
    reach = (f"{a['reach']} vs {b['reach']} {unit}" if unit == other_unit
             else f"{a['reach']} {unit} vs {b['reach']} {other_unit}")
    text = (f"Reach {reach}; impact {a['impact']:g} vs {b['impact']:g} "
            f"(signals weigh by what they report: a churn risk 3, a bug or complaint 2, a request 1, a question 0.5) — "
            f"{best['name']}: {_mostly(best, m)}; {other['name']}: {_mostly(other, m)}.")
    if b["reach"] > a["reach"] and b["impact"] < a["impact"]:
        more = "users" if other_unit == "users/accounts" else "signals"
        text += f" {other['name']} reaches more {more}; its evidence weighs less per signal."
    return text


def _driver(best: dict[str, Any], other: dict[str, Any], criteria: dict[str, float]) -> str:
    gains = {name: weight * (float(best["scores"].get(name, 0)) - float(other["scores"].get(name, 0)))
             for name, weight in criteria.items()}
    name = max(gains, key=lambda k: gains[k])
    return f"{name} ({best['scores'].get(name)} vs {other['scores'].get(name)})"


# --------------------------------------------------------------------------- review fixes and PM revisions


def fix(doc: dict[str, Any], m: Materials) -> dict[str, Any]:
    """Apply the scorer's fixes: cite the scored topic's evidence for an uncited option, state a recommendation."""
    topics = {t["name"]: t for t in m.topics}
    options = []
    for option in doc.get("options") or []:
        if not option.get("citations") and option["name"] in topics:
            ids = about_option(option["name"], topics[option["name"]]["signal_ids"], m)
            option = {**option, "citations": m.cites(ids)}
        options.append(option)
    doc = {**doc, "options": options}
    if not str(doc.get("recommendation") or "").strip():
        best = max(options, key=lambda o: o.get("total", 0), default=None)
        doc["recommendation"] = f"{best['name']} ({best.get('total')}/100)." if best else PM
    doc["evidence"] = m.evidence_for([sid for o in options for sid in o["citations"]])
    return doc


def review(doc: Mapping[str, Any], topics: list[Topic], coverage: bool) -> list[ReviewNote]:
    """Options without evidence, a memo without a recommendation."""
    notes = [fix_note(KIND, option.get("name", "?"), "option cites no evidence",
                      f"cite the signals behind option '{option.get('name')}'")
             for option in doc.get("options") or [] if not option.get("citations")]
    if not str(doc.get("recommendation") or "").strip():
        notes.append(fix_note(KIND, "recommendation", "no recommendation", "state a recommendation from the scores"))
    return notes


def revise(doc: dict[str, Any], m: Materials) -> dict[str, Any]:
    """Record a PM's revision offline in the unknowns (scores are not rewritten by hand)."""
    text = revision_text(m)
    return with_note(doc, "unknowns", f"PM revision: {text}") if text else doc


# --------------------------------------------------------------------------- LLM drafting


class OptionDraft(BaseModel):
    """An option of the decision (use the scored topic names)."""

    name: str
    description: str
    citations: list[str]


class DecisionMemoDraft(BaseModel):
    """A decision memo; the scores are attached from the scorer, not written by you."""

    context: str
    options: list[OptionDraft]
    recommendation: str
    risks: list[str]
    unknowns: list[str]


def complete_decision_memo(draft: BaseModel, m: Materials) -> dict[str, Any]:
    """A decision memo from a model draft: criteria and option scores attached from the scorer."""
    assert isinstance(draft, DecisionMemoDraft)
    options = []
    rices: dict[str, Mapping[str, Any]] = {}
    off_topic = m.off_goal()
    for o in draft.options:
        # a model's citation counts only when it is about what the option asks for, not its object alone
        kept = [c for c in o.citations if c not in off_topic]
        o = o.model_copy(update={"citations": [c for c in kept if c not in m.evidence
                                               or c in about_option(o.name, [c], m)]})
        topic = topic_for(o.name, o.citations, m)
        judged = condition_evidence(topic, m)[0] if topic is not None else None
        if judged is not None and judged["signal_ids"] and judged["name"].lower() == o.name.lower():
            scored = _option(judged, m)
            rices[o.name] = judged["rice"]
        else:
            pseudo = {"name": o.name, "description": o.description, "signal_ids": [c for c in o.citations
                                                                                   if c in m.evidence], "theme": None}
            # Scored against the same strategy as the planned options (keyword and word-overlap
            # alignment), so its total is on the same criteria and comparable.
            strategy = scoring.Strategy.from_dict(m.strategy, source=m.strategy.get("source", "")) \
                if m.strategy else None
            pseudo_topic = as_topic({**pseudo, **score_topic(pseudo, m.evidence, strategy, m.criteria, None)})
            scored = _option(pseudo_topic, m)
            rices[o.name] = pseudo_topic["rice"]
        options.append({**scored, "name": o.name, "description": o.description, "citations": list(o.citations)})
    return DecisionMemo(title=f"Decision memo: {m.focus}"[:120], mode=m.mode, question=m.focus,
                        context=draft.context, criteria=[Criterion(name=k, weight=v) for k, v in m.criteria.items()],
                        options=parts(OptionScore, sorted(options, key=lambda o: option_order(o, rices))),
                        recommendation=draft.recommendation, risks=draft.risks, unknowns=draft.unknowns,
                        evidence=parts(EvidenceRef, m.evidence_for([sid for o in options for sid in o["citations"]])),
                        ).model_dump(mode="json")


# --------------------------------------------------------------------------- Markdown and decision log



_PLACED = ("question", "context", "criteria", "options", "recommendation", "risks", "unknowns")


def _render(doc: Mapping[str, Any]) -> list[str]:
    lines = section("Question", render_value(doc.get("question")))
    lines += section("Context", render_value(doc.get("context")))
    criteria = [c for c in doc.get("criteria") or [] if isinstance(c, Mapping) and one_line(c.get("name"))]
    lines += section("Criteria", [f"- {one_line(c['name'])}" + (f": weight {one_line(c.get('weight'))}"
                                                               if one_line(c.get("weight")) else "")
                                  for c in criteria])
    options = [o for o in doc.get("options") or [] if isinstance(o, Mapping)]
    lines += ["", "## Options", ""]
    if options:
        names = [one_line(c["name"]) for c in criteria]
        if names:
            lines.append("| option | " + " | ".join(names) + " | total |")
            lines.append("|---" * (len(names) + 2) + "|")
            for option in options:
                scores = mapping(option.get("scores"))
                cells = [f"{scores[n]:.2f}" if isinstance(scores.get(n), float) else one_line(scores.get(n))
                         for n in names]
                total = one_line(option.get("total"))
                lines.append(f"| {_first_capital(one_line(option.get('name')))} | " + " | ".join(cells) +
                             f" | {f'**{total}**' if total else ''} |")
        tie = _tie_line(options)
        if tie:
            lines += ["", f"_{tie}_"]
        for option in options:
            lines += ["", f"### {_first_capital(one_line(option.get('name'))) or 'Option'}"
                          f"{cite(option.get('citations'))}", ""]
            if one_line(option.get("description")):
                lines.append(one_line(option.get("description")))
            scores = mapping(option.get("scores"))
            formulas = mapping(scores.get("formulas"))
            lines += [f"- {one_line(f)}" for f in formulas.values() if one_line(f)]
            lines += field_lines(option, {"name", "description", "scores", "total", "citations"})
    else:
        lines.append("_No option is supported by stored evidence._")
    lines += section("Recommendation", [_capital(line) for line in render_value(doc.get("recommendation"))])
    lines += section("Risks", bullets(doc.get("risks")))
    lines += section("Unknowns", bullets(doc.get("unknowns")))
    return lines


def _tie_line(options: list[Mapping[str, Any]]) -> str | None:
    """'Equal totals: a, b (total 41.2). Order among them: higher RICE first, …' when the leading options tie."""
    totals: list[tuple[str, Mapping[str, Any]]] = []
    for option in options:
        try:
            totals.append((one_line(option.get("name")), {"score": float(option.get("total") or 0.0)}))
        except (TypeError, ValueError):
            return None
    return scoring.tie_note(totals, what="total", heading="totals", order=ORDER, top_only=True)


def _first_capital(name: str) -> str:
    """An option's name as a heading: 'fix declined payments' → 'Fix declined payments' ('iOS app' stays)."""
    return name[:1].upper() + name[1:] if name[:1].islower() and not name[1:2].isupper() else name


def _capital(line: str) -> str:
    """A paragraph whose sentences start with a capital letter.

    'fix sync bugs first: …' and '… reports). fix sync bugs: 6 of …' name an option in its own case.
    """
    return re.sub(r"(?:^|(?<=[.!?] ))[a-z]", lambda m: m.group(0).upper(), line)


def decision(doc: Mapping[str, Any]) -> Decision:
    """The recommendation as the run's decision, for the decision log."""
    citations = sorted({sid for o in doc.get("options") or [] for sid in o.get("citations") or []})
    return str(doc.get("recommendation") or ""), str(doc.get("context") or ""), citations


register(Deliverable(
    KIND, DecisionMemo, KEYWORDS, draft_decision_memo, DecisionMemoDraft, complete_decision_memo,
    layout=Layout(_render, frozenset(_PLACED)), cited_lists=("options",), note_field="unknowns", fix=fix,
    revise=revise, review=review, goal_topics=True, decision=decision, decision_rank=3,
))
