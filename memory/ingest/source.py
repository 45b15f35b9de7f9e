"""A validated input file, ready to stream: what every reader returns (files, tracker exports, git)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
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
