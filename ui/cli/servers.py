"""The servers: the Gradio app (``ui``) and the MCP server (``mcp``)."""

from __future__ import annotations

from typing import Literal

import click

from ui.cli.base import Command

SECTION = "Servers"


@click.command("ui", cls=Command)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=7860, show_default=True)
@click.option("--workspace", "-w", help="Pin the app to this workspace (the only one it offers and serves).")
@click.option("--offline", is_flag=True, help="Offline mode even if an LLM endpoint is configured.")
def ui(host: str, port: int, workspace: str | None, offline: bool) -> None:
    """The Gradio app for PMs."""
    from ui.gradio_app import launch

    launch(host=host, port=port, workspace=workspace, offline=offline, quiet=True, announce=True)


@click.command("mcp", cls=Command)
@click.option("--transport", type=click.Choice(["stdio", "http"]), default="stdio", show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8765, show_default=True)
@click.option("--read-only", is_flag=True, help="Register only the read-only tools.")
@click.option("--allowed-host", "allowed_hosts", multiple=True, metavar="NAME",
              help="Extra Host header accepted over HTTP, e.g. behind a proxy (repeatable).")
def mcp(transport: Literal["stdio", "http"], host: str, port: int, read_only: bool,
        allowed_hosts: tuple[str, ...]) -> None:
    """MCP server for IDE and assistant clients.

    Over stdio, or streamable HTTP at /mcp (PMPILOT_MCP_TOKEN required off loopback).
    """
    from ui.mcp import serve

    serve(transport, host, port, read_only, allowed_hosts=allowed_hosts)


COMMANDS = [ui, mcp]
