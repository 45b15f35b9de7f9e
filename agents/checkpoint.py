"""Checkpointers: SQLite under PMPILOT_HOME by default, Postgres when PMPILOT_CHECKPOINT_URL is set.

The run id is the checkpoint thread id, so a run interrupted by a crash (or paused for review)
continues from its last completed step when it is invoked again.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from langgraph.checkpoint.base import BaseCheckpointSaver

from kernel.errors import ConfigError
from kernel.settings import Settings, get_settings

#: SQLite's ``synchronous`` level for the checkpoint database (1 = NORMAL).
SQLITE_SYNCHRONOUS = 1


@contextmanager
def open_checkpointer(settings: Settings | None = None) -> Iterator[BaseCheckpointSaver[str]]:
    """The configured checkpointer, set up (tables created) and closed on exit."""
    settings = settings or get_settings()
    if settings.checkpoint_url:
        import psycopg
        from langgraph.checkpoint.postgres import PostgresSaver

        try:
            with PostgresSaver.from_conn_string(settings.checkpoint_url) as saver:
                saver.setup()
                yield saver
        except psycopg.OperationalError as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ConfigError(f"cannot use PMPILOT_CHECKPOINT_URL: {first}") from exc
        return
    from langgraph.checkpoint.sqlite import SqliteSaver

    settings.ensure_home()
    conn = sqlite3.connect(str(settings.checkpoint_path), check_same_thread=False, timeout=30)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        # In WAL mode NORMAL syncs at WAL checkpoints instead of on every commit: a killed process
        # loses nothing committed, a power cut may lose the last steps (the run then resumes from an
        # earlier one); the per-step fsync sat on an LLM run's critical path.
        conn.execute(f"PRAGMA synchronous={SQLITE_SYNCHRONOUS}")
        sqlite_saver = SqliteSaver(conn)
        sqlite_saver.setup()
        yield sqlite_saver
    finally:
        conn.close()
