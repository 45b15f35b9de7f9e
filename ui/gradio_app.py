"""The Gradio app for PMs: chat with visible agents, review drafts, explore user memory, ingest.

``create_app()`` builds the Blocks without launching (tests, embedding); ``launch()`` serves it
on loopback by default, never with a public share link, with logins from ``PMPILOT_UI_AUTH`` /
``PMPILOT_UI_USERS`` (each login limited to its workspaces, :mod:`ui.web.access`). API endpoints
that are part of the contract: ``/chat`` (message, workspace → reply text with the drafted
documents), ``/ingest`` (files, workspace, kind → summary) and ``/themes`` (workspace → table).
Every other event is private to the page — hidden, not protected: every handler checks the
caller's workspaces itself, because any client can call any event by its index.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd

from agents.demo import DEMO_WORKSPACE
from kernel.errors import ConfigError
from kernel.kinds import DELIVERABLE_KINDS
from kernel.net import is_loopback
from kernel.settings import get_settings
from ui.events import Message
from ui.web import chat, views
from ui.web.access import UIAccess, username
from ui.web.errors import friendly

TITLE = "pmpilot"
PRIVATE = "private"
#: Table cells are text nodes, never Markdown or HTML: signal text in a table cannot inject markup.
TEXT = "str"
CSS = """
.pm-header { align-items: center; }
.pm-badge p { margin: 0; padding: 6px 12px; border-radius: 999px; background: var(--block-background-fill);
  border: 1px solid var(--border-color-primary); display: inline-block; }
abbr.pm-cite { text-decoration: underline dotted; cursor: help; font-size: 0.85em; color: var(--link-text-color); }
"""
#: System fonts only: a self-hosted app must not fetch fonts from a third party.
THEME = gr.themes.Soft(font=["ui-sans-serif", "system-ui", "Segoe UI", "Roboto", "sans-serif"],
                       font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "monospace"])
PLACEHOLDER = (
    "**Ask for decision-ready drafts grounded in what your users said.**\n\n"
    "e.g. *Should we fix sync bugs before building dark mode? Draft requirements, a brief for leadership "
    "and a decision memo.*"
)
EXAMPLE_GOAL = ("Should we fix sync bugs before building dark mode? Draft requirements, a brief for leadership "
                "and a decision memo.")
SIGNAL_KINDS = ["any", "ticket", "review", "interview", "sales_call", "survey", "usage", "meeting", "commit", "issue"]
INGEST_KINDS = ["auto", "ticket", "review", "interview", "sales_call", "survey", "usage", "meeting", "commits",
                "issues"]


def create_app(workspace: str | None = None, offline: bool = False, *, access: UIAccess | None = None) -> gr.Blocks:
    """Build the app (not launched).

    Args:
        workspace: Pin the app to this workspace: the only one it offers and serves (default: every
            workspace the caller may use; the page opens on the first one holding data, else the
            demo workspace).
        offline: Force offline mode for every run started from the app.
        access: Logins and their workspaces (default: from settings); ``workspace`` narrows it.
    """
    run_offline = views.run_offline_flag(offline)
    policy = (access or UIAccess.from_settings()).pinned_to(workspace)
    deliverable_choices = list(DELIVERABLE_KINDS)

    with gr.Blocks(title=TITLE, fill_width=True) as app:
        session = gr.State({})
        themes_state = gr.State([])
        rejections_state = gr.State(pd.DataFrame(columns=views.REJECTION_COLUMNS))

        with gr.Row(elem_classes="pm-header"):
            gr.Markdown("## 🧭 pmpilot — your users' evidence, decision-ready", scale=3)
            badge = gr.Markdown(elem_classes="pm-badge", elem_id="pm-mode", scale=2)
            ws = gr.Dropdown(label="Workspace", choices=[], value=workspace, allow_custom_value=True,
                             elem_id="pm-workspace", scale=1)

        with gr.Tabs() as tabs:
            with gr.Tab("Chat", id="chat"):
                chatbot = gr.Chatbot(elem_id="pm-chat", height=620, placeholder=PLACEHOLDER, layout="panel",
                                     buttons=["copy_all"], feedback_options=None)
                with gr.Row():
                    goal = gr.Textbox(show_label=False, placeholder="Your goal, or a follow-up to revise the drafts",
                                      lines=2, max_lines=8, scale=8, elem_id="pm-goal", submit_btn=False)
                    with gr.Column(scale=1, min_width=120):
                        send = gr.Button("Send", variant="primary", elem_id="pm-send")
                        new_thread = gr.Button("New thread", size="sm")
                with gr.Accordion("Run options", open=False):
                    review = gr.Checkbox(value=True, label="Pause for my review before finalizing")
                    deliverables = gr.CheckboxGroup(deliverable_choices, label="Deliverables (empty: the planner "
                                                    "chooses from the goal)")
                gr.Examples([[EXAMPLE_GOAL]], inputs=[goal])

            with gr.Tab("Review", id="review"):
                with gr.Row():
                    run_dd = gr.Dropdown(label="Run", choices=[], scale=4, elem_id="pm-run")
                    refresh_runs = gr.Button("↻ Refresh", scale=0, size="sm")
                run_status = gr.Markdown()
                kind = gr.Radio(label="Document", choices=[])
                with gr.Row():
                    approve = gr.Button("✅ Approve", variant="primary", scale=1)
                    revise_text = gr.Textbox(label="Request changes", placeholder="What should change?", scale=4)
                    revise = gr.Button("✏️ Request changes", scale=1)
                with gr.Tabs():
                    with gr.Tab("Preview"):
                        preview = gr.Markdown(elem_id="pm-doc")
                    with gr.Tab("Edit"):
                        editor = gr.Textbox(label="Markdown", lines=24, max_lines=60)
                        save = gr.Button("💾 Save edit")
                        saved = gr.Markdown()
                downloads = gr.File(label="Download (Markdown, JSON)", file_count="multiple", interactive=False)
                with gr.Row():
                    citation = gr.Dropdown(label="Citations — pick one to see the signal it quotes", choices=[],
                                           scale=2)
                    signal = gr.Markdown()

            with gr.Tab("Memory", id="memory"):
                with gr.Row():
                    since = gr.Textbox(label="Since (date)", placeholder="2025-01-01 or 90d", scale=1)
                    segment = gr.Textbox(label="Segment", scale=1)
                    themes_btn = gr.Button("Show themes", variant="primary", scale=0)
                    refresh_themes = gr.Button("Recompute", scale=0)
                themes_df = gr.Dataframe(datatype=TEXT, headers=views.THEME_COLUMNS, interactive=False, wrap=True,
                                         label="Themes — click a row for its quotes", elem_id="pm-themes")
                with gr.Row():
                    trend_plot = gr.LinePlot(x="week", y="signals", color="theme", label="Theme trend (signals/week)",
                                             height=300)
                    mix_plot = gr.BarPlot(x="theme", y="signals", color="kind", label="Source mix per theme",
                                          height=300, x_label_angle=-20)
                theme_md = gr.Markdown("_Select a theme in the table to see its quotes._")
                gr.Markdown("### Search user memory")
                with gr.Row():
                    query = gr.Textbox(label="Query", scale=3)
                    s_user = gr.Textbox(label="User", scale=1)
                    s_account = gr.Textbox(label="Account", scale=1)
                    s_segment = gr.Textbox(label="Segment", scale=1)
                    s_kind = gr.Dropdown(SIGNAL_KINDS, value="any", label="Kind", scale=1)
                    s_limit = gr.Slider(1, 100, value=10, step=1, label="Limit", scale=1)
                search_btn = gr.Button("Search")
                hits = gr.Dataframe(datatype=TEXT, headers=views.SEARCH_COLUMNS, interactive=False, wrap=True)
                gr.Markdown("### Profile")
                with gr.Row():
                    p_type = gr.Radio(["user", "account", "segment"], value="account", label="Subject", scale=1)
                    p_subject = gr.Textbox(label="Id or name", scale=2)
                    profile_btn = gr.Button("Show profile", scale=0)
                profile_head = gr.Markdown()
                claims = gr.Dataframe(datatype=TEXT, headers=views.PROFILE_COLUMNS, interactive=False, wrap=True)

            with gr.Tab("Ingest", id="ingest"):
                files = gr.File(label="Files (CSV, JSON/JSONL, VTT/SRT transcripts, text …)", file_count="multiple",
                                elem_id="pm-files")
                with gr.Row():
                    ingest_kind = gr.Dropdown(INGEST_KINDS, value="auto", label="Kind", scale=1)
                    ingest_btn = gr.Button("Ingest", variant="primary", scale=0)
                ingest_summary = gr.Textbox(label="Result", interactive=False, lines=3, elem_id="pm-ingest-result")
                rejections = gr.Dataframe(datatype=TEXT, headers=views.REJECTION_COLUMNS, interactive=False, wrap=True,
                                          label="Rejected rows")

            with gr.Tab("Ask & audit", id="ask"):
                gr.Markdown("### Ask the users — answered from the user model, with quotes and dissent")
                with gr.Row():
                    ask_q = gr.Textbox(label="Question", scale=4,
                                       placeholder="How would enterprise admins react if SSO left the Basic plan?")
                    ask_scope = gr.Dropdown(["all", "segment", "account"], value="all", label="Scope", scale=1)
                    ask_value = gr.Textbox(label="Segment / account", scale=1)
                    ask_btn = gr.Button("Ask", variant="primary", scale=0)
                ask_md = gr.Markdown()
                gr.Markdown("### Where does your time go? Upload a calendar export (.ics)")
                with gr.Row():
                    ics_file = gr.File(label="Calendar (.ics)", file_types=[".ics"], scale=3)
                    ics_tz = gr.Textbox(label="Time zone", value="UTC", scale=1)
                    audit_btn = gr.Button("Audit", scale=0)
                audit_plot = gr.BarPlot(x="category", y="hours", title="Hours per category")
                audit_text = gr.Textbox(label="Report", lines=14, interactive=False)

            with gr.Tab("Runs & jobs", id="runs"):
                with gr.Row():
                    gr.Markdown("### Run history — click a run to open it in Review")
                    refresh_lists = gr.Button("↻ Refresh", scale=0, size="sm")
                runs_df = gr.Dataframe(datatype=TEXT, headers=views.RUN_COLUMNS, interactive=False, wrap=True)
                gr.Markdown("### Jobs")
                jobs_df = gr.Dataframe(datatype=TEXT, headers=views.JOB_COLUMNS, interactive=False, wrap=True)
                gr.Markdown("### Enqueue a run for later")
                with gr.Row():
                    q_goal = gr.Textbox(label="Goal", scale=4)
                    q_deliverables = gr.CheckboxGroup(deliverable_choices, label="Deliverables", scale=2)
                    q_review = gr.Checkbox(label="Pause for review", value=False, scale=1)
                enqueue_btn = gr.Button("Enqueue")
                enqueued = gr.Markdown()

        # ------------------------------------------------------------------ handlers
        # Every handler takes the caller's gr.Request and checks each workspace and run it is given
        # against that caller's workspaces (``policy``): the page's values are never trusted.

        @friendly
        def on_load(current: str | None, request: gr.Request) -> tuple[Any, str]:
            user = username(request)
            restricted = policy.restricted(user)
            names = policy.choices(user, [] if restricted else views.workspaces(current or workspace))
            if restricted:
                chosen = current if current in names else (names[0] if names else None)
            else:
                chosen = current or workspace or (names[0] if names else DEMO_WORKSPACE)
                names = names or [chosen]
            return (gr.update(choices=names, value=chosen, allow_custom_value=not restricted),
                    views.mode_badge(offline))

        @friendly
        def on_chat(message: str, workspace_name: str, state: dict[str, Any], review_on: bool,
                    chosen: list[str], request: gr.Request) -> Iterator[tuple[list[Message], dict[str, Any]]]:
            name = policy.check(request, workspace_name)
            yield from chat.respond(message, name, state, review=review_on, deliverables=chosen or None,
                                    offline=run_offline)

        def on_new_thread() -> tuple[list[Message], dict[str, Any]]:
            return [], {}

        @friendly
        def run_list(workspace_name: str | None, state: dict[str, Any], request: gr.Request) -> Any:
            if not workspace_name:
                return gr.update(choices=[], value=None)
            choices = views.run_choices(policy.check(request, workspace_name))
            value = state.get("run_id") if state.get("run_id") in {v for _, v in choices} else (
                choices[0][1] if choices else None)
            return gr.update(choices=choices, value=value)

        @friendly
        def open_run(run_id: str | None, request: gr.Request) -> tuple[str, Any]:
            if run_id:
                policy.check_run(request, run_id)
            summary, kinds = views.run_overview(run_id or "")
            return summary, gr.update(choices=kinds, value=kinds[0] if kinds else None)

        @friendly
        def open_document(run_id: str | None, doc_kind: str | None,
                          request: gr.Request) -> tuple[str, str, list[str], Any, str]:
            if run_id:
                policy.check_run(request, run_id)
            text, raw, paths, evidence = views.document_view(run_id or "", doc_kind or "")
            return text, raw, paths, gr.update(choices=evidence, value=None), ""

        @friendly
        def on_approve(run_id: str | None, request: gr.Request) -> str:
            if not run_id:
                raise gr.Error("choose a run to approve")
            policy.check_run(request, run_id)
            return views.run_summary_after(run_id, approve=True)

        @friendly
        def on_revise(run_id: str | None, text: str, request: gr.Request) -> str:
            if not run_id:
                raise gr.Error("choose a run to revise")
            policy.check_run(request, run_id)
            return views.run_summary_after(run_id, revise=text)

        @friendly
        def on_save(run_id: str | None, doc_kind: str | None, text: str, request: gr.Request) -> str:
            if run_id:
                policy.check_run(request, run_id)
            return views.save_draft(run_id or "", doc_kind or "", text)

        @friendly
        def on_citation(run_id: str | None, signal_id: str | None, request: gr.Request) -> str:
            if run_id:
                policy.check_run(request, run_id)
            return views.signal_detail(run_id or "", signal_id or "")

        @friendly
        def themes_filtered(workspace_name: str, since_text: str, segment_text: str,
                            request: gr.Request) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
            return views.themes_table(policy.check(request, workspace_name), since_text, segment_text)

        @friendly
        def themes_recomputed(workspace_name: str, since_text: str, segment_text: str,
                              request: gr.Request) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
            return views.themes_table(policy.check(request, workspace_name), since_text, segment_text,
                                      refresh=True)

        @friendly
        def charts(workspace_name: str, themes: list[dict[str, Any]],
                   request: gr.Request) -> tuple[pd.DataFrame, pd.DataFrame, str]:
            trend, mix = views.theme_charts(policy.check(request, workspace_name), themes)
            return trend, mix, views.theme_detail(themes, -1)

        def pick_theme(themes: list[dict[str, Any]], evt: gr.SelectData) -> str:
            # ``themes`` is this session's server-side state, filled by an already checked call.
            row = evt.index[0] if isinstance(evt.index, list | tuple) else evt.index
            return views.theme_detail(themes, int(row))

        @friendly
        def lists(workspace_name: str | None, request: gr.Request) -> tuple[pd.DataFrame, pd.DataFrame]:
            name = policy.check(request, workspace_name) if workspace_name else None
            return views.runs_table(name), views.jobs_table(name)

        @friendly
        def pick_run(table: pd.DataFrame, workspace_name: str, evt: gr.SelectData,
                     request: gr.Request) -> tuple[Any, Any]:
            name = policy.check(request, workspace_name)
            row = evt.index[0] if isinstance(evt.index, list | tuple) else evt.index
            run_id = str(table.iloc[int(row)]["run_id"])
            policy.check_run(request, run_id)
            return gr.update(choices=views.run_choices(name), value=run_id), gr.Tabs(selected="review")

        @friendly
        def on_enqueue(goal_text: str, workspace_name: str, chosen: list[str], review_on: bool,
                       request: gr.Request) -> str:
            return views.enqueue_goal(goal_text, policy.check(request, workspace_name), chosen, review_on, offline)

        @friendly
        def on_search(q: str, workspace_name: str, user: str, account: str, seg: str, kind_name: str,
                      limit: float, request: gr.Request) -> pd.DataFrame:
            return views.search_table(q, policy.check(request, workspace_name), user, account, seg, kind_name, limit)

        @friendly
        def on_profile(workspace_name: str, subject_type: str, subject: str,
                       request: gr.Request) -> tuple[str, pd.DataFrame]:
            return views.profile_table(policy.check(request, workspace_name), subject_type, subject)

        @friendly
        def on_ask(workspace_name: str, question: str, scope: str, value: str, request: gr.Request) -> str:
            return views.ask_view(policy.check(request, workspace_name), question, scope, value, offline=run_offline)

        def chat_endpoint(message: str, workspace: str, request: gr.Request) -> str:
            """Run a goal on a workspace and return the drafted documents as Markdown."""
            name = policy.check(request, workspace)
            return friendly(chat.chat_reply)(message, name, offline=run_offline)

        @friendly
        def themes_endpoint(workspace: str, request: gr.Request) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
            """``/themes``: the themes table of a workspace (and, for the page, the themes themselves)."""
            return views.themes_table(policy.check(request, workspace))

        @friendly
        def ingest_endpoint(files: list[Any] | None, workspace: str, kind: str, request: gr.Request,
                            progress: gr.Progress = gr.Progress()) -> tuple[str, pd.DataFrame]:  # noqa: B008
            """``/ingest``: ingest uploaded files; a plain summary (counts, one line per rejection), the rejections."""
            name = policy.check(request, workspace)

            def report(done: int, total: int | None) -> None:
                progress((done, total), desc="ingesting", unit="rows")

            summary, rejected = views.ingest_files(files, name, kind, progress=report)
            return views.ingest_summary_text(summary, rejected), rejected

        # ------------------------------------------------------------------ wiring

        app.load(on_load, [ws], [ws, badge], api_visibility=PRIVATE).then(
            run_list, [ws, session], run_dd, api_visibility=PRIVATE)
        chat_inputs = [goal, ws, session, review, deliverables]
        for trigger in (send.click, goal.submit):
            (trigger(on_chat, chat_inputs, [chatbot, session], api_visibility=PRIVATE, concurrency_limit=2,
                     concurrency_id="runs")
             .then(lambda: "", None, goal, api_visibility=PRIVATE)
             .then(run_list, [ws, session], run_dd, api_visibility=PRIVATE))
        new_thread.click(on_new_thread, None, [chatbot, session], api_visibility=PRIVATE)
        gr.api(chat_endpoint, api_name="chat", concurrency_limit=2, concurrency_id="runs")

        refresh_runs.click(run_list, [ws, session], run_dd, api_visibility=PRIVATE)
        ws.change(run_list, [ws, session], run_dd, api_visibility=PRIVATE)
        run_dd.change(open_run, run_dd, [run_status, kind], api_visibility=PRIVATE)
        kind.change(open_document, [run_dd, kind], [preview, editor, downloads, citation, signal],
                    api_visibility=PRIVATE)
        for button, handler, inputs in ((approve, on_approve, [run_dd]), (revise, on_revise, [run_dd, revise_text])):
            (button.click(handler, inputs, run_status, api_visibility=PRIVATE, concurrency_limit=2,
                          concurrency_id="runs")
             .then(open_run, run_dd, [run_status, kind], api_visibility=PRIVATE)
             .then(open_document, [run_dd, kind], [preview, editor, downloads, citation, signal],
                   api_visibility=PRIVATE))
        save.click(on_save, [run_dd, kind, editor], saved, api_visibility=PRIVATE).then(
            open_document, [run_dd, kind], [preview, editor, downloads, citation, signal], api_visibility=PRIVATE)
        citation.change(on_citation, [run_dd, citation], signal, api_visibility=PRIVATE)

        themes_btn.click(themes_filtered, [ws, since, segment], [themes_df, themes_state],
                         api_visibility=PRIVATE).then(charts, [ws, themes_state], [trend_plot, mix_plot, theme_md],
                                                      api_visibility=PRIVATE)
        refresh_themes.click(themes_recomputed, [ws, since, segment], [themes_df, themes_state],
                             api_visibility=PRIVATE).then(
            charts, [ws, themes_state], [trend_plot, mix_plot, theme_md], api_visibility=PRIVATE)
        themes_trigger = gr.Button(visible=False)
        themes_trigger.click(themes_endpoint, [ws], [themes_df, themes_state], api_name="themes").then(
            charts, [ws, themes_state], [trend_plot, mix_plot, theme_md], api_visibility=PRIVATE)
        themes_df.select(pick_theme, themes_state, theme_md, api_visibility=PRIVATE)
        search_btn.click(on_search, [query, ws, s_user, s_account, s_segment, s_kind, s_limit], hits,
                         api_visibility=PRIVATE)
        query.submit(on_search, [query, ws, s_user, s_account, s_segment, s_kind, s_limit], hits,
                     api_visibility=PRIVATE)
        profile_btn.click(on_profile, [ws, p_type, p_subject], [profile_head, claims], api_visibility=PRIVATE)

        ingest_btn.click(ingest_endpoint, [files, ws, ingest_kind], [ingest_summary, rejections_state],
                         api_name="ingest").then(lambda df: df, rejections_state, rejections,
                                                 api_visibility=PRIVATE)

        ask_btn.click(on_ask, [ws, ask_q, ask_scope, ask_value], ask_md, api_visibility=PRIVATE)
        audit_btn.click(friendly(views.audit_view), [ics_file, ics_tz], [audit_plot, audit_text],
                        api_visibility=PRIVATE)

        refresh_lists.click(lists, ws, [runs_df, jobs_df], api_visibility=PRIVATE)
        tabs.change(lists, ws, [runs_df, jobs_df], api_visibility=PRIVATE)
        runs_df.select(pick_run, [runs_df, ws], [run_dd, tabs], api_visibility=PRIVATE)
        enqueue_btn.click(on_enqueue, [q_goal, ws, q_deliverables, q_review], enqueued, api_visibility=PRIVATE).then(
            lists, ws, [runs_df, jobs_df], api_visibility=PRIVATE)

    return app


def blocked_paths() -> list[str]:
    """Where Gradio must never serve files from: pmpilot's data (artifacts, store, checkpoints, queue).

    Downloads are copies handed to Gradio's cache (per-install secret hashes in their paths); the
    originals under ``PMPILOT_HOME`` stay unreachable through ``/gradio_api/file=`` even if
    ``allowed_paths`` is ever widened. When Gradio's own cache lives under ``PMPILOT_HOME`` only
    pmpilot's own directories are blocked, so uploads keep working.
    """
    from gradio.utils import get_cache_folder, get_upload_folder, is_in_or_equal

    settings = get_settings()
    home = settings.home.resolve()
    served = [Path(get_cache_folder()).resolve(), Path(get_upload_folder()).resolve()]
    if not any(is_in_or_equal(path, home) for path in served):
        return [str(home)]
    return [str(home / name) for name in ("runs", "run-index", "store")] + [
        str(settings.checkpoint_path), str(settings.queue_path)]


def launch(host: str = "127.0.0.1", port: int = 7860, workspace: str | None = None, offline: bool = False,
           *, prevent_thread_lock: bool = False, quiet: bool = False, announce: bool = False) -> gr.Blocks:
    """Serve the app (blocking unless ``prevent_thread_lock``); never creates a public share link.

    Logins come from ``PMPILOT_UI_AUTH`` / ``PMPILOT_UI_USERS`` (each with its workspaces);
    ``workspace`` pins the app to that one workspace; ``announce`` prints where it serves once the
    configuration is known to be sound.

    Raises:
        ConfigError: bound to a non-loopback address without any login configured.
    """
    policy = UIAccess.from_settings(pinned=workspace)
    if not is_loopback(host) and not policy.enabled:
        raise ConfigError(f"a login is required to serve the app on non-loopback address {host}: "
                          "set PMPILOT_UI_AUTH or PMPILOT_UI_USERS")
    app = create_app(workspace=workspace, offline=offline, access=policy)
    if announce:
        print(f"pmpilot UI on http://{host}:{port}  (Ctrl-C to stop)", flush=True)
    app.queue(default_concurrency_limit=4)
    app.launch(server_name=host, server_port=port, share=False,
               auth=policy.authenticate if policy.enabled else None, show_error=True,
               prevent_thread_lock=prevent_thread_lock, quiet=quiet, css=CSS, theme=THEME,
               footer_links=["api"], ssr_mode=False, mcp_server=False, run_history=False,
               blocked_paths=blocked_paths())
    return app
