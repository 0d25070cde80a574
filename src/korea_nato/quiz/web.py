"""Quizzes that answer in the page: self-contained HTML and JavaScript rendered from the bank.

Every :func:`korea_nato.quiz.ask` output carries this rendering, so a quiz works wherever the
notebook is seen: reopened in JupyterLab without re-running, in nbconvert HTML, on a course website.
The page needs no kernel and makes no request: the script and style are inline. What would give the
answer away (which options are right, the per-option feedback, the correct order, the accepted
answers, the explanation) travels XOR-encoded in a ``data-kn-payload`` attribute, so it is not
plain text in the page source; the script decodes it to check answers with the bank's own words.

Contract the course website relies on: each question is ``<div class="kn-quiz"
data-question-id="ID">``, its check button has class ``kn-check`` and its feedback area class
``kn-feedback``, whose text starts with "Correct", "Not quite" or "Partly right".

In JupyterLab the same output also carries ``data-kn-live``, the class of the live widget that
replaces it: the script hides this copy once that widget renders in the same cell, and hides a
widget output that could not be restored ("model not found") otherwise.
"""

from __future__ import annotations

import base64
import html
import json
from functools import cache
from importlib.resources import files

from .bank import (
    ClassificationQuestion,
    MultipleChoiceQuestion,
    OrderingQuestion,
    Question,
    ShortAnswerQuestion,
    SingleChoiceQuestion,
    TrueFalseQuestion,
)
from .normalise import normalise_text
from .shuffle import display_order
from .static import INSTRUCTION

__all__ = [
    "OFFLINE_NOTE",
    "decode_payload",
    "encode_payload",
    "live_class",
    "question_as_web",
    "wrap_fallback",
]

#: Shown under every quiz in the page: answering works, saving progress needs the kernel.
OFFLINE_NOTE = (
    "This copy of the quiz checks your answers in the page but does not save your progress: "
    "run the cell in JupyterLab (Shift+Enter) to record it."
)

_CSS = """
.kn-quiz{border:1px solid #bbb;border-radius:4px;padding:.5em .9em;margin:.4em 0;max-width:52em}
.kn-quiz fieldset{border:0;margin:0;padding:0}
.kn-quiz .kn-option{display:flex;align-items:flex-start;gap:.5em;margin:.3em 0;line-height:1.4}
.kn-quiz .kn-option input{flex:none;margin-top:.25em}
.kn-quiz .kn-classify-row{margin:.4em 0}
.kn-quiz .kn-classify-row legend{font-weight:600}
.kn-quiz .kn-classify-row .kn-option{display:inline-flex;margin-right:1.5em}
.kn-quiz .kn-order-row{display:flex;align-items:center;gap:.6em;margin:.3em 0}
.kn-quiz .kn-check{margin:.5em 0;padding:.3em .9em;cursor:pointer}
.kn-verdict{border-left:4px solid #888;padding:.2em .8em;margin:.3em 0}
.kn-verdict-correct{border-left-color:#1a7f37}.kn-verdict-partial{border-left-color:#9a6700}
.kn-verdict-wrong{border-left-color:#cf222e}
.kn-quiz .kn-note{font-size:.85em;color:#555}
"""


@cache
def _script() -> str:
    return files("korea_nato.quiz").joinpath("quiz.js").read_text(encoding="utf-8")


def live_class(name: str) -> str:
    """The CSS class of the live widget that stands in for the fallback output ``name``."""
    return f"kn-live-{name}"


def encode_payload(data: dict, seed: str) -> str:
    """JSON, UTF-8, XOR with ``"kn:" + seed``, base64: not readable as plain text in the page."""
    raw = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    key = f"kn:{seed}".encode()
    return base64.b64encode(bytes(b ^ key[i % len(key)] for i, b in enumerate(raw))).decode("ascii")


def decode_payload(payload: str, seed: str) -> dict:
    """The inverse of :func:`encode_payload` (what the page's script does)."""
    raw = base64.b64decode(payload)
    key = f"kn:{seed}".encode()
    return json.loads(bytes(b ^ key[i % len(key)] for i, b in enumerate(raw)).decode("utf-8"))


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _choice(kind: str, name: str, value: str, text: str) -> str:
    return (
        f'<label class="kn-option"><input type="{kind}" class="kn-choice" name="{name}" value="{_e(value)}">'
        f"<span>{_e(text)}</span></label>"
    )


def _controls_and_data(question: Question, student: str, name: str) -> tuple[str, dict]:
    """The question's controls in display order, and the encoded data the script grades with."""
    data: dict = {"t": question.type, "ex": question.explanation}
    if isinstance(question, SingleChoiceQuestion | MultipleChoiceQuestion):
        options = [question.options[i] for i in display_order(question, student)]
        kind = "radio" if isinstance(question, SingleChoiceQuestion) else "checkbox"
        data.update(
            ok=[o.correct for o in options], fb=[o.feedback for o in options], texts=[o.text for o in options]
        )
        legend = "Your answer:" if kind == "radio" else "Your answers (tick all that apply):"
        rows = "".join(_choice(kind, name, str(n), o.text) for n, o in enumerate(options))
        return f"<fieldset><legend>{legend}</legend>{rows}</fieldset>", data
    if isinstance(question, TrueFalseQuestion):
        data.update(answer=question.answer, ft=question.feedback_true, ff=question.feedback_false)
        rows = _choice("radio", name, "true", "True") + _choice("radio", name, "false", "False")
        return f"<fieldset><legend>Your answer:</legend>{rows}</fieldset>", data
    if isinstance(question, OrderingQuestion):
        order = display_order(question, student)
        n = len(order)
        # Items are numbered in display order; the data maps each to its correct position.
        data.update(pos=[order[k] for k in range(n)], texts=[question.items[i].text for i in order])
        rows = []
        for k, item in enumerate(order):
            text = question.items[item].text
            choices = "".join(
                f'<option value="{p}"{" selected" if p == k + 1 else ""}>{p}</option>'
                for p in range(1, n + 1)
            )
            rows.append(
                f'<li class="kn-order-row" data-item="{k}"><label>Place '
                f'<select aria-label="Place of “{_e(text)}”">{choices}</select></label>'
                f"<span>{_e(text)}</span></li>"
            )
        return (
            "<p>Current order, first at the top. Choose a new place for an item to move it there.</p>"
            f'<ol class="kn-order" style="list-style:none;padding-left:0">{"".join(rows)}</ol>',
            data,
        )
    if isinstance(question, ClassificationQuestion):
        data.update(
            cats=[item.category for item in question.items],
            fb=[item.feedback for item in question.items],
            texts=[item.text for item in question.items],
        )
        rows = []
        for k, item in enumerate(question.items):
            choices = "".join(_choice("radio", f"{name}-{k}", c, c) for c in question.categories)
            rows.append(
                f'<fieldset class="kn-classify-row"><legend>{_e(item.text)}</legend>{choices}</fieldset>'
            )
        categories = _e(", ".join(question.categories))
        return f"<p>Categories: {categories}.</p>{''.join(rows)}", data
    if isinstance(question, ShortAnswerQuestion):
        data.update(kind=question.answer_kind, fb=question.feedback)
        data["wrong"] = [[w.answer, w.feedback] for w in question.wrong_answers]
        if question.answer_kind == "number":
            data.update(answer=question.answer, tol=question.tolerance, unit=question.unit)
            placeholder = "a number, e.g. 42"
        else:
            data["accepted"] = sorted({normalise_text(text) for text in question.accepted})
            placeholder = "a word or short phrase"
        unit = f" <span>{_e(question.unit)}</span>" if question.unit else ""
        return (
            '<label>Your answer: <input type="text" class="kn-typed" '
            f'placeholder="{placeholder}"></label>{unit}',
            data,
        )
    raise TypeError(f"no web form for {type(question).__name__}")


def question_as_web(question: Question, student: str, *, uid: str = "") -> str:
    """One self-contained, answerable quiz: HTML, inline style and script, encoded answers.

    ``student`` seeds the option order; ``uid`` keeps radio groups apart when the same question is
    shown twice in one page (e.g. in a warm-up and in its own lesson).
    """
    name = f"kn-{question.lesson}-{question.id}{'-' + uid if uid else ''}"
    controls, data = _controls_and_data(question, student, name)
    return (
        f'<div class="kn-quiz" data-question-id="{_e(question.id)}" '
        f'data-lesson="{_e(question.lesson)}" '
        f'data-kn-payload="{encode_payload(data, question.id)}">'
        f"<p><strong>Question.</strong> {_e(question.prompt)}</p>"
        f"<p><em>{_e(INSTRUCTION[question.type])}</em></p>"
        f"{controls}"
        '<div><button type="button" class="kn-check">Check answer</button></div>'
        '<div class="kn-feedback" role="status" aria-live="polite"></div>'
        f'<p class="kn-note">{_e(OFFLINE_NOTE)}</p>'
        "</div>"
    )


def wrap_fallback(body: str, live: str) -> str:
    """``body`` with the page's style and script, marked as the stand-in for the live widget ``live``."""
    return (
        f'<div class="kn-fallback" data-kn-live="{_e(live_class(live))}">'
        f"<style>{_CSS}</style>{body}<script>{_script()}</script></div>"
    )
