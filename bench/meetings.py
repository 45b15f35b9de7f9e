"""Requirement statements in a meeting: cross-validated precision/recall, end-to-end notes, and the refit.

Data (never copied into the repository, read from ``../shared/data``):

- ``meetings/elicitation-dev.tsv``: the first half of a real elicitation meeting, one statement a
  line, labelled by its participants F (functional), A (quality) or NULL (neither);
- ``promise-nfr/nfr.csv`` and ``user-stories/*.txt`` (625 requirements, 1,680 stories): held-out recall
  (:func:`heldout_recall`); extra positive examples only with ``--external-weight`` (they lowered the
  cross-validated AUC, so the shipped model leaves them out; the F/A quality lexicon of
  :mod:`tools.reqtype` was built on PROMISE).

``python -m bench.meetings`` prints the figures (``--heldout``: also the shipped model's recall on PROMISE
and the stories, never trained on, where every line is a requirement); ``--refit`` fits the linear
model of :mod:`tools.statements` on all of the meeting and writes ``tools/statements_model.json``
(weights and the cross-validation figures; no text of any data set).

Cross-validation: the meeting is cut into ``FOLDS`` contiguous blocks (neighbouring statements
never straddle train and test). For each block the model is fitted on the others, its threshold
chosen by an inner contiguous cross-validation on those others (the lowest score whose inner
precision reaches ``TARGET_PRECISION``), and the block is scored: precision and recall are over
the out-of-fold labels of every statement. A statement that :func:`tools.statements.explicit_requirement`
accepts is predicted a requirement whatever its score, and one :func:`tools.meeting_points.meeting_chatter`
rejects (it addresses a participant, or has no content) or :func:`tools.statements.not_a_requirement` rejects
(a dependency, a report, a plan, a direct question, a bare scenario) is not, as at run time.

End to end (``--end-to-end``; ``make bench`` without QUICK) the dev half is ingested the way a PM
would: its statements as cues of an unlabelled WebVTT file (no speakers, so cues merge into long
turns), then ``run --deliverables meeting_notes`` offline. Items are scored on labels derived from
the participants' own: a quote is matched to the statement that contains it; a requirement item is
chatter when none of its quotes is labelled F or A; an open question is *about the product* when its
statement is labelled F or A (a lower bound: questions are seldom labelled), and *answered* when one
of the three statements after it is labelled F or A (a requirement was stated in reply).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import Results, isolated_home

DATA = Path(os.environ.get("PMPILOT_BENCH_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
MEETING = DATA / "meetings" / "elicitation-dev.tsv"
PROMISE = DATA / "promise-nfr" / "nfr.csv"
STORIES = DATA / "user-stories"
FOLDS = 5
TARGET_PRECISION = 0.77  # inner-CV target; chosen with C from a small grid (docs/automations.md)
C_RELEVANCE = 2.0
EXTERNAL_WEIGHT = 0.0  # PROMISE / user stories as extra positives: lowered CV AUC (docs/automations.md)
CLASS_WEIGHT: str | None = None  # "balanced" tried: same CV within noise (docs/automations.md)
#: Weight of each example of bench.meeting_tidy's tuning half (tidy spoken requirements and meeting talk) in the fit.
TIDY_WEIGHT = 0.0


@dataclass(frozen=True)
class Labelled:
    """One meeting statement with its participants' labels."""

    n: int
    text: str
    labels: frozenset[str]

    @property
    def positive(self) -> bool:
        """A functional or quality requirement."""
        return bool(self.labels & {"F", "A"})


def meeting_statements(path: Path = MEETING) -> list[Labelled]:
    """The labelled statements in order (a statement labelled twice, e.g. F and A, keeps both labels)."""
    if not path.is_file():
        raise FileNotFoundError(f"meeting data not found at {path} (set PMPILOT_BENCH_DATA)")
    rows: dict[int, Labelled] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            n = int(row["n"])
            old = rows.get(n)
            labels = frozenset({row["label"].strip()}) | (old.labels if old else frozenset())
            rows[n] = Labelled(n, row["text"], labels)
    return [rows[n] for n in sorted(rows)]


def promise_rows(path: Path = PROMISE) -> list[tuple[str, str]]:
    """(requirement text, class code) of PROMISE NFR."""
    with path.open(newline="", encoding="utf-8") as handle:
        return [(r["RequirementText"].strip(" '\""), r["class"].strip()) for r in csv.DictReader(handle)]


def user_stories(folder: Path = STORIES) -> list[str]:
    """Every user story of the backlogs."""
    out: list[str] = []
    for path in sorted(folder.glob("*.txt")):
        out += [line.strip() for line in path.read_text(encoding="utf-8-sig").splitlines() if line.strip()]
    return out


def _vectors(texts: Sequence[str]) -> np.ndarray:
    from bench.datasets import minilm_vectors

    return np.asarray(minilm_vectors(tuple(texts)), dtype=np.float64)


def _fit(x: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None, c: float | None = None) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=C_RELEVANCE if c is None else c, class_weight=CLASS_WEIGHT,
                              max_iter=5000).fit(x, y, sample_weight=weights)


def pick_threshold(scores: np.ndarray, gold: np.ndarray, target: float = TARGET_PRECISION) -> float:
    """The lowest score whose precision (on these scores) reaches ``target``; else the best-precision score."""
    order = np.argsort(-scores)
    hits = np.cumsum(gold[order])
    precision = hits / np.arange(1, len(order) + 1)
    ok = [i for i in range(len(order)) if precision[i] >= target and hits[i] >= 3]
    i = ok[-1] if ok else int(np.argmax(precision[2:]) + 2) if len(order) > 3 else 0
    return float(scores[order[i]])


def _blocks(n: int, k: int) -> list[np.ndarray]:
    return [b for b in np.array_split(np.arange(n), k) if len(b)]


class Training:
    """Features and labels of the relevance model: the meeting, plus optional external positives."""

    def __init__(self, external_weight: float = EXTERNAL_WEIGHT, question_veto: bool = True,
                 tidy_weight: float | None = None) -> None:
        from tools.statements import explicit_requirement, statement_matrix, strip_fillers

        self.statements = meeting_statements()
        texts = [s.text for s in self.statements]
        self.vectors = _vectors([strip_fillers(t) for t in texts])
        self.x = statement_matrix(texts, self.vectors)
        self.y = np.array([1 if s.positive else 0 for s in self.statements])
        from tools import statements

        self.explicit = np.array([explicit_requirement(t) or (statements.TIDY_RULE and statements.tidy_requirement(t))
                                  for t in texts])
        from tools.meeting_points import meeting_chatter
        from tools.statements import not_a_requirement

        self.chatter = np.array([meeting_chatter(t) or not_a_requirement(t, questions=question_veto) for t in texts])
        self.external_weight = external_weight
        self.x_ext = np.zeros((0, self.x.shape[1]))
        self.y_ext = np.zeros(0, dtype=int)
        self.w_ext = np.zeros(0)
        if external_weight > 0:
            ext = [t for t, _ in promise_rows()] + user_stories()
            vec = _vectors([strip_fillers(t) for t in ext])
            self.x_ext = np.vstack([statement_matrix([t], vec[i : i + 1]) for i, t in enumerate(ext)])
            self.y_ext = np.ones(len(ext), dtype=int)
            self.w_ext = np.full(len(ext), external_weight)
        self.tidy_weight = TIDY_WEIGHT if tidy_weight is None else tidy_weight
        if self.tidy_weight > 0:  # the tuning half of bench.meeting_tidy, as one transcript (never its held-out half)
            from bench.meeting_tidy import tuning_transcript

            lines, gold = tuning_transcript()
            vec = _vectors([strip_fillers(t) for t in lines])
            self.x_ext = np.vstack([self.x_ext, statement_matrix(lines, vec)])
            self.y_ext = np.concatenate([self.y_ext, np.asarray(gold, dtype=int)])
            # requirements and talk weigh the same in total, so the set's mix does not move the threshold
            share = np.where(np.asarray(gold) == 1, len(gold) / (2 * max(1, sum(gold))),
                             len(gold) / (2 * max(1, len(gold) - sum(gold))))
            self.w_ext = np.concatenate([self.w_ext, self.tidy_weight * share])

    def fit(self, rows: np.ndarray) -> Any:
        """The relevance model fitted on meeting ``rows`` (plus the external and tidy examples)."""
        x = np.vstack([self.x[rows], self.x_ext])
        y = np.concatenate([self.y[rows], self.y_ext])
        w = np.concatenate([np.ones(len(rows)), self.w_ext])
        return _fit(x, y, w)

    def oof_scores(self, rows: np.ndarray, k: int) -> np.ndarray:
        """Out-of-fold scores of ``rows`` (contiguous blocks of them)."""
        out = np.zeros(len(rows))
        for block in _blocks(len(rows), k):
            train = np.setdiff1d(np.arange(len(rows)), block)
            out[block] = self.fit(rows[train]).decision_function(self.x[rows[block]])
        return out

    def cross_validate(self, k: int = FOLDS, target: float = TARGET_PRECISION) -> dict[str, Any]:
        """Nested contiguous cross-validation: precision, recall, AUC and the per-fold thresholds."""
        from sklearn.metrics import roc_auc_score

        n = len(self.y)
        scores = np.zeros(n)
        predicted = np.zeros(n, dtype=bool)
        thresholds = []
        for block in _blocks(n, k):
            train = np.setdiff1d(np.arange(n), block)
            cut = pick_threshold(self.oof_scores(train, k - 1), self.y[train], target)
            scores[block] = self.fit(train).decision_function(self.x[block])
            predicted[block] = ((scores[block] >= cut) | self.explicit[block]) & ~self.chatter[block]
            thresholds.append(round(cut, 4))
        tp = int(np.sum(predicted & (self.y == 1)))
        return {
            "precision": tp / max(1, int(predicted.sum())), "recall": tp / max(1, int(self.y.sum())),
            "auc": float(roc_auc_score(self.y, scores)), "predicted": int(predicted.sum()),
            "positives": int(self.y.sum()), "statements": n, "folds": k, "target_precision": target,
            "thresholds": thresholds, "curve": _curve(scores, self.y),
        }


def _curve(scores: np.ndarray, gold: np.ndarray) -> list[dict[str, float]]:
    """Best recall at several precision levels along the out-of-fold ranking (for the docs)."""
    order = np.argsort(-scores)
    hits = np.cumsum(gold[order])
    precision = hits / np.arange(1, len(order) + 1)
    recall = hits / max(1, gold.sum())
    out = []
    for level in (0.9, 0.8, 0.75, 0.7, 0.6, 0.5):
        reach = [recall[i] for i in range(len(order)) if precision[i] >= level]
        out.append({"precision_at_least": level, "recall": round(float(max(reach or [0.0])), 3)})
    return out


def quality_split(statements: Sequence[Labelled]) -> dict[str, Any]:
    """F vs A on the meeting's requirement statements with the shipped rule (no fitting: it has no weights)."""
    from tools.statements import quality_kind

    rows = [s for s in statements if s.positive]
    gold = [("A" in s.labels and "F" not in s.labels) for s in rows]
    said = [quality_kind(s.text) is not None for s in rows]
    share_a = sum(gold) / max(1, len(gold))
    return {"accuracy": sum(g == p for g, p in zip(gold, said, strict=True)) / max(1, len(rows)),
            "majority_baseline": max(share_a, 1 - share_a), "requirements": len(rows), "predicted_a": sum(said)}


def _part(model: Any) -> dict[str, Any]:
    return {"coef": np.round(model.coef_, 6).ravel().tolist(), "intercept": np.round(model.intercept_, 6).tolist(),
            "classes": [str(c) for c in model.classes_]}


def refit(out: Path | None = None) -> dict[str, Any]:
    """Fit every model on all the data and write the model file of :mod:`tools.statements`."""
    from tools.statements import HAND_FEATURES, MODEL_PATH

    training = Training()
    cv = training.cross_validate()
    rows = np.arange(len(training.y))
    threshold = pick_threshold(training.oof_scores(rows, FOLDS), training.y)
    relevance = training.fit(rows)
    quality_cv = quality_split(training.statements)
    document = {
        "about": "Weights of tools/statements.py, written by `python -m bench.meetings --refit`; no data set text.",
        "features": {"embedding": "all-MiniLM-L6-v2 of strip_fillers(text)", "neighbours": "mean of the previous "
                     "and next statement's embedding", "hand": list(HAND_FEATURES)},
        "trained_on": {"meeting_statements": len(training.y), "meeting_requirements": int(training.y.sum()),
                       "external_weight": training.external_weight, "tidy_weight": training.tidy_weight,
                       "tidy_lines": int(len(training.y_ext))},
        "threshold": round(threshold, 6),
        "relevance": _part(relevance),
        "cv": {k: (round(v, 4) if isinstance(v, float) else v) for k, v in cv.items()},
        "quality_cv": {k: (round(v, 4) if isinstance(v, float) else v) for k, v in quality_cv.items()},
    }
    path = out or MODEL_PATH
    path.write_text(json.dumps(document, separators=(",", ":")) + "\n", encoding="utf-8")
    return document


def heldout_groups() -> dict[str, list[str]]:
    """Written requirements never trained on, one ordered list per document: PROMISE projects and story backlogs."""
    groups: dict[str, list[str]] = {}
    with PROMISE.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            groups.setdefault(f"promise:{row['ProjectID']}", []).append(row["RequirementText"].strip(" '\""))
    for path in sorted(STORIES.glob("*.txt")):
        groups[f"stories:{path.stem}"] = [line.strip() for line in path.read_text(encoding="utf-8-sig").splitlines()
                                          if line.strip()]
    return groups


def heldout_recall() -> dict[str, float]:
    """Share of held-out written requirements the shipped classifier (with its rules) calls a requirement.

    Every PROMISE row and every user story is a requirement. ``*_in_order``: each project or backlog read
    as one document (neighbours and recurring vocabulary from it); ``*_alone``: each line on its own (no
    context); ``*_model_alone``: the same without the explicit-obligation rule (the model by itself).
    """
    from tools.meeting_points import meeting_chatter
    from tools.statements import classify_statements, not_a_requirement, shipped_threshold, strip_fillers

    cut = shipped_threshold()
    counts: dict[str, list[int]] = {}
    for name, texts in heldout_groups().items():
        vectors = _vectors([strip_fillers(t) for t in texts])
        kept = [s.is_requirement and not meeting_chatter(s.text) for s in classify_statements(texts, vectors=vectors)]
        alone = [classify_statements([t], vectors=vectors[i: i + 1])[0] for i, t in enumerate(texts)]
        row = counts.setdefault(name.split(":")[0], [0, 0, 0, 0])
        row[0] += sum(kept)
        row[1] += sum(s.is_requirement and not meeting_chatter(s.text) for s in alone)
        row[2] += sum(s.score >= cut and not not_a_requirement(s.text) and not meeting_chatter(s.text) for s in alone)
        row[3] += len(texts)
    out: dict[str, float] = {}
    for source, (kept_n, alone_n, model_n, total) in counts.items():
        out[f"{source}_in_order"] = round(kept_n / total, 3)
        out[f"{source}_alone"] = round(alone_n / total, 3)
        out[f"{source}_model_alone"] = round(model_n / total, 3)
    return out


# ------------------------------------------------------------------------------------------ quality type, spoken

#: Openers, fillers and closing tags of the spoken form of a written requirement (:func:`spoken`).
_OPENERS = ("So, ", "Um, ", "Yeah, and ", "I think ", "And, uh, ", "Well, ", "Okay, so ", "")
_MIDDLE = ("uh,", "um,", "like,", "you know,", "")
_TAGS = ("", ", right?", ", you know.", ", I guess.", "", ".")
_SYSTEM_SHALL = re.compile(r"^(?:the |a |an |all |each |every )?(?:system|product|application|software|website|"
                           r"program|tool|app)\s+(?:shall|will|must|should)\s+", re.IGNORECASE)
_SAID_SUBJECT = ("it should ", "the app has to ", "it needs to ", "we need it to ")


def spoken(text: str, i: int) -> str:
    """A written requirement as said in a meeting (deterministic in ``i``): the system as "it" / "the app" / "we
    need it to", "shall" as "should", an opener ("So, ", "Um, "), a restart ("the, the") and a filler in the
    middle, a closing tag (", right?"). "The system shall refresh the display every 60 seconds." ->
    "So, it should uh, refresh the display every 60 seconds."
    """
    said = re.sub(r"\s+", " ", text.strip(" '\"").replace("\\%", "%").rstrip(". "))
    found = _SYSTEM_SHALL.match(said)
    if found:
        said = _SAID_SUBJECT[i % len(_SAID_SUBJECT)] + said[found.end():]
    said = re.sub(r"\bshall\b", "should", said)
    opener = _OPENERS[(i * 7) % len(_OPENERS)]
    said = opener + (said[:1].lower() + said[1:] if opener else said[:1].upper() + said[1:])
    words = said.split(" ")
    if len(words) > 4:
        k = 2 + i % 3
        if i % 2:
            words.insert(k, words[k - 1] + ",")
        if _MIDDLE[(i * 3) % len(_MIDDLE)]:
            words.insert(k + 1, _MIDDLE[(i * 3) % len(_MIDDLE)])
        said = " ".join(words)
    return said + (_TAGS[(i * 5) % len(_TAGS)] or ".")


def quality_heldout(thresholds: Sequence[float] = (1.5,)) -> dict[str, dict[str, float]]:
    """Functional vs quality on PROMISE NFR rows, written and spoken (:func:`spoken`), by project split.

    Odd project ids are the tuning split, even ones held out (the lexicon of :mod:`tools.reqtype` was first built
    on all of PROMISE, so even the held-out split is not clean of it; report both). Per split and form: accuracy of
    "is it a quality requirement", quality recall and precision, and exact-category accuracy on the quality rows,
    with the meeting rule (:func:`tools.statements.quality_kind`) and at each of ``thresholds`` for comparison.
    """
    from tools.reqtype import classify_requirement
    from tools.statements import QUALITY_THRESHOLD

    rows = []
    with PROMISE.open(newline="", encoding="utf-8") as handle:
        for i, row in enumerate(csv.DictReader(handle)):
            rows.append((int(row["ProjectID"]), i, row["RequirementText"].strip(" '\""), row["class"].strip()))
    out: dict[str, dict[str, float]] = {}
    for threshold in (QUALITY_THRESHOLD, *thresholds):
        for split, parity in (("tuning", 1), ("heldout", 0)):
            for form in ("written", "spoken"):
                agree = quality = hits = called = category = 0
                chosen = [r for r in rows if r[0] % 2 == parity]
                for _, i, text, gold in chosen:
                    code = classify_requirement(spoken(text, i) if form == "spoken" else text, threshold=threshold)[1]
                    agree += (gold != "F") == (code != "F")
                    quality += gold != "F"
                    hits += gold != "F" and code != "F"
                    called += code != "F"
                    category += gold != "F" and code == gold
                name = f"{split}_{form}" + ("" if threshold == QUALITY_THRESHOLD else f"_at_{threshold}")
                out[name] = {"accuracy": round(agree / max(1, len(chosen)), 3),
                             "quality_recall": round(hits / max(1, quality), 3),
                             "quality_precision": round(hits / max(1, called), 3),
                             "category_accuracy": round(category / max(1, quality), 3), "rows": len(chosen)}
    return out


# ------------------------------------------------------------------------------------------ end to end


def _vtt(statements: Sequence[Labelled]) -> str:
    """The statements as cues of a WebVTT file without speakers or labels (5 s apart)."""
    def at(seconds: int) -> str:
        return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}.000"

    cues = [f"{at(5 * i)} --> {at(5 * i + 4)}\n{s.text}" for i, s in enumerate(statements)]
    return "WEBVTT\n\n" + "\n\n".join(cues) + "\n"


def _statement_of(quote: str, statements: Sequence[Labelled]) -> int | None:
    """Index of the statement a verbatim quote comes from (the first that contains it)."""
    quote = quote.strip()
    return next((i for i, s in enumerate(statements) if quote and quote in s.text), None)


def score_notes(doc: dict[str, Any], statements: Sequence[Labelled]) -> dict[str, Any]:
    """Figures of a meeting-notes document on labels derived from the participants' (module docstring)."""
    def labelled(item: dict[str, Any]) -> bool:
        found = [_statement_of(str(q.get("quote") or ""), statements) for q in item.get("quotes") or []]
        return any(i is not None and statements[i].positive for i in found)

    requirements = doc.get("requirements") or []
    positive_quotes = {q["quote"].strip() for r in requirements for q in r.get("quotes") or []
                       if (i := _statement_of(q["quote"], statements)) is not None and statements[i].positive}
    gold = sum(1 for s in statements if s.positive)
    about, answered = 0, 0
    questions = doc.get("open_questions") or []
    for question in questions:
        i = _statement_of(str((question.get("quotes") or [{}])[0].get("quote") or ""), statements)
        if i is None:
            continue
        about += statements[i].positive
        answered += any(s.positive for s in statements[i + 1: i + 4])
    stories = [r for r in requirements if r.get("story")]
    led = [r for r in requirements if (i := _statement_of(str((r.get("quotes") or [{}])[0].get("quote") or ""),
                                                          statements)) is not None
           and statements[i].labels & {"A", "F"} == {"A"}]
    other = sum(1 for r in requirements if r.get("topic") in (None, "", "Other"))
    return {"items": len(requirements), "chatter_items": sum(1 for r in requirements if not labelled(r)),
            "precision": sum(1 for r in requirements if labelled(r)) / max(1, len(requirements)),
            "recall": len(positive_quotes) / max(1, gold),
            "stories": len(stories), "stories_on_labelled": sum(1 for r in stories if labelled(r)),
            "decisions": len(doc.get("decisions") or []), "action_items": len(doc.get("action_items") or []),
            "open_questions": len(questions), "open_about_product": about / max(1, len(questions)),
            "open_answered": answered / max(1, len(questions)),
            "answered_questions": len(doc.get("answered_questions") or []),
            "nfr_tags": sorted(str(r.get("category")) for r in requirements if r.get("type") == "non-functional"),
            "quality_led_items": len(led),
            "quality_led_typed_quality": sum(1 for r in led if r.get("type") == "non-functional"),
            "topics": len({r.get("topic") for r in requirements} - {None, "", "Other"}), "items_under_other": other}


def end_to_end() -> dict[str, Any]:
    """Ingest the meeting as an unlabelled WebVTT file with ``--kind meeting``, draft offline notes, score them.

    The shipped relevance model was fitted on this same half, so the requirement figures are in-sample
    (an upper bound); the question, decision and story rules were not fitted.
    """
    import tempfile

    from agents.runner import read_artifact, run_goal
    from memory import api

    statements = meeting_statements()
    with isolated_home("meetings"), tempfile.TemporaryDirectory(prefix="pmpilot-meeting-") as folder:
        path = Path(folder) / "elicitation-dev.vtt"
        path.write_text(_vtt(statements), encoding="utf-8")
        api.ingest([path], "meeting-dev", kind="meeting")
        run = run_goal("Notes from the requirements elicitation meeting", "meeting-dev", deliverables=["meeting_notes"])
        _, doc = read_artifact(run["run_id"], "meeting_notes")
    return score_notes(doc, statements)


def run(results: Results, quick: bool) -> None:
    """Bench section: cross-validated precision/recall on the dev half, plus end-to-end notes figures."""
    cv = Training().cross_validate()
    note = (f"{cv['folds']}-fold contiguous CV on the {cv['statements']} labelled statements of "
            f"meetings/elicitation-dev.tsv ({cv['positives']} F/A), threshold per fold by inner CV for "
            f"precision >= {cv['target_precision']}; AUC {cv['auc']:.3f}")
    results.put("meeting_requirements_precision", float(cv["precision"]), note)
    results.put("meeting_requirements_recall", float(cv["recall"]), note)
    results.companion("meeting_requirements_auc", float(cv["auc"]))
    if not quick:
        for key, value in heldout_recall().items():
            results.companion(f"meeting_requirements_heldout_recall_{key}", value)
        e2e = end_to_end()
        results.companion("meeting_notes_in_sample_precision", float(e2e["precision"]))
        results.companion("meeting_notes_in_sample_recall", float(e2e["recall"]))
        results.companion("meeting_notes_requirement_items", e2e["items"])
        results.companion("meeting_notes_stories", e2e["stories"])
        results.companion("meeting_notes_decisions", e2e["decisions"])
        results.companion("meeting_notes_open_questions", e2e["open_questions"])
        results.companion("meeting_notes_open_answered_share", float(e2e["open_answered"]))
        results.companion("meeting_notes_open_about_product_share", float(e2e["open_about_product"]))
        results.companion("meeting_notes_topics", e2e["topics"])
        results.companion("meeting_notes_items_under_other", e2e["items_under_other"])
        spoken_heldout = quality_heldout(())["heldout_spoken"]
        results.companion("meeting_quality_heldout_spoken_accuracy", spoken_heldout["accuracy"])
        results.companion("meeting_quality_heldout_spoken_recall", spoken_heldout["quality_recall"])


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.meetings [--refit] [--end-to-end]``."""
    parser = argparse.ArgumentParser(prog="python -m bench.meetings", description=__doc__.splitlines()[0])
    parser.add_argument("--refit", action="store_true", help="fit on all data and write tools/statements_model.json")
    parser.add_argument("--end-to-end", action="store_true", help="also ingest the meeting and score the notes")
    parser.add_argument("--heldout", action="store_true",
                        help="also the shipped model's recall on PROMISE NFR and the user-story backlogs")
    parser.add_argument("--quality", action="store_true",
                        help="also F vs quality on PROMISE NFR, written and spoken, tuning vs held-out projects")
    parser.add_argument("--no-question-veto", action="store_true",
                        help="CV with direct questions left to the model's score instead of vetoed")
    parser.add_argument("--external-weight", type=float, default=EXTERNAL_WEIGHT,
                        help="weight of PROMISE and user stories as extra positives (CV only)")
    parser.add_argument("--no-tidy-rule", action="store_true",
                        help="measure without tools.statements.tidy_requirement (a plainly stated need)")
    parser.add_argument("--tidy-weight", type=float, default=None,
                        help=f"weight of bench.meeting_tidy's tuning examples (CV only; shipped {TIDY_WEIGHT})")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if args.no_tidy_rule:
        from tools import statements

        statements.TIDY_RULE = False
    if args.refit:
        document = refit()
        print(json.dumps({"threshold": document["threshold"], "cv": document["cv"],
                          "quality_cv": document["quality_cv"]}, indent=1))
    else:
        training = Training(args.external_weight, question_veto=not args.no_question_veto,
                            tidy_weight=args.tidy_weight)
        print(json.dumps(training.cross_validate(), indent=1))
    if args.heldout:
        print(json.dumps(heldout_recall(), indent=1))
    if args.quality:
        print(json.dumps(quality_heldout(), indent=1))
    if args.end_to_end:
        print(json.dumps(end_to_end(), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
