"""The pmpilot MCP server (official ``mcp`` SDK): tools, resources and prompts for IDE and assistant clients.

See docs/mcp.md. ``serve`` runs it (stdio or streamable HTTP at ``/mcp``); ``build_server`` returns
the unstarted server for in-process clients and tests.
"""

from ui.mcp.app import http_app, main, serve
from ui.mcp.server import PmpilotMCP, build_server

__all__ = ["PmpilotMCP", "build_server", "http_app", "main", "serve"]
