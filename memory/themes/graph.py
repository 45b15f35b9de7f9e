"""Clustering: kNN graph over two views of each text, Leiden with its resolution chosen by stability.

See :mod:`memory.themes` and docs/themes.md for the method and its figures.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from itertools import combinations
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.cluster import AgglomerativeClustering
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import adjusted_rand_score

from kernel.errors import InputError

#: Nearest neighbours per point in the graph (a local scale, independent of the number of themes).
NEIGHBOURS = 10
#: Dense candidates per point that the lexical view re-ranks.
CANDIDATES = 64
#: Weight of the lexical cosine relative to the dense cosine.
LEXICAL_WEIGHT = 0.3
#: Leiden (modularity) resolutions tried on the shared-neighbour graph; the most stable one is kept.
LEIDEN_RESOLUTIONS = (1.0, 1.5, 2.0, 3.0, 4.0)
#: Leiden runs (seeds) on the full graph at the chosen resolution; the partition of highest quality is kept.
FINAL_RUNS = 3
#: Up to this many items all are clustered together; above it a seeded random sample of this size is
#: clustered and every other item takes the majority theme of its nearest sampled items.
SAMPLE_MAX = 10_000
#: Approximate kNN (large inputs): inverted lists probed per query.
APPROX_PROBES = 16
#: Stability replicas (edge-thinned copies of the graph) and the share of edges each drops.
REPLICAS = 5
DROP_EDGES = 0.1

_PLACEHOLDER = re.compile(r"\[[A-Z_]+\]")
_TOKEN = r"(?u)\b[a-zA-Z][a-zA-Z']+\b"


def cluster_vectors(vectors: np.ndarray, texts: Sequence[str] | None = None) -> np.ndarray:
    """Cluster embedding vectors (optionally with their texts) without being told the number of clusters.

    Args:
        vectors: ``(n, d)`` embeddings, one row per item (normalised here for cosine).
        texts: The items' texts; when given, a lexical TF-IDF view sharpens the neighbourhoods.

    Returns:
        ``(n,)`` int labels ``0..k-1``, numbered by cluster size (largest first); deterministic.

    Raises:
        InputError: If ``vectors`` is not a finite 2-D array or ``texts`` has another length.
    """
    matrix = _unit_rows(vectors)
    n = matrix.shape[0]
    if texts is not None and len(texts) != n:
        raise InputError(f"cluster_vectors: {len(texts)} texts for {n} vectors")
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if n <= 2:
        return np.zeros(n, dtype=np.int64)
    if n > SAMPLE_MAX:
        return _cluster_large(matrix, texts)
    k = min(NEIGHBOURS, n - 1)
    lexical = _lexical_matrix(texts) if texts is not None else None
    neighbours = _nearest(matrix, lexical, k)
    graph = _snn_graph(neighbours, k)
    labels = _leiden(_network(graph), _stable_leiden_resolution(graph), FINAL_RUNS)
    labels = _adopt_isolated(labels, graph, neighbours)
    labels = _group_singletons(labels, matrix)
    return _renumber(labels)


def _cluster_large(matrix: np.ndarray, texts: Sequence[str] | None) -> np.ndarray:
    """Cluster a seeded random sample of ``SAMPLE_MAX`` rows, then assign the others by their neighbours.

    Every other row takes the majority theme of its ``NEIGHBOURS`` nearest sampled rows (approximate
    kNN, :func:`_approximate_nearest`), so the cost past the sample grows linearly.
    """
    n = matrix.shape[0]
    sample = np.sort(np.random.default_rng(0).choice(n, SAMPLE_MAX, replace=False))
    sampled = cluster_vectors(matrix[sample], [texts[i] for i in sample] if texts is not None else None)
    rest = np.setdiff1d(np.arange(n), sample)
    near = _approximate_nearest(matrix[sample], NEIGHBOURS, queries=matrix[rest])
    votes = sampled[near]
    labels = np.empty(n, dtype=np.int64)
    labels[sample] = sampled
    counts = np.zeros((len(rest), int(sampled.max()) + 1), dtype=np.int32)
    np.add.at(counts, (np.repeat(np.arange(len(rest)), votes.shape[1]), votes.ravel()), 1)
    labels[rest] = np.argmax(counts, axis=1)  # ties: the lower label, i.e. the larger theme
    return _renumber(labels)


def _network(graph: sp.csr_matrix) -> tuple[Any, list[float]]:
    """The graph as an igraph network (edges of the upper triangle) and its edge weights."""
    import igraph

    upper = sp.triu(graph, 1).tocoo()
    edges = list(zip(upper.row.tolist(), upper.col.tolist(), strict=True))
    return igraph.Graph(n=graph.shape[0], edges=edges), upper.data.tolist()


def _leiden(network: tuple[Any, list[float]], resolution: float, runs: int, seed: int = 0) -> np.ndarray:
    """Leiden (leidenalg) maximising modularity at ``resolution``; the best of ``runs`` seeds."""
    import leidenalg

    graph, weights = network
    if not weights:
        return np.arange(graph.vcount())
    best: tuple[float, list[int]] | None = None
    for offset in range(runs):
        partition = leidenalg.find_partition(
            graph, leidenalg.RBConfigurationVertexPartition, weights=weights,
            resolution_parameter=resolution, seed=seed + offset,
        )
        quality = float(partition.quality())
        if best is None or quality > best[0] + 1e-9:
            best = (quality, list(partition.membership))
    assert best is not None
    return np.asarray(best[1], dtype=np.int64)


def _stable_leiden_resolution(graph: sp.csr_matrix) -> float:
    """The resolution whose Leiden partitions agree most across edge-thinned replicas (mean pairwise ARI)."""
    best_resolution, best_score = LEIDEN_RESOLUTIONS[0], -np.inf
    replicas = [_network(_thinned(graph, seed)) for seed in range(REPLICAS)]
    for resolution in LEIDEN_RESOLUTIONS:
        runs = [_leiden(network, resolution, 1, seed) for seed, network in enumerate(replicas)]
        score = float(np.mean([adjusted_rand_score(a, b) for a, b in combinations(runs, 2)]))
        if score > best_score + 1e-9:
            best_resolution, best_score = resolution, score
    return best_resolution


def _approximate_nearest(base: np.ndarray, k: int, queries: np.ndarray, block: int = 8192) -> np.ndarray:
    """Indices of the ``k`` rows of ``base`` nearest (cosine) to each row of ``queries``, without all pairs.

    A faiss inverted-file index (``IndexIVFFlat``, inner product on the unit rows, so exact cosine within
    the probed lists) over ``base``: about ``4 sqrt(n)`` lists, ``APPROX_PROBES`` of them searched per
    query. The rare query whose probed lists hold fewer than ``k`` rows is searched exactly. Seeded
    k-means training and per-query search make the result deterministic.
    """
    import faiss

    base = np.ascontiguousarray(base, dtype=np.float32)
    n, dim = base.shape
    k = min(k, n)
    lists = max(1, min(int(4 * math.sqrt(n)), n // 40))
    index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, lists, faiss.METRIC_INNER_PRODUCT)
    index.cp.seed = 0
    index.cp.niter = 10
    index.train(base[np.sort(np.random.default_rng(0).choice(n, min(n, 40 * lists), replace=False))])
    index.add(base)
    index.nprobe = min(APPROX_PROBES, lists)
    out = np.empty((queries.shape[0], k), dtype=np.int64)
    for start in range(0, queries.shape[0], block):
        chunk = np.ascontiguousarray(queries[start : start + block], dtype=np.float32)
        _, found = index.search(chunk, k)
        short = np.flatnonzero((found < 0).any(axis=1))
        if len(short):  # probed lists too thin: exact search for those queries
            sims = chunk[short] @ base.T
            found[short] = np.argsort(-sims, axis=1, kind="stable")[:, :k]
        out[start : start + len(chunk)] = found
    return out


#: Cosine distance (average linkage) under which leftover singletons are grouped into a theme of their own.
SINGLETON_DISTANCE = 0.55


def _group_singletons(labels: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Group items the graph left alone with each other.

    On small workspaces the shared-neighbour graph is sparse and Louvain can leave every member of a real
    theme (e.g. five differently worded sync complaints) as a singleton; average-linkage clustering of just
    those singletons, with a conservative cosine cut, recovers them without touching the graph's themes.
    """
    counts = np.bincount(labels)
    lone = np.flatnonzero(counts[labels] == 1)
    if len(lone) < 2:
        return labels
    groups = AgglomerativeClustering(
        n_clusters=None, metric="cosine", linkage="average", distance_threshold=SINGLETON_DISTANCE
    ).fit_predict(matrix[lone])
    out = labels.copy()
    fresh = int(labels.max()) + 1
    for group in np.unique(groups):
        members = lone[groups == group]
        if len(members) >= 2:
            out[members] = fresh
            fresh += 1
    return out


def _unit_rows(vectors: np.ndarray) -> np.ndarray:
    matrix = np.asarray(vectors, dtype=np.float32)
    if matrix.ndim != 2:
        raise InputError(f"vectors must be a 2-D array, got shape {matrix.shape}")
    if matrix.size and not np.isfinite(matrix).all():
        raise InputError("vectors contain NaN or infinite values")
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms > 0, norms, 1.0)


def _lexical_matrix(texts: Sequence[str]) -> sp.csr_matrix | None:
    """Row-normalised TF-IDF of word 1-2-grams and char 3-5-grams (equal halves), or None if no vocabulary."""
    docs = [_PLACEHOLDER.sub(" ", t or "").lower() for t in texts]
    min_df = 2 if len(docs) >= 50 else 1
    parts = []
    for vectorizer in (
        TfidfVectorizer(ngram_range=(1, 2), min_df=min_df, sublinear_tf=True, token_pattern=_TOKEN),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), min_df=min_df, sublinear_tf=True),
    ):
        try:
            parts.append(vectorizer.fit_transform(docs) * math.sqrt(0.5))
        except ValueError:  # empty vocabulary: texts carry no words, fall back to the dense view
            return None
    return sp.hstack(parts).tocsr().astype(np.float32)


def _nearest(matrix: np.ndarray, lexical: sp.csr_matrix | None, k: int, block: int = 1024) -> np.ndarray:
    """Indices of each row's ``k`` most similar rows (dense candidates re-ranked with the lexical view)."""
    n = matrix.shape[0]
    pool = min(max(CANDIDATES, k), n - 1)
    out = np.empty((n, k), dtype=np.int64)
    for start in range(0, n, block):
        sims = matrix[start : start + block] @ matrix.T
        rows = np.arange(sims.shape[0])
        sims[rows, start + rows] = -np.inf
        cand = np.argpartition(-sims, pool - 1, axis=1)[:, :pool] if pool < n - 1 else np.argsort(-sims, 1)[:, :pool]
        score = np.take_along_axis(sims, cand, axis=1)
        if lexical is not None:
            left = lexical[np.repeat(np.arange(start, start + len(rows)), pool)]
            lex = np.asarray(left.multiply(lexical[cand.ravel()]).sum(axis=1)).reshape(score.shape)
            score = score + LEXICAL_WEIGHT * lex
        order = np.argsort(-score, axis=1, kind="stable")[:, :k]
        out[start : start + len(rows)] = np.take_along_axis(cand, order, axis=1)
    return out


def _snn_graph(neighbours: np.ndarray, k: int) -> sp.csr_matrix:
    """Symmetric kNN graph weighted by the share of neighbours two points have in common."""
    n = neighbours.shape[0]
    rows = np.repeat(np.arange(n), k)
    knn = sp.csr_matrix((np.ones(n * k), (rows, neighbours.ravel())), shape=(n, n))
    shared = (knn @ knn.T).tocsr()
    linked = ((knn + knn.T) > 0).astype(np.float64)
    graph = linked.multiply(shared).tocsr() / k
    graph.setdiag(0)
    return _canonical(graph)


def _canonical(graph: sp.spmatrix) -> sp.csr_matrix:
    """CSR with sorted indices and no explicit zeros: Louvain visits neighbours in a fixed order."""
    out = sp.csr_matrix(graph)
    out.eliminate_zeros()
    out.sum_duplicates()
    out.sort_indices()
    return out


def _thinned(graph: sp.csr_matrix, seed: int) -> sp.csr_matrix:
    upper = sp.triu(graph, 1).tocoo()
    keep = np.random.default_rng(seed).random(len(upper.data)) >= DROP_EDGES
    half = sp.csr_matrix((upper.data[keep], (upper.row[keep], upper.col[keep])), shape=graph.shape)
    return _canonical(half + half.T)


def _adopt_isolated(labels: np.ndarray, graph: sp.csr_matrix, neighbours: np.ndarray) -> np.ndarray:
    """Give points without graph edges the label of their nearest neighbour (no noise label)."""
    labels = labels.copy()
    isolated = np.flatnonzero(np.diff(graph.indptr) == 0)
    for i in isolated:
        labels[i] = labels[neighbours[i, 0]]
    return labels


def _renumber(labels: np.ndarray) -> np.ndarray:
    """Labels 0..k-1 by size (largest first), ties by first occurrence: reruns give identical output."""
    uniq, first, counts = np.unique(labels, return_index=True, return_counts=True)
    order = sorted(range(len(uniq)), key=lambda c: (-counts[c], first[c]))
    mapping = np.empty(len(uniq), dtype=np.int64)
    mapping[order] = np.arange(len(uniq))
    return mapping[np.searchsorted(uniq, labels)]
