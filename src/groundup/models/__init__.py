"""groundup.models: ready-made models that carry a `config` to be rebuilt from.

`build(model.config)` makes a fresh model of the same architecture; saved weights store the
config, so a weights file alone is enough to rebuild and evaluate a model.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from groundup.models import bert
from groundup.models.autoencoder import Autoencoder, ConvAutoencoder
from groundup.models.bert import (
    BertConfig,
    BertForPreTraining,
    BertForSequenceClassification,
    BertModel,
)
from groundup.models.cnn import MNIST1DCNN, DigitsCNN, LeNet, cnn_for
from groundup.models.linear_models import LinearRegression, LogisticRegression
from groundup.models.mlp import MLP
from groundup.models.rnn import GRUClassifier
from groundup.models.seq2seq import Seq2Seq
from groundup.models.transformer import TransformerSeq2Seq, train_transformer_seq2seq
from groundup.nn.module import Module

MODELS: dict[str, type[Module]] = {
    "MLP": MLP,
    "LogisticRegression": LogisticRegression,
    "LinearRegression": LinearRegression,
    "LeNet": LeNet,
    "DigitsCNN": DigitsCNN,
    "MNIST1DCNN": MNIST1DCNN,
    "Autoencoder": Autoencoder,
    "ConvAutoencoder": ConvAutoencoder,
    "Seq2Seq": Seq2Seq,
    "GRUClassifier": GRUClassifier,
    "TransformerSeq2Seq": TransformerSeq2Seq,
}


def build(config: Mapping[str, Any]) -> Module:
    """A new model from a config such as `{'name': 'MLP', 'sizes': [64, 128, 10], ...}`."""
    if not isinstance(config, Mapping) or config.get("name") not in MODELS:
        name = config.get("name") if isinstance(config, Mapping) else config
        raise ValueError(f"unknown model {name!r} in config; known: {sorted(MODELS)}")
    kwargs = {k: v for k, v in config.items() if k != "name"}
    return MODELS[config["name"]](**kwargs)


__all__ = [
    "Autoencoder",
    "BertConfig",
    "BertForPreTraining",
    "BertForSequenceClassification",
    "BertModel",
    "ConvAutoencoder",
    "DigitsCNN",
    "GRUClassifier",
    "LeNet",
    "MNIST1DCNN",
    "cnn_for",
    "MLP",
    "MODELS",
    "LinearRegression",
    "LogisticRegression",
    "Seq2Seq",
    "TransformerSeq2Seq",
    "train_transformer_seq2seq",
    "bert",
    "build",
]
