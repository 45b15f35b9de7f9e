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
