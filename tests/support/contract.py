"""The installed ``pmpilot`` console script run as a user runs it, and one demo-seeded home per test session.

`pmpilot demo` ingests the sample workspace (about a thousand signals) and runs a goal: the costliest
step of the CLI tests, so it runs once per session and tests that change the home work on a copy.

Each CLI process pays several CPU-seconds to import torch and load the embedding model. Every command
is run at least once through the console script (:func:`pmpilot`); a test's further calls of a command
already covered that way may use :func:`cli`, the same ``main()`` in this process with the same
environment, which reuses the model this process has loaded.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
#: The console script `make install` puts beside the venv's interpreter (the tests run with that interpreter).
PMPILOT = Path(sys.executable).parent / "pmpilot"
#: Settings a developer's shell may hold: the CLI under test must see none of them unless a test sets it.
_SCRUBBED = ("OPENAI_", "PMPILOT_")


def one_thread_per_process() -> dict[str, str]:
    """``OMP_NUM_THREADS=1`` for a CLI process when pytest-xdist runs a worker per core (``make test``), else nothing.

    Every core then already runs a test worker, so a second torch thread in the CLI process mostly spin-waits
    for a core: ``pmpilot demo`` took 38.2 CPU-s on one thread against 55.5 on two (load 22-26), with the
    same three documents. A value the developer set is kept; ``-n 0`` and more cores than workers change nothing.
    """
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT") or 0)
    if "OMP_NUM_THREADS" in os.environ or workers < (os.cpu_count() or 1):
        return {}
    return {"OMP_NUM_THREADS": "1"}


def cli_env(home: Path | None, extra: dict[str, str] | None = None, *, process: bool = True) -> dict[str, str]:
    """The environment of one CLI process: offline, no endpoint, ``PMPILOT_HOME=home`` (unset when None).

    A new ``process`` also gets :func:`one_thread_per_process` (never this process: torch could read it here).
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(_SCRUBBED)}
    env.update({"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"})
    if process:
        env.update(one_thread_per_process())
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


def cli(home: Path | None, *args: str, check: bool = True, env_extra: dict[str, str] | None = None,
        cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The CLI's ``main(args)`` in this process, seen as :func:`pmpilot` sees the console script.

    The environment is :func:`cli_env`'s (settings and the memory are reloaded for it and released
    afterwards, so a later console-script run can open the same home); stdout, stderr and the exit
    code (2 for a usage error) are captured.
    """
    from agents.jobs.queue import reset_queues
    from kernel.settings import get_settings
    from memory.repository import reset_memory
    from ui.cli import main

    env = cli_env(home, env_extra, process=False)
    patch = pytest.MonkeyPatch()
    for name in [n for n in os.environ if n not in env]:
        patch.delenv(name)
    for name, value in env.items():
        patch.setenv(name, value)
    patch.chdir(cwd or REPO)
    get_settings.cache_clear()
    reset_memory()
    reset_queues()
    out, err = io.StringIO(), io.StringIO()
    try:
        with redirect_stdout(out), redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as exc:  # main() returns its exit code; this is for a command that exits itself
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        reset_memory()
        reset_queues()
        patch.undo()
        get_settings.cache_clear()
    proc = subprocess.CompletedProcess(["pmpilot", *args], code, out.getvalue(), err.getvalue())
    if check and proc.returncode != 0:
        raise AssertionError(f"pmpilot {' '.join(args)} (in-process) exited {proc.returncode}: {proc.stderr}")
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
