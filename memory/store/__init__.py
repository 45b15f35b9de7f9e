"""Vector-store backends and the factory that picks one from the settings."""

from __future__ import annotations

from kernel.settings import Settings
from memory.store.base import CollectionSpec, Filter, Match, Point, Range, Record, SparseVector, VectorStore


def open_store(settings: Settings) -> VectorStore:
    """A Qdrant server when ``PMPILOT_QDRANT_URL`` is set, else the embedded store under ``PMPILOT_HOME``.

    Nothing is contacted or locked here; the first operation does that.

    Raises:
        ConfigError: The URL is not an http(s) URL with a host, or the store directory cannot be created.
    """
    if settings.qdrant_url:
        from memory.store.client import ClientStore

        return ClientStore(settings.qdrant_url, api_key=settings.qdrant_api_key, timeout_s=settings.qdrant_timeout_s)
    from memory.store.edge import EdgeStore

    return EdgeStore(settings.store_dir, lock_timeout_s=settings.store_lock_timeout_s)


__all__ = [
    "CollectionSpec",
    "Filter",
    "Match",
    "Point",
    "Range",
    "Record",
    "SparseVector",
    "VectorStore",
    "open_store",
]
