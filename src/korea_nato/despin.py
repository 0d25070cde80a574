"""A small "de-spinner": restore the intended wording of a machine-spun sentence.

The copy of the op-ed the module was given had been run through a content spinner, which
swaps words for bad synonyms. :func:`korea_nato.data.glossary` lists the damage we know of;
:func:`despin` uses that list to repair a sentence and to report what it changed::

    >>> from korea_nato.despin import despin
    >>> result = despin("After the Chilly Warfare the alliance went global.")
    >>> result.restored
    'After the Cold War the alliance went global.'
    >>> [swap.kind for swap in result.swaps]
    ['damaged proper noun']

It only knows the glossary's phrases: a swap the glossary does not list passes through
unchanged, which is the point of lesson 05's last section.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from korea_nato.data import glossary

__all__ = ["Restoration", "Swap", "despin"]

#: Glossary kinds that mark a phrase as correct as it stands: reported, never changed.
NOT_AN_ERROR = "not an error"
#: Glossary kind of the autoblog's inserted markers: deleted.
TEMPLATE_ARTEFACT = "template artefact"

_REQUIRED_COLUMNS = ("spun", "intended", "kind", "why_it_matters")
_APOSTROPHES = "'\u2019"


@dataclass(frozen=True)
class Swap:
    """One repair: the phrase as found, what replaced it, its kind and why it matters.

    ``replacement`` is ``""`` for a deleted template artefact. ``start`` is the position of
    the phrase in the original text.
    """

    found: str
    replacement: str
    kind: str
    why_it_matters: str
    start: int


@dataclass(frozen=True)
class Restoration:
    """The result of :func:`despin`: the original, the restored text and what changed."""

    original: str
    restored: str
    swaps: tuple[Swap, ...]
    #: Phrases that look odd but are right (ADIZ, THAAD, ...), found and left alone.
    left_alone: tuple[str, ...]

    @property
    def changed(self) -> bool:
        return bool(self.swaps)

    def table(self) -> pd.DataFrame:
        """The swaps as a table: ``found``, ``replacement``, ``kind``, ``why_it_matters``."""
        columns = ["found", "replacement", "kind", "why_it_matters"]
        return pd.DataFrame([[getattr(s, c) for c in columns] for s in self.swaps], columns=columns)

    def __str__(self) -> str:
        lines = [f"Restored: {self.restored}"]
        if not self.swaps:
            lines.append("No known swap found.")
        for swap in self.swaps:
            shown = f"{swap.replacement!r}" if swap.replacement else "(deleted)"
            lines.append(f"  {swap.found!r} -> {shown} [{swap.kind}]: {swap.why_it_matters}")
        for phrase in self.left_alone:
            lines.append(f"  {phrase!r} left alone [{NOT_AN_ERROR}]")
        return "\n".join(lines)


def _phrase_pattern(phrase: str) -> str:
    """A regex for ``phrase``: any apostrophe style, flexible spaces, whole words only."""
    parts = []
    for char in phrase:
        if char in _APOSTROPHES:
            parts.append(f"[{_APOSTROPHES}]")
        elif char.isspace():
            parts.append(r"\s+")
        else:
            parts.append(re.escape(char))
    return r"(?<!\w)" + "".join(parts) + r"(?!\w)"


def _normalise(phrase: str) -> str:
    """The lookup key of a phrase: single spaces, straight apostrophes, no case."""
    return re.sub(r"\s+", " ", phrase).replace("\u2019", "'").casefold()


def _match_case(found: str, replacement: str, kind: str) -> str:
    """Give the replacement the capitalisation of the phrase it replaces (first letter only)."""
    if not replacement or kind == "damaged proper noun":
        return replacement
    first_word = replacement.split()[0]
    if found[:1].isupper() and replacement[:1].islower():
        return replacement[0].upper() + replacement[1:]
    if found[:1].islower() and replacement[:1].isupper() and not first_word.isupper():
        return replacement[0].lower() + replacement[1:]
    return replacement


def _check_table(table: pd.DataFrame) -> None:
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"the glossary must be a pandas DataFrame; got {type(table).__name__}")
    missing = [column for column in _REQUIRED_COLUMNS if column not in table.columns]
    if missing:
        raise ValueError(
            f"the glossary needs the columns {list(_REQUIRED_COLUMNS)}; missing {missing}. "
            "Use korea_nato.data.glossary() or a table shaped like it."
        )


def despin(text: str, table: pd.DataFrame | None = None) -> Restoration:
    """Restore the intended wording in ``text`` using the glossary (or ``table``).

    Every known spun phrase is replaced by its intended wording; template artefacts such as
    ``[ad_1]`` are deleted; phrases the glossary marks "not an error" are left as they are
    and listed in ``left_alone``. Matching ignores case and apostrophe style and only
    matches whole words; longer phrases win over shorter ones.
    """
    if not isinstance(text, str):
        raise TypeError(f"despin() needs a string of text; got {type(text).__name__}")
    table = glossary() if table is None else table
    _check_table(table)

    entries = {_normalise(str(row.spun)): row for row in table.itertuples(index=False)}
    if not entries:
        return Restoration(text, text, (), ())
    phrases = sorted((str(row.spun) for row in entries.values()), key=len, reverse=True)
    pattern = re.compile("|".join(_phrase_pattern(p) for p in phrases), flags=re.IGNORECASE)

    swaps: list[Swap] = []
    left_alone: list[str] = []

    def repair(match: re.Match) -> str:
        found = match.group(0)
        row = entries[_normalise(found)]
        if row.kind == NOT_AN_ERROR:
            left_alone.append(found)
            return found
        intended = "" if pd.isna(row.intended) else str(row.intended)
        replacement = _match_case(found, intended, str(row.kind))
        swaps.append(Swap(found, replacement, str(row.kind), str(row.why_it_matters), match.start()))
        return replacement

    restored = pattern.sub(repair, text)
    if any(swap.kind == TEMPLATE_ARTEFACT for swap in swaps):
        # A deleted marker leaves a double space or a space before punctuation behind.
        restored = re.sub(r"[ \t]{2,}", " ", restored)
        restored = re.sub(r" +([.,;:!?])", r"\1", restored).strip()
    return Restoration(text, restored, tuple(swaps), tuple(left_alone))
