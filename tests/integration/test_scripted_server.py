"""LLM mode over real HTTP: kernel.llm + ChatOpenAI against the scripted OpenAI-compatible server."""

from __future__ import annotations

import asyncio
from typing import Any

import openai
import pytest
from langchain_core.messages import HumanMessage, SystemMessage, ToolMessage
from langchain_core.tools import tool
from pydantic import BaseModel, Field

from kernel import llm
from kernel.errors import ConfigError, TransientError
from kernel.llm import LLMOutputError, LLMUsage, chat_model, invoke_structured, invoke_tools
from kernel.settings import get_settings
from tests.support import scripted_openai as scripted_support
from tests.support.scripted_openai import ChatRequest, ScriptedOpenAI, ScriptedReply, hash_embedding

scripted_openai = scripted_support.scripted_openai


class Finding(BaseModel):
    """One finding with its evidence."""

    summary: str
    signal_ids: list[str] = Field(min_length=1)


class Findings(BaseModel):
    """Findings for one research question."""

    question: str
    findings: list[Finding]


FINDINGS = Findings(question="Why does sync fail?",
                    findings=[Finding(summary="Offline edits are lost", signal_ids=["sig-1", "sig-2"])])
PROMPT = [SystemMessage("You research."), HumanMessage("<signals>\n<signal id='sig-1'>sync lost my edits</signal>\n"
                                                        "</signals>")]


def model_for(server: ScriptedOpenAI, **settings: Any) -> Any:
    return chat_model("researcher", server.settings(**settings))


# ---------------------------------------------------------------- structured output per method


@pytest.mark.parametrize(
    ("method", "mode"),
    [("json_schema", "json_schema"), ("function_calling", "function_calling"), ("json_mode", "json_object")],
)
def test_structured_output_over_each_method(scripted_openai: ScriptedOpenAI, method: str, mode: str) -> None:
    scripted_openai.push(ScriptedReply(structured=FINDINGS, prompt_tokens=120, completion_tokens=30))
    usage = LLMUsage()
    result = invoke_structured(model_for(scripted_openai), Findings, PROMPT, usage=usage, methods=(method,))
    assert result == FINDINGS
    (record,) = scripted_openai.chat_requests
    request = record.request
    assert request.mode == mode
    assert request.model == "gpt-4o-mini"
    assert request["temperature"] == 0
    if mode != "json_object":
        assert request.schema_name == "Findings"
        assert "findings" in request.schema["properties"]
    else:
        assert request.schema is not None and "findings" in request.schema["properties"]
    assert "<signal id='sig-1'>sync lost my edits</signal>" in request.text
    assert usage.as_dict() == {"calls": 1, "prompt_tokens": 120, "completion_tokens": 30}


def test_default_settings_reach_the_fixture_server(scripted_openai: ScriptedOpenAI) -> None:
    settings = get_settings()
    assert settings.llm_configured and settings.openai_base_url == scripted_openai.base_url
    result = invoke_structured(chat_model("planner"), Findings, PROMPT)
    assert Findings.model_validate(result.model_dump()) == result, "auto responder returns a valid object"
    assert len(scripted_openai.chat_requests) == 1


def test_fallback_json_schema_then_function_calling_then_json_mode(scripted_openai: ScriptedOpenAI) -> None:
    scripted_openai.reject_json_schema = True
    scripted_openai.reject_tools = True
    scripted_openai.push(FINDINGS, FINDINGS)
    model = model_for(scripted_openai)
    usage = LLMUsage()
    assert invoke_structured(model, Findings, PROMPT, usage=usage) == FINDINGS
    outcomes = [(r.request.mode, r.outcome) for r in scripted_openai.chat_requests]
    assert outcomes == [("json_schema", "rejected"), ("function_calling", "rejected"), ("json_object", "ok")]
    assert llm.remembered_method(model) == "json_mode"
    assert usage.calls == 3

    assert invoke_structured(model, Findings, PROMPT, usage=usage) == FINDINGS
    assert [r.request.mode for r in scripted_openai.chat_requests][3:] == ["json_object"]
    assert scripted_openai.pending == 0


def test_fallback_stops_at_function_calling_when_tools_work(scripted_openai: ScriptedOpenAI) -> None:
    scripted_openai.reject_json_schema = True
    scripted_openai.push(FINDINGS)
    model = model_for(scripted_openai)
    assert invoke_structured(model, Findings, PROMPT) == FINDINGS
    assert [r.request.mode for r in scripted_openai.chat_requests] == ["json_schema", "function_calling"]
    assert llm.remembered_method(model) == "function_calling"


# ---------------------------------------------------------------- faults and retries


def test_every_fault_is_retried_and_the_call_succeeds(scripted_openai: ScriptedOpenAI) -> None:
    scripted_openai.push(
        ScriptedReply.error(429, "rate limited", retry_after=0.01),
        ScriptedReply.error(500),
        ScriptedReply.error(503),
        ScriptedReply.timeout(),
        ScriptedReply.malformed_body(),
        ScriptedReply.invalid_json(FINDINGS),
        ScriptedReply(structured={"question": "q", "findings": [{"summary": "no evidence", "signal_ids": []}]}),
        ScriptedReply(structured=FINDINGS, prompt_tokens=50, completion_tokens=20),
    )
    usage = LLMUsage()
    model = model_for(scripted_openai, llm_timeout_s=1.0)
    assert invoke_structured(model, Findings, PROMPT, usage=usage, retries=7) == FINDINGS
    outcomes = [r.outcome for r in scripted_openai.chat_requests]
    assert outcomes == ["http_429", "http_500", "http_503", "timeout", "malformed_body", "invalid_json", "ok", "ok"]
    assert usage.calls == 8
    assert usage.prompt_tokens >= 50 and usage.completion_tokens >= 20
    # The schema violation was fed back to the model on the next attempt.
    last = scripted_openai.chat_requests[-1].request
    assert "could not be used" in last.last_user_text and "signal_ids" in last.last_user_text


def test_server_errors_exhaust_into_transient_error(scripted_openai: ScriptedOpenAI) -> None:
    scripted_openai.push(*[ScriptedReply.error(500)] * 4, FINDINGS)
    usage = LLMUsage()
    with pytest.raises(TransientError, match="after 4 attempts.*500"):
        invoke_structured(model_for(scripted_openai), Findings, PROMPT, usage=usage, retries=3)
    assert len(scripted_openai.chat_requests) == 4
    assert usage.calls == 4
    assert scripted_openai.pending == 1


def test_invalid_output_exhausts_into_output_error(scripted_openai: ScriptedOpenAI) -> None:
    scripted_openai.push(*[ScriptedReply.invalid_json(FINDINGS)] * 3)
    with pytest.raises(LLMOutputError):
        invoke_structured(model_for(scripted_openai), Findings, PROMPT, retries=2)
    assert len(scripted_openai.chat_requests) == 3


def test_wrong_api_key_is_a_config_error(scripted_openai: ScriptedOpenAI) -> None:
    model = chat_model("planner", scripted_openai.settings(openai_api_key="sk-wrong"))
    with pytest.raises(ConfigError, match="refused"):
        invoke_structured(model, Findings, PROMPT)
    assert [r.outcome for r in scripted_openai.requests] == ["http_401"]


def test_non_loopback_endpoint_is_blocked_and_surfaces_as_transient(scripted_openai: ScriptedOpenAI) -> None:
    model = chat_model("planner", scripted_openai.settings(openai_base_url="http://10.255.255.1/v1"))
    with pytest.raises(TransientError, match="Connection"):
        invoke_structured(model, Findings, PROMPT, retries=1)
    assert scripted_openai.requests == []


# ---------------------------------------------------------------- usage and streaming


def test_usage_is_summed_across_calls_and_roles(scripted_openai: ScriptedOpenAI) -> None:
    scripted_openai.push(
        ScriptedReply(structured=FINDINGS, prompt_tokens=100, completion_tokens=10),
        ScriptedReply(content="A brief.", prompt_tokens=200, completion_tokens=20),
    )
    usage = LLMUsage()
    settings = scripted_openai.settings()
    invoke_structured(chat_model("researcher", settings), Findings, PROMPT, usage=usage)
    chat_model("writer", settings, usage=usage).invoke([HumanMessage("write")])
    assert usage.as_dict() == {"calls": 2, "prompt_tokens": 300, "completion_tokens": 30}


def test_streaming_reports_usage(scripted_openai: ScriptedOpenAI) -> None:
    scripted_openai.push(ScriptedReply(content="Sync fails when offline edits collide.",
                                       prompt_tokens=42, completion_tokens=9))
    usage = LLMUsage()
    model = chat_model("writer", scripted_openai.settings(), usage=usage)
    chunks = list(model.stream([HumanMessage("why?")]))
    assert len(chunks) > 3
    assert "".join(str(c.content) for c in chunks) == "Sync fails when offline edits collide."
    request = scripted_openai.chat_requests[0].request
    assert request.stream and request.include_usage
    assert usage.as_dict() == {"calls": 1, "prompt_tokens": 42, "completion_tokens": 9}


async def test_async_streaming_tool_calls(scripted_openai: ScriptedOpenAI) -> None:
    scripted_openai.push(ScriptedReply(tool_calls=[{"name": "search_memory", "arguments": {"query": "dark mode"}}],
                                       prompt_tokens=11, completion_tokens=4))
    usage = LLMUsage()
    model = chat_model("researcher", scripted_openai.settings(), usage=usage).bind_tools([search_memory])
    merged = None
    async for chunk in model.astream([HumanMessage("look it up")]):
        merged = chunk if merged is None else merged + chunk
    assert merged is not None
    assert merged.tool_calls[0]["name"] == "search_memory"
    assert merged.tool_calls[0]["args"] == {"query": "dark mode"}
    assert usage.as_dict() == {"calls": 1, "prompt_tokens": 11, "completion_tokens": 4}


async def test_concurrent_async_calls_with_latency(scripted_openai: ScriptedOpenAI) -> None:
    scripted_openai.latency_s = 0.3
    usage = LLMUsage()
    model = chat_model("researcher", scripted_openai.settings())
    results = await asyncio.gather(*[
        llm.ainvoke_structured(model, Findings, [HumanMessage(f"question {i}")], usage=usage) for i in range(4)
    ])
    assert all(isinstance(r, Findings) for r in results)
    assert usage.calls == 4
    assert sorted(r.request.last_user_text for r in scripted_openai.chat_requests) == [
        f"question {i}" for i in range(4)
    ]


# ---------------------------------------------------------------- tools


@tool
def search_memory(query: str) -> str:
    """Search the user memory for signals about a topic."""
    return f"sig-1: users lose edits when {query}"


def test_tool_call_round_trip(scripted_openai: ScriptedOpenAI) -> None:
    scripted_openai.push(
        ScriptedReply(tool_calls=[{"name": "search_memory", "arguments": {"query": "offline"}}]),
        "Users lose edits offline (sig-1).",
    )
    model = model_for(scripted_openai)
    usage = LLMUsage()
    messages: list[Any] = list(PROMPT)
    first = invoke_tools(model, [search_memory], messages, usage=usage)
    assert first.tool_calls and first.tool_calls[0]["args"] == {"query": "offline"}
    messages.append(first)
    for call in first.tool_calls:
        messages.append(ToolMessage(search_memory.invoke(call["args"]), tool_call_id=call["id"]))
    final = invoke_tools(model, [search_memory], messages, usage=usage)
    assert final.content == "Users lose edits offline (sig-1)." and not final.tool_calls

    first_request, second_request = (r.request for r in scripted_openai.chat_requests)
    assert first_request.tool_names == ["search_memory"] and first_request.mode == "tools"
    tool_messages = [m for m in second_request.messages if m["role"] == "tool"]
    assert tool_messages[0]["content"] == "sig-1: users lose edits when offline"
    assert tool_messages[0]["tool_call_id"] == first.tool_calls[0]["id"]
    assert usage.calls == 2


def test_tool_call_with_unknown_tool_is_reasked(scripted_openai: ScriptedOpenAI) -> None:
    scripted_openai.push(
        ScriptedReply(tool_calls=[{"name": "forget_workspace", "arguments": {}}]),
        ScriptedReply(tool_calls=[{"name": "search_memory", "arguments": "{\"query\": "}]),
        ScriptedReply(tool_calls=[{"name": "search_memory", "arguments": {"query": "sync"}}]),
    )
    message = invoke_tools(model_for(scripted_openai), [search_memory], PROMPT)
    assert message.tool_calls[0]["args"] == {"query": "sync"}
    texts = [r.request.last_user_text for r in scripted_openai.chat_requests]
    assert "forget_workspace" in texts[1] and "search_memory" in texts[2]


# ---------------------------------------------------------------- responders, tiktoken, embeddings


def test_responder_dispatches_on_schema_name(scripted_openai: ScriptedOpenAI) -> None:
    seen: list[str | None] = []

    def responder(request: ChatRequest) -> Any:
        seen.append(request.schema_name)
        if request.schema_name == "Findings":
            return Findings(question=request.last_user_text, findings=FINDINGS.findings)
        return None

    scripted_openai.responder = responder
    result = invoke_structured(model_for(scripted_openai), Findings, [HumanMessage("what breaks sync?")])
    assert result.question == "what breaks sync?"
    assert seen == ["Findings"]


def test_unscripted_requests_fail_when_auto_is_off() -> None:
    with ScriptedOpenAI(auto=False) as server:
        model = chat_model("planner", server.settings())
        with pytest.raises(llm.LLMRequestError, match="no reply queued"):
            invoke_structured(model, Findings, PROMPT)
        assert [r.outcome for r in server.chat_requests] == ["unscripted"]


def test_no_tiktoken_on_any_call_path(scripted_openai: ScriptedOpenAI, monkeypatch: pytest.MonkeyPatch) -> None:
    import tiktoken

    def forbidden(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("tiktoken must not be used")

    for name in ("get_encoding", "encoding_for_model"):
        monkeypatch.setattr(tiktoken, name, forbidden)
    scripted_openai.reject_json_schema = True
    model = model_for(scripted_openai)
    invoke_structured(model, Findings, PROMPT)
    invoke_tools(model, [search_memory], PROMPT)
    list(model.stream([HumanMessage("stream")]))
    assert len(scripted_openai.chat_requests) == 4


def test_models_and_embeddings_endpoints(scripted_openai: ScriptedOpenAI) -> None:
    client = openai.OpenAI(base_url=scripted_openai.base_url, api_key=scripted_openai.api_key, max_retries=0)
    assert "gpt-4o-mini" in [m.id for m in client.models.list()]

    texts = ["sync loses my edits", "sync loses edits offline", "dark mode please"]
    default = client.embeddings.create(model="text-embedding-3-small", input=texts)  # base64 on the wire
    floats = client.embeddings.create(model="text-embedding-3-small", input=texts, encoding_format="float")
    assert [len(d.embedding) for d in default.data] == [256] * 3
    for a, b in zip(default.data, floats.data, strict=True):
        assert a.embedding == pytest.approx(b.embedding, abs=1e-6)
    vectors = [d.embedding for d in floats.data]

    def cos(a: list[float], b: list[float]) -> float:
        return sum(x * y for x, y in zip(a, b, strict=True))

    assert cos(vectors[0], vectors[1]) > cos(vectors[0], vectors[2])
    assert vectors[0] == pytest.approx(hash_embedding("sync loses my edits", 256))
    small = client.embeddings.create(model="m", input="one text", dimensions=32, encoding_format="float")
    assert len(small.data[0].embedding) == 32
    assert len(scripted_openai.embedding_requests) == 3


# ---------------------------------------------------------------- inside a LangGraph graph


@pytest.mark.parametrize("reject_json_schema", [False, True])
async def test_structured_call_inside_a_streaming_graph(
    scripted_openai: ScriptedOpenAI, reject_json_schema: bool
) -> None:
    """LangGraph's "messages" stream mode makes ChatOpenAI stream; structured output must survive it."""
    from typing import TypedDict

    from langchain_core.runnables import RunnableConfig
    from langgraph.graph import END, START, StateGraph

    class State(TypedDict, total=False):
        question: str
        findings: Findings

    usage = LLMUsage()
    model = chat_model("researcher", scripted_openai.settings())

    async def research(state: State, config: RunnableConfig) -> State:
        found = await llm.ainvoke_structured(
            model, Findings, [HumanMessage(state["question"])], usage=usage, config=config
        )
        return {"findings": found}

    builder = StateGraph(State)
    builder.add_node("research", research)
    builder.add_edge(START, "research")
    builder.add_edge("research", END)
    graph = builder.compile(name="probe")

    scripted_openai.reject_json_schema = reject_json_schema
    scripted_openai.push(ScriptedReply.error(503), ScriptedReply(structured=FINDINGS, prompt_tokens=9,
                                                                 completion_tokens=5))
    streamed = [item async for item in graph.astream({"question": "why?"}, stream_mode=["messages", "values"])]
    final = [payload for mode, payload in streamed if mode == "values"][-1]
    assert final["findings"] == FINDINGS
    assert any(mode == "messages" for mode, _ in streamed)
    assert all(r.request.stream for r in scripted_openai.chat_requests)
    assert usage.prompt_tokens == 9 and usage.completion_tokens == 5
    assert usage.calls == len(scripted_openai.chat_requests)
