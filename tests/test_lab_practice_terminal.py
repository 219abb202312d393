"""Real processes: a drill in a pseudo-terminal (pexpect), one killed with SIGKILL in the
middle of a card, two drilling the same database at once."""

from __future__ import annotations

import os
import re
import select
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from groundup.lab.practice.session import NOW_VARIABLE

pexpect = pytest.importorskip("pexpect")

NOW = "2025-03-03T09:00:00+09:00"
GROUNDUP = [sys.executable, "-c", "import sys; from groundup.cli import main; sys.exit(main())"]
HEADER = re.compile(rb"\[(\d+)/\d+\] ([a-z0-9.-]+) \xc2\xb7 ")


def env(**extra: str) -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "COLUMNS")}
    out.update({NOW_VARIABLE: NOW, "LC_ALL": "C.UTF-8", "TERM": "xterm-256color"}, **extra)
    return out


def spawn(db: Path, *args: str, **extra: str):  # type: ignore[no-untyped-def]
    return pexpect.spawn(
        GROUNDUP[0], [*GROUNDUP[1:], "lab", "drill", "--db", str(db), *args],
        env=env(**extra), encoding="utf-8", timeout=60, dimensions=(40, 100),
    )  # fmt: skip


def reviews(db: Path) -> list[tuple[str, int, str]]:
    with sqlite3.connect(db) as conn:
        return list(conn.execute("SELECT qid, rating, answer FROM reviews ORDER BY id"))


# ---------------------------------------------------------------------------- a terminal
def test_a_drill_in_a_terminal_with_colour_korean_input_and_ctrl_d(tmp_path: Path) -> None:
    db = tmp_path / "p.sqlite3"
    child = spawn(db, "--topic", "initialization", "--new", "2")
    child.expect_exact("your answer> ")
    assert "\x1b[36;1minit.methods\x1b[0m" in child.before  # coloured on a terminal
    child.sendline("대칭을 깨고 분산을 지킨다")
    child.expect_exact("points you hit (e.g. 1 3; Enter for none)> ")
    assert "\x1b[32;1mKey points\x1b[0m" in child.before
    child.sendline("1 3")
    child.expect_exact("grade: again, hard, good, easy (1-4)> ")
    child.sendline("maybe")
    child.expect_exact("a grade is one of again, hard, good, easy, or 1-4")
    child.expect_exact("grade: again, hard, good, easy (1-4)> ")
    child.sendline("good")
    child.expect_exact("The interviewer digs deeper:")
    child.expect_exact("your answer> ")
    assert "follow-up of init.methods" in child.before
    child.sendeof()  # Ctrl-D ends the session at any prompt
    child.expect_exact("Drill over: 1 cards (again 0 · hard 0 · good 1 · easy 0)")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert reviews(db) == [("init.methods", 3, "대칭을 깨고 분산을 지킨다")]


def test_no_color_and_ctrl_c_in_a_terminal(tmp_path: Path) -> None:
    db = tmp_path / "p.sqlite3"
    child = spawn(db, "--topic", "cnn", "--lang", "ko", NO_COLOR="1")
    child.expect_exact("내 답> ")
    child.sendline("")
    child.expect_exact("맞힌 핵심 번호")
    child.sendline("")
    child.expect_exact("평가: ")
    child.sendline("2")
    child.expect_exact("내 답> ")
    child.sendintr()  # Ctrl-C: the session ends as cleanly as with Ctrl-D
    child.expect_exact("복습 끝: 카드 1장")
    child.expect(pexpect.EOF)
    child.close()
    assert "\x1b[" not in child.before
    assert child.exitstatus == 130
    assert [r[1] for r in reviews(db)] == [2]


# ---------------------------------------------------------------------------- SIGKILL
def read_until(proc: subprocess.Popen[bytes], pattern: bytes, seen: bytearray, n: int = 1) -> None:
    """Read the child's stdout into `seen` until `pattern` shows `n` times (60 s at most)."""
    assert proc.stdout is not None
    deadline = time.monotonic() + 60
    while seen.count(pattern) < n:
        left = deadline - time.monotonic()
        assert left > 0, f"no {pattern!r} in {bytes(seen[-500:])!r}"
        ready, _, _ = select.select([proc.stdout], [], [], left)
        if ready:
            chunk = os.read(proc.stdout.fileno(), 65536)
            assert chunk, f"the drill ended early: {bytes(seen[-500:])!r}"
            seen += chunk


def test_sigkill_mid_card_loses_only_the_card_on_screen(tmp_path: Path) -> None:
    db = tmp_path / "p.sqlite3"
    proc = subprocess.Popen(
        [*GROUNDUP, "lab", "drill", "--topic", "cnn", "--db", str(db)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env(),
    )  # fmt: skip
    assert proc.stdin is not None
    seen = bytearray()
    try:
        answers = [b"first", b"second", b"third"]
        for i, (answer, grade) in enumerate(zip(answers, [b"good", b"hard", b"easy"], strict=True)):
            read_until(proc, f"[{i + 1}/".encode(), seen)
            proc.stdin.write(answer + b"\n1\n" + grade + b"\n")
            proc.stdin.flush()
        read_until(proc, b"[4/", seen)
        proc.stdin.write(b"the fourth answer, never graded\n")
        proc.stdin.flush()
        read_until(proc, b"points you hit", seen, n=4)  # the fourth card's answer is in
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    shown = [m.group(2).decode() for m in HEADER.finditer(bytes(seen))]
    assert len(shown) == 4
    assert reviews(db) == [
        (shown[0], 3, "first"), (shown[1], 2, "second"), (shown[2], 4, "third"),
    ]  # fmt: skip


# ---------------------------------------------------------------------------- two at once
def test_two_terminals_drill_the_same_database_at_once(tmp_path: Path) -> None:
    db = tmp_path / "p.sqlite3"
    procs = [
        subprocess.Popen(
            [*GROUNDUP, "lab", "drill", "--topic", topic, "--new", "6", "--db", str(db)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env(),
        )  # fmt: skip
        for topic in ("rnn", "transformer")
    ]
    lines = b"".join(f"answer {i}\n\nhard\n".encode() for i in range(6))
    outs = [p.communicate(lines, timeout=120) for p in procs]
    for p, (out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err.decode()
        assert b"Drill over: 6 cards" in out
    rows = reviews(db)
    assert len(rows) == 12 and len({qid for qid, _, _ in rows}) == 12
