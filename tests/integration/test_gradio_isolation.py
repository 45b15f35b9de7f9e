"""Tenant isolation of the Gradio app, on one running server with two logins (issue #9).

Workspaces ``acme`` and ``globex`` hold signals of the same user ids (every text carries a
workspace marker; acme also holds reviews and a hostile ticket). ``alice`` may use acme only,
``bob`` globex only, ``admin`` (``PMPILOT_UI_AUTH``) both. The contract endpoints are called with
``gradio_client``; the page's private events are called the way any client can call them, by
their index over HTTP (``/gradio_api/queue/join``), in fresh sessions that never loaded the page,
so the handlers' own checks are what refuses. Each user must see only its workspace, every cross
call must be refused with one clear line, and an unauthenticated client gets nothing. Signal text
containing ``<script>``, ``<img onerror>`` and ``javascript:`` links must come back inert.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from kernel.settings import get_settings

pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "graph"
GOAL = "Should we fix sync bugs before building dark mode? Draft requirements and a decision memo."
MARK = {"acme": "ACMEWS", "globex": "GLOBEXWS"}
#: Written into every sentence of every acme signal (tickets and reviews), so whatever a run cites
#: and whichever sentence a quote picks, it carries the payload: the test does not depend on ranking.
#: It holds no sentence punctuation and is short (payload + longest sentence < 240 characters).
INLINE = '<script>pwned(1)</script> <img src=x onerror=pwned(2)> [click](javascript:pwned(3))'
#: Opens every acme signal: its "!" would end a sentence, so it stands before the first one.
IMAGE = "![t](http://x/p)"
HOSTILE = f"{INLINE} {IMAGE}"
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]?")
USERS = {"alice": ("alice-pw-1", "acme"), "bob": ("bob-pw-22", "globex")}
ADMIN = ("admin", "admin-pw-333")
REFUSED = re.compile(r"not allowed|not in the list of choices")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _hostile(text: str) -> str:
    """``text`` with the image first and :data:`INLINE` opening each of its sentences."""
    sentences = [m.group(0).strip() for m in _SENTENCE.finditer(text) if m.group(0).strip()]
    return " ".join([IMAGE, *(f"{INLINE} {sentence}" for sentence in sentences)])


def _marked_csv(source: Path, target: Path, mark: str, hostile: bool = False) -> Path:
    """Copy a fixture CSV, adding the workspace marker (and the hostile payload) to every text."""
    import csv

    with source.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    text_at = header.index("text")
    for row in body:
        text = _hostile(row[text_at]) if hostile else row[text_at]
        row[text_at] = f"{text} Ref {mark}."
    with target.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([header, *body])
    return target


class Page:
    """One browser-like session over HTTP: logs in, then calls any event by its index, as the page does."""

    def __init__(self, url: str, login: tuple[str, str] | None) -> None:
        self.http = httpx.Client(base_url=url, timeout=120)
        if login:
            response = self.http.post("/login", data={"username": login[0], "password": login[1]})
            assert response.status_code == 200, response.text
        config = self.http.get("/config").json()
        self.deps = {d["api_name"]: d for d in config["dependencies"]}
        self.components = {c["id"]: c for c in config["components"]}
        self.session = uuid.uuid4().hex

    def call(self, name: str, *data: Any, event_data: Any = None) -> list[Any]:
        """Run event ``name`` with ``data``; its outputs, or ``RuntimeError(message)`` when it failed."""
        dep = self.deps[name]
        trigger = dep["targets"][0][0] if dep["targets"] else None
        joined = self.http.post("/gradio_api/queue/join", json={
            "data": list(data), "fn_index": dep["id"], "session_hash": self.session,
            "event_data": event_data, "trigger_id": trigger})
        assert joined.status_code == 200, joined.text
        event_id = joined.json()["event_id"]
        with self.http.stream("GET", "/gradio_api/queue/data", params={"session_hash": self.session}) as stream:
            for line in stream.iter_lines():
                if not line.startswith("data:"):
                    continue
                message = json.loads(line[5:])
                if message.get("event_id") != event_id or message.get("msg") != "process_completed":
                    continue
                if not message.get("success"):
                    raise RuntimeError(str((message.get("output") or {}).get("error")))
                return list(message["output"]["data"])
        raise AssertionError(f"no result for {name}")

    def refused(self, name: str, *data: Any, event_data: Any = None) -> str:
        """Call an event that must be refused; the one-line refusal."""
        with pytest.raises(RuntimeError) as caught:
            self.call(name, *data, event_data=event_data)
        message = str(caught.value)
        assert REFUSED.search(message) and "\n" not in message.strip() and "Traceback" not in message, message
        return message


def assert_inert(text: str) -> None:
    """No tag but our citation marks, no image, no script link: the payload cannot run anything."""
    assert not re.search(r"(?<!\\)<(?!/?abbr\b)[a-zA-Z/!?]", text), text  # "\<img" is escaped text
    assert "![" not in text
    assert not re.search(r"(?<!\\)\]\s*[(:]\s*(?:&lt;)?\s*javascript:", text, re.IGNORECASE), text


def _table(value: Any) -> list[list[Any]]:
    return list(value["data"]) if isinstance(value, dict) else list(value or [])


def _ids(rows: list[list[Any]], column: int = 0) -> set[str]:
    return {str(row[column]) for row in rows}


def own_ids(workspace: str) -> set[str]:
    """Every signal id stored in a workspace right now (through the service API)."""
    from memory import api

    return {s.id for s, _ in api.workspace(workspace).iter_signals()}


def assert_cites_only(text: str, workspace: str, other: str) -> None:
    """Every ``[s:xxxxxxxx]`` citation (or 8-character id in backticks) in ``text`` is a signal of ``workspace``."""
    cited = set(re.findall(r"s:([0-9a-f]{8})", text.replace("\\", ""))) | set(re.findall(r"`([0-9a-f]{8})`", text))
    own, foreign = {s[:8] for s in own_ids(workspace)}, {s[:8] for s in own_ids(other)}
    assert cited <= own and not cited & (foreign - own), (cited - own)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from agents import jobs
    from memory import api
    from memory.repository import reset_memory
    from ui.gradio_app import launch

    data = tmp_path_factory.mktemp("iso-data")
    patch = pytest.MonkeyPatch()
    patch.setenv("PMPILOT_HOME", str(tmp_path_factory.mktemp("iso-home")))
    users = {name: {"password": pw, "workspaces": [ws]} for name, (pw, ws) in USERS.items()}
    users_file = data / "ui-users.json"
    users_file.write_text(json.dumps(users), encoding="utf-8")
    patch.setenv("PMPILOT_UI_USERS", str(users_file))
    patch.setenv("PMPILOT_UI_AUTH", ":".join(ADMIN))
    get_settings.cache_clear()
    reset_memory()
    acme = api.ingest([_marked_csv(FIXTURES / "tickets.csv", data / "acme-tickets.csv", MARK["acme"], True),
                       _marked_csv(FIXTURES / "reviews.csv", data / "acme-reviews.csv", MARK["acme"], True)],
                      "acme")
    globex = api.ingest([_marked_csv(FIXTURES / "tickets.csv", data / "globex-tickets.csv", MARK["globex"])],
                        "globex")
    assert acme.ingested == 31 and globex.ingested == 21
    signal_ids = {ws: {s.id for s, _ in api.workspace(ws).iter_signals()} for ws in MARK}
    assert signal_ids["acme"].isdisjoint(signal_ids["globex"])
    job_ids = {ws: jobs.enqueue_run(f"Weekly brief for {ws}", ws, offline=True).job_id for ws in MARK}
    port = _free_port()
    app = launch(port=port, offline=True, prevent_thread_lock=True, quiet=True)
    yield {"url": f"http://127.0.0.1:{port}/", "signals": signal_ids, "jobs": job_ids, "data": data, "runs": {}}
    app.close()
    reset_memory()
    patch.undo()
    get_settings.cache_clear()


@pytest.fixture(scope="module")
def clients(server: dict[str, Any]) -> dict[str, Any]:
    from gradio_client import Client

    return {name: Client(server["url"], auth=(name, pw), verbose=False, download_files=False)
            for name, (pw, _) in USERS.items()}


@pytest.fixture(scope="module")
def runs(server: dict[str, Any], clients: dict[str, Any]) -> dict[str, str]:
    """One run per workspace, started through ``/chat`` by its own user; also checks the reply is inert."""
    from gradio_client.exceptions import AppError

    out: dict[str, str] = {}
    for name, (_, ws) in USERS.items():
        other = "globex" if ws == "acme" else "acme"
        with pytest.raises(AppError, match="workspace not allowed"):
            clients[name].predict(message=GOAL, workspace=other, api_name="/chat")
        reply = clients[name].predict(message=GOAL, workspace=ws, api_name="/chat")
        first = reply.splitlines()[0]
        assert ": completed (mode offline)" in first, first
        out[ws] = first.split()[1].rstrip(":")
        assert "[s:" in reply and MARK[other] not in reply
        assert_cites_only(reply, ws, other)
        assert_inert(reply)
        if ws == "acme":
            assert "pwned" in reply, "every sentence of every acme signal carries the payload"
    server["runs"].update(out)
    return out


def test_unauthenticated_clients_get_nothing(server: dict[str, Any]) -> None:
    from gradio_client import Client

    url = server["url"]
    with pytest.raises(Exception, match="(?i)auth|login|401|403"):
        Client(url, verbose=False)
    with pytest.raises(Exception, match="(?i)auth|login|401|403|incorrect"):
        Client(url, auth=("alice", "wrong-password"), verbose=False)
    anonymous = httpx.Client(base_url=url)
    assert anonymous.get("/config").status_code == 401
    joined = anonymous.post("/gradio_api/queue/join", json={"data": ["acme"], "fn_index": 0, "session_hash": "x"})
    assert joined.status_code == 401
    assert anonymous.post("/gradio_api/call/themes", json={"data": ["acme"]}).status_code == 401
    assert anonymous.post("/login", data={"username": "mallory", "password": "x"}).status_code >= 400


def test_themes_endpoint_serves_only_the_callers_workspace(clients: dict[str, Any]) -> None:
    from gradio_client.exceptions import AppError

    from ui.web import views

    tables = {}
    for name, (_, ws) in USERS.items():
        other = "globex" if ws == "acme" else "acme"
        tables[ws] = clients[name].predict(workspace=ws, api_name="/themes")["data"]
        expected, _ = views.themes_table(ws)
        assert tables[ws] == expected.values.tolist()
        with pytest.raises(AppError, match="workspace not allowed") as caught:
            clients[name].predict(workspace=other, api_name="/themes")
        assert "\n" not in str(caught.value).strip()
    assert tables["acme"] != tables["globex"]


def test_ingest_endpoint_writes_only_to_the_callers_workspace(server: dict[str, Any], clients: dict[str, Any]) -> None:
    from gradio_client import handle_file
    from gradio_client.exceptions import AppError

    from memory import api

    upload = server["data"] / "new.csv"
    upload.write_text("id,created_at,user_id,text\n"
                      "N-1,2025-08-01,user5,Export to PDF loses every image. Ref GLOBEXWS.\n", encoding="utf-8")
    before = {ws: api.stats(ws).signals for ws in MARK}
    with pytest.raises(AppError, match="workspace not allowed"):
        clients["alice"].predict(files=[handle_file(str(upload))], workspace="globex", kind="auto",
                                 api_name="/ingest")
    with pytest.raises(AppError, match="workspace not allowed"):
        clients["bob"].predict(files=[handle_file(str(upload))], workspace="acme", kind="auto", api_name="/ingest")
    assert {ws: api.stats(ws).signals for ws in MARK} == before
    summary = clients["bob"].predict(files=[handle_file(str(upload))], workspace="globex", kind="auto",
                                     api_name="/ingest")
    assert summary.startswith("1 ingested") and "workspace globex" in summary
    assert api.stats("globex").signals == before["globex"] + 1 and api.stats("acme").signals == before["acme"]


def test_dropdown_offers_only_allowed_workspaces(server: dict[str, Any]) -> None:
    for name, (pw, ws) in USERS.items():
        page = Page(server["url"], (name, pw))
        update, _badge = page.call("on_load", None)
        assert update["choices"] == [[ws, ws]] and update["value"] == ws
        assert update["allow_custom_value"] is False
        # The session's dropdown now refuses other names too (Gradio's own check, before ours).
        page.refused("on_search", "sync", "globex" if ws == "acme" else "acme", "", "", "", "any", 5)
    admin, _ = Page(server["url"], ADMIN).call("on_load", None)
    assert {value for _, value in admin["choices"]} >= {"acme", "globex"}


def test_search_and_profile_events(server: dict[str, Any]) -> None:
    from memory import api
    from ui.web import views

    search_table = next(c for c in Page(server["url"], ADMIN).components.values()
                        if c["type"] == "dataframe" and c["props"].get("headers") == views.SEARCH_COLUMNS)
    assert search_table["props"]["datatype"] == "str", "signal text in tables must be text cells, never HTML"
    for name, (pw, ws) in USERS.items():
        other = "globex" if ws == "acme" else "acme"
        page = Page(server["url"], (name, pw))
        (hits,) = page.call("on_search", "sync lost my edits", ws, "", "", "", "any", 20)
        rows = _table(hits)
        assert rows and _ids(rows, 8) <= own_ids(ws)
        assert all(MARK[ws] in row[7] and MARK[other] not in row[7] for row in rows)
        page.refused("on_search", "sync lost my edits", other, "", "", "", "any", 20)
        page.refused("on_search", "sync lost my edits", other, "user4", "", "", "any", 20)

        head, claims = page.call("on_profile", ws, "user", "user4")
        expected = {c.text for c in api.profile(ws, user="user4").claims}
        assert {row[1] for row in _table(claims)} == expected and "user4" in head
        assert_inert(head)
        page.refused("on_profile", other, "user", "user4")
        page.refused("on_ask", other, "What do users say about sync?", "all", "")
    # The hostile ticket comes back as the literal text of a text cell.
    (hits,) = Page(server["url"], ("alice", USERS["alice"][0])).call("on_search", "sync fails", "acme", "", "", "",
                                                                    "ticket", 5)
    assert any("<script>pwned(1)</script>" in row[7] for row in _table(hits))


def test_themes_events_and_quotes(server: dict[str, Any]) -> None:
    for name, (pw, ws) in USERS.items():
        other = "globex" if ws == "acme" else "acme"
        page = Page(server["url"], (name, pw))
        table, _state = page.call("themes_filtered", ws, "", "")
        rows = _table(table)
        assert rows
        _trend, _mix, _detail = page.call("charts", ws, None)
        details = []
        for row in range(len(rows)):
            (detail,) = page.call("pick_theme", None, event_data={"index": [row, 0], "value": rows[row][0]})
            assert_inert(detail)
            assert_cites_only(detail, ws, other)
            details.append(detail)
        assert any("pwned" in d for d in details) == (ws == "acme"), "acme's quotes carry the hostile payload"
        page.refused("themes_filtered", other, "", "")
        page.refused("themes_recomputed", other, "", "")
        page.refused("charts", other, None)


def test_runs_jobs_and_review_events(server: dict[str, Any], runs: dict[str, str]) -> None:
    from agents import runner
    from ui.web import views

    for name, (pw, ws) in USERS.items():
        other = "globex" if ws == "acme" else "acme"
        page = Page(server["url"], (name, pw))
        runs_df, jobs_df = page.call("lists", ws)
        assert _ids(_table(runs_df)) == {runs[ws]}
        assert _ids(_table(jobs_df)) == {server["jobs"][ws]}
        page.refused("lists", other)
        empty_runs, empty_jobs = page.call("lists", "")
        assert not _table(empty_runs) and not _table(empty_jobs), "no workspace must never mean every workspace"
        (choices,) = page.call("run_list", ws, None)
        assert {value for _, value in choices["choices"]} == {runs[ws]}
        page.refused("run_list", other, None)
        page.refused("on_enqueue", "Brief", other, [], False)

        # A forged run table naming the other workspace's run is refused by the run's own workspace.
        forged = {"headers": views.RUN_COLUMNS, "data": [[runs[other], "completed", "offline", "g", "", ""]]}
        page.refused("pick_run", forged, ws, event_data={"index": [0, 0], "value": runs[other]})
        picked, _tabs = page.call("pick_run", runs_df, ws, event_data={"index": [0, 0], "value": runs[ws]})
        assert picked["value"] == runs[ws]
        # The run dropdown of this session only holds own runs: another run id is refused everywhere.
        page.refused("open_run", runs[other])
        page.refused("open_document", runs[other], "requirements")
        page.refused("on_approve", runs[other])
        page.refused("on_citation", runs[other], "x")
        page.refused("on_save", runs[other], "requirements", "# hijacked\n")

        summary, kinds = page.call("open_run", runs[ws])
        assert runs[ws] in summary
        preview, raw, downloads, evidence, _ = page.call("open_document", runs[ws], "requirements")
        assert_inert(preview)
        assert MARK[other] not in raw
        assert_cites_only(raw, ws, other)
        sids = [value for _, value in evidence["choices"]]
        assert sids and set(sids) <= own_ids(ws)
        details = [page.call("on_citation", runs[ws], sid)[0] for sid in sids]
        for detail in details:
            assert_inert(detail)
            assert MARK[ws] in detail.replace("\\", "")
        assert any("pwned" in d for d in details) == (ws == "acme")
        if ws == "acme":
            assert "pwned" in preview
            # A PM's edit keeps its Markdown, but pasted signal text stays inert in the preview.
            (saved,) = page.call("on_save", runs[ws], "requirements", raw + "\n" + HOSTILE + "\n")
            assert "Saved your edit" in saved
            edited, *_ = page.call("open_document", runs[ws], "requirements")
            assert "edited by the PM" in edited and "javascript:pwned(3)" in edited
            assert_inert(edited)

        # Downloads are cache copies; the originals under PMPILOT_HOME are never served.
        assert sorted(Path(f["path"]).suffix for f in downloads) == [".json", ".md"]
        assert all(runs[ws] in Path(f["path"]).name for f in downloads)
        mine = page.http.get(f"/gradio_api/file={downloads[0]['path']}")
        assert mine.status_code == 200
        for run_id in runs.values():
            for artifact in runner.get_run(run_id)["artifacts"]:
                original = page.http.get(f"/gradio_api/file={artifact['path_md']}")
                assert original.status_code == 403, artifact["path_md"]


def test_pinned_app_serves_one_workspace(server: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    from ui.gradio_app import launch

    monkeypatch.delenv("PMPILOT_UI_USERS")
    monkeypatch.delenv("PMPILOT_UI_AUTH")
    get_settings.cache_clear()
    port = _free_port()
    app = launch(port=port, workspace="acme", offline=True, prevent_thread_lock=True, quiet=True)
    try:
        url = f"http://127.0.0.1:{port}/"
        client = Client(url, verbose=False, download_files=False)
        assert client.predict(workspace="acme", api_name="/themes")["data"]
        with pytest.raises(AppError, match="workspace not allowed"):
            client.predict(workspace="globex", api_name="/themes")
        page = Page(url, None)
        update, _ = page.call("on_load", None)
        assert update["choices"] == [["acme", "acme"]] and update["allow_custom_value"] is False
        Page(url, None).refused("lists", "globex")
        Page(url, None).refused("open_run", server["runs"].get("globex") or "missing")
    finally:
        app.close()
        get_settings.cache_clear()


def test_access_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    """The policy itself: PMPILOT_UI_AUTH is one user with every workspace, pinning narrows everyone."""
    from kernel.errors import ConfigError
    from ui.web.access import UIAccess

    monkeypatch.setenv("PMPILOT_UI_USERS", json.dumps({"alice": {"password": "pw-a", "workspaces": ["acme"]}}))
    monkeypatch.setenv("PMPILOT_UI_AUTH", "pm:pw-pm")
    get_settings.cache_clear()
    try:
        policy = UIAccess.from_settings()
        assert policy.authenticate("alice", "pw-a") and not policy.authenticate("alice", "pw-pm")
        assert policy.authenticate("pm", "pw-pm") and not policy.authenticate("mallory", "pw-a")
        assert policy.allowed("alice") == {"acme"} and policy.allowed("pm") is None
        assert policy.allowed(None) == frozenset() and policy.allowed("mallory") == frozenset()
        pinned = policy.pinned_to("globex")
        assert pinned.allowed("pm") == {"globex"} and pinned.allowed("alice") == frozenset()
        assert UIAccess().allowed(None) is None and UIAccess().pinned_to("acme").allowed(None) == {"acme"}
        monkeypatch.setenv("PMPILOT_UI_AUTH", "alice:other")
        get_settings.cache_clear()
        with pytest.raises(ConfigError, match="both"):
            UIAccess.from_settings()
    finally:
        get_settings.cache_clear()


def test_no_login_means_no_serving_off_loopback(tmp_path: Path) -> None:
    """`pmpilot ui --host 0.0.0.0` without a login refuses to start: one error line, exit 1, nothing bound."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PMPILOT_UI_")}
    env["PMPILOT_HOME"] = str(tmp_path / "home")
    port = _free_port()
    proc = subprocess.run([sys.executable, "-m", "ui.cli", "ui", "--host", "0.0.0.0", "--port", str(port)],
                          capture_output=True, text=True, env=env, timeout=120, cwd=Path(__file__).parents[2])
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and "PMPILOT_UI_USERS" in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0
