"""The vector store failing mid-ingest, held by another process, or unreachable: clear errors, no damage.

No Qdrant server binary exists here, so the closest real things are used: the real embedded store
on a real full disk (a small tmpfs, root only) and with real engine errors injected at its shard
boundary (everywhere); a real second process holding the store's lock; and for a server, a dead
port and real TCP servers on 127.0.0.1 that reset, hang or answer garbage, against the real
qdrant-client through the real CLI and the MCP server.
"""

from __future__ import annotations

import json
import os
import socket
import struct
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kernel.errors import ConfigError, TransientError
from memory.ingest.pipeline import ingest_files
from memory.repository import MemoryStore
from memory.store.base import Filter
from memory.store.client import ClientStore
from memory.store.edge import EdgeStore
from tests.support.embedders import HashingEmbedder as HashEmbedder
from tests.support.workspace import export_signals_csv

REPO = Path(__file__).resolve().parents[2]
SECRET = "qdrant-SECRET-key-7f3a9c"
ROWS, BATCH = 100, 20


def rerun_and_check(store: EdgeStore, data: Path, stored: int) -> dict[str, int]:
    """Re-run the same ingest on the same store: it completes exactly, and the store answers."""
    memory = MemoryStore(store, HashEmbedder())
    try:
        ws = memory.workspace("faults")
        report = ingest_files(ws, [data], batch_size=BATCH)
        assert (report.duplicates, report.ingested, report.updated) == (stored, ROWS - stored, 0)
        assert ws.count() == ROWS
        ids = [s.external_id for s, _ in ws.iter_signals()]
        assert len(ids) == len(set(ids)) == ROWS, "no duplicates"
        hits = ws.search("export number 42 is slow", limit=3)
        assert hits and hits[0].external_id == "S-42", [h.external_id for h in hits]
        return {"duplicates": len(ids) - len(set(ids)), "resumed_with": stored}
    finally:
        memory.close()


# -- (a) the embedded store failing mid-ingest ----------------------------------------------------


class FailingShard:
    """A real shard whose ``update`` fails like the engine does when its disk fails."""

    def __init__(self, shard: Any) -> None:
        self._shard = shard

    def update(self, operation: Any) -> None:
        raise Exception(  # the engine's own error type and wording (qdrant-edge 0.9.0)
            "Service runtime error: failed to write WAL record: No space left on device (os error 28)"
        )

    def __getattr__(self, name: str) -> Any:
        return getattr(self._shard, name)


class FaultyEdgeStore(EdgeStore):
    """The real EdgeStore; the ``fail_at``-th write into the signals collection hits a failing shard."""

    def __init__(self, root: Path, fail_at: int) -> None:
        super().__init__(root)
        self.fail_at, self.signal_writes, self.faults = fail_at, 0, 0

    def upsert(self, collection: str, points: Any) -> None:
        if collection.startswith("signals__"):
            self.signal_writes += 1
        super().upsert(collection, points)

    def _shard(self, collection: str) -> Any:
        shard = super()._shard(collection)
        if collection.startswith("signals__") and self.signal_writes == self.fail_at and not self.faults:
            self.faults += 1
            return FailingShard(shard)
        return shard


@pytest.mark.parametrize("fail_at", [1, 3])
def test_engine_write_failure_mid_ingest_then_rerun(tmp_path: Path, home: Path, fail_at: int) -> None:
    data = export_signals_csv(tmp_path / "signals.csv", ROWS)
    store = FaultyEdgeStore(tmp_path / "store", fail_at)
    memory = MemoryStore(store, HashEmbedder())
    with pytest.raises(TransientError, match=r"^vector store .* failed: Service runtime error: .*os error 28") as err:
        ingest_files(memory.workspace("faults"), [data], batch_size=BATCH)
    assert "\n" not in str(err.value) and store.faults == 1
    stored = memory.workspace("faults").count()  # the same store keeps working after the fault
    assert stored == (fail_at - 1) * BATCH, "whole batches only: nothing half-written"
    memory.close()
    print(f"\nengine write fault at signals batch {fail_at}: {stored} stored before it")
    # The failed batch's redo record and claims were written before its signals: the re-run
    # finishes that batch first (memory.repository.WorkspaceMemory.recover), then sees it as duplicates.
    rerun_and_check(EdgeStore(tmp_path / "store"), data, stored + BATCH)


@pytest.fixture()
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real, small ext4 file system (a loop-mounted 48 MiB image) that the test can fill.

    Not tmpfs: there, even reading a memory-mapped hole allocates a page, which is not how a disk
    behaves. Needs root with CAP_SYS_ADMIN and a loop device; skipped otherwise.
    """
    image, disk = tmp_path / "disk.img", tmp_path / "disk"
    disk.mkdir()
    with image.open("wb") as fh:
        fh.truncate(48 * 1024 * 1024)
    steps = (["mkfs.ext4", "-q", "-F", "-m", "0", str(image)], ["mount", "-o", "loop", str(image), str(disk)])
    for step in steps:
        try:
            done = subprocess.run(step, capture_output=True, text=True, timeout=60)
        except FileNotFoundError:
            pytest.skip(f"{step[0]} is not installed")
        if done.returncode != 0:
            pytest.skip(f"cannot make a small disk ({' '.join(step[:2])}): {done.stderr.strip()[:200]}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", str(disk)], check=True, timeout=60)


FILL_CHILD = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from memory.ingest.pipeline import ingest_files
    from memory.repository import MemoryStore
    from memory.store.edge import EdgeStore
    from tests.reliability.test_store_faults import BATCH, HashEmbedder

    root, data, ballast, fill_after, min_free = sys.argv[1:6]
    memory = MemoryStore(EdgeStore(Path(root), min_free_bytes=int(min_free)), HashEmbedder())
    ws = memory.workspace("faults")
    batches = 0

    def progress(done, total):
        global batches
        batches += 1
        print(json.dumps({"batch": batches, "count": ws.count()}), flush=True)
        if batches == int(fill_after):  # another program fills the disk
            with open(ballast, "wb") as fh:
                try:
                    while True:
                        fh.write(b"\\0" * (1 << 20))
                except OSError as exc:
                    print(json.dumps({"disk_full": exc.errno}), flush=True)

    try:
        ingest_files(ws, [Path(data)], batch_size=BATCH, progress=progress)
        print(json.dumps({"error": None}), flush=True)
    except Exception as exc:
        print(json.dumps({"error": type(exc).__name__, "message": str(exc), "count": ws.count()}), flush=True)
    """
)


def _fill_run(disk: Path, data: Path, fill_after: int, min_free: int) -> tuple[int, list[dict[str, Any]]]:
    proc = subprocess.run(
        [sys.executable, "-c", FILL_CHILD, str(disk / "store"), str(data), str(disk / "ballast"),
         str(fill_after), str(min_free)],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.stderr.strip() and proc.returncode >= 0:
        lines.append({"stderr": proc.stderr[-2000:]})
    return proc.returncode, lines


@pytest.mark.slow
def test_real_full_disk_mid_ingest_is_refused_cleanly_then_rerun(small_disk: Path, tmp_path: Path) -> None:
    """Another program fills the store's disk after batch 2: the next write is refused, not a crash."""
    data = export_signals_csv(tmp_path / "signals.csv", ROWS)
    code, lines = _fill_run(small_disk, data, fill_after=2, min_free=16 * 1024 * 1024)  # default 64 MiB
    assert code == 0, lines
    assert {"disk_full": 28} in lines, "the disk really was full (ENOSPC)"
    outcome = next(line for line in lines if "error" in line)
    assert outcome["error"] == "TransientError", lines
    assert "MiB free on its disk" in outcome["message"] and "\n" not in outcome["message"]
    assert outcome["count"] == 2 * BATCH, "whole batches only"
    (small_disk / "ballast").unlink()  # the user frees space
    figures = rerun_and_check(EdgeStore(small_disk / "store", min_free_bytes=16 * 1024 * 1024), data, outcome["count"])
    print(f"\nfull disk after batch 2, guard on: refused cleanly, {figures}")


# -- (b) the store held by another live process ---------------------------------------------------

HOLDER = textwrap.dedent(
    """
    import sys
    from kernel.settings import get_settings
    from memory.store import open_store
    store = open_store(get_settings())  # PMPILOT_HOME/store, as the CLI opens it
    with store.hold():  # e.g. a long forget cascade or optimize(): the lock is not handed over
        print("held", flush=True)
        sys.stdin.readline()
    store.close()
    """
)

def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "PMPILOT_"))}
    return {**env, "PMPILOT_HOME": str(home), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", **extra}


def _spawn(env: dict[str, str], args: list[str], wait_s: float | None = None) -> subprocess.Popen[str]:
    """The real CLI; ``wait_s`` shortens the store's lock wait and request timeout (60 s / 30 s by default)."""
    if wait_s is not None:
        env = {**env, "PMPILOT_STORE_LOCK_TIMEOUT": str(wait_s), "PMPILOT_QDRANT_TIMEOUT": str(wait_s)}
    return subprocess.Popen([sys.executable, "-m", "ui.cli", *args], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finish(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=120)
    return proc.returncode, out, err


def assert_one_error_line(code: int, out: str, err: str, *needles: str) -> str:
    assert code == 1, (code, out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "unexpected" not in lines[0] and "Traceback" not in err, err
    assert out == "", out
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


@pytest.mark.slow
def test_cli_while_another_process_holds_the_store(tmp_path: Path) -> None:
    home = tmp_path / "home"
    data = export_signals_csv(tmp_path / "signals.csv", 10)
    env = _env(home)
    holder = subprocess.Popen([sys.executable, "-c", HOLDER], cwd=REPO, env=env, text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert holder.stdout is not None and holder.stdin is not None
        assert holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        waiting = [_spawn(env, [cmd, *rest, "--workspace", "w", "--json"], wait_s=2)
                   for cmd, *rest in (["stats"], ["ingest", str(data)])]
        for proc in waiting:
            # the wait is bounded by the configured lock timeout (2 s), not the 60 s default
            assert_one_error_line(*_finish(proc), f"in use by another process (pid {holder.pid})",
                                  "for more than 2s", "retry later")
        elapsed = time.monotonic() - started
        holder.stdin.write("release\n")
        holder.stdin.flush()
        assert holder.wait(timeout=60) == 0
    finally:
        if holder.poll() is None:
            holder.kill()
    code, out, err = _finish(_spawn(env, ["stats", "--workspace", "w", "--json"]))
    assert code == 0, err
    assert json.loads(out)["signals"] == 0, "the refused ingest wrote nothing"
    print(f"\n2 CLI commands refused while the store was held ({elapsed:.1f}s incl. start-up); store usable after")


# -- (c) a Qdrant server that is down, resets, hangs or is not Qdrant -----------------------------


class BrokenServer:
    """A real TCP server on 127.0.0.1 standing in for a broken Qdrant.

    Modes: ``reset`` (reads the request, then RST), ``hang`` (reads it, never answers),
    ``garbage`` (bytes that are not HTTP), ``html`` (200 with an HTML page), ``json`` (200 with JSON
    that is not the Qdrant API). ``heal_after=n``: from the n+1-th connection on it answers
    ``GET /collections/<name>/exists`` like Qdrant does.
    """

    def __init__(self, mode: str, heal_after: int | None = None) -> None:
        self.mode, self.heal_after = mode, heal_after
        self.connections = 0
        self._stop = threading.Event()
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.1)
        self.port = self._sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            self.connections += 1
            threading.Thread(target=self._handle, args=(conn, self.connections), daemon=True).start()

    @staticmethod
    def _reply(conn: socket.socket, status: str, ctype: str, body: bytes) -> None:
        head = f"HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        conn.sendall(head.encode() + body)

    def _handle(self, conn: socket.socket, n: int) -> None:
        with conn:
            conn.settimeout(5)
            try:
                conn.recv(65536)
            except OSError:
                return
            if self.heal_after is not None and n > self.heal_after:
                self._reply(conn, "200 OK", "application/json", b'{"result":{"exists":true},"status":"ok","time":0.0}')
            elif self.mode == "reset":
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            elif self.mode == "hang":
                self._stop.wait(60)
            elif self.mode == "garbage":
                conn.sendall(b"\x00\xff\x13 not http at all\r\n\r\n")
            elif self.mode == "html":
                self._reply(conn, "200 OK", "text/html", b"<html><body>Welcome to nginx!</body></html>")
            elif self.mode == "json":
                self._reply(conn, "200 OK", "application/json", b'{"result": "nonsense", "status": 7}')

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._sock.close()


@pytest.fixture()
def broken() -> Iterator[Any]:
    servers: list[BrokenServer] = []

    def start(mode: str, heal_after: int | None = None) -> BrokenServer:
        servers.append(BrokenServer(mode, heal_after))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def dead_url() -> str:
    """A loopback port with nothing listening (bound, then released)."""
    with socket.create_server(("127.0.0.1", 0)) as sock:
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_client_retries_a_reset_then_succeeds(broken: Any) -> None:
    server = broken("reset", heal_after=2)
    store = ClientStore(server.url, api_key=SECRET, timeout_s=5)
    assert store.has_collection("things") is True
    assert server.connections == 3, "two resets retried, the third try answered"
    store.close()


@pytest.mark.parametrize(
    ("mode", "attempts", "message"),
    [
        # a reset reads as "reset by peer" or as a disconnect, by which the client notices first
        ("reset", 3, "is unreachable: .*(reset by peer|disconnected without sending a response).*\\(3 attempts\\)$"),
        ("garbage", 3, "is unreachable: .*\\(3 attempts\\)$"),
        ("html", 1, "answered with something that is not the Qdrant API$"),
        ("json", 1, "answered with something that is not the Qdrant API$"),
        ("hang", 1, "did not answer within 2s$"),
    ],
)
def test_client_server_faults_are_one_line_transient_errors(
    broken: Any, mode: str, attempts: int, message: str
) -> None:
    server = broken(mode)
    store = ClientStore(server.url, api_key=SECRET, timeout_s=2)
    with pytest.raises(TransientError, match=f"^Qdrant at {server.url} {message}") as err:
        store.count("things", Filter())
    text = str(err.value)
    assert "\n" not in text and SECRET not in text
    # a hang costs one timeout, not one per try: a timed-out request is not retried
    assert server.connections == attempts
    store.close()


def test_client_dead_port_and_bad_urls() -> None:
    url = dead_url()
    with pytest.raises(TransientError, match=rf"^Qdrant at {url} is unreachable: .*refused.*\(3 attempts\)$"):
        ClientStore(url, api_key=SECRET).collections()
    for bad in ("ftp://qdrant:6333", "http://", "http://127.0.0.1:port", "not a url"):
        with pytest.raises(ConfigError, match="^PMPILOT_QDRANT_URL ") as err:
            ClientStore(bad, api_key=SECRET)
        assert SECRET not in str(err.value)
    shown = ClientStore(f"https://user:{SECRET}@qdrant.example:6333/?api_key={SECRET}").target
    assert shown == "https://qdrant.example:6333" and SECRET not in shown


@pytest.mark.slow
def test_cli_against_unreachable_or_broken_qdrant(tmp_path: Path, broken: Any) -> None:
    """ingest, search and stats through the real CLI: exit 1, one line naming the URL, nothing local."""
    data = export_signals_csv(tmp_path / "signals.csv", 10)
    commands = [["ingest", str(data)], ["search", "export is slow"], ["stats"]]
    cases: list[tuple[str, str, float | None, list[list[str]]]] = [
        ("dead port", dead_url(), None, commands),
        ("reset", broken("reset").url, None, commands),
        ("hang", broken("hang").url, 1.0, commands[::2]),  # request timeout shortened from 30 s to 1 s
        ("html", broken("html").url, None, commands[2:]),
    ]
    runs = 0
    for name, url, wait_s, cmds in cases:
        home = tmp_path / f"home-{name.replace(' ', '-')}"
        env = _env(home, PMPILOT_QDRANT_URL=url, PMPILOT_QDRANT_API_KEY=SECRET)
        procs = [_spawn(env, [*cmd, "--workspace", "w", "--json"], wait_s) for cmd in cmds]
        for cmd, proc in zip(cmds, procs, strict=True):
            code, out, err = _finish(proc)
            line = assert_one_error_line(code, out, err, f"Qdrant at {url} ")
            assert SECRET not in out + err, (name, cmd)
            runs += 1
            print(f"\n{name:9} {cmd[0]:6} -> {line}")
        written = [p for p in home.rglob("*") if p.is_file()] if home.exists() else []
        assert written == [], (name, written)
    print(f"{runs} CLI runs: exit 1, one line, 0 tracebacks, 0 key leaks, 0 local files")


async def test_mcp_tools_report_an_unreachable_store_and_keep_serving(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, broken: Any
) -> None:
    from mcp import Client

    from kernel.settings import get_settings
    from memory.repository import reset_memory
    from ui.mcp import build_server

    monkeypatch.setenv("PMPILOT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PMPILOT_QDRANT_API_KEY", SECRET)
    monkeypatch.setenv("PMPILOT_QDRANT_TIMEOUT", "1")  # the store's request timeout (30 s by default)
    calls = [
        ("search_user_memory", {"workspace": "w", "query": "export is slow"}),
        ("ingest_signals", {"workspace": "w", "signals": [{"external_id": "1", "text": "export is slow"}]}),
        ("get_profile", {"workspace": "w", "user_id": "u1"}),
    ]
    errors = 0
    try:
        for url in (dead_url(), broken("reset").url, broken("hang").url):
            monkeypatch.setenv("PMPILOT_QDRANT_URL", url)
            get_settings.cache_clear()
            reset_memory()
            server = build_server()
            async with Client(server) as client:
                for _ in range(2):  # the same session, twice: the server keeps serving
                    for name, args in calls:
                        result = await client.call_tool(name, args)
                        text = "\n".join(b.text for b in result.content if b.type == "text")
                        assert result.is_error, (url, name, text)
                        assert f"Qdrant at {url} " in text and "\n" not in text.strip(), text
                        assert SECRET not in text and "Traceback" not in text
                        errors += 1
                    assert len((await client.list_tools()).tools) > 0
    finally:
        reset_memory()
        get_settings.cache_clear()
    assert not (tmp_path / "home").exists() or not any(p.is_file() for p in (tmp_path / "home").rglob("*"))
    print(f"\nMCP: {errors} tool calls against 3 broken stores, {errors} tool errors, server kept serving")

