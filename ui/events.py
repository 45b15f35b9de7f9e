"""Pure converters from graph run events and documents to chat messages (no Gradio, no I/O).

The Gradio app feeds every :class:`agents.context.RunEvent` of a run into a :class:`StepLog`,
which keeps one collapsible "thought" per specialist step (Gradio chat ``metadata``) with tool
calls and evidence nested under it. Documents are rendered for display by
:func:`document_markdown`: the document's own Markdown (the ``.md`` file's), where every string that may
come from a user signal or a model is made inert with Markdown backslash escapes
(:func:`tools.render.escape_markdown`, the one rule of every document and of every text the app shows:
:func:`escape`), so a signal can never inject HTML, links, images or scripts into the page and reads
exactly as written; citations become ``<abbr>`` marks whose tooltip is the quoted signal.

Messages are plain dicts in Gradio's ``messages`` format (``role``, ``content``, ``metadata``).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from agents.deliverables import render_markdown
from tools.render import escape_markdown

Message = dict[str, Any]

#: How each graph node is shown in the chat.
NODE_TITLES: dict[str, str] = {
    "planner": "🧭 Planner",
    "researcher": "🔎 Researcher",
    "scorer": "⚖️ Scorer",
    "writer": "✍️ Writer",
    "review": "🧐 Scorer review",
    "validate": "✅ Citation check",
    "publish": "📄 Publish",
    "human_review": "🙋 Your review",
    "finalize": "🏁 Finalize",
}

_CITATION = re.compile(r"(?<!\\)(`?)\[s:([0-9a-fA-F-]{1,36})\]\1")
_MAX_TOOLTIP = 400


def escape(text: object) -> str:
    """Text made inert for Markdown rendered to HTML, shown exactly as written: no tag, entity, link, image or emphasis.

    The documents' rule (:func:`tools.render.escape_markdown`: Markdown backslash escapes, never HTML entities),
    so a quote reads the same in the app as in the document file.
    """
    return escape_markdown(str(text))


def escape_attr(text: object) -> str:
    """Escape text for an HTML attribute value (one line, bounded length)."""
    one_line = " ".join(str(text).split())
    if len(one_line) > _MAX_TOOLTIP:
        one_line = one_line[: _MAX_TOOLTIP - 1] + "…"
    # Brackets as entities too: a quoted "![t](url)" or "[x](javascript:…)" is no Markdown even to
    # a renderer that looked inside attributes; the tooltip still shows the characters.
    return html.escape(one_line, quote=True).replace("[", "&#91;").replace("]", "&#93;")


def node_title(node: str) -> str:
    """Display title of a graph node."""
    return NODE_TITLES.get(node, f"⚙️ {node.replace('_', ' ').capitalize()}" if node else "⚙️ Run")


@dataclass
class _Step:
    id: str
    node: str
    message: Message
    children: list[Message] = field(default_factory=list)
    open: bool = True
    has_evidence: bool = False


@dataclass
class StepLog:
    """Accumulates run events into chat messages: one collapsible step per node run.

    Parallel runs of one node (researchers) get one step each. Events carry no instance id, so a
    researcher's tool calls and evidence go to the oldest open step that has not reported evidence
    yet, and ``node_end`` closes the oldest open step that has (each researcher reports its evidence
    just before it ends).
    """

    steps: list[_Step] = field(default_factory=list)
    _order: list[Message] = field(default_factory=list)
    _counter: int = 0
    error: str | None = None
    awaiting_review: bool = False

    def add(self, event: Any) -> None:
        """Fold one RunEvent (or an equivalent mapping) into the log."""
        kind, node, text, data = _fields(event)
        if kind == "node_start":
            self._start(node)
        elif kind == "node_end":
            step = self._closing(node) or self._start(node)
            step.open = False
            step.message["metadata"]["status"] = "done"
            seconds = data.get("seconds")
            if isinstance(seconds, int | float):
                step.message["metadata"]["duration"] = round(float(seconds), 2)
            if text:
                step.message["content"] = escape(text)
        elif kind in ("tool_call", "evidence", "review", "artifact"):
            self._child(node, kind, text, data)
        elif kind == "error":
            self.error = text or "the run failed"
            message = {"role": "assistant", "content": f"⚠️ {escape(self.error)}",
                       "metadata": {"title": "❌ Error", "status": "done"}}
            self._order.append(message)
        if kind == "review" and node == "human_review":
            self.awaiting_review = True

    def extend(self, events: Iterable[Any]) -> StepLog:
        """Fold several events; returns self for chaining."""
        for event in events:
            self.add(event)
        return self

    def messages(self) -> list[Message]:
        """The chat messages so far, in the order the steps started."""
        return [dict(m, metadata=dict(m["metadata"])) for m in self._order]

    def finish(self) -> None:
        """Mark every step still open as done (the run ended or paused)."""
        for step in self.steps:
            if step.open:
                step.open = False
                step.message["metadata"]["status"] = "done"
        for message in self._order:
            if message["metadata"].get("status") == "pending":
                message["metadata"]["status"] = "done"

    def _start(self, node: str) -> _Step:
        self._counter += 1
        step_id = f"step-{self._counter}"
        message: Message = {"role": "assistant", "content": "",
                            "metadata": {"title": node_title(node), "id": step_id, "status": "pending"}}
        step = _Step(id=step_id, node=node, message=message)
        self.steps.append(step)
        self._order.append(message)
        return step

    def _open(self, node: str) -> list[_Step]:
        return [s for s in self.steps if s.open and s.node == node]

    def _closing(self, node: str) -> _Step | None:
        """The step a node_end belongs to: the oldest open one that found evidence, else the oldest open."""
        steps = self._open(node)
        return next((s for s in steps if s.has_evidence), steps[0] if steps else None)

    def _receiving(self, node: str, kind: str) -> _Step | None:
        """The step a nested event belongs to: the oldest open one that has not reported evidence yet."""
        steps = self._open(node)
        if kind in ("tool_call", "evidence"):
            return next((s for s in steps if not s.has_evidence), steps[0] if steps else None)
        return steps[-1] if steps else None

    def _child(self, node: str, kind: str, text: str, data: Mapping[str, Any]) -> None:
        parent = self._receiving(node, kind)
        if parent is not None and kind == "evidence":
            parent.has_evidence = True
        icon = {"tool_call": "🛠️ Tool call", "evidence": "📚 Evidence", "review": "📝 Review",
                "artifact": "📄 Document"}[kind]
        body = escape(text)
        if kind == "evidence" and data.get("question"):
            body = f"**{escape(data['question'])}** — {body}"
        if kind == "artifact" and data.get("kind"):
            body = f"{escape(text.split(':', 1)[0])}" if data.get("path") else body
        metadata: dict[str, Any] = {"title": icon, "status": "done"}
        if parent is not None:
            metadata["parent_id"] = parent.id
        message: Message = {"role": "assistant", "content": body, "metadata": metadata}
        if parent is not None:
            parent.children.append(message)
            index = self._order.index(parent.message) + len(parent.children)
            # Keep children right after their parent (and its earlier children).
            self._order.insert(index, message)
        else:
            self._order.append(message)


def _fields(event: Any) -> tuple[str, str, str, Mapping[str, Any]]:
    if isinstance(event, Mapping):
        return (str(event.get("type", "")), str(event.get("node", "")), str(event.get("message", "")),
                event.get("data") or {})
    return str(event.type), str(event.node), str(event.message), event.data or {}


def citation_quotes(artifact: Mapping[str, Any]) -> dict[str, str]:
    """Map the 8-character citation mark of each evidence row to its verbatim quote."""
    quotes: dict[str, str] = {}
    for row in artifact.get("evidence") or []:
        sid = str(row.get("signal_id", ""))
        if sid:
            quotes.setdefault(sid[:8], str(row.get("quote", "")))
    return quotes


def document_markdown(artifact: Mapping[str, Any], quotes: Mapping[str, str] | None = None) -> str:
    """Safe display Markdown of one document, with citation marks that show their quote on hover.

    Args:
        artifact: The document JSON (contract shape).
        quotes: Citation mark (first 8 characters of a signal id) → text shown on hover; defaults
            to the document's own evidence quotes.
    """
    tooltips = dict(citation_quotes(artifact))
    tooltips.update(quotes or {})
    return link_citations(render_markdown(artifact), tooltips)


def link_citations(markdown: str, quotes: Mapping[str, str]) -> str:
    """Turn ``[s:xxxxxxxx]`` marks into ``<abbr>`` elements whose title is the quoted signal."""

    def mark(match: re.Match[str]) -> str:
        short = match.group(2)[:8].lower()
        quote = quotes.get(short)
        label = f"[s:{escape(short)}]"
        if quote is None or match.group(1):
            return "**" + label.replace("[", "\\[").replace("]", "\\]") + "**"
        return f'<abbr class="pm-cite" title="{escape_attr(quote)}">{label.replace("[", "&#91;")}</abbr>'

    return _CITATION.sub(mark, markdown)


#: A Markdown link or reference definition whose target runs script or embeds data.
_LOOSE_AMP = re.compile(r"&(?!(?:lt|gt|amp|quot|#x27|#39);)")
_SCRIPT_LINK = re.compile(r"\](?=[(:]\s*(?:&lt;)?\s*(?:javascript|vbscript|data|file):)", re.IGNORECASE)


def inert_markdown(text: str) -> str:
    """Markdown kept, everything active made inert: raw HTML, entities, images and script links.

    For Markdown that quotes signals verbatim (artifact files, a PM's edit): ``<script>``,
    ``<img onerror=…>`` and entities become literal text, ``![…](…)`` is no image, and
    ``[…](javascript:…)`` (or a reference definition to such a target) is no link.
    """
    # "<" and "&" are enough to stop every tag, comment, autolink and entity (the entities an HTML
    # escaper writes are kept, so an already escaped render is not escaped twice); ">" stays a blockquote.
    safe = _LOOSE_AMP.sub("&amp;", text).replace("<", "&lt;").replace("![", "!\\[")
    return _SCRIPT_LINK.sub("\\]", safe)


def run_summary(run: Mapping[str, Any]) -> str:
    """One Markdown line describing where a run stopped."""
    status = str(run.get("status", ""))
    trace = run.get("traceability") or {}
    kinds = ", ".join(str(a.get("kind", "")).replace("_", " ") for a in run.get("artifacts") or [])
    head = {
        "completed": "✅ Run completed",
        "awaiting_review": "🙋 Drafts ready for your review",
        "failed": "❌ Run failed",
    }.get(status, f"Run {escape(status)}")
    parts = [f"**{head}** · run `{escape(run.get('run_id', ''))}` · mode {escape(run.get('mode', ''))}"]
    if kinds:
        parts.append(f"documents: {escape(kinds)}")
    if trace:
        parts.append(f"{trace.get('cited', 0)}/{trace.get('claims', 0)} claims cited, "
                     f"{trace.get('dropped_invalid', 0)} invalid citations removed")
    text = " · ".join(parts)
    if status == "failed" and run.get("error"):
        text += f"\n\n{escape(run['error'])}"
    if status == "awaiting_review":
        text += ("\n\nApprove them in the **Review** tab, or reply here with the changes you want "
                 "(your reply revises these drafts).")
    return text


def document_messages(run: Mapping[str, Any], documents: Iterable[tuple[str, Mapping[str, Any]]]) -> list[Message]:
    """Chat messages for a finished (or paused) run: a summary, then each document."""
    messages: list[Message] = [{"role": "assistant", "content": run_summary(run), "metadata": {}}]
    for _kind, artifact in documents:
        messages.append({"role": "assistant", "content": document_markdown(artifact), "metadata": {}})
    return messages


def reply_text(run: Mapping[str, Any], documents: Iterable[tuple[str, str]]) -> str:
    """Plain reply of the ``/chat`` API: the run summary, then each document's Markdown as written."""
    lines = [
        f"run {run.get('run_id', '')}: {run.get('status', '')} (mode {run.get('mode', '')})",
    ]
    for artifact in run.get("artifacts") or []:
        lines.append(f"- {artifact.get('kind')}: {artifact.get('path_md')}")
    if run.get("error"):
        lines.append(f"error: {run['error']}")
    for _kind, markdown in documents:
        lines += ["", markdown.rstrip()]
    return "\n".join(lines) + "\n"


def revision_goal(goal: str, follow_up: str) -> str:
    """The goal of a new run that revises an earlier one with the PM's follow-up."""
    return f"{goal.strip()}\n\nRevision requested by the PM: {follow_up.strip()}"
