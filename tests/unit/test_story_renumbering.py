"""Story ids said in a requirements document's other parts follow the stories when duplicates are merged."""

from __future__ import annotations

from tools.story_quality import PM_TODO, renumber_references, review_requirements


def story(sid: str, want: str, so_that: str = PM_TODO, cites: tuple[str, ...] = ("s0",)) -> dict:
    return {"id": sid, "as_a": "archivist", "i_want": want, "so_that": so_that,
            "acceptance_criteria": [f"Given an archivist, When they {want[3:]}, Then it is done"],
            "citations": list(cites)}


def test_open_questions_and_metrics_name_the_stories_as_numbered_after_merging() -> None:
    doc = {"kind": "requirements", "goals": [], "stories": [
        story("S1", "to restrict a file from view"),
        story("S2", "to restrict a file from view", cites=("s1",)),  # the same story: merged into S1
        story("S3", "to add restriction end dates"),
        story("S4", "to export the finding aid", so_that="I can share it"),
    ], "open_questions": [f"{PM_TODO}: S1, S3 — which benefit do users expect?",
                          f"{PM_TODO}: S4 — the size limit"],
        "success_metrics": ["S1: use of restricting", "S2: use of restricting", "S3: end dates set",
                            "S4: exports per week"]}
    out = review_requirements(doc)
    assert [s["id"] for s in out["stories"]] == ["S1", "S2", "S3"]
    assert out["stories"][0]["citations"] == ["s0", "s1"]
    by_id = {s["id"]: s["i_want"] for s in out["stories"]}
    assert by_id["S2"] == "to add restriction end dates" and by_id["S3"] == "to export the finding aid"
    # 'S3' (end dates) is now S2, 'S4' (export) S3: never the old number pointing at another story
    assert out["open_questions"] == [f"{PM_TODO}: S1, S2 — which benefit do users expect?",
                                     f"{PM_TODO}: S3 — the size limit"]
    # the merged duplicate's metric said the same as its story's: one line
    assert out["success_metrics"] == ["S1: use of restricting", "S2: end dates set", "S3: exports per week"]


def test_ids_are_replaced_at_once_and_unknown_ones_left() -> None:
    renamed = {"S2": "S1", "S3": "S2", "S4": "S3"}
    assert renumber_references(["S3 and S4, not S9", "S2"], renamed) == ["S2 and S3, not S9", "S1"]
    assert renumber_references(["S1"], {"S1": "S1"}) == ["S1"]
