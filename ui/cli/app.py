"""The ``pmpilot`` command group and its entry point: exit codes and one-line errors.

Exit codes: 0 success; 1 bad input or a failed operation (``error: …`` on stderr); 2 a usage error
(``pmpilot CMD: error: … (see pmpilot CMD --help)``); 130 interrupted. ``--debug`` shows tracebacks.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

import click

from kernel.errors import PmpilotError, one_line
from ui.cli import insight, jobs, runs, servers, signals
from ui.cli.base import DEBUG_FLAG, Group

#: Model libraries never reach the network at run time and print no progress bars.
OFFLINE_DEFAULTS = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
                    "HF_HUB_DISABLE_PROGRESS_BARS": "1"}


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("pmpilot")
    except PackageNotFoundError:  # a source tree that is not installed
        return "0.0.0"


def _print_version(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        print(f"pmpilot {_version()}")
        ctx.exit()


@click.group("pmpilot", cls=Group, subcommand_metavar="COMMAND [ARGS]...",
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_print_version,
              help="Show the version and exit.")
def cli() -> None:
    """Turn a PM's goal into decision-ready drafts grounded in a long-term memory of users.

    Every command takes --json (one JSON document on stdout). Exit codes: 0 success, 1 bad input
    (one line on stderr), 2 usage.
    """


for _module in (signals, runs, insight, jobs, servers):
    for _command in _module.COMMANDS:
        cli.add_command(_command, section=_module.SECTION)


def usage_line(error: click.UsageError) -> str:
    """A usage error as one line: what was wrong and where the help is."""
    path = error.ctx.command_path if error.ctx is not None else "pmpilot"
    return f"{path}: error: {' '.join(error.format_message().split())} (see {path} --help)"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``pmpilot`` console script; returns the exit code."""
    for name, value in OFFLINE_DEFAULTS.items():
        os.environ.setdefault(name, value)
    args = list(sys.argv[1:] if argv is None else argv)
    ctx: click.Context | None = None
    try:
        ctx = cli.make_context("pmpilot", args)
        with ctx:
            cli.invoke(ctx)
        sys.stdout.flush()  # here, so a reader that went away is handled below and not at exit
    except click.exceptions.Exit as done:  # --help, --version
        return done.exit_code
    except click.UsageError as error:
        print(usage_line(error), file=sys.stderr)
        return 2
    except (KeyboardInterrupt, click.Abort):
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (`pmpilot ... | head`): nothing left to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except click.ClickException as error:  # click's own non-usage errors (none are raised today)
        print(f"error: {' '.join(error.format_message().split())}", file=sys.stderr)
        return error.exit_code
    except PmpilotError as error:
        if ctx is not None and ctx.meta.get(DEBUG_FLAG):
            raise
        print(f"error: {error}", file=sys.stderr)
        return 1
    except Exception as error:  # a bug, not bad input: one line unless --debug
        if ctx is not None and ctx.meta.get(DEBUG_FLAG):
            raise
        print(f"error: unexpected {type(error).__name__}: {one_line(error)} "
              "(run with --debug for a traceback)",
              file=sys.stderr)
        return 1
    return 0
