"""kernel.llm policy (fallback, retries, usage) exercised through the scripted chat model."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from enum import StrEnum
from typing import Any

import pytest
from langchain_core.exceptions import (
    ModelAPIError,
    ModelAuthenticationError,
    ModelInvalidRequestError,
    ModelRateLimitError,
    ModelTimeoutError,
)
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langchain_core.tools import tool
from pydantic import BaseModel, Field

from kernel import llm
from kernel.errors import ConfigError, TransientError
from kernel.llm import (
    LLMOutputError,
    LLMRequestError,
    LLMUsage,
    RetryPolicy,
    UsageCallback,
    ainvoke_structured,
    ainvoke_tools,
    backoff_delay,
    chat_model,
    invoke_structured,
    invoke_tools,
    retry_after_seconds,
)
from kernel.settings import Settings
from tests.support.fake_chat import ScriptedChatModel, tool_call_message
from tests.support.scripted_openai import minimal_instance

FAST = RetryPolicy(base_delay_s=0.0005, max_delay_s=0.002, jitter=0.5, max_retry_after_s=0.005)


class Priority(StrEnum):
    must = "must"
    should = "should"


class Story(BaseModel):
    """A user story."""

    role: str
    goal: str
    priority: Priority


class Plan(BaseModel):
    """What to research and which deliverables to write."""

    questions: list[str] = Field(min_length=1)
    stories: list[Story] = Field(default_factory=list)
    confidence: float = Field(ge=0, le=1)


PLAN = Plan(questions=["Why do syncs fail?"], stories=[Story(role="PM", goal="triage", priority=Priority.must)],
            confidence=0.7)
MESSAGES = [SystemMessage("You plan."), HumanMessage("<goal>fix sync</goal>")]


@pytest.fixture(autouse=True)
def _fast_and_clean() -> Iterator[None]:
    previous = llm.set_default_retry_policy(FAST)
    llm.reset_method_cache()
    yield
    llm.set_default_retry_policy(previous)
    llm.reset_method_cache()


# ---------------------------------------------------------------- usage


def test_usage_counts_messages_mappings_and_failed_calls() -> None:
    usage = LLMUsage()
    usage.add(AIMessage("a", usage_metadata={"input_tokens": 10, "output_tokens": 3, "total_tokens": 13}))
    usage.add({"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7})
    usage.add(None)
    assert usage.as_dict() == {"calls": 3, "prompt_tokens": 15, "completion_tokens": 5}
    total = LLMUsage()
    total.add(usage)
    total.add(usage)
    assert total.as_dict() == {"calls": 6, "prompt_tokens": 30, "completion_tokens": 10}


def test_usage_is_thread_safe() -> None:
    usage = LLMUsage()

    def work() -> None:
        for _ in range(2000):
            usage.add({"input_tokens": 1, "output_tokens": 2})

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert usage.as_dict() == {"calls": 16000, "prompt_tokens": 16000, "completion_tokens": 32000}


def test_model_callback_and_call_usage_are_not_double_counted() -> None:
    usage = LLMUsage()
    model = ScriptedChatModel(script=[PLAN], callbacks=[UsageCallback(usage)])
    invoke_structured(model, Plan, MESSAGES, usage=usage)
    assert usage.calls == 1
    assert usage.prompt_tokens > 0 and usage.completion_tokens > 0


# ---------------------------------------------------------------- backoff


def test_backoff_grows_exponentially_and_is_capped() -> None:
    policy = RetryPolicy(base_delay_s=1.0, max_delay_s=10.0, jitter=0.0, max_retry_after_s=30.0)
    assert [backoff_delay(n, policy) for n in (1, 2, 3, 4, 5, 6)] == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]


def test_backoff_jitter_stays_within_bounds() -> None:
    policy = RetryPolicy(base_delay_s=1.0, max_delay_s=100.0, jitter=0.5)
    rng = random.Random(7)
    delays = [backoff_delay(2, policy, rng=rng) for _ in range(200)]
    assert all(2.0 <= d <= 3.0 for d in delays)
    assert len(set(delays)) > 100


def test_backoff_honours_retry_after_with_a_cap() -> None:
    policy = RetryPolicy(base_delay_s=0.1, max_delay_s=1.0, jitter=0.0, max_retry_after_s=5.0)
    assert backoff_delay(1, policy, retry_after=3.0) == 3.0
    assert backoff_delay(1, policy, retry_after=120.0) == 5.0
    assert backoff_delay(1, policy, retry_after=0.01) == 0.1


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "2"}, 2.0),
        ({"retry-after": "0.5"}, 0.5),
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),
        ({"x-other": "1"}, None),
        (None, None),
    ],
)
def test_retry_after_parsing(headers: dict[str, str] | None, expected: float | None) -> None:
    assert retry_after_seconds(headers) == expected


def test_retry_after_http_date() -> None:
    seconds = retry_after_seconds({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})
    assert seconds == 0.0


# ---------------------------------------------------------------- structured output


def test_structured_returns_the_scripted_object_via_json_schema() -> None:
    model = ScriptedChatModel(script=[PLAN])
    usage = LLMUsage()
    assert invoke_structured(model, Plan, MESSAGES, usage=usage) == PLAN
    assert [c.structured_method for c in model.calls] == ["json_schema"]
    assert usage.calls == 1


def test_transient_faults_are_retried_then_succeed() -> None:
    model = ScriptedChatModel(script=[ModelRateLimitError("slow down"), ModelAPIError("boom"),
                                      ModelTimeoutError("late"), PLAN])
    usage = LLMUsage()
    assert invoke_structured(model, Plan, MESSAGES, usage=usage) == PLAN
    assert len(model.calls) == 4
    assert usage.calls == 4


def test_transient_faults_exhaust_into_transient_error() -> None:
    model = ScriptedChatModel(script=[ModelAPIError("down")] * 10)
    usage = LLMUsage()
    with pytest.raises(TransientError, match="after 3 attempts"):
        invoke_structured(model, Plan, MESSAGES, usage=usage, retries=2)
    assert len(model.calls) == 3
    assert usage.calls == 3


def test_retry_after_of_the_server_sets_the_wait_and_reasks_do_not_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    import httpx
    import openai

    slept: list[float] = []
    monkeypatch.setattr("time.sleep", slept.append)
    request = httpx.Request("POST", "http://127.0.0.1:9/v1/chat/completions")
    limited = openai.RateLimitError(
        "slow down", response=httpx.Response(429, headers={"retry-after-ms": "40"}, request=request), body=None)
    policy = RetryPolicy(base_delay_s=0.001, max_delay_s=0.002, jitter=0.0, max_retry_after_s=1.0)
    model = ScriptedChatModel(script=[limited, "{broken", PLAN])
    usage = LLMUsage()
    assert invoke_structured(model, Plan, MESSAGES, usage=usage, policy=policy) == PLAN
    # one wait, as long as the server asked; the re-ask of bad output goes at once
    assert [d for d in slept if d] == [0.04]
    assert usage.calls == 3


def test_malformed_output_is_reasked_with_the_validation_error() -> None:
    model = ScriptedChatModel(script=['{"questions": ["q"', {"questions": [], "confidence": 2}, PLAN])
    assert invoke_structured(model, Plan, MESSAGES) == PLAN
    assert len(model.calls) == 3
    first, second, third = (c.messages for c in model.calls)
    assert first == MESSAGES
    assert second[: len(MESSAGES)] == MESSAGES and "could not be used" in second[-1].text
    assert "confidence" in third[-1].text and "questions" in third[-1].text
    assert len(third) == len(MESSAGES) + 1, "feedback replaces, never accumulates"


def test_malformed_output_exhausts_into_output_error() -> None:
    model = ScriptedChatModel(script=["not json at all"] * 5)
    with pytest.raises(LLMOutputError, match="no valid output after 2 attempts"):
        invoke_structured(model, Plan, MESSAGES, retries=1)
    assert isinstance(LLMOutputError("x"), TransientError)


def test_fallback_to_function_calling_is_remembered() -> None:
    model = ScriptedChatModel(script=[PLAN, PLAN], reject_methods={"json_schema"})
    usage = LLMUsage()
    assert invoke_structured(model, Plan, MESSAGES, usage=usage) == PLAN
    assert [c.structured_method for c in model.calls] == ["json_schema", "function_calling"]
    assert model.calls[1].tool_names == ["Plan"]
    assert llm.remembered_method(model) == "function_calling"
    assert invoke_structured(model, Plan, MESSAGES, usage=usage) == PLAN
    assert [c.structured_method for c in model.calls][2:] == ["function_calling"]
    assert usage.calls == 3


def test_fallback_to_json_mode_carries_the_schema_in_the_prompt() -> None:
    model = ScriptedChatModel(script=[PLAN], reject_methods={"json_schema", "function_calling"})
    assert invoke_structured(model, Plan, MESSAGES) == PLAN
    last = model.calls[-1]
    assert last.structured_method == "json_mode"
    assert "JSON schema" in last.messages[-1].text and '"questions"' in last.messages[-1].text


def test_every_method_rejected_is_one_clear_error() -> None:
    model = ScriptedChatModel(reject_methods={"json_schema", "function_calling", "json_mode"})
    with pytest.raises(LLMRequestError, match="none of the structured output methods"):
        invoke_structured(model, Plan, MESSAGES)
    assert len(model.calls) == 3


def test_authentication_failure_is_a_config_error() -> None:
    model = ScriptedChatModel(script=[ModelAuthenticationError("bad key")])
    with pytest.raises(ConfigError, match="refused"):
        invoke_structured(model, Plan, MESSAGES)
    assert len(model.calls) == 1


def test_capability_rejection_falls_back_but_a_bad_conversation_does_not() -> None:
    model = ScriptedChatModel(script=[ModelInvalidRequestError("llama3 does not support tools"), PLAN])
    assert invoke_structured(model, Plan, MESSAGES, methods=("function_calling", "json_mode")) == PLAN
    assert [c.structured_method for c in model.calls] == ["function_calling", "json_mode"]

    broken = ScriptedChatModel(model_name="other", script=[ModelInvalidRequestError(
        "Invalid parameter: messages with role 'tool' must be a response to a preceding message with 'tool_calls'"
    )])
    with pytest.raises(LLMRequestError, match="rejected"):
        invoke_structured(broken, Plan, MESSAGES)
    assert len(broken.calls) == 1
    assert llm.remembered_method(broken) is None


def test_unrecognised_exceptions_propagate_unchanged() -> None:
    model = ScriptedChatModel(script=[KeyError("bug")])
    with pytest.raises(KeyError):
        invoke_structured(model, Plan, MESSAGES)


def test_unknown_method_names_are_refused() -> None:
    with pytest.raises(ValueError, match="methods"):
        invoke_structured(ScriptedChatModel(), Plan, MESSAGES, methods=("xml",))


async def test_async_structured_retries_and_counts() -> None:
    model = ScriptedChatModel(script=[ModelRateLimitError("429"), "{broken", PLAN])
    usage = LLMUsage()
    assert await ainvoke_structured(model, Plan, MESSAGES, usage=usage) == PLAN
    assert usage.calls == 3


def test_minimal_instance_validates_nested_schemas() -> None:
    value = minimal_instance(Plan.model_json_schema())
    assert Plan.model_validate(value).questions == ["x"]


# ---------------------------------------------------------------- tools


@tool
def search_memory(query: str, limit: int = 5) -> str:
    """Search the user memory."""
    return f"{limit} hits for {query}"


@tool
def list_themes() -> str:
    """List themes."""
    return "themes"


def test_tool_call_round_trip() -> None:
    model = ScriptedChatModel(script=[tool_call_message(("search_memory", {"query": "sync"}))])
    usage = LLMUsage()
    message = invoke_tools(model, [search_memory, list_themes], MESSAGES, usage=usage)
    assert message.tool_calls[0]["name"] == "search_memory"
    assert message.tool_calls[0]["args"] == {"query": "sync"}
    assert model.calls[0].tool_names == ["search_memory", "list_themes"]
    assert usage.calls == 1


def test_unknown_and_invalid_tool_calls_are_reasked() -> None:
    invalid = AIMessage(content="", invalid_tool_calls=[
        {"name": "search_memory", "args": '{"query": ', "id": "c1", "error": "bad json", "type": "invalid_tool_call"}
    ])
    model = ScriptedChatModel(script=[
        tool_call_message(("delete_everything", {})),
        invalid,
        tool_call_message(("list_themes", {})),
    ])
    message = invoke_tools(model, [search_memory, list_themes], MESSAGES)
    assert message.tool_calls[0]["name"] == "list_themes"
    assert "delete_everything" in model.calls[1].messages[-1].text
    assert "search_memory" in model.calls[2].messages[-1].text


def test_tool_faults_exhaust_into_transient_error() -> None:
    model = ScriptedChatModel(script=[ModelAPIError("down")] * 3)
    with pytest.raises(TransientError):
        invoke_tools(model, [search_memory], MESSAGES, retries=2)
    assert len(model.calls) == 3


async def test_async_tools() -> None:
    model = ScriptedChatModel(script=[ModelTimeoutError("t"), "Nothing to look up."])
    message = await ainvoke_tools(model, [search_memory], MESSAGES)
    assert message.content == "Nothing to look up." and not message.tool_calls


# ---------------------------------------------------------------- factory


def test_chat_model_requires_an_endpoint() -> None:
    with pytest.raises(ConfigError, match="no LLM endpoint"):
        chat_model("planner", Settings(openai_api_key=None, openai_base_url=None))


def test_chat_model_is_configured_per_role() -> None:
    settings = Settings(openai_base_url="http://127.0.0.1:9/v1", openai_api_key="k", model="base-model",
                        model_writer="writer-model", llm_timeout_s=12.5)
    usage = LLMUsage()
    writer: Any = chat_model("writer", settings, usage=usage)
    planner: Any = chat_model("planner", settings)
    assert writer.model_name == "writer-model" and planner.model_name == "base-model"
    assert writer.openai_api_base == "http://127.0.0.1:9/v1"
    assert writer.request_timeout == 12.5
    assert writer.max_retries == 0
    assert writer.temperature == 0
    assert writer.stream_usage is True
    assert any(isinstance(h, UsageCallback) and h.usage is usage for h in writer.callbacks)
    with pytest.raises(ValueError, match="unknown role"):
        chat_model("critic", settings)  # type: ignore[arg-type]
