"""Erasure: forget a person, expire old signals, and scrub every reference to what was deleted."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from kernel.errors import InputError
from kernel.schemas import Claim, ForgetReceipt, ThemeReport, utcnow
from memory.batches import BatchWriter
from memory.scoped import META, FilterValue, _chunks
from memory.sentence_vectors import SentenceStore
from memory.snapshots import SnapshotStore
from memory.sparse import doc_sparse
from memory.store.base import Match, Point, Record


class Erasure(BatchWriter, SnapshotStore, SentenceStore):
    """Right to be forgotten and retention (a part of :class:`~memory.repository.WorkspaceMemory`)."""

    def forget_user(self, user_id: str) -> ForgetReceipt:
        """Erase a person from this workspace: signals, claims, theme snapshots, decision citations, sentence vectors.

        Covers the collections of every embedding model ever used. The receipt is a hash over
        the workspace, the counts and the time: it holds no personal data.
        """
        if not user_id or not user_id.strip():
            raise InputError("user id is empty")
        with self._lock, self._store.hold():
            self._recover_locked()  # a pending batch must not bring the person back when replayed later
            deleted = self._delete_user_signals(user_id)
            deleted_claims = self._scrub_claims(user_id, deleted)
            self._scrub_themes(deleted)
            self._scrub_decisions(deleted)
            self._scrub_sentences(deleted)
        at = utcnow().isoformat()
        digest = hashlib.sha256(
            json.dumps(
                {
                    "workspace": self.workspace,
                    "deleted_signals": len(deleted),
                    "deleted_claims": deleted_claims,
                    "at": at,
                },
                sort_keys=True,
            ).encode()
        ).hexdigest()
        return ForgetReceipt(deleted_signals=len(deleted), deleted_claims=deleted_claims, receipt=f"sha256:{digest}")

    def expire(self, older_than: datetime, kind: FilterValue = None) -> int:
        """Delete signals created at or before ``older_than`` (optionally of some kinds); retention.

        Every reference goes with them, as in :meth:`forget_user`: claims lose that evidence (and
        are deleted when none is left), theme snapshots and decision citations drop the ids.

        Returns:
            The number of signals deleted.
        """
        flt = self._signal_filter(kind=kind, until=older_than)
        deleted: set[str] = set()
        with self._lock, self._store.hold():
            self._recover_locked()
            for collection in self._memory.all_collections("signals"):
                deleted.update(r.id for r in self._store.scroll(collection, flt))
                self._store.delete(collection, flt)
            if deleted:
                self._scrub_claims(None, deleted)
                self._scrub_themes(deleted)
                self._scrub_decisions(deleted)
                self._scrub_sentences(deleted)
        return len(deleted)

    def _delete_user_signals(self, user_id: str) -> set[str]:
        flt = self._tenant(Match("user_id", user_id))
        deleted: set[str] = set()
        for collection in self._memory.all_collections("signals"):
            deleted.update(r.id for r in self._store.scroll(collection, flt))
            self._store.delete(collection, flt)
        return deleted

    def _scrub_claims(self, user_id: str | None, deleted: set[str]) -> int:
        removed: set[str] = set()
        ids = sorted(deleted)
        for collection in self._memory.all_collections("claims"):
            if user_id is not None:
                own = self._tenant(Match("subject_type", "user"), Match("subject", user_id))
                removed.update(r.id for r in self._store.scroll(collection, own))
                self._store.delete(collection, own)
            touched: dict[str, Record] = {}
            for chunk in _chunks(ids):
                for key in ("evidence", "contradicted_by"):
                    flt = self._tenant(Match(key, any_of=tuple(chunk)))
                    for record in self._store.scroll(collection, flt, with_vectors=True):
                        touched[record.id] = record
            updates: list[Point] = []
            for record in touched.values():
                claim = Claim.model_validate(record.payload)
                evidence = [e for e in claim.evidence if e not in deleted]
                if not evidence:
                    removed.add(record.id)
                    self._store.delete_ids(collection, [record.id])
                    continue
                dropped = len(claim.evidence) - len(evidence)
                claim = claim.model_copy(
                    update={
                        "evidence": evidence,
                        "support": max(len(evidence), claim.support - dropped),
                        "contradicted_by": [e for e in claim.contradicted_by if e not in deleted],
                    }
                )
                payload = {**record.payload, **claim.model_dump(mode="json")}
                updates.append(
                    Point(id=record.id, vector=record.vector or [], payload=payload, sparse=doc_sparse(claim.text))
                )
            self._store.upsert(collection, updates)
        return len(removed)

    def _scrub_themes(self, deleted: set[str]) -> None:
        if not deleted:
            return
        updates: list[Point] = []
        for record in self._theme_records():
            report = ThemeReport.model_validate(record.payload["report"])
            changed = False
            themes = []
            for theme in report.themes:
                members = [m for m in theme.members if m.signal_id not in deleted]
                quotes = [q for q in theme.quotes if q.signal_id not in deleted]
                hit = len(members) != len(theme.members) or len(quotes) != len(theme.quotes)
                if not hit:
                    themes.append(theme)
                    continue
                changed = True
                size = max(0, theme.size - (len(theme.members) - len(members)))
                if size == 0 or (theme.members and not members):
                    continue
                themes.append(
                    theme.model_copy(
                        update={"members": members, "quotes": quotes, "size": size, "users": max(0, theme.users - 1)}
                    )
                )
            if changed:
                payload = {
                    **record.payload,
                    "report": report.model_copy(update={"themes": themes}).model_dump(mode="json"),
                }
                updates.append(Point(id=record.id, vector=[1.0], payload=payload))
        self._store.upsert(META, updates)

    def _scrub_decisions(self, deleted: set[str]) -> None:
        ids = sorted(deleted)
        for collection in self._memory.all_collections("decisions"):
            touched: dict[str, Record] = {}
            for chunk in _chunks(ids):
                flt = self._tenant(Match("citations", any_of=tuple(chunk)))
                for record in self._store.scroll(collection, flt, with_vectors=True):
                    touched[record.id] = record
            updates = []
            for record in touched.values():
                payload = dict(record.payload)
                payload["citations"] = [c for c in payload.get("citations", []) if c not in deleted]
                if payload.get("items"):  # each item's citations are some of the decision's (memory.snapshots)
                    payload["items"] = [{**i, "citations": [c for c in i.get("citations") or [] if c not in deleted]}
                                        for i in payload["items"]]
                text = "\n".join(str(payload.get(k, "")) for k in ("question", "recommendation", "rationale"))
                updates.append(
                    Point(id=record.id, vector=record.vector or [], payload=payload, sparse=doc_sparse(text))
                )
            self._store.upsert(collection, updates)
