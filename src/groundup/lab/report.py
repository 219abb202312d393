"""The lab's static HTML report: one page per question, an index by topic.

    build_report("runs/lab-report")        # what `groundup lab report --out ...` does

Layout of the site (every link is relative, so the folder can be moved or served as is):

    index.html                  topics, their question trees, every experiment's status
    style.css
    questions/<question id>.html
    figures/<experiment id>/<figure name>.png

Each experiment runs once, however many questions link to it; its figures, metrics and
claims appear on the page of every question it answers. Pages are rendered by the Jinja2
templates in `templates/` with autoescaping on.
"""

from __future__ import annotations

import inspect
import re
import shutil
import struct
import time
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from groundup.lab.bank import QuestionBank, load_bank, resolve_code_path
from groundup.lab.registry import Experiment, _cell, all_experiments, run
from groundup.lab.schema import Question

TEMPLATES = Path(__file__).parent / "templates"
MARKER = ".groundup-lab-report"  # marks a folder this module wrote, so it may rewrite it
# what a build writes, so what a rebuild may delete: a name -> the layout under it, one
# glob per level ("*/" a folder); () is a plain file
LAYOUT: dict[str, tuple[str, ...]] = {
    "index.html": (),
    "style.css": (),
    "questions": ("*.html",),
    "figures": ("*/", "*.png"),
}
OWNED = tuple(LAYOUT)


class ReportError(ValueError):
    """The report cannot be built as asked (bad output folder, unknown experiment)."""


@dataclass
class FigureView:
    name: str
    src: str  # relative to the site root
    width: int
    height: int


@dataclass
class ExperimentView:
    """What a page shows of an experiment: plain strings, no live figures."""

    id: str
    title: str
    questions: tuple[str, ...]
    status: str = "not-run"  # passed | failed | error | not-run
    size: str = ""
    seed: int = 0
    seconds: float = 0.0
    claims: list[tuple[str, bool, str]] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    rows: list[list[tuple[str, bool]]] = field(default_factory=list)  # (text, is number)
    figures: list[FigureView] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: str = ""

    @property
    def claims_held(self) -> int:
        return sum(ok for _, ok, _ in self.claims)


@dataclass
class ReportSummary:
    out: Path
    pages: int
    experiments: dict[str, ExperimentView]
    seconds: float

    @property
    def ok(self) -> bool:
        """No experiment failed a claim or raised."""
        return all(v.status in ("passed", "not-run") for v in self.experiments.values())

    def describe(self) -> str:
        views = self.experiments.values()
        counts = {s: sum(v.status == s for v in views) for s in ("passed", "failed", "error")}
        figures = sum(len(v.figures) for v in views)
        ran = sum(counts.values())
        lines = [
            f"wrote {self.pages} question pages and {ran} of {len(views)} experiments "
            f"({counts['passed']} passed, {counts['failed']} failed, {counts['error']} raised; "
            f"{figures} figure{'' if figures == 1 else 's'}) to {self.out} in {self.seconds:.1f} s",
            f"open {self.out / 'index.html'}",
        ]
        for v in views:
            if v.status in ("failed", "error"):
                what = v.error or ", ".join(n for n, ok, _ in v.claims if not ok)
                lines.append(f"{'FAIL' if v.status == 'failed' else 'ERROR'} {v.id}: {what}")
        return "\n".join(lines)


# ------------------------------------------------------------------------- building
def question_experiments(q: Question, experiments: dict[str, Experiment]) -> list[str]:
    """Registered experiments of a question: those it lists, then any other that cites it."""
    ids = [e for e in q.experiments if e in experiments]
    return ids + [e for e, exp in experiments.items() if q.id in exp.questions and e not in ids]


def build_report(
    out: str | Path,
    *,
    size: str = "quick",
    seed: int = 0,
    only: Collection[str] | None = None,
    bank: QuestionBank | None = None,
    progress: Callable[[str], Any] | None = None,
) -> ReportSummary:
    """Run the experiments (all, or the ids in `only`; `()` runs none) and write the site."""
    start = time.perf_counter()
    bank = bank if bank is not None else load_bank()
    registered = {e.id: e for e in all_experiments()}
    linked: dict[str, list[str]] = {q.id: question_experiments(q, registered) for q in bank}
    ids = list(dict.fromkeys(e for q in bank for e in linked[q.id]))  # each once
    if only is not None:
        unknown = sorted(set(only) - set(ids))
        if unknown:
            raise ReportError(f"not an experiment of this question bank: {', '.join(unknown)}")
    out = Path(out)
    _prepare(out)
    views = {e: ExperimentView(e, registered[e].title, registered[e].questions) for e in ids}
    to_run = [e for e in ids if only is None or e in only]
    for i, eid in enumerate(to_run):
        _run(views[eid], registered[eid], out, size, seed)
        if progress is not None:
            progress(f"[{i + 1}/{len(to_run)}] {_status_line(views[eid])}")
    pages = _write_site(out, bank, linked, views, {"size": size, "seed": seed})
    (out / MARKER).write_text("written by `groundup lab report`; rebuilding replaces it\n")
    return ReportSummary(out, pages, views, time.perf_counter() - start)


def _prepare(out: Path) -> None:
    """Make `out` an empty report folder. Only a folder this module wrote is cleared, only
    of the names it writes, and only when they hold nothing but what a build writes (no
    symbolic link, no file of anyone else's): `--out .` or a typo never deletes anyone's
    files, and a refusal leaves the folder as it was."""
    if out.exists() and not out.is_dir():
        raise ReportError(f"{out} exists and is not a folder")
    if out.is_dir() and any(out.iterdir()):
        if not (out / MARKER).exists():
            raise ReportError(
                f"{out} is not empty and holds no earlier report; choose a new or empty folder"
            )
        present = [out / n for n in OWNED if (out / n).exists() or (out / n).is_symlink()]
        for path in present:  # everything is checked before anything is deleted
            foreign = _foreign(path, LAYOUT[path.name])
            if foreign is not None:
                raise ReportError(
                    f"{out} holds {foreign} ({_kind(foreign)}), which no report writes; "
                    "nothing was deleted: move it out of the folder or choose another --out"
                )
        for path in present:
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
    (out / "questions").mkdir(parents=True, exist_ok=True)


def _foreign(path: Path, layout: tuple[str, ...]) -> Path | None:
    """The first entry at or under `path` that does not fit `layout` (see LAYOUT), or None.
    A symbolic link never fits: deleting through one would reach outside the report."""
    if path.is_symlink():
        return path
    if not layout:
        return None if path.is_file() else path
    if not path.is_dir():
        return path
    pattern, rest = layout[0], layout[1:]
    for child in sorted(path.iterdir()):
        if not child.match(pattern.rstrip("/")):
            return child
        found = _foreign(child, rest) if pattern.endswith("/") else _foreign(child, ())
        if found is not None:
            return found
    return None


def _kind(path: Path) -> str:
    if path.is_symlink():
        return "a symbolic link"
    return "a folder" if path.is_dir() else "a file"


def _run(view: ExperimentView, exp: Experiment, out: Path, size: str, seed: int) -> None:
    """Run one experiment into `view`; a crash is recorded on the page, not raised."""
    view.size = size if size in exp.sizes else exp.sizes[0]
    view.seed = seed
    start = time.perf_counter()
    try:
        result = run(exp.id, seed=seed, size=view.size, figure_dir=out / "figures")
    except Exception as e:  # a broken experiment must not take the whole site down
        view.status, view.error = "error", f"{type(e).__name__}: {e}"
        view.seconds = time.perf_counter() - start
        return
    view.seconds = time.perf_counter() - start
    view.status = "passed" if result.passed else "failed"
    view.claims = [(n, ok, result.statements[n]) for n, ok in result.claims.items()]
    view.columns = list(result.metrics.columns)
    view.rows = [[_table_cell(row.get(c, "")) for c in view.columns] for row in result.metrics]
    view.notes = list(result.notes)
    for name in result.figures:
        src = f"figures/{exp.id}/{name}.png"
        width, height = png_size(out / src)
        view.figures.append(FigureView(name, src, width, height))


def _table_cell(value: Any) -> tuple[str, bool]:
    """(text, is a number) of a metrics cell; a missing value (None) shows as a dash."""
    if value is None:
        return "–", False
    number = isinstance(value, int | float) and not isinstance(value, bool)
    return _cell(value), number or (hasattr(value, "dtype") and value.dtype.kind in "iuf")


def _status_line(view: ExperimentView) -> str:
    if view.status == "error":
        return f"ERROR {view.id} ({view.seconds:.1f} s): {view.error}"
    mark = "PASS" if view.status == "passed" else "FAIL"
    return (
        f"{mark} {view.id}: {view.claims_held}/{len(view.claims)} claims hold "
        f"({view.seconds:.1f} s, {view.size})"
    )


def png_size(path: Path) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR chunk."""
    with path.open("rb") as f:
        head = f.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        raise ReportError(f"{path} is not a PNG file")
    width, height = struct.unpack(">II", head[16:24])
    return int(width), int(height)


# -------------------------------------------------------------------------- writing
@dataclass
class Node:
    """A question in a follow-up tree."""

    q: Question
    experiments: int
    children: list[Node]


def _write_site(
    out: Path,
    bank: QuestionBank,
    linked: dict[str, list[str]],
    views: dict[str, ExperimentView],
    build: dict[str, Any],
) -> int:
    env = _environment(bank, linked)
    shutil.copyfile(TEMPLATES / "style.css", out / "style.css")

    def tree(q: Question, within: set[str] | None = None) -> Node:
        """`q` and its follow-ups (only those in `within`, when given)."""
        kids = [tree(c, within) for c in bank.children(q.id) if within is None or c.id in within]
        return Node(q, len(linked[q.id]), kids)

    topics = []
    for topic in bank.topics():
        members = {q.id for q in bank.by_topic(topic)}
        roots = [q for q in bank.by_topic(topic) if q.parent is None or q.parent not in members]
        nodes = [tree(q, members) for q in roots]
        topics.append({"name": topic, "title": bank.topic_title(topic), "nodes": nodes})
    common = {"build": build, "bank": bank}
    index = env.get_template("index.html").render(
        root="", topics=topics, experiments=list(views.values()), count=len(bank), **common
    )
    (out / "index.html").write_text(index, encoding="utf-8")
    page = env.get_template("question.html")
    for q in bank:
        html = page.render(
            root="../",
            q=q,
            topic=bank.topic_of(q.id),
            topic_title=bank.topic_title(bank.topic_of(q.id)),
            chain=bank.chain(q.id),
            follow_ups=[tree(c) for c in bank.children(q.id)],
            experiments=[views[e] for e in linked[q.id]],
            code=[(path, source_location(path)) for path in q.code],
            **common,
        )
        (out / "questions" / f"{q.id}.html").write_text(html, encoding="utf-8")
    return len(bank)


@cache
def source_location(path: str) -> str:
    """`groundup/nn/init.py:120` for a dotted code path ('' when it cannot be found)."""
    try:
        obj = resolve_code_path(path)
        file = inspect.getsourcefile(obj)
        line = 1 if inspect.ismodule(obj) else inspect.getsourcelines(obj)[1]
    except (ImportError, AttributeError, TypeError, OSError):
        return ""
    if file is None:
        return ""
    parts = Path(file).parts
    where = "/".join(parts[len(parts) - parts[::-1].index("groundup") - 1 :])
    return f"{where}:{line}"


def _environment(bank: QuestionBank, linked: dict[str, list[str]]) -> Any:
    import jinja2
    from markupsafe import Markup, escape

    # an experiment's anchor is on the page of the first question that links to it
    home: dict[str, str] = {}
    for qid, eids in linked.items():
        for eid in eids:
            home.setdefault(eid, qid)
    pattern = _id_pattern([*bank.ids(), *home])

    def linkify(text: str, root: str) -> Markup:
        """Escape `text` and turn every question or experiment id in it into a link."""

        def link(m: re.Match[str]) -> str:
            name = m.group(0)
            href = f"{root}questions/{name}.html"
            if name in home and name not in bank:
                href = f"{root}questions/{home[name]}.html#exp-{name}"
            return f'<a href="{href}"><code>{name}</code></a>'

        return Markup(pattern.sub(link, str(escape(text))))

    def paragraphs(text: str, root: str) -> Markup:
        parts = [p for p in re.split(r"\n\s*\n", text) if p.strip()]
        return Markup("\n".join(f"<p>{linkify(p, root)}</p>" for p in parts))

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["linkify"] = linkify
    env.filters["paragraphs"] = paragraphs
    env.globals["home"] = home
    return env


def _id_pattern(ids: Iterable[str]) -> re.Pattern[str]:
    """Matches whole ids only: not inside a longer id, a file name or a dotted path. The
    boundaries are ASCII, so an id followed by a Korean particle (`init.he의`) still matches."""
    alternatives = "|".join(re.escape(i) for i in sorted(set(ids), key=len, reverse=True))
    alternatives = alternatives or "(?!)"  # no ids: match nothing
    return re.compile(rf"(?<![A-Za-z0-9_.-])(?:{alternatives})(?![A-Za-z0-9_-]|\.[A-Za-z0-9_])")
