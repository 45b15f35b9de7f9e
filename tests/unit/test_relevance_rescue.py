"""The agreement rescue (tools.relevance.RESCUE): a question the floor leaves with under 3 signals is scored again
with its agreement lift, and the lifted evidence stands only when its best hits form one saved theme.

g23-archivesspace ingested alone, with a theme snapshot: "Signing in to the application" kept 2 stories ("log in",
"authenticate locally") and abstained, since neither names 'signing'; the stories about logging in agree on the
question's direction, so the lift keeps the login theme. A near miss ("print barcode labels for boxes") is not lifted
into an answer.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from memory import api
from tests.support.services import require_shared_data
from tests.support.workspace import offline_home
from tools.relevance import RESCUE_BELOW, RESCUE_TOP, search_relevant, theme_map

WS = "archivesspace"


@pytest.fixture(scope="module")
def archives(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """g23-archivesspace.txt ingested alone into a fresh home, with its theme snapshot saved."""
    path = require_shared_data("user-stories", "g23-archivesspace.txt")
    with offline_home(tmp_path_factory.mktemp("rescue") / "home"):
        assert api.ingest([path], WS).ingested >= 50
        api.themes(WS, refresh=True)
        yield WS


def test_a_paraphrase_the_floor_leaves_thin_is_rescued_by_one_coherent_theme(archives: str) -> None:
    floor = search_relevant(archives, "Signing in to the application", rescue=None)
    found = search_relevant(archives, "Signing in to the application")
    assert len(floor.kept) < RESCUE_BELOW and not floor.rescued
    assert found.rescued and len(found.kept) > len(floor.kept)
    themes = theme_map(archives)
    best = sorted(found.kept, key=lambda p: -p[1].relevance)[:RESCUE_TOP]
    assert len({themes[h.signal_id] for h, _ in best}) == 1
    texts = " ".join(h.text.lower() for h, _ in found.kept)
    assert "log in" in texts and "authenticate" in texts
    agreement = found.stats()["floor"]["agreement"]
    assert agreement["rescued"] is True and agreement["question"]["lift"] > 0


def test_a_near_miss_is_not_rescued(archives: str) -> None:
    found = search_relevant(archives, "How do archivists want to print barcode labels for boxes?")
    assert not found.rescued and len(found.kept) < RESCUE_BELOW
    assert "agreement" not in found.stats()["floor"]
