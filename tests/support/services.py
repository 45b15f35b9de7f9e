"""What a test needs from outside the repo (a server, a browser, the shared data), checked one way.

Outside CI a missing resource skips the test and says why. With ``CI`` set (``.ci/run`` sets it),
the same check fails with a clear message instead: CI prepares every resource, so a missing one is
a broken setup, never a silent skip.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SHARED_DATA = REPO.parent / "shared" / "data"
#: The database the Postgres tests use; `.ci/run` creates a role with a password and exports this.
POSTGRES_URL = os.environ.get("PMPILOT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
#: Debian's Chromium, which the browser test drives through Playwright (no browser download).
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_NAMES = ("chromium", "chromium-browser")


def in_ci() -> bool:
    """True when the ``CI`` environment variable is set to anything but empty, 0 or false."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def require(available: bool, what: str, fix: str) -> None:
    """Go on when ``available``; else fail in CI, skip elsewhere, naming ``what`` is missing and ``fix``.

    Raises:
        pytest.fail.Exception: In CI, when the resource is missing.
        pytest.skip.Exception: Outside CI, when the resource is missing.
    """
    if available:
        return
    if in_ci():
        pytest.fail(f"CI needs {what}, which is missing: {fix}", pytrace=False)
    pytest.skip(f"{what} is missing ({fix})")


def chromium_path() -> Path | None:
    """Debian's /usr/bin/chromium, else a Chromium binary on PATH, if any."""
    if CHROMIUM.is_file():
        return CHROMIUM
    found = next((shutil.which(name) for name in CHROMIUM_NAMES if shutil.which(name)), None)
    return Path(found) if found else None


def require_chromium() -> Path:
    """The Chromium binary the browser test drives through Playwright (``executable_path``)."""
    path = chromium_path()
    require(path is not None, "Chromium", "apt-get install chromium (.ci/run does); Playwright drives it, "
            "never `playwright install`")
    assert path is not None
    return path


def postgres_error(url: str = POSTGRES_URL) -> str | None:
    """Why no PostgreSQL server accepts ``url`` (None when one does)."""
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return " ".join(str(exc).split())[:300] or type(exc).__name__


def require_postgres(url: str = POSTGRES_URL) -> str:
    """A PostgreSQL URL that accepts connections (PMPILOT_TEST_POSTGRES_URL)."""
    error = postgres_error(url)
    shown = url.split("@")[-1]  # never print the password
    require(error is None, f"a PostgreSQL server accepting the test URL (…@{shown})",
            f"{error}; run .ci/run or set PMPILOT_TEST_POSTGRES_URL")
    return url


def redis_error(host: str = REDIS_HOST, port: int = REDIS_PORT) -> str | None:
    """Why no Redis server answers PING at ``host:port`` (None when one does)."""
    import redis

    try:
        redis.Redis(host=host, port=port, socket_connect_timeout=2).ping()
        return None
    except redis.RedisError as exc:
        return " ".join(str(exc).split())[:300] or type(exc).__name__


def require_redis(host: str = REDIS_HOST, port: int = REDIS_PORT) -> None:
    """A Redis server answering on ``host:port``."""
    error = redis_error(host, port)
    require(error is None, f"a Redis server on {host}:{port}",
            f"{error}; start one with redis-server --daemonize yes (.ci/run does)")


def require_shared_data(*parts: str) -> Path:
    """``../shared/data`` (or a file or folder inside it), the public data sets beside the repo."""
    path = SHARED_DATA.joinpath(*parts)
    require(path.exists(), f"the shared data {path}", "the real data sets live in ../shared/data beside the repo")
    return path
