"""The installed ``pmpilot`` console script run as a user runs it, and one demo-seeded home per test session.

`pmpilot demo` ingests the sample workspace (about a thousand signals) and runs a goal: the costliest
step of the CLI tests, so it runs once per session and tests that change the home work on a copy.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
#: The console script `make install` puts beside the venv's interpreter (the tests run with that interpreter).
PMPILOT = Path(sys.executable).parent / "pmpilot"
#: Settings a developer's shell may hold: the CLI under test must see none of them unless a test sets it.
_SCRUBBED = ("OPENAI_", "PMPILOT_")


def cli_env(home: Path | None, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of one CLI process: offline, no endpoint, ``PMPILOT_HOME=home`` (unset when None)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_SCRUBBED)}
    env.update({"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"})
    if home is not None:
        env["PMPILOT_HOME"] = str(home)
    env.update(extra or {})
    return env


def pmpilot(home: Path | None, *args: str, check: bool = True, env_extra: dict[str, str] | None = None,
            cwd: Path | None = None, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run the console script; with ``check`` a non-zero exit fails the test with its stderr."""
    if not PMPILOT.is_file():
        pytest.fail(f"console script not found at {PMPILOT}: run `make install`")
    proc = subprocess.run([str(PMPILOT), *args], capture_output=True, text=True, env=cli_env(home, env_extra),
                          cwd=cwd or REPO, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"pmpilot {' '.join(args)} exited {proc.returncode}: {proc.stderr}")
    return proc


def as_json(proc: subprocess.CompletedProcess[str]) -> Any:
    """The one JSON document a ``--json`` command prints on stdout."""
    return json.loads(proc.stdout)


def assert_one_line_error(proc: subprocess.CompletedProcess[str], code: int) -> str:
    """The contract's error shape: exit ``code``, nothing on stdout, one line on stderr, no traceback."""
    assert proc.returncode == code, (proc.returncode, proc.stderr)
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    return lines[0]


@dataclass(frozen=True)
class DemoHome:
    """A PMPILOT_HOME after ``pmpilot demo --json``, and the run.json it printed."""

    home: Path
    run: dict[str, Any]

    def copy(self, dest: Path) -> Path:
        """A private copy of the home for a test that changes it (the demo run's files keep their paths)."""
        shutil.copytree(self.home, dest, symlinks=True)
        return dest


_DEMO: DemoHome | None = None


def demo_home(tmp_path_factory: pytest.TempPathFactory) -> DemoHome:
    """The session's demo home, seeded by the console script on first use (shared by every module)."""
    global _DEMO
    if _DEMO is None:
        home = tmp_path_factory.getbasetemp() / "pmpilot-demo-home"
        _DEMO = DemoHome(home, as_json(pmpilot(home, "demo", "--json")))
    return _DEMO
