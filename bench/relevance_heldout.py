"""A held-out check of ask's relevance on two real corpora the floor and the ranking were not tuned on.

``python -m bench.relevance --heldout`` ingests each corpus into its own workspace (no user ids), saves a
theme snapshot and asks questions written in plain words, never used to choose anything:

* **promise-nfr** (625 software requirements of 15 projects): a cited requirement is on topic iff its
  class is one the question is about (performance, security, availability, legal, usability, ...);
* **user-stories** (22 backlogs, 1,680 stories) — questions about backlogs the calibration questions do
  not use; a cited story is on topic iff its backlog is one the question is about.

Each corpus also gets questions on topics it does not hold. Reported per corpus: precision of what the
offline answer cites (evidence and dissent), precision of the 4 best relevant signals (what an LLM
answer that cites the first signals it is shown would cite), false abstention and off-domain
abstention. Labels are strict (a requirement of a neighbouring class counts as off topic).
"""

from __future__ import annotations

import csv
import glob
import tempfile
from pathlib import Path
from typing import Any

from bench.common import BANKING77_TRAIN, isolated_home

DATA = BANKING77_TRAIN.parents[1]

#: (question, classes it is about) — promise-nfr.
NFR_IN: list[tuple[str, list[str]]] = [
    ("How quickly does the system have to respond when someone uses it?", ["PE"]),
    ("What keeps data safe from people who should not see it?", ["SE"]),
    ("How much of the time must the system be up and running?", ["A"]),
    ("What must the product do to comply with laws, licences and regulations?", ["L"]),
    ("How easy should it be for a new user to learn the product?", ["US"]),
    ("What should the screens look like — colours, fonts, layout?", ["LF"]),
    ("How many people or transactions at once must the system cope with?", ["SC", "PE"]),
    ("What happens when part of the system fails — recovery and backups?", ["FT", "A"]),
    ("Which operating systems, browsers and environments must it run in?", ["O", "PO"]),
    ("How easy must the software be to maintain and change later?", ["MN"]),
    ("Passwords and logging in", ["SE"]),
]
#: (question, backlogs it is about) — user-stories, backlogs outside the calibration questions.
STORIES_IN: list[tuple[str, list[str]]] = [
    ("What do NSF staff want from the website redesign and user research?", ["g11-nsf"]),
    ("What do app developers need for deploying apps and dataset types?", ["g17-cask"]),
    ("How do depositors want to show the impact of their published data, such as downloads and citations?",
     ["g24-unibath", "g22-rdadmp", "g27-culrepo"]),
    ("What do researchers need from a data management plan?", ["g22-rdadmp"]),
    ("How do archivists want to describe accessions and finding aids?", ["g23-archivesspace", "g26-racdam"]),
    ("What do publishers want when putting data packages online?",
     ["g08-frictionless", "g14-datahub", "g05-openspending"]),
    ("How do people want to visualise government budget data on maps and charts?", ["g05-openspending"]),
    ("What do digitisation staff need when scanning and processing images?", ["g26-racdam", "g25-duraspace"]),
    ("How should theses and dissertations be deposited in the library repository?", ["g27-culrepo"]),
    ("What do repository managers need to control copyright, embargoes and access restrictions?",
     ["g25-duraspace", "g27-culrepo", "g16-mis", "g26-racdam", "g24-unibath"]),
]
OFF_DOMAIN: list[str] = [
    "What do customers say about our mortgage interest rates?",
    "How do users feel about the dark mode theme?",
    "What do gamers think of matchmaking lag?",
    "How do patients rate the appointment reminder texts?",
    "Feedback on the hotel booking cancellation policy",
    "Complaints about delivery drivers arriving late with food",
]


def nfr() -> list[tuple[str, str, str]]:
    """(external id, text, class) of every promise-nfr requirement."""
    with (DATA / "promise-nfr" / "nfr.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [(f"N-{i}", r["RequirementText"].strip().strip("'").strip(), r["class"]) for i, r in enumerate(rows)]


def stories() -> list[tuple[str, str, str]]:
    """(external id, story, backlog) of every user story."""
    out: list[tuple[str, str, str]] = []
    for path in sorted(glob.glob(str(DATA / "user-stories" / "*.txt"))):
        lines = [line.strip() for line in Path(path).read_text(encoding="utf-8-sig").splitlines() if line.strip()]
        out.extend((f"{Path(path).stem}-{j}", line, Path(path).stem) for j, line in enumerate(lines))
    return out


def ingest_labelled(workspace: str, rows: list[tuple[str, str, str]]) -> dict[str, str]:
    """Ingest ``rows`` (external id, text, label) as tickets into ``workspace`` (current home), save its themes
    and return each stored signal's label by signal id."""
    from memory import api

    with tempfile.TemporaryDirectory(prefix="pmpilot-heldout-") as tmp:
        csv_path = Path(tmp) / f"{workspace}.csv"
        with csv_path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["id", "created_at", "text"])
            writer.writerows((ext, "2025-01-01", text) for ext, text, _ in rows)
        api.ingest([csv_path], workspace, kind="ticket")
    api.themes(workspace, refresh=True)
    gold = {ext: lab for ext, _, lab in rows}
    return {s.id: gold[s.external_id] for s, _ in api.workspace(workspace).iter_signals() if s.external_id in gold}


def measure(workspace: str, rows: list[tuple[str, str, str]], inside: list[tuple[str, list[str]]],
            outside: list[str]) -> dict[str, Any]:
    """Ingest ``rows`` as tickets into ``workspace`` (current home), save themes and ask every question."""
    from agents.ask import ask_users, search

    label = ingest_labelled(workspace, rows)
    on = cited = on4 = top4 = false_abstain = abstained = strong = 0
    for question, about in inside:
        answer = ask_users(question, workspace, offline=True)
        ids = [c.signal_id for c in [*answer.evidence, *answer.dissent]]
        on, cited = on + sum(label.get(i) in about for i in ids), cited + len(ids)
        false_abstain += int(answer.insufficient_evidence)
        strong += int(answer.confidence >= 0.6)
        found, _ = search(question, workspace)
        if len(found) >= 3:
            best = [e.signal.id for e in found[:4]]
            on4, top4 = on4 + sum(label.get(i) in about for i in best), top4 + len(best)
    for question in outside:
        abstained += int(ask_users(question, workspace, offline=True).insufficient_evidence)
    return {"signals": len(label), "precision": round(on / max(1, cited), 3), "cited": cited,
            "precision_best4": round(on4 / max(1, top4), 3), "false_abstention": round(false_abstain / len(inside), 3),
            "abstention_offdomain": round(abstained / len(outside), 3), "strong_answers": strong,
            "questions": [len(inside), len(outside)]}


def heldout() -> dict[str, Any]:
    """``--heldout``: the check on promise-nfr and user-stories, each in a fresh home."""
    out = {}
    for name, rows, inside in (("promise-nfr", nfr(), NFR_IN), ("user-stories", stories(), STORIES_IN)):
        with isolated_home(f"heldout-{name}"):
            out[name] = measure(name, rows, inside, OFF_DOMAIN)
    return out


def single_products(split: str | None = None) -> dict[str, Any]:
    """``--products``: ask on each labelled backlog of :mod:`bench.relevance_products` ingested alone (fresh home each).

    Per split ("tuning", "heldout"): false abstention of the in-domain questions, abstention of the off-domain
    ones, and the precision of what the offline answers cite (a cited story is on topic iff it is labelled
    relevant to the question). A goal ("Draft requirements so …") is asked by its searched topic, as ``run``
    searches it (:func:`agents.planner.search_query`).
    """
    from agents.ask import ask_users
    from agents.planner import search_query
    from bench.relevance_products import products

    every = stories()
    out: dict[str, Any] = {}
    for product in products(split):
        rows = [(ext, text, ext) for ext, text, stem in every if stem == product.stem]
        with isolated_home(f"products-{product.stem}"):
            label = ingest_labelled(product.stem, rows)  # signal id -> external id ("{stem}-{index}")
            asked = []
            for question, relevant in [*product.questions, *((q, None) for q in product.off)]:
                answer = ask_users(search_query(question), product.stem, offline=True)
                ids = [c.signal_id for c in [*answer.evidence, *answer.dissent]]
                wanted = {f"{product.stem}-{i}" for i in relevant or ()}
                asked.append({"question": question, "off": relevant is None,
                              "abstained": answer.insufficient_evidence, "cited": len(ids),
                              "on_topic": sum(label.get(i) in wanted for i in ids)})
        out[product.stem] = {"split": product.split, "questions": asked}
    return {"per_backlog": out, **summary(out)}


def summary(per_backlog: dict[str, Any]) -> dict[str, Any]:
    """False abstention, off-domain abstention and cited precision per split of :func:`single_products`' answers."""
    out: dict[str, Any] = {}
    for split in ("tuning", "heldout"):
        asked = [q for b in per_backlog.values() if b["split"] == split for q in b["questions"]]
        if not asked:
            continue
        inside = [q for q in asked if not q["off"]]
        outside = [q for q in asked if q["off"]]
        cited = sum(q["cited"] for q in inside)
        out[split] = {"false_abstention": round(sum(q["abstained"] for q in inside) / max(1, len(inside)), 3),
                      "abstention_offdomain": round(sum(q["abstained"] for q in outside) / max(1, len(outside)), 3),
                      "precision": round(sum(q["on_topic"] for q in inside) / max(1, cited), 3), "cited": cited,
                      "questions": [len(inside), len(outside)],
                      "answered_off_domain": [q["question"] for q in outside if not q["abstained"]],
                      "refused": [q["question"] for q in inside if q["abstained"]]}
    return out
