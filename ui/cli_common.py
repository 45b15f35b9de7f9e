"""Helpers every ``pmpilot`` command module shares.

Output (one JSON document, or rich tables) and the parsing of run options live here, so
:mod:`ui.cli` and :mod:`ui.cli_ext` both import this module instead of each other.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from kernel.errors import InputError
from kernel.kinds import DELIVERABLE_KINDS
from kernel.timeutil import parse_when

DELIVERABLES = DELIVERABLE_KINDS


def emit(args: argparse.Namespace, payload: Any, human: Callable[[Any], None]) -> None:
    """Print ``payload`` as one JSON document with ``--json``, else through ``human``."""
    if args.json:
        print(json.dumps(plain_json(payload), ensure_ascii=False, default=str))
    else:
        human(payload)


def plain_json(payload: Any) -> Any:
    """``payload`` with pydantic models dumped, ready for ``json.dumps``."""
    if hasattr(payload, "model_dump"):
        return payload.model_dump(mode="json")
    if isinstance(payload, list):
        return [plain_json(item) for item in payload]
    if isinstance(payload, dict):
        return {key: plain_json(value) for key, value in payload.items()}
    return payload


def console() -> Any:
    """A rich console for human output (rich is imported only when a table is printed)."""
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True)


def print_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Print a rich table; ``None`` cells are blank."""
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*("" if cell is None else str(cell) for cell in row))
    console().print(table)


def parse_mapping(pairs: Sequence[str] | None) -> dict[str, str] | None:
    """``--map column=field`` pairs as a dict (``None`` when none were given)."""
    if not pairs:
        return None
    mapping: dict[str, str] = {}
    for pair in pairs:
        column, sep, field = pair.partition("=")
        if not sep or not column.strip() or not field.strip():
            raise InputError(f"--map expects column=field, got {pair!r}")
        mapping[column.strip()] = field.strip()
    return mapping


def parse_deliverables(text: str | None) -> list[str] | None:
    """``--deliverables a,b`` as a list of known kinds."""
    if not text:
        return None
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in DELIVERABLES]
    if unknown:
        raise InputError(f"unknown deliverable(s) {', '.join(unknown)}; expected: {', '.join(DELIVERABLES)}")
    return names


def clip(text: str, width: int) -> str:
    """``text`` on one line, cut to ``width`` characters with an ellipsis."""
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def run_options_from(args: argparse.Namespace) -> dict[str, Any]:
    """The ``run_goal`` options of ``run``/``enqueue run`` arguments, checked early (one clear line)."""
    for value in (args.since, getattr(args, "until", None)):
        if value:
            parse_when(value)  # validate early: one clear line for a bad date
    strategy = Path(args.strategy) if args.strategy else None
    if strategy is not None and not strategy.is_file():
        raise InputError(f"strategy file not found: {strategy}")
    repo = Path(args.repo) if args.repo else None
    if repo is not None and not repo.is_dir():
        raise InputError(f"repository not found: {repo}")
    return {
        "deliverables": parse_deliverables(args.deliverables),
        "strategy": strategy,
        "audience": args.audience,
        "repo": repo,
        "since": args.since,
        **({"until": args.until} if getattr(args, "until", None) else {}),
        "offline": True if args.offline else None,
        "review": args.review,
        "out": Path(args.out) if args.out else None,
    }
