"""Per-run runtime context: what every node needs that is not graph state.

The context is rebuilt for each invocation (it is not checkpointed): run identity, mode, where the
run writes, the event callback, in LLM mode the chat models, and the run's :class:`RunCache` of work
started ahead of time. Everything a resumed run needs to rebuild it is stored in the run's
``request.json`` by :mod:`agents.runner`.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
import time
from collections.abc import Callable, Hashable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models import BaseChatModel
from langchain_core.runnables import RunnableConfig
from pydantic import BaseModel, Field

from agents.state import check_update
from kernel.llm import LLMUsage, chat_model
from kernel.settings import Role, Settings, get_settings

if TYPE_CHECKING:
    from memory.embeddings import Embedder

logger = logging.getLogger(__name__)

EventType = Literal["node_start", "node_end", "tool_call", "evidence", "artifact", "review", "error"]


class RunEvent(BaseModel):
    """A progress event emitted while a run executes (shown by MCP progress, the UI, the CLI)."""

    type: EventType
    node: str = ""
    message: str = ""
    data: dict[str, Any] = Field(default_factory=dict)


#: Process-wide workers for :meth:`RunCache.prefetch`: two, so prefetching never floods the two cores.
_PREFETCH = ThreadPoolExecutor(max_workers=2, thread_name_prefix="pmpilot-prefetch")
_RUN_POOL: tuple[int, ThreadPoolExecutor] | None = None
_RUN_POOL_LOCK = threading.Lock()


def run_pool() -> ThreadPoolExecutor:
    """Process-wide threads for a node's parallel model calls (the drafts) and the landscape's reading.

    Kept between runs: a pool made per node started its threads anew in every run, and starting a thread waits
    for it to be scheduled, just before or after a model call. Its tasks never wait for one another. One pool
    per process (a forked child makes its own: the parent's threads do not exist there).
    """
    global _RUN_POOL
    with _RUN_POOL_LOCK:
        if _RUN_POOL is None or _RUN_POOL[0] != os.getpid():
            _RUN_POOL = (os.getpid(), ThreadPoolExecutor(max_workers=16, thread_name_prefix="pmpilot-run"))
        return _RUN_POOL[1]


#: Whether a run reads ahead, while a model call is in flight, what a later node will need whatever the model
#: answers (the scorer's theme checks and signal vectors during the researchers' last calls, the decision's
#: vector as the review accepts the drafts). Off, every node computes the same values itself when it needs
#: them (tests compare the two).
READ_AHEAD = True


class RunCache:
    """Results a run computes once and shares between nodes, possibly prepared ahead of time.

    A node that knows what a later node will need whatever the model answers (the theme snapshot,
    the strategy goals' vectors) registers it with :meth:`prefetch`; it starts in the background
    when the run's next model request goes out (:meth:`on_model_call`) or at :meth:`start`, so it
    overlaps the wait for the server without delaying the request. The later node gets it with
    :meth:`get` or :meth:`vectors`, which compute what nobody prepared. Values are shared, not
    copied: callers treat them as read-only. An error is raised where the value is used, as if
    the user had computed it there. Not checkpointed: a resumed run starts with an empty cache.
    """

    def __init__(self) -> None:
        """An empty cache."""
        self._lock = threading.Lock()
        self._futures: dict[Hashable, Future[Any]] = {}
        self._pending: list[Callable[[], None]] = []

    def prefetch(self, key: Hashable, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Prepare ``fn(*args, **kwargs)`` as the value of ``key`` (unless known) from the next start on."""
        with self._lock:
            if key in self._futures:
                return
            future: Future[Any] = Future()
            self._futures[key] = future
            self._pending.append(functools.partial(_settle, future, fn, *args, **kwargs))

    def prefetch_vectors(self, embedder: Embedder, texts: Sequence[str]) -> None:
        """Prepare the vectors of the ``texts`` not known yet (one batch) from the next start on."""
        futures = self._claim(embedder, texts)
        if futures:
            with self._lock:
                self._pending.append(functools.partial(self._embed, embedder, futures))

    def put_vectors(self, embedder: Embedder, texts: Sequence[str], matrix: np.ndarray) -> None:
        """Vectors embedded elsewhere (row ``i`` of ``matrix`` for ``texts[i]``), for the texts not known yet."""
        rows = dict(zip(texts, matrix, strict=True))
        for text, future in self._claim(embedder, texts).items():
            future.set_result(rows[text])

    def start(self) -> None:
        """Start everything prefetched and not started yet, in the background."""
        with self._lock:
            pending, self._pending = self._pending, []
        for job in pending:
            _PREFETCH.submit(job)

    def on_model_call(self) -> OnModelCall:
        """A callback that starts the prefetched work when the model request it is passed to starts."""
        return OnModelCall(self.start)

    def get(self, key: Hashable, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """The value of ``key``: waited for when prepared, else computed here by ``fn(*args, **kwargs)``."""
        self.start()
        with self._lock:
            future = self._futures.get(key)
            owner = future is None
            if future is None:
                future = self._futures[key] = Future()
        if owner:
            _settle(future, fn, *args, **kwargs)
        return future.result()

    def peek(self, key: Hashable) -> Any:
        """The value of ``key`` when someone prepared or computed it (waited for), else None; None on its error.

        For values read ahead of time: a node that finds none, or finds that preparing it failed, computes
        what it needs itself, as it would without the read-ahead.
        """
        self.start()
        with self._lock:
            future = self._futures.get(key)
        if future is None:
            return None
        try:
            return future.result()
        except Exception:  # the reader computes it itself (and meets the error there, if it persists)
            logger.debug("read-ahead %r failed; computed where it is used", key, exc_info=True)
            return None

    def vectors(self, embedder: Embedder, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """Vectors of ``texts``; those nobody embedded yet are embedded here, in one batch."""
        self.start()
        futures = self._claim(embedder, texts)
        if futures:
            self._embed(embedder, futures)
        with self._lock:
            known = {t: self._futures[("vector", embedder.name, t)] for t in dict.fromkeys(texts)}
        return {t: f.result() for t, f in known.items()}

    def _claim(self, embedder: Embedder, texts: Sequence[str]) -> dict[str, Future[Any]]:
        """Futures for the texts no one embeds yet, registered so concurrent callers wait for them."""
        claimed: dict[str, Future[Any]] = {}
        with self._lock:
            for text in dict.fromkeys(texts):
                key = ("vector", embedder.name, text)
                if key not in self._futures:
                    claimed[text] = self._futures[key] = Future()
        return claimed

    @staticmethod
    def _embed(embedder: Embedder, futures: dict[str, Future[Any]]) -> None:
        """One batch for every claimed text; an error is stored for each (raised where it is used)."""
        try:
            matrix = embedder.embed(list(futures))
        except BaseException as exc:
            for future in futures.values():
                future.set_exception(exc)
            return
        for future, vector in zip(futures.values(), matrix, strict=True):
            future.set_result(vector)


def _settle(future: Future[Any], fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    """Run ``fn`` and store its result, or its error (raised where the value is used), in ``future``."""
    try:
        future.set_result(fn(*args, **kwargs))
    except BaseException as exc:
        future.set_exception(exc)


class OnModelCall(BaseCallbackHandler):
    """Runs ``fn`` once, as the first chat-model call it is passed to (``config``) starts.

    Work that does not change what the model is shown is started then, so it overlaps the wait for
    the answer instead of competing with building the request. :meth:`fire` runs it when no call
    started (offline, or an error before the request).
    """

    run_inline = True  # called in the thread making the request, right before it is sent

    def __init__(self, fn: Callable[[], Any]) -> None:
        """Wrap ``fn``; nothing runs yet."""
        super().__init__()
        self._fn = fn
        self._lock = threading.Lock()
        self._fired = False

    @property
    def config(self) -> RunnableConfig:
        """A runnable config carrying this callback."""
        return {"callbacks": [self]}

    def on_chat_model_start(self, serialized: dict[str, Any], messages: list[list[Any]], **kwargs: Any) -> None:
        """A chat-model call starts: run ``fn`` (the first time)."""
        self.fire()

    def fire(self) -> None:
        """Run ``fn`` unless it already ran."""
        with self._lock:
            if self._fired:
                return
            self._fired = True
        self._fn()


@dataclass
class RunContext:
    """Runtime knobs and handles of one run.

    Attributes:
        run_id: The run (and checkpoint thread) id.
        workspace: The tenant whose memory the run reads; tools take it from here, never from a model.
        offline: Deterministic specialists (True) or chat models (False).
        run_dir: Where the run's documents and run.json are written.
        on_event: Progress callback; exceptions it raises are logged, never break the run.
        models: Chat models per role overriding the configured endpoint (tests, custom clients).
        settings: Deployment settings.
        cache: Work shared between the run's nodes, possibly started ahead of time.
    """

    run_id: str
    workspace: str
    offline: bool = True
    run_dir: Path = Path(".")
    on_event: Callable[[RunEvent], None] | None = None
    models: Mapping[str, BaseChatModel] = field(default_factory=dict)
    settings: Settings = field(default_factory=get_settings)
    cache: RunCache = field(default_factory=RunCache)

    def emit(self, type: EventType, node: str = "", message: str = "", **data: Any) -> None:
        """Send one progress event to the callback, if any."""
        if self.on_event is None:
            return
        try:
            self.on_event(RunEvent(type=type, node=node, message=message, data=data))
        except Exception:  # a broken progress consumer must not fail the run; it is logged
            logger.exception("run event callback failed")

    def chat(self, role: Role, usage: LLMUsage | None = None) -> BaseChatModel:
        """The chat model of one role: the injected one, else one from the configured endpoint."""
        if role in self.models:
            return self.models[role]
        return chat_model(role, self.settings, usage=usage)


def timed(
    node: str, summary: Callable[[dict[str, Any]], str] | None = None
) -> Callable[[Callable[..., Mapping[str, Any]]], Callable[..., dict[str, Any]]]:
    """Decorate a node: emit node_start/node_end (with ``summary(update)``), add its time to ``timings``.

    What the node returns into the state is validated against the state's shapes (:func:`agents.state.check_update`).
    """

    def wrap(fn: Callable[..., Mapping[str, Any]]) -> Callable[..., dict[str, Any]]:
        @functools.wraps(fn)
        def run(state: Any, runtime: Any) -> dict[str, Any]:
            context: RunContext = runtime.context
            context.emit("node_start", node)
            started = time.perf_counter()
            update = fn(state, runtime)
            elapsed = round(time.perf_counter() - started, 3)
            update = dict(update)
            timings = dict(update.get("timings") or {})
            timings[node] = round(timings.get(node, 0.0) + elapsed, 3)
            update["timings"] = timings
            check_update(update)
            message = summary(update) if summary else ""
            context.emit("node_end", node, message, seconds=elapsed)
            return update

        return run

    return wrap
