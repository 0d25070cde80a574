"""``korea-nato site [--out DIR]``: the course as a static website that makes no request outside itself.

It executes every lesson (with nbclient, quiz progress going to a throw-away file) and turns it
into HTML with nbconvert's ``lab`` template, the one already installed with nbgrader. The pages
keep the lessons' figures (PNG inline, each with its text description as ``alt`` text and
caption) and the quizzes' static HTML, which answers in the page. The template's only outside
requests (require.js, MathJax, Mermaid and the widget manager from a CDN) are left out: the lessons
use no maths or diagrams, and their widgets are replaced by the quizzes' static form, so nothing is lost.

Layout of the site::

    index.html                  the course plan (lesson 00) with links to every page
    lessons/NN-slug.html        each lesson, executed
    release/NAME/NAME.ipynb     each problem set's student notebook, to download

Links to ``.ipynb`` lessons are rewritten to their ``.html`` page; links to problem sets stay
``.ipynb`` (a download). The result is plain files: any static host serves it.
"""

from __future__ import annotations

import argparse
import copy
import os
import posixpath
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from .workspace import StudyError, check_course, course_notebooks, course_plan_links, find_course

DEFAULT_OUT = Path("korea-nato-site")
PLAN = "00-start-here.ipynb"
CELL_TIMEOUT_S = 120
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"

#: The lab template without the blocks that load scripts from a CDN.
OFFLINE_TEMPLATE = """\
{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
"""
#: What would make a browser fetch something from outside the site.
OUTSIDE_REQUEST = re.compile(
    r"""(?:\bsrc\s*=\s*["']?|<link\b[^>]*\bhref\s*=\s*["']?|url\(\s*["']?|@import\s+["'])\s*(?:https?:)?//""",
    re.IGNORECASE,
)


@dataclass
class SiteReport:
    out: Path
    pages: list[Path]
    downloads: list[Path]
    seconds: float

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.out.rglob("*") if p.is_file())


def execute(nb, folder: Path):
    """Run a lesson in ``folder`` (a copy of ``lessons/``); a cell that fails stops the build."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    client = NotebookClient(
        nb, kernel_name="python3", timeout=CELL_TIMEOUT_S, resources={"metadata": {"path": str(folder)}}
    )
    try:
        client.execute()
    except CellExecutionError as error:
        raise StudyError(f"a cell failed while running the lesson: {str(error).splitlines()[-1]}") from error
    return nb


def for_the_web(nb):
    """Drop widget views and saved widget state: the static HTML of each output stands in for them."""
    nb = copy.deepcopy(nb)
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if WIDGET_VIEW in data and len(data) > 1:
                del data[WIDGET_VIEW]
    return nb


def exporter():
    import jinja2
    from nbconvert import HTMLExporter

    return HTMLExporter(
        template_name="lab",
        extra_loaders=[jinja2.DictLoader({"korea_nato_offline.html.j2": OFFLINE_TEMPLATE})],
        template_file="korea_nato_offline.html.j2",
    )


def rewrite_links(html: str, lesson_names: set[str], *, base: str = "") -> str:
    """``href="…NN-slug.ipynb"`` of a lesson becomes ``…NN-slug.html``. With ``base`` (a page moved
    out of ``lessons/``: the index), every relative link is rebased so that it still points where it did."""

    def replace(match: re.Match) -> str:
        quote, target, anchor, end = match.groups()
        if target.endswith(".ipynb") and Path(target).name in lesson_names:
            target = target[: -len(".ipynb")] + ".html"
        if base and not re.match(r"^(?:[a-z][a-z0-9+.-]*:|/|#)", target, re.IGNORECASE):
            target = posixpath.normpath(posixpath.join(base, target))
        return f"{quote}{target}{anchor or ''}{end}"

    return re.sub(r"""((?:href|src)=["'])([^"'#]+)(#[^"']*)?(["'])""", replace, html)


def without_style_comments(html: str) -> str:
    """The page with the comments in its style sheets removed (the theme's credits name outside sites)."""

    def clean(match: re.Match) -> str:
        return match.group(1) + re.sub(r"/\*.*?\*/", "", match.group(2), flags=re.DOTALL) + match.group(3)

    return re.sub(r"(<style[^>]*>)(.*?)(</style>)", clean, html, flags=re.DOTALL | re.IGNORECASE)


def outside_requests(html: str) -> list[str]:
    """The places in ``html`` that would load something from another host."""
    return [html[max(0, m.start() - 40) : m.end() + 40] for m in OUTSIDE_REQUEST.finditer(html)]


def course_plan(course: Path, plan):
    """The (executed) course plan with a list of links to every page and download after its first cell."""
    import nbformat

    plan = copy.deepcopy(plan)
    links = course_plan_links(course, suffix=".html", download_problem_sets=True, from_folder="lessons")
    plan.cells.insert(1, nbformat.v4.new_markdown_cell(links))
    return plan


def build_site(out: Path, course: Path, *, log=print) -> SiteReport:
    """Build the site into ``out`` (emptied first if it holds an earlier build)."""
    import nbformat

    started = time.monotonic()
    course = check_course(course)
    out = Path(out).expanduser().resolve()
    if out.exists() and any(out.iterdir()) and not (out / "index.html").exists():
        raise StudyError(
            f"{out} is not empty and holds no earlier site: name an empty or new folder with --out"
        )
    if out == course or out in course.parents:
        raise StudyError(f"{out} would overwrite the course itself: name another folder with --out")
    lessons = list(course_notebooks(course / "lessons"))
    if not any(p.name == PLAN for p in lessons):
        raise StudyError(f"{course / 'lessons' / PLAN} (the course plan) is missing")
    names = {p.name for p in lessons}
    html_exporter = exporter()
    pages, downloads = [], []
    with tempfile.TemporaryDirectory(prefix="korea-nato-site-") as temporary:
        work = Path(temporary) / "lessons"
        shutil.copytree(course / "lessons", work, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        staging = Path(temporary) / "site"
        (staging / "lessons").mkdir(parents=True)
        previous = os.environ.get("KOREA_NATO_PROGRESS")
        os.environ["KOREA_NATO_PROGRESS"] = str(Path(temporary) / "progress.json")
        try:
            for path in lessons:
                log(f"  running {path.relative_to(course)}")
                try:
                    nb = execute(nbformat.read(work / path.name, as_version=4), work)
                except StudyError as error:
                    raise StudyError(f"{path.name}: {error}") from error
                body, _ = html_exporter.from_notebook_node(for_the_web(nb))
                body = without_style_comments(body)
                page = staging / "lessons" / (path.stem + ".html")
                page.write_text(rewrite_links(body, names), encoding="utf-8")
                pages.append(page)
                if path.name == PLAN:
                    index, _ = html_exporter.from_notebook_node(for_the_web(course_plan(course, nb)))
                    index = without_style_comments(index)
                    index = rewrite_links(index, names, base="lessons")
                    (staging / "index.html").write_text(index, encoding="utf-8")
                    pages.append(staging / "index.html")
        finally:
            if previous is None:
                os.environ.pop("KOREA_NATO_PROGRESS", None)
            else:
                os.environ["KOREA_NATO_PROGRESS"] = previous
        for path in course_notebooks(course / "release"):
            target = staging / path.relative_to(course)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, target)
            downloads.append(target)
        problems = {
            p.name: found for p in pages if (found := outside_requests(p.read_text(encoding="utf-8")))
        }
        if problems:
            raise StudyError(f"these pages would load something from outside the site: {problems}")
        if out.exists():
            shutil.rmtree(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(staging, out)
    relocate = lambda p: out / p.relative_to(staging)  # noqa: E731
    return SiteReport(
        out, [relocate(p) for p in pages], [relocate(p) for p in downloads], time.monotonic() - started
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="korea-nato site", description="Build the course as a static website (no outside requests)."
    )
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help="where to write it (default: ./korea-nato-site)"
    )
    parser.add_argument("--course", type=Path, help="the course repository (default: the installed one)")
    args = parser.parse_args(argv)
    try:
        course = check_course(args.course) if args.course else find_course()
        print(f"Building the course website from {course} ...")
        report = build_site(args.out, course)
    except StudyError as error:
        print(f"korea-nato site: {error}", file=sys.stderr)
        return 1
    size = report.size_bytes() / 1e6
    print(
        f"Wrote {len(report.pages)} pages and {len(report.downloads)} problem sets to {report.out} "
        f"({size:.1f} MB) in {report.seconds:.0f} s. Open {report.out / 'index.html'}, or publish the folder "
        "on any static host."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
