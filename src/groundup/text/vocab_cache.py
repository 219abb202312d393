"""Trained vocabularies kept on disk, so that a new process reads one instead of retraining.

Training WordPiece on the shipped corpus takes seconds; `groundup tokenize` should answer
at once. `cached(key, texts, train, options)` returns the tokenizer saved under `key`
when it was trained from what is installed now, else `train(texts())`, saved. The entry
is `<cache folder>/<key>.json`: the tokens, their SHA-256, the tokenizer options and two
fingerprints of what training read:

* `files`: the bytes of every `.py` and `.yaml` file of the installed package (the
  docstrings and the question bank of the corpus, the trainer's own code), which takes
  milliseconds to hash, so an unchanged installation reads the entry at once;
* `corpus`: the training texts themselves and the trainer's code. When some file
  changed, the texts are read again (half a second) and, if they and the trainer are
  what the entry was trained on (an edit outside every docstring), the entry is kept,
  with the new `files`; only a change of the texts or of the trainer retrains.

Both also hold the Python, Unicode and NumPy versions. An entry that fails its checksum,
does not parse or was trained with other options is retrained and replaced, atomically;
a cache folder that cannot be written only costs the training.

The cache folder is `$GROUNDUP_CACHE_DIR`, else `$XDG_CACHE_HOME/groundup`, else
`~/.cache/groundup`.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

from groundup.text.wordpiece import WordPieceTokenizer

CACHE_ENV = "GROUNDUP_CACHE_DIR"
FORMAT = 2  # of the entries; a change retrains
PACKAGE = Path(__file__).resolve().parents[1]  # the installed groundup package
TRAINER = ("pretokenize.py", "wordpiece.py", "wordpiece_trainer.py")  # in this folder


def cache_dir() -> Path:
    """Where the entries live (see the module docstring)."""
    given = os.environ.get(CACHE_ENV)
    if given:
        return Path(given)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "groundup"


def _hasher() -> Any:
    versions = f"{sys.version_info[:2]} {unicodedata.unidata_version} {np.__version__}"
    return hashlib.sha256(versions.encode())


def _add_files(h: Any, root: Path, files: Iterable[Path]) -> None:
    for path in files:
        data = path.read_bytes()
        h.update(f"\0{path.relative_to(root).as_posix()}\0{len(data)}\0".encode())
        h.update(data)


def fingerprint(root: Path = PACKAGE) -> str:
    """SHA-256 over the path and bytes of every `.py` and `.yaml` file under `root`, and
    the versions that pre-tokenization and training depend on."""
    h = _hasher()
    _add_files(h, root, sorted(p for pattern in ("*.py", "*.yaml") for p in root.rglob(pattern)))
    return h.hexdigest()


def corpus_fingerprint(texts: list[str]) -> str:
    """SHA-256 over the training texts, the trainer's code and the versions."""
    h = _hasher()
    here = Path(__file__).resolve().parent
    _add_files(h, here, [here / name for name in TRAINER])
    h.update(json.dumps(texts, ensure_ascii=False).encode())
    return h.hexdigest()


def _digest(tokens: Any) -> str:
    return hashlib.sha256(json.dumps(tokens, ensure_ascii=False).encode()).hexdigest()


def _entry_path(key: str) -> Path:
    return cache_dir() / f"{key}.json"


def read(key: str, options: dict[str, Any]) -> tuple[WordPieceTokenizer, dict[str, Any]] | None:
    """The tokenizer saved under `key` with `options` and its entry (for the fingerprints),
    or None when there is none, or it is damaged, unreadable or of other options."""
    try:
        entry = json.loads(_entry_path(key).read_text(encoding="utf-8"))
    except (OSError, ValueError):  # missing, unreadable, not UTF-8 or not JSON
        return None
    expected = {"format": FORMAT, "key": key, "options": options}
    if not isinstance(entry, dict) or any(entry.get(k) != v for k, v in expected.items()):
        return None
    tokens = entry.get("tokens")
    if not isinstance(tokens, list) or entry.get("sha256") != _digest(tokens):
        return None
    try:
        return WordPieceTokenizer(tokens, **options), entry
    except (TypeError, ValueError):  # a checksum collision with bad tokens: retrain
        return None


def write(key: str, tokenizer: WordPieceTokenizer, files: str, corpus: str) -> bool:
    """Save `tokenizer` under `key` atomically; False when the folder cannot be written."""
    from groundup.train.safefile import atomic_write_bytes

    entry = {
        "format": FORMAT,
        "key": key,
        "files": files,
        "corpus": corpus,
        "options": tokenizer.options,
        "sha256": _digest(tokenizer.vocab),
        "tokens": tokenizer.vocab,
    }
    try:
        atomic_write_bytes(_entry_path(key), json.dumps(entry, ensure_ascii=False).encode())
    except OSError:  # read-only or full: the next process trains again, nothing is wrong
        return False
    return True


def cached(
    key: str,
    texts: Callable[[], list[str]],
    train: Callable[[list[str]], WordPieceTokenizer],
    options: dict[str, Any],
) -> WordPieceTokenizer:
    """The tokenizer saved under `key` for what is installed now, else `train(texts())`,
    saved (see the module docstring). `options` are the tokenizer options `train` uses."""
    files = fingerprint()
    found = read(key, options)
    if found is not None and found[1].get("files") == files:
        return found[0]
    corpus_texts = texts()
    corpus = corpus_fingerprint(corpus_texts)
    if found is not None and found[1].get("corpus") == corpus:
        tokenizer = found[0]  # the files changed, but not the texts or the trainer
    else:
        tokenizer = train(corpus_texts)
    write(key, tokenizer, files, corpus)
    return tokenizer


__all__ = [
    "CACHE_ENV",
    "cache_dir",
    "cached",
    "corpus_fingerprint",
    "fingerprint",
    "read",
    "write",
]
