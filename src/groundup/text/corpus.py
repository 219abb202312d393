"""The text corpus that ships with groundup, for WordPiece training and BERT pretraining.

It holds exactly two kinds of documents, both installed with the package:

* `bank`: the lab's question bank (`groundup.lab.bank.load_bank()`), one document per
  question and language (Korean and English are separate documents). A document's
  sentences are, in order: the question, the answer, the key points (one sentence each)
  and the common mistake, if any. Its `topic` is the question's topic file
  (`bert`, `cnn`, ...), the label of the topic-classification task.
* `docstrings`: the docstrings of groundup's own modules, classes and functions, read
  from the installed `.py` files with `ast` (nothing is imported or run); one document per
  docstring, in file order, English, with no topic. They change as the code does (a file
  that does not parse is skipped).

The README and the design notes are not installed with the package, so they are not part
of it. Sentences are split after `.`, `?` or `!` followed by whitespace.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

LANGUAGES: tuple[str, ...] = ("ko", "en")
SOURCES: tuple[str, ...] = ("bank", "docstrings")
_SENTENCE_END = re.compile(r"(?<=[.?!])\s+")


@dataclass(frozen=True)
class Document:
    """A run of sentences that belong together (consecutive sentences make NSP pairs)."""

    id: str  # question id, or `module.Class.function` for a docstring
    lang: str
    source: str  # "bank" or "docstrings"
    sentences: tuple[str, ...]
    topic: str | None = None  # the question's topic file; None for docstrings

    @property
    def text(self) -> str:
        return " ".join(self.sentences)


def split_sentences(text: str) -> list[str]:
    """Whitespace collapsed, then split after `.`, `?` or `!` followed by whitespace."""
    return [s for s in _SENTENCE_END.split(" ".join(text.split())) if s]


def _bank_documents(languages: Sequence[str]) -> list[Document]:
    from groundup.lab.bank import load_bank

    bank = load_bank()
    docs = []
    for q in bank:
        for lang in languages:
            sentences = [q.question.get(lang), *split_sentences(q.answer.get(lang))]
            if q.key_points is not None:
                sentences += list(q.key_points.ko if lang == "ko" else q.key_points.en)
            if q.common_mistake is not None:
                sentences += split_sentences(q.common_mistake.get(lang))
            docs.append(Document(q.id, lang, "bank", tuple(sentences), bank.topic_of(q.id)))
    return docs


def _docstrings(path: Path, module: str) -> Iterable[tuple[str, str]]:
    """(qualified name, docstring) of a module and every class and function in it."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (SyntaxError, UnicodeDecodeError):  # not Python we can read: no docstrings
        return
    nodes: list[tuple[str, ast.AST]] = [(module, tree)]
    while nodes:
        name, node = nodes.pop(0)
        doc = ast.get_docstring(node)  # type: ignore[arg-type]
        if doc:
            yield name, doc
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                nodes.append((f"{name}.{child.name}", child))


def _docstring_documents() -> list[Document]:
    root = Path(__file__).resolve().parents[1]  # the installed groundup package
    docs = []
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        for name, doc in _docstrings(path, module):
            sentences = split_sentences(doc)
            if sentences:
                docs.append(Document(name, "en", "docstrings", tuple(sentences)))
    return docs


def load_corpus(
    sources: Sequence[str] = SOURCES, languages: Sequence[str] = LANGUAGES
) -> list[Document]:
    """The shipped documents (see the module docstring), bank documents first.
    `languages` filters the bank; docstrings are English and kept when "en" is asked."""
    bad = [s for s in sources if s not in SOURCES] + [x for x in languages if x not in LANGUAGES]
    if bad or not sources or not languages:
        raise ValueError(
            f"load_corpus: unknown or empty sources/languages {bad or [sources, languages]}; "
            f"sources are drawn from {SOURCES}, languages from {LANGUAGES}"
        )
    docs = _bank_documents(languages) if "bank" in sources else []
    if "docstrings" in sources and "en" in languages:
        docs += _docstring_documents()
    return docs


def corpus_texts(documents: Iterable[Document]) -> list[str]:
    """Every sentence of every document, in order (what WordPiece is trained on)."""
    return [s for d in documents for s in d.sentences]


def held_out_questions(
    documents: Sequence[Document], fraction: float = 0.2, seed: int = 0
) -> set[str]:
    """Question ids held out for evaluation: `fraction` of each topic's questions (at least
    one), drawn with `seed`. Both languages of a question fall on the same side, so a
    translation never leaks the answer across the split."""
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"held_out_questions: fraction must be in (0, 1), got {fraction}")
    by_topic: dict[str, list[str]] = {}
    for d in documents:
        if d.topic is not None and d.id not in by_topic.get(d.topic, []):
            by_topic.setdefault(d.topic, []).append(d.id)
    rng = np.random.default_rng(seed)
    held: set[str] = set()
    for topic in sorted(by_topic):
        ids = sorted(by_topic[topic])
        n = max(1, round(fraction * len(ids)))
        held.update(ids[i] for i in rng.permutation(len(ids))[:n])
    return held


__all__ = [
    "LANGUAGES",
    "SOURCES",
    "Document",
    "corpus_texts",
    "held_out_questions",
    "load_corpus",
    "split_sentences",
]
