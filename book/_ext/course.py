"""Sphinx extension of the course book (``local_extensions`` in ``_config.yml``).

1. Folded solutions, with the supported mechanisms. Every solution cell carries the tag
   ``hide-cell`` besides ``solution`` (``tools/tag_notebooks.py`` sets it). myst-nb folds
   a code cell so tagged, source and output, in a ``<details>`` element; here its button
   is labelled "Solution code" (myst-nb's cell-level ``code_prompt_show`` option, set
   when the notebook is read). myst-nb ignores the tags of *markdown* cells, so a markdown
   cell tagged ``hide-cell`` is wrapped, when the notebook is read, in a sphinx-design
   ``dropdown`` titled "Solution". Both fold without JavaScript and print open
   (``_static/course.css``). The notebooks themselves stay plain: in Jupyter and Colab
   the solutions are ordinary cells.

2. One repository URL. Book pages write ``@REPOSITORY_URL@`` and ``@REPOSITORY_BRANCH@``;
   they are replaced with ``repository.url`` and ``repository.branch`` of ``_config.yml``,
   the one place that names the repository.

3. The d2lmini reference. ``@D2LMINI_MODULES@`` on a line of its own in ``book/api.md``
   becomes one section per module of the package, each an ``automodule`` of the
   module's docstrings, so that a new module shows up without editing the page.

4. Execution statistics. The ``execution-statistics`` directive reads the stored
   notebooks in ``notebooks/`` and makes a table of how long each one ran, from the
   per-cell timestamps that nbclient (``jupyter execute``) stores in
   ``cell.metadata.execution``. Nothing is typed by hand: rebuild the book after
   re-running a notebook and the table follows.

5. No live-code scripts. Jupyter Book always loads sphinx-thebe, which Sphinx 7.4 puts on
   every page twice ("Identifier 'THEBE_JS_URL' has already been declared" in the
   console). The book has no live code (``launch_buttons.thebe: false``), so its scripts
   are dropped from the pages.

6. Offline outputs. An HTML output may link a stylesheet from a CDN (matplotlib's
   ``to_jshtml`` animations link Font Awesome 4). The book already ships Font Awesome, so
   such ``<link>`` tags are removed from the book's copy of the output: the page makes no
   request to another host and the buttons still get their icons.

7. Bibliography labels. The book cites author-year, "(LeCun et al., 1998)", as the
   notebooks do in plain text; the ``course`` pybtex style labels the entries of the
   references page the same way instead of [1], [2], ...

8. Student versions. When the HTML is written, ``tools/student.py`` makes the student
   version of every chapter (solutions replaced by stubs that say what to write, the
   "check your answer" cells kept) into ``_static/student/``, and each chapter page's
   download menu gets a "student .ipynb" entry that points at its own.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

logger = logging.getLogger(__name__)

SOLUTION_TAG = "solution"
# What the fold of a code solution says, closed and open ({type}: myst-nb's "content").
SOLUTION_PROMPTS = ("Solution code", "Solution code")


# --- 1. folded solutions ----------------------------------------------------------------

HIDE_TAG = "hide-cell"
_HEADING = re.compile(r"^ {0,3}#{1,6}(\s|$)", re.MULTILINE)
_FENCED_CODE = re.compile(r"^ {0,3}(`{3,}|~{3,}).*?^ {0,3}\1", re.MULTILINE | re.DOTALL)
_COLON_FENCE = re.compile(r"^ {0,3}(:{3,})", re.MULTILINE)


def _fold_markdown(cell: dict) -> str:
    """The source of a markdown cell wrapped in a closed sphinx-design dropdown."""
    text = "".join(cell.get("source", "")).strip("\n")
    tags = cell.get("metadata", {}).get("tags", [])
    solution = SOLUTION_TAG in tags
    title = "Solution" if solution else "Show more"
    # (docutils would turn "tag_solution" into "tag-solution")
    classes = "hidden-markdown" + (" solution" if solution else "")
    # The fence must be longer than any colon fence inside the cell.
    fence = ":" * max([3] + [len(m.group(1)) + 1 for m in _COLON_FENCE.finditer(text)])
    return f"{fence}{{dropdown}} {title}\n:class-container: {classes}\n\n{text}\n{fence}\n"


def _fold_solutions(app: Sphinx, docname: str, source: list[str]) -> None:
    """``source-read`` of a notebook: fold its ``hide-cell`` markdown cells, label its
    solution code cells. Only the book's copy of the notebook changes."""
    if not str(app.env.doc2path(docname)).endswith(".ipynb"):
        return
    try:
        nb = json.loads(source[0])
    except ValueError:
        return
    changed = False
    for index, cell in enumerate(nb.get("cells", [])):
        metadata = cell.get("metadata", {})
        tags = metadata.get("tags", [])
        if HIDE_TAG not in tags or "remove-cell" in tags:
            continue
        if cell.get("cell_type") == "markdown":
            if _HEADING.search(_FENCED_CODE.sub("", "".join(cell.get("source", "")))):
                logger.warning("%s: markdown cell %d is tagged %s but holds a heading, which "
                               "cannot be folded: move the heading to a cell of its own",
                               docname, index + 1, HIDE_TAG, location=docname)
                continue
            cell["source"] = _fold_markdown(cell)
            changed = True
        elif cell.get("cell_type") == "code" and SOLUTION_TAG in tags:
            options = metadata.setdefault("mystnb", {})
            options.setdefault("code_prompt_show", SOLUTION_PROMPTS[0])
            options.setdefault("code_prompt_hide", SOLUTION_PROMPTS[1])
            changed = True
    if changed:
        source[0] = json.dumps(nb, ensure_ascii=False)


# --- 2. the repository URL from _config.yml --------------------------------------------

def _repository(app: Sphinx) -> dict[str, str]:
    options = app.config.html_theme_options or {}
    url = str(options.get("repository_url", "")).rstrip("/")
    if not url:
        raise ValueError("_config.yml must set repository.url (the course repository)")
    return {"@REPOSITORY_URL@": url, "@REPOSITORY_BRANCH@": str(options.get("repository_branch", "main"))}


def _substitute_repository(app: Sphinx, docname: str, source: list[str]) -> None:
    if not docname.startswith("book/"):
        return
    text = source[0]
    for placeholder, value in _repository(app).items():
        text = text.replace(placeholder, value)
    source[0] = text


# --- 3. the d2lmini reference -----------------------------------------------------------

MODULE_ORDER = ["data", "module", "trainer", "plot", "device"]


def d2lmini_modules() -> list[str]:
    """The public modules of d2lmini: the usual reading order first, then the rest A-Z."""
    import pkgutil

    import d2lmini

    names = [m.name for m in pkgutil.iter_modules(d2lmini.__path__) if not m.name.startswith("_")]
    ordered = [n for n in MODULE_ORDER if n in names]
    return ordered + sorted(n for n in names if n not in ordered)


def _module_sections() -> str:
    parts = []
    for name in d2lmini_modules():
        # The module's docstring, printed by automodule, says what the module is for.
        # eval-rst: autodoc writes reStructuredText, which MyST must not parse itself.
        parts.append(
            f"(api-{name})=\n## `d2lmini.{name}`\n\n"
            f"```{{eval-rst}}\n.. automodule:: d2lmini.{name}\n   :members:\n```\n"
        )
    return "\n".join(parts)


def _substitute_modules(app: Sphinx, docname: str, source: list[str]) -> None:
    if "@D2LMINI_MODULES@" in source[0]:
        source[0] = source[0].replace("@D2LMINI_MODULES@", _module_sections())


def _always_reread_api(app: Sphinx, env, added, changed, removed) -> list[str]:
    return [doc for doc in env.found_docs if doc == "book/api"]


# --- 4. execution statistics -----------------------------------------------------------

def _parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _format_seconds(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


def notebook_timing(path: Path) -> dict | None:
    """Timing of one stored notebook run, or None when its cells carry no timestamps.

    Returns a dict with ``title``, ``cells`` (code cells with timings), ``seconds``
    (first cell started to last cell finished), ``busy`` (sum of the cells' run times),
    ``slowest`` (the longest cell's run time), ``date`` (UTC date of the run) and
    ``python`` (the kernel's Python version).
    """
    nb = json.loads(path.read_text(encoding="utf-8"))
    title = path.stem
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "markdown":
            source = "".join(cell.get("source", ""))
            for line in source.splitlines():
                if line.startswith("# "):
                    title = line[2:].strip()
                    break
            break
    spans = []
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        execution = cell.get("metadata", {}).get("execution", {})
        start = execution.get("iopub.execute_input") or execution.get("iopub.status.busy")
        end = execution.get("shell.execute_reply") or execution.get("iopub.status.idle")
        if start and end:
            spans.append((_parse_time(start), _parse_time(end)))
    if not spans:
        return None
    first = min(s for s, _ in spans)
    last = max(e for _, e in spans)
    durations = [(e - s).total_seconds() for s, e in spans]
    return {
        "title": title,
        "cells": len(spans),
        "seconds": (last - first).total_seconds(),
        "busy": sum(durations),
        "slowest": max(durations),
        "date": first.strftime("%Y-%m-%d"),
        "python": nb.get("metadata", {}).get("language_info", {}).get("version", "?"),
    }


class ExecutionStatistics(SphinxDirective):
    """``execution-statistics``: a table of the stored run time of every notebook.

    The optional argument is the folder of the notebooks, relative to the book's root
    (default ``notebooks``).
    """

    optional_arguments = 1
    has_content = False

    def run(self) -> list[nodes.Node]:
        folder = self.arguments[0] if self.arguments else "notebooks"
        srcdir = Path(self.env.srcdir)
        paths = sorted((srcdir / folder).glob("*.ipynb"))
        if not paths:
            raise self.error(f"execution-statistics: no notebooks in {srcdir / folder}")
        rows = [
            "| Chapter | Code cells | Run time | Slowest cell | Run on |",
            "| :-- | --: | --: | --: | :-- |",
        ]
        total = 0.0
        missing = []
        pythons: set[str] = set()
        for path in paths:
            self.env.note_dependency(str(path))
            docname = "/" + path.relative_to(srcdir).with_suffix("").as_posix()
            timing = notebook_timing(path)
            if timing is None:
                missing.append(path.name)
                rows.append(f"| {{doc}}`{path.stem} <{docname}>` | - | not recorded | - | - |")
                continue
            total += timing["seconds"]
            rows.append(
                f"| {{doc}}`{timing['title']} <{docname}>` | {timing['cells']} "
                f"| {_format_seconds(timing['seconds'])} | {_format_seconds(timing['slowest'])} "
                f"| {timing['date']} |"
            )
            pythons.add(timing["python"])
        rows.append(f"| **All chapters** | | **{_format_seconds(total)}** | | |")
        if pythons:
            rows += ["", f"Kernel: Python {', '.join(sorted(pythons))}."]
        if missing:
            logger.info("execution-statistics: no timings stored in %s", ", ".join(missing))
        container = nodes.container(classes=["execution-statistics"])
        self.state.nested_parse(StringList(rows, source=self.env.docname), self.content_offset, container)
        return [container]


# --- 5. drop sphinx-thebe's scripts ------------------------------------------------------

def _is_thebe(asset) -> bool:
    filename = str(getattr(asset, "filename", asset) or "")
    body = str(getattr(asset, "attributes", {}).get("body", ""))
    return "thebe" in filename.lower() or "THEBE_JS_URL" in body


def _drop_thebe(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    if (app.config.html_theme_options or {}).get("launch_buttons", {}).get("thebe"):
        return
    if "script_files" in context:
        context["script_files"] = [js for js in context["script_files"] if not _is_thebe(js)]
    if "css_files" in context:
        context["css_files"] = [css for css in context["css_files"] if not _is_thebe(css)]


# --- 5b. MathJax only on pages with maths ----------------------------------------------

def _is_mathjax(app: Sphinx, asset) -> bool:
    filename = str(getattr(asset, "filename", asset) or "")
    body = str(getattr(asset, "attributes", {}).get("body", ""))
    path = str(app.config.mathjax_path)
    return bool(filename) and filename in (path, f"_static/{path}") or "window.MathJax" in body


def _drop_unused_mathjax(app: Sphinx, pagename: str, templatename: str, context: dict,
                         doctree) -> None:
    """Sphinx also loads MathJax on a page whose toctree includes pages with maths."""
    if doctree is None or "script_files" not in context:
        return
    if any(True for _ in doctree.findall(lambda n: isinstance(n, (nodes.math, nodes.math_block)))):
        return
    context["script_files"] = [js for js in context["script_files"] if not _is_mathjax(app, js)]


# --- 6. no stylesheets from other hosts in notebook outputs ------------------------------

_REMOTE_STYLESHEET = re.compile(
    r"<link\b[^>]*\bhref=[\"']https?://[^\"']+[\"'][^>]*>", re.IGNORECASE)


def _drop_remote_stylesheets(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    for raw in list(doctree.findall(nodes.raw)):
        if "html" not in raw.get("format", "").split():
            continue
        text = raw.astext()
        cleaned = _REMOTE_STYLESHEET.sub("", text)
        if cleaned != text:
            logger.info("%s: removed a stylesheet link to another host from an output", docname)
            raw.children = [nodes.Text(cleaned)]


# --- 7. author-year labels in the bibliography -------------------------------------------

def _register_bibliography_style() -> None:
    from pybtex.plugin import find_plugin, register_plugin
    from pybtex.style.formatting.plain import Style as PlainStyle
    from pybtex.style.labels import BaseLabelStyle

    def surname(person) -> str:
        return " ".join(person.last_names).replace("{", "").replace("}", "")

    class AuthorYearLabels(BaseLabelStyle):
        """'Fukushima, 1980', 'Glorot and Bengio, 2010', 'LeCun et al., 1998'."""

        def format_labels(self, sorted_entries):
            for entry in sorted_entries:
                people = entry.persons.get("author") or entry.persons.get("editor") or []
                if not people:
                    names = entry.key
                elif len(people) == 1:
                    names = surname(people[0])
                elif len(people) == 2:
                    names = f"{surname(people[0])} and {surname(people[1])}"
                else:
                    names = f"{surname(people[0])} et al."
                yield f"{names}, {entry.fields.get('year', 'n.d.')}"

    class CourseStyle(PlainStyle):
        default_label_style = "course-author-year"

    try:
        find_plugin("pybtex.style.formatting", "course")
    except Exception:
        register_plugin("pybtex.style.labels", "course-author-year", AuthorYearLabels)
        register_plugin("pybtex.style.formatting", "course", CourseStyle)


STUDENT_DIR = "_static/student"


def _student_button(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """Add "student .ipynb" to a chapter page's download menu (built by sphinx-book-theme)."""
    if not pagename.startswith("notebooks/"):
        return
    for group in context.get("header_buttons", []):
        if group.get("label") == "download-buttons":
            group["buttons"].insert(1, {
                "type": "link", "text": "student .ipynb", "icon": "fas fa-pencil-alt",
                "url": context["pathto"](f"{STUDENT_DIR}/{Path(pagename).name}.ipynb", 1),
                "tooltip": "Download the exercise version: solutions replaced by what to write",
                "label": "download-student-button"})


def _write_student_versions(app: Sphinx, exception) -> None:
    """Write the chapters' student versions next to the built pages."""
    if exception is not None or app.builder.format != "html":
        return
    import importlib.util
    import sys

    root = Path(app.srcdir)
    spec = importlib.util.spec_from_file_location("course_student", root / "tools" / "student.py")
    student = sys.modules[spec.name] = importlib.util.module_from_spec(spec)   # dataclasses need it
    spec.loader.exec_module(student)
    student.make_versions(root / "notebooks", Path(app.outdir) / STUDENT_DIR, verbose=False)


def setup(app: Sphinx) -> dict:
    _register_bibliography_style()
    app.add_directive("execution-statistics", ExecutionStatistics)
    app.connect("source-read", _fold_solutions)
    app.connect("source-read", _substitute_repository)
    app.connect("source-read", _substitute_modules)
    app.connect("env-get-outdated", _always_reread_api)
    app.connect("html-page-context", _drop_thebe)
    # After sphinx.ext.mathjax (priority 500) has added MathJax to the page.
    app.connect("html-page-context", _drop_unused_mathjax, priority=900)
    app.connect("doctree-resolved", _drop_remote_stylesheets)
    # After sphinx-book-theme (priority 501) has made the download menu.
    app.connect("html-page-context", _student_button, priority=600)
    app.connect("build-finished", _write_student_versions)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
