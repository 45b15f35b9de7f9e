"""PII redaction applied to every user text before it is stored or shown to a model.

Categories and their placeholders: emails ``[EMAIL]``, phone numbers ``[PHONE]``, payment
cards ``[CARD]`` (Luhn and issuer-prefix checked), IBANs ``[IBAN]`` (mod-97 checked), street
addresses ``[ADDRESS]`` and secrets ``[SECRET]`` (API keys, tokens, JWTs, ``password=...``).

The detectors favour precision on the numbers product feedback is full of: dates, times,
versions, prices and order/ticket ids are left alone. A bare digit run counts as a phone
number only when it has a phone-like shape (``+`` prefix, ``(area)``, trunk ``0``, or US
3-3-4 grouping) or a phone cue word ("call", "phone", "mobile" ...) comes right before it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from kernel.settings import get_settings

CATEGORIES: tuple[str, ...] = ("secret", "email", "iban", "card", "phone", "address")
PLACEHOLDERS: dict[str, str] = {
    "secret": "[SECRET]",
    "email": "[EMAIL]",
    "iban": "[IBAN]",
    "card": "[CARD]",
    "phone": "[PHONE]",
    "address": "[ADDRESS]",
}

# ------------------------------------------------------------------------------------------ secrets

_TOKEN_PATTERNS = [
    r"\bsk-(?:proj-|ant-|live-|test-)?[A-Za-z0-9_\-]{20,}",
    r"\b[sr]k_(?:live|test)_[A-Za-z0-9]{16,}",
    r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b",
    r"\bgh[pousr]_[A-Za-z0-9]{30,}\b",
    r"\bgithub_pat_[A-Za-z0-9_]{22,}",
    r"\bxox[abposr]-[A-Za-z0-9\-]{10,}",
    r"\bAIza[0-9A-Za-z_\-]{35}\b",
    r"\beyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}",
]
_TOKEN_RE = re.compile("|".join(f"(?:{p})" for p in _TOKEN_PATTERNS))
_BEARER_RE = re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9\-._~+/]{12,}=*")
_KEYVALUE_RE = re.compile(
    r"(?i)\b((?:password|passwd|pwd|passphrase|secret|client[_-]?secret|api[_-]?key|apikey|"
    r"access[_-]?key|secret[_-]?key|access[_-]?token|auth[_-]?token|refresh[_-]?token|token|"
    r"private[_-]?key)\s*[:=]\s*)(\"[^\"\n]{3,}\"|'[^'\n]{3,}'|[^\s\"',;]{6,})"
)


def _redact_secrets(text: str) -> str:
    text = _TOKEN_RE.sub(PLACEHOLDERS["secret"], text)
    text = _BEARER_RE.sub(lambda m: m.group(1) + PLACEHOLDERS["secret"], text)
    return _KEYVALUE_RE.sub(
        lambda m: m.group(0) if m.group(2) == PLACEHOLDERS["secret"] else m.group(1) + PLACEHOLDERS["secret"],
        text,
    )


# ------------------------------------------------------------------------------------------- emails

_EMAIL_RE = re.compile(r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")


def _redact_emails(text: str) -> str:
    return _EMAIL_RE.sub(PLACEHOLDERS["email"], text)


# -------------------------------------------------------------------------------------------- IBANs

_IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")


def iban_valid(candidate: str) -> bool:
    """ISO 13616 mod-97 check of an IBAN (spaces allowed)."""
    compact = candidate.replace(" ", "").upper()
    if not 15 <= len(compact) <= 34 or not compact[:2].isalpha() or not compact[2:4].isdigit():
        return False
    rearranged = compact[4:] + compact[:4]
    digits = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(digits) % 97 == 1


def _redact_ibans(text: str) -> str:
    return _IBAN_RE.sub(lambda m: PLACEHOLDERS["iban"] if iban_valid(m.group(0)) else m.group(0), text)


# -------------------------------------------------------------------------------------------- cards

_CARD_RE = re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])")
_CARD_PREFIX_RE = re.compile(r"^(?:4|5[1-5]|2[2-7]|3[47]|3[068]|35|6011|65|64[4-9]|62)")


def luhn_valid(digits: str) -> bool:
    """Luhn checksum of a digit string."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _card_match(m: re.Match[str]) -> str:
    raw = m.group(0)
    digits = re.sub(r"\D", "", raw)
    if 13 <= len(digits) <= 19 and _CARD_PREFIX_RE.match(digits) and luhn_valid(digits):
        return PLACEHOLDERS["card"]
    return raw


def _redact_cards(text: str) -> str:
    return _CARD_RE.sub(_card_match, text)


# ------------------------------------------------------------------------------------------- phones

_PHONE_CANDIDATE_RE = re.compile(
    r"(?P<prefix>(?<![\w+])\+|\b(?i:plus)\s)?(?<![\w.,/:\-])"
    r"(?P<body>(?:\(\d{1,5}\)|\d)(?:[ .\-]?(?:\(\d{1,5}\)|\d)){6,16})(?![\w/:])(?![.,]\d)"
)
_PHONE_CUE_RE = re.compile(
    r"(?i)\b(?:phone|tel|telephone|mobile|cell|cellphone|call(?:ed|ing)?|ring|text|sms|whatsapp|fax|"
    r"number|reach(?:ed)?|contact|dial)\b[^.\n]{0,25}$"
)
_NOT_PHONE_CUE_RE = re.compile(
    r"(?i)(?:\b(?:order|invoice|inv|ticket|case|ref|reference|tracking|sku|po|acct|account|id|"
    r"version|build|serial|confirmation|transaction|receipt)\b|#)\W{0,3}(?:no\.?|number|num|id|#)?\W{0,3}$"
)
_DATE_LIKE_RE = re.compile(r"^\d{1,4}[-./ ]\d{1,2}[-./ ]\d{1,4}$")
_US_SHAPE_RE = re.compile(r"^(?:1[ .\-]?)?(?:\(\d{3}\)\s?|\d{3}[ .\-])\d{3}[ .\-]\d{4}$")


def _is_phone(has_prefix: bool, body: str, before: str) -> bool:
    """Decide whether a digit run is a phone number (see the module docstring for the rule)."""
    digits = re.sub(r"\D", "", body)
    n = len(digits)
    groups = [g for g in re.split(r"[ .\-()]+", body) if g]
    if n < 7 or n > 15 or _DATE_LIKE_RE.match(body):
        return False
    if not has_prefix and _NOT_PHONE_CUE_RE.search(before):
        return False
    if all(len(g) == 4 and g[:2] in ("19", "20") for g in groups):
        return False
    if set(re.sub(r"[\d()]", "", body)) == {"."} and not _US_SHAPE_RE.match(body):
        return False
    if has_prefix:
        return 8 <= n <= 15
    if _US_SHAPE_RE.match(body):
        return True
    if body.startswith("(") and 9 <= n <= 11:
        return True
    if body.startswith("0") and 9 <= n <= 11 and len(groups) >= 2 and all(len(g) >= 2 for g in groups):
        return True
    return bool(_PHONE_CUE_RE.search(before))


def _redact_phones(text: str) -> str:
    out: list[str] = []
    last = 0
    for m in _PHONE_CANDIDATE_RE.finditer(text):
        if _is_phone(m.group("prefix") is not None, m.group("body"), text[max(0, m.start() - 40) : m.start()]):
            out.append(text[last : m.start()])
            out.append(PLACEHOLDERS["phone"])
            last = m.end()
    if not out:
        return text
    out.append(text[last:])
    return "".join(out)


# ---------------------------------------------------------------------------------------- addresses

_STRONG_SUFFIX = (
    r"Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Terrace|Parkway|Pkwy|Highway|Hwy|Strasse|Straße"
)
_WEAK_SUFFIX = r"Drive|Dr|Way|Place|Pl|Court|Ct|Circle|Cir|Square|Sq|Close|Crescent|Row|Plaza|Trail|Alley"
_NAME_WORD = r"(?:[A-Z][A-Za-z'\-]*|\d{1,3}(?:st|nd|rd|th))"
_UNIT = r"(?:,?\s+(?:Apt|Apartment|Suite|Ste|Unit|Floor|Fl|Flat|Room|#)\.?\s*#?[A-Za-z0-9\-]+)"
_CITY_ZIP = (
    r"(?:,\s*[A-Z][A-Za-z'\-]+(?:\s[A-Z][A-Za-z'\-]+){0,2})?"
    r"(?:,?\s+[A-Z]{2})?(?:,?\s+(?:\d{5}(?:-\d{4})?|[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}))?"
)
_ADDRESS_RE = re.compile(
    rf"\b\d{{1,6}}[A-Za-z]?\s+(?:{_NAME_WORD}\s+){{1,4}}(?:(?P<strong>{_STRONG_SUFFIX})|(?P<weak>{_WEAK_SUFFIX}))\b(?:\.(?=,))?"
    rf"(?P<tail>{_UNIT}?{_CITY_ZIP})"
)
_ADDRESS_CUE_RE = re.compile(
    r"(?i)\b(?:live[sd]? (?:at|on)|address(?: is)?|located at|ship(?:ped)? to|deliver(?:ed)? to|send it to|"
    r"mail(?:ed)? to|office (?:is )?(?:at|on)|based at)\W*$"
)


def _address_match(m: re.Match[str], text: str) -> str:
    cued = _ADDRESS_CUE_RE.search(text[max(0, m.start() - 30) : m.start()])
    if m.group("strong") or m.group("tail").strip(" ,") or cued:
        return PLACEHOLDERS["address"]
    return m.group(0)


def _redact_addresses(text: str) -> str:
    return _ADDRESS_RE.sub(lambda m: _address_match(m, text), text)


_REDACTORS: dict[str, Callable[[str], str]] = {
    "secret": _redact_secrets,
    "email": _redact_emails,
    "iban": _redact_ibans,
    "card": _redact_cards,
    "phone": _redact_phones,
    "address": _redact_addresses,
}


class Redactor:
    """Replaces personal data and secrets in text with category placeholders.

    Args:
        categories: Which categories to redact (subset of :data:`CATEGORIES`); all when ``None``.
            Secrets run first so token digits are never mistaken for phones or cards.

    Raises:
        ValueError: An unknown category name.
    """

    def __init__(self, categories: Iterable[str] | None = None) -> None:
        chosen = set(CATEGORIES if categories is None else categories)
        unknown = chosen - set(CATEGORIES)
        if unknown:
            raise ValueError(f"unknown PII categories: {', '.join(sorted(unknown))}")
        self.categories: tuple[str, ...] = tuple(c for c in CATEGORIES if c in chosen)

    def redact(self, text: str) -> tuple[str, bool]:
        """Return the redacted text and whether anything was replaced."""
        if not text:
            return text, False
        out = text
        for category in self.categories:
            out = _REDACTORS[category](out)
        return out, out != text


_DEFAULT = Redactor()


def redact(text: str) -> tuple[str, bool]:
    """Redact every category when ``settings.redact_pii`` is on (the default); else return text as is."""
    if not get_settings().redact_pii:
        return text, False
    return _DEFAULT.redact(text)
