"""What the practice tests share: small banks, a screen that follows the session, and a
simulated candidate who answers each prompt by a policy (no test of its own here, apart
from checking the helpers)."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from groundup.lab.bank import QuestionBank
from groundup.lab.practice.session import Console
from groundup.lab.practice.texts import TEXTS
from groundup.lab.schema import TopicFile

KST = timezone(timedelta(hours=9))
ANSI = re.compile(r"\x1b\[[0-9;]*m")
# `[3/12] init.zero-init · easy · ...` (drill) or `init.zero-init · ... · chain 1 · ...`
HEADER = re.compile(r"^(?:\[\d+/\d+\] )?([a-z][a-z0-9]*(?:\.[a-z0-9-]+)+) · ", re.M)


def question(
    qid: str,
    *,
    parent: str | None = None,
    difficulty: str = "easy",
    experiments: tuple[str, ...] = (),
    mistake: bool = True,
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": qid,
        "difficulty": difficulty,
        "tags": ["demo"],
        "question": {"ko": f"{qid} 질문은 무엇인가요?", "en": f"What is {qid}?"},
        "answer": {"ko": f"{qid}의 답입니다.", "en": f"The answer to {qid}."},
        "key_points": {"ko": ["첫째 핵심", "둘째 핵심"], "en": ["first point", "second point"]},
        "experiments": list(experiments),
    }
    if parent is not None:
        entry["parent"] = parent
    if mistake:
        entry["common_mistake"] = {"ko": "흔한 실수입니다.", "en": "A common mistake."}
    return entry


def make_bank(topics: dict[str, list[dict[str, Any]]]) -> QuestionBank:
    """A bank of `{topic: [question(...), ...]}`; ids must start with the topic name."""
    files = [
        TopicFile.model_validate(
            {
                "topic": name,
                "id_prefix": name,
                "title": {"ko": f"{name} 주제", "en": f"Topic {name}"},
                "questions": qs,
            }
        )
        for name, qs in topics.items()
    ]
    return QuestionBank(files)


def chain_bank(n_chains: int = 3, length: int = 3, topic: str = "demo") -> QuestionBank:
    """`n_chains` chains `demo.cK-1 -> demo.cK-2 -> ...` of `length` questions each."""
    qs = []
    for k in range(n_chains):
        for level in range(1, length + 1):
            parent = f"{topic}.c{k}-{level - 1}" if level > 1 else None
            qs.append(question(f"{topic}.c{k}-{level}", parent=parent))
    return make_bank({topic: qs})


class Screen(io.StringIO):
    """A stdout that remembers the id of the card on screen and the pending prompt."""

    def __init__(self) -> None:
        super().__init__()
        self.card: str | None = None
        self.line = ""
        self.headers: list[str] = []

    def write(self, text: str) -> int:
        plain = ANSI.sub("", text)
        for m in HEADER.finditer(plain):
            self.card = m.group(1)
            self.headers.append(plain[m.start() :].split("\n", 1)[0])
        self.line = (self.line + plain).rsplit("\n", 1)[-1]
        return super().write(text)


def prompt_kind(prompt: str) -> str:
    """answer | points | grade | experiment | other, in either language."""
    for lang in ("en", "ko"):
        texts = TEXTS[lang]
        if prompt == texts["answer_prompt"]:
            return "answer"
        if prompt == texts["points_prompt"]:
            return "points"
        if prompt == texts["grade_prompt"]:
            return "grade"
        tail = texts["experiment_offer"].split("{eid}")[1]
        if prompt.endswith(tail):
            return "experiment"
    return "other"


Policy = Callable[[str, str, "Candidate"], "str | None"]


class Candidate(io.TextIOBase):
    """A stdin whose every line comes from `policy(kind, card id, self)`; None ends input."""

    def __init__(self, screen: Screen, policy: Policy):
        self.screen, self.policy = screen, policy
        self.log: list[tuple[str, str, str]] = []  # (kind, card, line)

    def readable(self) -> bool:
        return True

    def readline(self, size: int | None = -1) -> str:  # type: ignore[override]
        kind = prompt_kind(self.screen.line)
        card = self.screen.card or ""
        line = self.policy(kind, card, self)
        if line is None:
            return ""
        self.log.append((kind, card, line))
        return line + "\n"


def scripted(lines: list[str]) -> Policy:
    """A policy that types `lines` in order whatever is asked, then ends the input."""
    queue = list(lines)
    return lambda kind, card, c: queue.pop(0) if queue else None


def console_for(policy: Policy, *, color: bool = False) -> tuple[Console, Screen, Candidate]:
    screen = Screen()
    candidate = Candidate(screen, policy)
    return Console(candidate, screen, color=color, echo=True, width=100), screen, candidate


class StepClock:
    """A clock the test moves: `clock()` is the current time; `advance` moves it."""

    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def test_helpers_parse_a_header_and_the_prompts() -> None:
    screen = Screen()
    screen.write("\n[1/3] demo.c0-1 · easy · demo · new\nQ. What?\n")
    screen.write(TEXTS["ko"]["grade_prompt"])
    assert screen.card == "demo.c0-1"
    assert prompt_kind(screen.line) == "grade"
    assert prompt_kind(TEXTS["en"]["experiment_offer"].format(eid="x.y")) == "experiment"
    assert len(chain_bank(2, 3)) == 6
