"""Run scope: a cluster about one part of the goal (its object without its ask) is context, not a topic."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from agents.planner import offline_plan
from tests.unit.test_goal_topics import row
from tools.topics import DENSE_MARGIN, goal_fit, query_parts

GOAL = "Requirements for faster approval of expense reports"
QUERY = "faster approval of expense reports"
SLOW = ["My expense report has been waiting for approval for two weeks.", "Approvals of expense reports take ages.",
        "Why is my expense report still not approved?", "Expense approval is so slow."]
OBJECT = ["How do I create an expense report?", "Where can I find my expense reports?",
          "Can I export expense reports to Excel?", "I need a template for expense reports."]
TEXTS = {**{f"a{i}": t for i, t in enumerate(SLOW)}, **{f"o{i}": t for i, t in enumerate(OBJECT)}}
TYPES = {**{f"a{i}": "complaint" for i in range(4)}, **{f"o{i}": "question" for i in range(4)}}
GROUPS = [[f"a{i}" for i in range(4)], [f"o{i}" for i in range(4)]]


def test_a_query_splits_into_parts_at_its_linking_words() -> None:
    assert query_parts(QUERY) == ["faster approval", "expense reports"]
    assert query_parts("stop ATMs from keeping customers' cards") == ["stop ATMs", "keeping customers' cards"]
    assert query_parts("dark mode") == [] and query_parts("fix sync bugs") == []
    assert query_parts("sync of the") == []  # one part with content words is no split


def test_a_cluster_closer_to_the_goals_object_alone_than_to_the_goal_is_context() -> None:
    # Both within the dense margin of the goal (0.75 vs 0.71): only the parts tell them apart. The best cluster
    # needs the whole query (each part alone is further); the other is closer to 'expense reports' alone.
    close = [[0.75], [0.71]]
    parts = [[[0.38, 0.60]], [[0.17, 0.85]]]
    fit = goal_fit(GROUPS, goal=GOAL, texts=TEXTS, types=TYPES, queries=[QUERY], closeness=close, parts=parts)
    assert fit[0] is None
    assert fit[1] is not None and "about 'expense reports' alone" in fit[1]
    # Without the parts' closeness (no vectors) both stay, as before.
    assert goal_fit(GROUPS, goal=GOAL, texts=TEXTS, types=TYPES, queries=[QUERY], closeness=close) == [None, None]


def test_a_cluster_that_gains_on_a_part_no_more_than_the_best_stays() -> None:
    # The best cluster is itself a little closer to a part (+0.05); the other gains less: both are the goal.
    close = [[0.73], [0.70]]
    parts = [[[0.78, 0.43]], [[0.68, 0.41]]]
    assert goal_fit(GROUPS, goal=GOAL, texts=TEXTS, types=TYPES, queries=[QUERY], closeness=close,
                    parts=parts) == [None, None]
    # A gain of exactly the margin over the best's is not enough either.
    parts = [[[0.73, 0.43]], [[0.70 + DENSE_MARGIN, 0.41]]]
    assert goal_fit(GROUPS, goal=GOAL, texts=TEXTS, types=TYPES, queries=[QUERY], closeness=close,
                    parts=parts) == [None, None]


@pytest.fixture(scope="module")
def embedder() -> Any:
    from memory.embeddings import LocalEmbedder

    return LocalEmbedder()


def test_with_real_vectors_the_objects_cluster_gains_on_the_object_and_the_goals_does_not(embedder: Any) -> None:
    """With MiniLM, questions about expense reports in general sit nearer the part than the goal."""
    def centroid(texts: list[str]) -> np.ndarray:
        mean = np.asarray(embedder.embed(texts)).mean(axis=0)
        return mean / np.linalg.norm(mean)

    query = np.asarray(embedder.embed_query(QUERY))
    part = np.asarray(embedder.embed_query("expense reports"))
    slow, obj = centroid(SLOW), centroid(OBJECT)
    assert float(obj @ part) - float(obj @ query) > 0
    assert float(slow @ part) - float(slow @ query) < 0


def test_goal_topics_leave_the_objects_cluster_as_near_context(embedder: Any) -> None:
    from agents.scorer import goal_topics

    evidence = {sid: row(sid, text, questions=["q0"], signal_type=TYPES[sid], score=0.8) for sid, text in TEXTS.items()}
    plan = offline_plan(GOAL, ["requirements"], None)
    state: dict[str, Any] = {"goal": GOAL, "workspace": "w", "plan": plan, "evidence": evidence}
    membership: dict[str, str | None] = {sid: "t-a" if sid.startswith("a") else "t-o" for sid in TEXTS}
    vectors = dict(zip(TEXTS, np.asarray(embedder.embed(list(TEXTS.values()))), strict=True))

    def source(ids: Any, queries: Any) -> tuple[dict[str, np.ndarray], np.ndarray]:
        found = {s: vectors[s] / np.linalg.norm(vectors[s]) for s in ids if s in vectors}
        return found, np.array([np.asarray(embedder.embed_query(q)) for q in queries], dtype=np.float32)

    topics, near = goal_topics(state, membership, [], source)  # type: ignore[arg-type]
    kept = [t for t in topics if t["kind"] == "theme"]
    assert [sorted(t["signal_ids"]) for t in kept] == [sorted(GROUPS[0])]
    assert len(near) == 1 and near[0]["size"] == 4
