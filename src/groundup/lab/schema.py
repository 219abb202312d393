"""Typed schema of the lab's question bank.

Every question file in `groundup/lab/questions/` is one topic: a `TopicFile` holding
`Question`s. Each question speaks Korean and English with the same structure
(`question`, `answer`, optional `key_points` and `common_mistake`), points at the code
that implements it (`code`, or `planned_code` for modules that are still to come),
at the experiments that show it (`experiments`, or `planned_experiments`), and at the
seed note and item it answers (`source`).
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Difficulty = Literal["easy", "medium", "hard"]
DIFFICULTIES: tuple[str, ...] = ("easy", "medium", "hard")

#: `topic.subject-words` with any number of dotted parts, e.g. `opt.adam.why-bias-correction`.
ID_PATTERN = r"^[a-z][a-z0-9]*(?:\.[a-z0-9]+(?:-[a-z0-9]+)*)+$"
TAG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
TOPIC_PATTERN = r"^[a-z][a-z0-9_]*$"
PREFIX_PATTERN = r"^[a-z][a-z0-9]*$"
#: Seed files are named `NNN_<16 hex digits>.txt`.
SEED_PATTERN = r"^\d{3}_[0-9a-f]{16}\.txt$"
#: Items are the note's own numbers (`3`, `12.4`) or, for notes with several numbered
#: sections, `section.number` with an optional letter for unnumbered items (`calc.1b`).
ITEM_PATTERN = r"^(?:\d+(?:\.\d+)?|[a-z]+\.\d+[a-z]?)$"
#: A dotted path inside the package: a module, or a module followed by attributes.
CODE_PATTERN = r"^groundup(?:\.[A-Za-z_][A-Za-z0-9_]*)+$"

_HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3]")


def has_hangul(text: str) -> bool:
    """True when `text` contains at least one Hangul character."""
    return _HANGUL.search(text) is not None


def _check_languages(ko: str, en: str, where: str) -> None:
    if not has_hangul(ko):
        raise ValueError(f"{where}.ko has no Korean text: {ko[:60]!r}")
    if has_hangul(en):
        raise ValueError(f"{where}.en contains Korean text: {en[:60]!r}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Text(_Strict):
    """One piece of text in both languages."""

    ko: str = Field(min_length=1)
    en: str = Field(min_length=1)

    @model_validator(mode="after")
    def _languages(self) -> Text:
        _check_languages(self.ko, self.en, "text")
        return self

    def get(self, lang: str) -> str:
        if lang not in ("ko", "en"):
            raise ValueError(f"language must be 'ko' or 'en', got {lang!r}")
        return self.ko if lang == "ko" else self.en


class TextList(_Strict):
    """Parallel lists: item i of `ko` says what item i of `en` says."""

    ko: tuple[str, ...] = Field(min_length=1)
    en: tuple[str, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _parallel(self) -> TextList:
        if len(self.ko) != len(self.en):
            raise ValueError(
                f"key_points: ko has {len(self.ko)} items but en has {len(self.en)}; "
                "each Korean point needs its English twin"
            )
        for i, (ko, en) in enumerate(zip(self.ko, self.en, strict=True)):
            if not ko.strip() or not en.strip():
                raise ValueError(f"key_points[{i}] is empty")
            _check_languages(ko, en, f"key_points[{i}]")
        return self


class SourceRef(_Strict):
    """A question of a seed note that an entry answers."""

    seed: str = Field(pattern=SEED_PATTERN)
    item: str = Field(pattern=ITEM_PATTERN)


class Question(_Strict):
    id: str = Field(pattern=ID_PATTERN)
    parent: str | None = Field(default=None, pattern=ID_PATTERN)
    difficulty: Difficulty
    tags: tuple[str, ...] = Field(min_length=1)
    question: Text
    answer: Text
    key_points: TextList | None = None
    common_mistake: Text | None = None
    code: tuple[str, ...] = ()
    planned_code: tuple[str, ...] = ()
    experiments: tuple[str, ...] = ()
    planned_experiments: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    source: tuple[SourceRef, ...] = ()

    @field_validator("tags")
    @classmethod
    def _tags(cls, tags: tuple[str, ...]) -> tuple[str, ...]:
        for tag in tags:
            if not re.match(TAG_PATTERN, tag):
                raise ValueError(f"tag {tag!r} must be lowercase words joined by '-'")
        return tags

    @field_validator("code", "planned_code")
    @classmethod
    def _code_paths(cls, paths: tuple[str, ...]) -> tuple[str, ...]:
        for path in paths:
            if not re.match(CODE_PATTERN, path):
                raise ValueError(f"code path {path!r} must be a dotted path inside groundup")
        return paths

    @field_validator("experiments", "planned_experiments")
    @classmethod
    def _experiment_ids(cls, ids: tuple[str, ...]) -> tuple[str, ...]:
        for eid in ids:
            if not re.match(ID_PATTERN, eid):
                raise ValueError(f"experiment id {eid!r} must look like 'topic.words'")
        return ids

    @field_validator("references")
    @classmethod
    def _references(cls, refs: tuple[str, ...]) -> tuple[str, ...]:
        for ref in refs:
            if not ref.strip():
                raise ValueError("references must not contain empty entries")
        return refs

    @model_validator(mode="after")
    def _consistent(self) -> Question:
        if self.parent == self.id:
            raise ValueError("a question cannot be its own parent")
        for name in ("tags", "code", "planned_code", "experiments", "planned_experiments"):
            values = getattr(self, name)
            if len(set(values)) != len(values):
                raise ValueError(f"{name} lists an entry twice")
        if set(self.code) & set(self.planned_code):
            raise ValueError("a path is listed in both code and planned_code")
        if set(self.experiments) & set(self.planned_experiments):
            raise ValueError("an experiment is listed in both experiments and planned_experiments")
        if len(set(self.source)) != len(self.source):
            raise ValueError("source lists a seed item twice")
        return self


class TopicFile(_Strict):
    """One question file: a topic, its id prefix, its title and its questions."""

    topic: str = Field(pattern=TOPIC_PATTERN)
    id_prefix: str = Field(pattern=PREFIX_PATTERN)
    title: Text
    questions: tuple[Question, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _ids(self) -> TopicFile:
        seen: set[str] = set()
        for q in self.questions:
            if not q.id.startswith(self.id_prefix + "."):
                raise ValueError(
                    f"id {q.id!r} must start with the file's prefix {self.id_prefix!r}"
                )
            if q.id in seen:
                raise ValueError(f"id {q.id!r} appears twice in this file")
            seen.add(q.id)
        return self


class RetiredId(_Strict):
    """An id that was used once and must never be given to another question."""

    id: str = Field(pattern=ID_PATTERN)
    reason: str = Field(min_length=1)


class RetiredFile(_Strict):
    retired: tuple[RetiredId, ...] = ()
