"""The static HTML report: a page per question, every link and image resolving, valid
nesting, `lang` on every Korean text, experiments run once and shown where they belong."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import numpy as np
import pytest

from groundup.lab import registry
from groundup.lab.bank import load_bank
from groundup.lab.registry import ExperimentResult, Table, experiment, new_figure
from groundup.lab.report import (
    ReportError,
    ReportSummary,
    build_report,
    png_size,
    source_location,
)
from groundup.lab.schema import has_hangul

BANK = load_bank()
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}
BLOCK = {"div", "p", "ul", "ol", "table", "section", "article", "figure", "h1", "h2", "h3"}


# ------------------------------------------------------------------- html checking
@dataclass
class Page:
    path: Path
    doctype: str = ""
    errors: list[str] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    images: list[dict[str, str]] = field(default_factory=list)
    headings: list[tuple[str, str, str]] = field(default_factory=list)  # (tag, id, text)
    langs: set[str] = field(default_factory=set)
    text: str = ""


class Checker(HTMLParser):
    """Walks a page with the stdlib parser: tags must nest and close, no block inside <p>,
    and every run of Korean text must sit inside an element with lang="ko"."""

    def __init__(self, page: Page):
        super().__init__(convert_charrefs=True)
        self.page = page
        self.stack: list[tuple[str, str]] = []  # (tag, effective language)
        self.heading: list[str] | None = None
        self.texts: list[str] = []

    def handle_decl(self, decl: str) -> None:
        self.page.doctype = decl

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        line = self.getpos()[0]
        if tag in BLOCK and any(t == "p" for t, _ in self.stack):
            self.page.errors.append(f"line {line}: <{tag}> inside <p>")
        if "id" in a:
            self.page.ids.append(a["id"])
        if "lang" in a:
            self.page.langs.add(a["lang"])
        if tag == "a" and "href" in a:
            self.page.links.append(a["href"])
        if tag == "link" and "href" in a and a.get("rel") == "stylesheet":
            self.page.links.append(a["href"])
        if tag == "img":
            self.page.images.append(a)
        if tag in ("h1", "h2", "h3"):
            self.heading = [tag, a.get("id", "")]
            self.texts = []
        if tag not in VOID:
            lang = a.get("lang") or (self.stack[-1][1] if self.stack else "")
            self.stack.append((tag, lang))

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if not self.stack or self.stack[-1][0] != tag:
            top = self.stack[-1][0] if self.stack else "nothing"
            self.page.errors.append(f"line {self.getpos()[0]}: </{tag}> closes <{top}>")
            return
        self.stack.pop()
        if tag in ("h1", "h2", "h3") and self.heading is not None:
            text = " ".join("".join(self.texts).split())
            self.page.headings.append((tag, self.heading[1], text))
            self.heading = None

    def handle_data(self, data: str) -> None:
        self.page.text += data
        if self.heading is not None:
            self.texts.append(data)
        lang = self.stack[-1][1] if self.stack else ""
        if has_hangul(data) and lang != "ko":
            where = "/".join(t for t, _ in self.stack)
            self.page.errors.append(f"Korean text in lang={lang!r} ({where}): {data[:40]!r}")

    def close(self) -> None:
        super().close()
        if self.stack:
            self.page.errors.append(f"unclosed: {[t for t, _ in self.stack]}")


def targets(page: Page) -> list[str]:
    """The page's links as `file name#fragment` of what they point at, wherever written."""
    out = []
    for href in page.links:
        url = urlsplit(href)
        name = Path(url.path).name if url.path else page.path.name
        out.append(f"{name}#{url.fragment}" if url.fragment else name)
    return out


def parse(path: Path) -> Page:
    page = Page(path)
    checker = Checker(page)
    checker.feed(path.read_text(encoding="utf-8"))
    checker.close()
    return page


def check_site(root: Path) -> dict[Path, Page]:
    """Parse every page; assert structure, links (with fragments) and images."""
    pages = {p: parse(p) for p in sorted(root.rglob("*.html"))}
    for path, page in pages.items():
        assert page.errors == [], f"{path}: {page.errors[:5]}"
        assert page.doctype.lower() == "doctype html", path
        assert [h for h in page.headings if h[0] == "h1"], f"{path}: no h1"
        assert len([h for h in page.headings if h[0] == "h1"]) == 1, path
        assert all(i for t, i, _ in page.headings if t == "h2"), f"{path}: h2 without id"
        assert len(page.ids) == len(set(page.ids)), f"{path}: duplicate ids"
        assert page.langs <= {"en", "ko"} and "ko" in page.langs, path
        for href in page.links:
            url = urlsplit(href)
            if url.scheme or href.startswith("data:"):
                continue
            target = (path.parent / unquote(url.path)).resolve() if url.path else path
            assert target.is_file(), f"{path}: broken link {href}"
            assert root.resolve() in target.parents, f"{path}: link leaves the site: {href}"
            if url.fragment and target.suffix == ".html":
                assert url.fragment in pages[target].ids, f"{path}: no #{url.fragment} in {href}"
        for img in page.images:
            file = path.parent / img["src"]
            assert file.is_file(), f"{path}: missing image {img['src']}"
            assert png_size(file) == (int(img["width"]), int(img["height"]))
            assert img.get("alt"), f"{path}: image without alt text"
    return pages


def test_the_checker_catches_bad_pages(tmp_path: Path) -> None:
    bad = tmp_path / "bad.html"
    bad.write_text(
        '<!doctype html><html lang="en"><body><p>안녕 <div>x</div></p><ul><li>a</ul>'
        '<span lang="ko">좋아</span></body></html>'
    )
    errors = parse(bad).errors
    assert any("<div> inside <p>" in e for e in errors)
    assert any("Korean text in lang='en'" in e and "안녕" in e for e in errors)
    assert any("</ul> closes <li>" in e for e in errors)
    assert not any("좋아" in e for e in errors)


# ------------------------------------------------------------ the real question bank
@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ReportSummary]:
    out = tmp_path_factory.mktemp("report") / "site"
    summary = build_report(out, only=["init.zero-symmetry"])
    return out, summary


@pytest.fixture(scope="module")
def pages(site: tuple[Path, ReportSummary]) -> dict[Path, Page]:
    return check_site(site[0])


def test_every_question_has_a_page_and_the_index_links_them_all(
    site: tuple[Path, ReportSummary], pages: dict[Path, Page]
) -> None:
    out, _ = site
    assert sorted(p.stem for p in (out / "questions").glob("*.html")) == sorted(BANK.ids())
    index = pages[out / "index.html"]
    linked = {h.split("/")[-1].removesuffix(".html") for h in index.links if "questions/" in h}
    assert linked >= set(BANK.ids())
    for topic in BANK.topics():
        assert f"topic-{topic}" in index.ids and f"#topic-{topic}" in index.links
    assert (out / "style.css").stat().st_size > 500


def test_question_page_has_both_languages_sections_and_follow_ups(
    site: tuple[Path, ReportSummary], pages: dict[Path, Page]
) -> None:
    out, _ = site
    q = BANK["init.zero-init"]
    page = pages[(out / "questions" / f"{q.id}.html").resolve()]
    h1 = next(text for tag, _, text in page.headings if tag == "h1")
    assert q.question.en in h1 and q.question.ko in h1
    h2 = {i for tag, i, _ in page.headings if tag == "h2"}
    assert h2 == {
        "answer",
        "key-points",
        "common-mistake",
        "experiments",
        "follow-ups",
        "code",
        "references",
    }
    flat = " ".join(page.text.split())
    assert q.key_points is not None
    for text in (q.answer.en, q.answer.ko, *q.key_points.en, *q.key_points.ko):
        assert " ".join(text.split()) in flat
    for child in BANK.children(q.id):
        assert f"{child.id}.html" in targets(page)
    assert f"{q.parent}.html" in targets(page)
    assert re.search(r"groundup/nn/init\.py:\d+", flat)


def test_follow_up_tree_lists_every_descendant(
    site: tuple[Path, ReportSummary], pages: dict[Path, Page]
) -> None:
    out, _ = site
    page = pages[(out / "questions" / "mlp.gd-easy.html").resolve()]
    for q in BANK.descendants("mlp.gd-easy"):
        assert f"{q.id}.html" in targets(page)


def test_experiment_results_and_figures_on_every_linked_page(
    site: tuple[Path, ReportSummary], pages: dict[Path, Page]
) -> None:
    out, summary = site
    view = summary.experiments["init.zero-symmetry"]
    assert view.status == "passed" and view.claims_held == 4
    assert summary.ok
    figure = out / "figures" / "init.zero-symmetry" / "zero_symmetry.png"
    for qid in registry.get_experiment("init.zero-symmetry").questions:
        page = pages[(out / "questions" / f"{qid}.html").resolve()]
        assert "exp-init.zero-symmetry" in page.ids
        assert [(page.path.parent / i["src"]).resolve() for i in page.images] == [figure.resolve()]
        assert "PASS constant_units_stay_identical" in " ".join(page.text.split())
        assert "final_loss" in page.text
    # an experiment this build did not run says how to run it
    other = next(v for v in summary.experiments.values() if v.status == "not-run")
    page = pages[(out / "questions" / f"{other.questions[0]}.html").resolve()]
    assert f"groundup lab run {other.id}" in page.text


def test_ids_in_answers_become_links(
    site: tuple[Path, ReportSummary], pages: dict[Path, Page]
) -> None:
    out, _ = site
    assert "init.zero-symmetry" in BANK["init.zero-init"].answer.ko  # followed by a particle
    page = pages[(out / "questions" / "init.zero-init.html").resolve()]
    assert targets(page).count("init.zero-init.html#exp-init.zero-symmetry") >= 2  # en, ko


# -------------------------------------------------------------- a small test bank
TOY_BANK = """\
topic: toy
id_prefix: toy
title: {ko: 장난감 주제, en: Toy topic}
questions:
  - id: toy.root
    difficulty: easy
    tags: [basics]
    question:
      ko: "뿌리 질문 <b>굵게</b>?"
      en: "Root question with <script>alert(1)</script> & more?"
    answer:
      ko: 답은 toy.child 와 toytest.shared 를 보라.
      en: "See toy.child and toytest.shared; toy.childish and groundup.toy.root are not ids."
    key_points: {ko: [첫째], en: [first]}
    code: [groundup.nn.init.zeros_]
    experiments: [toytest.shared]
  - id: toy.child
    parent: toy.root
    difficulty: hard
    tags: [basics]
    question: {ko: 꼬리 질문?, en: Follow-up question?}
    answer: {ko: 꼬리 답., en: Follow-up answer.}
    experiments: [toytest.shared, toytest.crash]
  - id: toy.other
    difficulty: medium
    tags: [basics]
    question: {ko: 다른 질문?, en: Another question?}
    answer: {ko: 다른 답., en: Another answer.}
    common_mistake: {ko: 흔한 실수., en: A common mistake.}
    experiments: [toytest.fails]
    planned_experiments: [toytest.later]
"""


@pytest.fixture
def toy(tmp_path: Path) -> Iterator[dict[str, list[str]]]:
    """A three-question bank with a shared, a failing and a crashing experiment."""
    (tmp_path / "bank").mkdir()
    (tmp_path / "bank" / "toy.yaml").write_text(TOY_BANK, encoding="utf-8")
    calls: dict[str, list[str]] = {"shared": [], "fails": []}

    def make(name: str, holds: bool, questions: list[str]) -> None:
        @experiment(
            id=f"toytest.{name}", questions=questions, title=f"{name} <i>", sizes=("quick",)
        )
        def fn(seed: int, size: str) -> ExperimentResult:
            calls[name].append(size)
            r = ExperimentResult(
                metrics=Table([{"step": 1, "loss": np.float32(0.25), "name": "<x>", "gap": None}])
            )
            r.claim("holds", holds, "it holds & <b>bold</b> is escaped")
            fig = new_figure(2, 1)
            fig.subplots().plot([0, 1])
            r.add_figure("curve", fig)
            return r

    make("shared", True, ["toy.root", "toy.child"])
    make("fails", False, ["toy.other"])

    @experiment(id="toytest.crash", questions=["toy.child"], title="crash")
    def crash(seed: int, size: str) -> ExperimentResult:
        raise RuntimeError("the experiment broke")

    yield calls
    for eid in ("toytest.shared", "toytest.fails", "toytest.crash"):
        registry.unregister(eid)


def build_toy(
    tmp_path: Path, size: str = "quick", only: list[str] | None = None
) -> tuple[Path, ReportSummary, list[str]]:
    out, messages = tmp_path / "site", list[str]()
    bank = load_bank(tmp_path / "bank")
    summary = build_report(out, size=size, only=only, bank=bank, progress=messages.append)
    return out, summary, messages


def test_shared_experiment_runs_once_and_failures_are_shown(
    tmp_path: Path, toy: dict[str, list[str]]
) -> None:
    out, summary, messages = build_toy(tmp_path, size="full")
    assert toy["shared"] == ["quick"]  # once, at quick: the only size it has
    assert not summary.ok
    status = {e: v.status for e, v in summary.experiments.items()}
    assert status == {
        "toytest.shared": "passed",
        "toytest.crash": "error",
        "toytest.fails": "failed",
    }
    assert (
        messages[1].startswith("[2/3] ERROR toytest.crash")
        and "the experiment broke" in messages[1]
    )
    pages = check_site(out)
    q = {p.stem: page for p, page in pages.items()}
    for qid in ("toy.root", "toy.child"):
        assert [i["src"] for i in q[qid].images] == ["../figures/toytest.shared/curve.png"]
    assert "RuntimeError: the experiment broke" in q["toy.child"].text
    assert "FAIL holds" in " ".join(q["toy.other"].text.split())
    assert "toytest.later" in q["toy.other"].text
    index = q["index"]
    assert "a claim failed" in index.text and "error" in index.text
    text = summary.describe()
    assert "FAIL toytest.fails: holds" in text and "ERROR toytest.crash: RuntimeError" in text


def test_text_is_escaped_and_ids_are_linked(tmp_path: Path, toy: dict[str, list[str]]) -> None:
    out, _, _ = build_toy(tmp_path, only=["toytest.shared"])
    html = (out / "questions" / "toy.root.html").read_text()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in html
    assert "<b>" not in html and "&lt;b&gt;bold&lt;/b&gt;" in html
    assert "shared &lt;i&gt;" in html and "<td>&lt;x&gt;</td>" in html
    assert '<td class="num">1</td><td class="num">0.25</td>' in html and "<td>–</td>" in html
    page = parse(out / "questions" / "toy.root.html")
    assert "toy.root.html#exp-toytest.shared" in targets(page)
    assert not any("childish" in h or "groundup.toy" in h for h in page.links)
    # the English and Korean answers, "also answers" under the experiment, the follow-up tree
    assert targets(page).count("toy.child.html") == 4
    check_site(out)


def test_skipping_experiments_runs_nothing(tmp_path: Path, toy: dict[str, list[str]]) -> None:
    out, summary, messages = build_toy(tmp_path, only=[])
    assert toy == {"shared": [], "fails": []} and messages == [] and summary.ok
    assert not (out / "figures").exists()
    assert "Not run in this build" in (out / "questions" / "toy.root.html").read_text()
    check_site(out)


def test_output_folder_rules(tmp_path: Path, toy: dict[str, list[str]]) -> None:
    out, _, _ = build_toy(tmp_path, only=[])
    stale = out / "questions" / "removed.html"
    stale.write_text("old")
    build_toy(tmp_path, only=[])  # a folder the report wrote is rebuilt from scratch
    assert not stale.exists() and (out / "questions" / "toy.root.html").exists()
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "keep.txt").write_text("x")
    bank = load_bank(tmp_path / "bank")
    with pytest.raises(ReportError, match="is not empty and holds no earlier report"):
        build_report(tmp_path / "other", bank=bank, only=())
    assert (tmp_path / "other" / "keep.txt").read_text() == "x"
    (tmp_path / "file").write_text("x")
    with pytest.raises(ReportError, match="is not a folder"):
        build_report(tmp_path / "file", bank=bank, only=())
    with pytest.raises(ReportError, match="not an experiment of this question bank: nope.x"):
        build_report(tmp_path / "new", bank=bank, only=["nope.x"])
    assert not (tmp_path / "new").exists()


# --------------------------------------------------------------------- helpers
def test_source_location_names_file_and_line() -> None:
    where = source_location("groundup.nn.init.zeros_")
    file, line = where.split(":")
    assert file == "groundup/nn/init.py"
    source = Path(registry.__file__).parents[1] / "nn" / "init.py"
    assert source.read_text().splitlines()[int(line) - 1].startswith("def zeros_")
    assert source_location("groundup.nn.init") == "groundup/nn/init.py:1"
    assert source_location("groundup.nn.init.no_such_thing") == ""


def test_png_size_reads_the_header(tmp_path: Path) -> None:
    fig = new_figure(3, 2)
    fig.savefig(tmp_path / "f.png", dpi=50)
    assert png_size(tmp_path / "f.png") == (150, 100)
    (tmp_path / "x.png").write_text("not a png at all, just text")
    with pytest.raises(ReportError, match="not a PNG"):
        png_size(tmp_path / "x.png")
