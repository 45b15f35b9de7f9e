"""Requirements: problem, goals, non-goals, user stories with Given/When/Then criteria, success metrics.

Offline, one story per goal topic (strongest RICE first, at most :data:`MAX_STORIES`): the capability
in the evidence's words, a benefit a cited quote states (else ``[PM to decide]``), criteria about the
situation a cited quote reports. With a model, the stories are the model's and ids, RICE, priority
and type are computed here. The story-quality check (``tools.story_quality``) runs on every draft.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, Field

from agents.deliverables.base import (
    CITES_PER_ITEM,
    Decision,
    Deliverable,
    Materials,
    doc_title,
    fix_note,
    parts,
    register,
    revision_text,
    with_note,
)
from agents.deliverables.common import baseline, rice_of, section_heading, topic_for
from agents.state import ReviewNote, Topic
from kernel.artifacts import EvidenceRef, Requirements, Story
from kernel.schemas import EvidenceRow
from kernel.text import STOPWORDS
from memory import api as memory_api
from tools import scoring, story_quality, trends
from tools.render import (
    Layout,
    bullets,
    cite,
    humanise,
    is_empty,
    mapping,
    one_line,
    render_value,
    section,
    story_sentence,
)
from tools.reqtype import NFR_CATEGORIES, classify_requirement
from tools.topics import _own_terms as topic_terms_of
from tools.topics import _stems_match as stems_match
from tools.topics import goal_terms
from tools.wording import (
    BENEFIT_SPLIT,
    BINOMIALS,
    PM,
    benefit,
    boundary_criterion,
    capability,
    complete_phrase,
    conditional_given,
    distinct_topics,
    example_report,
    from_reporters,
    limit_criteria,
    lower_first,
    persona,
    short_id,
    situation_criterion,
    stated_benefit,
    stated_limits,
    stated_role,
    subject,
    third_person,
    topic_nature,
    wanted,
)

KIND = "requirements"
KEYWORDS = (" requirement", " prd", " stories", " story", " spec ")
MAX_STORIES = 6
#: Stories a draft holds at most when its topics' quotes ask for several distinct things (one story each).
MAX_SPLIT_STORIES = 8
#: The review asks for a story for each of the goal's strongest distinct topics, up to this many.
COVERAGE_TOP = 3
GWT = re.compile(r"^\s*given\b.+\bwhen\b.+\bthen\b", re.IGNORECASE | re.DOTALL)
NOT_ATOMIC = re.compile(r"\band\b|&|;|\bas well as\b", re.IGNORECASE)
#: 'both staff and kids', 'between 8am and 6pm': one thing with two parts, never two capabilities.
PAIRED = re.compile(r"\b(?:both|between)\b[^,;]*\band\b", re.IGNORECASE)
#: A want that names what it is for: "to <verb> …" (one action, whatever its object lists).
_ACTION = re.compile(r"^\s*to\s", re.IGNORECASE)


def compound(want: str) -> bool:
    """Whether an "I want" asks for two capabilities: one story each.

    A "to <verb> …" want is two when its conjunction joins two actions ('to see and edit my children',
    :func:`tools.story_quality.asks_two`), never for an object that lists parts ('to have a map where the buildings
    and rooms are'); a want that is a list of names ('sync and dark mode') is two; 'both … and', 'between … and' are
    one thing with two parts.
    """
    if not NOT_ATOMIC.search(want) or PAIRED.search(want):
        return False
    return story_quality.asks_two(want) if _ACTION.match(want) else True


#: A part of a split want that opens with its own subject: a clause, not a capability.
_CLAUSE = re.compile(r"^\s*(?:i|we|they|he|she|it|there)\b(?!-)", re.IGNORECASE)
#: Share of a story's object words a quote that is no user story must name to be cited for it.
LOOSE_SHARE = 0.5
_SLOW = re.compile(r"\b(slow|seconds?|minutes?|lag|latency|timeout|takes forever|loading)\b", re.IGNORECASE)


def _situation(ids: list[str], name: str, evidence: Mapping[str, EvidenceRow]) -> tuple[str, str]:
    """(signal id, quote) that shows the reported situation best: short, whole, and naming the topic."""
    words = {w.lower() for w in re.findall(r"\w+", name)}
    candidates = [(sid, evidence[sid]["quote"]) for sid in ids if sid in evidence]
    whole = [(sid, q) for sid, q in candidates if len(q) <= 160]
    pool = whole or candidates
    if not pool:
        return "", ""
    sid, quote = max(pool, key=lambda c: (len(words & {w.lower() for w in re.findall(r"\w+", c[1])}), -len(c[1])))
    return sid, (quote if len(quote) <= 160 else "")


def _one_source(ids: list[str], name: str, example: str, evidence: Mapping[str, EvidenceRow]
                ) -> tuple[str, str, str, str]:
    """(role, benefit, signal id, quote) of a story, from the cited quote its "I want" comes from.

    A user story the "I want" is taken from ('As an admin, I want to add …, so that …') gives the role, its own
    so-that and the situation: one source, never a mix. Without a so-that of its own, the benefit most of the
    cited quotes asking for the same thing state (else ``[PM to decide]``; never the so-that of a quote that
    asks for something else). Another quote the "I want" shows is the situation, with its own benefit first;
    without such a quote the role is the evidence's (``persona``), the benefit any cited quote's and the
    situation the one that shows it best.
    """
    source = ""
    if example:
        source = next((sid for sid in ids if sid in evidence and example in str(evidence[sid]["quote"])), "")
    if not source:
        sid, quote = _situation(ids, name, evidence)
        return persona(ids, evidence), benefit(ids, evidence) or PM, sid, quote
    full = str(evidence[source]["quote"])
    quote = example if len(example) <= 160 else ""
    if stated_role(full):
        key = ask_key(full)
        same = [sid for sid in ids if sid in evidence and ask_key(str(evidence[sid]["quote"])) == key]
        return persona([source], evidence), stated_benefit(full) or common_benefit(same, evidence) or PM, \
            source, quote
    return persona(ids, evidence), stated_benefit(full) or benefit(ids, evidence) or PM, source, quote


def ask_key(quote: str) -> tuple[str, str] | None:
    """(role, capability) a user-story quote asks for, spelling, articles and plurals aside; None for other quotes.

    'As an archivist, I want to mark groups of files as restricted' and 'As an Archivist, I want to mark a group
    of files as restricted' ask for the same thing; 'restrict a file from view' is another.
    """
    role = stated_role(quote)
    want = _asked(quote) if role else ""
    if not want:
        return None
    words = [w.lower() for w in re.findall(r"\w+", want)]
    words = [w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w
             for w in words if w not in {"a", "an", "the", "to", "be", "able"}]
    return role.lower(), " ".join(words)


def _asked(quote: str) -> str:
    """What a user-story quote asks for: its checked "I want" (``wanted``), else its means as written."""
    found = wanted(quote)
    if found:
        return found
    story = story_quality.parse(quote)
    means = re.split(BENEFIT_SPLIT, story.means, maxsplit=1, flags=re.IGNORECASE)[0].strip(" ,;:.!")
    lead = "to " if re.search(r"(?:\bto|can|could|able to)$", story.means_indicator.strip(), re.IGNORECASE) \
        and not means.lower().startswith("to ") else ""
    return f"{lead}{means}" if means else ""


def common_benefit(ids: list[str], evidence: Mapping[str, EvidenceRow]) -> str | None:
    """The benefit most of the quotes state (the first stated on a tie), or None when none states one."""
    stated = [b for b in (stated_benefit(str(evidence[sid]["quote"])) for sid in ids if sid in evidence) if b]
    if not stated:
        return None
    counts = Counter(stated)
    return max(stated, key=lambda b: (counts[b], -stated.index(b)))


_PROBLEM_TYPES = frozenset({"bug", "complaint", "churn_risk"})


def _baseline(topic: Topic, m: Materials, nature: str) -> str:
    """The criterion's baseline: how many of the topic's signals are what it counts, not all of them.

    A question story counts the topic's questions (typed so, or ending with '?'); a problem story its reports
    (bugs, complaints, churn risks that are not questions), else every signal, said so.
    """
    ids = [s for s in topic["signal_ids"] if s in m.evidence]
    asked = [s for s in ids if trends.asked(m.evidence[s].get("signal_type"), m.evidence[s]["quote"])]
    if nature == "question":
        return baseline(topic, m, "questions", asked)
    reports = [s for s in ids if s not in asked and m.evidence[s].get("signal_type") in _PROBLEM_TYPES]
    return baseline(topic, m, "reports", reports) if reports else baseline(topic, m, "signals", ids)


def story_from_topic(topic: Topic, m: Materials, number: int, want: str | None = None,
                     source: str | None = None) -> dict[str, Any]:
    """One user story (with criteria, type, RICE and citations) from a scored topic.

    The capability is named in the evidence's words (``source``: the cited user story it is taken from),
    the benefit is one a cited quote states (else ``[PM to decide]``), and the criteria are observable ones the
    evidence gives — the outcome its benefit states, the limits its quotes set ('no more than 2 seconds'), the
    situation a report describes — with the generic template only when the evidence gives none.
    """
    ids = m.topic_cites(topic)
    name = want or subject(topic["name"])
    role = persona(topic["signal_ids"], m.evidence)
    nature = "request" if source else topic_nature(topic, m.evidence)
    example = str(m.evidence[source]["quote"]) if source else example_report(ids, name, nature, m.evidence, role)
    i_want = capability(name, nature, example)
    role, so_that, sid, quote = _one_source(ids, name, example, m.evidence)
    so_that = re.sub(r"^(?:so\s+that\s+|so\s+)+", "", so_that, flags=re.IGNORECASE) or PM  # 'so that so they …'
    first = situation_criterion(role, nature, i_want, sid, quote)
    limits = stated_limits(ids, m.evidence)
    measured = limit_criteria(role, limits)
    observed = _outcome_criterion(role, i_want, so_that, sid, quote) if nature == "request" else ""
    quality = quality_code(f"{name} {i_want}")  # what is asked for, never its benefit ('… research integrity')
    about = _object(i_want, name)
    metric = ""  # a problem's or question's success metric: the same reports and baseline as its criterion
    if nature == "question":
        base = _baseline(topic, m, "question")
        criteria = [
            first,
            f"Given the answer is published, When {PM} weeks have passed, Then questions like {short_id(sid)} "
            f"about {about} fall below {PM} per week (baseline: {base})",
        ]
        metric = f"S{number}: questions like {short_id(sid)} about {about} — from {base} to below {PM} per week"
    elif nature == "problem":
        base = _baseline(topic, m, "problem")
        criteria = [
            first,
            f"Given the change is released, When {PM} weeks have passed, Then new reports like {short_id(sid)} "
            f"about {about} fall below {PM} per week (baseline: {base})",
        ]
        metric = f"S{number}: reports like {short_id(sid)} about {about} — from {base} to below {PM} per week"
    elif observed or measured:
        criteria = [observed] if observed else [first]
    else:  # the evidence states no outcome and no limit: the situation it reports (a quality's test follows)
        criteria = [first]
    criteria += [criterion for criterion, _ in measured]
    if nature == "request" and (ruled_out := boundary_criterion(role, i_want)):
        criteria.append(ruled_out)  # the case the want's condition rules out: testable, not the story restated
    # The outcome a quote states is the story's test; otherwise its type's (a security story: an attack scenario).
    typed = "" if observed else type_criterion(quality, role, about, [limit.dimension for limit in limits],
                                               fallback=nature == "request" and not measured)
    if typed:
        criteria.append(typed)
    if quality != "PE" and not any(limit.dimension == "duration" for limit in limits) and \
            any(_SLOW.search(m.evidence[s]["quote"]) for s in ids):
        criteria.append(f"Given a typical {role} workload, When they use {about}, Then it responds within {PM} "
                        "seconds")
    rice = rice_of(ids, m) if source else topic["rice"]
    whole = int(topic["rice"]["reach"])
    if source and whole > rice["reach"]:  # one of several things a topic asks for: its reach beside the topic's
        rice["formula"] = f"{rice['formula']} (reach {rice['reach']} of the topic's {whole})"
    return {
        "id": f"S{number}",
        "as_a": role,
        "i_want": i_want,
        "so_that": so_that,
        "acceptance_criteria": criteria,
        "priority": scoring.priority(rice["score"]),
        "type": story_type(quality),
        "rice": rice,
        "citations": ids,
        "title": story_title(complete_phrase(name, [m.evidence[s]["quote"] for s in ids if s in m.evidence]),
                             nature, i_want),
        OPEN: [f"{PM}: S{number} — {question}" for _, question in measured if question],
        QUALITY: quality,
        METRIC: metric,
    }


#: A drafted story's open questions (a range of limits to choose from), moved to the document's list.
OPEN = "_open_questions"
#: A drafted story's requirement type (a code of ``tools.reqtype.NFR_CATEGORIES``, "F" functional), taken off the
#: story before it is validated: it chooses the story's success metric.
QUALITY = "_quality"
#: A drafted problem or question story's success metric, built with its criterion (the same reports and baseline),
#: taken off the story before it is validated.
METRIC = "_metric"


def quality_code(text: str) -> str:
    """The requirement type of a story's text: a code of ``NFR_CATEGORIES`` ('SE', 'PE' …) or 'F' (functional)."""
    if not text.strip():
        return "F"
    _, code = classify_requirement(text)
    return code


def story_type(quality: str) -> Literal["functional", "non-functional"]:
    """A story's ``type`` field from its requirement type code: one decision with its criteria and success metric.

    The code (:func:`quality_code` of what is asked for) also chooses the type's criterion and metric, so a story
    typed functional never gets a security test, nor a non-functional one an adoption metric.
    """
    return "functional" if quality == "F" else "non-functional"


def _object(i_want: str, name: str) -> str:
    """What the story is about, as its criteria and metric name it ('prevent malicious attacks …', 'sync')."""
    text = re.sub(r"^to\s+(?:be\s+able\s+to\s+)?", "", i_want.strip(), flags=re.IGNORECASE).rstrip(" .")
    text = re.sub(r"^(?:the|a|an)\s+(?:system|product|application|app|software|site|website|service|platform|tool)"
                  r"\s+to\s+(?:be\s+able\s+to\s+)?", "", text, flags=re.IGNORECASE)
    if text.lower().startswith(("a fix for", "answers to questions")) or not text:
        text = name
    return f"“{text}”"


def type_criterion(quality: str, role: str, about: str, dimensions: list[str], fallback: bool) -> str:
    """The acceptance criterion a story's requirement type calls for, '' when the evidence's own already test it.

    Security: an unauthorised user's or an attacker's attempt, pass/fail. Performance: a time threshold under a
    stated load (not when a quote states a time limit). Availability: uptime over a period (not when a quote states a
    share). Usability: task success of first-time users (not when a quote states a limit). Functional: nothing here —
    the reported situation is its criterion. Another quality: ``[PM to decide]`` for it, and only when the story has
    no other criterion than its situation (``fallback``), never a template of another type.
    """
    a_role = f"{story_quality.article(role)} {role}"
    if quality == "SE":
        return (f"Given someone without authorisation or an attacker ({PM}: the attack scenarios), When a security "
                f"test tries to defeat {about}, Then every attempt fails and is logged (pass/fail)")
    if quality == "PE" and "duration" not in dimensions:
        return (f"Given a load of {PM} concurrent users, When the time taken for {about} is measured, Then it is "
                f"within {PM} seconds for {PM} % of requests")
    if quality == "A" and not {"percentage", "duration"} & set(dimensions):
        return (f"Given a period of {PM} weeks, When the uptime of {about} is monitored, Then it is available at "
                f"least {PM} % of the time outside scheduled maintenance")
    if quality == "US" and not dimensions:
        return (f"Given {a_role} who has not used it before, When they try to do {about} without help, Then at "
                f"least {PM} % of such users succeed within {PM} minutes")
    if quality in NFR_CATEGORIES and quality not in ("SE", "PE", "A", "US") and fallback:
        return f"Given {a_role}, When {about} is checked for {NFR_CATEGORIES[quality]}, Then {PM}"
    return ""


def _outcome_criterion(role: str, i_want: str, so_that: str, sid: str, quote: str) -> str:
    """A criterion of the outcome the evidence states as the story's benefit, or ''.

    'Given an archivist who asked for it in [s:…]: “…”, When they restrict access to some files by IP address,
    Then they can give reading room access only to certain digital files'; '' when no cited quote states a
    benefit (the outcome would be the PM's guess).
    """
    if so_that == PM or not so_that.strip():
        return ""
    a_role = f"{story_quality.article(role)} {role}"
    mark = short_id(sid) if sid else "the evidence"
    said = f"{mark}: “{quote}”" if quote else mark
    given, want = conditional_given(a_role, said, i_want)  # a condition of the want ('as long as …') is the Given's
    doing = re.sub(r"^to\s+(?:be\s+able\s+to\s+)?", "", want, flags=re.IGNORECASE)
    doing = re.sub(r"^be\s+", "are ", doing)  # 'to be added to a waitlist': 'they are added …', not 'they be …'
    action = f"they {third_person(doing)} after the change" if want.startswith("to ") \
        else "they use it after the change"
    return f"{given}, When {action}, Then {third_person(so_that)}"


def story_title(name: str, nature: str, i_want: str) -> str:
    """A story's heading: the capability its topic names, never a user's sentence pasted in.

    'Fix: sync', 'Answers: cancel a transfer', 'Change my PIN', 'Dark mode' — the quoted report stays in the
    story's "I want" and its first criterion.
    """
    if i_want.startswith("to "):
        title = i_want[3:]
    elif nature == "request" and len(name.split()) == 1 and " to " in i_want:  # 'the system to perform with …'
        title = i_want.split(" to ", 1)[1]
    elif nature == "problem":
        title = f"fix: {name}"
    elif nature == "question":
        title = f"answers: {name}"
    else:
        title = name
    first = title.split(" ", 1)[0]
    return title if any(c.isupper() for c in first[1:]) else title[:1].upper() + title[1:]


_PAIR = re.compile(r"\b(\w+)\s+and\s+(\w+)\b", re.IGNORECASE)
_KEEP_AND = "\x01"


def _split_atomic(core: str) -> list[str]:
    """One capability per part of a compound "I want", each a whole one.

    'to be able to see and edit my children' → 'to be able to see my children', 'to be able to edit my
    children' (two verbs share the object); 'to add tags and comments' → 'to add tags', 'to add comments' (one
    verb, two objects); 'dark mode and sync' → 'dark mode', 'sync'.
    """
    lead = re.match(r"^(?:to\s+(?:be\s+able\s+to\s+)?)", core, re.IGNORECASE)
    head = lead.group(0) if lead else ""
    # a well-known pair names one thing ("drag and drop", "terms and conditions"): never two capabilities
    body = _PAIR.sub(lambda m: f"{m.group(1)}{_KEEP_AND}{m.group(2)}"
                     if f"{m.group(1).lower()}+{m.group(2).lower()}" in BINOMIALS else m.group(0), core[len(head):])
    parts = [p.strip().replace(_KEEP_AND, " and ")
             for p in re.split(r"\s*(?:\band\b|&|;|,|\bas well as\b)\s*", body) if p.strip()]
    if len(parts) < 2:
        return [core]
    verbs = story_quality.ACTION_VERBS

    def verb(part: str) -> bool:
        return part.split()[0].lower() in verbs

    if len(parts) == 2 and len(parts[0].split()) == 1 and len(parts[1].split()) >= 2 and verb(parts[1]):
        parts = [f"{parts[0]} {parts[1].split(None, 1)[1]}", parts[1]]
    first = parts[0].split()[0] if head and verb(parts[0]) and len(parts[0].split()) > 1 else ""
    return [f"{head}{p}" if i == 0 or (head and verb(p)) else (f"{head}{first} {p}" if first else p)
            for i, p in enumerate(parts)]


def story_topics(m: Materials) -> list[Topic]:
    """The topics stories are written for: the goal's topics (options only when there are none)."""
    return distinct_topics(m.ranked("theme") or m.ranked())


def draft_requirements(m: Materials) -> dict[str, Any]:
    """Requirements from the goal's strongest topics; none (said plainly) when nothing relevant was found."""
    candidates = story_topics(m)
    topics = candidates[:MAX_STORIES]
    stories, other_roles = _stories(topics, m)
    asked_later = [q for s in stories for q in s.pop(OPEN, [])]
    qualities = [str(s.pop(QUALITY, "F")) for s in stories]
    metrics = [str(s.pop(METRIC, "")) for s in stories]
    left_out = candidates[MAX_STORIES:]
    all_ids = sorted({sid for t in topics for sid in t["signal_ids"]})
    reporters = from_reporters([m.evidence[s] for s in all_ids if s in m.evidence])
    names = "; ".join(lower_first(section_heading(t, m)) for t in topics[:3])
    defaults = [t["name"] for t in topics if t["rice"]["effort_source"] == "default"]
    open_questions = [f"{PM}: effort estimates — a default of {scoring.DEFAULT_EFFORT} person-month was used for: "
                      f"{', '.join(defaults)}."] if defaults else []
    no_benefit = [s["id"] for s in stories if s["so_that"] == PM]
    if no_benefit:  # one question for every story it concerns, not the same line per story
        open_questions.append(f"{PM}: {', '.join(no_benefit)} — which benefit do users expect? None of "
                              f"{'its' if len(no_benefit) == 1 else 'their'} quotes states one.")
    open_questions += asked_later
    who = persona_note(m, [str(s["as_a"]) for s in stories])
    open_questions += [f"Earlier decision (run {d.get('run_id')}): {d.get('question')} → {d.get('recommendation')}"
                       for d in m.decisions[:2]]
    if stories:
        problem = (f"{len(all_ids)} signals ({reporters}) are about the goal ('{m.focus}'). "
                   f"What they say: {names}.")
    else:
        problem = m.nothing_found()
        topic = m.searched[0] if m.searched else m.focus
        open_questions.insert(0, f"{PM}: gather evidence about {topic} (interviews, tickets, a survey) "
                                 f"before writing stories.")
    problem = f"{problem} {who} {m.also()}".strip() if who else f"{problem} {m.also()}".strip()
    return Requirements(
        title=doc_title("Requirements", m.focus),
        mode=m.mode,
        problem=problem,
        goals=[f"{s['i_want'][:1].upper()}{s['i_want'][1:]} for the {s['as_a']} ({s['rice']['formula']})"
               for s in stories[:3]],
        non_goals=[f"{t['name']} (weaker evidence: RICE {t['rice']['score']})" for t in left_out[:3]] + other_roles
        or ([f"{PM}: anything outside the stories below"] if stories else []),
        stories=parts(Story, stories),
        open_questions=open_questions,
        success_metrics=[metric or _metric(s, topics, m, q)
                         for s, q, metric in zip(stories, qualities, metrics, strict=True)],
        evidence=parts(EvidenceRef, m.evidence_for([sid for s in stories for sid in s["citations"]])),
    ).model_dump(mode="json")


def _stories(topics: list[Topic], m: Materials) -> tuple[list[dict[str, Any]], list[str]]:
    """The stories of the goal's topics, one per distinct thing their quotes ask for, and the non-goals left.

    A topic whose cited quotes are user stories asking for different things ('restrict access by IP address',
    'add restriction end dates') gives one story per (role, capability), each citing its own quotes: first the
    one the topic's name shows, then the most asked for. Every topic gets its first story before any topic a
    second one (at most :data:`MAX_SPLIT_STORIES`), and the stories are numbered in that order (so the document's
    goals, its first stories, come from different topics). When the goal names a role some stories are for ('… for
    applicants'), the stories of other specific roles are not drafted but listed as non-goals; a generic user's
    ('As a user') are kept, after the named roles' (the goal's 'users' names them).
    """
    plans = [_split(topic, m) for topic in topics]
    roles = [role for plan in plans for role, _, _ in plan]
    persona_topic = _named_role_topic(m, roles, topics)
    if persona_topic is not None:  # the goal's persona speaks only in evidence set aside: its stories come first
        plans.insert(0, _split(persona_topic, m))
        roles = [role for plan in plans for role, _, _ in plan]
    named = _goal_roles(m, roles)
    other_roles: list[str] = []
    if named:
        about = ", ".join(sorted({r for r in roles if r.lower() in named}))

        def kept(role: str) -> bool:
            return not role or role.lower() in named or _generic(role)

        for plan in plans:
            asked = dict.fromkeys((role, _asked(str(m.evidence[source]["quote"])) if source else want)
                                  for role, want, (_, source) in plan if not kept(role))
            other_roles += [f"{lower_first(want)} for the {role} (the goal is about the {about})"
                            for role, want in asked]
        # A generic user's wants stay, after the roles the goal names (the goal's 'users' names them too).
        plans = [sorted((p for p in plan if kept(p[0])), key=lambda p: bool(p[0]) and p[0].lower() not in named)
                 for plan in plans]
    limit = max(MAX_SPLIT_STORIES if any(len(plan) > 1 for plan in plans) else MAX_STORIES, len(topics))
    # Every topic's most goal-relevant ask first (breadth: no topic left out), then the rest, most relevant first:
    # a topic of 14 stories about estimates drafts those about the goal's ask, not its first 8 in retrieval order.
    scores = goal_relevance(m, [_asked_for(want, source, m) for plan in plans for _, want, (_, source) in plan])
    flat = iter(scores)
    scored = [[(next(flat), i, entry) for i, entry in enumerate(plan)] for plan in plans]
    # the goal's own roles first, as the plan ordered them (the named roles' stories before a generic user's)
    ranked = [sorted(plan, key=lambda e: (not named or (bool(e[2][0]) and e[2][0].lower() not in named), -e[0],
                                          e[1])) for plan in scored]
    firsts = [plan[0] for plan in ranked if plan]
    rest = sorted((e for plan in ranked for e in plan[1:]), key=lambda e: -e[0])
    chosen: list[tuple[str, tuple[Topic, str | None]]] = [(e[2][1], e[2][2]) for e in [*firsts, *rest]][:limit]
    stories: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for want, (topic, source) in chosen:
        story = story_from_topic(topic, m, len(stories) + 1, want=want if source else None, source=source)
        key = (story["as_a"].lower(), story["i_want"].lower())
        if key not in seen:
            seen.add(key)
            stories.append(story)
    return stories, other_roles[:5]


#: Weight of the goal's words (IDF over the candidates) beside the dense cosine in :func:`goal_relevance`.
LEXICAL_WEIGHT = 0.15


def _asked_for(want: str, source: str | None, m: Materials) -> str:
    """What a story asks for and why, as its source states ('show all estimates immediately, so that I can …')."""
    why = stated_benefit(str(m.evidence[source]["quote"])) if source and source in m.evidence else None
    return f"{want}, so that {why}" if why else want


def goal_relevance(m: Materials, wants: list[str]) -> list[float]:
    """How much each capability asked for is about the goal (higher: more).

    Its cosine to the goal's nearest search query, plus :data:`LEXICAL_WEIGHT` × the share of the goal's words it
    uses (each weighed by its IDF over ``wants``).

    A word every candidate uses ('repository' in a repository's backlog) tells none apart; 'datasets' does. Without
    the workspace's embedder (a draft outside a run) the words alone rank.
    """
    if not wants:
        return []
    queries = list(dict.fromkeys(q for q in [*m.searched, m.focus] if q))
    dense = [0.0] * len(wants)
    try:
        if m.workspace:
            embedder = memory_api.workspace(m.workspace).embedder
            vectors = np.asarray(embedder.embed(list(wants)), dtype=np.float32)
            query_vectors = np.asarray([embedder.embed_query(q) for q in queries], dtype=np.float32)
            dense = [float(x) for x in (vectors @ query_vectors.T).max(axis=1)]
    except Exception:  # noqa: BLE001 — no store or embedder: the goal's words alone rank
        dense = [0.0] * len(wants)
    terms = goal_terms(m.focus, *m.searched)
    own = [topic_terms_of(w) for w in wants]
    idf = {t: math.log((1 + len(wants)) / (1 + sum(any(stems_match(t, o) for o in words) for words in own)))
           for t in terms}
    total = sum(idf.values())
    lexical = [sum(idf[t] for t in terms if any(stems_match(t, o) for o in words)) / total if total > 0 else 0.0
               for words in own]
    return [round(d + LEXICAL_WEIGHT * w, 4) for d, w in zip(dense, lexical, strict=True)]


def _named_role_topic(m: Materials, roles: list[str], topics: list[Topic]) -> Topic | None:
    """The user stories of a role the goal names that no goal topic holds, from the run's other evidence; or None.

    The search kept them for the goal (above the relevance floor), but the clustering set them aside as next to it
    ('app that includes — context only' for 'safe for app developers'): the goal's own persona is about the goal.
    None when the goal names no role, or its roles already have stories.
    """
    if not topics or _goal_roles(m, roles):
        return None
    off = [sid for sid in m.off_goal() if m.evidence[sid].get("questions")]
    by_role: dict[str, list[str]] = {}
    for sid in off:
        role = stated_role(str(m.evidence[sid]["quote"]))
        if role:
            by_role.setdefault(role, []).append(sid)
    named = _goal_roles(m, list(by_role))
    ids = sorted((sid for role, group in by_role.items() if role.lower() in named for sid in group),
                 key=lambda s: (-float(m.evidence[s].get("score") or 0.0), s))
    if len(ids) < 2:
        return None
    role = persona(ids, m.evidence)
    return {**topics[0], "id": f"topic:{role.lower().replace(' ', '-')}", "name": role, "signal_ids": ids,
            "signals": len(ids), "ranked": True, "rice": rice_of(ids, m)}


def _split(topic: Topic, m: Materials) -> list[tuple[str, str, tuple[Topic, str | None]]]:
    """(role, capability, (topic, source quote id)) of each distinct thing a topic's cited user stories ask for.

    One entry (the topic itself) when its quotes ask for one thing or are not user stories; quotes that are not
    user stories stay with the first.
    """
    # every signal of the topic, not its first few in retrieval order: the stories drafted are then the ones most about
    # the goal (:func:`goal_relevance`), wherever the search ranked them
    ids = m.topic_cites(topic, limit=max(len(topic["signal_ids"]), CITES_PER_ITEM))
    groups: dict[tuple[str, str], list[str]] = {}
    for sid in ids:
        key = ask_key(str(m.evidence[sid]["quote"]))
        if key is not None:
            groups.setdefault(key, []).append(sid)
    if len(groups) < 2:  # the role counts for the goal only when the quotes state it
        role = persona(topic["signal_ids"], m.evidence) if groups else ""
        return [(role, subject(topic["name"]), (topic, None))]
    role = persona(topic["signal_ids"], m.evidence)
    nature = topic_nature(topic, m.evidence)
    example = example_report(ids, subject(topic["name"]), nature, m.evidence, role)
    shown = next((sid for sid in ids if example and example in str(m.evidence[sid]["quote"])), "")
    keys = list(groups)
    first = next((k for k in keys if shown in groups[k]), max(keys, key=lambda k: (len(groups[k]), -keys.index(k))))
    order = [first, *sorted((k for k in keys if k != first), key=lambda k: (-len(groups[k]), keys.index(k)))]
    loose = [sid for sid in ids if ask_key(str(m.evidence[sid]["quote"])) is None]
    out: list[tuple[str, str, tuple[Topic, str | None]]] = []
    for key in order:
        source = groups[key][0]
        want = _asked(str(m.evidence[source]["quote"]))
        # a quote that is no user story backs the first story only when it names what that story asks for
        own = groups[key] + ([sid for sid in loose if _names_object(want, str(m.evidence[sid]["quote"]))]
                             if key == first else [])
        sub: Topic = {**topic, "signal_ids": own, "signals": len(own), "ranked": True}
        # A quote asking for two things ('see and edit my children') is one story per thing, numbered here.
        # ('both staff and kids', 'between phone and laptop': one thing with two parts).
        # a part that is a clause of its own ('… and I expect that all instances start …') states an expectation,
        # not a capability: it stays in the quote, never a story's "I want"
        wants = [w for w in (_split_atomic(want) if compound(want) else [want]) if not _CLAUSE.match(w)] or [want]
        out += [(stated_role(str(m.evidence[source]["quote"])), part, (sub, source)) for part in wants]
    return out


def _names_object(want: str, quote: str) -> bool:
    """Whether ``quote`` names at least :data:`LOOSE_SHARE` of what ``want`` is about (its object words' stems)."""
    about = story_quality.object_words(want)
    if not about:
        return True
    return len(about & story_quality.object_words(quote)) >= LOOSE_SHARE * len(about)


def _goal_roles(m: Materials, roles: list[str]) -> set[str]:
    """The stories' roles the goal names ('… for applicants' → {'applicant'}), lower case; empty when none is named.

    A role is named when the goal holds its head word ('Development Staff member' → 'member'), singular or plural,
    and the goal's word before that head, when it is a modifier ('for **app** developers'), is a word of the role
    too: 'app developers' names the app developer, not the dataset or plugin developer. 'user(s)' in the goal names
    the generic user's stories too.
    """
    tokens = [w.lower() for w in re.findall(r"[A-Za-z]+", f"{m.goal} {m.focus}")]
    goal = set(tokens) | {w[:-1] for w in tokens if w.endswith("s")}
    named = set()
    for role in roles:
        words = [w.lower() for w in re.findall(r"[A-Za-z]+", role)]
        if not words or words[-1] not in goal:
            continue
        heads = [i for i, w in enumerate(tokens) if w in (words[-1], f"{words[-1]}s")]
        modifiers = [tokens[i - 1] for i in heads if i > 0 and tokens[i - 1] not in _NOT_MODIFIER]
        if len(modifiers) < len(heads) or any(mod.rstrip("s") in {w.rstrip("s") for w in words} for mod in modifiers):
            named.add(role.lower())
    return named


#: Words before a role's head in a goal that do not narrow it ('for the developers', 'help our members').
_NOT_MODIFIER = frozenset(STOPWORDS) | frozenset("for the our their a an all every help let allow enable so that "
                                                  "many more new existing".split())
#: A goal's phrase naming who it is for ('so that data scientists can …', 'for app developers without …').
_GOAL_ROLE = re.compile(
    r"\b(?:so\s+that|for|help|helps|let|allow|enable)\s+(?:the\s+|our\s+|their\s+)?"
    r"((?:[A-Za-z-]+\s+){0,2}?[A-Za-z-]+(?:ists|ers|ors|ians|ents|ants|ees|members|staff))\b", re.IGNORECASE)
#: Who a goal names that is nobody in particular: every role's goal ('users', 'customers', 'people').
_ANYONE = frozenset("users user customers customer people everyone members".split())


def asked_persona(goal: str) -> str:
    """The people a goal names as the ones it is for ('data scientists', 'app developers'), '' when none.

    Only a person's noun after 'for', 'so that', 'help', 'let', 'allow' or 'enable' ('… so that data scientists can
    publish …'); anyone in general ('users', 'customers') is no persona.
    """
    found = _GOAL_ROLE.search(goal)
    if not found:
        return ""
    phrase = found.group(1).strip()
    return "" if phrase.lower() in _ANYONE or phrase.split()[-1].lower() in _ANYONE else phrase


def _speaks_as(asked: str, role: str) -> bool:
    """Whether a stated role is the persona a goal names: each of the persona's words is one of the role's, stemmed.

    'data publishers' is the 'Data Publishing User'; 'app developers' is not the 'dataset developer'.
    """
    own = topic_terms_of(role)
    return all(any(stems_match(word, o) for o in own) for word in topic_terms_of(asked))


def persona_note(m: Materials, roles: list[str]) -> str:
    """'The goal names data scientists; no signal about it is from them …' when nobody the goal names speaks, else ''.

    Said only when the evidence states roles (user stories): the stories' roles are then the ones that do.
    """
    asked = asked_persona(m.goal) or asked_persona(m.focus)
    stated = sorted({r for r in roles if r}, key=str.lower)
    if not asked or not stated or _goal_roles(m, stated) or any(_speaks_as(asked, role) for role in stated):
        return ""
    return (f"The goal names {asked}, but no signal about it is from {asked}: the stories below are from the roles "
            f"that do speak about it ({', '.join(stated[:4])}). {PM}: confirm these roles stand for {asked}, or "
            f"gather evidence from {asked}.")


def _generic(role: str) -> bool:
    """Whether a story's role is the generic user ('user', 'end user', 'registered user'): never a non-goal."""
    words = re.findall(r"[A-Za-z]+", role.lower())
    return bool(words) and words[-1] in {"user", "users"}


def _metric(story: dict[str, Any], topics: list[Topic], m: Materials, quality: str = "F") -> str:
    """A success metric tied to the story's own topic and baseline (a weekly rate only where dates allow one).

    A problem or a question: its reports' rate. Otherwise by the story's requirement type: security → attack
    tests passed and incidents, performance → time under load, availability → uptime, usability → task success,
    functional → adoption; another quality → ``[PM to decide]`` (never an adoption figure for a quality).
    """
    about = _object(str(story["i_want"]), str(story.get("title") or story["i_want"]))
    sid = story["id"]
    if story["i_want"].startswith(("a fix for", "answers to questions")):
        like = short_id(story["citations"][0]) if story["citations"] else "these"
        trend = trends.evidence_trend(_topic_ids(story, topics), m.evidence)
        if trend is not None and not trend.empty:
            return f"{story['id']}: reports like {like} drop from {trend.after_rate()} to {PM} per week"
        return (f"{story['id']}: reports like {like} ({_topic_signals(story, topics)} signals in the period) "
                f"drop to {PM} per week")
    if quality == "SE":
        return (f"{sid}: security tests of {about} — {PM} attack scenarios, none succeeds (pass/fail); security "
                f"incidents involving it: 0 in {PM} weeks after release")
    if quality == "PE":
        return f"{sid}: time taken for {about} at the {PM}th percentile under {PM} concurrent users ≤ {PM} seconds"
    if quality == "A":
        return f"{sid}: uptime of {about} ≥ {PM} % over each {PM}-week period, outside scheduled maintenance"
    if quality == "US":
        return (f"{sid}: task success for {about} — {PM} % of first-time {story['as_a']}s complete it without help "
                "in a usability test")
    if quality in NFR_CATEGORIES:
        return f"{sid}: {PM} — a {NFR_CATEGORIES[quality]} measure for {about}"
    return f"{sid}: {PM} % of {story['as_a']}s use it within {PM} weeks of release"


def _topic_ids(story: dict[str, Any], topics: list[Topic]) -> list[str]:
    for topic in topics:
        if set(story["citations"]) & set(topic["signal_ids"]):
            return list(topic["signal_ids"])
    return list(story["citations"])


def _topic_signals(story: dict[str, Any], topics: list[Topic]) -> int:
    for topic in topics:
        if set(story["citations"]) & set(topic["signal_ids"]):
            return int(topic["signals"])
    return len(story["citations"])


# --------------------------------------------------------------------------- review fixes and PM revisions


def fix(doc: dict[str, Any], m: Materials) -> dict[str, Any]:
    """Apply the scorer's fixes: drop uncited stories, split compound ones, Given/When/Then, add missing stories."""
    notes = [n for n in m.fixes if n["kind"] == KIND]
    stories = list(doc.get("stories") or [])
    by_target = {n["target"]: n for n in notes}
    fixed: list[dict[str, Any]] = []
    for story in stories:
        problems = [n["problem"] for n in notes if n["target"] == story["id"]]
        if "story cites no evidence" in problems:
            continue
        story = dict(story)
        for part in ("as_a", "i_want", "so_that"):
            if not str(story.get(part) or "").strip():
                story[part] = PM
        a_role = f"{story_quality.article(story['as_a'])} {story['as_a']}"
        criteria = [c if re.match(r"^\s*given\b.+\bwhen\b.+\bthen\b", c, re.I | re.S)
                    else f"Given {a_role}, When they use {story['i_want']}, Then {c}"
                    for c in story.get("acceptance_criteria") or []]
        story["acceptance_criteria"] = criteria or [
            f"Given {a_role}, When they use {story['i_want']}, Then {PM}"]
        if "story is not atomic" in problems:
            for part in [p for p in _split_atomic(story["i_want"]) if not _CLAUSE.match(p)] or [story["i_want"]]:
                fixed.append({**story, "i_want": part})
        else:
            fixed.append(story)
    for target, note in by_target.items():
        topic = next((t for t in m.topics if t["id"] == target), None)
        if topic is not None and "has no story" in note["problem"]:
            added = story_from_topic(topic, m, 0)
            added.pop(OPEN, None)
            added.pop(QUALITY, None)
            added.pop(METRIC, None)
            # the goal names the roles it is about: another specific role's story is a non-goal, not a story
            named = _goal_roles(m, [str(s["as_a"]) for s in fixed] + [str(added["as_a"])])
            if named and str(added["as_a"]).lower() not in named and not _generic(str(added["as_a"])):
                continue
            fixed.append(added)
    renamed: dict[str, str] = {}  # a story's drafted id → its new one (the first of its parts)
    for i, story in enumerate(fixed, 1):
        if story.get("id"):
            renamed.setdefault(str(story["id"]), f"S{i}")
        story["id"] = f"S{i}"
    doc = {**doc, "stories": fixed}
    doc.update({name: story_quality.renumber_references(doc.get(name), renamed)
                for name in ("goals", "open_questions", "success_metrics") if doc.get(name)})
    doc["evidence"] = m.evidence_for([sid for s in fixed for sid in s["citations"]])
    return doc


def review(doc: Mapping[str, Any], topics: list[Topic], coverage: bool) -> list[ReviewNote]:
    """Stories that miss a part, are not atomic, lack Given/When/Then criteria or evidence; strong topics left out."""
    notes: list[ReviewNote] = []
    cited: set[str] = set()
    for story in doc.get("stories") or []:
        sid = story.get("id", "?")
        for part in ("as_a", "i_want", "so_that"):
            if not str(story.get(part) or "").strip():
                notes.append(fix_note(KIND, sid, f"missing '{part}'", f"state the {part.replace('_', ' ')} of {sid}"))
        # A user's words quoted in the capability ('a fix for “X and Y”') are one reported situation.
        want = re.sub(r"“[^”]*”", "", str(story.get("i_want") or ""))
        if compound(want):
            notes.append(fix_note(KIND, sid, "story is not atomic", f"split {sid} into one story per capability"))
        criteria = story.get("acceptance_criteria") or []
        if not criteria:
            notes.append(fix_note(KIND, sid, "no acceptance criteria", f"add Given/When/Then criteria to {sid}"))
        for i, criterion in enumerate(criteria):
            if not GWT.search(str(criterion)):
                notes.append(fix_note(KIND, sid, f"criterion {i + 1} is not Given/When/Then",
                                      f"rewrite criterion {i + 1} of {sid} as Given/When/Then"))
        if not story.get("citations"):
            notes.append(fix_note(KIND, sid, "story cites no evidence", f"cite the signals behind {sid} or drop it"))
        cited.update(story.get("citations") or [])
    ranked = sorted((t for t in topics if t["signal_ids"]),
                    key=lambda t: (*scoring.rank_key(t["rice"], t["name"]), t["id"]))
    strongest = distinct_topics(ranked)[:COVERAGE_TOP] if coverage else []
    for topic in strongest:
        if not cited & set(topic["signal_ids"]):
            notes.append(fix_note(KIND, topic["id"], f"strongest topic '{topic['name']}' has no story",
                                  f"add a story for '{topic['name']}'"))
    return notes


_DROP = re.compile(r"\b(?:drop|remove|delete)\s+(?:story\s+)?(S\d+)\b", re.IGNORECASE)


def revise(doc: dict[str, Any], m: Materials) -> dict[str, Any]:
    """Apply a PM's revision offline: 'drop S2' is executed; the request is recorded in the open questions."""
    text = revision_text(m)
    if not text:
        return doc
    drops = {d.upper() for d in _DROP.findall(text)}
    if drops:
        doc = {**doc, "stories": [s for s in doc.get("stories") or [] if s["id"].upper() not in drops]}
        doc["evidence"] = m.evidence_for([sid for s in doc["stories"] for sid in s["citations"]])
    return with_note(doc, "open_questions", f"PM revision: {text}")


# --------------------------------------------------------------------------- LLM drafting


class StoryDraft(BaseModel):
    """A user story: one capability, testable Given/When/Then criteria, cited evidence."""

    as_a: str = Field(description="The user role.")
    i_want: str = Field(description="One capability (atomic: no 'and').")
    so_that: str = Field(description="The benefit, or '[PM to decide]'.")
    acceptance_criteria: list[str] = Field(description="Each 'Given …, When …, Then …'.")
    citations: list[str] = Field(description="Signal ids from the evidence that support the story.")


class RequirementsDraft(BaseModel):
    """Product requirements grounded in the evidence."""

    problem: str
    goals: list[str]
    non_goals: list[str]
    stories: list[StoryDraft]
    open_questions: list[str]
    success_metrics: list[str]


def complete_requirements(draft: BaseModel, m: Materials) -> dict[str, Any]:
    """Requirements from a model draft: ids, RICE, priority and type computed here."""
    assert isinstance(draft, RequirementsDraft)
    relevant = {sid for t in m.topics for sid in t["signal_ids"]}
    off_topic = m.off_goal()
    stories: list[dict[str, Any]] = []
    for s in draft.stories:
        # Only evidence about the goal may back a story: citations of the run's other evidence (context) are
        # removed here, and a story left with none of its own is not kept. Unknown ids stay for validation,
        # which drops and counts them.
        kept = [c for c in s.citations if c not in off_topic]
        if s.citations and not kept:
            continue
        s = s.model_copy(update={"citations": kept})
        i = len(stories) + 1
        topic = topic_for(s.i_want, s.citations, m)
        rice = topic["rice"] if topic else rice_of(s.citations, m)
        stories.append({"id": f"S{i}", "as_a": s.as_a, "i_want": s.i_want, "so_that": s.so_that,
                        "acceptance_criteria": s.acceptance_criteria, "priority": scoring.priority(rice["score"]),
                        # what is asked for, never its benefit: the offline stories' rule (story_type)
                        "type": story_type(quality_code(s.i_want)), "rice": rice,
                        "citations": list(s.citations)})
    if not relevant:  # nothing was found for the goal: no story, whatever the model wrote
        stories = []
    problem = draft.problem if stories else m.nothing_found()
    return Requirements(title=doc_title("Requirements", m.focus), mode=m.mode, problem=problem,
                        goals=draft.goals if stories else [], non_goals=draft.non_goals,
                        stories=parts(Story, stories), open_questions=draft.open_questions,
                        success_metrics=draft.success_metrics,
                        evidence=parts(EvidenceRef, m.evidence_for([sid for s in stories for sid in s["citations"]])),
                        ).model_dump(mode="json")


# --------------------------------------------------------------------------- Markdown and decision log


_STORY_PLACED = frozenset({"id", "as_a", "i_want", "so_that", "acceptance_criteria", "priority", "type", "rice",
                           "citations", "title"})



_PLACED = ("problem", "goals", "non_goals", "stories", "open_questions", "success_metrics")


def _render(doc: Mapping[str, Any]) -> list[str]:
    lines = section("Problem", render_value(doc.get("problem")))
    lines += section("Goals", bullets(doc.get("goals")))
    lines += section("Non-goals", bullets(doc.get("non_goals")))
    stories = [s for s in doc.get("stories") or [] if isinstance(s, Mapping)]
    if stories:
        lines += ["", "## User stories"]
    for n, story in enumerate(stories, start=1):
        name = one_line(story.get("title")) or one_line(story.get("i_want"))
        heading = " — ".join(t for t in (one_line(story.get("id")) or f"Story {n}", name) if t)
        lines += ["", f"### {heading}", ""]
        sentence = story_sentence(story)
        if sentence or story.get("citations"):
            lines += [f"{sentence}{cite(story.get('citations'))}".strip(), ""]
        priority, kind = one_line(story.get("priority")), one_line(story.get("type"))
        facts = " · ".join(f for f in (f"Priority: **{priority}**" if priority else "",
                                       f"Type: {kind}" if kind else "") if f)
        if facts:
            lines.append(f"- {facts}")
        rice = mapping(story.get("rice"))
        if one_line(rice.get("formula")):
            lines.append(f"- {one_line(rice['formula'])}")
        criteria = [c for c in story.get("acceptance_criteria") or [] if one_line(c)]
        if criteria:
            lines.append("- Acceptance criteria:")
            lines += [f"  - {one_line(c)}" for c in criteria]
        for key, value in story.items():
            if key in _STORY_PLACED or is_empty(value):
                continue
            rendered = render_value(value)
            if len(rendered) == 1 and not rendered[0].startswith("- "):
                lines.append(f"- {humanise(key)}: {rendered[0]}")
            elif rendered:
                lines.append(f"- {humanise(key)}:")
                lines += [f"  {line}" for line in rendered]
    lines += section("Open questions", bullets(doc.get("open_questions")))
    lines += section("Success metrics", bullets(doc.get("success_metrics")))
    return lines



def decision(doc: Mapping[str, Any]) -> Decision:
    """The stories as the run's decision, for the decision log."""
    stories = doc.get("stories") or []
    recommendation = "; ".join(f"{s['id']}: {s['i_want']} ({s['priority']})" for s in stories[:5])
    citations = sorted({sid for s in stories for sid in s.get("citations") or []})
    return recommendation, str(doc.get("problem") or ""), citations


register(Deliverable(
    KIND, Requirements, KEYWORDS, draft_requirements, RequirementsDraft, complete_requirements,
    layout=Layout(_render, frozenset(_PLACED)), cited_lists=("stories",), note_field="open_questions",
    fix=fix, revise=revise, check=story_quality.review_requirements, review=review, goal_topics=True, decision=decision,
    decision_rank=1,
))
