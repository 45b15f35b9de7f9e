"""Chat-model factory and the two calls every LLM request goes through.

LLM mode talks to any OpenAI-compatible server through ``langchain_openai.ChatOpenAI``. Every
call a specialist makes goes through :func:`invoke_structured` (one pydantic object) or
:func:`invoke_tools` (one tool-calling turn), sync or async, under the one retry policy of
:mod:`kernel.llm_retry` (backoff with ``Retry-After`` on faults, re-asks with feedback on output
that does not fit). Structured output is tried with ``json_schema``, then ``function_calling``,
then ``json_mode``; a method the server rejects (400/422 naming ``response_format``/tools) is
skipped, and the method that worked is remembered per ``(base_url, model)`` so later calls go
straight to it. Every attempt that reached the model counts as one call in :class:`LLMUsage`
(:mod:`kernel.llm_usage`), with the tokens the server reported; never from tiktoken.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Mapping, Sequence
from typing import Any, Literal, TypeVar, get_args

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.runnables import Runnable, RunnableConfig
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import BaseModel, SecretStr, ValidationError

from kernel.errors import ConfigError
from kernel.llm_retry import (
    FEEDBACK_LIMIT,
    AttemptFailed,
    LLMCall,
    LLMOutputError,
    LLMRequestError,
    RetryPolicy,
    arun_call,
    backoff_delay,
    default_retry_policy,
    one_line,
    retry_after_seconds,
    run_call,
    set_default_retry_policy,
)
from kernel.llm_usage import LLMUsage, UsageCallback, with_usage
from kernel.settings import Role, Settings, get_settings

__all__ = [
    "DEFAULT_METHODS",
    "LLMOutputError",
    "LLMRequestError",
    "LLMUsage",
    "RetryPolicy",
    "UsageCallback",
    "ainvoke_structured",
    "ainvoke_tools",
    "backoff_delay",
    "chat_model",
    "default_retry_policy",
    "invoke_structured",
    "invoke_tools",
    "remembered_method",
    "reset_method_cache",
    "retry_after_seconds",
    "set_default_retry_policy",
]

logger = logging.getLogger(__name__)

T = TypeVar("T", bound=BaseModel)
StructuredMethod = Literal["json_schema", "function_calling", "json_mode"]
DEFAULT_METHODS: tuple[StructuredMethod, ...] = ("json_schema", "function_calling", "json_mode")


# --------------------------------------------------------------------------- model factory


def chat_model(
    role: Role, settings: Settings | None = None, *, usage: LLMUsage | None = None
) -> BaseChatModel:
    """The chat model for one specialist role, against the configured OpenAI-compatible server.

    Client-level retries are off (every attempt is retried visibly by :mod:`kernel.llm_retry`,
    whose docstring says why) and ``stream_usage`` is on so streamed calls still report tokens.

    Args:
        role: which specialist the model serves; selects ``PMPILOT_MODEL_<ROLE>``.
        settings: deployment settings; the process-wide ones when omitted.
        usage: when given, every call of this model is counted there.

    Raises:
        ConfigError: no endpoint is configured (offline mode should have been chosen).
    """
    if role not in get_args(Role):
        raise ValueError(f"unknown role {role!r}; expected one of {get_args(Role)}")
    settings = settings or get_settings()
    if not settings.llm_configured:
        raise ConfigError("no LLM endpoint configured: set OPENAI_API_KEY or OPENAI_BASE_URL, or run offline")
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        model=settings.model_for(role),
        base_url=settings.openai_base_url,
        # Local servers (Ollama, vLLM, llama.cpp) accept any key; the client insists on one.
        api_key=SecretStr(settings.openai_api_key or "not-needed"),
        timeout=settings.llm_timeout_s,
        max_retries=0,
        temperature=0,
        stream_usage=True,
        use_responses_api=False,
        name=role,
        callbacks=[UsageCallback(usage)] if usage is not None else None,
    )


# --------------------------------------------------------------------------- method memory

_methods_lock = threading.Lock()
_working_method: dict[tuple[str, str], str] = {}
_rejected_methods: set[tuple[str, str, str]] = set()


def _model_key(model: BaseChatModel) -> tuple[str, str]:
    base_url = getattr(model, "openai_api_base", None) or ""
    name = getattr(model, "model_name", None) or getattr(model, "model", None) or type(model).__name__
    return str(base_url), str(name)


def _method_plan(key: tuple[str, str], methods: Sequence[str]) -> list[str]:
    with _methods_lock:
        known = _working_method.get(key)
        plan = [m for m in methods if (key[0], key[1], m) not in _rejected_methods]
    if known in plan:
        plan.remove(known)
        plan.insert(0, known)
    return plan or list(methods)


def remembered_method(model: BaseChatModel) -> str | None:
    """The structured-output method that last worked for this model's server, if any."""
    with _methods_lock:
        return _working_method.get(_model_key(model))


def reset_method_cache() -> None:
    """Forget which structured-output methods servers support (tests start clean)."""
    with _methods_lock:
        _working_method.clear()
        _rejected_methods.clear()


# --------------------------------------------------------------------------- structured output


class _StructuredCall(LLMCall):
    """One :func:`invoke_structured` call: method fallback on top of the shared retries."""

    def __init__(self, model: BaseChatModel, schema: type[BaseModel], messages: list[BaseMessage],
                 retries: int, methods: Sequence[str], policy: RetryPolicy | None) -> None:
        unknown = [m for m in methods if m not in DEFAULT_METHODS]
        if unknown or not methods:
            raise ValueError(f"methods must be a non-empty subset of {DEFAULT_METHODS}, got {list(methods)}")
        super().__init__(messages, retries, policy)
        self.what = f"structured output {schema.__name__}"
        self.model, self.schema = model, schema
        self.key = _model_key(model)
        self.plan = _method_plan(self.key, methods)
        self.index = 0

    @property
    def method(self) -> str:
        return self.plan[self.index]

    def prepare(self) -> tuple[Runnable[Any, Any], list[BaseMessage]]:
        messages = self.messages()
        if self.method == "json_mode":
            messages.append(HumanMessage(content=_json_mode_instruction(self.schema)))
        try:
            runnable = self.model.with_structured_output(self.schema, method=self.method, include_raw=True)
        except (NotImplementedError, ValueError) as exc:
            raise self.unsupported(exc) from exc
        return runnable, messages

    def unsupported(self, exc: BaseException) -> AttemptFailed:
        """Skip the current method for this server, or fail when none is left."""
        logger.info("structured output method %s unavailable for %s: %s", self.method, self.key, one_line(exc))
        with _methods_lock:
            _rejected_methods.add((*self.key, self.method))
            if _working_method.get(self.key) == self.method:
                del _working_method[self.key]
        self.index += 1
        if self.index >= len(self.plan):
            raise LLMRequestError(
                f"LLM server supports none of the structured output methods {self.plan}: {one_line(exc, 200)}"
            ) from exc
        return AttemptFailed("switch", one_line(exc), exc)

    def accept(self, output: Any) -> BaseModel:
        if not isinstance(output, Mapping):
            raise self.malformed(f"unexpected structured-output result {type(output).__name__}")
        parsed, error = output.get("parsed"), output.get("parsing_error")
        if isinstance(parsed, Mapping) and not isinstance(parsed, self.schema):
            try:
                parsed = self.schema.model_validate(parsed)
            except ValidationError as exc:
                raise self.malformed(_validation_feedback(exc, self.schema), exc) from exc
        if isinstance(parsed, self.schema):
            with _methods_lock:
                _working_method[self.key] = self.method
            return parsed
        if isinstance(error, ValidationError):
            raise self.malformed(_validation_feedback(error, self.schema), error)
        if isinstance(error, BaseException):
            raise self.malformed(one_line(error, FEEDBACK_LIMIT), error)
        raise self.malformed(f"the reply contained no {self.schema.__name__} object")


def _validation_feedback(exc: ValidationError, schema: type[BaseModel]) -> str:
    problems = "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or '<root>'}: {err['msg']}" for err in exc.errors()[:8]
    )
    return f"it does not validate against {schema.__name__}: {problems}"


def _json_mode_instruction(schema: type[BaseModel]) -> str:
    return (
        "Respond with one JSON object only (no prose, no code fences) that validates against this "
        f"JSON schema:\n{json.dumps(schema.model_json_schema(), separators=(',', ':'))}"
    )


def invoke_structured(
    model: BaseChatModel,
    schema: type[T],
    messages: list[BaseMessage],
    *,
    usage: LLMUsage | None = None,
    retries: int = 3,
    methods: Sequence[str] = DEFAULT_METHODS,
    policy: RetryPolicy | None = None,
    config: RunnableConfig | None = None,
) -> T:
    """Ask ``model`` for one ``schema`` instance, with method fallback and retries.

    Args:
        model: a chat model (normally from :func:`chat_model`).
        schema: the pydantic class to return; its docstrings are the contract with the model.
        messages: the prompt; user-provided text must already be delimited as data.
        usage: counts every attempt and its tokens.
        retries: retries after the first attempt, shared by transient faults and bad output.
        methods: structured-output methods to try, in order.
        policy: backoff; the process default when omitted.
        config: the caller's runnable config (LangGraph callbacks, tags), passed through.

    Raises:
        TransientError: transient faults outlasted the retries.
        LLMOutputError: the output never fit ``schema`` within the retries.
        LLMRequestError: the server rejected the request or every method.
        ConfigError: the server refused credentials or does not know the model.
    """
    call = _StructuredCall(model, schema, messages, retries, methods, policy)
    result: T = run_call(call, with_usage(model, config, usage))
    return result


async def ainvoke_structured(
    model: BaseChatModel,
    schema: type[T],
    messages: list[BaseMessage],
    *,
    usage: LLMUsage | None = None,
    retries: int = 3,
    methods: Sequence[str] = DEFAULT_METHODS,
    policy: RetryPolicy | None = None,
    config: RunnableConfig | None = None,
) -> T:
    """Async :func:`invoke_structured` (same arguments, errors and accounting)."""
    call = _StructuredCall(model, schema, messages, retries, methods, policy)
    result: T = await arun_call(call, with_usage(model, config, usage))
    return result


# --------------------------------------------------------------------------- tool calls


class _ToolsCall(LLMCall):
    """One :func:`invoke_tools` turn: replies naming unknown tools or bad arguments are re-asked."""

    what = "tool call"

    def __init__(self, model: BaseChatModel, tools: Sequence[Any], messages: list[BaseMessage],
                 retries: int, policy: RetryPolicy | None, tool_choice: str | None) -> None:
        if not tools:
            raise ValueError("invoke_tools needs at least one tool")
        super().__init__(messages, retries, policy)
        self.names = {convert_to_openai_tool(t)["function"]["name"] for t in tools}
        kwargs = {"tool_choice": tool_choice} if tool_choice else {}
        self.runnable = model.bind_tools(list(tools), **kwargs)

    def prepare(self) -> tuple[Runnable[Any, Any], list[BaseMessage]]:
        return self.runnable, self.messages()

    def unsupported(self, exc: BaseException) -> AttemptFailed:
        """A server without tool calling: there is nothing to fall back to."""
        raise LLMRequestError(f"LLM server cannot call tools: {one_line(exc, 200)}") from exc

    def accept(self, output: Any) -> AIMessage:
        if not isinstance(output, AIMessage):
            raise self.malformed(f"unexpected reply type {type(output).__name__}")
        if output.invalid_tool_calls:
            bad = ", ".join(
                f"{c.get('name') or '?'}({(c.get('error') or 'arguments are not valid JSON')[:120]})"
                for c in output.invalid_tool_calls
            )
            raise self.malformed(f"these tool calls had unusable arguments: {bad}")
        unknown = sorted({c["name"] for c in output.tool_calls} - self.names)
        if unknown:
            raise self.malformed(
                f"unknown tool(s) {', '.join(unknown)}; available tools: {', '.join(sorted(self.names))}"
            )
        return output


def invoke_tools(
    model: BaseChatModel,
    tools: Sequence[Any],
    messages: list[BaseMessage],
    *,
    usage: LLMUsage | None = None,
    retries: int = 3,
    policy: RetryPolicy | None = None,
    config: RunnableConfig | None = None,
    tool_choice: str | None = None,
) -> AIMessage:
    """One tool-calling turn: ``model.bind_tools(tools)`` under the same retry policy.

    Replies whose tool calls have unparsable arguments or name tools that were not offered are
    re-asked with the problem appended. The returned message may carry no tool calls (the model
    answered directly); the caller's loop decides what that means.

    Raises:
        TransientError: transient faults outlasted the retries.
        LLMOutputError: tool calls stayed unusable within the retries.
        LLMRequestError: the server rejected the request (e.g. no tool support).
        ConfigError: the server refused credentials or does not know the model.
    """
    call = _ToolsCall(model, tools, messages, retries, policy, tool_choice)
    message: AIMessage = run_call(call, with_usage(model, config, usage))
    return message


async def ainvoke_tools(
    model: BaseChatModel,
    tools: Sequence[Any],
    messages: list[BaseMessage],
    *,
    usage: LLMUsage | None = None,
    retries: int = 3,
    policy: RetryPolicy | None = None,
    config: RunnableConfig | None = None,
    tool_choice: str | None = None,
) -> AIMessage:
    """Async :func:`invoke_tools` (same arguments, errors and accounting)."""
    call = _ToolsCall(model, tools, messages, retries, policy, tool_choice)
    message: AIMessage = await arun_call(call, with_usage(model, config, usage))
    return message
