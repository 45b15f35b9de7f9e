"""Test-wide guards: no network beyond 127.0.0.1, nothing downloads, an isolated PMPILOT_HOME."""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
for _var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "PMPILOT_QDRANT_URL", "PMPILOT_QUEUE_URL",
             "PMPILOT_CHECKPOINT_URL", "PMPILOT_MCP_TOKEN"):
    os.environ.pop(_var, None)

from tests.support import hypothesis_profiles  # noqa: E402

hypothesis_profiles.load()  # fixed seed unless `make fuzz` (HYPOTHESIS_PROFILE=fuzz)

REPO = Path(__file__).resolve().parents[1]

_real_connect = socket.socket.connect


def _loopback_only(self: socket.socket, address: object) -> object:
    """Refuse any connection that is not to loopback or a unix socket: tests never reach the network."""
    if self.family in (socket.AF_INET, socket.AF_INET6) and isinstance(address, tuple):
        host = str(address[0])
        try:
            allowed = ipaddress.ip_address(host).is_loopback
        except ValueError:
            allowed = host == "localhost"
        if not allowed:
            raise OSError(f"network access blocked in tests: {host}")
    return _real_connect(self, address)  # type: ignore[arg-type]


socket.socket.connect = _loopback_only  # type: ignore[method-assign]


@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh PMPILOT_HOME for one test, with settings caches cleared."""
    from kernel.settings import get_settings

    path = tmp_path / "pmpilot-home"
    monkeypatch.setenv("PMPILOT_HOME", str(path))
    get_settings.cache_clear()
    yield path
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The public data sets beside the repo (../shared/data): fails in CI, skips elsewhere, when missing."""
    from tests.support.services import require_shared_data

    return require_shared_data()


from tests.support.scripted_openai import scripted_openai  # noqa: E402,F401  (fixture)
