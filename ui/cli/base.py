"""The click plumbing every ``pmpilot`` command shares.

:class:`Command` and :class:`Group` add ``--json`` and ``--debug`` to every command (before or after
its arguments, as the contract lets users write them), refuse an option name given as another
option's value, and check options that exclude each other. The flags land in ``ctx.meta``, which
click shares between a command's context and its parents', so output helpers and the entry point
read them without threading them through every handler.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click

from kernel.kinds import DELIVERABLE_KINDS

#: ``ctx.meta`` keys of the output flags.
JSON_FLAG = "pmpilot.json"
DEBUG_FLAG = "pmpilot.debug"
AUDIENCES = ("exec", "eng", "sales")

F = TypeVar("F", bound=Callable[..., Any])


def _remember(key: str) -> Callable[[click.Context, click.Parameter, bool], None]:
    def store(ctx: click.Context, param: click.Parameter, value: bool) -> None:
        if value:
            ctx.meta[key] = True

    return store


def _output_options() -> list[click.Parameter]:
    return [
        click.Option(["--json"], is_flag=True, expose_value=False, callback=_remember(JSON_FLAG),
                     help="Print one machine-readable JSON document on stdout."),
        click.Option(["--debug"], is_flag=True, expose_value=False, callback=_remember(DEBUG_FLAG),
                     help="Show tracebacks on errors."),
    ]


def json_mode() -> bool:
    """Whether the running command was given ``--json``."""
    ctx = click.get_current_context(silent=True)
    return bool(ctx is not None and ctx.meta.get(JSON_FLAG))


def _flag(param: click.Parameter) -> str:
    return param.opts[0] if isinstance(param, click.Option) else (param.name or "")


def _given(value: Any) -> bool:
    return value not in (None, False, ())


class Command(click.Command):
    """A command with ``--json``/``--debug`` and argparse's guards (a missing value, exclusive options)."""

    def __init__(self, *args: Any, exclusive: Sequence[Sequence[str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.params.extend(_output_options())
        self.exclusive = [tuple(group) for group in exclusive]

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Refuse ``--user --json`` (an option where a value belongs), parse, check exclusive options."""
        _check_values(self, ctx, args)
        rest = super().parse_args(ctx, args)
        params = {p.name: p for p in self.params}
        for group in self.exclusive:
            given = [params[name] for name in group if _given(ctx.params.get(name))]
            if len(given) > 1:
                raise click.UsageError(f"{_flag(given[1])} is not allowed with {_flag(given[0])}", ctx)
        return rest


def _check_values(command: click.Command, ctx: click.Context, args: list[str]) -> None:
    """An option that takes a value, followed by one of the command's option names: the value is missing.

    click would take the option name as the value (``--user --json`` searching for user "--json");
    argparse, which users of this CLI knew, refuses it, and so does this check.
    """
    options = {name: p for p in command.get_params(ctx) if isinstance(p, click.Option)
               for name in (*p.opts, *p.secondary_opts)}
    for token, following in zip(args, args[1:], strict=False):
        if token == "--":
            return
        param = options.get(token)
        if param is not None and not param.is_flag and following.split("=", 1)[0] in options:
            raise click.BadOptionUsage(token, f"Option '{token}' requires an argument.", ctx)


class Group(click.Group):
    """A command group with ``--json``/``--debug``, its commands listed in sections in registration order."""

    command_class = Command

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("no_args_is_help", False)  # no command: one usage line (exit 2), not the whole help
        super().__init__(*args, **kwargs)
        self.params.extend(_output_options())
        self.sections: dict[str, list[str]] = {}

    def add_command(self, cmd: click.Command, name: str | None = None, section: str = "Commands") -> None:
        """Register ``cmd``, listed under ``section`` in the help."""
        super().add_command(cmd, name)
        self.sections.setdefault(section, []).append(name or cmd.name or "")

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Commands in registration order (the help reads as a tour, not an alphabet)."""
        return list(self.commands)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """One help section per command group."""
        pad = max((len(name) for name in self.commands), default=0)
        for section, names in self.sections.items():
            rows = [(name.ljust(pad), self.commands[name].get_short_help_str(formatter.width - 6 - pad))
                    for name in names if not self.commands[name].hidden]
            if rows:
                with formatter.section(section):
                    formatter.write_dl(rows)


def workspace_option(required: bool = True, help_text: str = "Workspace (tenant) name.") -> Callable[[F], F]:
    """``--workspace/-w``."""
    return click.option("--workspace", "-w", required=required, help=help_text)


def map_option() -> Callable[[F], F]:
    """``--map COLUMN=FIELD`` (repeatable)."""
    return click.option("--map", "mapping", multiple=True, metavar="COLUMN=FIELD",
                        help="Map a source column to a signal field (repeatable).")


def apply(command: F, decorators: Sequence[Callable[[F], F]]) -> F:
    """``command`` with ``decorators`` applied so that its options list in the given order."""
    for decorator in reversed(decorators):
        command = decorator(command)
    return command


def run_options(command: F) -> F:
    """The options of ``run`` and ``enqueue run``."""
    return apply(command, [
        click.argument("goal", metavar="goal"),
        workspace_option(),
        click.option("--deliverables", metavar="KINDS",
                     help=f"Comma-separated, any of: {', '.join(DELIVERABLE_KINDS)} "
                          "(default: the planner chooses from the goal)."),
        click.option("--strategy", metavar="FILE", help="Strategy: Markdown/plain text, YAML or JSON."),
        click.option("--audience", type=click.Choice(AUDIENCES)),
        click.option("--repo", metavar="PATH", help="Git repository (status, roadmap)."),
        click.option("--since", metavar="DATE", help="Start of the period: a date or a span like 7d."),
        click.option("--until", metavar="DATE", help="End of the period (status updates); default: now."),
        click.option("--offline", is_flag=True, help="Deterministic offline mode even if an LLM is set."),
        click.option("--review", is_flag=True, help="Pause for human review before final output."),
        click.option("--out", metavar="DIR", help="Where runs are written (default: PMPILOT_HOME/runs)."),
    ])
