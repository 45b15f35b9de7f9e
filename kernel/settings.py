"""Deployment settings, read from the environment and a ``.env`` file.

Names follow the external contract (../CONTRACT: ``PMPILOT_*``, ``OPENAI_*``).
Per-run knobs (workspace, deliverables, offline ...) are not settings: they live in
the run context passed to the graph.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from kernel.errors import ConfigError

Role = Literal["planner", "researcher", "scorer", "writer"]


class Settings(BaseSettings):
    """All deployment configuration for one pmpilot process."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    home: Path = Field(
        default=Path("~/.pmpilot"),
        validation_alias="PMPILOT_HOME",
        description="Where embedded data lives: vector store, checkpoints, queue, artifacts.",
    )
    openai_api_key: str | None = Field(default=None, validation_alias="OPENAI_API_KEY", repr=False)
    openai_base_url: str | None = Field(default=None, validation_alias="OPENAI_BASE_URL")
    model: str = Field(default="gpt-4o-mini", validation_alias="PMPILOT_MODEL")
    model_planner: str | None = Field(default=None, validation_alias="PMPILOT_MODEL_PLANNER")
    model_researcher: str | None = Field(default=None, validation_alias="PMPILOT_MODEL_RESEARCHER")
    model_scorer: str | None = Field(default=None, validation_alias="PMPILOT_MODEL_SCORER")
    model_writer: str | None = Field(default=None, validation_alias="PMPILOT_MODEL_WRITER")
    llm_timeout_s: float = Field(default=60.0, validation_alias="PMPILOT_LLM_TIMEOUT")
    llm_max_retries: int = Field(default=3, validation_alias="PMPILOT_LLM_MAX_RETRIES")

    embeddings: Literal["local", "openai"] = Field(default="local", validation_alias="PMPILOT_EMBEDDINGS")
    embedding_model: str = Field(
        default="text-embedding-3-small", validation_alias="PMPILOT_EMBEDDING_MODEL"
    )
    embedding_base_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("PMPILOT_EMBEDDING_BASE_URL"),
        description="Embeddings endpoint; defaults to OPENAI_BASE_URL.",
    )

    qdrant_url: str | None = Field(default=None, validation_alias="PMPILOT_QDRANT_URL")
    qdrant_api_key: str | None = Field(default=None, validation_alias="PMPILOT_QDRANT_API_KEY", repr=False)
    qdrant_timeout_s: float = Field(
        default=30.0, gt=0, validation_alias="PMPILOT_QDRANT_TIMEOUT",
        description="Seconds per request to a Qdrant server; retries of one request stay within it.",
    )
    store_lock_timeout_s: float = Field(
        default=60.0, ge=0, validation_alias="PMPILOT_STORE_LOCK_TIMEOUT",
        description="Seconds to wait for the embedded store while another process holds it.",
    )
    queue_url: str | None = Field(default=None, validation_alias="PMPILOT_QUEUE_URL")
    checkpoint_url: str | None = Field(default=None, validation_alias="PMPILOT_CHECKPOINT_URL")
    mcp_token: str | None = Field(default=None, validation_alias="PMPILOT_MCP_TOKEN", repr=False)
    mcp_tokens: str | None = Field(
        default=None,
        validation_alias="PMPILOT_MCP_TOKENS",
        repr=False,
        description="Per-token workspace access for MCP over HTTP: JSON {token: [workspace, ...]} or a file path.",
    )
    schedule_file: Path | None = Field(
        default=None,
        validation_alias="PMPILOT_SCHEDULE",
        description="Scheduled jobs (YAML); defaults to PMPILOT_HOME/schedule.yaml when present.",
    )

    redact_pii: bool = Field(default=True, validation_alias="PMPILOT_REDACT_PII")
    retention_days: int | None = Field(
        default=None,
        validation_alias="PMPILOT_RETENTION_DAYS",
        gt=0,
        description="Expire signals older than this many days (all kinds without an override); unset = keep.",
    )
    retention: str | None = Field(
        default=None,
        validation_alias="PMPILOT_RETENTION",
        description="Per-kind retention in days, e.g. 'ticket=365,review=730'; overrides PMPILOT_RETENTION_DAYS.",
    )
    ui_auth: str | None = Field(
        default=None, validation_alias="PMPILOT_UI_AUTH", repr=False, description="user:password for the UI."
    )
    ui_users: str | None = Field(
        default=None,
        validation_alias="PMPILOT_UI_USERS",
        repr=False,
        description='Gradio logins with their workspaces: JSON {"user": {"password", "workspaces"}} or a file path.',
    )

    def __init__(self, **values: Any) -> None:
        """Accept field names as well as env names in code (``Settings(model="x")``).

        The environment is read by the explicit env names only: enabling pydantic's
        ``populate_by_name`` would also read generic variables such as ``HOME`` or ``MODEL``.
        """
        super().__init__(**{_ENV_NAMES.get(key, key): value for key, value in values.items()})

    @field_validator("home", mode="after")
    @classmethod
    def _expand_home(cls, value: Path) -> Path:
        return value.expanduser()

    @field_validator("queue_url")
    @classmethod
    def _check_queue_url(cls, value: str | None) -> str | None:
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("PMPILOT_QUEUE_URL must be a redis:// URL")
        return value

    @field_validator("checkpoint_url")
    @classmethod
    def _check_checkpoint_url(cls, value: str | None) -> str | None:
        if value and not value.startswith(("postgresql://", "postgres://")):
            raise ValueError("PMPILOT_CHECKPOINT_URL must be a postgresql:// URL")
        return value

    @field_validator("retention")
    @classmethod
    def _check_retention(cls, value: str | None) -> str | None:
        if value:
            parse_retention(value)
        return value

    @field_validator("ui_users")
    @classmethod
    def _check_ui_users(cls, value: str | None) -> str | None:
        if value:
            parse_ui_users(value)
        return value

    @model_validator(mode="after")
    def _check_api_key_scope(self) -> Settings:
        if self.qdrant_api_key and not self.qdrant_url:
            raise ValueError("PMPILOT_QDRANT_API_KEY is set but PMPILOT_QDRANT_URL is not")
        return self

    @property
    def llm_configured(self) -> bool:
        """True when an OpenAI-compatible chat endpoint is configured (LLM mode)."""
        return bool(self.openai_api_key or self.openai_base_url)

    def model_for(self, role: Role) -> str:
        """The chat model name for one specialist role."""
        override: str | None = getattr(self, f"model_{role}")
        return override or self.model

    @property
    def retention_policy(self) -> dict[str, int]:
        """Retention in days per signal kind (``PMPILOT_RETENTION``); empty when unset."""
        return parse_retention(self.retention) if self.retention else {}

    @property
    def store_dir(self) -> Path:
        """Embedded vector store directory."""
        return self.home / "store"

    @property
    def runs_dir(self) -> Path:
        """Default output directory of runs."""
        return self.home / "runs"

    @property
    def checkpoint_path(self) -> Path:
        """SQLite checkpoint database (embedded default)."""
        return self.home / "checkpoints.sqlite"

    @property
    def queue_path(self) -> Path:
        """SQLite queue database (embedded default)."""
        return self.home / "queue.sqlite"

    def ensure_home(self) -> Path:
        """Create ``home`` if needed and return it."""
        self.home.mkdir(parents=True, exist_ok=True)
        return self.home


def parse_retention(spec: str) -> dict[str, int]:
    """Parse ``kind=days,kind=days`` into ``{kind: days}``.

    Raises:
        ValueError: Malformed entry, unknown kind or non-positive days (surfaced as ConfigError).
    """
    from kernel.schemas import SignalKind

    kinds = {k.value for k in SignalKind}
    policy: dict[str, int] = {}
    for entry in (e.strip() for e in spec.split(",")):
        if not entry:
            continue
        kind, sep, days = (part.strip() for part in entry.partition("="))
        if not sep or kind not in kinds or not days.isdigit() or int(days) <= 0:
            raise ValueError(
                f"PMPILOT_RETENTION entry {entry!r} must be kind=days with kind in {', '.join(sorted(kinds))}"
            )
        policy[kind] = int(days)
    return policy


def _env_name(alias: object) -> str | None:
    if isinstance(alias, str):
        return alias
    if isinstance(alias, AliasChoices) and alias.choices and isinstance(alias.choices[0], str):
        return alias.choices[0]
    return None


#: Field name → the env name it is read from (for construction by field name).
_ENV_NAMES: dict[str, str] = {
    name: env for name, field in Settings.model_fields.items() if (env := _env_name(field.validation_alias))
}


def load_settings() -> Settings:
    """Read settings from the environment, turning validation errors into one clear ConfigError."""
    try:
        return Settings()
    except ValueError as exc:  # pydantic.ValidationError is a ValueError
        first = str(exc).splitlines()
        detail = "; ".join(line.strip() for line in first[1:3]) if len(first) > 1 else str(exc)
        raise ConfigError(f"invalid configuration: {detail}") from exc


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Process-wide settings (cached). Tests call ``get_settings.cache_clear()`` after changing env."""
    return load_settings()


#: Workspace wildcard of ``PMPILOT_UI_USERS`` and ``PMPILOT_MCP_TOKENS``: every workspace.
ALL_WORKSPACES = "*"


def read_json_setting(name: str, raw: str) -> Any:
    """The JSON of a setting given inline (it starts with ``{``) or as the path of a JSON file.

    Raises:
        ValueError: the file is unreadable or the text is not valid JSON (one line naming ``name``).
    """
    import json

    text = raw.strip()
    if not text.startswith("{"):
        path = Path(text).expanduser()
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ValueError(f"{name}: cannot read {path}: {exc.strerror or exc}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{name} is not valid JSON: {exc.msg} (line {exc.lineno})") from None


def parse_ui_users(raw: str) -> dict[str, tuple[str, frozenset[str] | None]]:
    """Parse ``PMPILOT_UI_USERS`` (inline JSON or a path to a JSON file) into user → (password, workspaces).

    The JSON is ``{"user": {"password": "...", "workspaces": ["acme", ...]}}``; ``"*"`` among the
    workspaces (or as the value) means every workspace, returned as ``None``.

    Raises:
        ValueError: unreadable file, invalid JSON, unknown keys, an empty password or no workspaces
            (surfaced as ConfigError).
    """
    data = read_json_setting("PMPILOT_UI_USERS", raw)
    shape = 'PMPILOT_UI_USERS must be a JSON object {"user": {"password": "...", "workspaces": ["ws", ...]}}'
    if not isinstance(data, dict) or not data:
        raise ValueError(shape)
    users: dict[str, tuple[str, frozenset[str] | None]] = {}
    for user, entry in data.items():
        if not user.strip() or not isinstance(entry, dict) or set(entry) - {"password", "workspaces"}:
            raise ValueError(shape)
        password, workspaces = entry.get("password"), entry.get("workspaces")
        if not isinstance(password, str) or not password:
            raise ValueError(f"PMPILOT_UI_USERS: user {user!r} needs a non-empty password")
        if isinstance(workspaces, str):
            workspaces = [workspaces]
        if not isinstance(workspaces, list) or not workspaces or not all(
                isinstance(w, str) and w.strip() for w in workspaces):
            raise ValueError(f"PMPILOT_UI_USERS: user {user!r} needs a list of workspace names (or \"*\")")
        names = frozenset(w.strip() for w in workspaces)
        users[user] = (password, None if ALL_WORKSPACES in names else names)
    return users
