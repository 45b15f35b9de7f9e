"""Run scope of multi-part goals, goal fit: a part that names the problem or is searched on its own is the ask, and
a listed part's own best group stands (issue 14 part 2; PM review defects 2 and 4)."""

from __future__ import annotations

from tools.topics import goal_fit, query_parts, states_problem

QUERY = "card payments charged at the wrong exchange rate"
RATE = ["My card payment has the wrong exchange rate", "Exchange rate for my card payment is wrong",
        "I was charged the wrong exchange rate on a purchase", "The exchange rate on my payment was wrong."]
FEES = ["Why was I charged a fee for my card payment?", "There is an extra charge on my card payment.",
        "I was charged twice for one card payment.", "Why did my card payment cost more?"]
TEXTS = {**{f"r{i}": t for i, t in enumerate(RATE)}, **{f"f{i}": t for i, t in enumerate(FEES)}}
TYPES = dict.fromkeys(TEXTS, "complaint")
GROUPS = [[f"f{i}" for i in range(4)], [f"r{i}" for i in range(4)]]


def test_a_part_that_names_the_problem_is_the_ask() -> None:
    assert query_parts(QUERY) == ["card payments charged", "the wrong exchange rate"]
    assert states_problem("the wrong exchange rate") and states_problem("failed top-ups")
    assert not states_problem("stop ATMs") and not states_problem("new physical cards")


def test_a_cluster_closer_to_the_problem_part_than_to_the_query_stays_on_the_goal() -> None:
    # The fee cluster is the closest to the query; the exchange-rate cluster is within the margin of it and far
    # closer to 'the wrong exchange rate' alone. That part is the problem the goal asks to stop, not its object.
    close = [[0.66], [0.62]]
    parts = [[[0.70, 0.30]], [[0.35, 0.84]]]
    fit = goal_fit(GROUPS, goal=f"Reduce {QUERY}", texts=TEXTS, types=TYPES, queries=[QUERY], closeness=close,
                   parts=parts)
    assert fit == [None, None]


def test_a_part_searched_on_its_own_is_the_ask() -> None:
    whole = "access restrictions and rights management"
    texts = {**TEXTS}
    close = [[0.60, 0.40], [0.55, 0.50]]
    parts = [[[0.62, 0.20], []], [[0.25, 0.80], []]]
    queries = [whole, "rights management"]
    fit = goal_fit(GROUPS, goal=whole, texts=texts, types=dict.fromkeys(TEXTS, "feature_request"), queries=queries,
                   closeness=close, parts=parts)
    # Group 1 is nearest the whole query (0.55 > 0.50) and far closer to its part 'rights management', which the
    # goal searches on its own: not 'about a part alone'.
    assert fit[1] is None or "alone" not in fit[1]


def test_a_listed_parts_own_best_group_stands_with_two_signals() -> None:
    queries = ["response time and system availability", "response time", "system availability"]
    texts = {"t0": "The response time shall be under 2 seconds.", "t1": "Response time must not exceed 5 seconds.",
             "t2": "Search shall respond within 3 seconds.", "a0": "The system shall have high availability.",
             "a1": "The product shall be available 24 hours per day."}
    groups = [["t0", "t1", "t2"], ["a0", "a1"]]
    close = [[0.55, 0.70, 0.20], [0.48, 0.20, 0.66]]
    fit = goal_fit(groups, goal="Requirements for response time and system availability", texts=texts,
                   types=dict.fromkeys(texts, "requirement"), queries=queries, closeness=close)
    assert fit == [None, None]
    # Without a search of its own, two signals are too thin beside the goal's best.
    fit = goal_fit(groups, goal="Requirements for response time and system availability", texts=texts,
                   types=dict.fromkeys(texts, "requirement"), queries=queries[:2], closeness=[c[:2] for c in close])
    assert fit[0] is None and fit[1] == "only 2 signals"
