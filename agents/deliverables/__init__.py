"""Deliverables that plug into the writer's registry beyond the core three (requirements, brief, memo).

Importing this package registers them: :mod:`.status` (status update from commits, issues and user
themes) and :mod:`.meeting_notes` (decisions, action items, open questions and requirements of a
meeting transcript) and :mod:`.roadmap` (the living Now / Next / Later / Done roadmap).
"""

from agents.deliverables import meeting_notes, roadmap, status

__all__ = ["meeting_notes", "roadmap", "status"]
