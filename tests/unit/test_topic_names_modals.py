"""A goal topic's name never ends on an auxiliary nor starts with a requirement's modal ('response time shall')."""

from __future__ import annotations

from tools.topics import name_topic

NFR = ["The response time shall be under 2 seconds for any query.", "Response time shall not exceed 5 seconds.",
       "The product shall have a response time shall of 1 second."]
LEGAL = ["The system shall comply with the data protection act.", "The product shall comply with GDPR.",
         "The product shall comply with local privacy laws."]


def test_a_name_does_not_end_on_a_modal() -> None:
    name = name_topic(NFR, "Draft requirements for slow response times")
    assert name and name.split()[-1].lower() not in {"shall", "must", "will", "should", "can"}
    assert "response" in name


def test_a_name_does_not_start_with_a_modal() -> None:
    name = name_topic(LEGAL, "Requirements for legal compliance")
    assert name and name.split()[0].lower() != "shall"
    assert "comply" in name


def test_cannot_still_names_a_problem() -> None:
    quotes = ["I can't export my notes to PDF", "can't export to PDF since the update", "I can't export anything"]
    assert "export" in name_topic(quotes, "Fix export problems")
