"""Autograding ps4 in a throw-away course gives every fixture submission exactly its expected score.

The submissions are built from the committed notebooks (see ``assignment_tools``): the
solution, the untouched release, a partial attempt, typical honest mistakes (each a small patch
to the instructor's answer), an honest solution in another style (other accepted ratings and
evidence, a glossary loop instead of ``despin``, the argument map as a DataFrame without the
framing and inferred rows), and the ten hostile or broken submissions of
``assignment_tools.hostile_submissions``, each built on honest work. All of it is autograded in
one batch. Part D (4 points) is graded by hand, so the autograded maximum is 16 of 20.

The ``graded`` fixture and the tests every problem set shares come from ``corpus_grading``;
this module keeps what is particular to ps4: its corpus and the score of every test cell.
"""

from __future__ import annotations

import nbformat
import pytest

from assignment_tools import (
    PROVISIONAL,
    build_submission,
    gradebook_scores,
    hostile_submissions,
    integrity_kinds,
    nbgrader,
    page_text,
    solution_code,
    submit,
)
from corpus_grading import GradingCorpus, corpus_tests

pytestmark = pytest.mark.slow

ASSIGNMENT = "ps4_check_the_source"
TOTAL = 20
PART_A = ["claim_checks_form", "claim_checks_contradicted", "claim_checks_supported_or_disputed", "claim_checks_unconfirmed"]
PART_B = [
    "meaning_changes_held_out",
    "passage_meaning_changing_sentences",
    "passage_restorations_glossary",
    "passage_restorations_judgement",
]
PART_C = ["argument_map_form", "argument_map_reasons", "argument_map_evidence"]
POINTS = dict(zip(PART_A + PART_B + PART_C, [1, 2, 2, 1, 2, 1, 1, 2, 1, 1, 2], strict=True))
WRITTEN = "check_first_answer"


def full_marks_except(*failed):
    return {cell: (0 if cell in failed else points) for cell, points in POINTS.items()}


# The honest solution in another style: every part answered differently and accepted.
OTHER_CLAIMS = """claim_checks = {
    "C01": ["false", ["R01"]],
    "C02": ["disputed", ["E13", "R02", "X02"]],
    "C03": ["false", ["X01", "E20"]],
    "C04": ["false", ["E16"]],
    "C05": ["false", ["E12"]],
    "C06": ["supported", ["E08"]],
    "C07": ["supported", ["E02"]],
    "C08": ["disputed", ["E04"]],
    "C09": ["unconfirmed", []],
    "C10": ["unconfirmed", []],
}"""
GLOSSARY_LOOP = """import re

    table = glossary()
    rows = table[table["kind"] == "meaning-changing swap"]
    hits = []
    for spun, intended in zip(rows["spun"], rows["intended"]):
        for match in re.finditer(re.escape(spun), text, flags=re.IGNORECASE):
            hits.append((match.start(), match.group(0), intended))
    return [(found, intended) for _, found, intended in sorted(hits)]"""
TIDY_MAP = """joined = notes.merge(drivers(), left_on="driver", right_on="driver_id")
robust = joined[~joined["event_id"].isin(["E01", "E03"])]
reasons = robust.rename(columns={"driver_id": "reason"})[["reason", "horizon", "event_id", "name"]]"""

# student id -> (how the submission is made, the autograded score of every test cell)
CORPUS = {
    "solution": (dict(), full_marks_except()),
    "untouched-release": (dict(answered=[]), full_marks_except(*POINTS)),
    "part-a-only": (dict(answered=["claim_checks"]), full_marks_except(*PART_B, *PART_C)),
    # Putin's Valdai warning (E18) taken as proof of a different, unconfirmed warning.
    "related-row-as-confirmation": (
        dict(patches={"claim_checks": [('"C10": ("unconfirmed", []),', '"C10": ("supported", ["E18"]),')]}),
        full_marks_except("claim_checks_unconfirmed"),
    ),
    # The mission approved in September taken for the mission opened.
    "mission-already-open": (
        dict(patches={"claim_checks": [('"C03": ("false", ["E15", "E21"]),', '"C03": ("supported", ["E15"]),')]}),
        full_marks_except("claim_checks_contradicted"),
    ),
    # Every repair counted as meaning-changing; the visible test catches it.
    "every-swap-counts": (
        dict(patches={"meaning_changes": [(' if swap.kind == "meaning-changing swap"', "")]}),
        full_marks_except("meaning_changes_held_out"),
    ),
    # A broken idiom counted as a change of meaning.
    "idiom-as-meaning-change": (
        dict(patches={"changed_meaning": [('"P3", "P5"', '"P3", "P4", "P5"')]}),
        full_marks_except("passage_meaning_changing_sentences"),
    ),
    # despin's output taken as the repair: it misses the swaps the glossary does not list word for word.
    "despin-only-restoration": (
        dict(
            patches={
                "restored": [
                    (
                        '"P2": "At the UN General Assembly in October 2022, Korea voted to condemn the attempted annexations.",',
                        '"P2": "At the UN General Assembly in October 2022, Korea voted to sentence the attempted annexations.",',
                    ),
                    (
                        "\"P3\": \"Putin's warning told Seoul not to directly transfer weapons to Ukraine.\",",
                        "\"P3\": \"Putin's warning told Seoul to not instantly switch weapons to Ukraine.\",",
                    ),
                ]
            }
        ),
        full_marks_except("passage_restorations_judgement"),
    ),
    # A fact "repaired" along with the wording: the copy's 2018 becomes September 2017.
    "corrected-the-date": (
        dict(patches={"restored": [("filling a post vacant since 2018.", "filling a post vacant since September 2017.")]}),
        full_marks_except("passage_restorations_judgement"),
    ),
    # The mission's formal opening, after the op-ed, counted as its evidence.
    "thesis-with-later-opening": (
        dict(patches={"argument_map": [('thesis_events = ["E15"]', 'thesis_events = ["E15", "E21"]')]}),
        full_marks_except("argument_map_evidence"),
    ),
    # Another style throughout: lists for pairs, the other accepted ratings and minimal evidence,
    # a glossary loop, curly apostrophes and no final stops, another word order, a tidy DataFrame.
    "other-style": (
        dict(
            patches={
                "claim_checks": [(solution_code(ASSIGNMENT, "claim_checks").strip(), OTHER_CLAIMS)],
                "meaning_changes": [
                    (
                        'return [(swap.found, swap.replacement) for swap in despin(text).swaps if swap.kind == "meaning-changing swap"]',
                        GLOSSARY_LOOP,
                    )
                ],
                "restored": [
                    ("Putin's warning told Seoul not to directly transfer weapons to Ukraine.",
                     "Putin\u2019s warning told  Seoul not to transfer weapons directly to Ukraine"),
                    ("won't send lethal aid", "won\u2019t send lethal aid"),
                    ("the UN Human Rights Council.", "the UN human rights council"),
                ],
                "argument_map": [
                    (
                        solution_code(ASSIGNMENT, "argument_map")[
                            solution_code(ASSIGNMENT, "argument_map").index("horizons = ") : -len("reasons")
                        ].strip(),
                        TIDY_MAP,
                    )
                ],
            }
        ),
        full_marks_except(),
    ),
}

MISTAKE = "mission-already-open"
HOSTILE = hostile_submissions(
    ASSIGNMENT,
    mistake=CORPUS[MISTAKE][0],
    mistake_fails="claim_checks_contradicted",
    first_answer="claim_checks",
    last_answer="argument_map",
    # A loader the hidden tests could have used; they import a fresh one instead.
    rebinding="record_notes = lambda: records.iloc[:0]\n\n",
)
GRADING = GradingCorpus(
    assignment=ASSIGNMENT,
    honest=CORPUS,
    hostile=HOSTILE,
    mistake=MISTAKE,
    stuck=full_marks_except(*PART_C),
    points=POINTS,
    total=TOTAL,
    written=WRITTEN,
    written_points=4,
    feedback_students=("solution", "despin-only-restoration", "mission-already-open"),
    feedback_secrets=(
        "BEGIN HIDDEN TESTS",
        "_t_key",
        "_t_may_add",
        "accepted ratings",
        "may be added or left out",
        "Moscow told Seoul to not promote weapons",
        "not to transfer weapons directly",
    ),
)

globals().update(corpus_tests(GRADING))


def with_extra_cells(nb):
    """A copy of ``nb`` with a student's own cells: a note, a helper global and a scratch check."""
    nb = nbformat.from_dict(nb)
    at = next(i for i, cell in enumerate(nb.cells) if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "claim_checks")
    nb.cells[at:at] = [
        nbformat.v4.new_markdown_cell("My notes: search the evidence before rating."),
        nbformat.v4.new_code_cell(
            "def rows_about(word):\n"
            '    """The evidence rows whose description mentions ``word``."""\n'
            '    return evidence[evidence["description"].str.contains(word, case=False)]\n\n\n'
            'rows_about("mission")'
        ),
    ]
    nb.cells.append(nbformat.v4.new_code_cell("print(len(claim_checks), sorted(restored))"))
    return nb


def test_extra_cells_and_own_helpers_lose_nothing(graded, course):
    """Graded after the batch, so the shared corpus tests see only their own students."""
    submit(course, "extra-cells", ASSIGNMENT, with_extra_cells(build_submission(ASSIGNMENT)))
    nbgrader(course, "autograde", ASSIGNMENT, "--student", "extra-cells")
    scores = gradebook_scores(course, ASSIGNMENT)["extra-cells"]
    assert {cell: scores["cells"][cell] for cell in POINTS} == full_marks_except()
    assert integrity_kinds(course, "extra-cells", ASSIGNMENT) == set()


def test_feedback_text_shows_no_expected_rating_or_restoration(graded, course):
    """The shared check reads the page's HTML, where highlighting splits code into spans; read its text."""
    secrets = ['"C07": ("supported", "disputed"', '"C03": ("false", [{"E21", "X01"}]', "Seoul not to transfer weapons directly"]
    for student in ("solution", "despin-only-restoration"):
        nbgrader(course, "generate_feedback", ASSIGNMENT, "--student", student, "--force", PROVISIONAL)
        (page,) = (course / "feedback" / student / ASSIGNMENT).glob("*.html")
        text = page_text(page)
        assert "claim_checks" in text, f"{student}'s feedback page lost its notebook text"
        for secret in secrets:
            assert secret not in text, f"{student}'s feedback shows {secret!r}"
