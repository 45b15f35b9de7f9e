"""Relevance on a workspace of long chunks: the g27-culrepo backlog written as a PM's notes document.

Documents and transcripts are stored as ~1,200-character chunks (170-230 words), far longer than the user stories
the length term (:meth:`tools.relevance.RelevanceModel.wordiness`) was fitted on. Uncapped, the term added ~5.7
logits here and every off-domain question was answered from unrelated chunks; capped at the fitted lengths, they
abstain and the backlog's own topics are still answered.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from agents.ask import ask_users
from memory import api
from tests.support.services import require_shared_data
from tests.support.workspace import offline_home
from tools.relevance import search_relevant


@pytest.fixture(scope="module")
def culrepo_notes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The same backlog as a PM's notes document: 8 stories a paragraph, so it is stored as ~170-word chunks."""
    lines = [line.strip() for line in require_shared_data("user-stories", "g27-culrepo.txt")
             .read_text(encoding="utf-8").splitlines() if line.strip()]
    base = tmp_path_factory.mktemp("long-chunks")
    notes = base / "culrepo_notes.md"
    notes.write_text("# Repository requirements notes\n\n" + "\n\n".join(
        " ".join(lines[i:i + 8]) for i in range(0, len(lines), 8)) + "\n", encoding="utf-8")
    with offline_home(base / "home"):
        report = api.ingest([notes], "notes")
        assert report.ingested >= 10
        yield "notes"


@pytest.mark.parametrize("question", [
    "How do gamers feel about matchmaking lag?",
    "Complaints about cafeteria food prices",
    "What do patrons say about borrowing printed books and overdue fines?",
])
def test_off_domain_questions_abstain_on_a_workspace_of_long_chunks(culrepo_notes: str, question: str) -> None:
    assert search_relevant(culrepo_notes, question).kept == []
    assert ask_users(question, culrepo_notes, offline=True).insufficient_evidence


def test_upload_question_is_still_answered_from_long_chunks(culrepo_notes: str) -> None:
    answer = ask_users("How do faculty want to upload their data?", culrepo_notes, offline=True)
    assert not answer.insufficient_evidence
