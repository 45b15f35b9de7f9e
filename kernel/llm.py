"""Chat-model factory and the single call policy every LLM request goes through.

LLM mode talks to any OpenAI-compatible server through ``langchain_openai.ChatOpenAI``.
Servers differ in what they support, and they fail in ordinary ways, so every call made by a
specialist goes through :func:`invoke_structured` or :func:`invoke_tools`:

* structured output is tried with ``json_schema``, then ``function_calling``, then ``json_mode``;
  a method the server rejects (400/422 naming ``response_format``/tools) is skipped, and the
  method that worked is remembered per ``(base_url, model)`` so later calls go straight to it;
* 429, 5xx, timeouts, connection errors and unreadable response bodies are retried with
  exponential backoff and jitter (``Retry-After`` honoured, capped), then surface as
  :class:`~kernel.errors.TransientError`;
* output that does not fit the schema is re-asked once per retry with the validation error
  appended, then surfaces as :class:`LLMOutputError` (a ``TransientError``);
* every attempt that reached the model counts as one call in :class:`LLMUsage`, with the
  tokens the server reported (``usage_metadata``). Token counts never come from tiktoken.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import random
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar, get_args

import openai
from langchain_core.callbacks import BaseCallbackHandler, BaseCallbackManager
from langchain_core.exceptions import (
    ContextOverflowError,
    ModelAuthenticationError,
    ModelError,
    ModelInvalidRequestError,
    ModelNotFoundError,
    ModelPermissionDeniedError,
    OutputParserException,
)
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.outputs import LLMResult
from langchain_core.runnables import Runnable, RunnableConfig
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import BaseModel, ValidationError

from kernel.errors import ConfigError, PmpilotError, TransientError
from kernel.settings import Role, Settings, get_settings

logger = logging.getLogger(__name__)

T = TypeVar("T", bound=BaseModel)
StructuredMethod = Literal["json_schema", "function_calling", "json_mode"]
DEFAULT_METHODS: tuple[StructuredMethod, ...] = ("json_schema", "function_calling", "json_mode")
_FEEDBACK_LIMIT = 1200
# A 400/422 naming one of these is a server lacking a capability (fall back to the next method) ...
_CAPABILITY_HINTS = (
    "response_format",
    "json_schema",
    "json_object",
    "structured output",
    "tool_choice",
    "tools",
    "tool call",
    "function call",
    "function_call",
    "functions",
)
# ... unless it is about the conversation itself (a bug in the prompt, not a missing feature).
_CONVERSATION_HINTS = ("messages[", "messages with role", "tool_call_id", "context length", "maximum context")


class LLMOutputError(TransientError):
    """The model kept returning output that does not fit the requested schema or tools."""


class LLMRequestError(PmpilotError):
    """The LLM server rejected a request in a way a retry cannot fix (e.g. context too long)."""


# --------------------------------------------------------------------------- usage


class LLMUsage:
    """Thread-safe running totals of LLM calls and reported tokens for one run.

    Parallel graph branches share one instance, so updates take a lock.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls = 0
        self.prompt_tokens = 0
        self.completion_tokens = 0

    def add(self, item: AIMessage | Mapping[str, Any] | LLMUsage | None = None) -> None:
        """Count one call and the tokens it reported.

        Args:
            item: an ``AIMessage`` (its ``usage_metadata`` is read), a usage mapping
                (LangChain ``input_tokens``/``output_tokens`` or OpenAI
                ``prompt_tokens``/``completion_tokens``), ``None`` for a call that
                reported nothing (e.g. it failed), or another ``LLMUsage`` to merge.
        """
        if isinstance(item, LLMUsage):
            calls, prompt, completion = item.calls, item.prompt_tokens, item.completion_tokens
        else:
            prompt, completion = _token_counts(item)
            calls = 1
        with self._lock:
            self.calls += calls
            self.prompt_tokens += prompt
            self.completion_tokens += completion

    def as_dict(self) -> dict[str, int]:
        """The ``llm`` block of run.json: ``{"calls", "prompt_tokens", "completion_tokens"}``."""
        with self._lock:
            return {
                "calls": self.calls,
                "prompt_tokens": self.prompt_tokens,
                "completion_tokens": self.completion_tokens,
            }

    def __repr__(self) -> str:
        return f"LLMUsage({self.as_dict()})"


def _token_counts(item: AIMessage | Mapping[str, Any] | None) -> tuple[int, int]:
    usage: Mapping[str, Any] | None
    if isinstance(item, AIMessage):
        usage = item.usage_metadata  # type: ignore[assignment]
    else:
        usage = item
    if not usage:
        return 0, 0
    prompt = usage.get("input_tokens", usage.get("prompt_tokens")) or 0
    completion = usage.get("output_tokens", usage.get("completion_tokens")) or 0
    return int(prompt), int(completion)


class UsageCallback(BaseCallbackHandler):
    """Callback handler that adds every chat-model call (success or error) to an :class:`LLMUsage`."""

    run_inline = True

    def __init__(self, usage: LLMUsage) -> None:
        self.usage = usage

    def on_llm_end(self, response: LLMResult, **kwargs: Any) -> None:
        """Count a finished call with the tokens from its message (or ``llm_output``)."""
        message: AIMessage | None = None
        for generations in response.generations:
            for generation in generations:
                candidate = getattr(generation, "message", None)
                if isinstance(candidate, AIMessage):
                    message = candidate
                    break
            if message is not None:
                break
        if message is not None and message.usage_metadata:
            self.usage.add(message)
            return
        token_usage = (response.llm_output or {}).get("token_usage")
        self.usage.add(token_usage if isinstance(token_usage, Mapping) else None)

    def on_llm_error(self, error: BaseException, **kwargs: Any) -> None:
        """Count a failed call: it reached (or tried to reach) the server."""
        self.usage.add(None)


def _with_usage(
    model: BaseChatModel, config: RunnableConfig | None, usage: LLMUsage | None
) -> RunnableConfig:
    """A copy of ``config`` whose callbacks also feed ``usage`` (unless the model already does)."""
    merged: RunnableConfig = dict(config or {})  # type: ignore[assignment]
    if usage is None or _model_feeds(model, usage):
        return merged
    handler = UsageCallback(usage)
    callbacks = merged.get("callbacks")
    if callbacks is None:
        merged["callbacks"] = [handler]
    elif isinstance(callbacks, BaseCallbackManager):
        manager = callbacks.copy()
        manager.add_handler(handler, inherit=True)
        merged["callbacks"] = manager
    else:
        merged["callbacks"] = [*callbacks, handler]
    return merged


def _model_feeds(model: BaseChatModel, usage: LLMUsage) -> bool:
    callbacks = model.callbacks
    handlers = callbacks.handlers if isinstance(callbacks, BaseCallbackManager) else (callbacks or [])
    return any(isinstance(h, UsageCallback) and h.usage is usage for h in handlers)


# --------------------------------------------------------------------------- model factory


def chat_model(
    role: Role, settings: Settings | None = None, *, usage: LLMUsage | None = None
) -> BaseChatModel:
    """The chat model for one specialist role, against the configured OpenAI-compatible server.

    Client-level retries are off (:func:`invoke_structured` retries with its own policy) and
    ``stream_usage`` is on so streamed calls still report tokens.

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
        api_key=settings.openai_api_key or "not-needed",
        timeout=settings.llm_timeout_s,
        max_retries=0,
        temperature=0,
        stream_usage=True,
        use_responses_api=False,
        name=role,
        callbacks=[UsageCallback(usage)] if usage is not None else None,
    )


# --------------------------------------------------------------------------- retry policy


@dataclass(frozen=True)
class RetryPolicy:
    """Backoff between retried LLM attempts.

    Attributes:
        base_delay_s: delay before the first retry; doubles each retry.
        max_delay_s: cap on the exponential delay.
        jitter: up to this fraction is added at random, so parallel branches spread out.
        max_retry_after_s: cap on a server's ``Retry-After`` request.
    """

    base_delay_s: float = 1.0
    max_delay_s: float = 20.0
    jitter: float = 0.5
    max_retry_after_s: float = 30.0


_policy_lock = threading.Lock()
_default_policy = RetryPolicy()


def default_retry_policy() -> RetryPolicy:
    """The policy used when a call passes none."""
    return _default_policy


def set_default_retry_policy(policy: RetryPolicy) -> RetryPolicy:
    """Replace the process-wide default policy (tests use tiny delays); returns the previous one."""
    global _default_policy
    with _policy_lock:
        previous, _default_policy = _default_policy, policy
    return previous


def backoff_delay(
    retry: int, policy: RetryPolicy, retry_after: float | None = None, rng: random.Random | None = None
) -> float:
    """Seconds to wait before retry number ``retry`` (1-based).

    Exponential with jitter, capped at ``max_delay_s``; never shorter than the server's
    ``Retry-After`` (itself capped at ``max_retry_after_s``).
    """
    exponential = min(policy.max_delay_s, policy.base_delay_s * (2 ** max(retry - 1, 0)))
    draw = (rng or random).random()
    delay = min(policy.max_delay_s, exponential * (1.0 + policy.jitter * draw))
    if retry_after is not None and retry_after > 0:
        delay = max(delay, min(retry_after, policy.max_retry_after_s))
    return delay


def retry_after_seconds(headers: Mapping[str, str] | None) -> float | None:
    """Parse ``retry-after-ms`` / ``Retry-After`` (seconds or HTTP date) into seconds."""
    if not headers:
        return None
    lowered = {k.lower(): v for k, v in headers.items()}
    if "retry-after-ms" in lowered:
        try:
            return float(lowered["retry-after-ms"]) / 1000.0
        except ValueError:
            logger.debug("ignoring unparsable retry-after-ms %r", lowered["retry-after-ms"])
    value = lowered.get("retry-after")
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        when = email.utils.parsedate_to_datetime(value) if value.strip() else None
        if when is None:
            return None
        return max(0.0, when.timestamp() - time.time())


# --------------------------------------------------------------------------- error classification

_Kind = Literal["transient", "malformed", "unsupported", "config", "fatal", "unknown"]


def _status_of(exc: BaseException) -> int | None:
    status = getattr(exc, "status_code", None)
    return status if isinstance(status, int) else None


def _headers_of(exc: BaseException) -> Mapping[str, str] | None:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    return headers if isinstance(headers, Mapping) else None


def _mentions_capability(exc: BaseException) -> bool:
    text = str(getattr(exc, "message", "") or exc).lower()
    if any(hint in text for hint in _CONVERSATION_HINTS):
        return False
    return any(hint in text for hint in _CAPABILITY_HINTS)


def _classify(exc: BaseException) -> _Kind:
    """Sort an exception raised by a model call into what the retry loop should do with it."""
    if isinstance(exc, ContextOverflowError):
        return "fatal"
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        if status in (408, 409, 429) or status >= 500:
            return "transient"
        if status in (401, 403, 404):
            return "config"
        if status in (400, 422):
            return "unsupported" if _mentions_capability(exc) else "fatal"
        return "fatal"
    if isinstance(exc, (openai.APITimeoutError, openai.APIConnectionError)):
        return "transient"
    if isinstance(exc, openai.APIResponseValidationError):
        return "transient"
    if isinstance(exc, (openai.LengthFinishReasonError, openai.ContentFilterFinishReasonError)):
        return "malformed"
    if isinstance(exc, ModelError):
        if exc.is_retryable:
            return "transient"
        if isinstance(exc, (ModelAuthenticationError, ModelPermissionDeniedError, ModelNotFoundError)):
            return "config"
        if isinstance(exc, ModelInvalidRequestError):
            return "unsupported" if _mentions_capability(exc) else "fatal"
        return "fatal"
    if isinstance(exc, NotImplementedError):
        return "unsupported"
    if isinstance(exc, json.JSONDecodeError):
        # The HTTP body itself was not JSON: a broken proxy or server hiccup, not the model's answer.
        return "transient"
    if isinstance(exc, (ValidationError, OutputParserException)):
        return "malformed"
    if type(exc).__name__ == "OpenAIRefusalError":
        return "malformed"
    if isinstance(exc, (TimeoutError, ConnectionError)):
        return "transient"
    return "unknown"


def _one_line(exc: BaseException, limit: int = 300) -> str:
    text = " ".join(str(getattr(exc, "message", None) or exc).split())
    return f"{type(exc).__name__}: {text[:limit]}"


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
        plan.insert(0, known)  # type: ignore[arg-type]
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


# --------------------------------------------------------------------------- attempt engine


class _Attempts:
    """Retry bookkeeping shared by the sync and async loops of one logical call."""

    def __init__(self, what: str, retries: int, policy: RetryPolicy | None) -> None:
        self.what = what
        self.retries = max(0, retries)
        self.policy = policy or default_retry_policy()
        self.failures = 0
        self.feedback: str | None = None
        self.last_error: str | None = None

    def transient(self, exc: BaseException) -> float:
        """Record a transient fault; the delay before the next attempt, or raise when exhausted."""
        self.failures += 1
        self.last_error = _one_line(exc)
        if self.failures > self.retries:
            raise TransientError(
                f"LLM {self.what} failed after {self.failures} attempts: {self.last_error}"
            ) from exc
        delay = backoff_delay(self.failures, self.policy, retry_after_seconds(_headers_of(exc)))
        logger.warning("LLM %s attempt %d failed (%s); retrying in %.2fs",
                       self.what, self.failures, self.last_error, delay)
        return delay

    def malformed(self, problem: str, cause: BaseException | None = None) -> None:
        """Record output that did not fit; the next attempt carries the problem as feedback."""
        self.failures += 1
        self.last_error = problem
        if self.failures > self.retries:
            raise LLMOutputError(
                f"LLM {self.what}: no valid output after {self.failures} attempts: {problem[:300]}"
            ) from cause
        logger.warning("LLM %s attempt %d gave unusable output: %s", self.what, self.failures, problem[:300])
        self.feedback = problem[:_FEEDBACK_LIMIT]

    def messages(self, base: list[BaseMessage]) -> list[BaseMessage]:
        """The conversation for the next attempt: the original plus the last problem, if any."""
        if self.feedback is None:
            return list(base)
        return [
            *base,
            HumanMessage(
                content=(
                    "Your previous reply could not be used: "
                    f"{self.feedback}\nReply again, following the requested format exactly."
                )
            ),
        ]

    def fail_hard(self, kind: _Kind, exc: BaseException) -> None:
        """Map a non-retryable failure to a project error."""
        if kind == "config":
            raise ConfigError(f"LLM endpoint refused the request ({_one_line(exc, 200)})") from exc
        if kind == "fatal":
            raise LLMRequestError(f"LLM {self.what} rejected: {_one_line(exc, 200)}") from exc


class _StructuredCall:
    """State machine of one :func:`invoke_structured` call."""

    def __init__(
        self,
        model: BaseChatModel,
        schema: type[BaseModel],
        messages: list[BaseMessage],
        retries: int,
        methods: Sequence[str],
        policy: RetryPolicy | None,
    ) -> None:
        unknown = [m for m in methods if m not in DEFAULT_METHODS]
        if unknown or not methods:
            raise ValueError(f"methods must be a non-empty subset of {DEFAULT_METHODS}, got {list(methods)}")
        self.model = model
        self.schema = schema
        self.base = list(messages)
        self.key = _model_key(model)
        self.plan = _method_plan(self.key, methods)
        self.index = 0
        self.attempts = _Attempts(f"structured output {schema.__name__}", retries, policy)

    @property
    def method(self) -> str:
        return self.plan[self.index]

    def prepare(self) -> tuple[Runnable[Any, Any] | None, list[BaseMessage]]:
        """The runnable and messages of the next attempt (runnable ``None`` = method unavailable)."""
        messages = self.attempts.messages(self.base)
        if self.method == "json_mode":
            messages.append(HumanMessage(content=_json_mode_instruction(self.schema)))
        try:
            runnable = self.model.with_structured_output(self.schema, method=self.method, include_raw=True)
        except (NotImplementedError, ValueError) as exc:
            self.unsupported(exc)
            return None, messages
        return runnable, messages

    def unsupported(self, exc: BaseException) -> None:
        """Skip the current method for this server, or fail when none is left."""
        logger.info("structured output method %s unavailable for %s: %s", self.method, self.key, _one_line(exc))
        with _methods_lock:
            _rejected_methods.add((*self.key, self.method))
            if _working_method.get(self.key) == self.method:
                del _working_method[self.key]
        self.index += 1
        if self.index >= len(self.plan):
            raise LLMRequestError(
                f"LLM server supports none of the structured output methods {self.plan}: {_one_line(exc, 200)}"
            ) from exc

    def on_error(self, exc: BaseException) -> float | None:
        """Delay before the next attempt, ``None`` when ``exc`` is not ours to handle; may raise."""
        kind = _classify(exc)
        if kind == "unknown":
            return None
        if kind == "unsupported":
            self.unsupported(exc)
            return 0.0
        if kind == "transient":
            return self.attempts.transient(exc)
        if kind == "malformed":
            self.attempts.malformed(_one_line(exc, _FEEDBACK_LIMIT), exc)
            return 0.0
        self.attempts.fail_hard(kind, exc)
        return None

    def on_output(self, output: Any) -> BaseModel | None:
        """The parsed object, or ``None`` after recording why the output was unusable."""
        if not isinstance(output, Mapping):
            self.attempts.malformed(f"unexpected structured-output result {type(output).__name__}")
            return None
        parsed = output.get("parsed")
        if isinstance(parsed, self.schema):
            with _methods_lock:
                _working_method[self.key] = self.method
            return parsed
        if isinstance(parsed, Mapping):
            try:
                value = self.schema.model_validate(parsed)
            except ValidationError as exc:
                self.attempts.malformed(_validation_feedback(exc, self.schema), exc)
                return None
            with _methods_lock:
                _working_method[self.key] = self.method
            return value
        error = output.get("parsing_error")
        if isinstance(error, BaseException):
            problem = (
                _validation_feedback(error, self.schema)
                if isinstance(error, ValidationError)
                else _one_line(error, _FEEDBACK_LIMIT)
            )
            self.attempts.malformed(problem, error)
        else:
            self.attempts.malformed(f"the reply contained no {self.schema.__name__} object")
        return None


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
    run_config = _with_usage(model, config, usage)
    while True:
        runnable, prompt = call.prepare()
        if runnable is None:
            continue
        try:
            output = runnable.invoke(prompt, config=run_config)
        except Exception as exc:  # sorted by _classify; anything unrecognised propagates unchanged
            delay = call.on_error(exc)
            if delay is None:
                raise
            if delay:
                time.sleep(delay)
            continue
        parsed = call.on_output(output)
        if parsed is not None:
            return parsed  # type: ignore[return-value]


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
    run_config = _with_usage(model, config, usage)
    while True:
        runnable, prompt = call.prepare()
        if runnable is None:
            continue
        try:
            output = await runnable.ainvoke(prompt, config=run_config)
        except Exception as exc:  # sorted by _classify; anything unrecognised propagates unchanged
            delay = call.on_error(exc)
            if delay is None:
                raise
            if delay:
                await asyncio.sleep(delay)
            continue
        parsed = call.on_output(output)
        if parsed is not None:
            return parsed  # type: ignore[return-value]


class _ToolsCall:
    """State machine of one :func:`invoke_tools` call."""

    def __init__(
        self,
        model: BaseChatModel,
        tools: Sequence[Any],
        messages: list[BaseMessage],
        retries: int,
        policy: RetryPolicy | None,
        tool_choice: str | None,
    ) -> None:
        if not tools:
            raise ValueError("invoke_tools needs at least one tool")
        self.names = {convert_to_openai_tool(t)["function"]["name"] for t in tools}
        kwargs = {"tool_choice": tool_choice} if tool_choice else {}
        self.runnable = model.bind_tools(list(tools), **kwargs)
        self.base = list(messages)
        self.attempts = _Attempts("tool call", retries, policy)

    def on_error(self, exc: BaseException) -> float | None:
        kind = _classify(exc)
        if kind in ("unknown", "unsupported"):
            if kind == "unsupported":
                raise LLMRequestError(f"LLM server cannot call tools: {_one_line(exc, 200)}") from exc
            return None
        if kind == "transient":
            return self.attempts.transient(exc)
        if kind == "malformed":
            self.attempts.malformed(_one_line(exc, _FEEDBACK_LIMIT), exc)
            return 0.0
        self.attempts.fail_hard(kind, exc)
        return None

    def on_output(self, output: Any) -> AIMessage | None:
        if not isinstance(output, AIMessage):
            self.attempts.malformed(f"unexpected reply type {type(output).__name__}")
            return None
        if output.invalid_tool_calls:
            bad = ", ".join(
                f"{c.get('name') or '?'}({(c.get('error') or 'arguments are not valid JSON')[:120]})"
                for c in output.invalid_tool_calls
            )
            self.attempts.malformed(f"these tool calls had unusable arguments: {bad}")
            return None
        unknown = sorted({c["name"] for c in output.tool_calls} - self.names)
        if unknown:
            self.attempts.malformed(
                f"unknown tool(s) {', '.join(unknown)}; available tools: {', '.join(sorted(self.names))}"
            )
            return None
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
    run_config = _with_usage(model, config, usage)
    while True:
        try:
            output = call.runnable.invoke(call.attempts.messages(call.base), config=run_config)
        except Exception as exc:  # sorted by _classify; anything unrecognised propagates unchanged
            delay = call.on_error(exc)
            if delay is None:
                raise
            if delay:
                time.sleep(delay)
            continue
        message = call.on_output(output)
        if message is not None:
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
    run_config = _with_usage(model, config, usage)
    while True:
        try:
            output = await call.runnable.ainvoke(call.attempts.messages(call.base), config=run_config)
        except Exception as exc:  # sorted by _classify; anything unrecognised propagates unchanged
            delay = call.on_error(exc)
            if delay is None:
                raise
            if delay:
                await asyncio.sleep(delay)
            continue
        message = call.on_output(output)
        if message is not None:
            return message
