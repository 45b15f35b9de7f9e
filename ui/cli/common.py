"""Output (one JSON document, or rich tables) and option parsing every command module shares."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from kernel.errors import InputError
from kernel.kinds import DELIVERABLE_KINDS
from ui.cli.base import json_mode


def emit(payload: Any, human: Callable[[Any], None]) -> None:
    """Print ``payload`` as one JSON document with ``--json``, else through ``human``."""
    if json_mode():
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


def empty_workspace(workspace: str) -> str | None:
    """Why ``workspace`` has nothing to read, naming the workspaces that do; ``None`` when it holds signals.

    A workspace exists by holding data, so a typo ('-w bnak') and a workspace never ingested read the same:
    "workspace 'bnak' has no signals; ingest some first (…); known workspaces: bank, us".
    """
    from memory import api
    from memory.repository import get_memory

    if api.workspace(workspace).count() > 0:
        return None
    known = [name for name in get_memory().workspaces() if name != workspace]
    where = f"known workspaces: {', '.join(known)}" if known else "no workspace holds signals yet"
    return (f"workspace {workspace!r} has no signals; ingest some first (pmpilot ingest FILE --workspace {workspace}); "
            f"{where}")


def require_signals(workspace: str) -> None:
    """Refuse a command that needs signals (ask, run) on a workspace holding none: exit 1, one line."""
    reason = empty_workspace(workspace)
    if reason:
        raise InputError(reason)


def note_empty(workspace: str) -> None:
    """Say on stderr that ``workspace`` holds nothing (and which do), when an inspection command found nothing.

    stats, search, themes and profile still answer (0 signals, no hits: scripts probe workspaces with them);
    the note makes a mistyped name visible without changing stdout or the exit code.
    """
    reason = empty_workspace(workspace)
    if reason:
        print(f"note: {reason}", file=sys.stderr)


def interactive() -> bool:
    """Whether progress may be shown: a terminal on stderr and no ``--json``."""
    return not json_mode() and sys.stderr.isatty()


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


def clip(text: str, width: int) -> str:
    """``text`` on one line, cut to ``width`` characters with an ellipsis."""
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def parse_mapping(pairs: Sequence[str]) -> dict[str, str] | None:
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
    """``--deliverables a,b`` as a list of known kinds (``None`` leaves the choice to the planner)."""
    if not text:
        return None
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in DELIVERABLE_KINDS]
    if unknown:
        raise InputError(f"unknown deliverable(s) {', '.join(unknown)}; expected: {', '.join(DELIVERABLE_KINDS)}")
    return names


def run_options_from(options: Mapping[str, Any]) -> dict[str, Any]:
    """The ``run_goal`` options of ``run``/``enqueue run``, checked early (one clear line each)."""
    from kernel.timeutil import parse_when

    for value in (options["since"], options["until"]):
        if value:
            parse_when(value)
    strategy = Path(options["strategy"]) if options["strategy"] else None
    if strategy is not None and not strategy.is_file():
        raise InputError(f"strategy file not found: {strategy}")
    repo = Path(options["repo"]) if options["repo"] else None
    if repo is not None and not repo.is_dir():
        raise InputError(f"repository not found: {repo}")
    return {
        "deliverables": parse_deliverables(options["deliverables"]),
        "strategy": strategy,
        "audience": options["audience"],
        "repo": repo,
        "since": options["since"],
        **({"until": options["until"]} if options["until"] else {}),
        "offline": True if options["offline"] else None,
        "review": options["review"],
        "out": Path(options["out"]) if options["out"] else None,
    }
