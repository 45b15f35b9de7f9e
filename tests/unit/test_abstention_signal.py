"""The per-question agreement lift (tools.relevance.AgreementModel): nearest signals that agree on the question."""

from __future__ import annotations

import numpy as np

from tools.relevance import AGREEMENT, FITTED, AgreementModel, agreement, agreement_of


def _unit(v: np.ndarray) -> np.ndarray:
    out: np.ndarray = v / np.linalg.norm(v)
    return out


def _question_and_axes(dim: int = 64) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    basis, _ = np.linalg.qr(rng.normal(size=(dim, dim)))
    return basis[:, 0], basis[:, 1:]


def test_hits_that_share_only_the_question_agree_more_than_hits_that_share_their_own_topic() -> None:
    question, axes = _question_and_axes()
    # Ten signals at cosine 0.5 to the question, each worded its own way (a different orthogonal remainder):
    # their mean keeps the question's direction and cancels the rest.
    worded_apart = [_unit(0.5 * question + np.sqrt(0.75) * axes[:, i]) for i in range(10)]
    # Ten signals at the same cosine that share one topic of their own (a near miss: one other cluster).
    own_topic = [_unit(0.5 * question + np.sqrt(0.75) * _unit(axes[:, 20] + 0.2 * axes[:, 21 + i]))
                 for i in range(10)]
    apart, together = agreement(question, worded_apart), agreement(question, own_topic)
    assert apart > 0.3  # 0.5 / |mean| - 0.5 = 0.877 - 0.5
    assert 0.0 <= together < 0.05
    assert abs(agreement(question, [worded_apart[0]] * 5)) < 1e-6  # one signal repeated: no agreement beyond it
    assert agreement(question, []) == 0.0


def test_agreement_of_reads_only_the_nearest_signals() -> None:
    question, axes = _question_and_axes()
    model = AgreementModel(top=3)
    near = [_unit(0.6 * question + 0.8 * axes[:, i]) for i in range(3)]
    far = [_unit(0.1 * question + np.sqrt(0.99) * axes[:, 10 + i]) for i in range(7)]
    assert agreement_of(question, [*far, *near], model) == agreement(question, near)


def test_lift_is_zero_below_start_grows_and_stops_at_the_cap() -> None:
    model = AgreementModel(weight=10.0, start=0.2, cap=1.0)
    assert model.lift(0.1) == 0.0 and model.lift(0.2) == 0.0
    assert abs(model.lift(0.25) - 0.5) < 1e-9
    assert model.lift(0.9) == 1.0
    described = model.describe(0.25)
    assert described["question"] == {"agreement": 0.25, "lift": 0.5}


def test_lift_moves_the_probability_by_its_logit() -> None:
    base = FITTED.probability(0.45, 0.2)
    lifted = FITTED.probability(0.45, 0.2, lift=0.8)
    logit = np.log(base / (1 - base))
    assert abs(np.log(lifted / (1 - lifted)) - (logit + 0.8)) < 1e-9
    assert FITTED.probability(0.45, 0.2, lift=0.0) == base
    assert AGREEMENT.lift(0.0) == 0.0  # a question whose nearest signals do not agree is never lifted
