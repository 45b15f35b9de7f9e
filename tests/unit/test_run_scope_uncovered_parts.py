"""Run scope of multi-part goals: a part no topic stands for is named in the documents and run.json, with what was
searched (issue 14 part 3; PM review defect 4)."""

from __future__ import annotations

from typing import Any

from agents.deliverables.base import uncovered_parts
from agents.planner import offline_plan


def _row(sid: str, question: str, quote: str = "") -> dict[str, Any]:
    return {"quote": quote or sid, "questions": [question], "score": 0.8}


def test_a_part_without_a_topic_is_named_with_what_was_searched() -> None:
    plan = offline_plan("Draft requirements for search response time and system availability", ["requirements"], None)
    searches = [q for q in plan["questions"] if q["scope"] == "search"]
    assert [q["query"] for q in searches] == ["search response time", "system availability"]
    evidence = {"a": _row("a", searches[0]["id"], "Search response time is awful"),
                "b": _row("b", searches[0]["id"], "The search takes a long time to respond"),
                "c": _row("c", searches[1]["id"], "The system availability was poor all week")}
    research = [{"question_id": q["id"], "query": q["query"], "searched": 100, "kept": k}
                for q, k in zip(searches, [2, 1], strict=True)]
    topics: list[Any] = [{"signal_ids": ["a", "b"]}]
    lines = uncovered_parts(plan, research, topics, evidence)
    assert len(lines) == 1
    assert "'system availability', a part of the goal" in lines[0] and "100 searched" in lines[0]
    # One kept signal is too little evidence, not none (PM review: 'No evidence found' read as nothing kept).
    assert lines[0].startswith("Too little evidence for") and "1 signal kept of 100 searched, no topic" in lines[0]
    # Covered parts, or a goal of one part, say nothing.
    assert uncovered_parts(plan, research, [{"signal_ids": ["a", "c"]}], evidence) == []
    single = offline_plan("Draft requirements for system availability", ["requirements"], None)
    assert uncovered_parts(single, research, [], evidence) == []
