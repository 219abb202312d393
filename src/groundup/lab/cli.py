"""`groundup lab`: browse the interview question bank, run its experiments, build the report.

    groundup lab list --topic initialization --lang en
    groundup lab show init.zero-init --lang ko
    groundup lab run init.zero-symmetry --full         # or a question id: all its experiments
    groundup lab report --out runs/lab-report          # then open runs/lab-report/index.html
    groundup lab drill --topic optimization            # practise: graded, scheduled (FSRS)
    groundup lab interview --minutes 20                # a mock interview down follow-up chains
    groundup lab progress --figure progress.png        # per topic: seen, due, recall; streak
    groundup lab export --format anki --out lab.apkg   # also csv (history) and markdown

`run` and `report` exit with status 1 when a claim fails; an unknown id is one line on
stderr with the closest ids, and status 1.
"""

from __future__ import annotations

import argparse
import difflib
import functools
import os
import shutil
import sys
import time
import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from groundup.lab.bank import QuestionBank, load_bank
from groundup.lab.registry import Experiment, ExperimentError, all_experiments, run
from groundup.lab.report import ReportError, build_report, question_experiments
from groundup.lab.schema import Question

EXIT_FAILED = 1
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as git and the shell report it
LANGS = ("en", "ko")
DEFAULT_RUN_DIR = Path("runs/lab")


class LabError(ValueError):
    """A user error of `groundup lab` (unknown id, topic, ...): printed as one line."""


# ------------------------------------------------------------------------------ parser
def add_parser(commands: Any) -> None:
    """Add `lab` and its subcommands to the `groundup` subcommand set `commands`."""
    lab = commands.add_parser(
        "lab",
        help="interview questions, their experiments and the HTML report",
        description=__doc__.split("`groundup lab`: ", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = lab.add_subparsers(dest="lab_command", required=True, parser_class=type(lab))

    list_ = sub.add_parser("list", help="question ids by topic, with difficulty and experiments")
    list_.add_argument("--topic", help="only this topic (e.g. initialization)")
    _lang_option(list_)
    list_.set_defaults(run=_pipe_safe(_list))

    show = sub.add_parser("show", help="a question: answer, key points, follow-ups, experiments")
    show.add_argument("id", help="a question id (see `groundup lab list`) or an experiment id")
    _lang_option(show)
    show.set_defaults(run=_pipe_safe(_show))

    run_ = sub.add_parser(
        "run", help="run experiments, print their metrics and claims, save their figures"
    )
    run_.add_argument(
        "ids",
        nargs="+",
        metavar="ID",
        help="an experiment id, or a question id (runs all its experiments)",
    )
    run_.add_argument("--full", action="store_true", help="the figure-quality size (slower)")
    run_.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    run_.add_argument(
        "--out", type=Path, default=DEFAULT_RUN_DIR, help=f"figure folder ({DEFAULT_RUN_DIR}/ID/)"
    )
    run_.set_defaults(run=_pipe_safe(_run))

    report = sub.add_parser("report", help="build the static HTML site of every question")
    report.add_argument("--out", type=Path, required=True, help="folder to write the site into")
    report.add_argument("--full", action="store_true", help="run experiments at full size")
    report.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    report.add_argument(
        "--skip-experiments", action="store_true", help="pages only: run no experiment"
    )
    report.set_defaults(run=_pipe_safe(_report))

    from groundup.lab.practice.commands import add_parsers as add_practice_parsers

    add_practice_parsers(sub)  # drill, interview, progress, export


def _lang_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--lang",
        default="en",
        type=_lang,
        help="en (default) | ko",
    )


def _lang(value: str) -> str:
    if value not in LANGS:
        raise argparse.ArgumentTypeError(f"unknown language {value!r}; choose from en, ko")
    return value


# ----------------------------------------------------------------------------- helpers
def _pipe_safe(command: Callable[[argparse.Namespace], int]) -> Callable[..., int]:
    """`groundup lab list | head` closes the pipe early: stop quietly, no error message."""

    @functools.wraps(command)
    def guarded(args: argparse.Namespace) -> int:
        try:
            status = command(args)
            sys.stdout.flush()  # a short output is still buffered: the pipe may break here
            return status
        except BrokenPipeError:
            # point stdout at /dev/null so the interpreter's final flush does not fail again
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return EXIT_BROKEN_PIPE

    return guarded


def _width() -> int:
    return max(60, min(shutil.get_terminal_size((100, 24)).columns, 120))


def display_width(text: str) -> int:
    """Terminal columns `text` takes: Hangul and other wide characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def clip(text: str, width: int) -> str:
    """`text` on one line, cut to `width` columns with an ellipsis if it is longer."""
    text = " ".join(text.split())
    if display_width(text) <= width:
        return text
    out, used = [], 0
    for c in text:
        used += display_width(c)
        if used > width - 1:
            break
        out.append(c)
    return "".join(out).rstrip() + "…"


def wrap(text: str, width: int, indent: str = "") -> list[str]:
    """Word-wrap by display width (textwrap counts a Hangul syllable as one column)."""
    lines, line = [], ""
    for word in text.split():
        candidate = f"{line} {word}" if line else word
        if line and display_width(indent + candidate) > width:
            lines.append(indent + line)
            candidate = word
        line = candidate
    if line:
        lines.append(indent + line)
    return lines


def _bank() -> QuestionBank:
    return load_bank()


def _experiments() -> dict[str, Experiment]:
    return {e.id: e for e in all_experiments()}


def _unknown(kind: str, name: str, known: Iterable[str]) -> LabError:
    """The error for an unknown name, with the closest known names (prefix matches first)."""
    known = list(known)
    hints = [k for k in known if k.startswith(name)][:3]
    hints += [k for k in difflib.get_close_matches(name, known, n=3, cutoff=0.5) if k not in hints]
    extra = f"; did you mean {', '.join(hints[:3])}?" if hints else ""
    return LabError(f"no {kind} {name!r}{extra}")


# ----------------------------------------------------------------------------- list
LABELS = {
    "en": {
        "questions": "{n} questions",
        "follow_up_of": "follow-up of",
        "key_points": "Key points",
        "mistake": "Common mistake",
        "follow_ups": "Follow-ups",
        "code": "Code",
        "experiments": "Experiments",
        "planned": "planned",
        "references": "References",
    },
    "ko": {
        "questions": "질문 {n}개",
        "follow_up_of": "앞선 질문",
        "key_points": "핵심",
        "mistake": "흔한 실수",
        "follow_ups": "꼬리 질문",
        "code": "코드",
        "experiments": "실험",
        "planned": "예정",
        "references": "참고 문헌",
    },
}


def _list(args: argparse.Namespace) -> int:
    bank, experiments = _bank(), _experiments()
    topics = bank.topics()
    if args.topic is not None:
        if args.topic not in topics:
            raise _unknown("topic", args.topic, topics)
        topics = [args.topic]
    width, label = _width(), LABELS[args.lang]
    trees = {t: _topic_rows(bank, t) for t in topics}
    id_width = max(2 * depth + len(q.id) for rows in trees.values() for depth, q in rows) + 2
    print(f"  {'id'.ljust(id_width)} {'level':<6} exp  question\n")
    run_ids: set[str] = set()
    for topic, rows in trees.items():
        title = bank.topic_title(topic).get(args.lang)
        print(clip(f"{topic} ({label['questions'].format(n=len(rows))}): {title}", width))
        for depth, q in rows:
            linked = question_experiments(q, experiments)
            run_ids.update(linked)
            name = ("  " * depth + q.id).ljust(id_width)
            head = f"  {name} {q.difficulty:<6} {len(linked) or '-':>3}  "
            print(head + clip(q.question.get(args.lang), width - len(head)))
        print()
    n_questions = sum(len(rows) for rows in trees.values())
    footer = (
        f"{n_questions} questions (follow-ups indented under their question), "
        f"{len(run_ids)} experiments. Read one: groundup lab show ID"
    )
    print("\n".join(wrap(footer, width)))
    return 0


def _topic_rows(bank: QuestionBank, topic: str) -> list[tuple[int, Question]]:
    """(depth, question) of a topic in tree order; a follow-up of another topic's question
    starts a tree of its own here."""
    members = {q.id for q in bank.by_topic(topic)}
    rows: list[tuple[int, Question]] = []

    def walk(q: Question, depth: int) -> None:
        rows.append((depth, q))
        for child in bank.children(q.id):
            if child.id in members:
                walk(child, depth + 1)

    for q in bank.by_topic(topic):
        if q.parent is None or q.parent not in members:
            walk(q, 0)
    return rows


# ----------------------------------------------------------------------------- show
def _show(args: argparse.Namespace) -> int:
    bank, experiments = _bank(), _experiments()
    if args.id not in bank:
        if args.id in experiments:
            return _show_experiment(experiments[args.id], bank, args.lang)
        raise _unknown("question or experiment", args.id, [*bank.ids(), *experiments])
    q, lang, width, label = bank[args.id], args.lang, _width(), LABELS[args.lang]
    topic = bank.topic_of(q.id)
    print(f"{q.id}  ·  {q.difficulty}  ·  {topic}: {bank.topic_title(topic).get(lang)}")
    print(f"tags: {', '.join(q.tags)}")
    chain = bank.chain(q.id)
    if len(chain) > 1:
        print(f"{label['follow_up_of']}: " + " > ".join(p.id for p in chain[:-1]))
    print()
    print("\n".join(wrap("Q. " + q.question.get(lang), width)))
    print()
    print("\n".join(wrap(q.answer.get(lang), width, "   ")))
    if q.key_points is not None:
        print(f"\n{label['key_points']}:")
        for point in getattr(q.key_points, lang):
            print(_bullet(point, width))
    if q.common_mistake is not None:
        print(f"\n{label['mistake']}:")
        print("\n".join(wrap(q.common_mistake.get(lang), width, "   ")))
    if bank.children(q.id):
        print(f"\n{label['follow_ups']}:")
        _print_tree(bank, q.id, lang, 1, width)
    if q.code or q.planned_code:
        print(f"\n{label['code']}:")
        for path in q.code:
            print(f"   {path}")
        for path in q.planned_code:
            print(f"   {path} ({label['planned']})")
    ids = question_experiments(q, experiments)
    if ids or q.planned_experiments:
        print(f"\n{label['experiments']}:")
        for eid in ids:
            print(f"   {eid}: {experiments[eid].title}")
        for eid in q.planned_experiments:
            print(f"   {eid} ({label['planned']})")
        if ids:
            print(f"   -> groundup lab run {q.id}")
    if q.references:
        print(f"\n{label['references']}:")
        for ref in q.references:
            print(_bullet(ref, width))
    return 0


def _bullet(text: str, width: int) -> str:
    lines = wrap(text, width, "   ")
    return "\n".join([" - " + lines[0][3:], *lines[1:]])


def _print_tree(bank: QuestionBank, qid: str, lang: str, depth: int, width: int) -> None:
    for child in bank.children(qid):
        head = "   " * depth + f"{child.id}  "
        print(head + clip(child.question.get(lang), width - display_width(head)))
        _print_tree(bank, child.id, lang, depth + 1, width)


def _show_experiment(exp: Experiment, bank: QuestionBank, lang: str) -> int:
    print(f"{exp.id}: {exp.title}")
    print(f"an experiment (sizes {', '.join(exp.sizes)}); run it: groundup lab run {exp.id}")
    print("it answers:")
    for qid in exp.questions:
        text = bank[qid].question.get(lang) if qid in bank else "(not in the question bank)"
        print(f"   {qid}  {clip(text, _width() - len(qid) - 5)}")
    return 0


# ----------------------------------------------------------------------------- run
def resolve_run_ids(ids: Iterable[str]) -> list[str]:
    """Experiment ids to run for `ids`: experiment ids as given, question ids expanded to
    their experiments, each once, in order. Unknown ids raise LabError."""
    bank, experiments = _bank(), _experiments()
    out: list[str] = []
    for name in ids:
        if name in experiments:
            found = [name]
        elif name in bank:
            found = question_experiments(bank[name], experiments)
            if not found:
                planned = bank[name].planned_experiments
                extra = f" (planned: {', '.join(planned)})" if planned else ""
                raise LabError(f"question {name!r} has no experiment yet{extra}")
        else:
            raise _unknown("experiment or question", name, [*experiments, *bank.ids()])
        out += [e for e in found if e not in out]
    return out


def _run(args: argparse.Namespace) -> int:
    size = "full" if args.full else "quick"
    ids = resolve_run_ids(args.ids)
    experiments = _experiments()
    for eid in ids:  # every problem is reported before anything runs
        if size not in experiments[eid].sizes:
            raise LabError(
                f"experiment {eid!r} has no {size} size (it has: "
                f"{', '.join(experiments[eid].sizes)})"
            )
    args.out.mkdir(parents=True, exist_ok=True)
    width, passed = _width(), 0
    for i, eid in enumerate(ids):
        if i:
            print("\n" + "=" * min(width, 80) + "\n")
        print(f"{eid}: {experiments[eid].title} (seed {args.seed}, {size})\n")
        start = time.perf_counter()
        try:
            result = run(eid, seed=args.seed, size=size, figure_dir=args.out)
        except ExperimentError as e:
            raise LabError(str(e)) from None
        seconds = time.perf_counter() - start
        print(result.metrics, end="\n\n")
        for name, ok in result.claims.items():
            head = f"{'PASS' if ok else 'FAIL'} {name}: "
            lines = wrap(head + result.statements[name], width, "     ")
            print("\n".join([lines[0][5:], *lines[1:]]))
        for note in result.notes:
            print("\n".join(wrap("note: " + note, width)))
        for name in result.figures:
            print(f"figure: {args.out / eid / name}.png")
        held = sum(result.claims.values())
        print(f"{eid}: {held}/{len(result.claims)} claims hold ({seconds:.1f} s)")
        passed += result.passed
    if len(ids) > 1:
        print(f"\n{passed}/{len(ids)} experiments: every claim holds")
    return 0 if passed == len(ids) else EXIT_FAILED


# ----------------------------------------------------------------------------- report
def _report(args: argparse.Namespace) -> int:
    try:
        summary = build_report(
            args.out,
            size="full" if args.full else "quick",
            seed=args.seed,
            only=() if args.skip_experiments else None,
            progress=print,
        )
    except ReportError as e:
        raise LabError(str(e)) from None
    print(summary.describe())
    return 0 if summary.ok else EXIT_FAILED
