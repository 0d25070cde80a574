"""One valid example question of each type (facts from the fact sheet), and helpers to write banks."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from korea_nato.quiz import load_bank_file

LESSON = "99-test"

EXAMPLES: dict[str, dict] = {
    "single": {
        "id": "thesis",
        "type": "single",
        "prompt": "Which sentence paraphrases the thesis?",
        "options": [
            {
                "text": "A brief reaction that will fade",
                "correct": False,
                "feedback": "The author argues against this.",
            },
            {"text": "A deliberate and durable turn", "correct": True, "feedback": "Yes, in our words."},
            {"text": "Korea will join NATO", "correct": False, "feedback": "Partnership is not membership."},
        ],
        "explanation": "The turn is called durable.",
        "source": "ARTICLE.md §2 Thesis",
    },
    "multiple": {
        "id": "values-evidence",
        "type": "multiple",
        "prompt": "Which events does the author offer as evidence for the values driver?",
        "options": [
            {
                "text": "A vote at the UN human-rights body on Xinjiang",
                "correct": True,
                "feedback": "Missed: this is values evidence.",
            },
            {
                "text": "Co-sponsoring the UN resolution on North Korean human rights",
                "correct": True,
                "feedback": "Missed: first time since 2018.",
            },
            {
                "text": "China's economic retaliation over THAAD",
                "correct": False,
                "feedback": "That is threat convergence.",
            },
            {
                "text": "Appointing a North Korean human-rights envoy",
                "correct": True,
                "feedback": "Missed: the envoy is values evidence.",
            },
        ],
        "explanation": "All the values evidence is from recent weeks.",
        "source": "ARTICLE.md §2 L3",
    },
    "true_false": {
        "id": "mission-open",
        "type": "true_false",
        "prompt": "Korea's mission to NATO had been formally opened when the op-ed appeared.",
        "answer": False,
        "feedback_true": "It was approved on 26 Sep 2022 but opened on 22 Nov 2022, after the op-ed.",
        "feedback_false": "Right to doubt it: the formal opening came after the op-ed.",
        "explanation": "Approval and opening were two steps.",
        "source": "ARTICLE.md §4 claim 2",
    },
    "ordering": {
        "id": "timeline",
        "type": "ordering",
        "prompt": "Put these events in time order, earliest first.",
        "items": [
            {"text": "Russia invades Ukraine", "feedback": "24 Feb 2022 comes first."},
            {"text": "Yoon takes office", "feedback": "10 May 2022."},
            {"text": "Yoon at the Madrid summit", "feedback": "29 Jun 2022."},
            {"text": "NATO approves Korea's mission", "feedback": "26 Sep 2022 comes last."},
        ],
        "explanation": "The order follows the event table.",
        "source": "ARTICLE.md §3 E05, E09, E11, E15",
    },
    "classification": {
        "id": "horizons",
        "type": "classification",
        "prompt": "Sort each reason by its horizon.",
        "categories": ["short-term", "long-term"],
        "items": [
            {"text": "Shared values", "category": "long-term", "feedback": "Another long-term driver."},
            {
                "text": "Russia's invasion of Ukraine",
                "category": "short-term",
                "feedback": "An immediate reason.",
            },
            {"text": "Threat convergence", "category": "long-term", "feedback": "After all: long-term."},
            {
                "text": "The Taiwan precedent",
                "category": "short-term",
                "feedback": "Inside the Ukraine paragraph.",
            },
        ],
        "explanation": "The author sorts his reasons himself.",
        "source": "ARTICLE.md §2 answer key",
    },
    "short_number": {
        "id": "annexation-vote",
        "type": "short_answer",
        "prompt": "How many states voted for the UN General Assembly resolution condemning Russia's attempted annexations?",
        "answer_kind": "number",
        "answer": 143,
        "tolerance": 0,
        "unit": "states",
        "feedback": "Look at event E17 in the event table.",
        "wrong_answers": [{"answer": 141, "feedback": "141 is the March 2022 vote on Russia's aggression."}],
        "explanation": "The vote was 143-5-35.",
        "source": "ARTICLE.md §3 E17",
    },
    "short_text": {
        "id": "summit-city",
        "type": "short_answer",
        "prompt": "In which city was the NATO summit Yoon attended in June 2022?",
        "answer_kind": "text",
        "accepted": ["Madrid"],
        "feedback": "Look at event E11.",
        "wrong_answers": [{"answer": "Vilnius", "feedback": "Vilnius was his second summit, in 2023."}],
        "explanation": "Yoon was the first Korean president at a NATO summit, in Madrid.",
        "source": "ARTICLE.md §3 E11",
    },
}


def example(kind: str, **changes) -> dict:
    """A deep copy of the example of ``kind`` with ``changes`` applied (``None`` deletes a key)."""
    question = copy.deepcopy(EXAMPLES[kind])
    for key, value in changes.items():
        if value is None:
            question.pop(key, None)
        else:
            question[key] = value
    return question


def write_bank(folder: Path, questions: list[dict], lesson: str = LESSON) -> Path:
    path = Path(folder) / f"{lesson}.json"
    path.write_text(json.dumps({"lesson": lesson, "questions": questions}, indent=2), encoding="utf-8")
    return path


def load_example(folder: Path, kind: str, **changes):
    """The validated question object for one example (written to ``folder`` and loaded back)."""
    return load_bank_file(write_bank(folder, [example(kind, **changes)])).questions[0]
