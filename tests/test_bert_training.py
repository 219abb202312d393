"""BERT pretraining and fine-tuning on the shipped corpus, and the corpus itself."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from groundup.lab.bank import load_bank
from groundup.models.bert import finetune, load_pretrained, pretrain
from groundup.models.bert_training import PretrainResult, bag_of_words, unigram_entropy
from groundup.text.corpus import held_out_questions, load_corpus, split_sentences

TINY = {"hidden_size": 32, "num_attention_heads": 2, "intermediate_size": 64}


@pytest.fixture(scope="module")
def tiny_run() -> PretrainResult:
    return pretrain(
        steps=40,
        batch_size=8,
        max_length=32,
        vocab_size=400,
        config_overrides={**TINY, "num_hidden_layers": 1},
        sources=("bank",),
        languages=("en",),
        seed=1,
        log_every=10,
    )


def test_corpus_holds_the_bank_in_both_languages_and_docstrings() -> None:
    docs = load_corpus()
    bank = load_bank()
    bank_docs = [d for d in docs if d.source == "bank"]
    assert len(bank_docs) == 2 * len(bank)
    assert {d.lang for d in bank_docs} == {"ko", "en"}
    first = bank_docs[0]
    assert first.sentences[0] == bank[first.id].question.get(first.lang)
    assert first.topic == bank.topic_of(first.id)
    docstrings = [d for d in docs if d.source == "docstrings"]
    assert docstrings and all(d.lang == "en" and d.topic is None for d in docstrings)
    assert any(d.id == "groundup.text.corpus" for d in docstrings)
    assert load_corpus(("bank",), ("ko",)) == [d for d in bank_docs if d.lang == "ko"]
    with pytest.raises(ValueError, match="unknown or empty sources/languages"):
        load_corpus(("wikipedia",))


def test_sentences_and_held_out_questions() -> None:
    text = "One.  Two?\nThree! Pi is 3.14 here"
    assert split_sentences(text) == ["One.", "Two?", "Three!", "Pi is 3.14 here"]
    docs = load_corpus(("bank",))
    held = held_out_questions(docs, 0.2, seed=0)
    assert held == held_out_questions(docs, 0.2, seed=0)
    topics = {d.topic for d in docs}
    assert {d.topic for d in docs if d.id in held} == topics  # every topic is tested
    assert 0.15 < len(held) / len(load_bank()) < 0.25
    with pytest.raises(ValueError, match="fraction must be in"):
        held_out_questions(docs, 1.0)


def test_unigram_entropy_and_bag_of_words() -> None:
    assert unigram_entropy(np.array([3, 3, 3])) == 0.0
    assert unigram_entropy(np.array([1, 2, 1, 2])) == pytest.approx(np.log(2))
    x = bag_of_words([([2, 7, 7, 3], [0, 0, 0, 0])], 10)
    assert x.shape == (1, 10) and x[0, 7] == pytest.approx(np.log(3))


def test_pretraining_reports_mlm_against_the_unigram_baseline(tiny_run: PretrainResult) -> None:
    m = tiny_run.metrics
    for split in ("train", "held_out"):
        assert 0 <= m[f"{split}_mlm_accuracy"] <= 1 and m[f"{split}_masked_tokens"] > 100
        assert 0 < m[f"{split}_unigram_entropy"] < np.log(400)
        assert np.isfinite(m[f"{split}_mlm_loss"])
    assert m["vocab_size"] == 400 and tiny_run.tokenizer.vocab_size == 400
    losses = [row["mlm_loss"] for row in tiny_run.history]
    assert losses[-1] < losses[0] - 0.3  # from log(400) = 6.0 toward the unigram entropy
    assert tiny_run.model.config.vocab_size == 400


def test_finetuning_reports_bert_and_bag_of_words(tiny_run: PretrainResult) -> None:
    result = finetune(tiny_run, epochs=1, max_length=32, seed=1)
    m = result.metrics
    assert len(result.topics) == len(load_bank().topics())
    assert m["test_examples"] == 2 * len(tiny_run.held_out)  # both languages
    for key in ("bert_accuracy", "bow_accuracy", "majority_accuracy"):
        assert 0 <= m[key] <= 1
    assert m["bow_accuracy"] > m["majority_accuracy"]


@pytest.mark.slow
def test_full_pretraining_beats_unigram_and_fine_tuning_beats_majority() -> None:
    run = pretrain()
    m = run.metrics
    assert m["held_out_mlm_loss"] < 0.93 * m["held_out_unigram_entropy"], m
    assert m["train_mlm_loss"] < 0.93 * m["train_unigram_entropy"], m
    tuned = finetune(run).metrics
    assert tuned["bert_accuracy"] > 2 * tuned["majority_accuracy"], tuned


def test_a_pretrained_model_saves_and_loads(tmp_path: Path, tiny_run: PretrainResult) -> None:
    path = tiny_run.save(tmp_path / "bert")
    assert path.exists() and (tmp_path / "bert" / "vocab.txt").exists()
    again = load_pretrained(tmp_path / "bert")
    assert again.tokenizer.vocab == tiny_run.tokenizer.vocab
    assert again.held_out == tiny_run.held_out and again.metrics == tiny_run.metrics
    assert (
        again.model.cls.predictions.decoder.weight
        is again.model.bert.embeddings.word_embeddings.weight
    )
    for key, value in tiny_run.model.state_dict().items():
        np.testing.assert_array_equal(again.model.state_dict()[key], value)
