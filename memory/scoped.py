"""The workspace scope every store access goes through: validated names, ids and tenant filters.

:class:`ScopedMemory` is the base of :class:`memory.repository.WorkspaceMemory`: it adds the
workspace condition to every filter and drops any record of another workspace. The helpers here
(workspace names, claim ids, filter values) are re-exported by :mod:`memory.repository`.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING

from kernel.errors import InputError
from kernel.schemas import ID_NAMESPACE
from kernel.timeutil import aware
from memory.store.base import Condition, Filter, Match, Range, Record

if TYPE_CHECKING:
    from memory.repository import MemoryStore

_WORKSPACE_RE = re.compile(r"[A-Za-z0-9_.-]{1,64}")
SUBJECT_TYPES = ("user", "account", "segment")
META = "meta"
#: Theme snapshots kept per workspace (older ones are pruned on save).
THEME_HISTORY_KEEP = 50
_CHUNK = 256

FilterValue = str | Enum | Sequence[str | Enum] | None


def validate_workspace(name: str) -> str:
    """Return ``name`` if it is a valid workspace name, else raise InputError."""
    if not isinstance(name, str) or not _WORKSPACE_RE.fullmatch(name):
        raise InputError(f"invalid workspace name {name!r}: use 1-64 letters, digits, '_', '.' or '-'")
    return name


def model_slug(name: str) -> str:
    """Collection-safe slug of an embedding model name."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:48] or "model"


def claim_id(workspace: str, subject_type: str, subject: str, claim_type: str, text: str) -> str:
    """Deterministic id of a claim: same subject, type and (normalised) text → same point."""
    norm = " ".join(text.lower().split())
    key = f"claim\x1f{workspace}\x1f{subject_type}\x1f{subject}\x1f{claim_type}\x1f{norm}"
    return str(uuid.uuid5(ID_NAMESPACE, key))


def _epoch(value: datetime) -> float:
    return aware(value).timestamp()


def _plain(value: str | Enum) -> str:
    return str(value.value) if isinstance(value, Enum) else str(value)


def _match(key: str, value: FilterValue) -> Condition | None:
    if value is None:
        return None
    if isinstance(value, str | Enum):
        return Match(key, _plain(value))
    values = tuple(_plain(v) for v in value)
    if not values:
        raise InputError(f"empty list given for filter {key!r}")
    return Match(key, any_of=values)


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        return False
    return True


def _chunks(items: Sequence[str], size: int = _CHUNK) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _check_limit(limit: int) -> None:
    if not isinstance(limit, int) or not 1 <= limit <= 1000:
        raise InputError("limit must be between 1 and 1000")


class ScopedMemory:
    """One workspace's view of a :class:`~memory.repository.MemoryStore`: filters and records scoped to it."""

    def __init__(self, memory: MemoryStore, workspace: str) -> None:
        """Use :meth:`MemoryStore.workspace` rather than this constructor."""
        self._memory = memory
        self._store = memory.store
        self._lock = memory._lock
        self.workspace = validate_workspace(workspace)
        self.embedder = memory.embedder
        memory.ensure()

    # -- filters ------------------------------------------------------------------------------

    def _tenant(self, *conditions: Condition | None) -> Filter:
        must: list[Condition] = [Match("workspace", self.workspace)]
        must.extend(c for c in conditions if c is not None)
        return Filter(must=tuple(must))

    def _signal_filter(
        self,
        user_id: FilterValue = None,
        account_id: FilterValue = None,
        segment: FilterValue = None,
        kind: FilterValue = None,
        signal_type: FilterValue = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> Filter:
        when = None
        if since is not None or until is not None:
            when = Range(
                "created_ts",
                gte=_epoch(since) if since is not None else None,
                lte=_epoch(until) if until is not None else None,
            )
        return self._tenant(
            _match("user_id", user_id),
            _match("account_id", account_id),
            _match("segment", segment),
            _match("kind", kind),
            _match("signal_type", signal_type),
            when,
        )

    def _own(self, records: Iterable[Record]) -> list[Record]:
        """Drop any record of another workspace (ids are global; the tenant check is not)."""
        return [r for r in records if r.payload.get("workspace") == self.workspace]
