"""Goal coverage weighs what the goal asks (its action or condition) above its subject noun (issue 14, defect 5)."""

from __future__ import annotations

from tools.topics import DENSE_MARGIN, coverage, covers, goal_fit, goal_terms

NOTES = "Stop the app from losing my notes when sync fails"
EXPORT = "Let admins export reports"


def test_goal_terms_tell_the_action_or_condition_from_the_subject() -> None:
    terms = goal_terms(NOTES)
    assert {t for t, k in terms.items() if k == "action"} >= {"los", "fail"}
    assert terms.get("not") == "subject"  # 'notes' is the object
    assert "stop" not in terms and "app" not in terms  # the ask to change and the product are neither
    terms = goal_terms(EXPORT)
    assert terms == {"export": "action", "report": "subject"}  # 'admins' is the actor, 'let' only asks
    # a verb-looking noun after a determiner is the object ('a bank transfer'); 'sent by mistake' is a condition
    terms = goal_terms("Draft requirements to let customers cancel a bank transfer sent by mistake")
    assert terms["cancel"] == "action" and terms["transfer"] == "subject" and terms["send"] == "action"
    # a negated verb states the condition ('do not recognise')
    assert goal_terms("Payments customers do not recognise on their statement")["recogni"] == "action"
    # a goal naming no action has subjects only
    assert set(goal_terms("Requirements for ATM cards").values()) == {"subject"}


def test_evidence_about_the_action_covers_more_than_evidence_naming_only_the_subject() -> None:
    terms = goal_terms(NOTES)
    subject_only, action_only = "My notes look great on the tablet.", "I lost a whole day of work."
    assert coverage(action_only, terms) > coverage(subject_only, terms) > 0
    assert covers(action_only, terms) and not covers(subject_only, terms)
    assert coverage("Sync failed and I lost all my notes.", terms) == 1.0
    terms = goal_terms(EXPORT)
    assert coverage("I cannot export the usage report to CSV.", terms) > coverage("The reports page is slow.", terms)
    assert not covers("The reports page is slow.", terms) and covers("Exporting to Excel fails.", terms)
    # irregular forms count as their verb: 'kept' is 'keeping'
    assert covers("The ATM kept my card.", goal_terms("stop ATMs from keeping customers' cards"))
    # a plural in the goal meets its singular in the evidence ('hearings' ~ 'Hearing')
    assert coverage("Assign a Hearing Date.", goal_terms("Let staff schedule hearings")) > 0
    # without an action in the goal, the subject is what it asks about
    assert covers("Which ATMs take this card?", goal_terms("Requirements for ATM cards"))


def test_a_cluster_naming_only_the_goals_subject_is_context_not_a_topic() -> None:
    texts = {"l0": "Sync failed and my notes were lost.", "l1": "Lost all my notes after the sync failed.",
             "l2": "Sync fails every night and I lose edits.",
             "n0": "Please add tags to notes.", "n1": "Notes should support tables.", "n2": "I want coloured notes."}
    types = dict.fromkeys(texts, "feature_request")
    groups = [["l0", "l1", "l2"], ["n0", "n1", "n2"]]
    # dense closeness alone keeps both (within the margin), and both use a goal word ('notes')
    fit = goal_fit(groups, goal=NOTES, texts=texts, types=types, queries=[NOTES],
                   closeness=[[0.62], [0.62 - DENSE_MARGIN / 2]], problems=False)
    assert fit[0] is None
    assert fit[1] is not None and fit[1].startswith("names the goal's subject, not what it asks")
    # a goal about the notes themselves keeps both
    fit = goal_fit(groups, goal="Requirements for notes", texts=texts, types=types, queries=["notes"],
                   closeness=[[0.62], [0.62 - DENSE_MARGIN / 2]], problems=False)
    assert fit == [None, None]
