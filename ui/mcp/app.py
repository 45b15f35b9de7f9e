"""Running the MCP server: stdio (default) or streamable HTTP at ``/mcp``.

``serve`` is what ``pmpilot mcp`` calls; ``main`` is the same as a standalone entry point
(``python -m ui.mcp_server``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Sequence
from typing import Literal

import anyio
from starlette.types import ASGIApp

from kernel.errors import ConfigError, PmpilotError
from kernel.net import is_loopback
from kernel.settings import get_settings
from ui.mcp.access import AccessPolicy, BearerAuthMiddleware, transport_security
from ui.mcp.server import PmpilotMCP

Transport = Literal["stdio", "http"]
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
MCP_PATH = "/mcp"


def http_app(
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    *,
    read_only: bool = False,
    policy: AccessPolicy | None = None,
    allowed_hosts: Iterable[str] = (),
) -> ASGIApp:
    """The ASGI app of the streamable HTTP transport: bearer auth around the SDK's app at ``/mcp``.

    Raises:
        ConfigError: bound to a non-loopback address without any token configured.
    """
    if policy is None:
        settings = get_settings()
        policy = AccessPolicy.from_config(settings.mcp_token, settings.mcp_tokens)
    if not is_loopback(host) and not policy.enabled:
        raise ConfigError(f"PMPILOT_MCP_TOKEN is required to serve MCP on non-loopback address {host}")
    mcp = PmpilotMCP(read_only=read_only, policy=policy, allow_paths=False)
    app = mcp.server.streamable_http_app(
        streamable_http_path=MCP_PATH, transport_security=transport_security(host, port, allowed_hosts), host=host
    )
    return BearerAuthMiddleware(app, policy)


def serve(
    transport: Transport = "stdio",
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    read_only: bool = False,
    *,
    allowed_hosts: Iterable[str] = (),
) -> None:
    """Run the MCP server until the client disconnects (stdio) or the process is interrupted (HTTP).

    Args:
        transport: ``stdio`` (for IDE/desktop clients that spawn the server) or ``http``.
        host: HTTP bind address; anything but loopback requires ``PMPILOT_MCP_TOKEN``.
        port: HTTP port.
        read_only: Register only tools that do not write (search, themes, profile, get_run).
        allowed_hosts: Extra Host names accepted by DNS-rebinding protection (HTTP).

    Raises:
        ConfigError: bad token configuration, or a non-loopback bind without a token.
        InputError: unknown transport.
    """
    if transport == "stdio":
        anyio.run(PmpilotMCP(read_only=read_only, allow_paths=True).server.run_stdio_async)
        return
    if transport != "http":
        from kernel.errors import InputError

        raise InputError(f"unknown transport {transport!r}; expected stdio or http")
    import uvicorn

    app = http_app(host, port, read_only=read_only, allowed_hosts=allowed_hosts)
    print(f"pmpilot MCP server on http://{_url_host(host)}:{port}{MCP_PATH}", file=sys.stderr)
    uvicorn.run(app, host=host, port=port, log_level="warning", lifespan="on")


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry: ``[--transport stdio|http] [--host H] [--port P] [--read-only]``; returns the exit code."""
    parser = argparse.ArgumentParser(prog="pmpilot mcp", description="Serve pmpilot over the Model Context Protocol.")
    parser.add_argument("--transport", choices=("stdio", "http"), default="stdio")
    parser.add_argument("--host", default=DEFAULT_HOST, help="HTTP bind address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"HTTP port (default {DEFAULT_PORT})")
    parser.add_argument("--read-only", action="store_true", help="do not offer tools that write")
    parser.add_argument("--allowed-host", action="append", default=[], metavar="NAME",
                        help="extra Host name clients use to reach the HTTP server (repeatable)")
    args = parser.parse_args(argv)
    try:
        serve(args.transport, args.host, args.port, args.read_only, allowed_hosts=args.allowed_host)
    except PmpilotError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0
