"""Questions, trouble with the call, agenda and naming talk are no requirements; one statement said twice is one quote.

Lines written for this test (not from any data set). Each rule is checked on lines it must catch and on needs worded
with the same words ("hear", "noise", "think about", "start with", a "?" after a statement) that it must leave alone.
"""

from __future__ import annotations

import pytest

from tools.meeting_points import (
    _clean,
    agenda_talk,
    asked_sentence,
    call_trouble,
    extract,
    meeting_chatter,
    naming_talk,
)

ASKED = [
    "So I wonder whether a team lead should approve refunds, or should he only see them?",
    "Just so that I understand you right, as a driver I don't really have to register or anything?",
    "If I understand you correctly, the clinic never sends the reminder itself?",
    "And should every invoice carry the tax number?",
]
STATED = [
    "Every invoice must carry the tax number, right?",
    "The team lead should approve refunds, you know what I mean?",
    "So the admin can reset passwords?",  # a statement with a bare "?" is left to the classifier
    "Drivers should register once and then just log in.",
]
CALL = [
    "Sorry, I hear some really weird noise in the background.",
    "By the way, can you, I hear a strange noise on the line.",
    "I think you're breaking up a little.",
    "I cannot hear you both.",
    "There's an echo, can someone mute?",
]
NOT_CALL = [
    "The alarm must make a loud noise when the door opens.",
    "Patients should hear a chime when their number is called.",
    "The dashboard shows the noise level of each machine.",
]
AGENDA = [
    "So maybe let's start with the payment options.",
    "I think it's more important that we actually talk about the different plans first.",
    "Of course you have to properly think of how we can model such a hierarchy technically.",
    "We have to think about how this should work for the warehouse.",
]
NOT_AGENDA = [
    "We have to think about how users should sign in, so users must confirm their email.",
    "The system should start with the last opened project.",
    "Customers need to think about their budget before they order, so the app must show the total first.",
]
NAMING = [
    "Maybe a coordinator would be a more suitable word.",
    "It's just a word we came up with, I wouldn't call it owner.",
    "We could also call them reviewers, I don't know.",
]
NOT_NAMING = [
    "Users should be able to give each board a name.",
    "The export must use the same term for every status.",
    "Call the driver when the parcel is late.",
]


@pytest.mark.parametrize("line", ASKED)
def test_a_question_is_no_requirement_whatever_its_clauses_say(line: str) -> None:
    assert asked_sentence(line) and meeting_chatter(line)


@pytest.mark.parametrize("line", STATED)
def test_statements_with_a_tag_or_a_bare_question_mark_are_not_asked(line: str) -> None:
    assert not asked_sentence(line)


@pytest.mark.parametrize("line", CALL)
def test_trouble_with_the_call_is_chatter(line: str) -> None:
    assert call_trouble(line) and meeting_chatter(line)


@pytest.mark.parametrize("line", NOT_CALL)
def test_needs_about_sound_are_not_call_trouble(line: str) -> None:
    assert not call_trouble(line)


@pytest.mark.parametrize("line", AGENDA)
def test_agenda_talk_is_chatter(line: str) -> None:
    assert agenda_talk(line) and meeting_chatter(line)


@pytest.mark.parametrize("line", NOT_AGENDA)
def test_needs_beside_talk_words_are_not_agenda_talk(line: str) -> None:
    assert not agenda_talk(line)


def test_a_function_word_capitalised_mid_sentence_is_lowered() -> None:
    cleaned = _clean("Nonetheless, Is there just one plan or several?")
    assert cleaned == "Nonetheless, is there just one plan or several?"
    assert _clean("Well, I think Anna said so.").startswith("I think Anna")  # "I" and names keep their capital


def test_one_statement_said_twice_is_quoted_once_and_questions_file_no_requirement() -> None:
    same = "The receptionist must see every patient's next appointment on one screen."
    turns = [
        {"signal_id": "a1", "speaker": "Ana", "quote": same},
        {"signal_id": "a2", "speaker": "Ana", "quote": same},
        {"signal_id": "b1", "speaker": "Ben",
         "quote": "Just so that I understand you right, as a patient I don't really have to log in or anything?"},
        {"signal_id": "c1", "speaker": "Cleo", "quote": "I hear some strange noise in the back."},
        {"signal_id": "d1", "speaker": "Ana", "quote": "Yes, exactly, patients never need an account."},
    ]
    found = extract(turns)
    quoted = [q["quote"] for item in found["requirements"] for q in item["quotes"]]
    assert quoted.count(same) == 1
    assert not [q for q in quoted if "log in or anything" in q or "noise" in q]
    headlines = [item["requirement"] for item in found["requirements"]]
    assert not [h for h in headlines if "log in" in h.lower() or "noise" in h.lower()]


@pytest.mark.parametrize("line", NAMING)
def test_talk_about_what_to_call_something_is_chatter(line: str) -> None:
    assert naming_talk(line) and meeting_chatter(line)


@pytest.mark.parametrize("line", NOT_NAMING)
def test_needs_about_names_are_not_naming_talk(line: str) -> None:
    assert not naming_talk(line)



def _item(signal: str, headline: str, kind: str) -> dict[str, object]:
    return {"requirement": headline, "type": "functional" if kind == "functional" else "non-functional",
            "category": kind, "citations": [signal], "quotes": [{"signal_id": signal, "quote": headline}]}


def test_one_need_said_twice_apart_is_one_item_whatever_kind_was_guessed() -> None:
    from tools.meeting_points import _restated

    items = [_item("a1", "They should not just answer the fixed questions, they should be bringing in their own topics,"
                   " which other guests can then see.", "usability"),
             _item("c1", "The host must confirm every booking within a day.", "functional"),
             _item("a2", "The guests should have the possibility to bring in their own topics.", "functional"),
             _item("d1", "The host should be able to bring in their own catering.", "functional")]
    groups = {id(item): [n] for n, item in enumerate(items)}
    merged = _restated(items, groups)
    assert [m["citations"] for m in merged] == [["a2", "a1"], ["c1"], ["d1"]]  # one content word shared: apart
    assert merged[0]["requirement"].startswith("The guests should have") and merged[0]["category"] == "functional"
    assert groups[id(merged[0])] == [0, 2]
