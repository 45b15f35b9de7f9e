"""The MCP server as a stdio subprocess (how Claude Desktop, Cursor and VS Code run it), with the SDK's stdio client.

The server is the installed console script, ``pmpilot mcp``, exactly as a client's configuration launches it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client, StdioServerParameters

from kernel.settings import get_settings
from tests.support.contract import PMPILOT, cli_env

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "graph"
WS = "acme"


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A PMPILOT_HOME seeded in this process, then released so the server process can open it."""
    from memory import api
    from memory.repository import reset_memory

    patch = pytest.MonkeyPatch()
    path = tmp_path_factory.mktemp("mcp-stdio-home")
    patch.setenv("PMPILOT_HOME", str(path))
    get_settings.cache_clear()
    reset_memory()
    assert api.ingest([FIXTURES / "tickets.csv"], WS).ingested > 0
    reset_memory()
    yield path
    patch.undo()
    get_settings.cache_clear()


def params(home: Path, *extra: str) -> StdioServerParameters:
    assert PMPILOT.is_file(), f"console script not found at {PMPILOT}: run `make install`"
    return StdioServerParameters(command=str(PMPILOT), args=["mcp", *extra], env=cli_env(home), cwd=REPO)


def text(result: Any) -> str:
    return "\n".join(block.text for block in result.content if block.type == "text")


async def test_stdio_server_serves_tools_resources_and_progress(home: Path) -> None:
    progress: list[str] = []

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        progress.append(message or "")

    async with Client(params(home), read_timeout_seconds=300) as mcp:
        assert mcp.server_info is not None and mcp.server_info.name == "pmpilot" and mcp.server_info.version
        assert mcp.protocol_version
        capabilities = mcp.server_capabilities
        assert capabilities.tools is not None and capabilities.resources is not None
        assert capabilities.prompts is not None
        assert mcp.instructions and "workspace" in mcp.instructions
        tools = {t.name for t in (await mcp.list_tools()).tools}
        assert len(tools) == 13
        hits = await mcp.call_tool("search_user_memory", {"workspace": WS, "query": "sync fails", "limit": 3})
        assert not hits.is_error, text(hits)
        assert any("sync" in h["text"].lower() for h in hits.structured_content["hits"])
        bad = await mcp.call_tool("search_user_memory", {"workspace": WS, "query": "sync", "limit": 999})
        assert bad.is_error and "limit" in text(bad) and len(text(bad).splitlines()) == 1
        ingested = await mcp.call_tool("ingest_signals", {"workspace": WS, "paths": [str(FIXTURES / "reviews.csv")]})
        assert not ingested.is_error, text(ingested)
        assert ingested.structured_content["ingested"] > 0
        memo = await mcp.call_tool("write_decision_memo", {"workspace": WS, "goal": "Sync or dark mode first?",
                                                           "offline": True}, progress_callback=on_progress)
        assert not memo.is_error, text(memo)
        assert memo.structured_content["document"]["kind"] == "decision_memo"
        assert any(m.startswith("scorer") for m in progress)
        run = await mcp.call_tool("get_run", {"workspace": WS, "run_id": memo.structured_content["run_id"]})
        assert run.structured_content["status"] == "completed"
        themes = await mcp.read_resource(f"pmpilot://workspaces/{WS}/themes")
        assert themes.contents[0].text.startswith(f"# Themes of `{WS}`")


async def test_stdio_read_only_flag(home: Path) -> None:
    async with Client(params(home, "--read-only"), read_timeout_seconds=300) as mcp:
        tools = {t.name for t in (await mcp.list_tools()).tools}
    assert tools == {"search_user_memory", "get_themes", "get_profile", "get_run", "ask_users", "audit_calendar"}
