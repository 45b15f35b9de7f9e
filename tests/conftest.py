"""Test-wide guards: no network beyond 127.0.0.1, nothing downloads, an isolated PMPILOT_HOME."""

from __future__ import annotations

import functools
import ipaddress
import os
import re
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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


#: What, in a test module's source, names a resource a second pytest-xdist worker must not build again
#: or touch at the same time: the session's demo home, the BANKING77 vectors, a Redis database the tests flush.
_SHARED = (
    (re.compile(r"\bdemo_home\b"), lambda m: "demo-home"),
    (re.compile(r"\bbanking77_clusters\b"), lambda m: "banking77-vectors"),
    (re.compile(r"""["'](redis://[^"']+)["']"""), lambda m: m[1]),
)


@functools.cache
def xdist_scope(path: str) -> str:
    """The unit a pytest-xdist worker runs whole: the test module, or the resource it shares with others."""
    try:
        source = (REPO / path).read_text(encoding="utf-8")
    except OSError:
        return path
    for pattern, name in _SHARED:
        found = pattern.search(source)
        if found:
            return f"shared:{name(found)}"
    return path


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``make test`` runs two workers; each takes whole modules, or whole groups of modules sharing a resource.

    A module's module-scoped fixtures are then built once, and modules sharing a resource (see ``_SHARED``)
    never run at the same time. Modules are handed out in collection order (integration, quality,
    reliability, then the many small unit modules that even out the end), not by their number of tests.
    """
    if config.getvalue("dist") == "each":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class SharedResourceScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return xdist_scope(nodeid.split("::", 1)[0])

    config.option.loadscopereorder = False
    return SharedResourceScheduling(config, log)


from tests.support.scripted_openai import scripted_openai  # noqa: E402,F401  (fixture)
