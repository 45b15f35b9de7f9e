"""Writer: the graph node that drafts every planned deliverable, offline or with an LLM.

What each kind drafts, and how, lives in its module under ``agents/deliverables`` (reached through
:data:`agents.deliverables.DELIVERABLES`). This node picks what to draft — everything on the first
pass, the kinds the scorer's review sent fixes for, or everything again after a PM's revision — and
how: offline drafters, the review's mechanical fixes (no LLM call in either mode), or one structured
call per deliverable, run concurrently. Scores, ids and counts are always computed by code.
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from typing import Any

from langchain_core.messages import HumanMessage, SystemMessage
from langgraph.runtime import Runtime

from agents import prompts
from agents.context import RunContext, run_pool, timed
from agents.deliverables import DELIVERABLES, Materials
from agents.deliverables.base import check_drafts, with_note
from agents.state import PMState
from kernel.errors import TransientError
from kernel.llm import LLMUsage, invoke_structured
from kernel.schemas import EvidenceRow
from tools import story_quality

logger = logging.getLogger(__name__)


def _evidence_block(m: Materials, kind: str, limit: int = 60) -> str:
    """The evidence the model may cite: for the goal's documents, the goal's topics' (context rows are not shown)."""
    off_topic = m.off_goal() if DELIVERABLES[kind].goal_topics else set()
    rows = sorted((r for sid, r in m.evidence.items() if sid not in off_topic),
                  key=lambda r: -float(r.get("score") or 0.0))[:limit]
    return "\n".join(f"[{r['signal_id']}] ({r['kind']}, {r['source']}, {r.get('segment') or '-'}) "
                     f"{prompts.data(r['quote'])}" for r in rows)


def _scores_block(m: Materials) -> str:
    return json.dumps([{"name": t["name"], "kind": t["kind"], "total": t["total"], "rice": t["rice"]["formula"],
                        "signals": t["signals"], "cite": m.topic_cites(t, 5)} for t in m.topics],
                      ensure_ascii=False)


def draft_llm(kind: str, m: Materials, context: RunContext, usage: LLMUsage,
              previous: dict[str, Any] | None) -> dict[str, Any]:
    """One structured writer call for one deliverable, completed with computed fields.

    A model that stays unreachable or unusable after the retries (``TransientError``) does not
    fail the run: the deliverable is drafted deterministically instead, labelled ``mode: offline``,
    with a note saying why.
    """
    spec = DELIVERABLES[kind]
    if spec.llm_schema is None or spec.complete_llm is None:
        return spec.draft_offline(m)
    feedback = m.feedback or ""
    if previous is not None and feedback:
        feedback = f"{feedback}\nPrevious draft:\n{json.dumps(previous, ensure_ascii=False)[:6000]}".strip()
    messages = [
        SystemMessage(prompts.WRITER_SYSTEM.format(kind=kind)),
        HumanMessage(prompts.WRITER_USER.format(
            kind=kind, audience=m.audience, goal=prompts.pm_text(m.goal), scores=prompts.data(_scores_block(m)),
            findings=prompts.data(json.dumps([{k: f[k] for k in ("question", "summary", "signal_ids")}
                                              for f in m.findings], ensure_ascii=False)[:6000]),
            decisions=prompts.data(json.dumps(m.decisions[:3], ensure_ascii=False, default=str)[:2000]),
            evidence=_evidence_block(m, kind), feedback=prompts.pm_text(feedback) if feedback else "none",
        )),
    ]
    try:
        draft = invoke_structured(context.chat("writer", usage), spec.llm_schema, messages, usage=usage)
    except TransientError as exc:
        logger.warning("writer %s: model unavailable, drafting offline: %s", kind, exc)
        context.emit("error", "writer", f"{kind}: model unavailable ({exc}); drafted without it", kind=kind)
        offline = replace(m, mode="offline")
        doc = spec.draft_offline(offline)
        if spec.note_field:
            doc = with_note(doc, spec.note_field, f"Drafted without the language model, which was unavailable: {exc}")
        return doc
    return spec.complete_llm(draft, m)


# --------------------------------------------------------------------------- node


def _summary(update: dict[str, Any]) -> str:
    return "drafted " + ", ".join(sorted(update.get("drafts") or {}))


@timed("writer", _summary)
def write(state: PMState, runtime: Runtime[RunContext]) -> PMState:
    """Draft (or fix, or revise) every planned deliverable."""
    context = runtime.context
    m = Materials.from_state(state)
    drafts = dict(state.get("drafts") or {})
    kinds = [k for k in state["plan"]["deliverables"] if k in DELIVERABLES]
    if not drafts:
        targets = kinds
    elif m.fixes:
        targets = sorted({n["kind"] for n in m.fixes if n["kind"] in kinds})
    else:
        targets = kinds
    collected: dict[str, EvidenceRow] = {}
    for kind in targets:
        collect = DELIVERABLES[kind].collect
        if collect is not None and kind not in drafts:
            collected.update(collect(m))
    m.evidence = {**m.evidence, **collected}
    usage = LLMUsage()
    if m.fixes and drafts:
        # The scorer's fixes are mechanical (split, rephrase as Given/When/Then, cite, add a story for a
        # scored topic): code applies them in both modes, so a review round costs no LLM call.
        for kind in targets:
            spec = DELIVERABLES[kind]
            if kind not in drafts:
                drafts[kind] = spec.draft_offline(m)
            elif spec.fix is not None:
                drafts[kind] = spec.fix(drafts[kind], m)
    elif context.offline:
        for kind in targets:
            spec = DELIVERABLES[kind]
            if kind not in drafts:
                drafts[kind] = spec.draft_offline(m)
            elif spec.revise is not None:
                drafts[kind] = spec.revise(drafts[kind], m)
    else:
        futures = {kind: run_pool().submit(draft_llm, kind, m, context, usage, drafts.get(kind)) for kind in targets}
        for kind, future in futures.items():
            drafts[kind] = future.result()
    for kind in targets:
        # A kind's check (the story-quality check) runs on every draft, offline or a model's.
        check = DELIVERABLES[kind].check
        if check is story_quality.review_requirements and kind in drafts:
            # With the evidence, the story check also sees a title cut before its end ('… my top' of 'top up').
            drafts[kind] = story_quality.review_requirements(drafts[kind], m.evidence)
        elif check is not None and kind in drafts:
            drafts[kind] = check(drafts[kind])
    check_drafts({kind: drafts[kind] for kind in targets if kind in drafts})
    for kind in targets:
        context.emit("artifact", "writer", f"drafted {kind}", kind=kind)
    update: PMState = {"drafts": drafts, "human_feedback": None, "llm": usage.as_dict()}
    if collected:
        update["evidence"] = collected
    return update
