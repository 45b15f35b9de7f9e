"""Privacy and tenant isolation through the service API (memory.api) on a real embedded store.

Two workspaces hold the same user ids; a realistic PII corpus (support tickets with signatures,
a call transcript reading numbers aloud) is ingested; every stored payload of every collection
is scrolled to prove no raw PII is kept, that nothing crosses workspaces, that ``forget`` leaves
no residue and that retention expires exactly the signals it should.
"""

from __future__ import annotations

import csv
import importlib.util
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kernel.errors import ConfigError, InputError
from kernel.schemas import Member, Quote, Theme, ThemeReport
from kernel.settings import get_settings, load_settings
from memory import api
from memory.repository import META, get_memory, reset_memory
from memory.store.base import Filter

PII = {
    "email": ["maria.gonzalez@northwind.example", "tom.baker@initech.example", "ana.ruiz@globex.example"],
    "phone": ["+1 (415) 555-0132", "07700 900123", "415 555 0199"],
    "card": ["4242 4242 4242 4242", "5555 5555 5555 4444"],
    "iban": ["GB82 WEST 1234 5698 7654 32", "DE89 3704 0044 0532 0130 00"],
    "address": ["55 Water Street, Suite 400, New York, NY 10041", "12 Oak Drive, Austin, TX 78701"],
}
RAW = [v for values in PII.values() for v in values]
#: Identifier fields keep what the source used as an id (needed to forget the person).
ID_FIELDS = {"user_id", "account_id", "external_id", "subject", "id", "source", "workspace"}
NOW = datetime(2026, 6, 1, tzinfo=UTC)
HAS_THEMES = importlib.util.find_spec("memory.themes") is not None


def snapshot_themes(ws: str) -> None:
    """Save a theme snapshot: the real analysis when available, else one theme over every signal."""
    if HAS_THEMES:
        api.themes(ws, members=True, refresh=True)
        return
    signals = [s for s, _ in api.workspace(ws).iter_signals()]
    theme = Theme(
        id="t-all", label="everything", size=len(signals), users=len({s.user_id for s in signals}), accounts=1,
        quotes=[Quote(signal_id=s.id, quote=s.text[:60]) for s in signals],
        members=[Member(signal_id=s.id, external_id=s.external_id) for s in signals],
    )
    api.workspace(ws).save_themes(ThemeReport(workspace=ws, themes=[theme]))


def _tickets(path: Path, workspace: str) -> None:
    rows = [
        ("T1", "u-maria", "Northwind", "2026-05-20T09:00:00Z",
         "Export to PDF cuts off tables after page 2.\n\nThanks,\nMaria Gonzalez\n"
         "maria.gonzalez@northwind.example | +1 (415) 555-0132 | Mobile: 07700 900123\n"
         "Northwind Ltd, 55 Water Street, Suite 400, New York, NY 10041"),
        ("T2", "u-maria", "Northwind", "2025-01-10T09:00:00Z",
         "Please refund the duplicate charge on card 4242 4242 4242 4242 to IBAN GB82 WEST 1234 5698 7654 32."),
        ("T3", "u-tom", "Initech", "2026-05-25T09:00:00Z",
         "SSO with Okta fails for half our seats. Call me on 415 555 0199 or tom.baker@initech.example."),
        ("T4", "u-tom", "Initech", "2024-02-01T09:00:00Z",
         "Invoices should go to DE89 3704 0044 0532 0130 00, card 5555 5555 5555 4444 expired."),
        ("T5", "u-ana", "Globex", "2026-05-28T09:00:00Z",
         f"Sync conflicts lose our edits in the {workspace} roadmap. Ship the dongle to 12 Oak Drive, Austin, "
         "TX 78701. ana.ruiz@globex.example"),
    ]
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["Ticket ID", "Requester", "Organization", "Created at", "Description"])
        writer.writerows(rows)


def _review(path: Path) -> None:
    path.write_text(json.dumps([
        {"id": "R1", "user": "u-ana", "rating": 2, "date": "2023-01-05",
         "review": "Sync keeps failing. Reach me at ana.ruiz@globex.example or 07700 900123."},
        {"id": "R2", "user": "u-tom", "rating": 4, "date": "2026-05-30",
         "review": "Good app, but export to PDF is slow on big reports."},
    ]))


def _transcript(path: Path) -> None:
    path.write_text(
        "WEBVTT\n\nNOTE\nParticipants: Sam Carter (AE), Ana Ruiz (Globex)\nDate: 2026-03-12\n\n"
        "1\n00:00:01.000 --> 00:00:04.000\n<v Sam Carter>What is the best way to reach you?</v>\n\n"
        "2\n00:00:05.000 --> 00:00:09.000\n<v Ana Ruiz>My cell is 415 555 0199, email ana.ruiz@globex.example."
        " Sync conflicts are our biggest pain.</v>\n\n"
        "3\n00:00:10.000 --> 00:00:14.000\n<v Ana Ruiz>We are at 12 Oak Drive, Austin, TX 78701."
        " Card 5555 5555 5555 4444 is on file.</v>\n"
    )


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, list[Path]]]:
    root = tmp_path_factory.mktemp("rel-privacy")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PMPILOT_HOME", str(root / "home"))
        for var in ("PMPILOT_RETENTION", "PMPILOT_RETENTION_DAYS", "PMPILOT_REDACT_PII"):
            mp.delenv(var, raising=False)
        get_settings.cache_clear()
        reset_memory()
        files: dict[str, list[Path]] = {}
        for ws in ("acme", "globex"):
            folder = root / ws
            folder.mkdir()
            _tickets(folder / "tickets.csv", ws)
            _review(folder / "reviews.json")
            _transcript(folder / "call-globex.vtt")
            files[ws] = sorted(folder.iterdir())
            report = api.ingest(files[ws], ws)
            assert report.ingested >= 8, report
        yield files
        reset_memory()
        get_settings.cache_clear()


def _payload_text(payload: dict) -> str:
    return json.dumps({k: v for k, v in payload.items() if k not in ID_FIELDS}, ensure_ascii=False)


def _all_payloads() -> list[tuple[str, dict]]:
    store = get_memory().store
    out = []
    for collection in store.collections():
        for record in store.scroll(collection, Filter()):
            out.append((collection, record.payload))
    return out


def _leaks() -> list[str]:
    found = []
    for collection, payload in _all_payloads():
        text = _payload_text(payload)
        found.extend(f"{collection}: {raw}" for raw in RAW if raw in text)
        found.extend(f"{collection}: digits {raw}" for raw in ("4242424242424242", "5555555555554444") if raw in text)
    return found


def test_no_raw_pii_in_any_stored_payload(corpus: dict[str, list[Path]]) -> None:
    snapshot_themes("acme")
    api.profile("acme", user="u-maria")
    payloads = _all_payloads()
    assert len(payloads) > 20 and {c.split("__")[0] for c, _ in payloads} >= {"signals", "claims", META}
    assert _leaks() == []
    texts = " ".join(h.text for h in api.search("refund card IBAN phone email address", "acme", limit=50))
    assert "[CARD]" in texts and "[IBAN]" in texts and "[EMAIL]" in texts and "[PHONE]" in texts


def test_search_themes_profile_stats_never_cross_workspaces(corpus: dict[str, list[Path]]) -> None:
    for ws, other in (("acme", "globex"), ("globex", "acme")):
        hits = api.search("sync conflicts roadmap", ws, limit=50)
        assert hits and all(f"{other} roadmap" not in h.text for h in hits)
        assert any(f"{ws} roadmap" in h.text for h in hits)
        own = {s.id for s, _ in api.workspace(ws).iter_signals()}
        theirs = {s.id for s, _ in api.workspace(other).iter_signals()}
        assert own and theirs and not own & theirs
        assert {h.signal_id for h in api.search("export", ws, user_id="u-tom", limit=50)} <= own
        snapshot_themes(ws)
        for theme in api.workspace(ws).load_themes().themes:
            assert {m.signal_id for m in theme.members} <= own
            assert {q.signal_id for q in theme.quotes} <= own
        for claim in api.profile(ws, user="u-ana").claims:
            assert set(claim.evidence) <= own
        assert api.stats(ws).signals == len(own)


def test_forget_erases_one_person_in_one_workspace_only(corpus: dict[str, list[Path]]) -> None:
    memory = api.workspace("acme")
    ana = {s.id for s, _ in memory.iter_signals(user_id="u-ana")}
    assert ana
    memory.log_decision("run-1", "Fix sync first?", "Yes", "Users lose edits", sorted(ana))
    snapshot_themes("acme")
    globex_before = api.stats("globex")
    receipt = api.forget("acme", "u-ana")
    assert receipt.deleted_signals == len(ana) and receipt.receipt.startswith("sha256:")
    assert "u-ana" not in receipt.model_dump_json()
    residue = []
    for collection, payload in _all_payloads():
        if payload.get("workspace") != "acme":
            continue
        blob = json.dumps(payload)
        residue.extend(f"{collection}: {sid}" for sid in ana if sid in blob)
        if payload.get("user_id") == "u-ana" or payload.get("subject") == "u-ana":
            residue.append(f"{collection}: subject u-ana")
    assert residue == []
    assert api.profile("acme", user="u-ana").claims == []
    assert api.search("sync", "acme", user_id="u-ana", limit=10) == []
    assert api.stats("globex") == globex_before
    assert {s.id for s, _ in api.workspace("globex").iter_signals(user_id="u-ana")}


def test_forget_and_expire_validate_input(corpus: dict[str, list[Path]]) -> None:
    with pytest.raises(InputError):
        api.forget("acme", "  ")
    with pytest.raises(InputError):
        api.forget("../globex", "u-tom")
    with pytest.raises(InputError):
        api.expire("acme", NOW, kind="tickets")


def test_retention_settings_parse_and_reject() -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PMPILOT_RETENTION", "ticket=365, review=730")
        mp.setenv("PMPILOT_RETENTION_DAYS", "90")
        settings = load_settings()
        assert settings.retention_policy == {"ticket": 365, "review": 730} and settings.retention_days == 90
        for bad in ("ticket", "tickets=3", "ticket=-1", "ticket=x"):
            mp.setenv("PMPILOT_RETENTION", bad)
            with pytest.raises(ConfigError) as info:
                load_settings()
            assert "\n" not in str(info.value)


def test_apply_retention_expires_per_kind_and_scrubs_references(corpus: dict[str, list[Path]]) -> None:
    memory = api.workspace("globex")
    signals = [s for s, _ in memory.iter_signals()]
    old_tickets = {s.id for s in signals if s.kind == "ticket" and s.created_at < NOW - timedelta(days=365)}
    old_reviews = {s.id for s in signals if s.kind == "review" and s.created_at < NOW - timedelta(days=730)}
    old_other = {s.id for s in signals if s.kind not in ("ticket", "review")
                 and s.created_at < NOW - timedelta(days=30)}
    assert old_tickets and old_reviews and old_other
    expired_ids = old_tickets | old_reviews | old_other
    memory.log_decision("run-2", "Refund policy?", "Refund", "Duplicate charges", sorted(expired_ids))
    snapshot_themes("globex")
    acme_before = api.stats("acme")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PMPILOT_RETENTION", "ticket=365,review=730")
        mp.setenv("PMPILOT_RETENTION_DAYS", "30")
        get_settings.cache_clear()
        try:
            assert api.apply_retention("globex", now=NOW) == len(expired_ids)
            assert api.apply_retention("globex", now=NOW) == 0
        finally:
            get_settings.cache_clear()
    left = {s.id for s, _ in memory.iter_signals()}
    assert left == {s.id for s in signals} - expired_ids
    for collection, payload in _all_payloads():
        if payload.get("workspace") == "globex":
            blob = json.dumps(payload)
            assert not [sid for sid in expired_ids if sid in blob], collection
    assert api.stats("acme") == acme_before
    assert api.apply_retention("acme", now=NOW) == 0, "no retention configured: nothing expires"
