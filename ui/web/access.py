"""Who may log in to the Gradio app, and which workspaces each login may touch.

Logins come from settings, mirroring the MCP server's per-token scheme (``ui/mcp/access.py``):
``PMPILOT_UI_AUTH`` (``user:password``, every workspace) and ``PMPILOT_UI_USERS`` (JSON
``{"user": {"password": "...", "workspaces": ["acme"]}}`` inline or in a file; ``"*"`` means every
workspace). ``pmpilot ui --workspace W`` pins the app to ``W``: every login's set is narrowed to it.
Without any login the app serves its only (local) user, limited to the pinned workspace if any.

Every event handler and API endpoint checks the workspace it is given — and the workspace of any
run it is given — against the caller's set on the server (``gr.Request.username``); a refusal is
one ``gr.Error`` line and never data. The dropdown only offers what the caller may use.
"""

from __future__ import annotations

import hmac
import html
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import gradio as gr

from agents import runner
from kernel.errors import ConfigError
from kernel.settings import Settings, get_settings, parse_ui_users

#: user → (password, workspaces); ``None`` as workspaces means every workspace.
Logins = Mapping[str, tuple[str, frozenset[str] | None]]


def _ui_auth_login(raw: str | None) -> dict[str, tuple[str, frozenset[str] | None]]:
    """The single login of ``PMPILOT_UI_AUTH`` (``user:password``), which may use every workspace."""
    if not raw:
        return {}
    user, sep, password = raw.partition(":")
    if not sep or not user or not password:
        raise ConfigError("PMPILOT_UI_AUTH must be 'user:password'")
    return {user: (password, None)}


def logins_from(settings: Settings) -> dict[str, tuple[str, frozenset[str] | None]]:
    """Every configured login: ``PMPILOT_UI_USERS`` plus the ``PMPILOT_UI_AUTH`` user.

    Raises:
        ConfigError: a malformed value, or one user name defined by both variables.
    """
    try:
        users = parse_ui_users(settings.ui_users) if settings.ui_users else {}
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    single = _ui_auth_login(settings.ui_auth)
    clash = set(single) & set(users)
    if clash:
        raise ConfigError(f"user {sorted(clash)[0]!r} is defined in both PMPILOT_UI_AUTH and PMPILOT_UI_USERS")
    return users | single


def _refusal(message: str) -> gr.Error:
    return gr.Error(html.escape(message), print_exception=False)


@dataclass(frozen=True)
class UIAccess:
    """The app's logins and the workspace it is pinned to (``None``: not pinned)."""

    logins: Logins = field(default_factory=dict)
    pinned: str | None = None

    @classmethod
    def from_settings(cls, pinned: str | None = None) -> UIAccess:
        """Build the policy from ``PMPILOT_UI_AUTH`` / ``PMPILOT_UI_USERS``, pinned to ``pinned`` if given."""
        return cls(logins=logins_from(get_settings()), pinned=(pinned or "").strip() or None)

    def pinned_to(self, workspace: str | None) -> UIAccess:
        """This policy pinned to ``workspace`` (unchanged when ``workspace`` is empty)."""
        name = (workspace or "").strip()
        return replace(self, pinned=name) if name else self

    @property
    def enabled(self) -> bool:
        """True when logins are configured (then Gradio asks for one before serving anything)."""
        return bool(self.logins)

    def authenticate(self, user: str, password: str) -> bool:
        """Gradio's ``auth`` callable: the password of a known user, compared in constant time."""
        entry = self.logins.get(user)
        if entry is None:
            return False
        return hmac.compare_digest(password.encode("utf-8"), entry[0].encode("utf-8"))

    def allowed(self, user: str | None) -> frozenset[str] | None:
        """The workspaces ``user`` may use; ``None`` means every workspace."""
        if self.enabled:
            if user is None or user not in self.logins:
                return frozenset()
            base = self.logins[user][1]
        else:
            base = None
        if self.pinned is None:
            return base
        return frozenset({self.pinned}) if base is None or self.pinned in base else frozenset()

    def restricted(self, user: str | None) -> bool:
        """True when ``user`` may not use every workspace (no custom workspace names in the dropdown)."""
        return self.allowed(user) is not None

    def check(self, request: gr.Request | None, workspace: str | None) -> str:
        """The workspace name, if the caller of ``request`` may use it.

        Raises:
            gr.Error: no workspace given, not logged in, or a workspace outside the caller's set.
        """
        name = (workspace or "").strip()
        if not name:
            raise _refusal("choose a workspace first")
        user = username(request)
        if self.enabled and user is None:
            raise _refusal("log in first")
        allowed = self.allowed(user)
        if allowed is not None and name not in allowed:
            who = user or "this app"
            raise _refusal(f"workspace not allowed: {who} cannot access {name!r}")
        return name

    def check_run(self, request: gr.Request | None, run_id: str | None) -> dict[str, Any]:
        """The run.json of ``run_id``, if its workspace is one the caller may use.

        Raises:
            gr.Error: the run belongs to a workspace outside the caller's set.
            NotFoundError, InputError: no such run, or a malformed id.
        """
        run = runner.get_run((run_id or "").strip())
        try:
            self.check(request, str(run.get("workspace") or ""))
        except gr.Error:
            raise _refusal(f"run not allowed: {username(request) or 'this app'} cannot access run "
                           f"{run.get('run_id', run_id)!r}") from None
        return run

    def choices(self, user: str | None, holding_data: list[str]) -> list[str]:
        """Dropdown choices for ``user``: every allowed workspace, or (unrestricted) those holding data."""
        allowed = self.allowed(user)
        if allowed is None:
            return holding_data
        return sorted(allowed)


def username(request: gr.Request | None) -> str | None:
    """The logged-in user of a Gradio request (``None`` without login)."""
    name = getattr(request, "username", None) if request is not None else None
    return str(name) if name else None
