"""MiniLM's length probe uses its own tokenizer copy, so concurrent embeds never unpad a batch."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import pytest

from memory import embeddings
from memory.embeddings import LocalEmbedder, probe_tokenizer


def test_the_probe_never_calls_the_model_s_tokenizer(monkeypatch: pytest.MonkeyPatch) -> None:
    shared = embeddings._minilm().tokenizer
    probe = probe_tokenizer()
    assert probe is not shared and probe is probe_tokenizer()
    calls: list[tuple[int, bool]] = []
    real_call = type(shared).__call__

    def watched(self: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append((id(self), bool(kwargs.get("padding"))))
        return real_call(self, *args, **kwargs)

    monkeypatch.setattr(type(shared), "__call__", watched)
    LocalEmbedder()._embed(["the card never arrived", "how do I top up my account with a transfer from abroad?"])
    on_shared = [padded for who, padded in calls if who == id(shared)]
    assert on_shared and all(on_shared), calls  # every call on the shared tokenizer pads (encode)
    assert any(who == id(probe) and not padded for who, padded in calls), calls


def test_concurrent_embeds_match_one_at_a_time() -> None:
    embedder = LocalEmbedder()
    batches = [[f"{'word ' * ((k + i) % 13 + 1)}item {k}-{i}" for i in range(1 + k % 5)] for k in range(24)]
    expected = [embedder._embed(batch) for batch in batches]
    results: dict[int, np.ndarray] = {}
    errors: list[BaseException] = []

    def work(indices: range) -> None:
        try:
            for k in indices:
                results[k] = embedder._embed(batches[k])
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(range(start, 24, 4),)) for start in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    for k, want in enumerate(expected):
        np.testing.assert_allclose(results[k], want, atol=1e-5)
