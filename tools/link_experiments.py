"""Write each registered experiment into the `experiments:` list of every question it cites.

An experiment names its questions in `@experiment(questions=[...])`; the bank's link check
wants the questions to name the experiment back. This script edits the YAML files in place,
line by line (comments and layout stay as they are): it adds the experiment id to the
question's `experiments: [...]` (creating the line if needed) and drops it from
`planned_experiments`. It also keeps `planned_code` honest: a planned path that now
imports is moved to the question's `code:` list, since the CLI shows every planned path
as "(planned)"/"(예정)". A planned experiment that is registered but does not cite the
question is reported (the experiment, not this script, has to cite the question).

    .venv/bin/python tools/link_experiments.py [--check]

`--check` changes nothing and exits 1 if a link is missing or an entry is stale.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from pathlib import Path

from groundup.lab.bank import load_bank, resolve_code_path
from groundup.lab.registry import all_experiments

QUESTIONS = Path(__file__).resolve().parents[1] / "src" / "groundup" / "lab" / "questions"
ID_LINE = re.compile(r"^(\s*)- id: (\S+)\s*$")
LIST_LINE = re.compile(r"^(\s*)(experiments|planned_experiments): \[(.*)\]\s*$")
BLOCK_HEAD = re.compile(r"^(\s*)(code|planned_code):\s*$")
BLOCK_ITEM = re.compile(r"^(\s*)- (\S+)\s*$")


def code_exists(path: str) -> bool:
    """True when a dotted `groundup...` path imports (the bank's own resolver decides)."""
    try:
        resolve_code_path(path)
    except (ImportError, AttributeError):
        return False
    return True


def _items(text: str) -> list[str]:
    return [s.strip() for s in text.split(",") if s.strip()]


def link_file(path: Path, wanted: dict[str, set[str]]) -> list[str]:
    """Rewrite `path` so each question lists the experiments in `wanted[question_id]`."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    out: list[str] = []
    changes: list[str] = []
    qid: str | None = None
    indent = ""
    have_experiments = False

    def close_question() -> None:
        # a question without an `experiments:` line gets one before its next sibling
        if qid and not have_experiments and wanted.get(qid):
            ids = ", ".join(sorted(wanted[qid]))
            at = len(out)
            while at > 0 and out[at - 1].strip() == "":
                at -= 1
            out.insert(at, f"{indent}experiments: [{ids}]\n")
            changes.append(f"{qid}: experiments += {sorted(wanted[qid])}")

    for line in lines:
        m = ID_LINE.match(line)
        if m:
            close_question()
            qid, indent, have_experiments = m.group(2), m.group(1) + "  ", False
            out.append(line)
            continue
        m = LIST_LINE.match(line)
        if m and qid is not None:
            field, items = m.group(2), _items(m.group(3))
            if field == "experiments":
                have_experiments = True
                new = sorted(set(items) | wanted.get(qid, set()))
                if new != items:
                    changes.append(f"{qid}: experiments {items} -> {new}")
                line = f"{m.group(1)}experiments: [{', '.join(new)}]\n"
            else:
                kept = [i for i in items if i not in wanted.get(qid, set())]
                if kept != items:
                    changes.append(f"{qid}: planned_experiments {items} -> {kept}")
                if not kept:
                    continue
                line = f"{m.group(1)}planned_experiments: [{', '.join(kept)}]\n"
        out.append(line)
    close_question()
    if changes:
        path.write_text("".join(out), encoding="utf-8")
    return changes


def _blocks(segment: list[str]) -> dict[str, tuple[int, int, str]]:
    """`{field: (header index, end index, item indent)}` of the block lists in a question."""
    found: dict[str, tuple[int, int, str]] = {}
    i = 0
    while i < len(segment):
        m = BLOCK_HEAD.match(segment[i])
        if not m:
            i += 1
            continue
        j, item_indent = i + 1, m.group(1) + "  "
        while j < len(segment) and BLOCK_ITEM.match(segment[j]):
            item_indent = BLOCK_ITEM.match(segment[j]).group(1)  # type: ignore[union-attr]
            j += 1
        found[m.group(2)] = (i, j, item_indent)
        i = j
    return found


def promote_code(path: Path, exists: Callable[[str], bool] = code_exists) -> list[str]:
    """Move every `planned_code` path of `path` that `exists` into the question's `code`."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if ID_LINE.match(line)] + [len(lines)]
    out, changes = lines[: starts[0]], []
    for a, b in zip(starts, starts[1:], strict=False):
        seg = lines[a:b]
        blocks = _blocks(seg)
        planned_block = blocks.get("planned_code")
        planned = _block_items(seg, planned_block) if planned_block else []
        landed = [p for p in planned if exists(p)]
        if not planned_block or not landed:
            out += seg
            continue
        qid = ID_LINE.match(seg[0]).group(2)  # type: ignore[union-attr]
        changes.append(f"{qid}: planned_code -> code: {landed}")
        h, e, ind = planned_block
        kept = [p for p in planned if p not in landed]
        planned_lines = [seg[h], *(f"{ind}- {p}\n" for p in kept)] if kept else []
        if "code" in blocks:
            ch, ce, cind = blocks["code"]
            have = _block_items(seg, blocks["code"])
            added = [f"{cind}- {p}\n" for p in landed if p not in have]
            # edit the later block first so the earlier indices stay valid
            if ch < h:
                seg[h:e] = planned_lines
                seg[ce:ce] = added
            else:
                seg[ce:ce] = added
                seg[h:e] = planned_lines
        else:
            code_head = seg[h].replace("planned_code:", "code:", 1)
            seg[h:e] = [code_head, *(f"{ind}- {p}\n" for p in landed), *planned_lines]
        out += seg
    if changes:
        path.write_text("".join(out), encoding="utf-8")
    return changes


def _block_items(segment: list[str], block: tuple[int, int, str]) -> list[str]:
    h, e, _ = block
    return [BLOCK_ITEM.match(line).group(2) for line in segment[h + 1 : e]]  # type: ignore[union-attr]


def stale_planned_experiments(registered: set[str]) -> list[str]:
    """Planned experiments that are registered already (whatever questions they cite)."""
    return [
        f"{q.id}: planned experiment {eid!r} is registered; list it under `experiments` "
        "once it cites the question, or drop it"
        for q in load_bank(QUESTIONS)
        for eid in q.planned_experiments
        if eid in registered
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report missing links only")
    args = parser.parse_args()
    wanted: dict[str, set[str]] = {}
    for exp in all_experiments():
        for qid in exp.questions:
            wanted.setdefault(qid, set()).add(exp.id)
    changes: list[str] = []
    for path in sorted(QUESTIONS.glob("*.yaml")):
        if path.name.startswith("_"):
            continue
        original = path.read_text(encoding="utf-8")
        changes += link_file(path, wanted)
        changes += promote_code(path)
        if args.check:
            path.write_text(original, encoding="utf-8")
    changes += stale_planned_experiments({e.id for e in all_experiments()})
    print("\n".join(changes) if changes else "every experiment is linked")
    return 1 if args.check and changes else 0


if __name__ == "__main__":
    sys.exit(main())
