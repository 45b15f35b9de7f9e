"""Review of 721f14e (D1-D4): generic user stories kept beside a named role, limits compared only when they
measure the same thing, the benefit pool of a want, the goals from several topics, the comparator's word boundary.

Sentences are written for these tests (not lines of the tuning backlogs).
"""

from __future__ import annotations

from typing import Any

from agents.deliverables.base import Materials
from agents.deliverables.requirements import draft_requirements, story_from_topic
from tests.unit.test_story_writing_evidence import rows
from tools.wording import PM, limit_criteria, stated_limits

LOGIN = [
    "As a user, I want to reset my password by email, so that I can get back into my account.",
    "As a user, I want to log in with my Google account, so that I do not need another password.",
    "As an admin, I want to lock a user's login, so that a stolen account cannot be used.",
]


def _materials(evidence: dict[str, Any], topics: list[dict[str, Any]], goal: str) -> Materials:
    return Materials(goal=goal, focus=goal, audience="eng", mode="offline", evidence=evidence,
                     topics=topics, criteria={}, findings=[], decisions=[], has_strategy=False)  # type: ignore[arg-type]


def _topic(tid: str, name: str, ids: list[str], score: float) -> dict[str, Any]:
    rice = {"score": score, "reach": len(ids), "impact": 1.0, "confidence": 0.8, "effort": 1.0,
            "effort_source": "default", "formula": f"RICE = {score}"}
    return {"id": tid, "name": name, "kind": "theme", "signal_ids": ids, "ranked": True, "signals": len(ids),
            "rice": rice, "total": 50.0}


def _draft(quotes: list[str], goal: str) -> dict[str, Any]:
    evidence = rows(quotes)
    return draft_requirements(_materials(evidence, [_topic("t1", "login", list(evidence), 10.0)], goal))


def test_user_stories_stay_when_the_goal_names_user_and_another_role() -> None:
    doc = _draft(LOGIN, "Draft requirements for user and admin login")
    # Was one story (admin); both user stories were non-goals '(the goal is about the admin)'.
    assert sorted((s["as_a"], s["i_want"]) for s in doc["stories"]) == [
        ("admin", "to lock a user's login"),
        ("user", "to log in with my Google account"),
        ("user", "to reset my password by email"),
    ]
    assert not any("the goal is about" in g for g in doc["non_goals"])


def test_generic_user_stories_are_kept_after_the_named_role_s_when_the_goal_names_only_another_role() -> None:
    doc = _draft(LOGIN, "Draft requirements for admin account locking")
    assert [s["as_a"] for s in doc["stories"]] == ["admin", "user", "user"]
    assert not any("for the user (the goal" in g for g in doc["non_goals"])


def test_a_specific_role_the_goal_does_not_name_is_still_a_non_goal_when_the_goal_says_users() -> None:
    doc = _draft(LOGIN, "Draft requirements for users signing in")
    assert {s["as_a"] for s in doc["stories"]} == {"user"}
    assert "to lock a user's login for the admin (the goal is about the user)" in doc["non_goals"]


def test_limits_of_different_things_are_each_their_own_criterion_never_one_range() -> None:
    evidence = rows(["The system shall respond to a search within 2 seconds.",
                     "The system must back up all data every 24 hours.",
                     "After 3 failed attempts the account is locked; users must then wait 30 minutes."])
    limits = stated_limits(list(evidence), evidence)
    assert [(lim.dimension, lim.text, lim.measured) for lim in limits] == [
        ("duration", "within 2 seconds", "respond to a search"),
        ("frequency", "every 24 hours", "back up all data"),
        ("duration", "30 minutes", "wait"),
    ]
    criteria = limit_criteria("user", limits)
    # Was 'When the time taken is measured, Then … range from 2 seconds [s:s0] to 24 hours [s:s1]' + 'which applies?'.
    assert criteria == [
        ("Given a user under the conditions the sources state, When the time taken for “respond to a search” is "
         "measured, Then it meets the stated limit: “within 2 seconds” [s:s0]", ""),
        ("Given a user under the conditions the sources state, When the interval for “back up all data” is "
         "measured, Then it meets the stated limit: “every 24 hours” [s:s1]", ""),
        ("Given a user under the conditions the sources state, When the time taken for “wait” is measured, Then it "
         "meets the stated limit: “30 minutes” [s:s2]", ""),
    ]


def test_limits_of_one_thing_still_make_a_range_and_unsaid_things_are_never_compared() -> None:
    evidence = rows(["Search results must load within 2 seconds.", "Search results should load in under 5 seconds.",
                     "It must be under 10 seconds.", "It must be under 20 seconds."])
    criteria = limit_criteria("user", stated_limits(list(evidence), evidence))
    assert len(criteria) == 3
    ranged, question = criteria[0]
    assert "“Search results load”" in ranged and "from 2 seconds [s:s0] to 5 seconds [s:s1]" in ranged
    assert question.endswith("which applies?")
    assert [q for _, q in criteria[1:]] == ["", ""]  # 10 s and 20 s measure nothing the sentences say: no range


def test_the_comparator_starts_a_word() -> None:
    evidence = rows(["Users must be able to recover 30 days of deleted files.", "Passwords must remain 90 days valid."])
    limits = stated_limits(list(evidence), evidence)
    # 'over' of 'recover', 'in' of 'remain' are no comparators (was “over 30 days”, a lower bound the quote never
    # states): the limit's words start at the number or a whole comparator.
    assert [(lim.dimension, lim.text) for lim in limits] == [("duration", "30 days"), ("duration", "90 days")]
    evidence = rows(["Users must be able to login 3 times before lockout."])
    assert stated_limits(list(evidence), evidence) == []


def test_a_want_without_a_benefit_never_takes_one_from_a_quote_that_is_not_a_user_story() -> None:
    evidence = rows(["As an archivist, I want to mark groups of files as restricted.",
                     "Marking files takes ages, so that we share files by mistake."])
    topic = _topic("t1", "mark groups of files as restricted", list(evidence), 10.0)
    story = story_from_topic(topic, _materials(evidence, [topic], "g"), 1)  # type: ignore[arg-type]
    assert story["i_want"] == "to mark groups of files as restricted"
    assert story["so_that"] == PM  # was 'we share files by mistake' (a report's clause, not this want's benefit)


def test_the_goals_come_from_each_topic_s_first_story() -> None:
    first = [f"As a teacher, I want to {w}, so that I save time." for w in
             ("export grades to a spreadsheet", "copy a course to next term", "email a class at once",
              "grade quizzes automatically")]
    second = ["As a student, I want to see my grades on my phone, so that I know where I stand."]
    evidence = rows([*first, *second])
    ids = list(evidence)
    topics = [_topic("t1", "export grades", ids[:4], 20.0), _topic("t2", "grades on my phone", ids[4:], 10.0)]
    doc = draft_requirements(_materials(evidence, topics, "Draft requirements for the course tools"))
    # Was S1-S4 from the first topic, S5 the second's, and all three goals the first topic's.
    assert doc["stories"][1]["citations"] == ["s4"]
    assert any(g.startswith("To see my grades on my phone for the student") for g in doc["goals"])


def test_a_split_story_s_reach_is_shown_beside_its_topic_s() -> None:
    doc = _draft(LOGIN, "Draft requirements for user and admin login")
    # Each want's RICE counts its own reporter; the topic's reach is said beside it (was 'reach 1' alone).
    assert all(s["rice"]["reach"] == 1 and s["rice"]["formula"].endswith("(reach 1 of the topic's 3)")
               for s in doc["stories"])


def test_a_number_written_with_spaces_is_one_number() -> None:
    evidence = rows(["The product shall be able to handle 10 000 concurrent users within 2 years of the launch."])
    limits = stated_limits(list(evidence), evidence)
    # Was '000 concurrent users' (value 0): the tail of the number.
    assert [(lim.dimension, lim.value, lim.text) for lim in limits] == [
        ("count", 10000.0, "10 000 concurrent users"), ("duration", 2 * 31536000.0, "within 2 years")]
