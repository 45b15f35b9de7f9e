"""Meeting notes usable as minutes (PM review defect 8): action items or a plain "none", decisions that say what,
topics with the unsorted items last."""

from __future__ import annotations

from agents.deliverables.meeting_notes import _render
from tools.meeting_points import extract


def plain(texts: list[str], speakers: list[str] | None = None) -> list[dict[str, object]]:
    return [{"signal_id": f"s{i}", "quote": t, "speaker": speakers[i] if speakers else None, "chunk": i}
            for i, t in enumerate(texts)]


def _requirement(text: str, topic: str, sid: str) -> dict[str, object]:
    return {"requirement": text, "type": "functional", "category": "functional", "topic": topic,
            "citations": [sid], "quotes": [{"signal_id": sid, "quote": text}]}


def test_notes_without_action_items_say_so_plainly() -> None:
    lines = _render({"decisions": [], "action_items": [], "requirements": []})
    at = lines.index("## Action items")
    assert lines[at + 2].startswith("- None captured")


def test_a_named_person_or_the_team_taking_on_a_follow_up_is_an_action_item() -> None:
    found = extract(plain([
        "The kiosk should print a receipt for every return.",
        "Okay, so Priya will check the refund limits with the finance team.",
        "Let's schedule a walkthrough with the store managers next week.",
        "Let's say a customer brings back a damaged item.",
        "Receipts will show the refund amount."]))
    actions = [(a["owner"], a["item"]) for a in found["action_items"]]
    assert actions == [("Priya", "Priya will check the refund limits with the finance team."),
                       ("[owner?]", "Let's schedule a walkthrough with the store managers next week.")]
    # a sentence opening with a capitalised subject is no name: the product does it, nobody committed
    assert extract(plain(["Checkout will send a receipt to the customer by email."]))["action_items"] == []


def test_a_speaker_named_as_owner_gets_their_full_name() -> None:
    found = extract(plain(["Tariq will draft the migration plan for the archive.", "Sure, by Friday."],
                          ["Lena Fischer", "Tariq Aziz"]))
    assert [a["owner"] for a in found["action_items"]] == ["Tariq Aziz"]


def test_the_other_topic_comes_last() -> None:
    doc = {"requirements": [_requirement("Clerks must scan every parcel.", "Other", "00000000"),
                            _requirement("Parcels need a tracking number.", "Parcel", "00000001"),
                            _requirement("Each parcel needs a weight.", "Parcel", "00000002")]}
    headings = [line for line in _render(doc) if line.startswith("### ")]
    assert headings == ["### Parcel", "### Other"]
