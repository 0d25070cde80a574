"""The terms every lesson defines at first use, with their glosses (ARTICLE.md section 8).

``terms()`` reads ``korea_nato/terms.csv`` (columns ``term``, ``spellings``, ``gloss``;
``spellings`` is ``|``-separated, e.g. ``ADIZ|KADIZ``) into a list of :class:`Term`.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from importlib.resources import files

COLUMNS = ["term", "spellings", "gloss"]


@dataclass(frozen=True)
class Term:
    """A term, every spelling a lesson may use for it, and the gloss that defines it."""

    term: str
    spellings: tuple[str, ...]
    gloss: str


def parse_terms(text: str, source: str = "terms.csv") -> list[Term]:
    """Terms from CSV text; a wrong header or an empty field raises ``ValueError`` naming the row."""
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames != COLUMNS:
        raise ValueError(f"{source}: the columns should be {COLUMNS}, got {reader.fieldnames}")
    result = []
    for line, row in enumerate(reader, start=2):
        if not all((row.get(column) or "").strip() for column in COLUMNS):
            raise ValueError(f"{source} line {line}: every row needs a term, its spellings and a gloss")
        spellings = tuple(s.strip() for s in row["spellings"].split("|") if s.strip())
        result.append(Term(row["term"].strip(), spellings, row["gloss"].strip()))
    return result


def terms() -> list[Term]:
    """The shipped terms table, in ARTICLE.md section 8's order."""
    return parse_terms(files("korea_nato").joinpath("terms.csv").read_text(encoding="utf-8"))
