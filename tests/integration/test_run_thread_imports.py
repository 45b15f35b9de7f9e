"""A run, offline or with a model, imports nothing for the first time on one of its threads.

Two threads importing modules of one package at the same moment can meet a partially initialised
module ("cannot import name … (most likely due to a circular import)"): a CLI run in LLM mode hit
it under load. The runner imports what its threads need before starting them
(``agents.runner._import_before_threads``); this test runs a real run (offline, and in LLM mode
against the scripted OpenAI-compatible server) in a fresh interpreter, over a workspace ingested
by another process (as ``pmpilot run`` does), and lists every module whose first import happened
off the main thread (an audit hook on the ``import`` event), so a new lazy import on a threaded
path is found here, deterministically, not by a race.

One exception: the embedding model's stack (torch, transformers, sentence-transformers) is imported
by whichever thread first needs the model, inside ``memory.embeddings._minilm`` and under its lock,
so it overlaps the planner's model call in LLM mode; as no other import happens on a thread, it
never runs beside another.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.support.scripted_openai import ScriptedOpenAI

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "graph"

_INGEST = """
import sys
from pathlib import Path

from memory import api

fixtures = Path(sys.argv[1])
api.ingest([fixtures / "tickets.csv", fixtures / "reviews.csv"], "acme")
"""

#: A run as the CLI starts it: a fresh process over a workspace ingested earlier.
_RUN = """
import json, sys, threading

from agents.runner import run_goal

main = threading.main_thread()
first_on_thread = {}


def loading_the_model():
    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_code.co_name == "_minilm" and frame.f_code.co_filename.endswith("embeddings.py"):
            return True
        frame = frame.f_back
    return False


def hook(event, args):
    if event == "import" and threading.current_thread() is not main and args[0] not in sys.modules:
        if not loading_the_model():
            first_on_thread.setdefault(args[0], threading.current_thread().name)


sys.addaudithook(hook)
run = run_goal("Should we fix sync bugs before building dark mode? Draft requirements, a brief for "
               "leadership and a decision memo.", "acme", offline=sys.argv[1] == "offline")
print(json.dumps({"status": run["status"], "first_on_thread": first_on_thread}))
"""


def first_imports_on_threads(home: Path, mode: str, env: dict[str, str]) -> dict[str, str]:
    """Ingest in one fresh process, run in another; the modules the run imported first off the main thread."""
    env = {**env, "PMPILOT_HOME": str(home)}
    for child, arg in ((_INGEST, str(FIXTURES)), (_RUN, mode)):
        done = subprocess.run([sys.executable, "-c", child, arg], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=600, check=False)
        assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["status"] == "completed"
    first: dict[str, str] = result["first_on_thread"]
    return first


def test_an_offline_run_imports_nothing_first_on_its_threads(tmp_path: Path) -> None:
    first = first_imports_on_threads(tmp_path / "home", "offline", dict(os.environ))
    roots = sorted({name.partition(".")[0] for name in first})
    assert not first, f"imported first on a run's thread (import before the threads start): {roots}"


def test_an_llm_run_imports_nothing_first_on_its_threads(tmp_path: Path, scripted_openai: ScriptedOpenAI) -> None:
    from tests.integration.test_run_llm import PlausibleModel

    scripted_openai.responder = PlausibleModel()
    env = {**os.environ, "PMPILOT_LLM_TIMEOUT": "60"}  # a loaded machine must not turn calls into fallbacks
    first = first_imports_on_threads(tmp_path / "home", "llm", env)
    assert len(scripted_openai.requests) >= 5  # the plan, research rounds and drafts went to the model
    assert not first, f"imported first on a run's thread (import before the threads start): {sorted(first)}"
