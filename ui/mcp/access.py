"""Who may call the MCP server over HTTP, and which workspaces each caller may touch.

Tokens come from settings: ``PMPILOT_MCP_TOKEN`` (one token, every workspace) and
``PMPILOT_MCP_TOKENS`` (JSON ``{"token": ["workspace", ...]}`` inline or in a file; ``"*"``
means every workspace). When any token is configured every HTTP request needs
``Authorization: Bearer <token>``, on loopback too; without tokens the server only binds
to loopback. Over stdio the caller is the local user who started the process: no tokens.
"""

from __future__ import annotations

import hmac
import socket
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from mcp.server.transport_security import TransportSecuritySettings
from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from kernel.errors import ConfigError
from kernel.net import is_loopback
from kernel.settings import ALL_WORKSPACES, read_json_setting


def parse_tokens(raw: str | None) -> dict[str, frozenset[str] | None]:
    """Parse ``PMPILOT_MCP_TOKENS`` (inline JSON or a path to a JSON file) into token → workspaces.

    ``None`` as the value means every workspace.

    Raises:
        ConfigError: unreadable file, invalid JSON or a value that is not a list of workspace names.
    """
    if raw is None or not raw.strip():
        return {}
    try:
        data = read_json_setting("PMPILOT_MCP_TOKENS", raw)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    if not isinstance(data, dict):
        raise ConfigError('PMPILOT_MCP_TOKENS must be a JSON object {"token": ["workspace", ...]}')
    tokens: dict[str, frozenset[str] | None] = {}
    for token, workspaces in data.items():
        if not isinstance(token, str) or len(token) < 8:
            raise ConfigError("PMPILOT_MCP_TOKENS: every token must be a string of at least 8 characters")
        if isinstance(workspaces, str):
            workspaces = [workspaces]
        if not isinstance(workspaces, list) or not all(isinstance(w, str) and w for w in workspaces):
            raise ConfigError("PMPILOT_MCP_TOKENS: each token maps to a list of workspace names")
        tokens[token] = None if ALL_WORKSPACES in workspaces else frozenset(workspaces)
    return tokens


@dataclass(frozen=True)
class AccessPolicy:
    """Bearer tokens accepted over HTTP and the workspaces each may use (``None``: all)."""

    tokens: Mapping[str, frozenset[str] | None] = field(default_factory=dict)

    @classmethod
    def from_config(cls, token: str | None, tokens: str | None) -> AccessPolicy:
        """Build the policy from ``PMPILOT_MCP_TOKEN`` and ``PMPILOT_MCP_TOKENS``."""
        table = parse_tokens(tokens)
        if token:
            table[token] = None
        return cls(tokens=table)

    @property
    def enabled(self) -> bool:
        """True when at least one token is configured (then every HTTP request must carry one)."""
        return bool(self.tokens)

    def match(self, presented: str | None) -> str | None:
        """The configured token equal to ``presented``, compared in constant time, else ``None``."""
        if not presented:
            return None
        found: str | None = None
        candidate = presented.encode("utf-8")
        for token in self.tokens:
            if hmac.compare_digest(candidate, token.encode("utf-8")):
                found = token
        return found

    def allows(self, token: str | None, workspace: str) -> bool:
        """Whether the caller holding ``token`` may use ``workspace`` (always, when no tokens are set)."""
        if not self.enabled:
            return True
        if token is None or token not in self.tokens:
            return False
        allowed = self.tokens[token]
        return allowed is None or workspace in allowed


def bearer(headers: Mapping[str, str] | None) -> str | None:
    """The bearer token of an ``Authorization`` header, if any."""
    if not headers:
        return None
    value = headers.get("authorization") or headers.get("Authorization") or ""
    scheme, _, credentials = value.partition(" ")
    return credentials.strip() or None if scheme.lower() == "bearer" else None


class BearerAuthMiddleware:
    """ASGI middleware: every HTTP request needs a configured bearer token (401 otherwise)."""

    def __init__(self, app: ASGIApp, policy: AccessPolicy) -> None:
        """Wrap ``app``; with an empty policy requests pass through unchanged."""
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the token of HTTP requests; lifespan and other scopes pass through."""
        if scope["type"] == "http" and self.policy.enabled:
            token = bearer(Headers(scope=scope))
            if self.policy.match(token) is None:
                reason = "missing bearer token" if token is None else "invalid bearer token"
                response = JSONResponse(
                    {"error": "unauthorized", "error_description": reason},
                    status_code=401,
                    headers={"WWW-Authenticate": f'Bearer error="invalid_token", error_description="{reason}"'},
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _own_addresses() -> list[str]:
    """This machine's addresses by its host name; none when the name does not resolve locally."""
    try:
        return list(socket.gethostbyname_ex(socket.gethostname())[2])
    except OSError:
        return []


def _host_names(host: str, extra: Iterable[str]) -> list[str]:
    names = {host.strip("[]"), *extra}
    if host in ("0.0.0.0", "::", ""):
        names |= {"127.0.0.1", "localhost", "::1", socket.gethostname(), socket.getfqdn(), *_own_addresses()}
    elif is_loopback(host):
        names |= {"127.0.0.1", "localhost", "::1"}
    return sorted(n for n in names if n)


def transport_security(host: str, port: int, allowed_hosts: Iterable[str] = ()) -> TransportSecuritySettings:
    """DNS-rebinding protection: only Host/Origin headers naming this server (at its port) pass.

    Args:
        host: The address the server binds to.
        port: The port it listens on.
        allowed_hosts: Extra host names clients use to reach it (a DNS name behind a proxy ...).
    """
    hosts: list[str] = []
    origins: list[str] = []
    for name in _host_names(host, allowed_hosts):
        literal = f"[{name}]" if ":" in name else name
        hosts += [f"{literal}:{port}", literal]
        origins += [f"http://{literal}:{port}", f"https://{literal}:{port}", f"http://{literal}", f"https://{literal}"]
    return TransportSecuritySettings(enable_dns_rebinding_protection=True, allowed_hosts=hosts,
                                     allowed_origins=origins)
