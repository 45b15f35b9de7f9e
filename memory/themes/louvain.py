"""The previous clustering method (pure-Python Louvain, resolution by stability), kept for the bench comparison."""

from __future__ import annotations

import random
from collections.abc import Sequence
from itertools import combinations

import numpy as np
import scipy.sparse as sp
from sklearn.metrics import adjusted_rand_score

from memory.themes.graph import (
    NEIGHBOURS,
    REPLICAS,
    _adopt_isolated,
    _canonical,
    _group_singletons,
    _lexical_matrix,
    _nearest,
    _renumber,
    _snn_graph,
    _thinned,
    _unit_rows,
)

#: Louvain resolutions tried by the previous method.
RESOLUTIONS = (1.0, 1.5, 2.0, 3.0, 4.0)


def louvain_stability(vectors: np.ndarray, texts: Sequence[str] | None = None) -> np.ndarray:
    """The previous method (pure-Python Louvain, resolution by stability), kept for the bench comparison."""
    matrix = _unit_rows(vectors)
    n = matrix.shape[0]
    if n <= 2:
        return np.zeros(n, dtype=np.int64)
    lexical = _lexical_matrix(texts) if texts is not None else None
    k = min(NEIGHBOURS, n - 1)
    neighbours = _nearest(matrix, lexical, k)
    graph = _snn_graph(neighbours, k)
    resolution = _most_stable_resolution(graph)
    candidates = [_louvain(graph, resolution, seed) for seed in range(3)]
    labels = max(candidates, key=lambda lab: _modularity(graph, lab, resolution))
    labels = _adopt_isolated(labels, graph, neighbours)
    labels = _group_singletons(labels, matrix)
    return _renumber(labels)


def _louvain(graph: sp.csr_matrix, resolution: float, seed: int) -> np.ndarray:
    """Louvain modularity optimisation (local moving + aggregation), deterministic for a seed."""
    n = graph.shape[0]
    labels = np.arange(n)
    total = float(graph.sum())
    if total == 0:
        return labels
    current = graph
    while True:
        community, moved = _local_moving(current, resolution, total, seed)
        _, community = np.unique(community, return_inverse=True)
        if not moved:
            break
        labels = community[labels]
        size = community.max() + 1
        if size == current.shape[0]:
            break
        assign = sp.csr_matrix((np.ones(len(community)), (np.arange(len(community)), community)))
        current = _canonical(assign.T @ current @ assign)
    return labels


def _local_moving(graph: sp.csr_matrix, resolution: float, total: float, seed: int) -> tuple[list[int], bool]:
    """One Louvain level: move nodes to the neighbouring community with the best modularity gain."""
    indptr, indices, data = graph.indptr.tolist(), graph.indices.tolist(), graph.data.tolist()
    n = graph.shape[0]
    adjacency = [
        [(indices[p], data[p]) for p in range(indptr[i], indptr[i + 1]) if indices[p] != i] for i in range(n)
    ]
    degree = np.asarray(graph.sum(axis=1)).ravel().tolist()
    community = list(range(n))
    tot = list(degree)
    order = list(range(n))
    random.Random(seed).shuffle(order)
    moved_any = False
    for _ in range(50):
        moves = 0
        for i in order:
            ci, ki = community[i], degree[i]
            links: dict[int, float] = {}
            get = links.get
            for j, w in adjacency[i]:
                c = community[j]
                links[c] = get(c, 0.0) + w
            tot[ci] -= ki
            scale = resolution * ki / total
            best, best_gain = ci, links.get(ci, 0.0) - scale * tot[ci]
            for c, w in links.items():
                gain = w - scale * tot[c]
                if gain > best_gain + 1e-12:
                    best, best_gain = c, gain
            tot[best] += ki
            if best != ci:
                community[i] = best
                moves += 1
        if not moves:
            break
        moved_any = True
    return community, moved_any


def _modularity(graph: sp.csr_matrix, labels: np.ndarray, resolution: float) -> float:
    total = float(graph.sum())
    if total == 0:
        return 0.0
    coo = graph.tocoo()
    inside = float(coo.data[labels[coo.row] == labels[coo.col]].sum())
    volume = np.bincount(labels, weights=np.asarray(graph.sum(axis=1)).ravel())
    return inside / total - resolution * float(np.sum(volume**2)) / total**2


def _most_stable_resolution(graph: sp.csr_matrix) -> float:
    """The resolution whose partitions agree most across edge-thinned replicas (mean pairwise ARI)."""
    best_resolution, best_score = RESOLUTIONS[0], -np.inf
    for resolution in RESOLUTIONS:
        runs = [_louvain(_thinned(graph, seed), resolution, seed) for seed in range(REPLICAS)]
        score = float(np.mean([adjusted_rand_score(a, b) for a, b in combinations(runs, 2)]))
        if score > best_score + 1e-9:
            best_resolution, best_score = resolution, score
    return best_resolution
