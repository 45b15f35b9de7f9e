"""Accounting of LLM calls: how many attempts reached the server and the tokens it reported.

Every attempt counts as one call, so retries are visible in ``run.json``; token counts come from
the server's ``usage`` block, never from tiktoken.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from langchain_core.callbacks import BaseCallbackHandler, BaseCallbackManager
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage
from langchain_core.outputs import LLMResult
from langchain_core.runnables import RunnableConfig


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
        usage = item.usage_metadata
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


def with_usage(model: BaseChatModel, config: RunnableConfig | None, usage: LLMUsage | None) -> RunnableConfig:
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
