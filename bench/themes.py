"""Theme quality on banking77 and theme analysis at 100k signals.

Quality: ``memory.themes.cluster_vectors`` runs on the cached MiniLM vectors of the 10,003 training texts of
``../shared/data/banking77/train.csv`` and on the texts themselves (as thematic analysis calls it), and on
``SUBSETS`` random 3,000-text subsets of them (seeded draws); NMI and ARI compare its clusters with the gold
categories, and the subsets' *worst* scores are the figures (a held-out split is judged the same way). Five
further draws (``HELDOUT_SEED``), never used to choose the method or its parameters, are scored the same way
as the held-out check (companion keys ``themes_*_heldout_subsets_min``).
Texts it leaves unassigned (if any) count as one extra cluster, so they lower the scores.

Candidates (full mode, or ``--only themes_candidates``): the same vectors and subsets through the other methods
the choice was made against -- the previous Louvain, HDBSCAN on a PCA reduction, agglomerative clustering
with a distance threshold -- so docs/themes.md's comparison comes from one run.

Scale: a child process (``python -m bench.themes --scale N``) builds N synthetic signals by sampling banking77
rows with replacement, perturbing each vector with Gaussian noise (sigma ``NOISE`` per dimension, then
normalised) and dropping one word of each text, and times ``memory.themes.build_report`` over them
(clustering, keywords, labels, quotes, bias note; reading vectors from the store is not included); its peak
RSS is ``VmHWM`` of that process.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence

import numpy as np

from bench.common import Results
from bench.datasets import banking77, minilm_vectors

#: Random subsets scored, their size, and the seed of the first draw.
SUBSETS = 5
SUBSET_SIZE = 3000
SUBSET_SEED = 1000
#: Seed of the first of ``SUBSETS`` further draws never used to choose the method or its parameters
#: (the held-out check: banking77's test split is not in ../shared/data).
HELDOUT_SEED = 2000
#: Per-dimension noise added to each sampled vector of the synthetic 100k set.
NOISE = 0.01

Method = Callable[[np.ndarray, list[str]], np.ndarray]


def subset_indices(n: int, count: int = SUBSETS, size: int = SUBSET_SIZE, seed: int = SUBSET_SEED) -> list[np.ndarray]:
    """The seeded random subsets (sorted row indices) the worst-case figures are taken over."""
    return [np.sort(np.random.default_rng(seed + s).choice(n, size, replace=False)) for s in range(count)]


def score(method: Method, vectors: np.ndarray, texts: Sequence[str], gold: Sequence[str]) -> dict[str, float]:
    """NMI, ARI, cluster count, unassigned count and seconds of one method on one set."""
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    started = time.perf_counter()
    labels = np.asarray(method(vectors, list(texts)))
    seconds = time.perf_counter() - started
    if labels.shape != (len(texts),):
        raise RuntimeError(f"clustering returned {labels.shape} labels for {len(texts)} texts")
    return {
        "nmi": float(normalized_mutual_info_score(gold, labels)),
        "ari": float(adjusted_rand_score(gold, labels)),
        "themes": len({int(x) for x in labels if int(x) >= 0}),
        "unassigned": int(np.sum(labels < 0)),
        "seconds": round(seconds, 2),
    }


def evaluate(method: Method, texts: Sequence[str], gold: Sequence[str], vectors: np.ndarray,
             full: bool = True, seed: int = SUBSET_SEED) -> dict[str, object]:
    """A method on every subset (worst NMI / ARI, theme counts) and on the full set."""
    gold_array = np.asarray(gold)
    runs = [score(method, vectors[idx], [texts[i] for i in idx], gold_array[idx])
            for idx in subset_indices(len(texts), seed=seed)]
    out: dict[str, object] = {
        "subsets_nmi_min": min(r["nmi"] for r in runs),
        "subsets_ari_min": min(r["ari"] for r in runs),
        "subsets_themes": [r["themes"] for r in runs],
        "subsets_seconds_max": max(r["seconds"] for r in runs),
        "subsets": runs,
    }
    if full:
        out["full"] = score(method, vectors, texts, gold)
    return out


def candidates() -> dict[str, Method]:
    """The methods compared in docs/themes.md, each on the same vectors (and texts where it uses them)."""
    from memory.themes import cluster_vectors, louvain_stability

    def hdbscan_pca(vectors: np.ndarray, texts: list[str]) -> np.ndarray:
        from sklearn.cluster import HDBSCAN
        from sklearn.decomposition import PCA

        reduced = PCA(n_components=32, random_state=0).fit_transform(vectors)
        labels = HDBSCAN(min_cluster_size=10, min_samples=3).fit_predict(reduced)
        return labels  # noise (-1) stays unassigned and is scored as one more cluster

    def agglomerative(vectors: np.ndarray, texts: list[str]) -> np.ndarray:
        from sklearn.cluster import AgglomerativeClustering

        return AgglomerativeClustering(n_clusters=None, metric="cosine", linkage="average",
                                       distance_threshold=0.45).fit_predict(vectors)

    return {
        "leiden_snn (chosen)": cluster_vectors,
        "louvain_stability (previous)": louvain_stability,
        "hdbscan_pca32_min10": hdbscan_pca,
        "agglomerative_average_cos0.45": agglomerative,
    }


def run(results: Results, quick: bool) -> None:
    """Score the chosen method on banking77 train and its subsets; time it at 100k (full mode)."""
    from memory.themes import cluster_vectors

    texts, gold = banking77()
    vectors = minilm_vectors(texts)
    found = evaluate(cluster_vectors, texts, gold, vectors)
    full = found["full"]
    assert isinstance(full, dict)
    source = "memory.themes.cluster_vectors(vectors, texts)"
    base = (f"{source} on MiniLM vectors of {len(texts)} banking77 train texts vs {len(set(gold))} gold intents; "
            f"{full['unassigned']} unassigned; clustering took {full['seconds']:.1f} s")
    results.put("themes_nmi_banking77_train", full["nmi"], base)
    results.put("themes_ari_banking77_train", full["ari"], base)
    results.put("themes_count_banking77_train", full["themes"], base)
    results.companion("themes_unassigned_banking77_train", full["unassigned"])
    results.companion("themes_cluster_seconds_banking77_train", full["seconds"])
    sub_note = (f"{source}: worst of {SUBSETS} random {SUBSET_SIZE}-text subsets of banking77 train "
                f"(seeds {SUBSET_SEED}..{SUBSET_SEED + SUBSETS - 1}); themes per subset {found['subsets_themes']}")
    results.put("themes_nmi_subsets_min", found["subsets_nmi_min"], sub_note)
    results.put("themes_ari_subsets_min", found["subsets_ari_min"], sub_note)
    results.companion("themes_subsets", found["subsets"])
    heldout = evaluate(cluster_vectors, texts, gold, vectors, full=False, seed=HELDOUT_SEED)
    results.companion("themes_nmi_heldout_subsets_min", heldout["subsets_nmi_min"])
    results.companion("themes_ari_heldout_subsets_min", heldout["subsets_ari_min"])
    results.companion("themes_heldout_subsets", heldout["subsets"])
    size = 20_000 if quick else 100_000
    scale = measure_scale(size)
    scale_note = (f"memory.themes.build_report over {size} synthetic signals (banking77 rows sampled with "
                  f"replacement, vectors + N(0, {NOISE}) noise, one word dropped per text), child process; "
                  f"{scale['themes']} themes")
    results.put("themes_seconds_100k", scale["seconds"], scale_note)
    results.put("themes_peak_rss_mb_100k", scale["peak_rss_mb"], scale_note + "; VmHWM of the child")
    results.companion("themes_seconds_100k_n", size)
    results.companion("themes_cluster_seconds_100k", scale["cluster_seconds"])
    results.companion("themes_cpu_seconds_100k", scale["cpu_seconds"])
    results.companion("themes_load_avg_100k", scale["load_avg_1m"])
    if not quick:
        run_candidates(results)


def run_candidates(results: Results) -> None:
    """Every candidate method on the same vectors, subsets and full set (docs/themes.md's table)."""
    texts, gold = banking77()
    vectors = minilm_vectors(texts)
    table = {}
    for name, method in candidates().items():
        found = evaluate(method, texts, gold, vectors)
        table[name] = {k: v for k, v in found.items() if k != "subsets"}
        print(f"[bench] themes candidate {name}: {json.dumps(table[name])}", file=sys.stderr, flush=True)
    results.companion("themes_candidates", table)


def measure_scale(size: int) -> dict[str, float]:
    """Run :func:`scale_child` in a fresh process (its own peak RSS) and return its figures."""
    out = subprocess.run([sys.executable, "-m", "bench.themes", "--scale", str(size)], check=True,
                         capture_output=True, text=True, timeout=1800)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def synthetic(size: int, seed: int = 7) -> tuple[list[object], np.ndarray]:
    """``size`` signals and vectors made from banking77 rows (sampled, perturbed), with users and dates."""
    from datetime import UTC, datetime, timedelta

    from kernel.schemas import Signal, SignalKind, signal_id

    texts, _ = banking77()
    base = minilm_vectors(texts)
    rng = np.random.default_rng(seed)
    pick = rng.integers(0, len(texts), size)
    vectors = base[pick] + rng.normal(scale=NOISE, size=(size, base.shape[1])).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    signals = []
    for i, row in enumerate(pick):
        words = texts[row].split()
        if len(words) > 3:
            del words[int(rng.integers(0, len(words)))]
        signals.append(Signal(
            id=signal_id("scale", "tickets.csv", str(i)), workspace="scale", kind=SignalKind.TICKET,
            source="tickets.csv", external_id=str(i), user_id=f"u{i % 5000}", account_id=f"a{i % 700}",
            segment=("enterprise", "smb", "consumer")[i % 3], created_at=start + timedelta(minutes=7 * i),
            text=" ".join(words), sentiment=float(rng.uniform(-1, 1)),
        ))
    return signals, vectors.astype(np.float32)


def scale_child(size: int) -> dict[str, float]:
    """Time build_report over ``size`` synthetic signals in this process; report seconds and VmHWM."""
    from memory import themes
    from memory.themes import report as report_module

    signals, vectors = synthetic(size)
    calls: list[float] = []
    original = report_module.cluster_vectors

    def timed(*args: object, **kwargs: object) -> np.ndarray:
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)  # type: ignore[arg-type]
        finally:
            calls.append(time.perf_counter() - started)

    report_module.cluster_vectors = timed  # type: ignore[assignment]  # the call discover_themes makes
    started, cpu = time.perf_counter(), time.process_time()
    report = themes.build_report("scale", signals, vectors, with_members=True)  # type: ignore[arg-type]
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    peak = 0.0
    with open("/proc/self/status", encoding="utf-8") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                peak = int(line.split()[1]) / 1024
    return {"seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2), "cluster_seconds": round(sum(calls), 2),
            "peak_rss_mb": round(peak, 1), "themes": len(report.themes), "load_avg_1m": round(os.getloadavg()[0], 2)}


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.themes --scale N`` (the child of :func:`measure_scale`)."""
    parser = argparse.ArgumentParser(prog="python -m bench.themes")
    parser.add_argument("--scale", type=int, required=True, help="number of synthetic signals")
    args = parser.parse_args(argv)
    print(json.dumps(scale_child(args.scale)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
