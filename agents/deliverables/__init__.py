"""Deliverable kinds: one module per kind (``agents/deliverables/<kind>.py``) and one registry.

Importing the package imports the module of every kind listed in :mod:`kernel.kinds`; each module
builds its :class:`~agents.deliverables.base.Deliverable` (artifact model, offline drafter, LLM schema
and completion, layout, cited lists, fixes, revisions and checks) and registers it. Adding a kind
means adding its module and its name in ``kernel.kinds.DeliverableKind``.
"""

from __future__ import annotations

import importlib

from agents.deliverables.base import (
    DELIVERABLES,
    Deliverable,
    Materials,
    register,
    render_markdown,
    review_drafts,
    validate,
)
from kernel import kinds

__all__ = ["DELIVERABLES", "Deliverable", "Materials", "load_kinds", "register", "render_markdown", "review_drafts",
           "validate"]


def load_kinds() -> dict[str, Deliverable]:
    """Import the module of every kind in :data:`kernel.kinds.DELIVERABLE_KINDS` (each registers itself).

    Raises:
        ImportError: a listed kind has no module, or its module registers no deliverable of that kind.
    """
    for kind in kinds.DELIVERABLE_KINDS:
        if kind not in DELIVERABLES:
            importlib.import_module(f"{__name__}.{kind}")
        if kind not in DELIVERABLES:
            raise ImportError(f"{__name__}.{kind} registers no deliverable {kind!r}")
    return DELIVERABLES


load_kinds()
