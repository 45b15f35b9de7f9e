"""Benchmark inputs: banking77 texts, their cached MiniLM vectors, realistic signal CSVs.

The MiniLM vectors of the 10,003 banking77 training texts are computed once and cached under
``bench/.cache`` (``PMPILOT_BENCH_CACHE``): the theme figures and the 10k-signal workspace reuse
them, so only the figures that measure embedding speed pay for embedding.
"""

from __future__ import annotations

import csv
import hashlib
import random
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

import numpy as np

from bench.common import BANKING77_TRAIN, CACHE_DIR
from memory.embeddings import Embedder, LocalEmbedder

#: Texts embedded live by :class:`CachedMiniLM` (demo corpus, claim phrases, redacted rows).
EXTRA_CACHE = CACHE_DIR / "minilm-extra.npz"
SEGMENTS = ("enterprise", "mid-market", "smb", "consumer")
PLANS = {"enterprise": "Enterprise", "mid-market": "Business", "smb": "Team", "consumer": "Pro"}


@lru_cache(maxsize=1)
def banking77() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(texts, gold categories) of the banking77 training set."""
    if not BANKING77_TRAIN.is_file():
        raise FileNotFoundError(f"banking77 not found at {BANKING77_TRAIN} (set PMPILOT_BENCH_BANKING77)")
    with BANKING77_TRAIN.open(newline="", encoding="utf-8") as handle:
        rows = [(r["text"], r["category"]) for r in csv.DictReader(handle)]
    return tuple(t for t, _ in rows), tuple(c for _, c in rows)


def _digest(texts: tuple[str, ...]) -> str:
    h = hashlib.sha256()
    for text in texts:
        h.update(text.encode("utf-8") + b"\x1f")
    return h.hexdigest()[:16]


def minilm_vectors(texts: tuple[str, ...]) -> np.ndarray:
    """MiniLM vectors of ``texts`` (as :class:`LocalEmbedder` makes them), cached on disk by content."""
    path = CACHE_DIR / f"minilm-{_digest(texts)}.npy"
    if path.is_file():
        matrix = np.load(path)
        if matrix.shape == (len(texts), 384):
            return matrix
    matrix = LocalEmbedder().embed(list(texts))
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, matrix)
    return matrix


class CachedMiniLM(Embedder):
    """MiniLM with known vectors served from memory; unknown texts are embedded by the real model.

    Its name and dimension equal :class:`LocalEmbedder`'s, so it writes the same collections; used
    to build large benchmark workspaces without re-embedding texts whose vectors are cached.
    """

    name = LocalEmbedder.name

    def __init__(self, texts: tuple[str, ...], vectors: np.ndarray) -> None:
        """Serve ``vectors[i]`` for ``texts[i]``, plus every text embedded by an earlier :meth:`save`."""
        self._known: dict[str, np.ndarray] = dict(zip(texts, vectors, strict=True))
        if EXTRA_CACHE.is_file():
            with np.load(EXTRA_CACHE, allow_pickle=False) as saved:
                self._known.update(zip(saved["texts"].tolist(), saved["vectors"], strict=True))
        self._model = LocalEmbedder()
        self._new: dict[str, np.ndarray] = {}
        self.misses = 0

    def load_model(self) -> None:
        """Load MiniLM now (it embeds unknown texts), so memory figures include the model as in real use."""
        self._model.embed(["load the model"])

    def save(self) -> None:
        """Add the texts embedded live so far to the on-disk cache (the next run finds them)."""
        if not self._new:
            return
        extra = {}
        if EXTRA_CACHE.is_file():
            with np.load(EXTRA_CACHE, allow_pickle=False) as saved:
                extra.update(zip(saved["texts"].tolist(), saved["vectors"], strict=True))
        extra.update(self._new)
        EXTRA_CACHE.parent.mkdir(parents=True, exist_ok=True)
        tmp = EXTRA_CACHE.with_suffix(".tmp.npz")
        np.savez(tmp, texts=np.array(list(extra)), vectors=np.vstack(list(extra.values())))
        tmp.replace(EXTRA_CACHE)
        self._new.clear()

    @property
    def dim(self) -> int:
        """384."""
        return 384

    def _embed(self, texts: list[str]) -> np.ndarray:
        unknown = list(dict.fromkeys(t for t in texts if t not in self._known))
        if unknown:
            self.misses += len(unknown)
            fresh = dict(zip(unknown, self._model.embed(unknown), strict=True))
            self._known.update(fresh)
            self._new.update(fresh)
        return np.vstack([self._known[t] for t in texts])


_PII_TAILS = (
    " You can reach me at {user}@example.com.",
    " Call me back on +1 415 555 {n:04d} please.",
)


def write_signals_csv(path: Path, rows: int, *, seed: int = 7, users: int | None = None) -> Path:
    """A ticket-export CSV of ``rows`` banking77 texts with synthetic users, accounts, segments and dates.

    About 5% of rows carry an email address or phone number so redaction has work to do; texts
    repeat (with new ids) when ``rows`` exceeds the 10,003 banking77 texts.
    """
    texts, _ = banking77()
    rng = random.Random(seed)
    users = users or max(1, rows // 5)
    accounts = max(1, users // 10)
    start = date(2025, 1, 1)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "created_at", "user_id", "account_id", "segment", "plan", "text"])
        for i in range(rows):
            user = rng.randrange(users)
            account = user % accounts
            segment = SEGMENTS[account % len(SEGMENTS)]
            text = texts[i % len(texts)]
            if rng.random() < 0.05:
                text += rng.choice(_PII_TAILS).format(user=f"user{user}", n=i % 10000)
            day = start + timedelta(days=rng.randrange(300))
            writer.writerow([f"T-{i}", day.isoformat(), f"u{user}", f"acct{account}", segment, PLANS[segment], text])
    return path
