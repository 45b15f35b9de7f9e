"""Researcher: answers one research question from the user memory (one parallel branch per question).

Both modes start with the same deterministic retrieval — hybrid search for the question, each
candidate scored by the calibrated relevance model (:mod:`tools.relevance`) and kept only at or
above its floor, and for the landscape question also themes, the dominant segment's profile and the
decision log — so the run's evidence is always real stored signals about the question. Themes
become candidate topics only when the goal asks for a landscape (``plan["landscape"]``); otherwise
they group the relevant evidence, and the workspace's other big themes are context only
(``context_themes``), never evidence. With an LLM, a bounded tool-calling loop over the read-only
research tools then refines the findings; the model may drop evidence (``off_topic``) but never add
any: a signal a tool returned joins the evidence only if it passes the same floor for the question,
and its quotes are kept only when verbatim.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import Counter
from collections.abc import Mapping
from concurrent.futures import Future
from typing import Any

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.utils.function_calling import convert_to_openai_tool
from langgraph.runtime import Runtime
from pydantic import BaseModel, Field, ValidationError

from agents import prompts
from agents.context import OnModelCall, RunCache, RunContext, run_pool, timed
from agents.scorer import read_ahead
from agents.state import ResearchTask, merge_evidence
from kernel.errors import NotFoundError, PmpilotError, TransientError
from kernel.llm import LLMUsage, invoke_tools
from kernel.schemas import EvidenceRow, Signal
from tools.citations import find_span
from tools.relevance import FITTED, UNQUOTABLE_KIND, score_signals
from tools.research import (
    RESEARCH_TOOLS,
    evidence_row,
    fetch_signals,
    goal_search,
    past_decisions,
    profile_claims,
    theme_summaries,
    themes_key,
)
from tools.scoring import tokens
from tools.topics import same_capability
from tools.trends import MIN_WRITTEN_SHARE, counted

logger = logging.getLogger(__name__)

#: Candidates scored for relevance per question.
CANDIDATES = 100
#: Relevant signals kept per question (best first).
SEARCH_LIMIT = 60
#: Relevant evidence rows a theme must group to be a goal topic (when the goal is not a landscape).
MIN_THEME_EVIDENCE = 2
MAX_THEMES = 5
MEMBERS_PER_THEME = 30
MAX_TOOL_ROUNDS = 2


class CitedQuote(BaseModel):
    """A signal that supports a finding, with a verbatim quote of it."""

    signal_id: str = Field(description="Id of a signal returned by a tool or listed as retrieved.")
    quote: str = Field(description="An exact span copied from that signal's text.")


class SubmitFindings(BaseModel):
    """Submit the answer to the research question (ends the research)."""

    summary: str = Field(description="What the evidence says, in 2-4 sentences.")
    citations: list[CitedQuote] = Field(default_factory=list, description="The most telling supporting signals.")
    off_topic: list[str] = Field(default_factory=list,
                                 description="Ids of listed signals that are NOT about the question (dropped).")


#: What the model is offered: the read-only research tools and ``SubmitFindings``, converted to the
#: OpenAI tool format once (the same JSON as converting them per call, without the per-call work).
_OFFERED: list[Any] = [*RESEARCH_TOOLS, SubmitFindings]
OFFERED_TOOLS: list[dict[str, Any]] = [convert_to_openai_tool(t) for t in _OFFERED]


def search(task: ResearchTask, cache: RunCache | None = None) -> dict[str, Any]:
    """Relevance-filtered hybrid search for one question: evidence rows, the finding and the search record."""
    question = task["question"]
    workspace = task["workspace"]
    query = question["query"]
    found, quotes, added = goal_search(workspace, query, segment=question.get("segment"), candidates=CANDIDATES,
                                       limit=SEARCH_LIMIT, memo=cache, themes=_membership(workspace, cache))
    signals = user_speech(fetch_signals(workspace, [h.signal_id for h, _ in found.kept]))
    evidence = {}
    for hit, scored in found.kept:
        if hit.signal_id in signals:
            row = evidence_row(signals[hit.signal_id], query, score=scored.relevance, question=question["id"])
            if hit.signal_id in quotes:  # the sentence that made a long text relevant is what it says about it
                row["quote"] = quotes[hit.signal_id]
            row["relevance"] = scored.relevance
            evidence[hit.signal_id] = row
    record = {"question_id": question["id"], "question": question["question"], "query": query, **found.stats(),
              "kept_by_sentence": added["by_sentence"], "joined_from_cluster": added["by_theme"]}
    update: dict[str, Any] = {"evidence": evidence, "findings": [_finding(question, evidence, "search")],
                              "themes": {}, "context_themes": {}, "decisions": [], "research": [record],
                              "warnings": []}
    # Whether the *run* found nothing is the scorer's call (:func:`agents.scorer.search_warnings`): a goal's
    # whole-sentence question may keep nothing while each of its options or listed objects has evidence.
    return update


def _membership(workspace: str, cache: RunCache | None) -> dict[str, str]:
    """Signal id → theme id of the run's theme snapshot (the one the landscape question reads; {} without one).

    A workspace's first run has no saved snapshot when its research starts: the run's own (prefetched by the
    planner) lets the option questions find their cluster too — ``make demo``'s sync question among them.
    """
    try:
        themes = theme_summaries(workspace, members=True, memo=cache)
    except PmpilotError:  # an empty or tiny workspace: no themes to group by
        return {}
    return {m["signal_id"]: t["id"] for t in themes for m in t.get("members") or []}


def user_speech(signals: dict[str, Signal]) -> dict[str, Signal]:
    """Only what users said: an interviewer's or sales rep's turn, a meeting, a commit or an issue is no evidence.

    Transcripts store each turn's speaker role (``internal`` for the interviewer, PM or vendor staff);
    their questions ("Have you ever had problems with sync?") are never quoted as what users say.
    """
    return {sid: s for sid, s in signals.items() if s.is_customer_speech and s.kind != UNQUOTABLE_KIND}


def prefetch(workspace: str, cache: RunCache) -> None:
    """Start reading the theme snapshot the landscape question will need, whatever the plan says."""
    cache.prefetch(themes_key(workspace), theme_summaries, workspace, members=True)


def landscape(task: ResearchTask, evidence: dict[str, dict[str, Any]], cache: RunCache | None = None
              ) -> dict[str, Any]:
    """For the landscape question: themes, the dominant segment's profile, past decisions.

    When the goal asks for a landscape, theme members are added to ``evidence`` (which it updates in
    place) as candidate topics; otherwise themes only group the relevant evidence already found and
    the workspace's other large themes are returned as ``context_themes``. ``cache`` is the run's:
    the theme snapshot comes from there when the planner prefetched it.
    """
    question = task["question"]
    workspace, query, qid = task["workspace"], question["query"], question["id"]
    context: dict[str, dict[str, Any]] = {}
    if question.get("landscape"):
        themes = _landscape_themes(workspace, query, evidence, cache)
    else:
        themes, context = _goal_themes(workspace, evidence, cache)
    segment = _dominant_segment(evidence)
    findings = _segment_profile(workspace, segment, query, evidence, qid) if segment else []
    decisions = [{**d, "question_id": qid} for d in past_decisions(workspace, query, limit=3)]
    return {"themes": themes, "context_themes": context, "findings": findings, "decisions": decisions}


def retrieve(task: ResearchTask, cache: RunCache | None = None) -> dict[str, Any]:
    """Deterministic retrieval for one question: evidence rows, findings, themes, past decisions."""
    found = search(task, cache)
    if task["question"].get("scope") == "landscape":
        _merge_landscape(found, landscape(task, found["evidence"], cache), None)
    return found


def _merge_landscape(found: dict[str, Any], extra: dict[str, Any], evidence: Mapping[str, EvidenceRow] | None
                     ) -> None:
    """Add a landscape result to ``found``; ``evidence`` is the landscape's own copy when it ran apart."""
    if evidence is not None:
        found["evidence"] = merge_evidence(found["evidence"], evidence)
    found["themes"].update(extra["themes"])
    found["context_themes"].update(extra.get("context_themes") or {})
    found["findings"].extend(extra["findings"])
    found["decisions"].extend(extra["decisions"])


def _theme_brief(theme: dict[str, Any]) -> dict[str, Any]:
    return {"id": theme["id"], "label": theme["label"], "size": theme["size"], "users": theme.get("users", 0),
            "keywords": list(theme.get("keywords") or [])[:6], "trend": theme.get("trend", 0.0)}


def _goal_themes(workspace: str, evidence: dict[str, dict[str, Any]], cache: RunCache | None
                 ) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """Themes that group relevant evidence (rows are tagged; no member is added) and the others as context."""
    try:
        themes = theme_summaries(workspace, members=True, memo=cache)
    except PmpilotError:  # no theme snapshot can be made (an empty or tiny workspace): nothing to group
        return {}, {}
    selected: dict[str, dict[str, Any]] = {}
    for theme in themes:
        members = [m["signal_id"] for m in theme.get("members") or [] if m["signal_id"] in evidence]
        if len(members) < MIN_THEME_EVIDENCE:
            continue
        for sid in members:
            evidence[sid]["themes"] = sorted(set(evidence[sid]["themes"]) | {theme["id"]})
        selected[theme["id"]] = {k: v for k, v in theme.items() if k not in ("members", "quotes")}
        selected[theme["id"]]["quotes"] = [q for q in theme.get("quotes") or [] if q["signal_id"] in evidence]
        selected[theme["id"]]["relevance"] = len(members)
    others = sorted((t for t in themes if t["id"] not in selected), key=lambda t: (-t["size"], t["id"]))
    return selected, {t["id"]: _theme_brief(t) for t in others[:MAX_THEMES]}


def _finding(question: Mapping[str, Any], evidence: Mapping[str, Mapping[str, Any]], kind: str) -> dict[str, Any]:
    rows = [r for r in evidence.values() if question["id"] in r["questions"]]
    users = {r["user_id"] or r["account_id"] or r["signal_id"] for r in rows}
    types = Counter(r["signal_type"] for r in rows).most_common(3)
    kinds = sorted({r["kind"] for r in rows})
    summary = (
        f"{len(rows)} signals from {len(users)} users/accounts ({', '.join(kinds) or 'no sources'}); "
        f"mostly {', '.join(f'{t} ({n})' for t, n in types) or 'nothing'}."
    )
    top = sorted(rows, key=lambda r: -float(r["score"]))[:5]
    return {"question_id": question["id"], "question": question["question"], "kind": kind, "summary": summary,
            "signal_ids": [r["signal_id"] for r in top]}


#: Words of a landscape goal that ask for the landscape itself, not for a subject ("what should we build next?").
_LANDSCAPE_WORDS = frozenset(tokens(
    "what which should shall could can do we i build building ship do work focus prioritise prioritize next roadmap "
    "landscape biggest top main key most common pain pains point points problem problems issue issues request "
    "requests complaint complaints theme themes opportunity opportunities need needs backlog overall user users "
    "customer customers feedback asking ask want wanting complaining say saying our the to on about first now"))


def _landscape_themes(workspace: str, query: str, evidence: dict[str, dict[str, Any]], cache: RunCache | None
                      ) -> dict[str, dict[str, Any]]:
    """Themes that become the landscape's candidate topics, their members added to ``evidence``.

    A landscape goal about a subject ("the biggest pain points in onboarding") takes the themes that hold its
    hits (or share its words). A landscape goal about nothing in particular ("what should we build next?")
    takes the workspace's largest themes, up to :data:`MAX_THEMES`: only themes at least half made of what
    users wrote or said (tickets, reviews, surveys, their own turns in calls — not usage events, not an
    interviewer's or a sales rep's turns; their questions count: "how do I …" is something users need) and one
    per capability ("sync" and "sync (conflict)" are one).
    """
    themes = theme_summaries(workspace, members=True, memo=cache)
    query_tokens = tokens(query)
    hit_ids = set(evidence)

    def relevance(theme: dict[str, Any]) -> float:
        members = {m["signal_id"] for m in theme.get("members") or []}
        words = tokens(" ".join([theme["label"], *theme.get("keywords", [])]))
        return 2 * len(members & hit_ids) + len(words & query_tokens)

    ranked = sorted(themes, key=lambda t: (-relevance(t), -t["size"], t["id"]))
    generic = not (query_tokens - _LANDSCAPE_WORDS)
    pool = ranked if generic else [t for t in ranked if relevance(t) > 0] or ranked[:3]
    selected: dict[str, dict[str, Any]] = {}
    labels: list[str] = []
    for theme in pool:
        if len(selected) >= MAX_THEMES:
            break
        label = _base_label(theme["label"])
        if any(label.lower() == other.lower() or same_capability(label, other) for other in labels):
            continue
        member_ids = [m["signal_id"] for m in theme.get("members") or []]
        quote_ids = [q["signal_id"] for q in theme.get("quotes") or []]
        ids = list(dict.fromkeys([*quote_ids, *member_ids]))[:MEMBERS_PER_THEME]
        fetched = fetch_signals(workspace, ids)
        stored = user_speech(fetched)
        said = sum(1 for s in stored.values() if counted(s.kind))
        if not stored or (generic and said < MIN_WRITTEN_SHARE * len(fetched)):
            continue  # mostly usage events or an interviewer's turns: not something users said
        theme_quotes = {q["signal_id"]: q["quote"] for q in theme.get("quotes") or []}
        for sid in ids:
            if sid not in stored:
                continue
            row = evidence_row(stored[sid], f"{theme['label']} {query}", theme=theme["id"])
            span = find_span(stored[sid].text, theme_quotes[sid]) if sid in theme_quotes else None
            if span:
                row["quote"] = span
            if sid in evidence:
                evidence[sid]["themes"] = sorted(set(evidence[sid]["themes"]) | {theme["id"]})
            else:
                evidence[sid] = row
        selected[theme["id"]] = {k: v for k, v in theme.items() if k != "members"}
        selected[theme["id"]]["quotes"] = [q for q in theme.get("quotes") or [] if q["signal_id"] in stored]
        selected[theme["id"]]["relevance"] = relevance(theme)
        labels.append(label)
    return selected


def _base_label(label: str) -> str:
    """A theme label without its disambiguating suffix ('sync (conflict)' → 'sync')."""
    return label.split(" (", 1)[0].strip() or label


def _dominant_segment(evidence: dict[str, dict[str, Any]]) -> str | None:
    segments = Counter(r["segment"] for r in evidence.values() if r.get("segment"))
    return segments.most_common(1)[0][0] if segments else None


def _segment_profile(workspace: str, segment: str, query: str, evidence: dict[str, dict[str, Any]],
                     qid: str) -> list[dict[str, Any]]:
    try:
        profile = profile_claims(workspace, segment=segment, limit=5)
    except NotFoundError:  # a segment seen in hits but not yet profiled: the profile adds nothing
        return []
    claim_ids = [sid for c in profile["claims"] for sid in c["evidence"][:3]]
    stored = user_speech(fetch_signals(workspace, claim_ids))
    # Profile evidence joins only when it is itself about the question (same floor as the search).
    scored = score_signals(workspace, query, [(sid, s.text) for sid, s in stored.items() if sid not in evidence])
    for item in scored:
        if item.relevance >= FITTED.floor:
            row = evidence_row(stored[item.signal_id], query, score=item.relevance, question=qid)
            row["relevance"] = item.relevance
            evidence[item.signal_id] = row
    stored = {sid: s for sid, s in stored.items() if sid in evidence}
    return [
        {"question_id": qid, "question": f"Profile of segment {segment}", "kind": "profile",
         "summary": f"{c['type']}: {c['text']} (support {c['support']})",
         "signal_ids": [sid for sid in c["evidence"][:3] if sid in stored]}
        for c in profile["claims"]
    ]


def _signals_block(evidence: dict[str, dict[str, Any]], limit: int = 15) -> str:
    rows = sorted(evidence.values(), key=lambda r: -float(r["score"]))[:limit]
    return "\n".join(f"[{r['signal_id']}] ({r['kind']}, {r['source']}, segment {r['segment']}) "
                     f"{prompts.data(r['quote'])}" for r in rows)


def _run_tool(name: str, args: dict[str, Any], task: ResearchTask, evidence: dict[str, dict[str, Any]],
              cache: RunCache | None = None) -> str:
    """One read-only tool call; a bad argument or an unknown subject is reported back to the model."""
    tool = {t.name: t for t in RESEARCH_TOOLS}[name]
    try:
        result = tool.invoke(args, config={"configurable": {"workspace": task["workspace"], "memo": cache}})
    except (ValidationError, PmpilotError) as exc:  # the model's arguments were wrong: it may correct them
        return f"error: {' '.join(str(exc).split())[:300]}"
    _absorb(task, result, evidence)
    return prompts.data(json.dumps(result, ensure_ascii=False, default=str)[:6000])


def llm_refine(task: ResearchTask, found: dict[str, Any], context: RunContext, usage: LLMUsage,
               on_call: OnModelCall | None = None) -> int:
    """Bounded tool loop; updates ``found`` in place and returns how many invalid citations were dropped.

    At most :data:`MAX_TOOL_ROUNDS` calls: the model may use the read-only tools in the first
    rounds, and the last round forces ``SubmitFindings``. Only the research tools and
    ``SubmitFindings`` are ever offered; the workspace comes from the task, never from the model.
    ``on_call`` runs as the first request goes out.
    """
    question = task["question"]
    evidence: dict[str, dict[str, Any]] = found["evidence"]
    model = context.chat("researcher", usage)
    messages: list[BaseMessage] = [
        SystemMessage(prompts.RESEARCHER_SYSTEM.format(max_rounds=MAX_TOOL_ROUNDS - 1)),
        HumanMessage(prompts.RESEARCHER_USER.format(question=prompts.data(question["question"]),
                                                    goal=prompts.pm_text(task["goal"]),
                                                    signals=_signals_block(evidence))),
    ]
    submitted: SubmitFindings | None = None
    for round_ in range(1, MAX_TOOL_ROUNDS + 1):
        last = round_ == MAX_TOOL_ROUNDS
        callbacks: list[Any] = [on_call] if on_call else []
        if last:  # what the scorer needs whatever this answer says is read while it is awaited
            read_ahead(task["workspace"], question["id"], list(evidence), context.cache)
            callbacks.append(context.cache.on_model_call())
        reply = invoke_tools(model, OFFERED_TOOLS, messages, usage=usage,
                             config={"callbacks": callbacks} if callbacks else None,
                             tool_choice=SubmitFindings.__name__ if last else None)
        messages.append(reply)
        for call in reply.tool_calls:
            if call["name"] == SubmitFindings.__name__:
                try:
                    submitted = SubmitFindings.model_validate(call["args"])
                except ValidationError as exc:
                    logger.warning("researcher %s: unusable SubmitFindings (%s)", question["id"], exc.error_count())
                messages.append(ToolMessage("submitted", tool_call_id=call["id"]))
                continue
            context.emit("tool_call", "researcher", f"{call['name']}({json.dumps(call['args'])[:120]})",
                         tool=call["name"], args=call["args"])
            content = _run_tool(call["name"], call["args"], task, evidence, context.cache)
            messages.append(ToolMessage(f"<data kind=\"tool_result\">\n{content}\n</data>", tool_call_id=call["id"]))
        if submitted is not None:
            break
        if not reply.tool_calls:
            messages.append(HumanMessage("Submit your findings now with SubmitFindings."))
    if submitted is None:
        return 0
    return _apply_findings(task, submitted, found)


def _absorb(task: ResearchTask, result: Any, evidence: dict[str, dict[str, Any]]) -> None:
    """Signals a tool returned become evidence the model may cite, only when they pass the relevance floor."""
    rows = result if isinstance(result, list) else []
    ids = [r["signal_id"] for r in rows if isinstance(r, dict) and r.get("signal_id")]
    new = [sid for sid in dict.fromkeys(ids) if sid not in evidence]
    if not new:
        return
    query = task["question"]["query"]
    signals = user_speech(fetch_signals(task["workspace"], new))
    scored = score_signals(task["workspace"], query, [(sid, s.text) for sid, s in signals.items()])
    for item in scored:
        if item.relevance >= FITTED.floor:
            row = evidence_row(signals[item.signal_id], query, score=item.relevance, question=task["question"]["id"])
            row["relevance"] = item.relevance
            evidence[item.signal_id] = row


def _apply_findings(task: ResearchTask, submitted: SubmitFindings, found: dict[str, Any]) -> int:
    evidence: dict[str, dict[str, Any]] = found["evidence"]
    qid = task["question"]["id"]
    for sid in submitted.off_topic:  # the model may drop this question's evidence, never add any
        row = evidence.get(sid)
        if row is not None and row.get("questions") == [qid] and not row.get("themes"):
            del evidence[sid]
    if found.get("research"):
        found["research"][0]["kept"] = sum(1 for r in evidence.values() if qid in (r.get("questions") or []))
        found["research"][0]["dropped_by_model"] = len(set(submitted.off_topic) - set(evidence))
    stored = fetch_signals(task["workspace"], [c.signal_id for c in submitted.citations])
    dropped = off_topic = 0
    cited: list[str] = []
    for citation in submitted.citations:
        if citation.signal_id in stored and citation.signal_id not in evidence:
            off_topic += 1  # a real signal, but not relevant evidence for this question: never added
            continue
        span = find_span(stored[citation.signal_id].text, citation.quote) if citation.signal_id in stored else None
        if span is None:
            dropped += 1
            continue
        evidence[citation.signal_id]["quote"] = span
        cited.append(citation.signal_id)
    if found.get("research"):
        found["research"][0]["off_topic_citations_dropped"] = off_topic
    found["findings"].insert(0, {
        "question_id": task["question"]["id"], "question": task["question"]["question"], "kind": "llm",
        "summary": submitted.summary.strip(), "signal_ids": list(dict.fromkeys(cited)),
    })
    return dropped


def _summary(update: dict[str, Any]) -> str:
    return f"{len(update.get('evidence') or {})} signals, {len(update.get('themes') or {})} themes"


def search_turn(cache: RunCache) -> threading.Lock:
    """The run's branches search one at a time before their first model request (LLM mode).

    Searching together, the branches share the interpreter, so each sends its request once almost all of
    them have searched, and the three tool rounds then come back and run together too. One at a time, the
    first request goes out after one search and the next branches search while it is awaited; the last
    request leaves when it did before (the same work), and the earlier branches' tool rounds are done by
    the time the last one's answer comes. What each branch finds is the same.
    """
    lock: threading.Lock = cache.get(("search-turn",), threading.Lock)
    return lock


@timed("researcher", _summary)
def research(task: ResearchTask, runtime: Runtime[RunContext]) -> dict[str, Any]:
    """Answer one research question; returns evidence, findings, themes and past decisions."""
    context = runtime.context
    usage = LLMUsage()
    dropped = 0
    if context.offline:
        found = retrieve(task, context.cache)
    else:
        with search_turn(context.cache):
            found = search(task, context.cache)
        # Themes, profile and decision log do not change what the model is shown first, so they
        # are gathered while the model works: started as the first request goes out, their CPU
        # work overlaps the wait for the server instead of delaying the request.
        own: dict[str, Any] = {sid: dict(row) for sid, row in found["evidence"].items()}
        extra: list[Future[dict[str, Any]]] = []
        on_call = OnModelCall(lambda: extra.append(run_pool().submit(landscape, task, own, context.cache))) \
            if task["question"].get("scope") == "landscape" else None
        try:
            dropped = llm_refine(task, found, context, usage, on_call)
        except TransientError as exc:
            # The retrieval already answers the question from stored evidence; a model that stays
            # unreachable or unusable after the retries only costs the run its summary.
            logger.warning("researcher %s: model unavailable, keeping retrieved evidence: %s",
                           task["question"]["id"], exc)
            context.emit("error", "researcher", f"{task['question']['id']}: model unavailable ({exc}); "
                         "kept the retrieved evidence", question=task["question"]["question"])
        if on_call is not None:
            on_call.fire()  # a no-op unless no request went out (the model failed first)
            _merge_landscape(found, extra[0].result(), own)
    # Usage events are behaviour, not words: a theme or profile may hold them, but they are never quoted.
    found["evidence"] = {sid: row for sid, row in found["evidence"].items() if row.get("kind") != UNQUOTABLE_KIND}
    context.emit("evidence", "researcher", f"{task['question']['id']}: {len(found['evidence'])} signals",
                 question=task["question"]["question"], signal_ids=list(found["evidence"])[:20])
    return {**found, "llm": usage.as_dict(), "dropped_invalid": dropped}
