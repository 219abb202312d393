"""One concept, one Korean word: the bank's Korean text follows `questions/_glossary.yaml`."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from groundup.lab.bank import QUESTIONS_DIR, QuestionBank, load_bank

GLOSSARY = QUESTIONS_DIR / "_glossary.yaml"


def _glossary() -> list[dict]:
    return yaml.safe_load(GLOSSARY.read_text(encoding="utf-8"))["terms"]


TERMS = _glossary()


def _texts(bank: QuestionBank) -> Iterator[tuple[str, str, str]]:
    """(where, Korean, English) for every bilingual text of the bank, titles included."""
    for topic in bank.topics():
        title = bank.topic_title(topic)
        yield f"{topic} title", title.ko, title.en
    for q in bank:
        for name in ("question", "answer", "common_mistake"):
            text = getattr(q, name)
            if text is not None:
                yield f"{q.id} {name}", text.ko, text.en
        if q.key_points is not None:
            for i, (ko, en) in enumerate(zip(q.key_points.ko, q.key_points.en, strict=True)):
                yield f"{q.id} key_points[{i}]", ko, en


@pytest.fixture(scope="module")
def texts() -> list[tuple[str, str, str]]:
    return list(_texts(load_bank()))


def test_glossary_is_well_formed() -> None:
    concepts = [t["concept"] for t in TERMS]
    assert len(set(concepts)) == len(concepts), "a concept is listed twice"
    canon = [t["ko"] for t in TERMS]
    assert len(set(canon)) == len(canon), "two concepts share one Korean word"
    for term in TERMS:
        assert set(term) <= {"concept", "ko", "en", "forbidden", "en_marker", "ko_implies"}
        for pattern in term.get("forbidden", []):
            re.compile(pattern)
            assert not re.search(pattern, term["ko"]), f"{term['concept']} forbids its own word"
    by_concept = {t["concept"]: t for t in TERMS}
    assert by_concept["normalization"]["ko"] == "정규화"
    assert by_concept["regularization"]["ko"] == "규제"
    assert by_concept["overfitting"]["ko"] == "과적합"


def test_the_bank_is_read_in_full(texts: list[tuple[str, str, str]]) -> None:
    bank = load_bank()
    assert len(texts) > 4 * len(bank)
    assert any(where.endswith(" title") for where, _, _ in texts)


@pytest.mark.parametrize("term", TERMS, ids=[t["concept"] for t in TERMS])
def test_no_forbidden_variant(term: dict, texts: list[tuple[str, str, str]]) -> None:
    bad = [
        f"{where}: {m.group(0)!r} (use {term['ko']!r})"
        for where, ko, _ in texts
        for pattern in term.get("forbidden", [])
        for m in re.finditer(pattern, ko)
    ]
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("term", [t for t in TERMS if "en_marker" in t], ids=lambda t: t["concept"])
def test_english_concept_has_its_korean_word(term: dict, texts: list[tuple[str, str, str]]) -> None:
    marker = re.compile(term["en_marker"], re.IGNORECASE)
    bad = [where for where, ko, en in texts if marker.search(en) and term["ko"] not in ko]
    assert not bad, f"English says {term['en']!r} but Korean lacks {term['ko']!r}: {bad}"


@pytest.mark.parametrize(
    "term", [t for t in TERMS if "ko_implies" in t], ids=lambda t: t["concept"]
)
def test_korean_word_keeps_one_meaning(term: dict, texts: list[tuple[str, str, str]]) -> None:
    meaning = re.compile(term["ko_implies"], re.IGNORECASE)
    bad = [where for where, ko, en in texts if term["ko"] in ko and not meaning.search(en)]
    assert not bad, f"{term['ko']!r} is {term['en']!r} only, but its English twin is not: {bad}"


def test_the_check_catches_a_regularization_called_normalization(tmp_path: Path) -> None:
    (tmp_path / "demo.yaml").write_text(
        "topic: demo\nid_prefix: demo\ntitle: {ko: 주제, en: Topic}\nquestions:\n"
        "  - id: demo.q\n    difficulty: easy\n    tags: [basics]\n"
        "    question: {ko: L2 정규화란?, en: What is L2 regularization?}\n"
        "    answer: {ko: 과대적합을 줄인다., en: It reduces overfitting.}\n",
        encoding="utf-8",
    )
    texts = list(_texts(load_bank(tmp_path)))
    by_concept = {t["concept"]: t for t in TERMS}
    reg, over = by_concept["regularization"], by_concept["overfitting"]
    assert any(re.search(p, ko) for _, ko, _ in texts for p in reg["forbidden"])
    assert any(re.search(p, ko) for _, ko, _ in texts for p in over["forbidden"])
    assert any(re.search(reg["en_marker"], en, re.I) and reg["ko"] not in ko for _, ko, en in texts)
