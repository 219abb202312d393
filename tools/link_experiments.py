"""Write each registered experiment into the `experiments:` list of every question it cites.

An experiment names its questions in `@experiment(questions=[...])`; the bank's link check
wants the questions to name the experiment back. This script edits the YAML files in place,
line by line (comments and layout stay as they are): it adds the experiment id to the
question's `experiments: [...]` (creating the line if needed) and drops it from
`planned_experiments`.

    .venv/bin/python tools/link_experiments.py [--check]

`--check` changes nothing and exits 1 if a link is missing.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from groundup.lab.registry import all_experiments

QUESTIONS = Path(__file__).resolve().parents[1] / "src" / "groundup" / "lab" / "questions"
ID_LINE = re.compile(r"^(\s*)- id: (\S+)\s*$")
LIST_LINE = re.compile(r"^(\s*)(experiments|planned_experiments): \[(.*)\]\s*$")


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
        if args.check:
            original = path.read_text(encoding="utf-8")
            changes += link_file(path, wanted)
            path.write_text(original, encoding="utf-8")
        else:
            changes += link_file(path, wanted)
    print("\n".join(changes) if changes else "every experiment is linked")
    return 1 if args.check and changes else 0


if __name__ == "__main__":
    sys.exit(main())
