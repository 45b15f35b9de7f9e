"""The one retry policy every LLM attempt runs under (tenacity drives it, sync or async).

What is retried and how:

* 429, 408/409, 5xx, timeouts, connection errors and unreadable response bodies are retried with
  exponential backoff and jitter (``Retry-After``/``retry-after-ms`` honoured, capped), then
  surface as :class:`~kernel.errors.TransientError`;
* output that does not fit (a schema, the offered tools) is re-asked at once with the problem
  appended, then surfaces as :class:`LLMOutputError` (a ``TransientError``);
* faults and re-asks share one budget of ``retries``; a capability the server lacks is not a
  failure (the caller switches method, or raises :class:`LLMRequestError`);
* credentials, unknown models and malformed requests fail at once (:class:`ConfigError`,
  :class:`LLMRequestError`); exceptions that are not model faults propagate unchanged.

The OpenAI SDK's own retries stay off (``max_retries=0`` in :func:`kernel.llm.chat_model`): they
are invisible to LangChain's callbacks, so a retried 429 would not count as a call in
``run.json``; their delays cannot be configured; and they cover neither bad output nor other
chat-model classes. tenacity is the loop, the sync/async sleep and the stop/wait/retry hooks;
the rules above are the hooks.
"""

from __future__ import annotations

import email.utils
import json
import logging
import random
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import openai
from langchain_core.exceptions import (
    ContextOverflowError,
    ModelAuthenticationError,
    ModelError,
    ModelInvalidRequestError,
    ModelNotFoundError,
    ModelPermissionDeniedError,
    OutputParserException,
)
from langchain_core.messages import BaseMessage, HumanMessage
from langchain_core.runnables import Runnable, RunnableConfig
from pydantic import ValidationError
from tenacity import AsyncRetrying, RetryCallState, Retrying, retry_if_exception_type

from kernel.errors import ConfigError, PmpilotError, TransientError

logger = logging.getLogger(__name__)

FEEDBACK_LIMIT = 1200
# A 400/422 naming one of these is a server lacking a capability (fall back to the next method) ...
_CAPABILITY_HINTS = ("response_format", "json_schema", "json_object", "structured output", "tool_choice", "tools",
                     "tool call", "function call", "function_call", "functions")
# ... unless it is about the conversation itself (a bug in the prompt, not a missing feature).
_CONVERSATION_HINTS = ("messages[", "messages with role", "tool_call_id", "context length", "maximum context")


class LLMOutputError(TransientError):
    """The model kept returning output that does not fit the requested schema or tools."""


class LLMRequestError(PmpilotError):
    """The LLM server rejected a request in a way a retry cannot fix (e.g. context too long)."""


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
    exponential = min(policy.max_delay_s, policy.base_delay_s * (2.0 ** max(retry - 1, 0)))
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


def one_line(exc: BaseException, limit: int = 300) -> str:
    """``Type: message`` on one line, cut at ``limit`` characters."""
    text = " ".join(str(getattr(exc, "message", None) or exc).split())
    return f"{type(exc).__name__}: {text[:limit]}"


# --------------------------------------------------------------------------- attempt engine


class AttemptFailed(Exception):
    """Raised inside an attempt to ask for another one; ``kind`` says why."""

    def __init__(self, kind: Literal["transient", "malformed", "switch"], problem: str,
                 cause: BaseException | None = None) -> None:
        super().__init__(problem)
        self.kind, self.problem, self.cause = kind, problem, cause


class LLMCall:
    """One logical call: its attempts, failure count and the feedback a re-ask carries.

    Subclasses say how to prepare an attempt and what output is usable; :func:`run_call` and
    :func:`arun_call` run the attempts under the one policy.
    """

    what = "call"

    def __init__(self, messages: list[BaseMessage], retries: int, policy: RetryPolicy | None) -> None:
        self.base = list(messages)
        self.retries = max(0, retries)
        self.policy = policy or default_retry_policy()
        self.failures = 0
        self.feedback: str | None = None

    def prepare(self) -> tuple[Runnable[Any, Any], list[BaseMessage]]:
        """The runnable and the conversation of the next attempt."""
        raise NotImplementedError

    def accept(self, output: Any) -> Any:
        """The usable result of ``output``; raises :class:`AttemptFailed` when it is not usable."""
        raise NotImplementedError

    def unsupported(self, exc: BaseException) -> AttemptFailed:
        """The server lacks what this attempt used: the retry to make (another method), or raise."""
        raise LLMRequestError(f"LLM server does not support this {self.what}: {one_line(exc, 200)}") from exc

    def messages(self) -> list[BaseMessage]:
        """The original conversation plus the last problem, if any (feedback replaces, never accumulates)."""
        if self.feedback is None:
            return list(self.base)
        note = (f"Your previous reply could not be used: {self.feedback}\n"
                "Reply again, following the requested format exactly.")
        return [*self.base, HumanMessage(content=note)]

    def malformed(self, problem: str, cause: BaseException | None = None) -> AttemptFailed:
        """Output that did not fit: the next attempt carries the problem as feedback."""
        self.failures += 1
        self.feedback = problem[:FEEDBACK_LIMIT]
        return AttemptFailed("malformed", problem, cause)

    def fault(self, exc: BaseException) -> None:
        """Sort a model call's exception: raise a retry or a project error; return when it is not ours."""
        kind = _classify(exc)
        if kind == "transient":
            self.failures += 1
            raise AttemptFailed("transient", one_line(exc), exc) from exc
        if kind == "malformed":
            raise self.malformed(one_line(exc, FEEDBACK_LIMIT), exc) from exc
        if kind == "unsupported":
            raise self.unsupported(exc) from exc
        if kind == "config":
            raise ConfigError(f"LLM endpoint refused the request ({one_line(exc, 200)})") from exc
        if kind == "fatal":
            raise LLMRequestError(f"LLM {self.what} rejected: {one_line(exc, 200)}") from exc

    def wait(self, state: RetryCallState) -> float:
        """Backoff before a retried fault (``Retry-After`` honoured); re-asks and switches go at once."""
        retry = _retry_of(state)
        if retry.kind != "transient" or retry.cause is None:
            return 0.0
        return backoff_delay(self.failures, self.policy, retry_after_seconds(_headers_of(retry.cause)))

    def before_sleep(self, state: RetryCallState) -> None:
        """Log the failure that is about to be retried."""
        retry = _retry_of(state)
        if retry.kind == "switch":
            return
        delay = state.next_action.sleep if state.next_action else 0.0
        logger.warning("LLM %s attempt %d failed (%s); retrying in %.2fs", self.what, self.failures,
                       retry.problem[:300], delay)

    def give_up(self, state: RetryCallState) -> Any:
        """Raise the project error for retries that ran out."""
        retry = _retry_of(state)
        if retry.kind == "transient":
            raise TransientError(
                f"LLM {self.what} failed after {self.failures} attempts: {retry.problem}"
            ) from retry.cause
        raise LLMOutputError(
            f"LLM {self.what}: no valid output after {self.failures} attempts: {retry.problem[:300]}"
        ) from retry.cause


def _retry_of(state: RetryCallState) -> AttemptFailed:
    exc = state.outcome.exception() if state.outcome else None
    assert isinstance(exc, AttemptFailed), "only AttemptFailed is retried"
    return exc


def _policy(call: LLMCall) -> dict[str, Any]:
    """The one retry policy as tenacity hooks: retry :class:`AttemptFailed` until the budget is spent."""
    return {
        "retry": retry_if_exception_type(AttemptFailed),
        "stop": lambda _state: call.failures > call.retries,
        "wait": call.wait,
        "before_sleep": call.before_sleep,
        "retry_error_callback": call.give_up,
    }


def run_call(call: LLMCall, config: RunnableConfig) -> Any:
    """Run ``call``'s attempts under the policy; the usable result of the first good attempt."""

    def attempt() -> Any:
        runnable, prompt = call.prepare()
        try:
            output = runnable.invoke(prompt, config=config)
        except Exception as exc:  # sorted by LLMCall.fault; anything unrecognised propagates unchanged
            call.fault(exc)
            raise
        return call.accept(output)

    return Retrying(**_policy(call))(attempt)


async def arun_call(call: LLMCall, config: RunnableConfig) -> Any:
    """Async :func:`run_call`."""

    async def attempt() -> Any:
        runnable, prompt = call.prepare()
        try:
            output = await runnable.ainvoke(prompt, config=config)
        except Exception as exc:  # sorted by LLMCall.fault; anything unrecognised propagates unchanged
            call.fault(exc)
            raise
        return call.accept(output)

    return await AsyncRetrying(**_policy(call))(attempt)
