"""Service calls shaped for display: tables (pandas), Markdown and file lists for the Gradio app.

Every function here calls one service API (:mod:`memory.api`, :mod:`agents.runner`,
:mod:`agents.jobs`) and escapes whatever text came from signals or models before it is shown.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from agents import jobs, runner
from kernel.errors import InputError, NotFoundError
from kernel.settings import get_settings
from kernel.timeutil import parse_when
from memory import api as memory_api
from memory.repository import get_memory
from ui.events import document_markdown, escape, inert_markdown, run_summary

THEME_COLUMNS = ["label", "size", "users", "accounts", "trend", "sentiment", "keywords"]
SEARCH_COLUMNS = ["score", "kind", "source", "user", "account", "segment", "created", "text", "signal_id"]
PROFILE_COLUMNS = ["type", "claim", "support", "status", "first seen", "last seen", "evidence"]
RUN_COLUMNS = ["run_id", "status", "mode", "goal", "documents", "created"]
JOB_COLUMNS = ["job_id", "kind", "status", "attempts", "run_id", "error", "created"]
REJECTION_COLUMNS = ["path", "line", "reason"]
TOP_THEMES_CHARTED = 6
_KINDS = ("auto", "ticket", "review", "interview", "sales_call", "survey", "usage", "meeting", "commits", "issues")


def code(text: str) -> str:
    """``text`` as a Markdown code span: shown as written (no escapes inside), a fence longer than its backticks."""
    text = text.replace("\n", " ")
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def mode_badge(offline: bool) -> str:
    """Markdown badge saying how runs will be drafted: by which model, or offline."""
    settings = get_settings()
    if offline or not settings.llm_configured:
        return "🔒 **Mode: offline** — deterministic specialists, no language model"
    return f"🤖 **Mode: LLM** — model {code(settings.model)}"


def run_offline_flag(offline: bool) -> bool | None:
    """The ``offline`` argument for runs started from the app (None lets settings decide)."""
    return True if offline else None


def workspaces(default: str | None = None) -> list[str]:
    """Workspaces holding data, with the default first when given."""
    names = list(get_memory().workspaces())
    if default and default not in names:
        names.insert(0, default)
    return names


def _short(text: str, limit: int = 160) -> str:
    one = " ".join(str(text).split())
    return one if len(one) <= limit else one[: limit - 1] + "…"


def _since(value: str | None) -> datetime | None:
    return parse_when(value) if value and value.strip() else None


# ---------------------------------------------------------------- memory explorer


def themes_table(workspace: str, since: str | None = None, segment: str | None = None,
                 refresh: bool = False) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """The themes table and the themes themselves (with quotes and members, for selection and charts)."""
    report = memory_api.themes(workspace, since=_since(since), segment=(segment or "").strip() or None,
                               members=True, refresh=refresh)
    themes = [t.model_dump(mode="json") for t in report.themes]
    rows = []
    for t in themes:
        s = t.get("sentiment") or {}
        rows.append([t["label"], t["size"], t["users"], t["accounts"], f"{float(t.get('trend') or 0):+.0%}",
                     f"−{s.get('negative', 0)} · ={s.get('neutral', 0)} · +{s.get('positive', 0)}",
                     ", ".join(t.get("keywords") or [])])
    return pd.DataFrame(rows, columns=THEME_COLUMNS), themes


def theme_charts(workspace: str, themes: Sequence[Mapping[str, Any]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Weekly signal counts of the largest themes, and their mix of signal kinds."""
    top = sorted(themes, key=lambda t: -int(t.get("size") or 0))[:TOP_THEMES_CHARTED]
    ids = [m["signal_id"] for t in top for m in t.get("members") or []]
    signals = {s.id: s for s in memory_api.workspace(workspace).get_signals(ids)} if ids else {}
    trend_rows: list[tuple[datetime, str, int]] = []
    mix_rows: list[tuple[str, str, int]] = []
    for theme in top:
        label = _short(theme["label"], 40)
        members = [signals[m["signal_id"]] for m in theme.get("members") or [] if m["signal_id"] in signals]
        weeks = Counter(pd.Timestamp(s.created_at).tz_convert(None).to_period("W").start_time for s in members)
        trend_rows += [(week.to_pydatetime(), label, n) for week, n in sorted(weeks.items())]
        kinds = Counter(s.kind.value for s in members)
        mix_rows += [(label, kind, n) for kind, n in sorted(kinds.items())]
    trend = pd.DataFrame(trend_rows, columns=["week", "theme", "signals"])
    mix = pd.DataFrame(mix_rows, columns=["theme", "kind", "signals"])
    return trend, mix


def theme_detail(themes: Sequence[Mapping[str, Any]], index: int) -> str:
    """Markdown of one theme: its numbers and verbatim quotes (escaped)."""
    if not 0 <= index < len(themes):
        return "_Select a theme in the table to see its quotes._"
    t = themes[index]
    segments = ", ".join(f"{escape(k)} ({v})" for k, v in (t.get("segments") or {}).items()) or "—"
    lines = [f"### {escape(t['label'])}", "",
             f"{t['size']} signals · {t['users']} users · {t['accounts']} accounts · "
             f"trend {float(t.get('trend') or 0):+.0%} · segments: {segments}", ""]
    quotes = t.get("quotes") or []
    lines += [f"> “{escape(_short(q['quote'], 400))}” {code(q['signal_id'][:8])}\n" for q in quotes]
    if not quotes:
        lines.append("_No quotes stored for this theme._")
    return "\n".join(lines)


def search_table(query: str, workspace: str, user: str | None = None, account: str | None = None,
                 segment: str | None = None, kind: str | None = None, limit: float = 10) -> pd.DataFrame:
    """Hybrid search results as a table."""
    hits = memory_api.search(query, workspace, user_id=(user or "").strip() or None,
                             account_id=(account or "").strip() or None, segment=(segment or "").strip() or None,
                             kind=None if kind in (None, "", "any") else kind, limit=int(limit))
    rows = [[round(h.score, 3), h.kind.value, h.source, h.user_id or "", h.account_id or "", h.segment or "",
             h.created_at.date().isoformat(), _short(h.text, 300), h.signal_id] for h in hits]
    return pd.DataFrame(rows, columns=SEARCH_COLUMNS)


def profile_table(workspace: str, subject_type: str, subject: str) -> tuple[str, pd.DataFrame]:
    """A user, account or segment profile: a heading and its claims."""
    subject = (subject or "").strip()
    if not subject:
        raise InputError(f"enter a {subject_type} to show its profile")
    if subject_type not in ("user", "account", "segment"):
        raise InputError(f"unknown subject type {subject_type!r}")
    profile = memory_api.profile(workspace, **{subject_type: subject})
    rows = [[c.type.value, c.text, c.support, c.status.value, c.first_seen.date().isoformat(),
             c.last_seen.date().isoformat(), len(c.evidence)] for c in profile.claims]
    head = f"**{escape(profile.subject_type)} {escape(profile.subject)}** — {len(profile.claims)} claims"
    return head, pd.DataFrame(rows, columns=PROFILE_COLUMNS)


# ---------------------------------------------------------------- ingestion


def _upload_path(file: Any) -> Path:
    """The local path of an uploaded file (Gradio passes a path, an object with ``.path`` or a dict)."""
    return Path(file if isinstance(file, str | os.PathLike) else getattr(file, "path", None) or file["path"])


def ingest_files(files: Sequence[Any] | None, workspace: str, kind: str = "auto",
                 progress: Callable[[int, int | None], None] | None = None) -> tuple[str, pd.DataFrame]:
    """Ingest uploaded files; a summary line and the rejected rows with their reasons."""
    paths = [_upload_path(f) for f in files or []]
    if not paths:
        raise InputError("choose at least one file to ingest")
    if kind not in _KINDS:
        raise InputError(f"unknown kind {kind!r}")
    report = memory_api.ingest(paths, workspace, kind=kind, progress=progress)
    summary = (f"**{report.ingested} ingested** · {report.duplicates} duplicates · {report.updated} updated · "
               f"{len(report.rejected)} rejected — workspace {code(workspace)}")
    rows = [[Path(r.path).name, r.line, r.reason] for r in report.rejected]
    return summary, pd.DataFrame(rows, columns=REJECTION_COLUMNS)


def ingest_summary_text(summary: str, rejected: pd.DataFrame) -> str:
    """Plain-text ingest summary for the API: counts, then one line per rejection."""
    text = summary.replace("**", "").replace("`", "")
    lines = [text] + [f"rejected {row.path}:{row.line}: {row.reason}" for row in rejected.itertuples()]
    return "\n".join(lines)


# ---------------------------------------------------------------- runs, jobs and review


def _runs_of(workspace: str | None) -> list[dict[str, Any]]:
    """The runs of one workspace (none without a workspace: never every workspace's runs)."""
    return runner.list_runs(workspace) if workspace else []


def runs_table(workspace: str | None) -> pd.DataFrame:
    """Run history of a workspace, newest first."""
    rows = [[r["run_id"], r.get("status", ""), r.get("mode", ""), _short(r.get("goal", ""), 120),
             ", ".join(a["kind"] for a in r.get("artifacts") or []), str(r.get("created_at", ""))[:19]]
            for r in _runs_of(workspace)]
    return pd.DataFrame(rows, columns=RUN_COLUMNS)


def run_choices(workspace: str | None) -> list[tuple[str, str]]:
    """Dropdown choices of the runs of a workspace: (label, run id)."""
    return [(f"{r['run_id']} · {r.get('status', '')} · {_short(r.get('goal', ''), 60)}", r["run_id"])
            for r in _runs_of(workspace)]


def jobs_table(workspace: str | None) -> pd.DataFrame:
    """Queued and finished jobs of a workspace, newest first."""
    rows = []
    for job in jobs.list_jobs(workspace, limit=50) if workspace else []:
        d = job.model_dump(mode="json")
        rows.append([d["job_id"], d["kind"], d["status"], d["attempts"], d.get("run_id") or "",
                     _short(d.get("error") or "", 120), str(d.get("created_at", ""))[:19]])
    return pd.DataFrame(rows, columns=JOB_COLUMNS)


def enqueue_goal(goal: str, workspace: str, deliverables: Sequence[str] | None, review: bool,
                 offline: bool) -> str:
    """Queue a run for a worker; a line saying which job was created."""
    if not goal or not goal.strip():
        raise InputError("goal is empty")
    options: dict[str, Any] = {"review": bool(review)}
    if deliverables:
        options["deliverables"] = list(deliverables)
    if offline:
        options["offline"] = True
    job = jobs.enqueue_run(goal.strip(), workspace, **options)
    return (f"Queued job {code(job.job_id)} ({escape(job.status.value)}); run id {code(job.run_id or '')}. "
            "Start a worker with `pmpilot worker` to process it.")


def run_overview(run_id: str) -> tuple[str, list[str]]:
    """The summary line of a run and the kinds of its documents."""
    if not run_id:
        return "_Choose a run._", []
    run = runner.get_run(run_id)
    return run_summary(run), [a["kind"] for a in run.get("artifacts") or []]


def _original_path(path_md: Path) -> Path:
    return path_md.with_name(path_md.stem + ".draft.md")


def _artifact_paths(run_id: str, kind: str) -> tuple[Path, Path]:
    for artifact in runner.get_run(run_id).get("artifacts") or []:
        if artifact["kind"] == kind:
            return Path(artifact["path_md"]), Path(artifact["path_json"])
    raise NotFoundError(f"run {run_id} has no {kind!r} document")


def document_view(run_id: str, kind: str) -> tuple[str, str, list[str], list[tuple[str, str]]]:
    """One document: safe preview, editable Markdown, download files, and its cited evidence."""
    if not run_id or not kind:
        return "_Choose a run and a document._", "", [], []
    markdown, artifact = runner.read_artifact(run_id, kind)
    path_md, _ = _artifact_paths(run_id, kind)
    if _original_path(path_md).is_file():
        preview = "> ✏️ edited by the PM\n\n" + inert_markdown(markdown)
    else:
        preview = document_markdown(artifact)
    evidence = [(f"[s:{row['signal_id'][:8]}] {_short(row.get('quote', ''), 70)}", row["signal_id"])
                for row in artifact.get("evidence") or []]
    return preview, markdown, download_files(run_id, kind), evidence


def download_files(run_id: str, kind: str) -> list[str]:
    """Copies of a document's Markdown and JSON in a fresh temp dir (Gradio serves only temp/allowed paths)."""
    path_md, path_json = _artifact_paths(run_id, kind)
    target = Path(tempfile.mkdtemp(prefix="pmpilot-dl-"))
    out = []
    for path in (path_md, path_json):
        if path.is_file():
            out.append(str(shutil.copy(path, target / f"{run_id}-{path.name}")))
    return out


def save_draft(run_id: str, kind: str, text: str) -> str:
    """Save the PM's edit of a document's Markdown (the first save keeps the draft as ``<kind>.draft.md``)."""
    if not run_id or not kind:
        raise InputError("choose a run and a document first")
    if not text or not text.strip():
        raise InputError("the edited document is empty")
    path_md, _ = _artifact_paths(run_id, kind)
    original = _original_path(path_md)
    if not original.exists() and path_md.is_file():
        shutil.copy(path_md, original)
    fd, tmp = tempfile.mkstemp(prefix=f".{path_md.name}.", dir=path_md.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text if text.endswith("\n") else text + "\n")
    os.replace(tmp, path_md)
    return f"Saved your edit of {escape(kind.replace('_', ' '))} to {code(str(path_md))}."


def signal_detail(run_id: str, signal_id: str) -> str:
    """The full stored signal behind a citation (escaped)."""
    if not run_id or not signal_id:
        return "_Choose a citation to see the signal it quotes._"
    workspace = runner.get_run(run_id).get("workspace", "")
    found = memory_api.workspace(workspace).get_signals([signal_id])
    if not found:
        return f"_Signal {code(signal_id[:8])} is no longer stored (it may have been forgotten)._"
    s = found[0]
    who = " · ".join(escape(x) for x in (s.user_id, s.account_id, s.segment) if x)
    return (f"**{escape(s.kind.value)}** from {code(s.source)} · {s.created_at.date().isoformat()}"
            f"{' · ' + who if who else ''}\n\n> {escape(s.text)}")


def run_summary_after(run_id: str, *, approve: bool = False, revise: str | None = None) -> str:
    """Resume a run paused for review (approve, or revise with the PM's text); its new summary line."""
    if not approve and not (revise and revise.strip()):
        raise InputError("write what should change before requesting changes")
    return run_summary(runner.resume_run(run_id, approve=approve, revise=revise if not approve else None))




def ask_view(workspace: str, question: str, scope: str = "all", value: str | None = None,
             offline: bool | None = None) -> str:
    """Answer a question from the user model as escaped Markdown: answer, confidence, evidence and dissent."""
    from agents.ask import ask_users

    if not (question or "").strip():
        raise InputError("type a question about your users")
    value = (value or "").strip() or None
    answer = ask_users(question, workspace, segment=value if scope == "segment" else None,
                       account=value if scope == "account" else None, offline=offline)
    lines = [f"**{'Not enough evidence' if answer.insufficient_evidence else 'Answer'}** "
             f"(confidence {answer.confidence:.2f})", "", escape(answer.answer), ""]
    if answer.evidence:
        lines += ["**Evidence**", ""] + [f"- “{escape(e.quote)}” `{e.signal_id[:8]}`" for e in answer.evidence]
    if answer.dissent:
        lines += ["", "**Dissent**", ""] + [f"- {escape(_quote_text(d))}" for d in answer.dissent]
    return "\n".join(lines)


def _quote_text(item: Any) -> str:
    quote = getattr(item, "quote", None) if not isinstance(item, Mapping) else item.get("quote")
    return f"“{quote}”" if quote else str(item)


def audit_view(file: Any, tz: str = "UTC") -> tuple[pd.DataFrame, str]:
    """Audit an uploaded .ics calendar: hours per category (for a bar chart) and the text report."""
    from tools.calendar_audit import audit_calendar, render_text

    if file is None:
        raise InputError("upload an .ics calendar export first")
    report = audit_calendar(_upload_path(file), tz=(tz or "UTC").strip())
    chart = pd.DataFrame([{"category": c.name, "hours": c.hours, "share": c.share} for c in report.categories])
    return chart, render_text(report)
