from __future__ import annotations

from pathlib import Path

import pytest

from kernel.errors import ConfigError, InputError
from kernel.settings import Settings, load_settings
from kernel.timeutil import parse_when


def test_home_is_never_taken_from_the_home_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PMPILOT_HOME", raising=False)
    monkeypatch.setenv("HOME", "/somewhere/else")
    assert Settings(_env_file=None).home == Path("/somewhere/else/.pmpilot")


def test_pmpilot_home_and_derived_paths(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PMPILOT_HOME", str(tmp_path))
    settings = Settings(_env_file=None)
    assert settings.home == tmp_path
    assert settings.store_dir.parent == tmp_path and settings.runs_dir.parent == tmp_path


def test_offline_unless_an_endpoint_is_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    assert not Settings(_env_file=None).llm_configured
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    settings = Settings(_env_file=None)
    assert settings.llm_configured
    assert settings.embeddings == "local", "a chat endpoint never switches embeddings"


def test_per_role_model_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PMPILOT_MODEL", "base-model")
    monkeypatch.setenv("PMPILOT_MODEL_WRITER", "writer-model")
    settings = Settings(_env_file=None)
    assert settings.model_for("writer") == "writer-model"
    assert settings.model_for("planner") == "base-model"


@pytest.mark.parametrize(
    ("name", "value"),
    [("PMPILOT_QUEUE_URL", "amqp://x"), ("PMPILOT_CHECKPOINT_URL", "mysql://x"), ("PMPILOT_EMBEDDINGS", "bert")],
)
def test_invalid_values_are_one_clear_error(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert "\n" not in str(err.value)


def test_api_key_without_url_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PMPILOT_QDRANT_API_KEY", "k")
    with pytest.raises(ConfigError):
        load_settings()


def test_parse_when() -> None:
    assert parse_when("2026-11-01").isoformat() == "2026-11-01T00:00:00+00:00"
    now = parse_when("2026-11-22T10:00:00Z")
    assert parse_when("7d", now=now).isoformat() == "2026-11-15T10:00:00+00:00"
    with pytest.raises(InputError):
        parse_when("last tuesday-ish")


def test_ui_users_inline_or_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from kernel.settings import parse_ui_users

    inline = '{"alice": {"password": "pw-a", "workspaces": ["acme"]}, "root": {"password": "pw-r", "workspaces": "*"}}'
    assert parse_ui_users(inline) == {"alice": ("pw-a", frozenset({"acme"})), "root": ("pw-r", None)}
    path = tmp_path / "users.json"
    path.write_text(inline, encoding="utf-8")
    monkeypatch.setenv("PMPILOT_UI_USERS", str(path))
    assert parse_ui_users(load_settings().ui_users or "")["alice"] == ("pw-a", frozenset({"acme"}))


@pytest.mark.parametrize("value", [
    "{not json", "[]", "{}", '{"a": "pw"}', '{"a": {"password": "", "workspaces": ["x"]}}',
    '{"a": {"password": "p", "workspaces": []}}', '{"a": {"password": "p", "workspace": ["x"]}}',
    "/nonexistent/ui-users.json",
])
def test_malformed_ui_users_is_one_clear_error(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("PMPILOT_UI_USERS", value)
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert "PMPILOT_UI_USERS" in str(err.value) and "\n" not in str(err.value)
