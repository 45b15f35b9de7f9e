"""The one rule for tests that need something outside the repo: skip saying why, or fail in CI."""

from __future__ import annotations

import pytest

from tests.support import services


@pytest.mark.parametrize(("value", "ci"), [("true", True), ("1", True), ("yes", True), ("", False), ("0", False),
                                           ("false", False), ("False", False)])
def test_in_ci_reads_the_ci_variable(value: str, ci: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", value)
    assert services.in_ci() is ci


def test_missing_resource_skips_outside_ci_and_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"^a Redis server is missing \(start it\)$"):
        services.require(False, "a Redis server", "start it")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=r"^CI needs a Redis server, which is missing: start it$"):
        services.require(False, "a Redis server", "start it")
    services.require(True, "a Redis server", "start it")  # present: nothing happens, in CI or not


def test_unreachable_servers_are_reported_with_their_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again below: nothing listens there
    assert services.redis_error("127.0.0.1", port)
    assert services.postgres_error(f"postgresql://nobody:secret@127.0.0.1:{port}/none")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception) as failed:
        services.require_postgres(f"postgresql://nobody:secret@127.0.0.1:{port}/none")
    assert "secret" not in str(failed.value) and f"127.0.0.1:{port}/none" in str(failed.value)
