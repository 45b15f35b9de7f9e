"""Every use of MiniLM's shared tokenizer holds the encode lock (concurrent calls once unpadded a batch)."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import pytest

from memory import embeddings
from memory.embeddings import ENCODE_LOCK, LocalEmbedder


def test_tokenizer_calls_hold_the_encode_lock(monkeypatch: pytest.MonkeyPatch) -> None:
    tokenizer = embeddings._minilm().tokenizer
    seen: list[bool] = []
    real_call = type(tokenizer).__call__

    def watched(self: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(ENCODE_LOCK.locked())
        return real_call(self, *args, **kwargs)

    monkeypatch.setattr(type(tokenizer), "__call__", watched)
    embedder = LocalEmbedder()
    embedder._embed(["the card never arrived", "how do I top up my account with a transfer from abroad?"])
    embedder._embed(["one text alone"])
    assert len(seen) >= 3 and all(seen), seen


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
