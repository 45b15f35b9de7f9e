"""``ask`` on small and wordy workspaces: thin but clear evidence answers, labels match the quotes.

PM review 2026-12-03.

Defects: a hard minimum of 3 relevant signals refused every single-story feature of a backlog; confidence ignored
the workspace's size ("Weak … only 24 messages" for 24 of 1,500; 0.02 for 4 exactly on-topic stories); neutral
signals counted as disagreement ("they disagree"); a story's benefit read as praise made an agreeing request the
dissent; persona tokens of the story template ("OlderPerson") and single generic words ("item") were shown as
phrases and nearest topics; "of 60 signals searched" read as the workspace's size; duplicate rows quoted twice.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from agents.ask import (
    MIN_EVIDENCE,
    SINGLE_CONFIDENCE,
    STRONG_HIT,
    THIN_CONFIDENCE,
    THIN_NAMED,
    Evidence,
    _about,
    agreement_of,
    confidence_of,
    enough,
    evidence_noun,
    named_share,
    needed,
    prevalence,
    quoted,
    searched_base,
    strength,
    thin_cap,
    thin_lead,
    unnamed,
    unnamed_and_loose,
    weak_note,
)
from agents.ask_stance import Camp, stance_of
from agents.ask_summary import key_points, names_topic, template_roles
from kernel.schemas import Signal, SignalKind, SignalType

WS = "thin"


def _signal(i: int, text: str, kind: SignalKind = SignalKind.TICKET,
            signal_type: SignalType = SignalType.OTHER) -> Signal:
    return Signal(id=f"s{i}", workspace=WS, kind=kind, source="backlog.txt", external_id=str(i),
                  created_at=datetime(2026, 3, 1, tzinfo=UTC), text=text, signal_type=signal_type)


def _evidence(texts: list[str], scores: list[float]) -> list[Evidence]:
    out = []
    for i, (text, score) in enumerate(zip(texts, scores, strict=True)):
        signal = _signal(i, text)
        out.append(Evidence(signal=signal, score=score, stance=stance_of(signal), quote=text, rank=score))
    return out


# ------------------------------------------------------------------------------------------- abstention


def test_one_clear_story_of_a_small_backlog_is_an_answer_but_not_in_a_large_workspace() -> None:
    assert MIN_EVIDENCE == 3
    assert enough([0.84], 58)  # "Pay Fee" in a 58-story backlog
    assert enough([0.63, 0.40], 138)  # one clear story beside a marginal one
    assert not enough([0.84], 1500)  # 1-2 hits among 1,500 short messages stay an anecdote
    assert not enough([0.84, 0.9], 1500)
    assert not enough([0.51], 58)  # barely above the floor: not clear evidence, even in a small backlog
    assert not enough([], 10)
    assert enough([0.41, 0.42, 0.43], 10_000)  # three relevant signals always answer
    assert [needed(n) for n in (58, 500, 625, 1000, 1500, 10_000)] == [1, 1, 2, 2, 3, 3]
    assert STRONG_HIT > 0.5


def test_the_search_base_is_stated() -> None:
    assert searched_base(138, 60) == "searched all 138 signals; the 60 closest were read"
    assert searched_base(58, 58) == "searched all 58 signals"
    assert "the workspace holds 900" in searched_base(900, 60, segment="Enterprise")


# ------------------------------------------------------------------------------------------- confidence


def test_confidence_tracks_on_topic_ness_and_a_count_not_the_workspace_size() -> None:
    stories = ["As an OlderPerson, I want my personal data to be kept private, so that nobody else sees it.",
               "As an OlderPerson, I want to decide who sees my personal data.",
               "As an OlderPerson, I want to delete my personal data from ALFRED.",
               "As an OlderPerson, I want ALFRED to ask before sharing my personal data."]
    found = _evidence(stories, [0.62, 0.58, 0.6, 0.55])
    camp: Camp = "concerned"
    in_backlog = confidence_of(found, camp, cited=found, signals=138)
    # old: the same 4 among 10,000 were "thinner" (the label tracked the workspace's size, pm_review defect 11)
    assert confidence_of(found, camp, cited=found, signals=10_000) == in_backlog
    # 22 unanimous, clearly on-topic messages in a 2,984-message inbox: not weak (old: 0.31 "only 22 of the 2984")
    tickets = _evidence([f"My top-up {i} failed again" for i in range(22)], [0.75] * 22)
    big = confidence_of(tickets, "concerned", cited=tickets[:5], signals=2984)
    assert strength(big) != "weak", big
    assert "of the 2984" not in weak_note(tickets, "concerned", tickets[:5], 0.3, 2984)
    # the same count barely on topic is weaker: on-topic-ness, not size, lowers the label
    loose = _evidence([f"My top-up {i} failed again" for i in range(22)], [0.45] * 22)
    assert confidence_of(loose, "concerned", cited=loose[:5], signals=60) < big
    assert prevalence(22, 2984) == "0.7 % of the 2984 in the workspace"
    assert prevalence(3, 53) == "5.7 % of the 53 in the workspace" and prevalence(5, 5) == ""


def test_neutral_signals_do_not_disagree_and_requests_in_story_form_are_requests() -> None:
    texts = ["The system shall encrypt all passwords stored in the database.",
             "Only authorised users shall access the patient records.",
             "Data is stored on the central server.",
             "Access logs are kept for a year."]
    found = _evidence(texts, [0.7, 0.7, 0.7, 0.7])
    assert [e.stance for e in found][:2] == ["requesting", "requesting"]
    assert agreement_of(found, "concerned") == 1.0
    assert "they disagree" not in weak_note(found, "concerned", found, 0.1, 625)
    # plain requests are never "reports a problem", whatever words the want or benefit uses
    for text in ("As an admin, I want to create user roles, so that I can remove access when staff leave.",
                 "As an archivist, I want to restrict files, so that they are not lost or shared by mistake.",
                 "As an archivist, I want to search by tag, so that it makes finding particular photographs easier."):
        assert stance_of(_signal(0, text)) == "requesting", text
    # a complaint is still a complaint
    assert stance_of(_signal(0, "My card payment was declined twice, this is broken")) == "critical"


def test_an_agreeing_request_is_never_dissent() -> None:
    texts = ["As an archivist, I want to search images by keyword, so that I find them.",
             "As a researcher, I want to search photographs by date.",
             "As an archivist, I want to search by tag, so that it makes finding particular photographs easier."]
    found = _evidence(texts, [0.8, 0.7, 0.65])
    camp, main, against = quoted(found)
    assert camp == "concerned"
    assert against == []
    assert len(main) == 3


def test_identical_text_is_quoted_once() -> None:
    text = "As a Staff member, I want to Issue Bonds, so that the developer can start work."
    found = _evidence([text, text, "As a Staff member, I want to Release a Bond once the work is done."],
                      [0.9, 0.9, 0.8])
    _, main, _ = quoted(found)
    assert [e.quote for e in main].count(text) == 1
    assert len(main) == 2


# ------------------------------------------------------------------------------------------- phrases


def test_a_story_role_is_never_a_point_or_a_topic() -> None:
    quotes = [(f"s{i}", f"As an OlderPerson, I want ALFRED to {want}, so that I stay independent.")
              for i, want in enumerate(["remind me of my medicine", "remind me of my appointments",
                                        "remind me to drink water", "call my family"])]
    roles = template_roles(q for _, q in quotes)
    assert {"olderperson", "older", "person"} <= roles
    assert not names_topic(["OlderPerson"], [q for _, q in quotes], roles)
    points = key_points(quotes, "What reminders do users want?")
    assert all("OlderPerson" not in p.phrase for p in points), points
    assert template_roles(["As a Development Staff member, I want to Issue a Permit."]) >= {"development", "staff"}


def test_a_single_generic_word_is_not_a_point() -> None:
    texts = ["The search results shall be returned within 30 seconds.",
             "Search results shall be returned no later than 15 seconds after the query.",
             "The user shall see results of a search in an acceptable time.",
             "The product shall show search results to the user quickly."]
    assert not names_topic(["returned"], texts)  # a verb, never after a determiner
    assert not names_topic(["wrong"], texts)  # a stance cue
    assert not names_topic(["user"], texts)  # a framing word
    assert names_topic(["SSO"], texts)
    points = key_points([(f"s{i}", t) for i, t in enumerate(texts)], "How fast must search results come back?")
    assert all(p.phrase.lower() not in ("returned", "user", "seconds") for p in points), points


# ------------------------------------------------------------------------------------------- near misses (defect 6)


def test_a_strong_hit_about_a_neighbouring_subject_does_not_answer_alone() -> None:
    # A hit close in meaning that names under half of the question's key terms (IDF-weighted) is a near miss.
    assert enough([0.84], 58, [0.9]) and not enough([0.84], 58, [0.2])
    assert enough([0.84, 0.63], 58, [0.2, 0.6])  # one of the two names the subject: enough
    assert enough([0.45, 0.5, 0.41], 58, [0.0, 0.0, 0.0])  # three relevant signals: the floor decides, not this rule
    # ... but an answer from hits naming none of what it asks, only loosely related, leads with that caveat
    assert unnamed_and_loose([0.61, 0.5, 0.49, 0.47, 0.41], [0.09] * 5)
    assert not unnamed_and_loose([0.45, 0.5, 0.41], [0.0, 0.3, 0.0])  # one names a quarter of the key terms
    assert not unnamed_and_loose([0.75, 0.7, 0.62], [0.0, 0.0, 0.0])  # close in meaning, worded otherwise
    assert THIN_NAMED == 0.5
    terms = {"pay": 1.0, "property": 2.0, "tax": 4.0, "bill": 4.0}  # tokens with their IDF, as query_terms gives
    fee = "As an Applicant, I want to Pay Fee, so that I can satisfy outstanding charges."
    assert named_share(terms, fee) == 1.0 / 11.0 < THIN_NAMED
    assert unnamed(terms, fee) == ["bill", "tax"]
    assert named_share(terms, "Paying the property tax bill online should take one step.") == 1.0
    assert named_share({}, fee) == 1.0  # nothing weighs: the rule does not apply


def test_the_abstention_names_what_the_closest_hit_leaves_out_and_quotes_nothing() -> None:
    found = _evidence(["As an Applicant, I want to Pay Fee, so that I can satisfy outstanding charges."], [0.63])
    found = [replace(found[0], named=0.09)]
    terms = {"pay": 1.0, "property": 2.0, "tax": 4.0, "bill": 4.0}
    text = _about(found, 58, terms, "How do applicants want to pay property tax bills online?")
    assert "1 is close to this question (an answer needs 3, or 1 that names what it asks about" in text
    assert "about a neighbouring subject: it does not mention 'bills' or 'tax'" in text
    assert "clearly" not in text and "Pay Fee" not in text
    assert _about(found[:0], 58) == ("0 are close to this question (an answer needs 3, or 1 that names what it "
                                     "asks about)")


def test_a_single_signal_reads_as_thin_never_clearly_and_has_low_confidence() -> None:
    story = _evidence(["As an Applicant, I want to Pay Fee, so that I can satisfy outstanding charges."], [0.9])
    lead = thin_lead(story, 58)
    assert lead.startswith("Thin evidence: one user story of the 58 in the workspace mentions this (it asks for")
    assert "not a pattern" in lead and "clearly" not in lead
    assert evidence_noun(story) == ("user story", "user stories")
    two = _evidence(["The product shall respond within 2 seconds.", "The product shall answer searches quickly."],
                    [0.9, 0.7])
    assert thin_lead(two, 625).startswith("Thin evidence: only two requirements of the 625 in the workspace mention")
    reviews = [replace(e, signal=e.signal.model_copy(update={"kind": SignalKind.REVIEW}))
               for e in _evidence(["Sync lost my notes twice."], [0.8])]
    assert evidence_noun(reviews)[0] == "review"
    assert thin_cap(0.9, 1) == SINGLE_CONFIDENCE < THIN_CONFIDENCE == thin_cap(0.9, 2)
    assert thin_cap(0.9, 3) == 0.9 and thin_cap(0.1, 1) == 0.1
    assert strength(SINGLE_CONFIDENCE) == "weak"
