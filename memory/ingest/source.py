"""What every reader returns (a validated file, ready to stream) and the helpers readers share."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from kernel.schemas import Rejection, SignalKind

from .rows import RawRow

RowOrRejection = RawRow | Rejection


@dataclass
class Source:
    """A validated input file, ready to stream.

    Attributes:
        path: The file.
        kind: Resolved signal kind.
        total: Number of source records (CSV rows, JSON items, lines, turns), when known.
        consumed: Source records read so far (for progress reporting).
    """

    path: Path
    kind: SignalKind
    total: int | None
    _produce: Callable[[Source], Iterator[RowOrRejection]] = field(repr=False)
    consumed: int = 0

    def rows(self) -> Iterator[RowOrRejection]:
        """Stream the rows (a generator: nothing is held beyond the current record)."""
        self.consumed = 0
        yield from self._produce(self)


def file_mtime(path: Path) -> datetime:
    """The file's modification time (UTC): the date of records that carry none."""
    return datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)


def rejection(path: Path, line: int, reason: str) -> Rejection:
    """A per-row rejection of ``path`` at ``line``."""
    return Rejection(path=str(path), line=line, reason=reason)


class ChunkCounter:
    """Gives repeated external ids (e.g. several messages of one ticket) successive chunk indexes.

    Holds one machine-word hash per distinct id, plus a small map for ids seen more than once.
    """

    def __init__(self) -> None:
        self._seen: set[int] = set()
        self._next: dict[str, int] = {}

    def base(self, external_id: str, count: int) -> int:
        """The first chunk index of ``count`` new chunks of ``external_id``."""
        key = hash(external_id)
        if key not in self._seen:
            self._seen.add(key)
            if count > 1:
                self._next[external_id] = count
            return 0
        start = self._next.get(external_id, 1)
        self._next[external_id] = start + count
        return start


class Duplicates:
    """Near-duplicate records of one file (:func:`memory.ingest.rows.duplicate_key`), found in two passes.

    A first pass (:meth:`scan`, while the file is validated) notes every record's key: one machine word per
    distinct key, dropped when the pass ends, plus a count for each key seen more than once. While rows
    stream, the first record of a repeated key is held (:meth:`hold`) until its last repeat has been
    replaced by it (:meth:`take`): the repeat yields the first record's rows again, so the pipeline sees an
    exact duplicate (same signal id and text) and counts it under ``duplicates``. Only repeated records are
    held (at most :data:`MAX_HELD` at once; past that a repeat is kept as its own signal).
    """

    MAX_HELD = 20_000

    def __init__(self) -> None:
        self._seen: set[int] | None = set()
        self._repeats: dict[int, int] = {}
        self._left: dict[int, int] = {}
        self._held: dict[int, list[RawRow]] = {}

    @property
    def active(self) -> bool:
        """Whether the first pass found any repeated key (else streaming need not compute keys)."""
        return bool(self._repeats)

    def scan(self, key: int | None) -> None:
        """Note one record's key in the first pass (``None``: a record that will be rejected)."""
        if key is None or self._seen is None:
            return
        if key in self._seen:
            self._repeats[key] = self._repeats.get(key, 0) + 1
        else:
            self._seen.add(key)

    def scanned(self) -> None:
        """End the first pass (its set of every key is freed)."""
        self._seen = None

    def start(self) -> None:
        """Begin streaming the rows (again): nothing held yet."""
        self._left = dict(self._repeats)
        self._held = {}

    def take(self, key: int | None) -> list[RawRow] | None:
        """The rows of the earlier record ``key`` repeats, or ``None`` when it is the first (or not held)."""
        if key is None:
            return None
        rows = self._held.get(key)
        if rows is None:
            return None
        left = self._left[key] - 1
        if left <= 0:
            del self._held[key], self._left[key]
        else:
            self._left[key] = left
        return rows

    def hold(self, key: int | None, rows: list[RawRow]) -> None:
        """Keep the rows of the first record of ``key`` when later records repeat it."""
        if key is not None and key in self._left and key not in self._held and len(self._held) < self.MAX_HELD:
            self._held[key] = rows
