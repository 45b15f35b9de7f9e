"""Theme quality on banking77: clusters of MiniLM vectors against the 77 gold intents.

``memory.themes.cluster_vectors`` runs on the cached MiniLM vectors of the 10,003 training texts of
``../shared/data/banking77/train.csv`` and on the texts themselves (as thematic analysis calls it);
NMI and ARI compare its clusters with the gold categories.
Texts it leaves unassigned (if any) count as one extra cluster, so they lower the scores.
"""

from __future__ import annotations

import time

import numpy as np

from bench.common import Results
from bench.datasets import banking77, minilm_vectors


def run(results: Results, quick: bool) -> None:
    """Cluster the banking77 training texts and score the clusters."""
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    from memory.themes import cluster_vectors

    texts, gold = banking77()
    vectors = minilm_vectors(texts)
    started = time.perf_counter()
    found = cluster_vectors(vectors, list(texts))
    seconds = time.perf_counter() - started
    labels = np.asarray(getattr(found, "labels", found))
    if labels.shape != (len(texts),):
        raise RuntimeError(f"cluster_vectors returned {labels.shape} labels for {len(texts)} texts")
    themes = len({int(x) for x in labels if int(x) >= 0})
    unassigned = int(np.sum(labels < 0))
    source = "memory.themes.cluster_vectors(vectors, texts)"
    base = (f"{source} on MiniLM vectors of {len(texts)} banking77 train texts vs {len(set(gold))} gold intents; "
            f"{unassigned} unassigned; clustering took {seconds:.1f} s")
    results.put("themes_nmi_banking77_train", float(normalized_mutual_info_score(gold, labels)), base)
    results.put("themes_ari_banking77_train", float(adjusted_rand_score(gold, labels)), base)
    results.put("themes_count_banking77_train", themes, base)
    results.companion("themes_unassigned_banking77_train", unassigned)
    results.companion("themes_cluster_seconds_banking77_train", seconds)
