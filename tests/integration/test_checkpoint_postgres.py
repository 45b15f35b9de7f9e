"""The Postgres checkpointer: a run paused for review in Postgres resumes from a fresh runner."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from kernel.settings import get_settings
from tests.support.services import POSTGRES_URL, require_postgres

PG_URL = POSTGRES_URL  # PMPILOT_TEST_POSTGRES_URL (`.ci/run` creates its role and database)
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "graph"


@pytest.fixture(scope="module", autouse=True)
def _postgres() -> None:
    """Fail in CI, skip elsewhere, when no PostgreSQL server accepts PG_URL."""
    require_postgres(PG_URL)


@pytest.fixture()
def pg_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    from memory import api
    from memory.repository import reset_memory

    monkeypatch.setenv("PMPILOT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PMPILOT_CHECKPOINT_URL", PG_URL)
    get_settings.cache_clear()
    reset_memory()
    api.ingest([FIXTURES / "tickets.csv", FIXTURES / "reviews.csv"], "acme")
    yield tmp_path / "home"
    reset_memory()
    get_settings.cache_clear()


def test_run_checkpoints_in_postgres_and_resumes(pg_home: Path) -> None:
    import psycopg

    from agents.runner import resume_run, run_goal

    run_id = f"pg-{uuid.uuid4().hex[:8]}"
    paused = run_goal("Should we fix sync bugs before building dark mode?", "acme", run_id=run_id,
                      deliverables=["decision_memo"], review=True)
    assert paused["status"] == "awaiting_review"
    assert not (pg_home / "checkpoints.sqlite").exists()
    with psycopg.connect(PG_URL) as conn:
        rows = conn.execute("SELECT count(*) FROM checkpoints WHERE thread_id = %s", (run_id,)).fetchone()
    assert rows is not None and rows[0] > 0

    done = resume_run(run_id, approve=True)
    assert done["status"] == "completed"
    assert done["artifacts"][0]["kind"] == "decision_memo"


def test_unreachable_postgres_is_a_clear_config_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from agents.checkpoint import open_checkpointer
    from kernel.errors import ConfigError

    monkeypatch.setenv("PMPILOT_HOME", str(tmp_path))
    monkeypatch.setenv("PMPILOT_CHECKPOINT_URL", "postgresql://postgres@127.0.0.1:1/nothing")
    get_settings.cache_clear()
    try:
        with pytest.raises(ConfigError, match="PMPILOT_CHECKPOINT_URL"), open_checkpointer():
            pass
    finally:
        get_settings.cache_clear()
