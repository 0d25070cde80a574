"""How typed answers are compared: text normalisation and lenient number parsing (pure functions)."""

from __future__ import annotations

import math
import re
import unicodedata

__all__ = ["normalise_text", "numbers_match", "parse_number"]

_THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?")


def normalise_text(text: str) -> str:
    """Case-fold, collapse whitespace, strip surrounding spaces and trailing punctuation.

    >>> normalise_text("  The  Cold War. ")
    'the cold war'
    """
    folded = " ".join(unicodedata.normalize("NFKC", text).casefold().split())
    while folded and unicodedata.category(folded[-1]).startswith("P"):
        folded = folded[:-1].rstrip()
    return folded


def parse_number(text: str, unit: str | None = None) -> float | None:
    """Read a typed number such as ``"42"``, ``"-3.5"``, ``"1,000"`` or ``"12 km"`` (with ``unit="km"``).

    Returns ``None`` when the text is not a finite number.
    """
    cleaned = " ".join(text.split())
    if unit and cleaned.casefold().endswith(unit.casefold()):
        cleaned = cleaned[: -len(unit)].rstrip()
    if _THOUSANDS.fullmatch(cleaned):
        cleaned = cleaned.replace(",", "")
    try:
        value = float(cleaned)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def numbers_match(given: float, expected: float, tolerance: float) -> bool:
    """True when ``given`` lies within ``tolerance`` of ``expected`` (allowing for float rounding)."""
    slack = 1e-9 * max(1.0, abs(expected))
    return abs(given - expected) <= tolerance + slack
