"""The ``pmpilot`` command line (click), one module per command group.

:mod:`~ui.cli.signals` (user memory), :mod:`~ui.cli.runs` (the agent graph), :mod:`~ui.cli.insight`
(ask, align, audit), :mod:`~ui.cli.jobs` (the task queue) and :mod:`~ui.cli.servers` (Gradio, MCP);
:mod:`~ui.cli.app` assembles them and holds :func:`main`, the console script's entry point.
Heavy libraries (torch, scikit-learn, LangGraph) are imported inside the commands that need them.
"""

from ui.cli.app import cli, main

__all__ = ["cli", "main"]
