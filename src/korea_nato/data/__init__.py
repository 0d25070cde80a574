"""The article's structured data, as pandas DataFrames.

Every fact here comes from the module's fact sheet (``shared/ARTICLE.md`` in the project);
descriptions are our own words, never the article's sentences. The files ship as package
data and are read with :mod:`importlib.resources`, so the loaders work from any folder.

Nothing here is an answer key for a graded exercise: dates are kept as a reader jotted them
down (students parse them), and later events carry no driver and no verdict (students code
them).

Text columns have pandas' default string dtype (``str`` in pandas 3; ``object`` in pandas 2).
Missing text is a missing value (``NaN``), never an empty string or a dash.
"""

from __future__ import annotations

from importlib.resources import files

import pandas as pd

__all__ = [
    "DRIVER_CODES",
    "event_notes",
    "drivers",
    "driver_statements",
    "later_events",
    "glossary",
    "claims",
    "record_notes",
    "damaged_passage",
]

#: Driver codes used in :func:`event_notes`: the four long-term and two short-term drivers of
#: the argument map, plus ``T`` for events that bear on the thesis itself (the mission).
DRIVER_CODES = ("S1", "S2", "L1", "L2", "L3", "L4", "T")


def _read(name: str, **read_csv_options) -> pd.DataFrame:
    """Read one of the package's CSV files."""
    with files(__package__).joinpath(name).open("r", encoding="utf-8") as handle:
        return pd.read_csv(handle, **read_csv_options)


def event_notes() -> pd.DataFrame:
    """Notes on the 21 events the op-ed relies on, one row per event, in reading order.

    Rows come in the order a reader meets the events in the article (by ``paragraph``;
    the two events the article does not use come last), not in date order. Ids were
    assigned in date order by the fact sheet.

    This is the raw material of assignment ps1: dates are written the way a reader jots
    them down ("24 Feb 2022", "March 2017", "1991", "c. 8 Nov 2022"), in varied but
    unambiguous formats. There is deliberately no parsed date and no precision column.

    Shape: (21, 7). Columns:

    - ``event_id`` (string): ``E01`` ... ``E21``, unique.
    - ``date_text`` (string): the date as noted. A bare year means year precision, a month
      and year means month precision, a leading ``c.`` (circa) means approximate.
    - ``actor`` (string): who acted; several actors are comma-separated.
    - ``target`` (string, may be missing): who or what the action was aimed at.
    - ``driver`` (string, may be missing): the argument-map driver the event is evidence
      for: one of :data:`DRIVER_CODES`. Missing for the op-ed's own publication.
    - ``paragraph`` (Int64, may be missing): the paragraph of the article that relies on the
      event, counting the standfirst as paragraph 1. Missing when the article does not use
      the event (its own publication; the mission's formal opening, which came later).
    - ``description`` (string): what happened, in our own words.
    """
    return _read("event_notes.csv", dtype={"paragraph": "Int64"})


def drivers() -> pd.DataFrame:
    """The six drivers of the argument map: two short-term (S1, S2) and four long-term (L1-L4).

    Shape: (6, 5). Columns:

    - ``driver_id`` (string): ``S1``, ``S2``, ``L1`` ... ``L4``, unique.
    - ``name`` (string): a short label, e.g. "Shared values".
    - ``horizon`` (string): ``short-term`` or ``long-term``, as the author presents it.
    - ``marker_phrase`` (string): the author's words that introduce the driver, e.g.
      "To start with" (short phrases, quoted with attribution in the lessons).
    - ``paraphrase`` (string): the driver in our own words.
    """
    return _read("drivers.csv")


def driver_statements() -> pd.DataFrame:
    """Eight statements, in our words, of why Seoul turned to NATO, in no particular order.

    The raw material of assignment ps2: each statement restates a passage of the op-ed that
    argues for one of the drivers, keeping the author's signal words ("immediate",
    "longer-term", "Another long-term driver", ...) and the passage's date cues ("in 2019",
    "in recent weeks"). There is deliberately no driver and no horizon column: labelling each
    statement short-term or long-term from its text is the students' job.

    Shape: (8, 2). Columns:

    - ``statement_id`` (string): ``ST01`` ... ``ST08``, unique.
    - ``text`` (string): the statement, one sentence.
    """
    return _read("driver_statements.csv")


def later_events() -> pd.DataFrame:
    """Notes on 22 events of Nov 2022 - Feb 2026 that test the claim that the turn is "here to stay".

    Same note format as :func:`event_notes` (an id, a date as jotted down, actor, target,
    description), with no ``driver`` and no ``paragraph`` column: these events came after
    the article, and coding each one by driver and verdict is the students' job (ps3).

    Shape: (22, 5). Columns:

    - ``event_id`` (string): ``X01`` ... ``X22``, unique, in date order.
    - ``date_text`` (string): the date as noted; ``April 2023`` is month precision.
    - ``actor`` (string): who acted; several actors are comma-separated.
    - ``target`` (string, may be missing): who or what the action was aimed at.
    - ``description`` (string): what happened, in our own words.
    """
    return _read("later_events.csv")


def glossary() -> pd.DataFrame:
    """The spun copy's damage: each garbled phrase, what the author wrote, and the kind of error.

    Shape: (33, 4). Columns:

    - ``spun`` (string): the phrase as it appears in the machine-spun copy, unique.
    - ``intended`` (string, may be missing): the intended wording; missing for template
      artefacts, which should simply be deleted.
    - ``kind`` (string): one of ``meaning-changing swap``, ``damaged proper noun``,
      ``broken idiom``, ``not an error`` (looks odd, is right) or ``template artefact``.
    - ``why_it_matters`` (string): what the error does to the meaning.
    """
    return _read("glossary.csv")


def claims() -> pd.DataFrame:
    """Ten checkable claims of the op-ed, in our words, in the order the article makes them.

    The raw material of assignment ps4: each row states what the op-ed (or the copy we have)
    says, not whether it is true. There is deliberately no rating and no evidence column:
    checking each claim against the event tables and :func:`record_notes` is the students' job.

    Shape: (10, 2). Columns:

    - ``claim_id`` (string): ``C01`` ... ``C10``, unique.
    - ``claim`` (string): the claim, one sentence.
    """
    return _read("claims.csv")


def record_notes() -> pd.DataFrame:
    """Seven facts from the public record that are not events: names, bodies, denials.

    Evidence for checking :func:`claims`, alongside :func:`event_notes` and
    :func:`later_events` (which record events with dates). Each note states a fact from the
    module's fact sheet, in our words; none says which claim it bears on.

    Shape: (7, 2). Columns:

    - ``record_id`` (string): ``R01`` ... ``R07``, unique.
    - ``note`` (string): the fact, one sentence.
    """
    return _read("record_notes.csv")


def damaged_passage() -> pd.DataFrame:
    """Eight sentences about the op-ed, written for ps4 and damaged the way the spinner did it.

    Each sentence is ours (not the article's) and carries swaps the spun copy is known for
    (see :func:`glossary`), sometimes in a form the glossary does not list word for word.
    Facts in the sentences are as the copy gives them, right or wrong. There is deliberately
    no restored column: repairing the wording is the students' job (ps4).

    Shape: (8, 2). Columns:

    - ``sentence_id`` (string): ``P1`` ... ``P8``, unique, in reading order.
    - ``spun`` (string): the damaged sentence.
    """
    return _read("damaged_passage.csv")
