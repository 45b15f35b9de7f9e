"""The Gradio app served on 127.0.0.1, called through ``gradio_client`` (contract endpoints), plus the
review flow and the streaming chat behind the page, against a real seeded workspace."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kernel.settings import get_settings

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "graph"
WS = "uiclient"
GOAL = "Should we fix sync bugs before building dark mode? Draft requirements and a decision memo."


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from memory import api
    from memory.repository import reset_memory
    from ui.gradio_app import launch

    patch = pytest.MonkeyPatch()
    patch.setenv("PMPILOT_HOME", str(tmp_path_factory.mktemp("ui-client-home")))
    patch.delenv("PMPILOT_UI_AUTH", raising=False)
    get_settings.cache_clear()
    reset_memory()
    report = api.ingest([FIXTURES / "tickets.csv", FIXTURES / "reviews.csv"], WS)
    assert report.ingested == 31
    port = _free_port()
    app = launch(port=port, workspace=WS, offline=True, prevent_thread_lock=True, quiet=True)
    yield {"url": f"http://127.0.0.1:{port}/", "app": app}
    app.close()
    reset_memory()
    patch.undo()
    get_settings.cache_clear()


@pytest.fixture(scope="module")
def client(server: dict[str, Any]) -> Any:
    from gradio_client import Client

    return Client(server["url"], verbose=False, download_files=False)


def test_only_the_contract_endpoints_are_public(client: Any) -> None:
    endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert set(endpoints) == {"/chat", "/ingest", "/themes"}
    chat_params = [p["parameter_name"] for p in endpoints["/chat"]["parameters"]]
    assert chat_params == ["message", "workspace"]
    assert [p["parameter_name"] for p in endpoints["/themes"]["parameters"]] == ["workspace"]
    assert [p["parameter_name"] for p in endpoints["/ingest"]["parameters"]][:2] == ["files", "workspace"]


def test_chat_returns_grounded_documents(client: Any) -> None:
    import json

    reply = client.predict(message=GOAL, workspace=WS, api_name="/chat")
    first = reply.splitlines()[0]
    assert first.startswith("run ") and ": completed (mode offline)" in first
    run_id = first.split()[1].rstrip(":")
    assert "# Requirements" in reply and "## User stories" in reply and "## Evidence" in reply
    assert "[s:" in reply
    run_json = Path(get_settings().runs_dir) / run_id / "run.json"
    run = json.loads(run_json.read_text(encoding="utf-8"))
    assert run["status"] == "completed"
    for artifact in run["artifacts"]:
        assert artifact["path_md"] in reply


def test_chat_errors_are_one_line(client: Any) -> None:
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError) as caught:
        client.predict(message=GOAL, workspace="nobody-here", api_name="/chat")
    message = str(caught.value)
    # The app is pinned to WS (``launch(workspace=WS)``): any other workspace is refused, data or not.
    assert "workspace not allowed" in message and "Traceback" not in message and "\n" not in message.strip()
    with pytest.raises(AppError, match="message is empty"):
        client.predict(message="   ", workspace=WS, api_name="/chat")


def test_ingest_counts_duplicates_and_rejections(client: Any, tmp_path: Path) -> None:
    from gradio_client import handle_file

    upload = tmp_path / "new_tickets.csv"
    upload.write_text(
        "id,created_at,user_id,account_id,segment,text\n"
        "N-1,2025-08-01,user70,bigco,enterprise,Export to PDF loses all my images.\n"
        "N-2,2025-08-02,user71,bigco,enterprise,\n"
        "N-3,someday,user72,bigco,enterprise,Search does not find words inside attachments.\n",
        encoding="utf-8",
    )
    summary = client.predict(files=[handle_file(str(upload))], workspace=WS, kind="auto", api_name="/ingest")
    assert summary.startswith("1 ingested · 0 duplicates · 0 updated · 2 rejected")
    assert "new_tickets.csv:3: missing or empty text" in summary
    assert "new_tickets.csv:4: unparseable date 'someday'" in summary
    again = client.predict(files=[handle_file(str(upload))], workspace=WS, kind="auto", api_name="/ingest")
    assert again.startswith("0 ingested · 1 duplicates")

    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="not in the list of choices"):
        client.predict(files=[handle_file(str(upload))], workspace=WS, kind="tweets", api_name="/ingest")


def test_themes_table(client: Any) -> None:
    from memory import api

    table = client.predict(workspace=WS, api_name="/themes")
    assert table["headers"] == ["label", "size", "users", "accounts", "trend", "sentiment", "keywords"]
    rows = table["data"]
    assert rows and all(row[0] for row in rows)
    report = api.themes(WS)
    assert [row[0] for row in rows] == [t.label for t in report.themes]
    assert [row[1] for row in rows] == [t.size for t in report.themes]


def test_streaming_chat_then_review_edit_and_approve(server: dict[str, Any]) -> None:
    from agents import runner
    from ui.web import chat, views

    updates = list(chat.respond(GOAL, WS, {}, review=True, offline=True))
    first_messages, _ = updates[0]
    assert [m["role"] for m in first_messages] == ["user"]
    assert any(m["metadata"].get("status") == "pending" for msgs, _ in updates[1:-1] for m in msgs), \
        "steps should stream while they run"
    messages, session = updates[-1]
    run_id = session["run_id"]
    assert session["status"] == "awaiting_review"
    assert any("Drafts ready for your review" in m["content"] for m in messages)
    assert any("<abbr" in m["content"] for m in messages)

    # A follow-up while the run awaits review revises that same run.
    *_, (messages, session) = chat.respond("Keep it shorter for leadership.", WS, session, review=True,
                                           offline=True)
    assert session["run_id"] == run_id and session["status"] == "awaiting_review"
    assert sum(1 for m in messages if m["role"] == "user") == 2

    summary, kinds = views.run_overview(run_id)
    assert "review" in summary and "requirements" in kinds
    preview, raw, downloads, evidence = views.document_view(run_id, "requirements")
    assert "<abbr" in preview and raw.startswith("# ") and evidence
    assert sorted(Path(p).suffix for p in downloads) == [".json", ".md"]
    detail = views.signal_detail(run_id, evidence[0][1])
    assert detail.startswith("**ticket**") or detail.startswith("**review**")
    assert evidence[0][0].split("] ", 1)[1].rstrip("…")[:40] in detail.replace("\\", "")

    path_md = Path(next(a["path_md"] for a in runner.get_run(run_id)["artifacts"] if a["kind"] == "requirements"))
    views.save_draft(run_id, "requirements", raw + "\nEdited by the PM.\n")
    assert path_md.read_text(encoding="utf-8").endswith("Edited by the PM.\n")
    assert path_md.with_name("requirements.draft.md").read_text(encoding="utf-8") == raw
    preview, *_ = views.document_view(run_id, "requirements")
    assert "edited by the PM" in preview and "Edited by the PM." in preview

    assert "completed" in views.run_summary_after(run_id, approve=True).lower()
    assert runner.get_run(run_id)["status"] == "completed"

    # After completion, a follow-up starts a new run that carries the revision.
    *_, (messages, follow) = chat.respond("Focus on enterprise accounts.", WS, session, review=False, offline=True)
    assert follow["run_id"] != run_id and follow["status"] == "completed"
    assert "Revision requested by the PM: Focus on enterprise accounts." in runner.get_run(follow["run_id"])["goal"]


def test_memory_views(server: dict[str, Any]) -> None:
    from ui.web import views

    table, themes = views.themes_table(WS)
    trend, mix = views.theme_charts(WS, themes)
    top = sorted(themes, key=lambda t: -t["size"])[: views.TOP_THEMES_CHARTED]
    assert int(trend["signals"].sum()) == sum(t["size"] for t in top)
    assert int(mix["signals"].sum()) == sum(t["size"] for t in top)
    assert set(mix["kind"]) <= {"ticket", "review"}
    assert themes[0]["label"] in views.theme_detail(themes, 0)

    hits = views.search_table("sync conflict", WS, kind="ticket", limit=5)
    assert 0 < len(hits) <= 5 and set(hits["kind"]) == {"ticket"}
    head, claims = views.profile_table(WS, "account", "acme")
    assert "acme" in head and list(claims.columns) == views.PROFILE_COLUMNS


def test_auth_from_environment(monkeypatch: pytest.MonkeyPatch, server: dict[str, Any]) -> None:
    from gradio_client import Client

    from ui.gradio_app import launch

    monkeypatch.setenv("PMPILOT_UI_AUTH", "pm:s3cret")
    get_settings.cache_clear()
    port = _free_port()
    app = launch(port=port, workspace=WS, offline=True, prevent_thread_lock=True, quiet=True)
    try:
        url = f"http://127.0.0.1:{port}/"
        with pytest.raises(Exception, match="(?i)auth|login|401|403"):
            Client(url, verbose=False)
        authed = Client(url, auth=("pm", "s3cret"), verbose=False)
        assert authed.predict(workspace=WS, api_name="/themes")["data"]
    finally:
        app.close()
        monkeypatch.delenv("PMPILOT_UI_AUTH")
        get_settings.cache_clear()
