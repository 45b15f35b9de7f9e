"""MiniLM's passes run as a TorchScript graph (no GIL held through a pass): the same vectors bit for bit.

That the graph lets other threads run is a speed property, measured by the bench (docs/performance.md).
"""

from __future__ import annotations

import csv

import numpy as np

from memory import embeddings
from memory.embeddings import LocalEmbedder
from tests.support.services import require_shared_data


def _model_encode(texts: list[str]) -> np.ndarray:
    """sentence-transformers' own forward pass over ``texts`` (one pass, as ``_encode_pass`` runs it)."""
    model = embeddings._minilm()
    return np.asarray(model.encode(texts, batch_size=len(texts), convert_to_numpy=True, show_progress_bar=False))


def test_the_model_is_traced() -> None:
    import torch

    traced = embeddings._traced()
    assert isinstance(traced, torch.jit.ScriptModule)
    assert embeddings._traced() is traced  # once per process


def test_edge_cases_give_the_model_s_own_vectors_bit_for_bit() -> None:
    cases = [
        ["a lone text"],
        [""],
        ["my card is lost", "my card is gone", "my card was lost"],  # equal token lengths: no padding at all
        ["refund please " * 200, "short"],  # cut at 256 tokens beside a short text
        ["refund please " * 200],
        ["ünïcödé, emoji 🙂 and\ttabs\nand lines", "[EMAIL] wrote: <script>alert(1)</script>"],
    ]
    for texts in cases:
        assert np.array_equal(embeddings._encode_pass(texts), _model_encode(texts)), texts


def test_every_packed_pass_of_a_real_data_set_matches_the_model() -> None:
    path = require_shared_data("banking77", "train.csv")
    with path.open(newline="", encoding="utf-8") as handle:
        texts = [row["text"] for row in csv.DictReader(handle)][:1500]
    got = LocalEmbedder()._embed(texts)
    passes = LocalEmbedder().passes(texts)
    assert len(passes) > 10
    for batch in passes:
        assert np.array_equal(got[batch], _model_encode([texts[i] for i in batch]))
