"""A cheap deterministic embedder for tests where the store or the pipeline is under test, not the model."""

from __future__ import annotations

import zlib

import numpy as np

from memory.embeddings import Embedder
from memory.sparse import tokenize


class HashingEmbedder(Embedder):
    """Bag of hashed words: texts that share words get similar vectors; no model is loaded."""

    def __init__(self, dim: int = 32, name: str = "hashing-test") -> None:
        self._dim = dim
        self.name = name

    @property
    def dim(self) -> int:
        return self._dim

    def _embed(self, texts: list[str]) -> np.ndarray:
        matrix = np.zeros((len(texts), self._dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for token in tokenize(text) or ["<empty>"]:
                matrix[row, zlib.crc32(token.encode()) % self._dim] += 1.0
        return matrix
