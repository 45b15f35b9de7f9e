"""Quality of the offline taggers on public labelled data (figures are printed; floors asserted).

* Signal-type tagging: BANKING77 support queries, with each of the 77 intents mapped by hand to the
  signal type a product team would file it under (table below, explained in docs/tagging.md).
  Intents whose type is genuinely ambiguous (fraud/lost-card incidents, refund requests) are left out.
* Requirement type: PROMISE NFR, leave-one-project-out (the lexicon has no trained parameters, so each
  fold scores the held-out project with the same rules; the split is reported for comparability).
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections import Counter
from pathlib import Path

import pytest

from kernel.schemas import SignalType
from memory.tagging import tag_texts
from tools.reqtype import NFR_THRESHOLD, classify_requirement

Q, BUG, COMPLAINT, CHURN = SignalType.QUESTION, SignalType.BUG, SignalType.COMPLAINT, SignalType.CHURN_RISK

#: BANKING77 intent -> signal type. None = ambiguous intent, excluded from scoring.
BANKING77_SIGNAL_TYPE: dict[str, SignalType | None] = {
    # Information / how-to requests.
    **dict.fromkeys([
        "card_delivery_estimate", "card_linking", "exchange_rate", "fiat_currency_support", "automatic_top_up",
        "exchange_via_app", "age_limit", "top_up_limits", "supported_cards_and_currencies",
        "getting_virtual_card", "card_acceptance", "edit_personal_details", "why_verify_identity",
        "get_physical_card", "visa_or_mastercard", "topping_up_by_card", "disposable_card_limits",
        "atm_support", "passcode_forgotten", "transfer_timing", "change_pin", "receiving_money",
        "transfer_into_account", "verify_top_up", "getting_spare_card", "top_up_by_cash_or_cheque",
        "order_physical_card", "get_disposable_virtual_card", "activate_my_card", "card_about_to_expire",
        "apple_pay_or_google_pay", "verify_my_identity", "country_support", "verify_source_of_funds",
        "cancel_transfer", "exchange_charge", "top_up_by_bank_transfer_charge", "top_up_by_card_charge",
    ], Q),
    # Something in the product failed, was declined, is stuck or does not work.
    **dict.fromkeys([
        "card_not_working", "contactless_not_working", "virtual_card_not_working", "top_up_failed",
        "top_up_reverted", "failed_transfer", "declined_transfer", "declined_card_payment",
        "declined_cash_withdrawal", "balance_not_updated_after_cheque_or_cash_deposit",
        "balance_not_updated_after_bank_transfer", "transfer_not_received_by_recipient", "pending_top_up",
        "pending_card_payment", "pending_transfer", "pending_cash_withdrawal", "reverted_card_payment?",
        "unable_to_verify_identity", "pin_blocked", "card_swallowed", "beneficiary_not_allowed",
    ], BUG),
    # Dissatisfaction with money taken, fees, rates or late service, without a defect.
    **dict.fromkeys([
        "card_payment_fee_charged", "transfer_fee_charged", "extra_charge_on_statement",
        "transaction_charged_twice", "card_payment_wrong_exchange_rate",
        "wrong_exchange_rate_for_cash_withdrawal", "cash_withdrawal_charge", "wrong_amount_of_cash_received",
        "Refund_not_showing_up", "card_arrival",
    ], COMPLAINT),
    "terminate_account": CHURN,
    # Ambiguous: incident reports and refund requests are neither clearly a defect nor a complaint.
    **dict.fromkeys([
        "lost_or_stolen_card", "lost_or_stolen_phone", "compromised_card", "card_payment_not_recognised",
        "direct_debit_payment_not_recognised", "cash_withdrawal_not_recognised", "request_refund",
    ], None),
}

#: A coarser view: did the tagger tell problems (bug/complaint) from questions and churn?
COARSE = {BUG: "problem", COMPLAINT: "problem", Q: "question", CHURN: "churn_risk"}


def _macro_f1(gold: list[str], pred: list[str], labels: list[str]) -> float:
    f1s = []
    for label in labels:
        tp = sum(1 for g, p in zip(gold, pred, strict=True) if g == label and p == label)
        fp = sum(1 for g, p in zip(gold, pred, strict=True) if g != label and p == label)
        fn = sum(1 for g, p in zip(gold, pred, strict=True) if g == label and p != label)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1s.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return sum(f1s) / len(f1s)


def evaluate_banking77(data: Path) -> dict[str, object]:
    """Accuracy and macro-F1 of ``tag_texts`` against the mapped BANKING77 intents."""
    with (data / "banking77" / "train.csv").open(encoding="utf-8", newline="") as handle:
        rows = [(r["text"], r["category"]) for r in csv.DictReader(handle)]
    assert set(BANKING77_SIGNAL_TYPE) == {c for _, c in rows}, "mapping must cover every intent"
    kept = [(t, BANKING77_SIGNAL_TYPE[c]) for t, c in rows if BANKING77_SIGNAL_TYPE[c] is not None]
    texts = [t for t, _ in kept]
    gold = [str(g) for _, g in kept]
    pred = [str(p) for p, _ in tag_texts(texts)]
    labels = sorted({str(v) for v in BANKING77_SIGNAL_TYPE.values() if v is not None})
    coarse_gold = [COARSE[SignalType(g)] for g in gold]
    coarse_pred = [COARSE.get(SignalType(p), "other") for p in pred]
    return {
        "rows": len(kept),
        "accuracy": sum(g == p for g, p in zip(gold, pred, strict=True)) / len(kept),
        "macro_f1": _macro_f1(gold, pred, labels),
        "coarse_accuracy": sum(g == p for g, p in zip(coarse_gold, coarse_pred, strict=True)) / len(kept),
        "coarse_macro_f1": _macro_f1(coarse_gold, coarse_pred, sorted(set(COARSE.values()))),
        "predicted": dict(Counter(pred)),
        "confusions": Counter((g, p) for g, p in zip(gold, pred, strict=True) if g != p).most_common(),
    }


@pytest.mark.quality
def test_banking77_signal_type_accuracy(shared_data: Path) -> None:
    report = evaluate_banking77(shared_data)
    print(
        f"\nBANKING77 signal type (n={report['rows']}): accuracy={report['accuracy']:.3f} "
        f"macro-F1={report['macro_f1']:.3f} | coarse accuracy={report['coarse_accuracy']:.3f} "
        f"coarse macro-F1={report['coarse_macro_f1']:.3f}\npredicted={report['predicted']}"
    )
    # Measured 0.709 / 0.752 (coarse 0.748 / 0.833); floors leave a margin for rule edits.
    assert report["accuracy"] >= 0.66
    assert report["macro_f1"] >= 0.70
    assert report["coarse_macro_f1"] >= 0.78


#: Hand-labelled texts (type and stance read by a person), referenced by file and row: the texts stay in
#: ../shared/data. 60 BANKING77 queries (random.Random(2026).sample of train.csv rows), 40 user stories
#: from 3 backlogs (g11-nsf, g19-alfred, g27-culrepo) and 10 PROMISE NFR requirements.
HAND_LABELS = Path(__file__).resolve().parents[1] / "fixtures" / "tagging" / "hand_labels.jsonl"
#: Labelled the same way after the rules were written, and never used to tune them: 40 BANKING77 queries
#: (random.Random(7)) and 21 user stories from 3 other backlogs (g05-openspending, g14-datahub,
#: g23-archivesspace).
HAND_LABELS_HELD_OUT = HAND_LABELS.with_name("hand_labels_heldout.jsonl")
_PROBLEM_TYPES = {"bug", "complaint", "churn_risk"}


def stance_of(stype: SignalType, sentiment: float) -> str:
    """The stance a reader takes from a tag: problem types are negative, praise positive, else the sign."""
    if str(stype) in _PROBLEM_TYPES or sentiment <= -0.25:
        return "negative"
    if stype is SignalType.PRAISE or sentiment >= 0.25:
        return "positive"
    return "neutral"


def _hand_text(data: Path, ref: dict[str, object]) -> str:
    """The referenced text, checked against its recorded hash (the data must not have moved)."""
    source, row = str(ref["source"]), int(str(ref["row"]))
    path = data / source
    if source.endswith(".csv"):
        with path.open(encoding="utf-8", newline="") as handle:
            record = list(csv.DictReader(handle))[row]
        raw = record["text"] if "text" in record else record["RequirementText"]
    else:
        raw = path.read_text(encoding="utf-8").splitlines()[row].strip().lstrip("\ufeff")
    assert hashlib.sha1(raw.encode()).hexdigest()[:10] == ref["sha1"], f"{source}:{row} changed"
    return raw.strip().strip("'")


def evaluate_hand_labels(data: Path, labels: Path = HAND_LABELS) -> dict[str, dict[str, object]]:
    """Type, coarse type (bug/complaint = problem) and stance accuracy per source group."""
    refs = [json.loads(line) for line in labels.read_text(encoding="utf-8").splitlines() if line]
    texts = [_hand_text(data, r) for r in refs]
    tags = tag_texts(texts)
    groups: dict[str, dict[str, object]] = {}
    for name in ("banking77", "user-stories", "promise-nfr", "all"):
        idx = [i for i, r in enumerate(refs) if name == "all" or str(r["source"]).startswith(name)]
        gold_t = [str(refs[i]["type"]) for i in idx]
        pred_t = [str(tags[i][0]) for i in idx]
        gold_c = ["problem" if t in {"bug", "complaint"} else t for t in gold_t]
        pred_c = ["problem" if t in {"bug", "complaint"} else t for t in pred_t]
        gold_s = [str(refs[i]["stance"]) for i in idx]
        pred_s = [stance_of(*tags[i]) for i in idx]
        n = len(idx)
        if not n:
            continue
        groups[name] = {
            "n": n,
            "type": sum(g == p for g, p in zip(gold_t, pred_t, strict=True)) / n,
            "coarse_type": sum(g == p for g, p in zip(gold_c, pred_c, strict=True)) / n,
            "stance": sum(g == p for g, p in zip(gold_s, pred_s, strict=True)) / n,
            "type_confusions": Counter(
                (g, p) for g, p in zip(gold_t, pred_t, strict=True) if g != p).most_common(),
            "stance_confusions": Counter(
                (g, p) for g, p in zip(gold_s, pred_s, strict=True) if g != p).most_common(),
        }
    return groups


@pytest.mark.quality
@pytest.mark.parametrize("labels", [HAND_LABELS, HAND_LABELS_HELD_OUT], ids=["tuned", "held-out"])
def test_hand_labelled_type_and_stance(shared_data: Path, labels: Path) -> None:
    groups = evaluate_hand_labels(shared_data, labels)
    print(f"\n{labels.name}:")
    for name, g in groups.items():
        print(f"\n{name} (n={g['n']}): type={g['type']:.3f} coarse={g['coarse_type']:.3f} "
              f"stance={g['stance']:.3f}\n  type confusions {g['type_confusions']}"
              f"\n  stance confusions {g['stance_confusions']}")
    # Measured type / stance: tuned 0.973 / 1.000 (before the stance and precedence rules 0.418 / 0.773),
    # held-out 0.869 / 0.934 (0.770 / 0.852 before the incident-report cues of issue 14; before the stance
    # rules 0.393 / 0.754); floors leave a margin for rule edits.
    acc = {name: (float(str(g["type"])), float(str(g["stance"]))) for name, g in groups.items()}
    floor = 0.90 if labels == HAND_LABELS else 0.70
    assert acc["all"][0] >= floor and acc["all"][1] >= floor + 0.05
    assert acc["user-stories"][0] >= 0.95


THRESHOLDS = (0.6, 0.8, 1.0, 1.2, 1.5)


def _binary(gold: list[str], pred: list[str]) -> dict[str, float]:
    g = [c != "F" for c in gold]
    p = [c != "F" for c in pred]
    tp = sum(a and b for a, b in zip(g, p, strict=True))
    fp = sum(b and not a for a, b in zip(g, p, strict=True))
    fn = sum(a and not b for a, b in zip(g, p, strict=True))
    tn = len(g) - tp - fp - fn
    return {
        "accuracy": (tp + tn) / len(g),
        "nfr_precision": tp / (tp + fp) if tp + fp else 0.0,
        "nfr_recall": tp / (tp + fn) if tp + fn else 0.0,
        "f_precision": tn / (tn + fn) if tn + fn else 0.0,
        "f_recall": tn / (tn + fp) if tn + fp else 0.0,
    }


def evaluate_promise_nfr(data: Path) -> dict[str, float]:
    """Leave-one-project-out: the threshold (the only tuned knob) is picked on the other projects."""
    with (data / "promise-nfr" / "nfr.csv").open(encoding="utf-8", newline="") as handle:
        rows = [(r["ProjectID"], r["RequirementText"].strip().strip("'"), r["class"])
                for r in csv.DictReader(handle)]
    projects = sorted({p for p, _, _ in rows})
    gold: list[str] = []
    pred: list[str] = []
    for held_out in projects:
        train = [(t, c) for p, t, c in rows if p != held_out]

        def train_accuracy(th: float, train: list[tuple[str, str]] = train) -> float:
            return _binary([c for _, c in train], [classify_requirement(t, th)[1] for t, _ in train])["accuracy"]

        best = max(THRESHOLDS, key=lambda th: (train_accuracy(th), -abs(th - NFR_THRESHOLD)))
        for p, t, c in rows:
            if p == held_out:
                gold.append(c)
                pred.append(classify_requirement(t, best)[1])
    report = _binary(gold, pred)
    report["category_accuracy"] = sum(g == p for g, p in zip(gold, pred, strict=True)) / len(gold)
    nfr = [(g, p) for g, p in zip(gold, pred, strict=True) if g != "F"]
    report["category_accuracy_on_nfr"] = sum(g == p for g, p in nfr) / len(nfr)
    report["rows"] = len(gold)
    return report


@pytest.mark.quality
def test_promise_nfr_requirement_type(shared_data: Path) -> None:
    r = evaluate_promise_nfr(shared_data)
    print(
        f"\nPROMISE NFR leave-one-project-out (n={r['rows']:.0f}): F/NFR accuracy={r['accuracy']:.3f} "
        f"NFR P={r['nfr_precision']:.3f} R={r['nfr_recall']:.3f} | F P={r['f_precision']:.3f} "
        f"R={r['f_recall']:.3f} | 12-class accuracy={r['category_accuracy']:.3f} "
        f"category accuracy on NFR={r['category_accuracy_on_nfr']:.3f}"
    )
    # Measured 0.821 accuracy, NFR P 0.889 / R 0.797 (published ML baselines: ~0.92 P/R).
    assert r["accuracy"] >= 0.78
    assert r["nfr_precision"] >= 0.85
    assert r["nfr_recall"] >= 0.72
    assert r["category_accuracy"] >= 0.66
