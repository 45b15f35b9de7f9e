"""A scripted LangChain chat model for unit tests of nodes, with ``bind_tools`` and ``with_structured_output``.

``langchain_core``'s ``GenericFakeChatModel`` supports neither; this model does, the way
``ChatOpenAI`` does (same ``include_raw`` result shape), so code under test cannot tell the
difference between it and a real client except that no HTTP happens.

Usage::

    model = ScriptedChatModel(script=[Plan(...), "free text", ModelRateLimitError("slow down")])
    plan = invoke_structured(model, Plan, messages)        # → the Plan from the script
    assert model.calls[0].structured_method == "json_schema"

Script items, consumed one per call (then ``responder(call)``, then an automatic reply):

* a pydantic object or dict — structured output: a forced tool call under ``function_calling``,
  JSON content otherwise;
* ``str`` — assistant text (use it to script malformed JSON);
* ``AIMessage`` — sent as is (e.g. built with :func:`tool_call_message`);
* an exception instance — raised by the call (use ``langchain_core.exceptions.ModelRateLimitError``
  and friends for transient faults);
* a callable ``(ScriptedCall) -> item``.

``reject_methods={"json_schema"}`` makes structured calls with those methods fail as a server
would (``ModelInvalidRequestError`` naming ``response_format``).
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.exceptions import ModelInvalidRequestError, OutputParserException
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.output_parsers.openai_tools import PydanticToolsParser
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable, RunnableLambda, RunnableMap, RunnablePassthrough
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError

from tests.support.scripted_openai import minimal_instance

_ids = itertools.count(1)


def tool_call_message(*calls: tuple[str, Mapping[str, Any]], content: str = "") -> AIMessage:
    """An assistant message calling tools: ``tool_call_message(("search", {"query": "sync"}))``."""
    return AIMessage(
        content=content,
        tool_calls=[{"name": name, "args": dict(args), "id": f"call_{next(_ids)}", "type": "tool_call"}
                    for name, args in calls],
    )


@dataclass
class ScriptedCall:
    """One invocation of the model, as recorded for assertions."""

    messages: list[BaseMessage]
    tools: list[dict[str, Any]] = field(default_factory=list)
    tool_choice: Any = None
    structured_schema: type[BaseModel] | None = None
    structured_method: str | None = None

    @property
    def tool_names(self) -> list[str]:
        return [t["function"]["name"] for t in self.tools]

    @property
    def text(self) -> str:
        """All prompt text of the call, joined."""
        return "\n".join(m.text for m in self.messages)


def _estimate(text: str) -> int:
    return max(1, len(text) // 4)


class ScriptedChatModel(BaseChatModel):
    """Chat model whose replies come from a script; records every call."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    script: list[Any] = Field(default_factory=list)
    responder: Callable[[ScriptedCall], Any] | None = None
    reject_methods: set[str] = Field(default_factory=set)
    model_name: str = "scripted-chat"
    calls: list[ScriptedCall] = Field(default_factory=list)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @property
    def _llm_type(self) -> str:
        return "scripted-chat"

    def push(self, *items: Any) -> ScriptedChatModel:
        """Append items to the script."""
        with self._lock:
            self.script.extend(items)
        return self

    # ---- generation

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        structured = kwargs.get("scripted_structured") or {}
        call = ScriptedCall(
            messages=list(messages),
            tools=list(kwargs.get("tools") or []),
            tool_choice=kwargs.get("tool_choice"),
            structured_schema=structured.get("schema"),
            structured_method=structured.get("method"),
        )
        with self._lock:
            self.calls.append(call)
            rejected = call.structured_method in self.reject_methods
            item = self.script.pop(0) if self.script and not rejected else None
        if rejected:
            raise ModelInvalidRequestError(
                f"response_format/tools method {call.structured_method!r} is not supported by this model"
            )
        if item is None and self.responder is not None:
            item = self.responder(call)
        if item is None:
            item = self._auto(call)
        message = self._to_message(item, call)
        if message.usage_metadata is None:
            prompt = _estimate(call.text)
            completion = _estimate(message.text + json.dumps([c["args"] for c in message.tool_calls]))
            message.usage_metadata = {
                "input_tokens": prompt, "output_tokens": completion, "total_tokens": prompt + completion,
            }
        return ChatResult(generations=[ChatGeneration(message=message)])

    @staticmethod
    def _auto(call: ScriptedCall) -> Any:
        if call.structured_schema is not None:
            return minimal_instance(call.structured_schema.model_json_schema())
        return "OK"

    def _to_message(self, item: Any, call: ScriptedCall) -> AIMessage:
        while callable(item) and not isinstance(item, (BaseModel, AIMessage, BaseException, type)):
            item = item(call)
        if isinstance(item, BaseException) or (isinstance(item, type) and issubclass(item, BaseException)):
            raise item
        if isinstance(item, AIMessage):
            return item.model_copy(deep=True)
        if isinstance(item, str):
            return AIMessage(content=item)
        if isinstance(item, (BaseModel, Mapping)):
            data = item.model_dump(mode="json") if isinstance(item, BaseModel) else dict(item)
            if call.structured_method == "function_calling" or (call.tools and call.structured_schema is None):
                name = (
                    convert_to_openai_tool(call.structured_schema)["function"]["name"]
                    if call.structured_schema is not None
                    else call.tool_names[0]
                )
                return tool_call_message((name, data))
            return AIMessage(content=json.dumps(data))
        raise TypeError(f"cannot script a reply from {type(item).__name__}")

    # ---- LangChain surface

    def bind_tools(
        self,
        tools: Sequence[Any],
        *,
        tool_choice: Any = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools the way ChatOpenAI does (OpenAI tool dicts in the call kwargs)."""
        formatted = [convert_to_openai_tool(t) for t in tools]
        return self.bind(tools=formatted, tool_choice=tool_choice, **kwargs)

    def with_structured_output(
        self,
        schema: Any,
        *,
        method: str = "json_schema",
        include_raw: bool = False,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, Any]:
        """Structured output for a pydantic ``schema``, with ChatOpenAI's ``include_raw`` shape."""
        if not (isinstance(schema, type) and issubclass(schema, BaseModel)):
            raise NotImplementedError("ScriptedChatModel supports pydantic schemas only")
        if method not in ("json_schema", "function_calling", "json_mode"):
            raise ValueError(f"unknown method {method!r}")
        structured = {"schema": schema, "method": method}
        parser: Runnable[Any, Any]
        if method == "function_calling":
            llm = self.bind_tools([schema], tool_choice=convert_to_openai_tool(schema)["function"]["name"],
                                  scripted_structured=structured)
            parser = PydanticToolsParser(tools=[schema], first_tool_only=True)
        else:
            llm = self.bind(scripted_structured=structured)
            parser = RunnableLambda(lambda message: _parse_json_content(message, schema))
        if not include_raw:
            return llm | parser
        parse_ok = RunnablePassthrough.assign(parsed=itemgetter("raw") | parser, parsing_error=lambda _: None)
        parse_none = RunnablePassthrough.assign(parsed=lambda _: None)
        return RunnableMap(raw=llm) | parse_ok.with_fallbacks([parse_none], exception_key="parsing_error")


def _parse_json_content(message: AIMessage, schema: type[BaseModel]) -> BaseModel:
    try:
        return schema.model_validate_json(message.text)
    except ValidationError as exc:
        raise OutputParserException(f"invalid {schema.__name__}: {exc}", llm_output=message.text) from exc
