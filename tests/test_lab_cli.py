"""`groundup lab list|show|run|report`: output, exit status, one-line errors."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from groundup.cli import main
from groundup.lab import registry
from groundup.lab.bank import load_bank
from groundup.lab.cli import EXIT_BROKEN_PIPE, clip, display_width, wrap
from groundup.lab.registry import ExperimentResult, Table, experiment, new_figure

BANK = load_bank()
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # `lab run` writes runs/lab/... here
    monkeypatch.setenv("COLUMNS", "100")


@pytest.fixture
def scratch() -> Iterator[list[str]]:
    """Experiment ids registered by a test, removed afterwards."""
    ids: list[str] = []
    yield ids
    for eid in ids:
        registry.unregister(eid)


def one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1, err
    return err


def register_demo(
    scratch: list[str], eid: str, *, fail: bool = False, sizes: tuple[str, ...] = ("quick", "full")
) -> list[int]:
    """A fast experiment with one figure; returns the list its calls are counted in."""
    calls: list[int] = []

    @experiment(id=eid, questions=["init.zero-ok-when"], title=f"demo {eid}", sizes=sizes)
    def demo(seed: int, size: str) -> ExperimentResult:
        calls.append(seed)
        r = ExperimentResult(
            metrics=Table([{"seed": seed, "size": size, "value": 0.5 * (seed + 1)}])
        )
        r.claim("always", True, "one equals one")
        r.claim("seed_small", not fail, "the seed is small enough " * 8)  # a long statement
        fig = new_figure(2, 1.5)
        fig.subplots().plot(np.arange(3))
        r.add_figure("line", fig)
        r.notes.append("a note about the setup")
        return r

    scratch.append(eid)
    return calls


# ---------------------------------------------------------------------------- help
@pytest.mark.parametrize("command", [[], ["list"], ["show"], ["run"], ["report"]])
def test_help_on_every_lab_command(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lab", *command, "--help"]) == 0
    out = capsys.readouterr().out
    assert "usage: groundup lab" in out
    expected = {
        "list": ["--topic", "--lang"],
        "show": ["--lang"],
        "run": ["--full", "--seed", "--out"],
        "report": ["--out", "--full", "--skip-experiments"],
    }.get(command[0] if command else "", ["list", "show", "run", "report"])
    for option in expected:
        assert option in out


def test_lab_needs_a_subcommand_and_a_known_language(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lab"]) == 2
    assert "required" in one_error_line(capsys)
    assert main(["lab", "list", "--lang", "fr"]) == 2
    assert "unknown language 'fr'; choose from en, ko" in one_error_line(capsys)


# ---------------------------------------------------------------------------- list
def listed_ids(out: str) -> list[str]:
    return [m.group(1) for m in re.finditer(r"^ +([a-z0-9]+\.[a-z0-9.-]+) ", out, re.M)]


def test_list_shows_every_question_once_grouped_by_topic(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["lab", "list"]) == 0
    out = capsys.readouterr().out
    assert sorted(listed_ids(out)) == sorted(BANK.ids())  # cross-topic follow-ups too
    for topic in BANK.topics():
        n = len(BANK.by_topic(topic))
        assert f"{topic} ({n} questions): {BANK.topic_title(topic).en[:40]}" in out
    assert f"{len(BANK)} questions" in out
    assert all(display_width(line) <= 100 for line in out.splitlines())


def test_list_rows_show_difficulty_experiments_and_indent_follow_ups(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["lab", "list", "--topic", "initialization"]) == 0
    out = capsys.readouterr().out
    assert sorted(listed_ids(out)) == sorted(q.id for q in BANK.by_topic("initialization"))
    rows = {m.group(2): m for m in re.finditer(r"^  ( *)(\S+) +(\w+) +(\S+)  (.*)$", out, re.M)}
    zero = BANK["init.zero-init"]
    row = rows["init.zero-init"]
    assert row.group(3) == zero.difficulty and int(row.group(4)) >= 1
    assert len(row.group(1)) == 2 * (len(BANK.chain(zero.id)) - 1)  # a follow-up of init.methods
    assert zero.question.en.startswith(row.group(5).rstrip("…"))


def test_list_in_korean(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lab", "list", "--topic", "initialization", "--lang", "ko"]) == 0
    out = capsys.readouterr().out
    count = len(BANK.by_topic("initialization"))
    assert f"initialization (질문 {count}개): {BANK.topic_title('initialization').ko}" in out
    assert clip(BANK["init.zero-init"].question.ko, 40)[:10] in out


def test_unknown_topic_suggests_close_ones(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lab", "list", "--topic", "init"]) == 1
    assert one_error_line(capsys) == (
        "groundup lab list: error: no topic 'init'; did you mean initialization?"
    )


# ---------------------------------------------------------------------------- show
def test_show_prints_every_part_of_a_question(capsys: pytest.CaptureFixture[str]) -> None:
    q = BANK["init.zero-init"]
    assert main(["lab", "show", q.id]) == 0
    out = capsys.readouterr().out
    flat = " ".join(out.split())
    assert out.startswith(f"{q.id}  ·  {q.difficulty}  ·  initialization: ")
    assert "follow-up of: init.methods" in out
    assert q.common_mistake is not None and q.key_points is not None
    for text in (q.question.en, q.answer.en, q.common_mistake.en, *q.key_points.en):
        assert " ".join(text.split()) in flat
    for child in BANK.descendants(q.id):
        assert child.id in out
    for part in (*q.code, *q.experiments, *q.references[:1], f"groundup lab run {q.id}"):
        assert part in flat
    assert all(display_width(line) <= 100 for line in out.splitlines())


def test_show_follow_ups_as_a_tree(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lab", "show", "mlp.gd-easy"]) == 0
    out = capsys.readouterr().out
    tree = out.split("Follow-ups:\n")[1].split("\n\n")[0].splitlines()
    depth = {line.split()[0]: (len(line) - len(line.lstrip())) // 3 for line in tree}
    assert depth["mlp.gd-why-gradient"] == 1 and depth["mlp.gd-loss-goes-up"] == 2
    assert set(depth) == {q.id for q in BANK.descendants("mlp.gd-easy")}


def test_show_in_korean_wraps_by_display_width(capsys: pytest.CaptureFixture[str]) -> None:
    q = BANK["init.zero-init"]
    assert main(["lab", "show", q.id, "--lang", "ko"]) == 0
    out = capsys.readouterr().out
    assert "핵심:" in out and "흔한 실수:" in out
    assert " ".join(q.answer.ko.split()) in " ".join(out.split())
    assert q.answer.en[:30] not in out
    widths = [display_width(line) for line in out.splitlines()]
    assert max(widths) <= 100 and max(widths) > 80  # filled, not cut at 50 characters


def test_show_an_experiment_id(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lab", "show", "init.zero-symmetry"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("init.zero-symmetry: Zero or constant initialization")
    assert "init.zero-init" in out


def test_show_unknown_id_suggests_close_matches(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lab", "show", "init.zero-int"]) == 1
    err = one_error_line(capsys)
    assert err.startswith("groundup lab show: error: no question or experiment 'init.zero-int'")
    assert "did you mean init.zero-init" in err


# ----------------------------------------------------------------------------- run
def test_run_prints_table_claims_and_saves_figures(
    scratch: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    calls = register_demo(scratch, "clitest.passes")
    assert main(["lab", "run", "clitest.passes", "--seed", "4"]) == 0
    out = capsys.readouterr().out
    assert calls == [4]
    assert out.startswith("clitest.passes: demo clitest.passes (seed 4, quick)")
    assert re.search(r"^seed +size +value$", out, re.M) and re.search(r"4 +quick +2.5", out)
    assert "PASS always: one equals one" in out and "PASS seed_small: the seed" in out
    assert all(display_width(line) <= 100 for line in out.splitlines())  # claims wrapped
    figure = Path("runs/lab/clitest.passes/line.png")
    assert f"figure: {figure}" in out and figure.read_bytes()[:8] == PNG
    assert "clitest.passes: 2/2 claims hold" in out


def test_run_exits_1_when_a_claim_fails(
    scratch: list[str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    register_demo(scratch, "clitest.passes")
    register_demo(scratch, "clitest.fails", fail=True)
    out_dir = tmp_path / "figs"
    args = ["lab", "run", "clitest.passes", "clitest.fails", "--full", "--out", str(out_dir)]
    assert main(args) == 1
    out = capsys.readouterr().out
    assert "FAIL seed_small" in out and "clitest.fails: 1/2 claims hold" in out
    assert "1/2 experiments: every claim holds" in out
    assert "(seed 0, full)" in out
    assert (out_dir / "clitest.fails" / "line.png").exists()


def test_run_a_question_runs_its_experiments(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lab", "run", "init.zero-init"]) == 0
    out = capsys.readouterr().out
    assert "init.zero-symmetry: 4/4 claims hold" in out
    assert Path("runs/lab/init.zero-symmetry/zero_symmetry.png").exists()


def test_run_checks_every_id_and_size_before_running(
    scratch: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    calls = register_demo(scratch, "clitest.quick-only", sizes=("quick",))
    assert main(["lab", "run", "clitest.quick-only", "--full"]) == 1
    assert "has no full size" in one_error_line(capsys)
    assert main(["lab", "run", "clitest.quick-only", "init.zero-symetry"]) == 1
    err = one_error_line(capsys)
    assert "no experiment or question 'init.zero-symetry'" in err
    assert "did you mean init.zero-symmetry" in err
    assert calls == []
    assert main(["lab", "run", "init.zero-ok-when"]) == 0  # now cited by clitest.quick-only
    assert calls == [0]


def test_run_a_question_without_experiments(capsys: pytest.CaptureFixture[str]) -> None:
    from groundup.lab.registry import all_experiments

    cited = {qid for e in all_experiments() for qid in e.questions}
    q = next(q for q in BANK if not q.experiments and q.planned_experiments and q.id not in cited)
    assert main(["lab", "run", q.id]) == 1
    err = one_error_line(capsys)
    assert f"question {q.id!r} has no experiment yet (planned: " in err


def test_run_into_an_unwritable_folder(capsys: pytest.CaptureFixture[str]) -> None:
    Path("taken").write_text("a file, not a folder")
    assert main(["lab", "run", "init.zero-symmetry", "--out", "taken"]) == 1
    assert "error" in one_error_line(capsys)


# -------------------------------------------------------------------------- report
def test_report_command_builds_the_site(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lab", "report", "--out", "site", "--skip-experiments"]) == 0
    out = capsys.readouterr().out
    assert f"wrote {len(BANK)} question pages and 0 of " in out
    assert "open site/index.html" in out
    assert Path("site/index.html").exists() and Path("site/style.css").exists()
    assert len(list(Path("site/questions").glob("*.html"))) == len(BANK)


def test_report_exits_1_when_a_claim_fails(
    scratch: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    register_demo(scratch, "clitest.fails", fail=True)
    from groundup.lab import cli as lab_cli

    real = lab_cli.build_report
    monkeypatch.setattr(
        lab_cli, "build_report", lambda out, **kw: real(out, **{**kw, "only": ["clitest.fails"]})
    )
    assert main(["lab", "report", "--out", "site"]) == 1
    out = capsys.readouterr().out
    assert "[1/1] FAIL clitest.fails: 1/2 claims hold" in out
    assert "FAIL clitest.fails: seed_small" in out


def test_report_refuses_a_folder_it_did_not_write(capsys: pytest.CaptureFixture[str]) -> None:
    Path("mine").mkdir()
    (Path("mine") / "notes.txt").write_text("keep me")
    assert main(["lab", "report", "--out", "mine", "--skip-experiments"]) == 1
    assert "mine is not empty and holds no earlier report" in one_error_line(capsys)
    assert (Path("mine") / "notes.txt").read_text() == "keep me"


# ------------------------------------------------------------------- text helpers
def test_display_width_clip_and_wrap() -> None:
    assert display_width("abc") == 3 and display_width("가나") == 4
    assert clip("short", 10) == "short"
    cut = clip("가나다라마바사", 7)
    assert cut == "가나다…" and display_width(cut) <= 7
    lines = wrap("하나 둘 셋 넷 다섯 여섯 일곱", 12, "  ")
    assert all(display_width(line) <= 12 for line in lines) and len(lines) > 1
    assert " ".join(" ".join(lines).split()) == "하나 둘 셋 넷 다섯 여섯 일곱"
    assert wrap("unbreakable-word-longer-than-width", 10) == ["unbreakable-word-longer-than-width"]


@pytest.mark.parametrize("command", [["list"], ["show", "init.zero-init"]])
def test_closed_pipe_stops_quietly(command: list[str]) -> None:
    """`groundup lab list | head -1`: no 'Broken pipe' message, status 141 like git's. The
    reading end is closed before the command prints, so its first write finds it closed."""
    code = "import sys; from groundup.cli import main; sys.exit(main(sys.argv[1:]))"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "lab", *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    proc.stdout.close()
    _, err = proc.communicate(timeout=120)
    assert err.decode() == ""
    assert proc.returncode == EXIT_BROKEN_PIPE
