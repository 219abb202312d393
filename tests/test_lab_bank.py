"""The question bank: schema, cross-file integrity, code links and seed coverage."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from groundup.lab.bank import BankError, QuestionBank, load_bank, resolve_code_path
from groundup.lab.registry import all_experiments
from groundup.lab.schema import DIFFICULTIES, has_hangul

S000 = "000_4311e10399d49c6c.txt"
S001 = "001_0193c4211b77e921.txt"
S002 = "002_f3c96c718a2d1d41.txt"
S003 = "003_470c84d4fd32928e.txt"
S004 = "004_0e910c1afd9d8c51.txt"

# Every question asked in the five seed notes, as (seed file, item). Items are the note's
# own numbers; notes without numbers are numbered in heading order; 003's unanswered list
# continues after its ten answered questions; 004 has sections (terms, content, calc,
# diagram), and its unnumbered calc items under 1 are 1a, 1b, 1c.
SEED_QUESTIONS: list[tuple[str, str]] = [
    # 000: peer-session practice questions
    (S000, "1"),  # Transformer structure via its three attentions
    (S000, "2"),  # all-zero initial weights
    (S000, "3"),  # stacking LSTM layers
    (S000, "4"),  # DataLoader num_workers
    (S000, "5"),  # near-zero correlation yet a significant predictor
    (S000, "6"),  # gradient descent for a school student
    # 001: Q&A headings, in order
    (S001, "1"),  # what is deep learning
    (S001, "2"),  # deep vs shallow
    (S001, "3"),  # cost function
    (S001, "4"),  # gradient descent
    (S001, "5"),  # backpropagation
    (S001, "6"),  # stochastic, batch, mini-batch
    (S001, "7"),  # one-hot encoding
    (S001, "8"),  # data normalization
    (S001, "9"),  # weight initialization
    (S001, "10"),  # activation function
    (S001, "11"),  # hyperparameter
    (S001, "12"),  # model capacity
    (S001, "13"),  # CNN
    (S001, "14"),  # autoencoder
    (S001, "15"),  # dropout
    (S001, "16"),  # cross-entropy cost
    (S001, "17"),  # feedforward vs recurrent
    # 002: gradient descent and its follow-ups
    (S002, "1"),  # gradient descent, simply
    (S002, "1.1"),  # why the gradient, axes, real landscape
    (S002, "1.2"),  # why the loss sometimes rises
    (S002, "1.3"),  # for a middle-school student
    (S002, "1.4"),  # backpropagation, simply
    # 003: deep learning general (answered) ...
    (S003, "1"),  # deep learning vs machine learning
    (S003, "2"),  # why deep learning took off
    (S003, "3"),  # last paper read
    (S003, "4"),  # cost and activation functions
    (S003, "5"),  # preferred framework
    (S003, "6"),  # data normalization
    (S003, "7"),  # activation functions compared
    (S003, "8"),  # overfitting remedies
    (S003, "9"),  # hyperparameters
    (S003, "10"),  # weight initialization methods
    # ... and the list of questions with follow-ups
    (S003, "11"),  # Boltzmann machine
    (S003, "12"),  # ReLU over sigmoid
    (S003, "12.1"),  # non-linearity
    (S003, "12.2"),  # curves from ReLU
    (S003, "12.3"),  # ReLU's problems
    (S003, "12.4"),  # why a bias
    (S003, "13"),  # gradient descent, simply
    (S003, "13.1"),  # why the gradient
    (S003, "13.2"),  # loss going up
    (S003, "13.3"),  # for a middle-school student
    (S003, "13.4"),  # backpropagation, simply
    (S003, "14"),  # deep learning despite local minima
    (S003, "14.1"),  # how GD avoids local minima
    (S003, "14.2"),  # is it the global minimum
    (S003, "15"),  # why split train and test
    (S003, "15.1"),  # why a validation set
    (S003, "15.2"),  # contaminated test set
    (S003, "15.3"),  # regularization
    (S003, "16"),  # batch norm effects
    (S003, "16.1"),  # dropout effects
    (S003, "16.2"),  # BN at inference, in code
    (S003, "16.3"),  # BN in a GAN generator
    (S003, "17"),  # SGD, RMSprop, Adam
    (S003, "17.1"),  # meaning of stochastic
    (S003, "17.2"),  # small mini-batches
    (S003, "17.3"),  # momentum formula
    (S003, "18"),  # MNIST MLP in NumPy, lines
    (S003, "18.1"),  # hours to a working version
    (S003, "18.2"),  # lines of backprop
    (S003, "18.3"),  # switching to a CNN
    (S003, "19"),  # MNIST in a framework, hours
    (S003, "19.1"),  # MLP instead of CNN
    (S003, "19.2"),  # the last layer
    (S003, "19.3"),  # train with BCE, watch MSE
    (S003, "19.4"),  # data for Korean OCR
    (S003, "20"),  # why GPUs
    (S003, "20.1"),  # GPU below 100%
    (S003, "20.2"),  # two GPUs
    (S003, "20.3"),  # GPU memory
    (S003, "21"),  # debugging know-how
    (S003, "22"),  # biggest weakness, one-shot learning
    # 004: terms
    (S004, "terms.1"),  # loss functions
    (S004, "terms.2"),  # cross-validation
    (S004, "terms.3"),  # softmax, why exp
    (S004, "terms.4"),  # gradient descent
    (S004, "terms.5"),  # backpropagation
    (S004, "terms.6"),  # gradient descent and learning rate
    # 004: content questions
    (S004, "content.1"),  # lemmatization
    (S004, "content.2"),  # spaCy
    (S004, "content.3"),  # activation functions compared
    (S004, "content.4"),  # logistic regression
    (S004, "content.5"),  # linear vs logistic regression
    (S004, "content.6"),  # logistic regression cost
    (S004, "content.7"),  # weight penalty
    (S004, "content.8"),  # batch, stochastic, mini-batch
    (S004, "content.9"),  # update rules compared
    (S004, "content.10"),  # optimization and initialization
    (S004, "content.11"),  # uniform initial weights
    (S004, "content.12"),  # preventing overfitting
    (S004, "content.13"),  # embedding methods compared
    (S004, "content.14"),  # how a CNN works
    (S004, "content.15"),  # RNN vs bidirectional RNN
    (S004, "content.16"),  # RNN, LSTM, GRU
    (S004, "content.17"),  # seq2seq
    (S004, "content.18"),  # teacher forcing
    (S004, "content.19"),  # seq2seq limits, why attention
    (S004, "content.20"),  # attention function
    (S004, "content.21"),  # attention steps
    (S004, "content.22"),  # how attention is learned
    (S004, "content.23"),  # kinds of embedding
    (S004, "content.24"),  # a good model from the embedding view
    (S004, "content.25"),  # transfer learning
    (S004, "content.26"),  # Transformer structure
    (S004, "content.27"),  # preprocessing before the encoder
    (S004, "content.28"),  # Transformer encoder
    (S004, "content.29"),  # Transformer decoder
    (S004, "content.30"),  # BERT vs Transformer
    (S004, "content.31"),  # BERT features
    # 004: calculation questions
    (S004, "calc.1"),  # CNN output shapes and the parameter table
    (S004, "calc.1a"),  # CNN input vs FNN input
    (S004, "calc.1b"),  # epochs from iterations
    (S004, "calc.1c"),  # two-layer net backward
    (S004, "calc.4"),  # RNN/LSTM shapes with batch_first
    (S004, "calc.5"),  # RNN/LSTM/seq2seq shapes compared
    (S004, "calc.6"),  # attention scores worked example
    # 004: diagrams
    (S004, "diagram.1"),  # CNN for NLP
    (S004, "diagram.2"),  # NumPy/PyTorch shape operations
]

TOPICS = {
    "mlp_backprop",
    "losses",
    "optimization",
    "initialization",
    "regularization",
    "normalization",
    "cnn",
    "rnn",
    "seq2seq_attention",
    "transformer",
    "bert",
    "training_practice",
    "statistics_ml",
    "embeddings_nlp",
    "representation",
}

# Questions where a seed note is wrong; their entries must say so in common_mistake.
KNOWN_TRAPS = [
    "init.xavier",  # Xavier's variance is 2/(fan_in + fan_out), not 1/n
    "init.methods",  # He/Xavier numbers are standard deviations, not weight values
    "reg.dropout-test-time",  # inverted dropout does nothing at test time
    "cnn.shape-table",  # biases missing, conv3 kernel, FC 160,000 vs 16,000
    "cnn.param-count",  # formula without bias
    "s2s.attention-worked-example",  # argmax written as softmax
    "s2s.encoder-decoder",  # first decoder input is <sos>
    "tf.decoder",  # causal mask includes the position itself
    "tf.scaled-dot-product",  # dot product is not cosine similarity
    "tf.overall-structure",  # two-sentence input is BERT's
    "bert.vs-transformer",  # [CLS] and the two 512s
    "bert.mlm-80-10-10",  # 80/10/10 is within the chosen 15%
    "nlp.lemmatization",  # lemmatization is not stemming
    "train.num-workers",  # worker processes, not CPU cores for training
    "train.squeeze-unsqueeze",  # NumPy has no unsqueeze
    "mlp.gd-for-kids",  # big steps overshoot; lr is not acceleration
]


@pytest.fixture(scope="module")
def bank() -> QuestionBank:
    return load_bank()


def _paths(kind: str) -> list[tuple[str, str]]:
    return sorted({(p, q.id) for q in load_bank() for p in getattr(q, kind)})


# ---------------------------------------------------------------- the real bank
def test_bank_has_every_topic_and_enough_questions(bank: QuestionBank) -> None:
    assert set(bank.topics()) == TOPICS
    assert len(bank) >= 150
    for topic in TOPICS:
        assert len(bank.by_topic(topic)) >= 5, topic


@pytest.mark.parametrize(("seed", "item"), SEED_QUESTIONS)
def test_every_seed_question_has_an_entry(bank: QuestionBank, seed: str, item: str) -> None:
    assert bank.by_source(seed, item), f"no question answers {seed} item {item}"


def test_sources_only_cite_listed_seed_items(bank: QuestionBank) -> None:
    listed = set(SEED_QUESTIONS)
    stray = [
        (q.id, s.seed, s.item) for q in bank for s in q.source if (s.seed, s.item) not in listed
    ]
    assert not stray, f"source refs not in SEED_QUESTIONS (typo?): {stray}"


def test_seed_follow_ups_stay_chained_to_their_question(bank: QuestionBank) -> None:
    """A seed follow-up N.M must sit, in the bank, below an entry answering item N."""
    for seed, item in SEED_QUESTIONS:
        if not re.fullmatch(r"\d+\.\d+", item):
            continue
        parent_item = item.split(".")[0]
        for q in bank.by_source(seed, item):
            ancestors = bank.chain(q.id)[:-1]
            assert any(
                any(s.seed == seed and s.item == parent_item for s in a.source) for a in ancestors
            ), f"{q.id} answers {seed} {item} but no ancestor answers item {parent_item}"


def test_follow_up_chain_example(bank: QuestionBank) -> None:
    chain = [q.id for q in bank.chain("mlp.gd-loss-goes-up")]
    assert chain == ["mlp.gd-easy", "mlp.gd-why-gradient", "mlp.gd-loss-goes-up"]
    children = {q.id for q in bank.children("mlp.gd-easy")}
    assert {"mlp.gd-why-gradient", "mlp.gd-for-kids", "mlp.backprop-easy"} <= children
    assert bank.root("mlp.learning-rate-size").id == "mlp.gd-easy"
    assert "mlp.learning-rate-size" in {q.id for q in bank.descendants("mlp.gd-easy")}


def test_every_question_is_bilingual_with_the_same_structure(bank: QuestionBank) -> None:
    for q in bank:
        for text in (q.question, q.answer, q.common_mistake):
            if text is None:
                continue
            assert has_hangul(text.ko), q.id
            assert not has_hangul(text.en), q.id
        if q.key_points is not None:
            assert len(q.key_points.ko) == len(q.key_points.en), q.id


def test_answers_fit_in_about_a_minute(bank: QuestionBank) -> None:
    for q in bank:
        words = len(q.answer.en.split())
        assert 40 <= words <= 200, f"{q.id}: English answer has {words} words"
        assert len(q.answer.ko) <= 650, f"{q.id}: Korean answer has {len(q.answer.ko)} chars"


def test_difficulties_and_tags(bank: QuestionBank) -> None:
    for q in bank:
        assert q.difficulty in DIFFICULTIES
        assert q.tags
    assert {q.difficulty for q in bank} == set(DIFFICULTIES)


@pytest.mark.parametrize("qid", KNOWN_TRAPS)
def test_known_traps_carry_a_common_mistake(bank: QuestionBank, qid: str) -> None:
    assert bank[qid].common_mistake is not None


def test_no_retired_id_is_in_use(bank: QuestionBank) -> None:
    assert not set(bank.retired) & set(bank.ids())


@pytest.mark.parametrize(("path", "qid"), _paths("code"))
def test_code_paths_import(path: str, qid: str) -> None:
    assert resolve_code_path(path) is not None, f"{qid}: {path}"


@pytest.mark.parametrize(("path", "qid"), _paths("planned_code"))
def test_planned_code_paths_once_they_exist(path: str, qid: str) -> None:
    try:
        obj = resolve_code_path(path)
    except (ImportError, AttributeError):
        pytest.skip(f"{path} is planned and not written yet")
    assert obj is not None


def test_linked_experiments_are_registered(bank: QuestionBank) -> None:
    registered = {e.id for e in all_experiments()}
    for q in bank:
        for eid in q.experiments:
            assert eid in registered, f"{q.id} links unregistered experiment {eid}"
    assert bank["init.zero-init"].experiments == ("init.zero-symmetry",)


def test_lookups(bank: QuestionBank) -> None:
    assert bank["opt.adam.why-bias-correction"].parent == "opt.sgd-rmsprop-adam"
    assert "opt.adam.why-bias-correction" in bank
    assert bank.topic_of("bert.mlm-80-10-10") == "bert"
    assert bank.get("no.such-id") is None
    with pytest.raises(KeyError, match="close matches"):
        bank["init.zero-inti"]
    assert {q.id for q in bank.by_tag("adam")} >= {"opt.adam.why-bias-correction", "opt.adamw"}
    assert all("dropout" in q.tags for q in bank.by_tag("dropout"))
    assert bank.search("80/10/10")
    assert bank.search("교사 강요", lang="ko")
    assert all(q.parent is None for q in bank.roots("cnn"))
    assert len(bank.by_source(S000)) >= 6
    assert bank.topic_title("bert").en.startswith("BERT")


# ------------------------------------------------------- validation failures
GOOD = """
  - id: {qid}
    {parent}difficulty: easy
    tags: [basics]
    question: {{ko: 질문입니다, en: A question?}}
    answer: {{ko: 답입니다, en: An answer.}}
"""


def _write(tmp: Path, name: str, body: str, prefix: str = "demo") -> None:
    head = f"topic: {name}\nid_prefix: {prefix}\ntitle: {{ko: 주제, en: Topic}}\nquestions:\n"
    (tmp / f"{name}.yaml").write_text(head + textwrap.dedent(body).strip("\n") + "\n")


def _q(qid: str, parent: str | None = None) -> str:
    return GOOD.format(qid=qid, parent=f"parent: {parent}\n    " if parent else "")


def test_a_valid_tmp_bank_loads(tmp_path: Path) -> None:
    _write(tmp_path, "demo", _q("demo.a") + _q("demo.b", parent="demo.a"))
    bank = load_bank(tmp_path)
    assert [q.id for q in bank.chain("demo.b")] == ["demo.a", "demo.b"]


def test_duplicate_ids_across_files_name_both_files(tmp_path: Path) -> None:
    _write(tmp_path, "demo", _q("demo.a"))
    _write(tmp_path, "other", _q("demo.a"), prefix="demo")
    with pytest.raises(
        BankError, match=r"other\.yaml: question 'demo\.a': id already used in demo\.yaml"
    ):
        load_bank(tmp_path)


def test_duplicate_ids_within_a_file(tmp_path: Path) -> None:
    _write(tmp_path, "demo", _q("demo.a") + _q("demo.a"))
    with pytest.raises(BankError, match="appears twice"):
        load_bank(tmp_path)


def test_retired_ids_cannot_be_reused(tmp_path: Path) -> None:
    _write(tmp_path, "demo", _q("demo.a"))
    (tmp_path / "_retired_ids.yaml").write_text(
        "retired:\n  - id: demo.a\n    reason: renamed to demo.b\n"
    )
    with pytest.raises(BankError, match=r"demo\.yaml: question 'demo\.a': id is retired"):
        load_bank(tmp_path)


def test_missing_parent_is_reported_with_file_and_id(tmp_path: Path) -> None:
    _write(tmp_path, "demo", _q("demo.a") + _q("demo.b", parent="demo.aa"))
    with pytest.raises(BankError, match=r"demo\.yaml: question 'demo\.b': parent 'demo\.aa'"):
        load_bank(tmp_path)


def test_parent_cycles_are_rejected(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "demo",
        _q("demo.a", parent="demo.c")
        + _q("demo.b", parent="demo.a")
        + _q("demo.c", parent="demo.b"),
    )
    with pytest.raises(BankError, match="parent cycle"):
        load_bank(tmp_path)


def test_missing_language_names_file_and_id(tmp_path: Path) -> None:
    _write(tmp_path, "demo", _q("demo.a").replace(", en: An answer.", ""))
    with pytest.raises(BankError, match=r"demo\.yaml: question 'demo\.a' \(entry #1\): answer\.en"):
        load_bank(tmp_path)


def test_english_text_must_not_be_korean(tmp_path: Path) -> None:
    _write(tmp_path, "demo", _q("demo.a").replace("en: An answer.", "en: 답입니다"))
    with pytest.raises(BankError, match="contains Korean"):
        load_bank(tmp_path)


def test_key_points_must_have_equal_lengths(tmp_path: Path) -> None:
    body = _q("demo.a") + "    key_points: {ko: [하나, 둘], en: [one]}\n"
    _write(tmp_path, "demo", body)
    with pytest.raises(BankError, match="ko has 2 items but en has 1"):
        load_bank(tmp_path)


def test_bad_difficulty_is_rejected(tmp_path: Path) -> None:
    _write(tmp_path, "demo", _q("demo.a").replace("difficulty: easy", "difficulty: extreme"))
    with pytest.raises(BankError, match="difficulty"):
        load_bank(tmp_path)


def test_unknown_fields_and_bad_code_paths_are_rejected(tmp_path: Path) -> None:
    _write(tmp_path, "demo", _q("demo.a") + "    answr: typo\n")
    with pytest.raises(BankError, match="answr"):
        load_bank(tmp_path)
    _write(tmp_path, "demo", _q("demo.a") + "    code: [numpy.linalg]\n")
    with pytest.raises(BankError, match="inside groundup"):
        load_bank(tmp_path)


def test_id_prefix_and_topic_name_must_match(tmp_path: Path) -> None:
    _write(tmp_path, "demo", _q("other.a"))
    with pytest.raises(BankError, match="must start with the file's prefix"):
        load_bank(tmp_path)
    (tmp_path / "demo.yaml").unlink()
    _write(tmp_path, "demo", _q("demo.a"))
    (tmp_path / "demo.yaml").rename(tmp_path / "renamed.yaml")
    with pytest.raises(BankError, match="must equal 'renamed'"):
        load_bank(tmp_path)


def test_invalid_yaml_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text("topic: [unclosed\n")
    with pytest.raises(BankError, match="broken.yaml: not valid YAML"):
        load_bank(tmp_path)


def test_resolve_code_path() -> None:
    import groundup.nn.init as init

    assert resolve_code_path("groundup.nn.init") is init
    assert resolve_code_path("groundup.nn.init.xavier_uniform_") is init.xavier_uniform_
    with pytest.raises(AttributeError):
        resolve_code_path("groundup.nn.init.no_such_function")
