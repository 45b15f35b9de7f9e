"""Abstention rules replayed: does a question's evidence pass the floor, under rules other than the fitted floor alone.

``python -m bench.relevance_floor record --corpus quick|full|nfr|stories --out FILE`` builds a workspace
(the relevance bench's BANKING77 workspace, quick 2,500 or all 10,003 signals, or a held-out corpus of
:mod:`bench.relevance_heldout`), records every question's candidates through :func:`agents.ask.search_pool`
(text, cosine, theme, vector, label), the question's background cosine and the background sample's texts,
and pickles them. ``python -m bench.relevance_floor replay FILE...`` then replays each abstention rule of
:data:`RULES` over the records in seconds: false abstention, off-domain abstention and the precision of what
the offline answer would cite (:func:`bench.relevance_replay.cited`).

Questions: the bench's and calibration's (BANKING77), plus :data:`NEW_IN` / :data:`NEW_OFF`, paraphrases
and near misses written for this check (never used to fit anything), and the held-out corpora's.
"""

from __future__ import annotations

import argparse
import math
import pickle
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np

from bench.relevance_data import BENCH_IN, BENCH_OFF, CALIBRATION_BANKING, CALIBRATION_OFF_BANKING
from bench.relevance_replay import Candidate as ReplayCandidate
from bench.relevance_replay import record as record_candidates

#: Paraphrases a PM would type, worded unlike the data (BANKING77 intents they are about).
NEW_IN: list[tuple[str, list[str]]] = [
    ("What goes wrong when customers try to add money to their account?",
     ["top_up_failed", "pending_top_up", "top_up_reverted", "topping_up_by_card", "verify_top_up",
      "top_up_by_card_charge", "top_up_by_bank_transfer_charge", "top_up_by_cash_or_cheque", "top_up_limits"]),
    ("Why are customers closing their account?", ["terminate_account"]),
    ("Customers who were billed two times for one purchase", ["transaction_charged_twice"]),
    ("Money someone sent me hasn't shown up in my account",
     ["balance_not_updated_after_bank_transfer", "transfer_into_account", "receiving_money"]),
    ("Do people ask how to switch on a card they just got?", ["activate_my_card"]),
    ("People locked out because they typed their PIN wrong too often", ["pin_blocked", "change_pin"]),
    ("Customers asking why they must explain where their money comes from", ["verify_source_of_funds"]),
    ("Cash taken out of a machine that the customer did not take", ["cash_withdrawal_not_recognised"]),
    ("Card payments that are still waiting to go through", ["pending_card_payment"]),
    ("Got a poor rate when taking foreign cash out of an ATM",
     ["wrong_exchange_rate_for_cash_withdrawal", "exchange_rate", "exchange_charge"]),
    ("Why can't I send money to a new payee?", ["beneficiary_not_allowed", "declined_transfer", "failed_transfer"]),
    ("Locked out of the app because they can't remember their code", ["passcode_forgotten"]),
    ("Where can I find a cash machine that works with the card?", ["atm_support", "card_acceptance"]),
    ("Customers who want a real plastic card instead of only a virtual one",
     ["get_physical_card", "order_physical_card", "card_delivery_estimate", "card_arrival"]),
]
#: Near misses and far topics written for this check (not in the bench or calibration data).
NEW_OFF: list[str] = [
    "How do people feel about the home loan approval time?",
    "Feedback on our student loan repayment options",
    "What do customers think about the mortgage calculator?",
    "Complaints about ordering a cheque book",
    "How do users rate the stock portfolio analytics?",
    "What do people say about our pet insurance?",
    "Do customers want interest on their savings pots?",
    "How do users feel about the weather widget?",
]
#: The PM's promise-nfr question and two more paraphrases (classes they are about).
NEW_NFR: list[tuple[str, list[str]]] = [
    ("Who may log in and see the data?", ["SE"]),
    ("How fast must pages load?", ["PE"]),
    ("Must the system keep working at night and on weekends?", ["A"]),
]


@dataclass(frozen=True)
class Candidate(ReplayCandidate):
    """One scored candidate of a question, as ``ask`` saw it, with its vector."""

    vector: np.ndarray


@dataclass
class Question:
    """A question and its recorded candidates; ``found`` is what ``ask`` kept, in order."""

    split: str
    text: str
    intents: list[str]
    base: float
    vector: np.ndarray
    candidates: list[Candidate]
    found: list[str] = field(default_factory=list)
    #: Ids and labels of the 20 signals nearest the centroid of the question's 5 nearest candidates (PRF).
    feedback: list[tuple[str, bool]] = field(default_factory=list)
    #: Whether ``ask_users`` abstained when recorded (None: not asked).
    abstained: bool | None = None


@dataclass
class Record:
    """A corpus's recorded questions and its background sample's texts (for document frequencies)."""

    corpus: str
    signals: int
    background: list[str]
    questions: list[Question]


def _record(workspace: str, label: dict[str, str], questions: Sequence[tuple[str, str, list[str]]],
            corpus: str) -> Record:
    """:func:`bench.relevance_replay.record`'s candidates with their vectors, background cosine and PRF hits."""
    from memory import api
    from tools.relevance import BACKGROUND_SIZE, background

    memory = api.workspace(workspace)
    sample = background(workspace)
    texts, _ = memory.sample_signals(BACKGROUND_SIZE)
    out = []
    for replayed in record_candidates(workspace, label, questions):
        qv = memory.embedder.embed_query(replayed.text)
        vectors = memory.signal_vectors([c.signal_id for c in replayed.candidates])
        cands = [Candidate(**{f.name: getattr(c, f.name) for f in fields(ReplayCandidate)},
                           vector=np.asarray(vectors[c.signal_id], dtype=np.float32))
                 for c in replayed.candidates if c.signal_id in vectors]
        top = sorted(cands, key=lambda c: -c.cosine)[:5]
        feedback: list[tuple[str, bool]] = []
        if top:
            centroid = np.mean([c.vector for c in top], axis=0)
            centroid /= float(np.linalg.norm(centroid)) or 1.0
            feedback = [(sig.id, label.get(sig.id) in replayed.intents)
                        for sig, _ in memory.search_vector(centroid, limit=20)]
        out.append(Question(replayed.split, replayed.text, replayed.intents, sample.base_cosine(qv),
                            np.asarray(qv, dtype=np.float32), cands, replayed.found, feedback))
        print(f"{corpus}: {len(out)}/{len(questions)} {replayed.text[:50]} kept {len(replayed.found)}",
              file=sys.stderr, flush=True)
    return Record(corpus, len(label), texts, out)


def record(corpus: str) -> Record:
    """Build ``corpus``'s workspace in an isolated home and record its questions."""
    from bench.common import isolated_home
    from memory import api

    if corpus in ("quick", "full"):
        from bench.relevance import QUICK_ROWS, WORKSPACE, _labels, build

        questions = [*(("bench", q, i) for q, i in BENCH_IN), *(("bench", q, []) for q in BENCH_OFF),
                     *(("calibration", q, i) for q, i in CALIBRATION_BANKING),
                     *(("calibration", q, []) for q in CALIBRATION_OFF_BANKING),
                     *(("new", q, i) for q, i in NEW_IN), *(("new", q, []) for q in NEW_OFF)]
        with isolated_home(f"relevance-floor-{corpus}"):
            label = _labels(WORKSPACE, build(QUICK_ROWS if corpus == "quick" else None))
            api.themes(WORKSPACE, refresh=True)
            return _record(WORKSPACE, label, questions, corpus)
    from bench.relevance_heldout import NFR_IN, OFF_DOMAIN, STORIES_IN, ingest_labelled, nfr, stories

    rows, inside = (nfr(), [*NFR_IN, *NEW_NFR]) if corpus == "nfr" else (stories(), STORIES_IN)
    questions = [*(("heldout", q, i) for q, i in inside), *(("heldout", q, []) for q in OFF_DOMAIN)]
    with isolated_home(f"relevance-floor-{corpus}"):
        label = ingest_labelled(corpus, rows)
        return _record(corpus, label, questions, corpus)


# ------------------------------------------------------------------------------------------- replay

Tokens = Callable[[str], list[str]]


@dataclass
class Context:
    """Per-record precomputation: the background's document frequencies under a tokenizer."""

    record: Record
    tokens: Tokens
    df: Counter[str]
    #: Coverage counts a term in any form of its word (:func:`tools.relevance.same_family`), as committed since
    #: 2026-12-04; False: the exact token only (the figures recorded before).
    family: bool = False

    @classmethod
    def of(cls, record: Record, tokens: Tokens, family: bool = False) -> Context:
        df: Counter[str] = Counter()
        for text in record.background:
            df.update(set(tokens(text)))
        return cls(record, tokens, df, family)

    def idf(self, token: str) -> float:
        n = len(self.record.background)
        return math.log((n + 1) / (self.df.get(token, 0) + 0.5))

    def terms(self, query: str) -> dict[str, float]:
        from tools.relevance import BOILERPLATE_SHARE, FRAMING_TEXT

        n = len(self.record.background)
        words = set(self.tokens(query))
        framing = set(self.tokens(FRAMING_TEXT))
        content = {t for t in words - framing if not (n >= 20 and self.df.get(t, 0) >= BOILERPLATE_SHARE * n)} or words
        return {t: max(self.idf(t), 0.0) for t in content}


def rescored(ctx: Context, q: Question, shift: Callable[[Question, list[tuple[Candidate, float]]], float] | None
             = None) -> list[tuple[Candidate, float]]:
    """Each candidate with its relevance under the context's tokenizer (and an optional logit shift)."""
    from tools.relevance import FITTED
    from tools.research import same_family

    terms = ctx.terms(q.text)
    total = sum(terms.values())
    words = float(np.median([len(t.split()) for t in ctx.record.background])) if ctx.record.background else 0.0
    out = []
    for c in q.candidates:
        present = set(ctx.tokens(c.text))
        cov = sum(w for t, w in terms.items()
                  if t in present or (ctx.family and any(same_family(t, p) for p in present))) / total \
            if total > 0 else 0.0
        out.append((c, FITTED.probability(c.cosine - q.base, cov, words, ctx.record.signals)))
    if shift is not None:
        s = shift(q, out)
        if s:
            out = [(c, 1 / (1 + math.exp(-(math.log(max(p, 1e-9) / max(1 - p, 1e-9)) + s)))) for c, p in out]
    return out


def kept(q: Question, scored: list[tuple[Candidate, float]]) -> list[Candidate]:
    """Floor, focus and the theme-smoothed order, as ``ask`` applies them."""
    from bench.relevance_replay import Question as ReplayQuestion
    from bench.relevance_replay import cluster_score
    from tools.relevance import FITTED, FOCUS

    rel = {c.signal_id: p for c, p in scored}
    above = sorted((c for c, p in scored if p >= FITTED.floor), key=lambda c: (-rel[c.signal_id], -c.cosine,
                                                                             c.signal_id))
    best = sorted(q.candidates, key=lambda c: (-c.cosine, c.signal_id))[:FOCUS.top]
    voters = [c.theme for c in best if c.theme is not None]
    if voters and len(voters) * 2 >= len(best):
        votes = Counter(voters)
        above = [c for i, c in enumerate(above) if c.theme is None or i < FOCUS.min_keep
                 or votes.get(c.theme, 0) / len(best) >= FOCUS.min_vote]
    rq = ReplayQuestion(q.split, q.text, q.intents, [ReplayCandidate(
        c.signal_id, c.text, c.cosine, c.coverage, c.relevance, c.theme, c.theme_cosine, c.stance, c.signal_type,
        c.on_topic) for c in q.candidates])
    score = cluster_score(rq)
    ordered = sorted(above, key=lambda c: (-round(score[c.signal_id], 4), -rel[c.signal_id], c.signal_id))
    return [replace(c, relevance=round(rel[c.signal_id], 4)) for c in ordered]  # the rule's relevance, not the recorded


Rule = Callable[[Context, Question], list[Candidate]]


def baseline(ctx: Context, q: Question) -> list[Candidate]:
    """The fitted floor (features recomputed under the context's tokenizer)."""
    return kept(q, rescored(ctx, q))


def recorded(ctx: Context, q: Question) -> list[Candidate]:
    """What ``ask`` kept when recorded."""
    by = {c.signal_id: c for c in q.candidates}
    return [by[s] for s in q.found if s in by]


def hit_support(shift: float, top: int = 5, least: int = 2, rare: float = 0.5) -> Rule:
    """Lower the floor by ``shift`` (logit) when every *rare* content word occurs among the ``top`` nearest hits.

    Rare: IDF at least ``rare`` of the rarest word's. A near miss's distinctive noun ("mortgage") should be
    missing from its nearest hits (exchange-rate messages); an answerable paraphrase's there ("close", "account").
    """
    def rule(ctx: Context, q: Question) -> list[Candidate]:
        terms = ctx.terms(q.text)
        if not terms:
            return baseline(ctx, q)
        rarest = max(terms.values())
        near = [set(ctx.tokens(c.text)) for c in sorted(q.candidates, key=lambda c: -c.cosine)[:top]]
        ok = all(sum(t in ts for ts in near) >= least for t, w in terms.items() if w >= rare * rarest)
        return kept(q, rescored(ctx, q, (lambda *_: shift) if ok else None))
    return rule


def hit_cohere(shift: float, top: int = 10, least: int = 2, rare: float = 0.5) -> Rule:
    """Lower the floor by ``shift`` when ``least`` of the ``top`` nearest hits *each* hold every rare content word.

    One coherent group of hits names the question's whole topic ("close" + "account"); a near miss's
    words are spread over unrelated hits ("mortgage" in failed transfers, "rate" in exchange rates).
    """
    def rule(ctx: Context, q: Question) -> list[Candidate]:
        terms = ctx.terms(q.text)
        if not terms:
            return baseline(ctx, q)
        rarest = max(terms.values())
        needed = {t for t, w in terms.items() if w >= rare * rarest}
        near = sorted(q.candidates, key=lambda c: -c.cosine)[:top]
        whole = sum(needed <= set(ctx.tokens(c.text)) for c in near)
        return kept(q, rescored(ctx, q, (lambda *_: shift) if whole >= least else None))
    return rule


def feedback_agree(shift: float, least: float = 0.5) -> Rule:
    """Lower the floor by ``shift`` when the 10 nearest candidates mostly reappear near their own centroid (PRF)."""
    def rule(ctx: Context, q: Question) -> list[Candidate]:
        near = {c.signal_id for c in sorted(q.candidates, key=lambda c: -c.cosine)[:10]}
        back = {sid for sid, _ in q.feedback}
        agree = len(near & back) / max(1, len(near))
        return kept(q, rescored(ctx, q, (lambda *_: shift) if agree >= least else None))
    return rule


def agreement_lift(model: Any = None) -> Rule:
    """The fitted floor plus the question's agreement lift (:class:`tools.relevance.AgreementModel`, default the
    committed :data:`tools.relevance.AGREEMENT`), judged on the recorded candidates nearest the question."""
    def rule(ctx: Context, q: Question) -> list[Candidate]:
        from tools.relevance import AGREEMENT, agreement_of

        chosen = model if model is not None else AGREEMENT
        lift = chosen.lift(agreement_of(q.vector, [c.vector for c in q.candidates], chosen))
        return kept(q, rescored(ctx, q, (lambda *_: lift) if lift else None))
    return rule


def rescue(rule: Rule) -> Rule:
    """``rule`` only for a question the fitted floor refuses (fewer than 3 kept); the floor's answer otherwise."""
    def out(ctx: Context, q: Question) -> list[Candidate]:
        from agents.ask import enough

        first = baseline(ctx, q)
        return first if enough([c.relevance for c in first], ctx.record.signals) else rule(ctx, q)
    return out


def old_tokens(text: str) -> list[str]:
    """Coverage tokens under version 1 of the stemmer (no final-e folding)."""
    from memory.sparse import _stem_v1, _words
    from tools.relevance import _CAMEL

    return [_stem_v1(w) for w in _words(_CAMEL.sub(" ", text))]


def e_folded(text: str) -> list[str]:
    """Coverage tokens as committed (:func:`tools.relevance.coverage_tokens`: "close", "closing" → "clos")."""
    from tools.relevance import coverage_tokens

    return coverage_tokens(text)


RULES: dict[str, tuple[Tokens, Rule]] = {
    "recorded": (old_tokens, recorded),
    "baseline": (old_tokens, baseline),
    "e-folded coverage": (e_folded, baseline),
    "hit support +0.4": (old_tokens, hit_support(0.4)),
    "hit support +0.6": (old_tokens, hit_support(0.6)),
    "hit support +0.6, e-folded": (e_folded, hit_support(0.6)),
    "hit support +0.8, top 10": (old_tokens, hit_support(0.8, 10)),
    "feedback agree 0.5 +0.4": (old_tokens, feedback_agree(0.4, 0.5)),
    "feedback agree 0.7 +0.6": (old_tokens, feedback_agree(0.6, 0.7)),
    "rescue: cohere +0.4, e-folded": (e_folded, rescue(hit_cohere(0.4))),
    "rescue: cohere +0.6, e-folded": (e_folded, rescue(hit_cohere(0.6))),
    "rescue: cohere +1.0, e-folded": (e_folded, rescue(hit_cohere(1.0))),
    "rescue: cohere all words +1.0, e-folded": (e_folded, rescue(hit_cohere(1.0, rare=0.0))),
    "rescue: floor -0.4 logit, e-folded": (e_folded, rescue(lambda ctx, q: kept(q, rescored(ctx, q, lambda *_: 0.4)))),
    "rescue: feedback agree 0.5 +0.4": (old_tokens, rescue(feedback_agree(0.4, 0.5))),
    "rescue: feedback agree 0.5 +0.4, e-folded": (e_folded, rescue(feedback_agree(0.4, 0.5))),
    "rescue: feedback agree 0.6 +0.4, e-folded": (e_folded, rescue(feedback_agree(0.4, 0.6))),
    "rescue: feedback agree 0.5 +0.6, e-folded": (e_folded, rescue(feedback_agree(0.6, 0.5))),
    "rescue: feedback agree 0.4 +0.4, e-folded": (e_folded, rescue(feedback_agree(0.4, 0.4))),
    "agreement lift (AGREEMENT), e-folded": (e_folded, agreement_lift()),
}


def replay(record: Record, tokens: Tokens, rule: Rule, split: str) -> dict[str, Any]:
    """False and off-domain abstention and the offline answer's precision over ``split``'s questions."""
    from agents.ask import enough
    from bench.relevance_replay import cited

    ctx = Context.of(record, tokens)
    mine = [q for q in record.questions if q.split == split]
    on = total = fa = off = 0
    refused: list[str] = []
    answered_off: list[str] = []
    for q in mine:
        found = rule(ctx, q)
        answers = enough([c.relevance for c in found], record.signals)
        if not q.intents:
            off += not answers
            if answers:
                answered_off.append(q.text[:40])
            continue
        if not answers:
            fa += 1
            refused.append(q.text[:40])
            continue
        offline, _ = cited([ReplayCandidate(c.signal_id, c.text, c.cosine, c.coverage, c.relevance, c.theme,
                                            c.theme_cosine, c.stance, c.signal_type, c.on_topic) for c in found],
                           q.text)
        on, total = on + sum(c.on_topic for c in offline), total + len(offline)
    n_in = sum(1 for q in mine if q.intents)
    n_off = len(mine) - n_in
    return {"precision": round(on / max(1, total), 3), "off_topic": total - on, "cited": total,
            "FA": round(fa / max(1, n_in), 3), "off": round(off / max(1, n_off), 3),
            "refused": refused, "answered_off": answered_off}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.relevance_floor")
    sub = parser.add_subparsers(dest="cmd", required=True)
    rec = sub.add_parser("record")
    rec.add_argument("--corpus", choices=["quick", "full", "nfr", "stories", "backlogs"], required=True)
    rec.add_argument("--out", required=True)
    rep = sub.add_parser("replay")
    rep.add_argument("files", nargs="+")
    rep.add_argument("--rules", default="")
    reb = sub.add_parser("replay-backlogs", help="the backlogs' abstention under each rule of BACKLOG_RULES")
    reb.add_argument("file")
    reb.add_argument("--rules", default="")
    args = parser.parse_args(argv)
    if args.cmd == "replay-backlogs":
        with open(args.file, "rb") as handle:
            records: list[Record] = pickle.load(handle)  # noqa: S301 - our own bench file
        print_backlogs(records, [n for n in args.rules.split(",") if n])
        return 0
    if args.cmd == "record":
        with open(args.out, "wb") as handle:
            pickle.dump(record_backlogs() if args.corpus == "backlogs" else record(args.corpus), handle)
        return 0
    names = [n for n in RULES if not args.rules or any(k in n for k in args.rules.split(","))]
    for path in args.files:
        with open(path, "rb") as handle:
            rec_: Record = pickle.load(handle)  # noqa: S301 - our own bench file
        splits = sorted({q.split for q in rec_.questions})
        for name in names:
            tokens, rule = RULES[name]
            for split in splits:
                r = replay(rec_, tokens, rule, split)
                print(f"{rec_.corpus:8s} {split:11s} {name:32s} P {r['precision']:.3f} ({r['off_topic']}/{r['cited']}) "
                      f"FA {r['FA']:.3f} off {r['off']:.3f} refused {r['refused']} answered_off {r['answered_off']}")
    return 0



# ------------------------------------------------------------------------------------------- backlogs alone

#: Splits of :func:`record_backlogs`' questions: labelled answerable (precision and abstention), unlabelled
#: answerable (abstention only), near misses and far off-domain questions (must abstain).
BACKLOG_SPLITS = ("answerable", "answerable-unlabelled", "near", "off")


def record_backlogs(stems: Sequence[str] | None = None) -> list[Record]:
    """One :class:`Record` per backlog ingested alone: :mod:`bench.relevance_products`' questions and near misses.

    Each question's split is one of :data:`BACKLOG_SPLITS`; ``found`` is what ``ask`` kept and ``asked`` whether
    ``ask_users`` itself abstained (the replay of the floor alone is checked against it).
    """
    from agents.ask import ask_users
    from bench.common import isolated_home
    from bench.relevance_heldout import ingest_labelled, stories
    from bench.relevance_products import MORE_ANSWERABLE, NEAR_MISS, products

    every = stories()
    labelled = {p.stem: p for p in products()}
    out = []
    for stem in stems or list(NEAR_MISS):
        rows = [(ext, text, ext) for ext, text, s in every if s == stem]
        product = labelled.get(stem)
        questions: list[tuple[str, str, list[str]]] = []
        if product is not None:
            questions += [("answerable", q, [f"{stem}-{i}" for i in rel]) for q, rel in product.questions]
            questions += [("off", q, []) for q in product.off]
        questions += [("answerable-unlabelled", q, ["?"]) for q in MORE_ANSWERABLE.get(stem, ())]
        questions += [("near", q, []) for q in NEAR_MISS.get(stem, ())]
        with isolated_home(f"relevance-floor-{stem}"):
            label = ingest_labelled(stem, rows)  # signal id -> external id
            rec = _record(stem, label, questions, stem)
            for q in rec.questions:
                q.abstained = ask_users(q.text, stem, offline=True).insufficient_evidence
        out.append(rec)
    return out


def answers(ctx: Context, q: Question, found: Sequence[Candidate]) -> bool:
    """``ask``'s decision (:func:`agents.ask.enough` with each kept signal's named share of the key terms)."""
    from agents.ask import enough, named_share

    terms = ctx.terms(q.text)
    return enough([c.relevance for c in found], ctx.record.signals, [named_share(terms, c.text) for c in found])


def replay_backlogs(records: Sequence[Record], rule: Rule, tokens: Tokens = e_folded,
                    family: bool = False) -> dict[str, Any]:
    """Per split of :data:`BACKLOG_SPLITS`: questions, how many answered, and (labelled) precision of the 5 best kept.

    Also ``mismatch``: questions whose replayed floor-alone decision differs from ``ask_users``' recorded one.
    """
    out: dict[str, Any] = {s: {"n": 0, "answered": 0, "on": 0, "shown": 0, "which": []} for s in BACKLOG_SPLITS}
    for record in records:
        ctx = Context.of(record, tokens, family)
        for q in record.questions:
            found = rule(ctx, q)
            said = answers(ctx, q, found)
            row = out[q.split]
            row["n"] += 1
            row["answered"] += int(said)
            if said != (q.split.startswith("answerable")):
                row["which"].append(f"{record.corpus}: {q.text[:60]}")
            if said and q.split == "answerable":
                best = found[:5]
                row["on"] += sum(c.on_topic for c in best)
                row["shown"] += len(best)
    return out



def agreement_rescue(ctx: Context, q: Question) -> list[Candidate]:
    """:data:`tools.relevance.RESCUE` replayed: the floor, or under :data:`tools.relevance.RESCUE_BELOW` kept the
    agreement lift's result when it keeps more and its :data:`tools.relevance.RESCUE_TOP` most relevant hits share
    one theme."""
    from tools.relevance import RESCUE_BELOW, RESCUE_TOP

    first = baseline(ctx, q)
    if len(first) >= RESCUE_BELOW:
        return first
    second = agreement_lift()(ctx, q)
    top = sorted(second, key=lambda c: (-c.relevance, -c.cosine, c.signal_id))[:RESCUE_TOP]
    themes = {c.theme for c in top}
    return second if len(second) > len(first) and None not in themes and len(themes) == 1 else first


#: Rules replayed on the backlogs (``replay-backlogs``): name -> (rule, family coverage).
BACKLOG_RULES: dict[str, tuple[Rule, bool]] = {
    "floor (exact coverage)": (baseline, False),
    "floor, family coverage": (baseline, True),
    "agreement lift (AGREEMENT)": (agreement_lift(), False),
    "agreement lift, family coverage": (agreement_lift(), True),
    "agreement rescue (RESCUE, committed)": (agreement_rescue, False),
}


def print_backlogs(records: Sequence[Record], names: Sequence[str] = ()) -> None:
    """Print :func:`replay_backlogs` for each rule of :data:`BACKLOG_RULES` (all when ``names`` is empty)."""
    for name, (rule, family) in BACKLOG_RULES.items():
        if names and not any(n in name for n in names):
            continue
        r = replay_backlogs(records, rule, family=family)
        cells = "  ".join(f"{s} {r[s]['answered']}/{r[s]['n']}" for s in BACKLOG_SPLITS)
        best = r["answerable"]
        print(f"{name:34s} answered: {cells}  best-5 on topic {best['on']}/{best['shown']}")
        for s in BACKLOG_SPLITS:
            if r[s]["which"]:
                print(f"    {'answered' if s in ('near', 'off') else 'refused'} ({s}): {'; '.join(r[s]['which'])}")


if __name__ == "__main__":
    sys.exit(main())
