"""Load and query the question bank.

`load_bank()` reads every `questions/*.yaml` topic file (files whose name starts with `_`
are bookkeeping, e.g. `_retired_ids.yaml`), validates each against `groundup.lab.schema`
and then checks the bank as a whole: ids unique across files, no retired id reused,
every parent present, no parent cycles. Errors name the file and the question id.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from groundup.lab.schema import Question, RetiredFile, Text, TopicFile

QUESTIONS_DIR = Path(__file__).parent / "questions"
RETIRED_FILE = "_retired_ids.yaml"

try:  # the C loader is several times faster when libyaml is present
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how pyyaml was built
    _Loader = yaml.SafeLoader


class BankError(ValueError):
    """The question bank failed validation; the message lists every problem found."""


def _describe(err: ValidationError, raw: Any, filename: str) -> list[str]:
    """Turn pydantic's errors into lines that name the file and the question id."""
    lines = []
    for e in err.errors():
        loc = list(e["loc"])
        where = filename
        if len(loc) >= 2 and loc[0] == "questions" and isinstance(loc[1], int):
            qid = None
            items = raw.get("questions") if isinstance(raw, dict) else None
            if isinstance(items, list) and loc[1] < len(items) and isinstance(items[loc[1]], dict):
                qid = items[loc[1]].get("id")
            where += (
                f": question {qid!r} (entry #{loc[1] + 1})" if qid else f": entry #{loc[1] + 1}"
            )
            loc = loc[2:]
        field = ".".join(str(p) for p in loc) or "<file>"
        lines.append(f"{where}: {field}: {e['msg']}")
    return lines


def _read_yaml(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as f:
            return yaml.load(f, Loader=_Loader)
    except yaml.YAMLError as exc:
        raise BankError(f"{path.name}: not valid YAML: {exc}") from exc


class QuestionBank:
    """A validated, read-only set of questions with lookups by id, topic, tag and chain."""

    def __init__(
        self,
        topics: Iterable[TopicFile],
        retired: Mapping[str, str] | None = None,
        files: Mapping[str, str] | None = None,
    ):
        """`files` maps a topic to the file it came from (used in messages only)."""
        self._topics: dict[str, TopicFile] = {}
        self._by_id: dict[str, Question] = {}
        self._topic_of: dict[str, str] = {}
        self._children: dict[str, list[str]] = {}
        self.retired: dict[str, str] = dict(retired or {})
        problems: list[str] = []
        for topic in topics:
            name = (files or {}).get(topic.topic, topic.topic)
            if topic.topic in self._topics:
                problems.append(f"{name}: topic {topic.topic!r} is defined twice")
                continue
            self._topics[topic.topic] = topic
            for q in topic.questions:
                if q.id in self._by_id:
                    other = (files or {}).get(self._topic_of[q.id], self._topic_of[q.id])
                    problems.append(f"{name}: question {q.id!r}: id already used in {other}")
                    continue
                if q.id in self.retired:
                    problems.append(
                        f"{name}: question {q.id!r}: id is retired ({self.retired[q.id]}); "
                        "ids are never reused, choose a new one"
                    )
                self._by_id[q.id] = q
                self._topic_of[q.id] = topic.topic
        for qid, q in self._by_id.items():
            name = (files or {}).get(self._topic_of[qid], self._topic_of[qid])
            if q.parent is None:
                continue
            if q.parent not in self._by_id:
                hint = difflib.get_close_matches(q.parent, self._by_id, n=1)
                extra = f"; did you mean {hint[0]!r}?" if hint else ""
                problems.append(
                    f"{name}: question {qid!r}: parent {q.parent!r} does not exist{extra}"
                )
                continue
            self._children.setdefault(q.parent, []).append(qid)
        problems += self._find_cycles(files or {})
        if problems:
            raise BankError("question bank is invalid:\n  " + "\n  ".join(problems))

    def _find_cycles(self, files: Mapping[str, str]) -> list[str]:
        problems, done = [], set()
        for start in self._by_id:
            path: list[str] = []
            node: str | None = start
            while node is not None and node not in done and node in self._by_id:
                if node in path:
                    loop = path[path.index(node) :] + [node]
                    name = files.get(self._topic_of[node], self._topic_of[node])
                    problems.append(f"{name}: question {node!r}: parent cycle {' -> '.join(loop)}")
                    break
                path.append(node)
                node = self._by_id[node].parent
            done.update(path)
        return problems

    # ------------------------------------------------------------------ lookups
    def __len__(self) -> int:
        return len(self._by_id)

    def __iter__(self) -> Iterator[Question]:
        return iter(self._by_id.values())

    def __contains__(self, qid: object) -> bool:
        return qid in self._by_id

    def __getitem__(self, qid: str) -> Question:
        try:
            return self._by_id[qid]
        except KeyError:
            hint = difflib.get_close_matches(qid, self._by_id, n=3)
            extra = f"; close matches: {', '.join(hint)}" if hint else ""
            raise KeyError(f"no question with id {qid!r}{extra}") from None

    def get(self, qid: str) -> Question | None:
        return self._by_id.get(qid)

    def ids(self) -> list[str]:
        return list(self._by_id)

    def topics(self) -> list[str]:
        return list(self._topics)

    def topic_title(self, topic: str) -> Text:
        return self._topic(topic).title

    def topic_of(self, qid: str) -> str:
        return self._topic_of[self[qid].id]

    def by_topic(self, topic: str) -> list[Question]:
        return list(self._topic(topic).questions)

    def _topic(self, topic: str) -> TopicFile:
        if topic not in self._topics:
            raise KeyError(f"no topic {topic!r}; topics are {', '.join(self._topics)}")
        return self._topics[topic]

    def children(self, qid: str) -> list[Question]:
        """Direct follow-ups of a question, in file order."""
        return [self._by_id[c] for c in self._children.get(self[qid].id, [])]

    def descendants(self, qid: str) -> list[Question]:
        """All follow-ups below a question, depth first."""
        out: list[Question] = []
        for child in self.children(qid):
            out.append(child)
            out += self.descendants(child.id)
        return out

    def chain(self, qid: str) -> list[Question]:
        """The path of follow-ups from the root question down to `qid` (inclusive)."""
        path = [self[qid]]
        while path[-1].parent is not None:
            path.append(self._by_id[path[-1].parent])
        return path[::-1]

    def root(self, qid: str) -> Question:
        return self.chain(qid)[0]

    def roots(self, topic: str | None = None) -> list[Question]:
        pool = self.by_topic(topic) if topic is not None else list(self)
        return [q for q in pool if q.parent is None]

    def tags(self) -> set[str]:
        return {t for q in self for t in q.tags}

    def by_tag(self, *tags: str) -> list[Question]:
        """Questions carrying every one of `tags`."""
        wanted = set(tags)
        return [q for q in self if wanted <= set(q.tags)]

    def by_difficulty(self, difficulty: str) -> list[Question]:
        return [q for q in self if q.difficulty == difficulty]

    def by_source(self, seed: str, item: str | None = None) -> list[Question]:
        """Questions that answer a seed note (optionally one item of it)."""
        return [
            q
            for q in self
            if any(s.seed == seed and (item is None or s.item == item) for s in q.source)
        ]

    def search(self, text: str, lang: str | None = None) -> list[Question]:
        """Case-insensitive substring search over questions, answers and tags."""
        needle = text.lower()
        langs = ("ko", "en") if lang is None else (lang,)
        hits = []
        for q in self:
            hay = [q.question.get(lg) for lg in langs] + [q.answer.get(lg) for lg in langs]
            if any(needle in h.lower() for h in hay) or needle in q.tags:
                hits.append(q)
        return hits


# ---------------------------------------------------------------------- loading
def _load_retired(directory: Path) -> dict[str, str]:
    path = directory / RETIRED_FILE
    if not path.exists():
        return {}
    raw = _read_yaml(path) or {}
    try:
        parsed = RetiredFile.model_validate(raw)
    except ValidationError as err:
        raise BankError("\n".join(_describe(err, raw, path.name))) from None
    return {r.id: r.reason for r in parsed.retired}


def load_bank(directory: str | Path | None = None) -> QuestionBank:
    """Read, validate and index every topic file; the default bank is read once and cached."""
    if directory is None:
        global _DEFAULT_BANK
        if _DEFAULT_BANK is None:
            _DEFAULT_BANK = _load(QUESTIONS_DIR)
        return _DEFAULT_BANK
    return _load(Path(directory))


_DEFAULT_BANK: QuestionBank | None = None


def _load(directory: Path) -> QuestionBank:
    files = sorted(p for p in directory.glob("*.yaml") if not p.name.startswith("_"))
    if not files:
        raise BankError(f"no question files (*.yaml) in {directory}")
    topics, names, problems = [], {}, []
    for path in files:
        raw = _read_yaml(path)
        try:
            topic = TopicFile.model_validate(raw)
        except ValidationError as err:
            problems += _describe(err, raw, path.name)
            continue
        if topic.topic != path.stem:
            problems.append(f"{path.name}: topic is {topic.topic!r} but must equal {path.stem!r}")
            continue
        topics.append(topic)
        names[topic.topic] = path.name
    if problems:
        raise BankError("question bank is invalid:\n  " + "\n  ".join(problems))
    return QuestionBank(topics, retired=_load_retired(directory), files=names)


def resolve_code_path(path: str) -> Any:
    """Import a dotted path: the longest importable module prefix, then attributes.

    `groundup.nn.init` is a module; `groundup.nn.init.xavier_uniform_` is an attribute of
    it. Raises ImportError when no prefix imports, AttributeError when an attribute is
    missing.
    """
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        module_name = ".".join(parts[:cut])
        try:
            obj: Any = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            # only "this very module does not exist" moves us to a shorter prefix
            if exc.name is not None and (
                module_name == exc.name or module_name.startswith(exc.name + ".")
            ):
                continue
            raise
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return obj
    raise ImportError(f"cannot import any prefix of {path!r}")


def stale_planned_code(bank: QuestionBank | None = None) -> list[str]:
    """`planned_code` paths that import already, as "question id: path" lines.

    A planned path is shown as "(planned)"/"(예정)"; once the code exists it belongs in
    `code`. `tools/link_experiments.py` moves such paths over.
    """
    bank = bank if bank is not None else load_bank()
    stale = []
    for q in bank:
        for path in q.planned_code:
            try:
                resolve_code_path(path)
            except (ImportError, AttributeError):
                continue
            stale.append(f"{q.id}: {path} exists; move it from `planned_code` to `code`")
    return stale
