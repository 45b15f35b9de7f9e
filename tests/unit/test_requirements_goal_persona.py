"""Goal titles, the goal's persona, condition criteria and cut-clause headings (PM review 3 F5, F8, F14, F6)."""

from agents.deliverables.base import doc_title
from agents.deliverables.common import names_a_thing, trim_label
from agents.deliverables.requirements import _speaks_as, asked_persona
from tools.wording import boundary_criterion, condition_of, conditional_given, wanted


def test_title_drops_the_instruction_not_the_subject() -> None:
    assert doc_title("Brief (exec)", "Write a leadership brief on what is hurting customers in top-up flows") == \
        "Brief (exec): What is hurting customers in top-up flows"
    assert doc_title("Requirements", "Draft requirements so that data scientists can publish datasets") == \
        "Requirements: Data scientists can publish datasets"
    assert doc_title("Brief (exec)", "Write a brief for the library director on what faculty need") == \
        "Brief (exec): What faculty need"
    # a modifier saying what the document is about keeps the goal whole
    assert doc_title("Requirements", "Draft security requirements for the login page").endswith("login page")
    assert "security" in doc_title("Requirements", "Draft security requirements for the login page")


def test_goal_persona_is_found_and_matched_by_its_words() -> None:
    assert asked_persona("Draft requirements so that data scientists can publish datasets") == "data scientists"
    assert asked_persona("Make upgrades safe for app developers without breaking instances") == "app developers"
    assert asked_persona("Help remote teams finish sessions faster") == ""
    assert asked_persona("Requirements so that users can export") == ""
    assert _speaks_as("data publishers", "Data Publishing User")
    assert not _speaks_as("app developers", "dataset developer")
    assert not _speaks_as("data scientists", "faculty member")


def test_a_wants_condition_is_the_given_and_its_opposite_a_boundary_case() -> None:
    want = "to change my estimate as long as the draw has not been completed"
    assert condition_of(want) == ("to change my estimate", "as long as", "the draw has not been completed")
    given, action = conditional_given("a participant", "[s:1]", want)
    assert given.endswith("while the draw has not been completed") and action == "to change my estimate"
    boundary = boundary_criterion("participant", want)
    assert "once the draw has been completed" in boundary
    assert "When they try to change their estimate, Then they cannot" in boundary
    assert "once the last person selects a card" in boundary_criterion(
        "participant", "to change my estimate until the last person selects a card")
    # 'for when …' and a trailing 'when' state no condition of the action
    assert condition_of("to have the option of an upgrade step for when an instance is upgraded") is None
    assert condition_of("to know which reports are coming out when") is None
    assert boundary_criterion("moderator", "to fill the field in automatically if all show the same card") == ""


def test_because_is_never_part_of_a_want() -> None:
    quote = "As a faculty member, I want to find the items I authored by my name, because I keep my papers there."
    assert wanted(quote) == "to find the items I authored by my name"


def test_cut_clause_names_are_no_headings() -> None:
    assert not names_a_thing("Top-up to go")
    assert not names_a_thing("Card it seems")
    assert not names_a_thing("within a repository")
    assert not names_a_thing("system")
    assert names_a_thing("Failed top-ups") and names_a_thing("Dark mode") and names_a_thing("Topping up by card")
    assert trim_label("top-up to go") == "top-up"
    assert trim_label("card it seems") == "card"
    assert trim_label("dark mode") == "dark mode"
