"""Theme snapshots and the decision log of one workspace."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from kernel.errors import InputError
from kernel.schemas import ID_NAMESPACE, ThemeReport, utcnow
from memory.scoped import META, THEME_HISTORY_KEEP, ScopedMemory, _check_limit
from memory.sparse import doc_sparse, query_sparse
from memory.store.base import Match, Point, Record


def decision_text(question: str, recommendation: str, rationale: str) -> str:
    """The text the decision log embeds for a decision (a run prefetches its vector: ``agents.review``)."""
    return f"{question}\n{recommendation}\n{rationale}"

class SnapshotStore(ScopedMemory):
    """Theme snapshots (``meta``) and decisions (a part of :class:`~memory.repository.WorkspaceMemory`)."""

    def save_themes(self, report: ThemeReport) -> None:
        """Save a theme snapshot (the latest one is what ``load_themes`` returns)."""
        if report.workspace != self.workspace:
            raise InputError(f"theme report is for workspace {report.workspace!r}, not {self.workspace!r}")
        now = utcnow()
        snapshots = self._theme_records()
        created = now.timestamp()
        if snapshots and created <= float(snapshots[0].payload["created_ts"]):
            created = float(snapshots[0].payload["created_ts"]) + 1e-3  # strictly newer than the latest
        sid = str(uuid.uuid5(ID_NAMESPACE, f"themes\x1f{self.workspace}\x1f{created!r}"))
        payload = {
            "workspace": self.workspace,
            "doc": "themes",
            "created_ts": created,
            "created_at": datetime.fromtimestamp(created, UTC).isoformat(),
            "report": report.model_dump(mode="json"),
        }
        with self._lock:
            self._store.upsert(META, [Point(id=sid, vector=[1.0], payload=payload)])
            stale = [r.id for r in snapshots[THEME_HISTORY_KEEP - 1 :]]
            self._store.delete_ids(META, stale)

    def _theme_records(self) -> list[Record]:
        flt = self._tenant(Match("doc", "themes"))
        records = self._own(self._store.scroll(META, flt))
        return sorted(records, key=lambda r: -float(r.payload["created_ts"]))

    def load_themes(self) -> ThemeReport | None:
        """The latest theme snapshot, or None if themes were never saved."""
        history = self.theme_history(limit=1)
        return history[0] if history else None

    def theme_history(self, limit: int = 10) -> list[ThemeReport]:
        """Theme snapshots, newest first (for trends between analyses)."""
        return [ThemeReport.model_validate(r.payload["report"]) for r in self._theme_records()[:limit]]

    # -- decision log -------------------------------------------------------------------------

    def log_decision(
        self, run_id: str, question: str, recommendation: str, rationale: str, citations: list[str],
        items: Sequence[Mapping[str, Any]] = (),
    ) -> None:
        """Record a decision of a run (re-logging the same run and question replaces it).

        ``items`` are the parts of the recommendation that each stand on their own evidence (a requirements
        document's stories): ``{"text", "citations"}`` each, ``text`` as written in ``recommendation``. A later
        run shows only the parts whose evidence is about its own goal (``agents.deliverables.base``).
        """
        if not run_id or not question.strip():
            raise InputError("a decision needs a run id and a question")
        now = utcnow()
        did = str(uuid.uuid5(ID_NAMESPACE, f"decision\x1f{self.workspace}\x1f{run_id}\x1f{question}"))
        text = decision_text(question, recommendation, rationale)
        payload = {
            "workspace": self.workspace,
            "run_id": run_id,
            "question": question,
            "recommendation": recommendation,
            "rationale": rationale,
            "citations": list(citations),
            "items": [{"text": str(i["text"]), "citations": [str(c) for c in i.get("citations") or []]}
                      for i in items],
            "created_at": now.isoformat(),
            "created_ts": now.timestamp(),
        }
        vector = self.embedder.embed_query(text)
        with self._lock:
            self._store.upsert(
                self._memory.decisions,
                [Point(id=did, vector=vector.tolist(), payload=payload, sparse=doc_sparse(text))],
            )

    def search_decisions(self, query: str, limit: int = 5) -> list[dict[str, Any]]:
        """Past decisions closest to ``query`` (hybrid search)."""
        if not query or not query.strip():
            raise InputError("search query is empty")
        _check_limit(limit)
        vector = self.embedder.embed_query(query)
        records = self._own(
            self._store.search(
                self._memory.decisions, vector.tolist(), self._tenant(), limit, sparse=query_sparse(query)
            )
        )
        keys = ("run_id", "question", "recommendation", "rationale", "citations", "created_at")
        # ``items`` only when logged with some (decisions logged before they were recorded have none)
        return [{**{k: r.payload.get(k) for k in keys}, **({"items": r.payload["items"]} if r.payload.get("items")
                                                           else {}), "score": r.score} for r in records]
