"""Theme labels a PM can read (issue 14): themes that share a topic are told apart by the members' own
phrase joining the topic and what sets the theme apart, never by a bare qualifier; labels end on a head,
not on "new" or a possessive; time words and "make sure" name no topic; the roles of a backlog with many
personas are boilerplate."""

from __future__ import annotations

from memory.themes.labels import _class_keywords, _join, _phrases, phrase_labels, same_topic_pairs, template_words


def test_shared_topic_is_told_apart_by_a_joined_verbatim_phrase() -> None:
    groups = [
        ["My transfer failed.", "The transfer failed again", "transfer failed, why?", "a transfer to my landlord"
         " failed", "Transfer failed twice today"],
        ["My transfer is still pending", "why is my transfer pending?", "the transfer shows as pending",
         "transfer pending for days", "My transfer is pending since Monday"],
    ]
    labels = phrase_labels(groups, _class_keywords(groups))
    assert len(set(labels)) == 2 and not same_topic_pairs(labels)
    assert all("(" not in label for label in labels)
    assert "pending" in labels[1] and "transfer" in labels[1]


def test_join_reads_head_then_word_or_word_before_the_head() -> None:
    texts = ["The exchange rate was wrong.", "the exchange rate was wrong on my purchase",
             "A wrong exchange rate", "exchange rate today"]
    assert _join(texts, "exchange rate", "wrong") == "exchange rate was wrong"
    before = ["I want to cancel a transfer", "cancel a transfer now", "cancel my transfer please"]
    assert _join(before, "transfer", "cancel") == "cancel a transfer"
    # a question's "how long do transfers take" is no phrase of its own: the auxiliary is not a determiner
    assert _join(["how long do transfers take", "how long do transfers take?"], "transfers", "long") is None
    assert _join(["transfer is slow"], "transfer", "slow") is None  # one member is not enough


def test_labels_never_end_on_an_attributive_word_or_a_possessive() -> None:
    phrases = _phrases("I need to order a new card. Determine the user's needs")
    assert "order a new card" in phrases and "order a new" not in phrases
    assert "new card" in phrases  # an attributive word may start a label
    assert not any(p.endswith("user's") for p in phrases)
    assert "make sure" not in _phrases("make sure the data is saved")


def test_time_words_name_no_topic() -> None:
    groups = [
        ["top-up still pending after half an hour", "my top-up is pending for half an hour", "top-up pending",
         "top-up is pending"],
        ["card arrived broken", "the card arrived bent", "my card is broken", "card broken on arrival"],
    ]
    labels = phrase_labels(groups, _class_keywords(groups))
    assert "half an hour" not in labels and "hour" not in labels[0]


def test_roles_of_a_many_persona_backlog_are_boilerplate() -> None:
    roles = ["Researcher", "Data Manager", "Librarian", "Student", "Funder", "Archivist", "Reviewer", "Editor"]
    stories = [f"As a {role}, I want to {action}, so that I can work." for role in roles
               for action in ("search datasets", "export records", "tag items")]
    words = template_words(stories)
    assert {"researcher", "librarian", "archivist"} <= words
    assert "datasets" not in words and "export" not in words
    # an ordinary opening ("How do I ___") is no slot: its fillers go on within the clause
    questions = [f"How do I {verb} my {thing} today" for verb in ("change", "reset", "find")
                 for thing in ("card", "pin", "account", "address")]
    assert not {"change", "reset", "card"} & template_words(questions)


def test_short_titles_opening_with_a_determiner_are_no_template_slot() -> None:
    # "The ___" ending a short ticket title closes no slot: its fillers are the topics, not boilerplate
    titles = ["The app crashes randomly", "The app crashes randomly.", "The app crashes constantly",
              "The dashboard loads slowly", "The dashboard loads slowly!", "The export button missing",
              "The export button missing!", "The export button missing again", "Dark mode please",
              "Please add dark mode"]
    assert not {"app", "crash", "crashes", "dashboard", "export", "button", "load"} & template_words(titles)
    groups = [titles[0:3], titles[3:5], titles[5:8], titles[8:10]]
    labels = phrase_labels(groups, _class_keywords(groups))
    assert "export button missing" in labels and "button missing" not in labels
    # the personas of "As a ___, I want" in the same kind of workspace are still boilerplate
    roles = ["Researcher", "Data Manager", "Librarian", "Student", "Funder", "Archivist", "Reviewer", "Editor"]
    backlog = [f"As a {role}, I want to {action}." for role in roles for action in ("export records", "tag items")]
    words = template_words(backlog + titles)
    assert {"researcher", "librarian", "archivist"} <= words
    assert not {"app", "dashboard", "export", "button"} & words
