"""Stakeholder brief: TL;DR, what users are telling us (sections with quotes and trends), proposal, risks, asks.

Offline, one section per goal topic (at most :data:`MAX_BRIEF_THEMES`), headed by what users say
(``common.section_heading``), and the memo's close-call rule for the proposal; the asks depend on the
audience (exec, eng, sales). With a model, the sections' counts, users and trends are computed here.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from agents.deliverables import labels
from agents.deliverables.base import (
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
from agents.deliverables.common import (
    CitedQuote,
    best_option,
    close_call,
    memo_options,
    pick_quotes,
    section_heading,
    theme_users,
    topic_for,
    trim_label,
)
from agents.deliverables.decision_memo import condition_evidence, exclusive_evidence
from agents.state import ReviewNote, Topic
from kernel.artifacts import Brief, BriefTheme, EvidenceRef
from tools import scoring, trends
from tools.render import Layout, bullets, cite, field_lines, mapping, one_line, render_value, section
from tools.wording import PM, known_reporters, lower_first

KIND = "brief"
KEYWORDS = (" brief", "leadership", "stakeholder", " exec", "board", "update for")
MAX_BRIEF_THEMES = 5


#: How a section listing capabilities too small for their own section starts.
_LISTED = ("Needs: ", "Other needs: ")
#: A capability group needs this many signals to be a section of its own; smaller ones share one section.
MIN_SECTION = 2


def goal_role(m: Materials) -> str:
    """The story role the goal names ('what depositors need' → 'depositor'), '' when it names none.

    A role is one the evidence's user stories have ('As a depositor, …'), matched to a goal word by lemma.
    """
    roles = Counter(labels.story_role(str(r.get("quote") or "")) for r in m.evidence.values())
    roles.pop("", None)
    words = re.findall(r"[A-Za-z][\w-]*", f"{m.goal} {m.focus}")
    for role, _ in roles.most_common():
        if any(labels.same_lemma(role, " ".join(words[i:i + len(role.split())])) for i in range(len(words))):
            return role
    return ""


def _about_role(sid: str, role: str, m: Materials) -> bool:
    """Whether a signal may stand for a goal that names ``role``: a story of that role, or not a story at all."""
    own = labels.story_role(str(m.evidence[sid].get("quote") or ""))
    return not role or not own or own == role


def _pools(m: Materials) -> tuple[list[tuple[Topic, list[str]]], set[str]]:
    """The goal topics' evidence, lemma variants ('deposit' / 'depositor') joined as one, and what was absorbed.

    When the goal names a story role, only that role's stories (and non-story signals) stand for it, and that
    role's stories the search kept outside every topic join the largest pool: they are the goal itself.
    """
    themed = m.ranked("theme") or m.ranked()
    role = goal_role(m)
    pools: list[tuple[Topic, list[str]]] = []
    for topic in themed:
        ids = [sid for sid in topic["signal_ids"] if sid in m.evidence and _about_role(sid, role, m)]
        twin = next((k for k, (t, _) in enumerate(pools) if labels.same_lemma(t["name"], topic["name"])), None)
        if ids and any(set(ids) <= set(pool) for _, pool in pools):
            continue  # the same signals under another name ('fix sync', 'sync conflicts'): one section, not two
        if twin is not None:
            pools[twin][1].extend(s for s in ids if s not in pools[twin][1])
        elif ids:
            pools.append((topic, ids))
    absorbed: set[str] = set()
    if role and pools:
        used = {sid for t in m.topics for sid in t["signal_ids"]}
        extra = [sid for sid, row in m.evidence.items() if sid not in used and not row.get("context")
                 and labels.story_role(str(row.get("quote") or "")) == role]
        pools[0][1].extend(extra)
        absorbed = set(extra)
    return pools, absorbed


def _sections(m: Materials) -> list[tuple[str, Topic, list[str]]]:
    """The brief's sections: (label, topic, signal ids), at most :data:`MAX_BRIEF_THEMES`, biggest first.

    A topic whose signals state what they want to do (user stories' 'I want to …') is split by capability and
    each part labelled verb + object in the evidence's words ('deposit and maintain datasets'); groups under
    :data:`MIN_SECTION` share one section labelled by their capabilities. Other topics keep their heading
    (:func:`common.section_heading`), never a whole quoted sentence.
    """
    out: list[tuple[str, Topic, list[str]]] = []
    others: list[tuple[str, Topic, list[str]]] = []  # the capabilities too small for a section of their own: last
    pools, _ = _pools(m)
    for topic, ids in pools:
        items = [(sid, str(m.evidence[sid].get("quote") or "")) for sid in ids]
        groups = labels.capability_groups(items)
        if groups and sum(len(g) for _, g in groups) * 2 >= len(ids):
            big = [(label, g) for label, g in groups if len(g) >= MIN_SECTION]
            small = [(label, g) for label, g in groups if len(g) < MIN_SECTION]
            out += [(_capital(label), topic, g) for label, g in big]
            rest = [sid for sid in ids if not any(sid in g for _, g in big)]
            if small and rest:
                # labelled by the capabilities its quotes show first (the order it cites them in)
                first = [sid for sid in m.topic_cites({**topic, "signal_ids": rest}, len(rest))]
                named = list(dict.fromkeys(label for sid in first for label, g in small if sid in g))
                more = len(small) - min(3, len(named))
                others.append((f"{_LISTED[1] if big or out else _LISTED[0]}" + "; ".join(named[:3])
                               + (f" and {more} more" if more > 0 else ""), topic, first))
            continue
        label = section_heading({**topic, "signal_ids": ids}, m)
        if "“" in label:  # a whole quote is no label: what the topic is about, in its members' words
            nature = "Questions" if label.startswith("Questions") else "Reports"
            label = f"{nature} about {trim_label(labels.phrase_label(topic['name'], [q for _, q in items]))}"
        out.append((label, topic, ids))
    out.sort(key=lambda s: -len(s[2]))
    out = out[:MAX_BRIEF_THEMES - min(1, len(others))]
    return out + [(label, topic, ids) for label, topic, ids in others][:MAX_BRIEF_THEMES - len(out)]


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def draft_brief(m: Materials) -> dict[str, Any]:
    """A stakeholder brief for the plan's audience."""
    sections = _sections(m)
    themes: list[dict[str, Any]] = []
    end = trends.evidence_end(m.evidence)
    for label, topic, ids in sections:
        theme = topic.get("theme") or {}
        whole = set(ids) == {s for s in topic["signal_ids"] if s in m.evidence}
        cites = m.topic_cites({**topic, "signal_ids": ids})
        themes.append({
            "label": label,
            "signals": int(theme.get("size") or len(ids)) if whole else len(ids),
            "users": theme_users(theme if whole else {}, ids, m),
            **trends.trend_fields(trends.evidence_trend(ids, m.evidence, end)),
            "quotes": pick_quotes(cites, m, theme if whole else None, name=label),
            "citations": cites,
        })
    # Only a goal that is a choice has bets to weigh: the memo's options, its close-call rule and its winner.
    choice = any(t["kind"] == "option" and t["signal_ids"] for t in m.topics)
    # The options as the decision memo scores them (on the evidence about what each asks for), so the two
    # documents of one run never name different winners or margins.
    judged = sorted((t for t in exclusive_evidence([condition_evidence(t, m)[0] for t in memo_options(m)], m)[0]
                     if t["signal_ids"]), key=lambda t: (-t["total"], len(t["id"]))) if choice else []
    best = (judged[0] if judged else best_option(m)) if choice else None
    cited = {sid for _, _, ids in sections for sid in ids}
    total_users = known_reporters(m.evidence[s] for s in cited if s in m.evidence)
    undecided = close_call(m, judged) if choice else None  # within the margin, the brief proposes no winner either
    # a section that lists small needs is no single thing to start with
    # the section with the most signals as shown (a theme's whole size), not the first by its cited pool
    top = max((t for t in themes if not t["label"].startswith(_LISTED)), key=lambda t: t["signals"], default=None)
    if choice:
        proposal = undecided or (f"Prioritise {best['name']}: it scores {best['total']}/100 on the decision "
                                 f"criteria ({best['formulas']['total']})." if best else
                                 f"{PM}: no option is supported by enough evidence.")
    elif top:
        count = f"{top['signals']} signal{'s' if top['signals'] != 1 else ''}"
        proposal = (f"Start with {lower_first(top['label'])}: {count}"
                    + (f", the most of the brief's {len(themes)} sections" if len(themes) > 1 else "")
                    + f". {PM}: scope and effort.")
    elif themes:
        proposal = (f"{PM}: which need to start with — no capability in the evidence has more than one signal "
                    f"({lower_first(themes[0]['label'])}).")
    else:
        proposal = f"{PM}: no need is supported by enough evidence."
    risks = [f"'{t['label']}' is growing ({t['trend_counts']['text']})."
             for t in themes if trends.is_growing(t["trend_counts"])]
    churn_rows = [r for r in m.evidence.values() if r["signal_type"] == "churn_risk"]
    if churn_rows:
        accounts = len({r["account_id"] for r in churn_rows if r["account_id"]})
        risks.append(f"{len(churn_rows)} churn-risk signal{'s' if len(churn_rows) != 1 else ''}"
                     + (f" from {accounts} account{'s' if accounts != 1 else ''}" if accounts else "")
                     + " in the evidence.")
    if choice:
        risks += [f"Evidence for '{t['name']}' is thin (confidence {t['rice']['confidence']})."
                  for t in m.ranked()[:3] if t["rice"]["confidence"] < 0.5]
    else:
        risks += [f"Evidence for '{t['label']}' is thin ({t['signals']} signal{'s' if t['signals'] != 1 else ''})."
                  for t in themes[:3] if t["signals"] < MIN_SECTION]
    estimate = ", ".join(t["name"] for t in m.ranked()[:3]) if choice else ", ".join(t["label"] for t in themes[:3])
    named = best["name"] if choice and best else (lower_first(top["label"]) if top else "")
    asks = {
        "exec": [f"Approve prioritising {named}." if named and not undecided else
                 f"{PM}: which bet to fund." if choice else f"{PM}: what to fund first.",
                 f"{PM}: staffing for the top stories (effort estimates pending)."],
        "eng": [f"Estimate effort for {estimate} "
                f"(scores use a default of {scoring.DEFAULT_EFFORT} person-month).",
                "Flag technical risks the user evidence cannot show."],
        "sales": ["Tell affected accounts what is planned and when.",
                  f"{PM}: which accounts get early access."],
    }.get(m.audience, [f"{PM}: what we need from this audience."])
    summary = "; ".join(f"{lower_first(t['label'])} ({t['signals']} signal{'s' if t['signals'] != 1 else ''}"
                        + (f", {t['users']} users)" if t["users"] else ")") for t in themes[:3])
    if themes:
        who = (f"{total_users} users/accounts in the evidence" if total_users else
               f"{len(cited)} signals in the evidence (users not recorded)")
        lead = undecided or (f"Recommendation: prioritise {best['name']} ({best['total']}/100)." if best else "")
        tldr = f"{who} for '{m.focus}'. What they report: {summary}. {lead}"
    else:
        tldr = m.nothing_found()
    tldr = f"{tldr.strip()} {_context(m, cited)}"
    return Brief(title=doc_title(f"Brief ({m.audience})", m.focus), mode=m.mode, audience=m.audience,
                 tldr=tldr.strip(), themes=parts(BriefTheme, themes), proposal=proposal,
                 risks=risks or ["No major risk signalled in the evidence."], asks=asks,
                 evidence=parts(EvidenceRef, m.evidence_for([sid for t in themes for sid in t["citations"]])),
                 ).model_dump(mode="json")


def _context(m: Materials, cited: set[str]) -> str:
    """:meth:`Materials.also`, without the clusters 'found next to the goal' that the brief's sections hold.

    A near cluster is named by its members' words; when the goal's own role stories the brief absorbed
    (:func:`_pools`) use its label, it was not next to the goal but part of it.
    """
    _, absorbed = _pools(m)
    if not absorbed:
        return m.also()
    quotes = " ".join(str(m.evidence[s].get("quote") or "").lower() for s in absorbed)
    near = list(m.near)
    m.near = [n for n in near if not all(w in quotes for w in re.findall(r"\w+", str(n.get("label") or "").lower()))]
    try:
        return m.also()
    finally:
        m.near = near


# --------------------------------------------------------------------------- review fixes and PM revisions


def fix(doc: dict[str, Any], m: Materials) -> dict[str, Any]:
    """Apply the scorer's fixes: quote users in every section, write a missing TL;DR."""
    themes = []
    for theme in doc.get("themes") or []:
        if not theme.get("quotes"):
            theme = {**theme, "quotes": pick_quotes(theme.get("citations") or [], m, None)}
        themes.append(theme)
    doc = {**doc, "themes": themes}
    if not str(doc.get("tldr") or "").strip():
        doc["tldr"] = draft_brief(m)["tldr"]
    doc["evidence"] = m.evidence_for([sid for t in themes for sid in t.get("citations") or []])
    return doc


def review(doc: Mapping[str, Any], topics: list[Topic], coverage: bool) -> list[ReviewNote]:
    """A brief without a TL;DR, sections without a user's quote."""
    notes = [] if str(doc.get("tldr") or "").strip() else [
        fix_note(KIND, "tldr", "no TL;DR", "write a two-sentence TL;DR")]
    notes += [fix_note(KIND, theme.get("label", "?"), "theme has no quote", f"quote a user on '{theme.get('label')}'")
              for theme in doc.get("themes") or [] if not theme.get("quotes")]
    return notes


_AUDIENCE = re.compile(r"\baudience\s*(?:to|:|=|is)?\s*(exec|eng|sales)\b", re.IGNORECASE)


def revise(doc: dict[str, Any], m: Materials) -> dict[str, Any]:
    """Apply a PM's revision offline: 'audience eng' redrafts for that audience; the request is recorded in the asks."""
    text = revision_text(m)
    if not text:
        return doc
    audience = _AUDIENCE.search(text)
    if audience:
        m.audience = audience.group(1).lower()
        doc = draft_brief(m)
    return with_note(doc, "asks", f"PM revision: {text}")


# --------------------------------------------------------------------------- LLM drafting


class BriefThemeDraft(BaseModel):
    """A theme to show the audience, with verbatim quotes."""

    label: str
    quotes: list[CitedQuote]
    citations: list[str]


class BriefDraft(BaseModel):
    """A stakeholder brief."""

    tldr: str
    themes: list[BriefThemeDraft]
    proposal: str
    risks: list[str]
    asks: list[str]


def complete_brief(draft: BaseModel, m: Materials) -> dict[str, Any]:
    """A brief from a model draft: theme counts and trends computed here."""
    assert isinstance(draft, BriefDraft)
    themes: list[dict[str, Any]] = []
    off_topic = m.off_goal()
    for t in draft.themes:
        # As for stories: only the goal's evidence backs a section (unknown ids are left to validation).
        quotes = [q for q in t.quotes if q.signal_id not in off_topic]
        citations = [c for c in t.citations if c not in off_topic]
        if (t.citations or t.quotes) and not (citations or quotes):
            continue
        t = t.model_copy(update={"quotes": quotes, "citations": citations})
        topic = topic_for(t.label, t.citations, m)
        theme = (topic or {}).get("theme") or {}
        themes.append({"label": t.label, "signals": int(theme.get("size") or len(t.citations)),
                       "users": theme_users(theme, (topic or {}).get("signal_ids") or list(t.citations), m),
                       **trends.trend_fields(trends.evidence_trend((topic or {}).get("signal_ids") or t.citations,
                                                                   m.evidence)),
                       "quotes": [q.model_dump() for q in t.quotes], "citations": list(t.citations)})
    found = any(t["signal_ids"] for t in m.topics)
    if not found:  # nothing was found for the goal: say so, show no theme
        themes = []
    tldr = draft.tldr if found else f"{m.nothing_found()} {m.also()}".strip()
    quoted = [{"signal_id": q["signal_id"], "quote": q["quote"], "source": "", "user_id": None}
              for t in themes for q in t["quotes"]]
    return Brief(title=doc_title(f"Brief ({m.audience})", m.focus), mode=m.mode, audience=m.audience, tldr=tldr,
                 themes=parts(BriefTheme, themes), proposal=draft.proposal, risks=draft.risks, asks=draft.asks,
                 evidence=parts(EvidenceRef, quoted + m.evidence_for([s for t in themes for s in t["citations"]])),
                 ).model_dump(mode="json")


# --------------------------------------------------------------------------- Markdown and decision log


_PLACED = ("audience", "tldr", "themes", "proposal", "risks", "asks")


def _render(doc: Mapping[str, Any]) -> list[str]:
    lines = [f"**Audience:** {one_line(doc.get('audience'))}"] if one_line(doc.get("audience")) else []
    lines += section("TL;DR", render_value(doc.get("tldr")))
    themes = [t for t in doc.get("themes") or [] if isinstance(t, Mapping)]
    if themes:
        lines += ["", "## What users are telling us"]
    for theme in themes:
        # the trend as counts in equal windows (tools.trends); a bare percentage is never shown
        counts = mapping(theme.get("trend_counts"))
        facts = [f"{theme['signals']} signal{'s' if theme['signals'] != 1 else ''}"
                 if isinstance(theme.get("signals"), int) else "",
                 f"from {theme['users']} users" if isinstance(theme.get("users"), int) and theme["users"] else "",
                 one_line(counts.get("text"))]
        # the heading names the section; its citation marks follow its counts (a heading of ids reads as noise)
        lines += ["", f"### {one_line(theme.get('label')) or 'Theme'}", ""]
        counted = " ".join(f for f in facts[:2] if f) + (" · " + facts[2] if facts[2] else "")
        if counted or theme.get("citations"):
            lines += [f"{counted}{cite(theme.get('citations'))}".strip(), ""]
        for quote in theme.get("quotes") or []:
            if isinstance(quote, Mapping) and one_line(quote.get("quote")):
                mark = cite([quote["signal_id"]] if quote.get("signal_id") else [])
                lines += [f"> “{one_line(quote['quote'])}”{mark}", ""]
        lines += field_lines(theme, {"label", "signals", "users", "trend", "trend_counts", "quotes", "citations"})
    lines += section("Proposal", render_value(doc.get("proposal")))
    lines += section("Risks", bullets(doc.get("risks")))
    lines += section("Asks", bullets(doc.get("asks")))
    return lines


def decision(doc: Mapping[str, Any]) -> Decision:
    """The proposal as the run's decision, for the decision log."""
    citations = sorted({sid for t in doc.get("themes") or [] for sid in t.get("citations") or []})
    return str(doc.get("proposal") or ""), str(doc.get("tldr") or ""), citations


register(Deliverable(
    KIND, Brief, KEYWORDS, draft_brief, BriefDraft, complete_brief, layout=Layout(_render, frozenset(_PLACED)),
    cited_lists=("themes",), note_field="risks", fix=fix, revise=revise, review=review, goal_topics=True,
    decision=decision, decision_rank=2,
))
