"""Theme discovery on BANKING77 (train split): NMI/ARI against the 77 gold intents, k not given."""

from __future__ import annotations

import csv
import functools
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from memory.themes import cluster_vectors
from tests.support.services import require_shared_data

pytestmark = pytest.mark.quality


def load_banking77(shared_data: Path) -> tuple[list[str], list[str]]:
    path = require_shared_data("banking77", "train.csv")
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [r["text"] for r in rows], [r["category"] for r in rows]


@contextmanager
def one_torch_thread() -> Iterator[None]:
    """Torch on one intra-op thread for the block (process-wide), then back: the same vectors bit for bit.

    ``make test`` runs two workers on two cores, so a second torch thread only spin-waits for a core the
    other worker holds (1,500 BANKING77 texts at load 25: 30.3 CPU-s on two threads, 11.6 on one).
    """
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def embed(texts: list[str]) -> np.ndarray:
    """MiniLM vectors of ``texts`` (the process's bundled model, loaded once per worker), on one torch thread."""
    from memory.embeddings import _minilm

    with one_torch_thread():
        return np.asarray(_minilm().encode(texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True,
                                           show_progress_bar=False))


@functools.cache
def _vectors(shared_data: Path) -> np.ndarray:
    texts, _ = load_banking77(shared_data)
    return embed(texts)


@functools.cache
def _clustered(shared_data: Path) -> tuple[np.ndarray, float]:
    texts, _ = load_banking77(shared_data)
    vectors = _vectors(shared_data)
    start = time.perf_counter()
    labels = cluster_vectors(vectors, texts)
    return labels, time.perf_counter() - start


def banking77_clusters(shared_data: Path) -> np.ndarray:
    """Theme of each train text (embedded and clustered once per session, shared with the label test)."""
    return _clustered(shared_data)[0]


def test_banking77_themes_without_k(shared_data: Path) -> None:
    texts, gold = load_banking77(shared_data)
    assert len(texts) == 10003 and len(set(gold)) == 77
    labels, seconds = _clustered(shared_data)
    nmi = normalized_mutual_info_score(gold, labels)
    ari = adjusted_rand_score(gold, labels)
    count = len(set(labels.tolist()))
    print(f"\nBANKING77 train: NMI={nmi:.4f} ARI={ari:.4f} themes={count} cluster_seconds={seconds:.1f}")
    assert 50 <= count <= 160
    assert nmi >= 0.82
    assert ari >= 0.55


def test_banking77_random_3k_subsets_worst_case(shared_data: Path) -> None:
    """Five seeded random 3,000-text subsets (the bench's draws): the worst one is what a held-out split risks."""
    texts, gold = load_banking77(shared_data)
    vectors = _vectors(shared_data)
    scores = []
    for seed in range(1000, 1005):
        idx = np.sort(np.random.default_rng(seed).choice(len(texts), 3000, replace=False))
        labels = cluster_vectors(vectors[idx], [texts[i] for i in idx])
        truth = [gold[i] for i in idx]
        scores.append((normalized_mutual_info_score(truth, labels), adjusted_rand_score(truth, labels),
                       len(set(labels.tolist()))))
    print("\nBANKING77 3k subsets (NMI, ARI, themes):", [(round(a, 4), round(b, 4), c) for a, b, c in scores])
    assert all(50 <= count <= 110 for _, _, count in scores)
    # Regression bars at the level reached (docs/themes.md); issue 19's goal (0.83 / 0.57) is not met yet.
    assert min(nmi for nmi, _, _ in scores) >= 0.80
    assert min(ari for _, ari, _ in scores) >= 0.52
