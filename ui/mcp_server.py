"""Entry point of the MCP server: ``python -m ui.mcp_server [--transport stdio|http] ...``.

``pmpilot mcp`` calls :func:`ui.mcp.serve` with the same options; the implementation lives in
the :mod:`ui.mcp` package.
"""

from ui.mcp import build_server, http_app, main, serve

__all__ = ["build_server", "http_app", "main", "serve"]

if __name__ == "__main__":
    raise SystemExit(main())
