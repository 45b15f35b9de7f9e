"""The MCP server in-process with the SDK client: every tool (happy path and bad arguments), resources, prompts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError

from kernel.settings import get_settings
from ui.mcp import build_server

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "graph"
WS = "acme"
CONTRACT_TOOLS = {
    "ingest_signals", "search_user_memory", "get_themes", "get_profile", "forget_user", "draft_requirements",
    "write_brief", "write_decision_memo", "run_goal", "get_run", "enqueue_run", "ask_users", "audit_calendar",
}
READ_TOOLS = {"search_user_memory", "get_themes", "get_profile", "get_run", "ask_users", "audit_calendar"}
GOAL = "Should we fix sync bugs before building dark mode?"


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    from memory import api
    from memory.repository import reset_memory

    patch = pytest.MonkeyPatch()
    home = tmp_path_factory.mktemp("mcp-home")
    patch.setenv("PMPILOT_HOME", str(home))
    get_settings.cache_clear()
    reset_memory()
    report = api.ingest([FIXTURES / "tickets.csv", FIXTURES / "reviews.csv"], WS)
    assert report.ingested == 31
    yield home
    _wait_for_runs()
    reset_memory()
    patch.undo()
    get_settings.cache_clear()


def _wait_for_runs() -> None:
    """Let runs abandoned by a cancelled call finish before the store closes (bounded)."""
    import time

    from agents.runner import list_runs

    for _ in range(600):
        if all(r["status"] != "running" for r in list_runs()):
            return
        time.sleep(0.5)


@pytest.fixture(scope="module")
def server(seeded: Path) -> Any:
    return build_server()


async def call(server: Any, name: str, args: dict[str, Any], **kwargs: Any) -> Any:
    async with Client(server) as client:
        return await client.call_tool(name, args, **kwargs)


def text(result: Any) -> str:
    return "\n".join(block.text for block in result.content if block.type == "text")


def assert_names(result: Any, *names: str) -> None:
    """A tool error whose one-line message names every argument at fault (a model must know what to fix)."""
    assert result.is_error
    message = text(result)
    assert len(message.splitlines()) == 1, message
    assert "errors.pydantic.dev" not in message and "Arguments" not in message, message
    for name in names:
        assert name in message, (name, message)


async def test_lists_contract_tools_with_schemas_and_annotations(server: Any) -> None:
    async with Client(server) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    assert set(tools) == CONTRACT_TOOLS
    for name, tool in tools.items():
        assert "workspace" in tool.input_schema["properties"], name
        assert "workspace" in tool.input_schema["required"], name
        assert tool.output_schema and tool.output_schema["type"] == "object", name
        assert tool.description, name
        assert tool.annotations.read_only_hint is (name in READ_TOOLS), name
    assert tools["forget_user"].annotations.destructive_hint is True
    assert tools["ingest_signals"].annotations.destructive_hint is False
    search = tools["search_user_memory"].input_schema["properties"]
    assert {"query", "limit", "user_id", "account_id", "segment", "kind"} <= set(search)
    assert search["query"]["description"]
    for name in ("draft_requirements", "write_brief", "write_decision_memo"):
        assert {"goal", "offline"} <= set(tools[name].input_schema["properties"])


async def test_read_only_mode_registers_no_write_tools(seeded: Path) -> None:
    async with Client(build_server(read_only=True)) as client:
        names = {t.name for t in (await client.list_tools()).tools}
        assert names == READ_TOOLS
        refused = await client.call_tool("forget_user", {"workspace": WS, "user_id": "user5"})
    assert refused.is_error


async def test_ask_users_answers_with_evidence_or_says_insufficient(server: Any) -> None:
    answer = await call(server, "ask_users", {"workspace": WS, "question": "What do users say about sync?"})
    assert not answer.is_error
    data = answer.structured_content
    assert set(data) >= {"answer", "confidence", "evidence", "dissent", "insufficient_evidence"}
    if not data["insufficient_evidence"]:
        assert data["evidence"] and all(e["signal_id"] and e["quote"] for e in data["evidence"])
    unrelated = await call(server, "ask_users", {"workspace": WS, "question": "Do users enjoy our zeppelin tours?"})
    assert unrelated.structured_content["insufficient_evidence"] is True
    assert unrelated.structured_content["evidence"] == [] and unrelated.structured_content["dissent"] == []


async def test_audit_calendar_inline_ics(server: Any) -> None:
    ics = (FIXTURES.parent / "calendars" / "pm_weeks.ics").read_text(encoding="utf-8")
    report = await call(server, "audit_calendar", {"workspace": WS, "calendar_ics": ics, "tz": "Europe/Berlin"})
    assert not report.is_error
    shares = [c["share"] for c in report.structured_content["categories"]]
    assert abs(sum(shares) - 1) < 0.01
    bad = await call(server, "audit_calendar", {"workspace": WS, "calendar_ics": "not a calendar"})
    assert_names(bad, "calendar_ics", "iCalendar")
    assert "pmpilot-ics-" not in text(bad)  # the inline calendar's temp file means nothing to the caller


@pytest.mark.parametrize(("args", "names"), [
    ({"workspace": WS}, ("calendar_ics", "calendar_path")),
    ({"workspace": WS, "calendar_ics": "x", "tz": "Mars/Base"}, ("tz", "Mars/Base")),
    ({"workspace": WS, "calendar_ics": "x", "since": "someday"}, ("since", "someday")),
    ({"workspace": WS, "calendar_ics": "x", "until": "whenever"}, ("until", "whenever")),
    ({"workspace": WS, "calendar_path": "/nonexistent/cal.ics"}, ("calendar_path", "/nonexistent/cal.ics")),
    ({"calendar_ics": "x"}, ("workspace",)),
])
async def test_audit_calendar_bad_arguments_name_the_argument(server: Any, args: dict[str, Any],
                                                              names: tuple[str, ...]) -> None:
    assert_names(await call(server, "audit_calendar", args), *names)


async def test_search_returns_structured_hits(server: Any) -> None:
    result = await call(server, "search_user_memory", {"workspace": WS, "query": "sync fails offline", "limit": 3})
    assert not result.is_error
    hits = result.structured_content["hits"]
    assert 1 <= len(hits) <= 3
    assert any("sync" in h["text"].lower() for h in hits)
    assert {"signal_id", "external_id", "score", "text", "source", "kind", "user_id", "created_at"} <= set(hits[0])
    assert hits[0]["signal_id"] in text(result)

    only = await call(server, "search_user_memory", {"workspace": WS, "query": "sync", "user_id": "user5"})
    assert only.structured_content["hits"] and {h["user_id"] for h in only.structured_content["hits"]} == {"user5"}


@pytest.mark.parametrize(("args", "names"), [
    ({"workspace": WS, "query": "sync", "limit": 0}, ("limit",)),
    ({"workspace": WS, "query": "sync", "limit": 999}, ("limit", "200")),
    ({"workspace": WS, "query": "sync", "limit": "many"}, ("limit", "integer")),
    ({"workspace": WS, "query": ""}, ("query",)),
    ({"workspace": WS}, ("missing", "query")),
    ({"workspace": WS, "query": "sync", "kind": "tweet"}, ("kind", "ticket")),
    ({"workspace": "bad name!", "query": "sync"}, ("workspace", "bad name!")),
    ({"workspace": "", "query": "sync"}, ("workspace",)),
    ({"workspace": 5, "query": "sync"}, ("workspace",)),
    ({"query": "sync"}, ("missing", "workspace")),
])
async def test_search_bad_arguments_name_the_argument(server: Any, args: dict[str, Any],
                                                      names: tuple[str, ...]) -> None:
    assert_names(await call(server, "search_user_memory", args), *names)


async def test_every_schema_error_is_named_in_one_line(server: Any) -> None:
    result = await call(server, "search_user_memory", {"query": "", "limit": 0})
    assert_names(result, "workspace", "query", "limit")


async def test_ingest_inline_signals_is_idempotent_and_searchable(server: Any) -> None:
    signal = {"text": "We need SAML single sign-on with Okta before rolling out to 400 seats.",
              "external_id": "crm-77", "user_id": "ciso-1", "account_id": "bigbank", "segment": "enterprise",
              "created_at": "2025-07-01"}
    first = await call(server, "ingest_signals", {"workspace": WS, "signals": [signal], "source": "crm"})
    assert not first.is_error, text(first)
    assert first.structured_content["ingested"] == 1 and first.structured_content["rejected"] == []
    again = await call(server, "ingest_signals", {"workspace": WS, "signals": [signal], "source": "crm"})
    assert again.structured_content["ingested"] == 0 and again.structured_content["duplicates"] == 1
    found = await call(server, "search_user_memory", {"workspace": WS, "query": "Okta single sign-on",
                                                      "account_id": "bigbank"})
    assert [h["external_id"] for h in found.structured_content["hits"]] == ["crm-77"]


@pytest.mark.parametrize(("args", "names"), [
    ({"workspace": WS}, ("signals", "paths")),
    ({"workspace": WS, "signals": [{"text": ""}]}, ("signals.0.text",)),
    ({"workspace": WS, "signals": "not a list"}, ("signals",)),
    ({"workspace": WS, "paths": ["/nonexistent/tickets.csv"]}, ("paths", "/nonexistent/tickets.csv")),
    ({"workspace": WS, "signals": [{"text": "x"}], "source": "../etc"}, ("source",)),
    ({"workspace": WS, "signals": [{"text": "x"}], "kind": "tweet"}, ("kind",)),
])
async def test_ingest_bad_arguments_name_the_argument(server: Any, args: dict[str, Any],
                                                      names: tuple[str, ...]) -> None:
    assert_names(await call(server, "ingest_signals", args), *names)


async def test_ingest_refuses_server_paths_when_not_allowed(seeded: Path) -> None:
    async with Client(build_server(allow_paths=False)) as client:
        result = await client.call_tool("ingest_signals", {"workspace": WS,
                                                           "paths": [str(FIXTURES / "tickets.csv")]})
    assert result.is_error and "stdio" in text(result)


async def test_themes_and_themes_resource(server: Any) -> None:
    result = await call(server, "get_themes", {"workspace": WS})
    assert not result.is_error, text(result)
    themes = result.structured_content["themes"]
    assert themes and all(t["size"] > 0 and t["label"] for t in themes)
    assert sum(t["size"] for t in themes) <= 32
    async with Client(server) as client:
        resource = await client.read_resource(f"pmpilot://workspaces/{WS}/themes")
    body = resource.contents[0].text
    assert resource.contents[0].mime_type == "text/markdown"
    assert themes[0]["label"] in body
    bad = await call(server, "get_themes", {"workspace": WS, "since": "last tuesday-ish"})
    assert_names(bad, "since", "last tuesday-ish", "date")
    assert_names(await call(server, "get_themes", {"workspace": WS, "members": "all of them"}), "members")


async def test_profile_of_one_subject(server: Any) -> None:
    result = await call(server, "get_profile", {"workspace": WS, "account_id": "acme"})
    assert not result.is_error, text(result)
    assert result.structured_content["subject"] == "acme"
    assert result.structured_content["subject_type"] == "account"
    both = await call(server, "get_profile", {"workspace": WS, "user_id": "user5", "account_id": "acme"})
    assert_names(both, "exactly one", "user_id", "account_id", "segment")
    none = await call(server, "get_profile", {"workspace": WS})
    assert_names(none, "user_id", "account_id", "segment")


async def test_forget_user_erases_their_signals(server: Any) -> None:
    signal = {"text": "Export to PDF loses my tables every time.", "external_id": "gone-1", "user_id": "leaver"}
    await call(server, "ingest_signals", {"workspace": WS, "signals": [signal]})
    before = await call(server, "search_user_memory", {"workspace": WS, "query": "export PDF", "user_id": "leaver"})
    assert before.structured_content["hits"]
    receipt = await call(server, "forget_user", {"workspace": WS, "user_id": "leaver"})
    assert not receipt.is_error, text(receipt)
    assert receipt.structured_content["deleted_signals"] == 1 and receipt.structured_content["receipt"]
    after = await call(server, "search_user_memory", {"workspace": WS, "query": "export PDF", "user_id": "leaver"})
    assert after.structured_content["hits"] == []
    empty = await call(server, "forget_user", {"workspace": WS, "user_id": "   "})
    assert_names(empty, "user_id")
    assert_names(await call(server, "forget_user", {"workspace": WS}), "missing", "user_id")


def citations(node: Any) -> list[str]:
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "citations":
                found.extend(value)
            elif key != "evidence":
                found.extend(citations(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(citations(value))
    return found


@pytest.mark.parametrize(("tool", "kind", "extra"), [
    ("draft_requirements", "requirements", {}),
    ("write_brief", "brief", {"audience": "exec"}),
    ("write_decision_memo", "decision_memo", {}),
])
async def test_drafting_tools_return_grounded_documents(server: Any, tool: str, kind: str,
                                                        extra: dict[str, Any]) -> None:
    result = await call(server, tool, {"workspace": WS, "goal": GOAL, "offline": True, **extra})
    assert not result.is_error, text(result)
    draft = result.structured_content
    assert draft["status"] == "completed" and draft["mode"] == "offline" and draft["kind"] == kind
    document = draft["document"]
    assert document["kind"] == kind and document["evidence"]
    evidence = {e["signal_id"] for e in document["evidence"]}
    assert set(citations(document)) <= evidence
    assert draft["markdown"] and text(result) == draft["markdown"]
    assert draft["resource_uri"] == f"pmpilot://runs/{draft['run_id']}/{kind}"
    async with Client(server) as client:
        resource = await client.read_resource(draft["resource_uri"])
    assert resource.contents[0].text == draft["markdown"]


@pytest.mark.parametrize(("tool", "args", "names"), [
    ("draft_requirements", {"workspace": WS, "goal": ""}, ("goal",)),
    ("draft_requirements", {"workspace": WS}, ("missing", "goal")),
    ("draft_requirements", {"workspace": WS, "goal": GOAL, "offline": "maybe"}, ("offline",)),
    ("write_brief", {"workspace": WS, "goal": GOAL, "audience": "board"}, ("audience", "exec")),
    ("write_decision_memo", {"workspace": "empty-ws", "goal": GOAL, "offline": True}, ("workspace", "empty-ws")),
    ("write_decision_memo", {"goal": GOAL}, ("missing", "workspace")),
    ("run_goal", {"workspace": WS, "goal": GOAL, "deliverables": ["poem"]}, ("deliverables", "requirements")),
    ("run_goal", {"workspace": WS, "goal": GOAL, "since": "not a date", "offline": True}, ("since", "not a date")),
    ("run_goal", {"workspace": WS, "goal": GOAL, "strategy": "/nonexistent/strategy.yaml"}, ("strategy",)),
    ("run_goal", {"workspace": WS, "goal": GOAL, "repo": "/nonexistent/repo"}, ("repo",)),
    ("enqueue_run", {"workspace": WS, "goal": "   "}, ("goal",)),
    ("enqueue_run", {"workspace": WS, "goal": GOAL, "deliverables": ["poem"]}, ("deliverables",)),
    ("get_run", {"workspace": WS}, ("missing", "run_id")),
    ("ask_users", {"workspace": WS, "question": "x"}, ("question",)),
    ("ask_users", {"workspace": WS, "question": "What about sync?", "segment": "smb", "account_id": "acme"},
     ("segment", "account_id")),
])
async def test_bad_arguments_name_the_argument(server: Any, tool: str, args: dict[str, Any],
                                               names: tuple[str, ...]) -> None:
    assert_names(await call(server, tool, args), *names)


async def test_run_goal_reports_progress_and_get_run_reads_it(server: Any) -> None:
    progress: list[tuple[float, float | None, str | None]] = []

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        progress.append((value, total, message))

    logs: list[Any] = []

    async def on_log(params: Any) -> None:
        logs.append(params.data)

    async with Client(server, logging_callback=on_log, log_level="info") as client:
        result = await client.call_tool(
            "run_goal", {"workspace": WS, "goal": GOAL, "offline": True,
                         "deliverables": ["requirements", "decision_memo"]},
            progress_callback=on_progress)
        assert not result.is_error, text(result)
        run = result.structured_content
        assert run["status"] == "completed" and [a["kind"] for a in run["artifacts"]] == ["requirements",
                                                                                           "decision_memo"]
        values = [p[0] for p in progress]
        assert values == sorted(values) and len(set(values)) == len(values)
        steps = " ".join(p[2] or "" for p in progress)
        for node in ("planner", "researcher", "scorer", "writer"):
            assert f"{node}: started" in steps
        assert any("planner" in str(line) for line in logs)

        fetched = await client.call_tool("get_run", {"workspace": WS, "run_id": run["run_id"]})
        assert fetched.structured_content["run_id"] == run["run_id"]
        assert fetched.structured_content["status"] == "completed"
        other = await client.call_tool("get_run", {"workspace": "other", "run_id": run["run_id"]})
        assert_names(other, "no run", run["run_id"], "other")
        missing = await client.call_tool("get_run", {"workspace": WS, "run_id": "no-such-run"})
        assert_names(missing, "no run", "no-such-run")


async def test_cancelled_run_stops_waiting_and_server_keeps_serving(server: Any) -> None:
    started = anyio.Event()

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        started.set()

    async with Client(server) as client:
        with anyio.CancelScope() as scope:
            async with anyio.create_task_group() as group:
                async def run() -> None:
                    await client.call_tool("run_goal", {"workspace": WS, "goal": GOAL, "offline": True},
                                           progress_callback=on_progress)

                group.start_soon(run)
                await started.wait()
                scope.cancel()
        assert scope.cancelled_caught
        pong = await client.call_tool("search_user_memory", {"workspace": WS, "query": "sync"})
        assert not pong.is_error
    await anyio.to_thread.run_sync(_wait_for_runs)


async def test_enqueue_run_is_idempotent(server: Any) -> None:
    args = {"workspace": WS, "goal": GOAL, "offline": True, "idempotency_key": "weekly-brief-1"}
    first = await call(server, "enqueue_run", args)
    assert not first.is_error, text(first)
    job = first.structured_content
    assert job["status"] == "queued" and job["job_id"] and job["workspace"] == WS
    again = await call(server, "enqueue_run", args)
    assert again.structured_content["job_id"] == job["job_id"]
    bad = await call(server, "enqueue_run", {"workspace": WS, "goal": "   "})
    assert_names(bad, "goal")


async def test_missing_run_document_is_a_resource_error(server: Any) -> None:
    async with Client(server) as client:
        with pytest.raises(MCPError):
            await client.read_resource("pmpilot://runs/no-such-run/requirements")


async def test_one_prompt_per_deliverable_with_arguments(server: Any) -> None:
    async with Client(server) as client:
        prompts = {p.name: p for p in (await client.list_prompts()).prompts}
        assert set(prompts) == {"requirements", "brief", "decision_memo", "status", "meeting_notes", "roadmap"}
        for prompt in prompts.values():
            required = {a.name for a in prompt.arguments if a.required}
            assert required == {"goal", "workspace"}
        brief = await client.get_prompt("brief", {"goal": GOAL, "workspace": WS, "audience": "exec"})
        body = brief.messages[0].content.text
        assert GOAL in body and "write_brief" in body and WS in body
        status = await client.get_prompt("status", {"goal": "Weekly status", "workspace": WS})
        assert 'deliverables=["status"]' in status.messages[0].content.text
        with pytest.raises(MCPError):
            await client.get_prompt("brief", {"workspace": WS})
