"""MiniLM runs one thread per pass and gives a call's passes to one worker per core, with the same vectors."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import pytest

from memory import embeddings
from memory.embeddings import LocalEmbedder


def _texts() -> list[str]:
    """Enough texts of mixed length for several packed passes (the token budget is 1,024 a pass)."""
    return [f"{'my card payment was declined again ' * (1 + i % 7)}case {i}" for i in range(90)]


def test_a_call_of_several_passes_runs_them_on_the_pass_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    embeddings._minilm()
    import torch

    assert torch.get_num_threads() == 1  # set when the model is loaded: one intra-op thread per pass
    threads: list[str] = []
    real = embeddings._encode_pass

    def watched(texts: list[str]) -> Any:
        threads.append(threading.current_thread().name)
        return real(texts)

    monkeypatch.setattr(embeddings, "_encode_pass", watched)
    texts = _texts()
    LocalEmbedder()._embed(texts)
    passes = LocalEmbedder().passes(texts)
    assert len(passes) > 2 and len(threads) == len(passes)
    if embeddings._CORES >= 2:
        assert all(name.startswith("minilm-pass") for name in threads), threads
    else:  # one core: no workers, the caller runs every pass
        assert set(threads) == {threading.current_thread().name}
    threads.clear()
    LocalEmbedder()._embed(["one text is one pass"])
    assert threads == [threading.current_thread().name]  # a single pass is not handed over
    threads.clear()
    short = [f"the export to csv fails on report {i}" for i in range(4 * embeddings.SPLIT_MIN)]
    LocalEmbedder()._embed(short)  # fits one pass: split into one pass per core
    if embeddings._CORES >= 2:
        assert len(threads) == embeddings._CORES and all(n.startswith("minilm-pass") for n in threads), threads
    else:
        assert threads == [threading.current_thread().name]


def test_the_workers_give_the_same_vectors_as_the_passes_run_one_by_one() -> None:
    model = embeddings._minilm()
    texts = _texts()
    got = LocalEmbedder()._embed(texts)
    want = np.empty_like(got)
    for batch in LocalEmbedder().passes(texts):
        want[batch] = model.encode([texts[i] for i in batch], batch_size=len(batch), convert_to_numpy=True,
                                   show_progress_bar=False)
    assert np.array_equal(got, want)  # bit for bit: which worker ran a pass changes nothing


def test_a_forked_process_makes_its_own_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    embeddings._minilm()
    if embeddings._CORES < 2:
        assert embeddings._pass_workers() is None
        return
    workers = embeddings._pass_workers()
    assert workers is not None and embeddings._pass_workers() is workers
    monkeypatch.setattr(embeddings.os, "getpid", lambda: -1)  # what a fork's child sees: another process id
    child = embeddings._pass_workers()
    assert child is not None and child is not workers
    monkeypatch.undo()
    assert embeddings._pass_workers() is not child  # back in the parent: threads of its own again
