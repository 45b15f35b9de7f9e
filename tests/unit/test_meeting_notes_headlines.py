"""Meeting notes as a PM reads them: need-clause headlines, remarks folded into items, distinct moments."""

from __future__ import annotations

from agents.deliverables.meeting_notes import _render
from tools.meeting_points import extract, headline, need_clause, raised


def plain(texts: list[str]) -> list[dict[str, object]]:
    return [{"signal_id": f"s{i}", "quote": t, "speaker": None, "chunk": i} for i, t in enumerate(texts)]


def test_the_headline_is_the_clause_that_states_the_need_in_the_speakers_words() -> None:
    assert headline("We already have that, but two, we need to have underlying users.") == \
        "We need to have underlying users."
    assert headline("Yeah so I think the admin should approve every new account, right?") == \
        "The admin should approve every new account."
    assert headline("First name and last name must be mandatory fields on the signup form.") == \
        "First name and last name must be mandatory fields on the signup form."
    assert need_clause("A manager should see his team's surveys, or should he only manage his own?") == \
        "A manager should see his team's surveys."
    # no need stated: an offer, a call to discuss, a bare pronoun object
    assert need_clause("We can talk about the naming later.") is None
    assert need_clause("We need to think about the roles.") is None
    assert need_clause("We would have to restrict that.") is None


def test_raised_counts_distinct_moments_not_statements() -> None:
    assert raised([10, 11, 12]) == 1
    assert raised([10, 11, 40]) == 2
    assert raised([3, 30, 60, 61]) == 3


def test_a_remark_stating_no_need_is_context_of_the_closest_item_and_still_cited() -> None:
    said = ["Managers should be able to export the survey results as a spreadsheet.",
            "The export of the survey results should include every answer of every employee.",
            "Because honestly the survey results export is what the managers look at every week."]
    found = extract(plain(said))
    requirements = found["requirements"]
    cited = {q["quote"] for r in requirements for q in r["quotes"]}
    assert set(said) <= cited  # every statement still cited
    assert all(r["requirement"] != said[2] for r in requirements)


def test_the_notes_say_raised_n_times() -> None:
    doc = {"requirements": [{"requirement": "Reports must be exportable as PDF.", "type": "functional",
                             "category": "functional", "citations": ["00000000", "00000001"], "raised": 2,
                             "quotes": [{"signal_id": "00000000", "quote": "Reports must be exportable as PDF."}]}]}
    assert any("raised 2 times" in line for line in _render(doc))


def test_a_leading_condition_time_or_scope_stays_with_the_need() -> None:
    assert headline("If the driver has no signal, the app must store the delivery photos.") == \
        "If the driver has no signal, the app must store the delivery photos."
    assert headline("When an invoice is overdue, the customer should get a reminder by email.") == \
        "When an invoice is overdue, the customer should get a reminder by email."
    assert headline("Unless the patient declined, the clinic should send a follow-up text.") == \
        "Unless the patient declined, the clinic should send a follow-up text."
    assert headline("Once the loan is approved, the borrower must sign the contract online.") == \
        "Once the loan is approved, the borrower must sign the contract online."
    assert headline("For guest checkouts, the shop must not store the card number.") == \
        "For guest checkouts, the shop must not store the card number."
    assert headline("In the first release, the portal should only offer English.") == \
        "In the first release, the portal should only offer English."
    # a conversational lead-in before the condition is still dropped
    assert headline("Yeah, but if the payment fails, the shop should keep the cart.") == \
        "If the payment fails, the shop should keep the cart."


def test_an_appositive_contrast_stays_with_its_subject() -> None:
    assert headline("Drivers, not dispatchers, must confirm each delivery.") == \
        "Drivers, not dispatchers, must confirm each delivery."
    assert headline("So, nurses, not doctors, should schedule the visits.") == \
        "Nurses, not doctors, should schedule the visits."
    # a contrast inside an earlier statement is not the need's subject: the need clause alone
    assert headline("We covered the invoices, not the refunds, so the refunds should be listed too.") == \
        "The refunds should be listed too."


def test_only_conversational_lead_ins_are_trimmed() -> None:
    assert headline("Good point, the dashboard should show the open tickets.") == \
        "The dashboard should show the open tickets."
    assert headline("For example, the receipt should show the tax.") == "The receipt should show the tax."
    assert headline("In my opinion, the export must include the comments.") == \
        "The export must include the comments."
