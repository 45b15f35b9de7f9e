"""The MCP server over streamable HTTP on 127.0.0.1: bearer tokens, per-token workspaces, DNS-rebinding checks."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import httpx2
import pytest
import uvicorn
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from kernel.errors import ConfigError
from kernel.settings import get_settings
from ui.mcp import http_app
from ui.mcp.access import AccessPolicy, parse_tokens

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "graph"
WS = "acme"
ADMIN = "admin-token-0123456789"
ACME_ONLY = "acme-token-0123456789"
INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                   "clientInfo": {"name": "test", "version": "0"}}}
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from memory import api
    from memory.repository import reset_memory

    patch = pytest.MonkeyPatch()
    home = tmp_path_factory.mktemp("mcp-http-home")
    patch.setenv("PMPILOT_HOME", str(home))
    get_settings.cache_clear()
    reset_memory()
    assert api.ingest([FIXTURES / "tickets.csv"], WS).ingested > 0
    assert api.ingest([FIXTURES / "reviews.csv"], "other").ingested > 0

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    policy = AccessPolicy(tokens={ADMIN: None, ACME_ONLY: frozenset({WS})})
    app = http_app("127.0.0.1", port, policy=policy)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        threading.Event().wait(0.05)
    assert server.started
    yield f"http://127.0.0.1:{port}/mcp"
    server.should_exit = True
    thread.join(timeout=30)
    sock.close()
    reset_memory()
    patch.undo()
    get_settings.cache_clear()


def client(url: str, token: str | None) -> Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    http = httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(30.0, read=300.0))
    return Client(streamable_http_client(url, http_client=http))


def text(result: Any) -> str:
    return "\n".join(block.text for block in result.content if block.type == "text")


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong-token-0123456789"},
                                     {"Authorization": f"Basic {ADMIN}"}])
def test_missing_or_wrong_token_is_401(base_url: str, headers: dict[str, str]) -> None:
    response = httpx.post(base_url, json=INIT, headers={**MCP_HEADERS, **headers})
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_valid_token_initializes(base_url: str) -> None:
    response = httpx.post(base_url, json=INIT, headers={**MCP_HEADERS, "Authorization": f"Bearer {ADMIN}"})
    assert response.status_code == 200
    assert "pmpilot" in response.text


@pytest.mark.parametrize(("extra", "status"), [({"Host": "evil.example.com"}, 421),
                                               ({"Origin": "http://evil.example.com"}, 403)])
def test_dns_rebinding_protection(base_url: str, extra: dict[str, str], status: int) -> None:
    headers = {**MCP_HEADERS, "Authorization": f"Bearer {ADMIN}", **extra}
    response = httpx.post(base_url, json=INIT, headers=headers)
    assert response.status_code == status


async def test_tools_over_http_with_progress(base_url: str) -> None:
    progress: list[str] = []

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        progress.append(message or "")

    async with client(base_url, ADMIN) as mcp:
        names = {t.name for t in (await mcp.list_tools()).tools}
        assert "draft_requirements" in names and "forget_user" in names
        hits = await mcp.call_tool("search_user_memory", {"workspace": WS, "query": "sync fails", "limit": 2})
        assert not hits.is_error and len(hits.structured_content["hits"]) == 2
        draft = await mcp.call_tool("draft_requirements", {"workspace": WS, "goal": "Fix sync first?",
                                                           "offline": True}, progress_callback=on_progress)
        assert not draft.is_error, text(draft)
        assert draft.structured_content["status"] == "completed"
        assert any(m.startswith("writer") for m in progress) and any(m.startswith("planner") for m in progress)
        doc = await mcp.read_resource(draft.structured_content["resource_uri"])
        assert doc.contents[0].text == draft.structured_content["markdown"]


async def test_token_is_limited_to_its_workspaces(base_url: str) -> None:
    async with client(base_url, ACME_ONLY) as mcp:
        allowed = await mcp.call_tool("search_user_memory", {"workspace": WS, "query": "sync"})
        assert not allowed.is_error
        denied = await mcp.call_tool("search_user_memory", {"workspace": "other", "query": "sync"})
        assert denied.is_error and "workspace not allowed" in text(denied)
        forget = await mcp.call_tool("forget_user", {"workspace": "other", "user_id": "user1"})
        assert forget.is_error and "workspace not allowed" in text(forget)
    async with client(base_url, ADMIN) as mcp:
        other = await mcp.call_tool("search_user_memory", {"workspace": "other", "query": "sync"})
        assert not other.is_error and other.structured_content["hits"]


async def test_server_paths_are_refused_over_http(base_url: str) -> None:
    async with client(base_url, ADMIN) as mcp:
        result = await mcp.call_tool("ingest_signals", {"workspace": WS, "paths": [str(FIXTURES / "tickets.csv")]})
    assert result.is_error and "stdio" in text(result)


def test_non_loopback_bind_requires_a_token() -> None:
    with pytest.raises(ConfigError, match="PMPILOT_MCP_TOKEN"):
        http_app("0.0.0.0", 8765, policy=AccessPolicy())


def test_token_table_parsing(tmp_path: Path) -> None:
    assert parse_tokens('{"abcdefgh12": ["a", "b"], "zzzzzzzz99": "*"}') == {
        "abcdefgh12": frozenset({"a", "b"}), "zzzzzzzz99": None}
    path = tmp_path / "tokens.json"
    path.write_text('{"abcdefgh12": ["a"]}', encoding="utf-8")
    assert parse_tokens(str(path)) == {"abcdefgh12": frozenset({"a"})}
    for bad in ('{"short": ["a"]}', "[1, 2]", "{not json", str(tmp_path / "missing.json"),
                '{"abcdefgh12": [1]}'):
        with pytest.raises(ConfigError):
            parse_tokens(bad)
    policy = AccessPolicy.from_config("single-token-123", '{"abcdefgh12": ["a"]}')
    assert policy.allows("single-token-123", "anything") and policy.allows("abcdefgh12", "a")
    assert not policy.allows("abcdefgh12", "b") and not policy.allows(None, "a")
    assert AccessPolicy().allows(None, "a")
