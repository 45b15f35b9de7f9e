"""Scoring math: RICE, WSJF, alignment, criteria totals, the strategy loader."""

from __future__ import annotations

from pathlib import Path

import pytest

from kernel.errors import InputError
from tools import scoring
from tools.scoring import EvidenceStats, Strategy
from tools.strategy import load_strategy


def rows(n: int, *, users: int, kinds: tuple[str, ...] = ("ticket",), signal_type: str = "bug") -> list[dict]:
    return [
        {"signal_id": f"s{i}", "user_id": f"u{i % users}", "account_id": None, "kind": kinds[i % len(kinds)],
         "signal_type": signal_type, "sentiment": -0.5}
        for i in range(n)
    ]


def test_reach_counts_distinct_users_and_falls_back_to_accounts() -> None:
    evidence = rows(10, users=4) + [
        {"signal_id": "a1", "user_id": None, "account_id": "acme", "kind": "ticket", "signal_type": "bug"},
        {"signal_id": "a2", "user_id": None, "account_id": "acme", "kind": "review", "signal_type": "bug"},
        {"signal_id": "a1", "user_id": None, "account_id": "acme", "kind": "ticket", "signal_type": "bug"},
    ]
    stats = EvidenceStats.from_evidence(evidence)
    assert stats.signals == 12  # duplicate a1 counted once
    assert stats.reporters == 5  # u0..u3 + account acme
    assert stats.kinds == 2


def test_rice_formula_is_exact_and_reproducible() -> None:
    stats = EvidenceStats.from_evidence(rows(10, users=5, kinds=("ticket", "review", "interview")))
    result = scoring.rice(stats)
    # impact: all bugs → 2; confidence: strength 1, diversity 1 → 1.0; effort default 1
    assert (result["reach"], result["impact"], result["confidence"], result["effort"]) == (5, 2.0, 1.0, 1.0)
    assert result["score"] == 10.0
    assert result["effort_source"] == "default"
    assert result["formula"] == "RICE = reach 5 × impact 2.0 × confidence 1.0 / effort 1.0 = 10.0"
    assert scoring.rice(stats) == result
    halved = scoring.rice(stats, effort=2.0)
    assert halved["score"] == 5.0 and halved["effort_source"] == "strategy"


def test_confidence_grows_with_volume_and_source_diversity() -> None:
    thin = scoring.confidence(EvidenceStats.from_evidence(rows(2, users=2)))
    volume = scoring.confidence(EvidenceStats.from_evidence(rows(10, users=2)))
    diverse = scoring.confidence(EvidenceStats.from_evidence(rows(10, users=2, kinds=("ticket", "review", "survey"))))
    assert thin < volume < diverse == 1.0
    assert thin == pytest.approx(0.2 + 0.8 * (0.5 * 0.2 + 0.5 / 3), abs=1e-3)


def test_impact_snaps_up_to_the_rice_scale() -> None:
    mixed = rows(2, users=2, signal_type="praise") + [
        {"signal_id": "x", "user_id": "z", "kind": "ticket", "signal_type": "feature_request"}]
    # mean (0.25 + 0.25 + 1) / 3 = 0.5 → 0.5
    assert scoring.impact(EvidenceStats.from_evidence(mixed)) == 0.5
    churn = rows(3, users=3, signal_type="churn_risk")
    assert scoring.impact(EvidenceStats.from_evidence(churn)) == 3.0


def test_rice_rejects_non_positive_effort() -> None:
    with pytest.raises(InputError):
        scoring.rice(EvidenceStats.from_evidence(rows(1, users=1)), effort=0)


def test_priority_buckets_are_absolute() -> None:
    assert scoring.rice_normalized(10.0) == 0.5
    assert scoring.priority(20.0) == "high"  # 20/30 = 0.667
    assert scoring.priority(5.0) == "medium"  # 5/15 = 0.333
    assert scoring.priority(1.0) == "low"


def test_wsjf_components() -> None:
    stats = EvidenceStats.from_evidence(rows(4, users=3, signal_type="bug"))
    result = scoring.wsjf(stats, trend=0.5, effort=2.0)
    assert result["risk_reduction"] == 10.0  # all bugs
    assert result["time_criticality"] == 5.5  # 1 + 9 × 0.5
    assert result["business_value"] == round(1 + 2.0 * 2.0, 2)  # impact 2 × log2(1+3)
    assert result["score"] == round((5.0 + 5.5 + 10.0) / 2.0, 2)


STRATEGY = """
product: Acme Notes
goals:
  - name: Reliability of sync
    weight: 60
    keywords: [sync, conflict]
  - name: Grow enterprise revenue
    weight: 40
    description: SSO, admin controls and audit logs for large accounts
effort:
  dark mode: 2
  sync: 3
scoring:
  wsjf: true
"""


def test_strategy_loader_normalises_weights(tmp_path: Path) -> None:
    path = tmp_path / "strategy.yaml"
    path.write_text(STRATEGY)
    strategy = load_strategy(path)
    assert [g.weight for g in strategy.goals] == [0.6, 0.4]
    assert strategy.effort_for("Build dark mode") == 2.0
    assert strategy.effort_for("fix sync bugs") == 3.0
    assert strategy.effort_for("SSO") is None
    assert strategy.wsjf is True
    assert Strategy.from_dict(strategy.to_dict()).goals == strategy.goals


@pytest.mark.parametrize("text, message", [
    ("goals: []", "no goals found"),
    ("goals:\n  - name: A\n    weight: lots", "must be a number"),
    ("goals: [[1, 2]]", "must be a mapping"),
    ("[unclosed", "not valid YAML"),
    ("goals:\n  - name: A\n    weight: 1\ncriteria:\n  vibes: 1", "unknown criterion"),
])
def test_strategy_loader_rejects_bad_files_with_one_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(text)
    with pytest.raises(InputError, match=message) as info:
        load_strategy(path)
    assert "\n" not in str(info.value)


def test_missing_strategy_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        load_strategy(tmp_path / "nope.yaml")


def test_alignment_keyword_and_word_overlap(tmp_path: Path) -> None:
    path = tmp_path / "strategy.yaml"
    path.write_text(STRATEGY)
    strategy = load_strategy(path)
    sync = scoring.alignment("fix sync bugs", strategy)
    assert sync["per_goal"]["Reliability of sync"] == 1.0
    assert sync["score"] == pytest.approx(0.6 + 0.4 * sync["per_goal"]["Grow enterprise revenue"])
    dark = scoring.alignment("build dark mode", strategy)
    assert dark["score"] < sync["score"]
    # with an embedding similarity, cosine is rescaled: (0.7 - 0.2) / 0.5 = 1.0, (0.45 - 0.2) / 0.5 = 0.5
    embedded = scoring.alignment("dark mode", strategy, lambda text, goals: [0.7, 0.45])
    assert embedded["per_goal"] == {"Reliability of sync": 1.0, "Grow enterprise revenue": 0.5}
    assert embedded["score"] == pytest.approx(0.8)
    assert "alignment = 0.6×1.0 + 0.4×0.5 = 0.8" == embedded["formula"]


def test_criteria_weights_and_total() -> None:
    without = scoring.criteria_weights(None)
    assert "strategic alignment" not in without
    assert sum(without.values()) == pytest.approx(1.0, abs=1e-3)
    total = scoring.weighted_total({"a": 1.0, "b": 0.5}, {"a": 0.5, "b": 0.5})
    assert total["total"] == 75.0
    assert total["formula"] == "total = 100 × (0.5×1.0 + 0.5×0.5) = 75.0"
