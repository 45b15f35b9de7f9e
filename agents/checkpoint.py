"""Checkpointers: SQLite under PMPILOT_HOME by default, Postgres when PMPILOT_CHECKPOINT_URL is set.

The run id is the checkpoint thread id, so a run interrupted by a crash (or paused for review)
continues from its last completed step when it is invoked again.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

from langgraph.checkpoint.base import BaseCheckpointSaver

from kernel.errors import ConfigError
from kernel.settings import Settings, get_settings

logger = logging.getLogger(__name__)

#: SQLite's ``synchronous`` level for the checkpoint database (1 = NORMAL).
SQLITE_SYNCHRONOUS = 1


_CLOSER: tuple[int, ThreadPoolExecutor] | None = None
_CLOSER_LOCK = threading.Lock()


def _closer() -> ThreadPoolExecutor:
    """The thread that closes SQLite checkpoint connections (one per process: a forked child gets its own)."""
    global _CLOSER
    with _CLOSER_LOCK:
        if _CLOSER is None or _CLOSER[0] != os.getpid():
            _CLOSER = (os.getpid(), ThreadPoolExecutor(max_workers=1, thread_name_prefix="pmpilot-checkpoint-close"))
        return _CLOSER[1]


def _close(conn: sqlite3.Connection) -> None:
    """Close ``conn``; a failure is logged (every commit is already in the write-ahead log)."""
    try:
        conn.close()
    except Exception:  # no caller to raise to: the next open recovers from the write-ahead log
        logger.exception("closing the checkpoint database failed")


def wait_for_closes() -> None:
    """Wait until the connections handed to the background closer so far are closed (tests, benchmarks)."""
    _closer().submit(lambda: None).result()


@contextmanager
def open_checkpointer(settings: Settings | None = None, *, close_later: bool = False
                      ) -> Iterator[BaseCheckpointSaver[str]]:
    """The configured checkpointer, set up (tables created) and closed on exit.

    With ``close_later`` a SQLite connection is closed on a background thread instead: the last
    connection's close checkpoints the write-ahead log into the database file and syncs it (~10-60 ms of
    disk wait), which a run's caller need not wait for — every commit is in the WAL already, and another
    connection reads it as it is. The closing thread is not a daemon: the interpreter waits for it at exit.
    """
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
        if close_later:
            _closer().submit(_close, conn)
        else:
            conn.close()
