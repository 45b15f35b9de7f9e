"""Network helpers shared by the surfaces and the store client."""

from __future__ import annotations

import ipaddress

_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})


def is_loopback(host: str | None) -> bool:
    """True when ``host`` only accepts connections from this machine."""
    name = (host or "").strip("[]").lower()
    if name in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False
