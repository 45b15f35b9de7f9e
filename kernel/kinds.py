"""The deliverable kinds pmpilot drafts — the one registry every surface derives from.

The CLI's ``--deliverables`` choices, the MCP models, the queue's validation and the runner all read
:data:`DELIVERABLE_KINDS`; the agent layer maps each kind to its module under ``agents/deliverables``.
Adding a deliverable kind means adding its module and one line here.
"""

from __future__ import annotations

from typing import Literal, get_args

#: Every deliverable kind, in the order prompts and help texts list them.
DeliverableKind = Literal["requirements", "brief", "decision_memo", "status", "meeting_notes", "roadmap"]

DELIVERABLE_KINDS: tuple[str, ...] = get_args(DeliverableKind)
