"""A real OpenAI-compatible HTTP server on 127.0.0.1 whose replies are scripted by the test.

It speaks enough of the OpenAI API for ``langchain_openai`` and the ``openai`` SDK:

* ``POST /v1/chat/completions`` — plain and streaming (SSE, ``stream_options.include_usage``),
  honouring ``response_format`` (``json_schema`` / ``json_object``) and ``tools`` / ``tool_choice``;
* ``POST /v1/embeddings`` — deterministic hashing embeddings (float list or base64);
* ``GET /v1/models``.

Usage::

    def test_plan(scripted_openai):               # fixture: env points pmpilot at the server
        scripted_openai.push(
            ScriptedReply.error(429, retry_after=0.01),   # first call: rate limited
            ScriptedReply(structured=Plan(...)),          # second call: the answer
        )
        run_something()                                   # uses get_settings() → the server
        assert len(scripted_openai.chat_requests) == 2
        assert "<signal" in scripted_openai.chat_requests[-1].request.text

Replies come from the queue (``push``) first, then from ``responder(request)``, then — when
``auto=True`` (the default) — from an automatic responder that returns a minimal valid object for
structured requests, no tool call for tool requests, and ``"OK"`` otherwise. A ``structured``
value is serialised the way the request asked for it: ``json_schema``/``json_object`` content or
the arguments of the forced tool call (``function_calling``).

Faults: ``ScriptedReply.error(status, retry_after=...)``, ``.timeout()``, ``.malformed_body()``,
``.invalid_json()``; ``reject_json_schema=True`` / ``reject_tools=True`` answer 400 to requests
using those features (without consuming a scripted reply) so fallbacks can be tested.
Every request is recorded in ``requests`` (``chat_requests`` for completions) with its outcome.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import math
import re
import struct
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from pydantic import BaseModel

API_KEY = "sk-scripted-test"

# --------------------------------------------------------------------------- replies


@dataclass
class ScriptedReply:
    """One scripted answer (or fault) of the server.

    Attributes:
        content: assistant text. Ignored when ``structured`` is set for a structured request.
        tool_calls: ``[{"name": str, "arguments": dict | str, "id": str?}]``.
        structured: a pydantic object or dict, serialised per the request's mode.
        prompt_tokens / completion_tokens: reported usage; estimated from text when ``None``.
        status: HTTP status; non-200 sends an OpenAI-style error body.
        error_message: message of the error body.
        retry_after: ``Retry-After`` header (seconds) on an error.
        hang_s: sleep this long without answering (a client timeout); interrupted on stop.
        raw_body: sent verbatim as the 200 response body (malformed JSON).
        broken_json: serialise the structured value / content as truncated, invalid JSON.
        latency_s: delay before answering (added to the server's ``latency_s``).
        finish_reason: overrides the computed one.
    """

    content: str | None = None
    tool_calls: list[dict[str, Any]] | None = None
    structured: BaseModel | Mapping[str, Any] | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    status: int = 200
    error_message: str | None = None
    retry_after: float | None = None
    hang_s: float | None = None
    raw_body: str | None = None
    broken_json: bool = False
    latency_s: float = 0.0
    finish_reason: str | None = None

    @classmethod
    def error(cls, status: int, message: str | None = None, *, retry_after: float | None = None) -> ScriptedReply:
        """An HTTP error (429, 500, 503, 400 ...)."""
        return cls(status=status, error_message=message, retry_after=retry_after)

    @classmethod
    def timeout(cls, hang_s: float = 30.0) -> ScriptedReply:
        """Hold the connection without answering (longer than the client timeout)."""
        return cls(hang_s=hang_s)

    @classmethod
    def malformed_body(cls) -> ScriptedReply:
        """A 200 whose body is not JSON at all."""
        return cls(raw_body='{"id": "chatcmpl-broken", "choices": [')

    @classmethod
    def invalid_json(cls, structured: BaseModel | Mapping[str, Any] | None = None) -> ScriptedReply:
        """Structured output that is not valid JSON (truncated), in whatever mode was requested."""
        return cls(structured=structured, broken_json=True)

    @property
    def kind(self) -> str:
        if self.hang_s is not None:
            return "timeout"
        if self.status != 200:
            return f"http_{self.status}"
        if self.raw_body is not None:
            return "malformed_body"
        if self.broken_json:
            return "invalid_json"
        return "ok"


ReplyLike = ScriptedReply | str | BaseModel | Mapping[str, Any] | Callable[["ChatRequest"], Any]


def as_reply(item: Any, request: ChatRequest | None = None) -> ScriptedReply:
    """Normalise a queue item or responder result into a :class:`ScriptedReply`."""
    if callable(item) and not isinstance(item, (BaseModel, ScriptedReply)):
        if request is None:
            raise TypeError("a callable reply needs the request")
        return as_reply(item(request), request)
    if isinstance(item, ScriptedReply):
        return item
    if isinstance(item, str):
        return ScriptedReply(content=item)
    if isinstance(item, (BaseModel, Mapping)):
        return ScriptedReply(structured=item)
    raise TypeError(f"cannot turn {type(item).__name__} into a ScriptedReply")


# --------------------------------------------------------------------------- requests


class ChatRequest(dict[str, Any]):
    """The JSON body of a chat-completions request, with helpers for assertions and responders."""

    @property
    def model(self) -> str:
        return str(self.get("model", ""))

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.get("messages") or [])

    @staticmethod
    def _content_text(content: Any) -> str:
        if isinstance(content, str):
            return content
        if isinstance(content, list):
            return "\n".join(str(p.get("text", "")) for p in content if isinstance(p, Mapping))
        return ""

    def texts(self, role: str | None = None) -> list[str]:
        """Text of every message (of ``role`` when given), tool-call arguments included."""
        out: list[str] = []
        for message in self.messages:
            if role is not None and message.get("role") != role:
                continue
            out.append(self._content_text(message.get("content")))
            for call in message.get("tool_calls") or []:
                out.append(str(call.get("function", {}).get("arguments", "")))
        return out

    @property
    def text(self) -> str:
        """All message text joined: the whole prompt as the server saw it."""
        return "\n".join(self.texts())

    @property
    def last_user_text(self) -> str:
        users = self.texts("user")
        return users[-1] if users else ""

    @property
    def tools(self) -> list[dict[str, Any]]:
        return list(self.get("tools") or [])

    @property
    def tool_names(self) -> list[str]:
        return [t.get("function", {}).get("name", "") for t in self.tools]

    @property
    def forced_tool(self) -> str | None:
        """Name of the tool ``tool_choice`` forces, if any."""
        choice = self.get("tool_choice")
        if isinstance(choice, Mapping):
            return choice.get("function", {}).get("name")
        if choice == "required" and len(self.tools) == 1:
            return self.tool_names[0]
        return None

    @property
    def response_format_type(self) -> str | None:
        fmt = self.get("response_format")
        return fmt.get("type") if isinstance(fmt, Mapping) else None

    @property
    def mode(self) -> str:
        """``json_schema``, ``json_object``, ``function_calling`` (forced tool), ``tools`` or ``text``."""
        fmt = self.response_format_type
        if fmt in ("json_schema", "json_object"):
            return fmt
        if self.forced_tool:
            return "function_calling"
        if self.tools:
            return "tools"
        return "text"

    @property
    def schema_name(self) -> str | None:
        """Name of the requested structure (json_schema name or forced tool)."""
        if self.mode == "json_schema":
            return self["response_format"]["json_schema"].get("name")
        if self.mode == "function_calling":
            return self.forced_tool
        return None

    @property
    def schema(self) -> dict[str, Any] | None:
        """JSON schema of the requested structure, when the request carries one.

        For ``json_object`` requests, the schema is taken from the prompt when it contains
        ``JSON schema:`` followed by the schema (as kernel.llm's JSON-mode instruction does).
        """
        if self.mode == "json_schema":
            return self["response_format"]["json_schema"].get("schema")
        if self.mode == "function_calling":
            for tool in self.tools:
                if tool.get("function", {}).get("name") == self.forced_tool:
                    return tool["function"].get("parameters")
        if self.mode == "json_object":
            for text in reversed(self.texts()):
                marker = text.rfind("JSON schema:")
                if marker >= 0:
                    try:
                        value, _ = json.JSONDecoder().raw_decode(text[marker + len("JSON schema:"):].lstrip())
                    except json.JSONDecodeError:
                        continue
                    if isinstance(value, dict):
                        return value
        return None

    @property
    def stream(self) -> bool:
        return bool(self.get("stream"))

    @property
    def include_usage(self) -> bool:
        options = self.get("stream_options")
        return bool(isinstance(options, Mapping) and options.get("include_usage"))


@dataclass
class RecordedRequest:
    """One request the server received and what it did with it."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    outcome: str = "pending"
    received_at: float = field(default_factory=time.monotonic)

    @property
    def request(self) -> ChatRequest:
        return ChatRequest(self.body if isinstance(self.body, dict) else {})


# --------------------------------------------------------------------------- schema → minimal value


def minimal_instance(schema: Mapping[str, Any], root: Mapping[str, Any] | None = None) -> Any:
    """A small value that validates against ``schema`` (pydantic-generated JSON schemas).

    Handles ``$ref``/``$defs``, ``anyOf``/``oneOf``/``allOf``, enums, consts, defaults, bounds
    and ``minItems``/``minLength``; ``pattern`` constraints are not solved.
    """
    root = root if root is not None else schema
    if "$ref" in schema:
        target: Any = root
        for part in str(schema["$ref"]).lstrip("#/").split("/"):
            target = target[part]
        return minimal_instance(target, root)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    if "default" in schema:
        return schema["default"]
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [o for o in schema[key] if o.get("type") != "null"] or schema[key]
            return minimal_instance(options[0], root)
    if "allOf" in schema:
        return minimal_instance(schema["allOf"][0], root)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object" or (kind is None and "properties" in schema):
        props = schema.get("properties", {})
        return {name: minimal_instance(props[name], root) for name in schema.get("required", []) if name in props}
    if kind == "array":
        count = int(schema.get("minItems", 0))
        return [minimal_instance(schema.get("items", {}), root) for _ in range(count)]
    if kind == "string":
        fmt = schema.get("format")
        if fmt == "date-time":
            return "2024-01-01T00:00:00Z"
        if fmt == "date":
            return "2024-01-01"
        return "x" * max(1, int(schema.get("minLength", 1)))
    if kind in ("integer", "number"):
        low = schema.get("minimum", schema.get("exclusiveMinimum"))
        value: float = 0 if low is None else low + (1 if "exclusiveMinimum" in schema else 0)
        high = schema.get("maximum")
        if high is not None and value > high:
            value = high
        return int(math.ceil(value)) if kind == "integer" else float(value)
    if kind == "boolean":
        return False
    if kind == "null":
        return None
    return {}


# --------------------------------------------------------------------------- embeddings


def hash_embedding(text: str, dim: int) -> list[float]:
    """Deterministic bag-of-words hashing embedding, L2-normalised: shared words → higher cosine."""
    vector = [0.0] * dim
    for token in re.findall(r"\w+", text.lower()):
        digest = hashlib.blake2b(token.encode(), digest_size=8).digest()
        number = int.from_bytes(digest, "little")
        vector[number % dim] += 1.0 if (number >> 63) & 1 else -1.0
    norm = math.sqrt(sum(v * v for v in vector))
    if norm == 0.0:
        vector[0] = 1.0
        return vector
    return [v / norm for v in vector]


# --------------------------------------------------------------------------- server


def _estimate_tokens(text: str) -> int:
    return max(1, math.ceil(len(text) / 4))


class ScriptedOpenAI:
    """The scripted server. Use as a context manager, or through the ``scripted_openai`` fixture.

    Args:
        responder: called for each chat request once the queue is empty; may return ``None``
            to fall through to the automatic responder.
        auto: answer unscripted requests automatically; when ``False`` they get a 400.
        latency_s: delay before every chat-completions answer (benchmarks inject 0.3 s).
        reject_json_schema: answer 400 to ``response_format: json_schema`` requests.
        reject_json_object: answer 400 to ``response_format: json_object`` requests.
        reject_tools: answer 400 to requests carrying ``tools``.
        embedding_dim: dimension of ``/v1/embeddings`` vectors (a request's ``dimensions`` wins).
        models: ids listed by ``GET /v1/models``.
    """

    def __init__(
        self,
        responder: Callable[[ChatRequest], Any] | None = None,
        *,
        auto: bool = True,
        latency_s: float = 0.0,
        reject_json_schema: bool = False,
        reject_json_object: bool = False,
        reject_tools: bool = False,
        embedding_dim: int = 256,
        models: tuple[str, ...] = ("gpt-4o-mini", "text-embedding-3-small"),
    ) -> None:
        self.responder = responder
        self.auto = auto
        self.latency_s = latency_s
        self.reject_json_schema = reject_json_schema
        self.reject_json_object = reject_json_object
        self.reject_tools = reject_tools
        self.embedding_dim = embedding_dim
        self.models = models
        self.requests: list[RecordedRequest] = []
        self._queue: deque[Any] = deque()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ids = itertools.count(1)
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle

    def start(self) -> ScriptedOpenAI:
        """Bind an ephemeral port on 127.0.0.1 and serve in a daemon thread."""
        server = self

        class Handler(_Handler):
            scripted = server

        self._stop.clear()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="scripted-openai", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; hanging (timeout) handlers are released."""
        self._stop.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> ScriptedOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("server not started")
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        """The ``OPENAI_BASE_URL`` of this server."""
        return f"http://127.0.0.1:{self.port}/v1"

    api_key = API_KEY

    # ---- scripting

    def push(self, *items: ReplyLike) -> ScriptedOpenAI:
        """Queue replies for the next chat requests, in order."""
        with self._lock:
            self._queue.extend(items)
        return self

    @property
    def pending(self) -> int:
        """Queued replies not yet served."""
        with self._lock:
            return len(self._queue)

    def clear(self) -> None:
        """Drop queued replies and recorded requests."""
        with self._lock:
            self._queue.clear()
            self.requests.clear()

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        """Recorded chat-completions requests, oldest first."""
        with self._lock:
            return [r for r in self.requests if r.path.endswith("/chat/completions")]

    @property
    def embedding_requests(self) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.path.endswith("/embeddings")]

    def all_prompt_text(self) -> str:
        """Every chat prompt the server received, joined (to assert what did or did not arrive)."""
        return "\n".join(r.request.text for r in self.chat_requests)

    def settings(self, **overrides: Any) -> Any:
        """``kernel.settings.Settings`` pointing at this server."""
        from kernel.settings import Settings

        values: dict[str, Any] = {"openai_base_url": self.base_url, "openai_api_key": self.api_key}
        values.update(overrides)
        return Settings(**values)

    # ---- request handling (called from handler threads)

    def _record(self, method: str, path: str, headers: Mapping[str, str], body: Any) -> RecordedRequest:
        record = RecordedRequest(method=method, path=path, headers=dict(headers), body=body)
        with self._lock:
            self.requests.append(record)
        return record

    def _next_reply(self, request: ChatRequest) -> ScriptedReply | None:
        with self._lock:
            item = self._queue.popleft() if self._queue else None
        if item is not None:
            return as_reply(item, request)
        if self.responder is not None:
            result = self.responder(request)
            if result is not None:
                return as_reply(result, request)
        if self.auto:
            return self._auto_reply(request)
        return None

    @staticmethod
    def _auto_reply(request: ChatRequest) -> ScriptedReply:
        if request.mode in ("json_schema", "function_calling", "json_object"):
            schema = request.schema
            return ScriptedReply(structured=minimal_instance(schema) if schema else {})
        if request.mode == "tools":
            return ScriptedReply(content="No tool call needed.")
        return ScriptedReply(content="OK")

    def _rejection(self, request: ChatRequest) -> str | None:
        fmt = request.response_format_type
        if self.reject_json_schema and fmt == "json_schema":
            return "response_format of type 'json_schema' is not supported by this server"
        if self.reject_json_object and fmt == "json_object":
            return "response_format of type 'json_object' is not supported by this server"
        if self.reject_tools and request.tools:
            return "tools are not supported by this model"
        return None

    def _wait(self, seconds: float) -> bool:
        """Sleep unless the server stops; True when it stopped."""
        return self._stop.wait(seconds) if seconds > 0 else self._stop.is_set()

    def _completion(self, request: ChatRequest, reply: ScriptedReply) -> tuple[dict[str, Any], str | None]:
        """The assistant message dict and the text used for usage estimates."""
        message: dict[str, Any] = {"role": "assistant", "content": None}
        mode = request.mode
        tool_calls = [dict(c) for c in reply.tool_calls or []]
        content = reply.content
        if reply.structured is not None or (reply.broken_json and content is None):
            data = reply.structured
            if isinstance(data, BaseModel):
                data = data.model_dump(mode="json")
            text = json.dumps(data if data is not None else {"incomplete": True})
            if reply.broken_json:
                text = text[: max(1, len(text) // 2)]
            if mode == "function_calling" or (mode == "tools" and len(request.tools) == 1):
                name = request.forced_tool or request.tool_names[0]
                tool_calls = [{"name": name, "arguments": text}]
                content = None
            else:
                content = text
        elif reply.broken_json and content is not None:
            content = content[: max(1, len(content) // 2)]
        message["content"] = content
        if tool_calls:
            message["tool_calls"] = [
                {
                    "id": call.get("id") or f"call_{next(self._ids)}",
                    "type": "function",
                    "function": {
                        "name": call["name"],
                        "arguments": call["arguments"]
                        if isinstance(call["arguments"], str)
                        else json.dumps(call["arguments"]),
                    },
                }
                for call in tool_calls
            ]
        produced = (content or "") + "".join(c["function"]["arguments"] for c in message.get("tool_calls", []))
        return message, produced

    def _usage(self, request: ChatRequest, reply: ScriptedReply, produced: str) -> dict[str, int]:
        prompt = reply.prompt_tokens if reply.prompt_tokens is not None else _estimate_tokens(request.text)
        completion = (
            reply.completion_tokens if reply.completion_tokens is not None else _estimate_tokens(produced)
        )
        return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _error_body(message: str, status: int) -> bytes:
    kind = {429: "rate_limit_error", 400: "invalid_request_error", 422: "invalid_request_error"}.get(
        status, "server_error"
    )
    return json.dumps({"error": {"message": message, "type": kind, "param": None, "code": None}}).encode()


class _Handler(BaseHTTPRequestHandler):
    """HTTP/1.0 handler: one request per connection, which keeps SSE and hangs simple."""

    scripted: ScriptedOpenAI
    server_version = "ScriptedOpenAI/1.0"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        return

    # ---- plumbing

    def _read_json(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if not raw:
            return None
        try:
            return json.loads(raw)
        except json.JSONDecodeError:
            return {"_unparsable": raw.decode("utf-8", "replace")}

    def _send(self, status: int, body: bytes, content_type: str = "application/json",
              headers: Mapping[str, str] | None = None) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            return

    def _send_json(self, status: int, payload: Any) -> None:
        self._send(status, json.dumps(payload).encode())

    # ---- routes

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        record = self.scripted._record("GET", self.path, self.headers, None)
        if self.path.rstrip("/").endswith("/models"):
            record.outcome = "ok"
            data = [{"id": m, "object": "model", "created": 0, "owned_by": "scripted"} for m in self.scripted.models]
            self._send_json(200, {"object": "list", "data": data})
            return
        record.outcome = "http_404"
        self._send(404, _error_body(f"no route {self.path}", 404))

    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        body = self._read_json()
        record = self.scripted._record("POST", self.path, self.headers, body)
        if self.headers.get("Authorization") != f"Bearer {self.scripted.api_key}":
            record.outcome = "http_401"
            self._send(401, _error_body("invalid api key", 401))
            return
        if self.path.endswith("/chat/completions"):
            self._chat(record, ChatRequest(body if isinstance(body, dict) else {}))
        elif self.path.endswith("/embeddings"):
            self._embeddings(record, body if isinstance(body, dict) else {})
        else:
            record.outcome = "http_404"
            self._send(404, _error_body(f"no route {self.path}", 404))

    def _embeddings(self, record: RecordedRequest, body: dict[str, Any]) -> None:
        raw_input = body.get("input")
        items = [raw_input] if isinstance(raw_input, str) or (
            isinstance(raw_input, list) and raw_input and isinstance(raw_input[0], int)
        ) else list(raw_input or [])
        if not items:
            record.outcome = "http_400"
            self._send(400, _error_body("input must not be empty", 400))
            return
        dim = int(body.get("dimensions") or self.scripted.embedding_dim)
        as_base64 = body.get("encoding_format") == "base64"
        data = []
        tokens = 0
        for index, item in enumerate(items):
            text = item if isinstance(item, str) else " ".join(str(t) for t in item)
            tokens += _estimate_tokens(text)
            vector = hash_embedding(text, dim)
            encoded: Any = (
                base64.b64encode(struct.pack(f"<{dim}f", *vector)).decode() if as_base64 else vector
            )
            data.append({"object": "embedding", "index": index, "embedding": encoded})
        record.outcome = "ok"
        self._send_json(200, {
            "object": "list", "data": data, "model": body.get("model", ""),
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        })

    def _chat(self, record: RecordedRequest, request: ChatRequest) -> None:
        scripted = self.scripted
        rejection = scripted._rejection(request)
        if rejection:
            record.outcome = "rejected"
            self._send(400, _error_body(rejection, 400))
            return
        try:
            reply = scripted._next_reply(request)
        except Exception as exc:  # a responder bug must reach the test as a failed call, not hang it
            record.outcome = "responder_error"
            self._send(400, _error_body(f"scripted responder failed: {exc!r}", 400))
            return
        if reply is None:
            record.outcome = "unscripted"
            self._send(400, _error_body("scripted server: no reply queued for this request", 400))
            return
        record.outcome = reply.kind
        if scripted._wait(scripted.latency_s + reply.latency_s):
            return
        if reply.hang_s is not None:
            scripted._wait(reply.hang_s)
            return
        if reply.status != 200:
            headers = {"Retry-After": f"{reply.retry_after:g}"} if reply.retry_after is not None else None
            message = reply.error_message or f"scripted HTTP {reply.status}"
            self._send(reply.status, _error_body(message, reply.status), headers=headers)
            return
        if reply.raw_body is not None:
            self._send(200, reply.raw_body.encode())
            return
        message, produced = scripted._completion(request, reply)
        usage = scripted._usage(request, reply, produced or "")
        finish = reply.finish_reason or ("tool_calls" if message.get("tool_calls") else "stop")
        completion_id = f"chatcmpl-scripted-{next(scripted._ids)}"
        created = int(time.time())
        if request.stream:
            self._stream(request, completion_id, created, message, finish, usage)
            return
        self._send_json(200, {
            "id": completion_id, "object": "chat.completion", "created": created, "model": request.model,
            "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
            "usage": usage,
        })

    def _stream(self, request: ChatRequest, completion_id: str, created: int, message: dict[str, Any],
                finish: str, usage: dict[str, int]) -> None:
        def chunk(delta: dict[str, Any] | None, finish_reason: str | None = None,
                  with_usage: dict[str, int] | None = None) -> bytes:
            payload: dict[str, Any] = {
                "id": completion_id, "object": "chat.completion.chunk", "created": created,
                "model": request.model,
                "choices": [] if delta is None else [
                    {"index": 0, "delta": delta, "finish_reason": finish_reason, "logprobs": None}
                ],
            }
            if with_usage is not None:
                payload["usage"] = with_usage
            return f"data: {json.dumps(payload)}\n\n".encode()

        events = [chunk({"role": "assistant", "content": ""})]
        content = message.get("content") or ""
        step = max(1, math.ceil(len(content) / 3)) if content else 1
        for start in range(0, len(content), step):
            events.append(chunk({"content": content[start:start + step]}))
        for index, call in enumerate(message.get("tool_calls") or []):
            events.append(chunk({"tool_calls": [{
                "index": index, "id": call["id"], "type": "function",
                "function": {"name": call["function"]["name"], "arguments": ""},
            }]}))
            arguments = call["function"]["arguments"]
            half = len(arguments) // 2
            for piece in (arguments[:half], arguments[half:]):
                if piece:
                    events.append(chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]}))
        events.append(chunk({}, finish))
        if request.include_usage:
            events.append(chunk(None, with_usage=usage))
        events.append(b"data: [DONE]\n\n")
        try:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()
            for event in events:
                self.wfile.write(event)
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            return


# --------------------------------------------------------------------------- pytest fixture

FAST_TIMEOUT_S = 2.0


@pytest.fixture()
def scripted_openai(monkeypatch: pytest.MonkeyPatch) -> Iterator[ScriptedOpenAI]:
    """A running :class:`ScriptedOpenAI`, with the environment pointing pmpilot at it.

    Sets ``OPENAI_BASE_URL``/``OPENAI_API_KEY`` (so ``get_settings()`` selects LLM mode),
    a short ``PMPILOT_LLM_TIMEOUT``, tiny retry backoff, and a clean structured-method cache.
    Configure it per test: ``scripted_openai.push(...)``, ``.responder = fn``,
    ``.reject_json_schema = True``, ``.latency_s = 0.3``.
    """
    from kernel import llm
    from kernel.settings import get_settings

    with ScriptedOpenAI() as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", server.api_key)
        monkeypatch.setenv("PMPILOT_LLM_TIMEOUT", str(FAST_TIMEOUT_S))
        get_settings.cache_clear()
        llm.reset_method_cache()
        previous = llm.set_default_retry_policy(
            llm.RetryPolicy(base_delay_s=0.001, max_delay_s=0.01, jitter=0.5, max_retry_after_s=0.05)
        )
        try:
            yield server
        finally:
            llm.set_default_retry_policy(previous)
            llm.reset_method_cache()
            get_settings.cache_clear()
