"""Scores of one topic: RICE, evidence confidence, strategic alignment, WSJF and the weighted total, with formulas.

Pure functions of a topic, its evidence rows and the strategy (``tools.scoring`` does the arithmetic):
the scorer scores the goal's topics with them, the decision memo an option a model named, the roadmap
its candidate items.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tools import scoring
from tools.scoring import EvidenceStats, Strategy


def alignment_text(topic: Mapping[str, Any], evidence: Mapping[str, Mapping[str, Any]], quotes: int = 3) -> str:
    """What a topic is about, for alignment: its name, theme keywords and its strongest quotes.

    Option descriptions are left out: they name the competing options too.
    """
    keywords = " ".join((topic.get("theme") or {}).get("keywords") or [])
    rows = sorted((evidence[s] for s in topic["signal_ids"] if s in evidence),
                  key=lambda r: (-float(r.get("score") or 0.0), r["signal_id"]))[:quotes]
    return ". ".join(x for x in [topic["name"], keywords, *(r["quote"] for r in rows)] if x)


def score_topic(topic: Mapping[str, Any], evidence: Mapping[str, Mapping[str, Any]], strategy: Strategy | None,
                weights: dict[str, float], similarity: scoring.Similarity | None) -> dict[str, Any]:
    """All scores of one topic, with formulas."""
    rows = [evidence[sid] for sid in topic["signal_ids"]]
    stats = EvidenceStats.from_evidence(rows)
    effort = strategy.effort_for(topic["name"]) if strategy else None
    rice = scoring.rice(stats, effort)
    values: dict[str, float] = {
        "user value (RICE)": scoring.rice_normalized(rice["score"]),
        "evidence confidence": rice["confidence"],
    }
    formulas = {"rice": rice["formula"],
                "user value (RICE)": f"value = RICE / (RICE + {scoring.RICE_HALF}) = {values['user value (RICE)']}"}
    result: dict[str, Any] = {"rice": rice}
    if strategy is not None:
        aligned = scoring.alignment(alignment_text(topic, evidence), strategy, similarity)
        values["strategic alignment"] = aligned["score"]
        formulas["strategic alignment"] = aligned["formula"]
        result["alignment"] = aligned
    if strategy is not None and (strategy.wsjf or "urgency (WSJF)" in weights):
        trend = float((topic.get("theme") or {}).get("trend") or 0.0)
        wsjf = scoring.wsjf(stats, trend=trend, effort=effort)
        values["urgency (WSJF)"] = round(wsjf["score"] / (wsjf["score"] + 10), 3)
        formulas["wsjf"] = wsjf["formula"]
        result["wsjf"] = wsjf
    total = scoring.weighted_total(values, weights)
    formulas["total"] = total["formula"]
    result.update({
        "criteria": {name: round(values.get(name, 0.0), 3) for name in weights},
        "total": total["total"],
        "formulas": formulas,
        "signals": stats.signals,
        "reach": stats.reporters,
        "priority": scoring.priority(rice["score"]),
    })
    return result
