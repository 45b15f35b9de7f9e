"""The chat: run a goal (or revise the last run) in a thread and stream its steps into the chat.

The graph calls ``on_event`` synchronously from the thread(s) running it; events go through a
queue to the generator that Gradio iterates, so the page shows each specialist step as it happens.
A follow-up in the same thread revises the drafts: it resumes the last run with the text as a
revision when that run awaits review, and otherwise starts a new run with the follow-up as
revision context.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from agents import runner
from agents.context import RunEvent
from kernel.errors import InputError
from ui.events import Message, StepLog, document_messages, escape, inert_markdown, reply_text, revision_goal

RunStarter = Callable[[Callable[[RunEvent], None]], dict[str, Any]]
_DONE = object()


def stream_run(start: RunStarter) -> Iterator[StepLog | dict[str, Any]]:
    """Run ``start(on_event)`` in a thread; yield the StepLog after each event, then the run record.

    An exception raised by the run is re-raised here, in the consuming thread.
    """
    events: queue.Queue[Any] = queue.Queue()
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["run"] = start(events.put)
        except BaseException as exc:  # handed to the consuming thread, which re-raises it
            outcome["error"] = exc
        finally:
            events.put(_DONE)

    worker = threading.Thread(target=target, name="pmpilot-ui-run", daemon=True)
    worker.start()
    log = StepLog()
    while (item := events.get()) is not _DONE:
        log.add(item)
        yield log
    worker.join()
    log.finish()
    yield log
    if "error" in outcome:
        raise outcome["error"]
    yield outcome["run"]


def documents_of(run: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The (kind, JSON) of each document of a run."""
    return [(a["kind"], runner.read_artifact(run["run_id"], a["kind"])[1]) for a in run.get("artifacts") or []]


def _starter(message: str, workspace: str, session: dict[str, Any], *, review: bool,
             deliverables: Sequence[str] | None, offline: bool | None) -> tuple[RunStarter, str]:
    """How to answer this message, and the goal the thread is about afterwards."""
    last_id = session.get("run_id")
    if last_id and session.get("workspace") == workspace:
        last = runner.get_run(last_id)
        if last.get("status") == "awaiting_review":
            return (lambda on_event: runner.resume_run(last_id, revise=message, on_event=on_event),
                    session.get("goal") or message)
        goal = revision_goal(session.get("goal") or last.get("goal", ""), message)
        return (lambda on_event: runner.run_goal(goal, workspace, deliverables=deliverables, offline=offline,
                                                 review=review, on_event=on_event),
                session.get("goal") or message)
    return (lambda on_event: runner.run_goal(message, workspace, deliverables=deliverables, offline=offline,
                                             review=review, on_event=on_event),
            message)


def respond(message: str, workspace: str, session: dict[str, Any] | None, *, review: bool = True,
            deliverables: Sequence[str] | None = None,
            offline: bool | None = None) -> Iterator[tuple[list[Message], dict[str, Any]]]:
    """Answer one chat message: yields (all chat messages, session) as the run progresses."""
    session = dict(session or {})
    message = (message or "").strip()
    if not message:
        raise InputError("type a goal, e.g. “Should we build SSO before the mobile app? Draft requirements.”")
    if not workspace:
        raise InputError("choose a workspace first")
    history: list[Message] = list(session.get("messages") or [])
    history.append({"role": "user", "content": escape(message), "metadata": {}})
    session["messages"] = history
    yield history, session
    start, goal = _starter(message, workspace, session, review=review, deliverables=deliverables,
                           offline=offline)
    run: dict[str, Any] = {}
    steps: list[Message] = []
    for item in stream_run(start):
        if isinstance(item, StepLog):
            steps = item.messages()
            yield history + steps, session
        else:
            run = item
    history = history + steps + document_messages(run, documents_of(run))
    session.update(messages=history, run_id=run["run_id"], goal=goal, workspace=workspace,
                   status=run.get("status"))
    yield history, session


def chat_reply(message: str, workspace: str, *, offline: bool | None = None) -> str:
    """One-shot answer for the ``/chat`` API: run the goal and return the documents' Markdown.

    The Markdown quotes signals verbatim, so raw HTML, images and script links in it are made
    inert (:func:`ui.events.inert_markdown`): a client may render the reply as it comes.
    """
    if not (message or "").strip():
        raise InputError("message is empty")
    if not (workspace or "").strip():
        raise InputError("workspace is empty")
    run = runner.run_goal(message, workspace.strip(), offline=offline)
    docs = [(a["kind"], runner.read_artifact(run["run_id"], a["kind"])[0]) for a in run.get("artifacts") or []]
    return inert_markdown(reply_text(run, docs))
