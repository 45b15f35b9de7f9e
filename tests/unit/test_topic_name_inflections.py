"""Topic names: one capability written in several inflections is one phrase, not a bare shared keyword."""

from __future__ import annotations

from tools.topics import name_topic

GOAL = "Draft requirements to stop ATMs from keeping customers' cards"
KEPT = ["Who do I talk to about the ATM swallowing my card?", "Please help, the atm swallowed my card, what do I do?",
        "Why did the ATM swallow my card?", "The ATM kept my card?", "I can't get my card out of the ATM",
        "My card is stuck in the ATM?", "Why did the ATM eat my card?"]
DECLINED = ["I can't get cash out at an ATM", "I can't get money out of the ATM.",
            "I tried two different ATMs already can you please check if everything is alright with my account?"]
ACCEPT = ["Can you tell me the ATMs I can use with my card?", "Do all ATMs accept this card?",
          "What ATMs can I use my card?"]


def test_inflections_of_one_verb_name_the_capability_not_the_shared_keyword() -> None:
    # 'swallowing', 'swallowed', 'swallow': one phrase in three quotes, against 'ATM' that every quote (and the
    # neighbouring topic) uses.
    name = name_topic([*KEPT, *DECLINED], GOAL, ACCEPT, fallback="?")
    assert "swallow" in name.lower() and "card" in name.lower()


def test_a_name_is_still_a_verbatim_phrase_of_the_quotes() -> None:
    name = name_topic(KEPT, GOAL, ACCEPT, fallback="?")
    assert any(name.lower() in q.lower() for q in KEPT)


def test_plural_and_singular_are_still_one_phrase() -> None:
    quotes = ["My exchange rates are wrong.", "The exchange rate was wrong yesterday.", "Exchange rates look off."]
    assert name_topic(quotes, "Make exchange rates transparent", [], fallback="?").lower().startswith("exchange rate")
