"""Strategy alignment against hand labels: this repository's first 67 commits, a Markdown strategy.

``tests/fixtures/align/pmpilot_labels.json`` holds, for each commit, every goal a reader would accept
(or ``maintenance``); ``pmpilot_strategy.md`` is the strategy they were labelled against. A commit
agrees when align puts it on a non-empty subset of its accepted goals, or leaves it unaligned when
``maintenance`` is accepted. The history is fixed (full shas), so the labels stay valid as the
repository grows: align runs up to the last labelled commit's date and only labelled commits count.

Held out: ``pmpilot_labels_heldout.json`` labels the next 73 commits (68–140) against the same strategy. They
were labelled from each commit's message and files before align's output on them was looked at. While the
mapping was then improved, its answers on 68–104 were read (they guided general rules); those on the 36
commits listed under ``blind`` (105–140) were not. Its figures are companions of the two keys
(``align_agreement_heldout``, ``align_unaligned_share_heldout``, ``align_agreement_heldout_unread``).
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

from bench.common import Results
from kernel.timeutil import parse_iso

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "align"


def measure(repo: Path = ROOT, labels_file: Path = FIXTURES / "pmpilot_labels.json") -> dict[str, float | int]:
    """Agreement with the labels and the unaligned share over the labelled commits (offline mode)."""
    from tools.alignment import align

    fixture = json.loads(labels_file.read_text(encoding="utf-8"))
    labels: dict[str, list[str]] = {sha: row["goals"] for sha, row in fixture["labels"].items()}
    date = subprocess.run(["git", "log", "-1", "--format=%cI", fixture["until_sha"]], cwd=repo, capture_output=True,
                          text=True, check=True).stdout.strip()
    report = align(repo, labels_file.parent / fixture["strategy"], until=parse_iso(date))
    mapped = {m.sha: m.goals for m in report.mapping if m.sha in labels}
    if len(mapped) != len(labels):
        raise RuntimeError(f"{len(labels) - len(mapped)} labelled commits are not in {repo}'s history")
    agrees = {sha: bool((goals and set(goals) <= set(labels[sha])) or (not goals and "maintenance" in labels[sha]))
              for sha, goals in mapped.items()}
    unaligned = sum(1 for goals in mapped.values() if not goals)
    figures: dict[str, float | int] = {
        "agreement": sum(agrees.values()) / len(labels), "unaligned_share": unaligned / len(labels),
        "commits": len(labels), "labelled_maintenance": sum(1 for g in labels.values() if g == ["maintenance"])}
    blind = [sha for sha in fixture.get("blind", []) if sha in agrees]
    if blind:  # commits whose answers were never read while the mapping was tuned
        figures["blind_agreement"] = sum(agrees[sha] for sha in blind) / len(blind)
        figures["blind_commits"] = len(blind)
    return figures


HELD_OUT = FIXTURES / "pmpilot_labels_heldout.json"


def run(results: Results, quick: bool) -> None:
    """Record align_agreement and align_unaligned_share, with the held-out slice's figures as companions."""
    if not (ROOT / ".git").exists():
        for key in ("align_agreement", "align_unaligned_share"):
            results.put(key, None, "not measured: the project is not a git checkout (the labels are its history)")
        return
    started = time.perf_counter()
    figures = measure()
    held = measure(labels_file=HELD_OUT)
    note = (f"offline align of this repository's first {figures['commits']} commits against "
            f"tests/fixtures/align/pmpilot_strategy.md (Markdown, 4 goals) vs hand labels "
            f"({figures['labelled_maintenance']} labelled pure maintenance); held out, the next {held['commits']} "
            f"commits: agreement {held['agreement']:.3f}, unaligned {held['unaligned_share']:.3f} (never-read "
            f"last {held.get('blind_commits', 0)}: {held.get('blind_agreement', 0):.3f}); "
            f"{time.perf_counter() - started:.1f} s for both")
    results.put("align_agreement", float(figures["agreement"]), note)
    results.put("align_unaligned_share", float(figures["unaligned_share"]), note)
    results.companion("align_agreement_heldout", float(held["agreement"]))
    results.companion("align_unaligned_share_heldout", float(held["unaligned_share"]))
    if "blind_agreement" in held:
        results.companion("align_agreement_heldout_unread", float(held["blind_agreement"]))
