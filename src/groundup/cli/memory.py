"""Will a model fit in memory? Estimates from a model's config, before anything is allocated.

`state_values(config)` counts the values (parameters and persistent buffers) that
`groundup.models.build(config)` would allocate, from the config alone, for the models the
command line trains; `training_bytes` adds what training holds besides (gradients,
optimizer state, activations: the terms `groundup.inspect.summary` reports for a built
model). `check_training` and `check_weights` refuse, with the estimate, what the machine's
available memory (`/proc/meminfo`, else `os.sysconf`) cannot hold, so that a `--hidden
1000000000` or a weights file whose config asks for a huge layer ends in one line instead of
an ArrayMemoryError.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Mapping
from typing import Any

from groundup import models
from groundup.cli.common import CLIError
from groundup.inspect.summary import OPTIMIZER_STATE_ARRAYS

BYTES = 4  # float32
SEQUENCE_LENGTH = 32  # tokens per example, an upper bound for the bundled tasks
VOCABULARY = 128  # an upper bound for the bundled tasks' vocabularies


def available_bytes() -> int | None:
    """Memory the system can give this process now (MemAvailable), or None if unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):
        return None


def human(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB", "PB"):
        if n < 1000 or unit == "PB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    raise AssertionError  # pragma: no cover


# ---------------------------------------------------------------- values per layer
def _linear(n_in: int, n_out: int, bias: bool = True) -> int:
    return n_in * n_out + (n_out if bias else 0)


def _norm(c: int, running: bool) -> int:
    """BatchNorm (weight, bias, running mean and var, a step count) or LayerNorm."""
    return 4 * c + 1 if running else 2 * c


def _mlp(c: Mapping[str, Any]) -> int:
    sizes = [int(s) for s in c["sizes"]]
    total = _linear(sizes[-2], sizes[-1])
    for n_in, n_out in zip(sizes[:-2], sizes[1:-1], strict=True):
        total += _linear(n_in, n_out) + (_norm(n_out, True) if c["batch_norm"] else 0)
    return total


def _digits_cnn(c: Mapping[str, Any]) -> int:
    size, c_in, total = int(c["image_size"]), int(c["in_channels"]), 0
    for c_out in (int(x) for x in c["channels"]):
        total += 9 * c_in * c_out + c_out + (_norm(c_out, True) if c["batch_norm"] else 0)
        size, c_in = size // 2, c_out
    hidden = int(c["hidden"])
    return total + _linear(c_in * size * size, hidden) + _linear(hidden, int(c["num_classes"]))


def _mnist1d_cnn(c: Mapping[str, Any]) -> int:
    ch, length = int(c["channels"]), int(c["length"])
    for kernel in (5, 3, 3):
        length = (length + 2 - kernel) // 2 + 1
    convs = 5 * ch + ch + 2 * (3 * ch * ch + ch)
    return convs + _linear(ch * length, int(c["num_classes"]))


def _gru_classifier(c: Mapping[str, Any]) -> int:
    h, d = int(c["hidden_size"]), 2 if c["bidirectional"] else 1
    gru = 3 * h * int(c["input_size"]) + 3 * h * h + 6 * h
    return d * gru + _linear(int(c["seq_len"]) * d * h, int(c["num_classes"]))


def _seq2seq(c: Mapping[str, Any]) -> int:
    v, e, h = int(c["vocab_size"]), int(c["embedding_dim"]), int(c["hidden_size"])
    v_out = int(c["target_vocab_size"] or v)

    def lstm(n_in: int) -> int:
        return 4 * h * n_in + 4 * h * h + 8 * h

    decoder = str(c["decoder"])
    attention = {"dot": 0, "general": h * h, "additive": 2 * h * h + h}[str(c["attention"])]
    return (
        v * e
        + lstm(e)
        + v_out * e
        + lstm(e + h if decoder == "peeky" else e)
        + (attention if decoder == "attention" else 0)
        + _linear(2 * h if decoder != "plain" else h, v_out)
    )


def _transformer(c: Mapping[str, Any]) -> int:
    d, ff = int(c["d_model"]), int(c["dim_feedforward"])
    v = int(c["vocab_size"])
    v_out = int(c["target_vocab_size"] or v)
    attention = 4 * d * d + 4 * d
    feedforward = _linear(d, ff) + _linear(ff, d)
    encoder = int(c["num_encoder_layers"]) * (attention + feedforward + 2 * _norm(d, False))
    decoder = int(c["num_decoder_layers"]) * (2 * attention + feedforward + 3 * _norm(d, False))
    positions = int(c["max_len"]) * d if c["positional"] == "learned" else 0
    return (v + v_out) * d + positions + encoder + decoder + 2 * _norm(d, False) + _linear(d, v_out)


COUNTERS: dict[str, Callable[[Mapping[str, Any]], int]] = {
    "MLP": _mlp,
    "LogisticRegression": lambda c: _linear(int(c["in_features"]), int(c["num_classes"])),
    "DigitsCNN": _digits_cnn,
    "MNIST1DCNN": _mnist1d_cnn,
    "GRUClassifier": _gru_classifier,
    "Seq2Seq": _seq2seq,
    "TransformerSeq2Seq": _transformer,
}


def _with_defaults(config: Mapping[str, Any]) -> dict[str, Any]:
    """The config with every constructor default filled in (one source: the signature)."""
    signature = inspect.signature(models.MODELS[config["name"]].__init__)
    defaults = {k: p.default for k, p in signature.parameters.items() if p.default is not p.empty}
    return {**defaults, **config}


def state_values(config: Any) -> int | None:
    """Parameters plus buffers that `models.build(config)` allocates; None for a config
    this module does not know (or cannot read)."""
    if not isinstance(config, Mapping) or config.get("name") not in COUNTERS:
        return None
    try:
        return COUNTERS[config["name"]](_with_defaults(config))
    except (KeyError, TypeError, ValueError):
        return None


def activation_values(config: Mapping[str, Any], batch: int) -> int:
    """A rough count of the values one training batch keeps for backward."""
    c = _with_defaults(config)
    name = c["name"]
    if name == "MLP":
        return batch * sum(int(s) for s in c["sizes"]) * 6
    if name == "GRUClassifier":
        return batch * int(c["seq_len"]) * int(c["hidden_size"]) * 2 * 12
    if name == "Seq2Seq":
        width = int(c["embedding_dim"]) + 12 * int(c["hidden_size"]) + 3 * VOCABULARY
        return batch * SEQUENCE_LENGTH * width * 2
    if name == "TransformerSeq2Seq":
        d, t, heads = int(c["d_model"]), SEQUENCE_LENGTH, int(c["nhead"])
        layers = int(c["num_encoder_layers"]) + 2 * int(c["num_decoder_layers"])
        per_layer = batch * t * (12 * d + 2 * int(c["dim_feedforward"])) + batch * heads * t * t * 3
        return layers * per_layer + batch * t * 3 * VOCABULARY
    return 0  # the small fixed-size models


def training_bytes(values: int, activations: int, optimizer: str) -> int:
    """Weights, gradients, optimizer state (summary's arrays per parameter), activations."""
    state_arrays = OPTIMIZER_STATE_ARRAYS.get(optimizer, 2)
    return BYTES * (values * (2 + state_arrays) + activations)


# ------------------------------------------------------------------------------ checks
def check_training(what: str, config: Mapping[str, Any], batch: int, optimizer: str) -> None:
    """Refuse a training run whose model cannot fit in the memory available now."""
    values = state_values(config)
    available = available_bytes()
    if values is None or available is None:
        return
    need = training_bytes(values, activation_values(config, batch), optimizer)
    if need > available:
        raise CLIError(
            f"{what}: a model of {values:,} parameters needs about {human(need)} of memory to "
            f"train (weights, gradients, {optimizer} state, activations of a batch of {batch}), "
            f"more than the {human(available)} available; choose smaller sizes"
        )


def check_model(what: str, config: Mapping[str, Any]) -> None:
    """Refuse to build a model whose weights alone cannot fit in the memory available."""
    values = state_values(config)
    available = available_bytes()
    if values is None or available is None or BYTES * values <= available:
        return
    raise CLIError(
        f"{what}: a model of {values:,} parameters needs about {human(BYTES * values)} of "
        f"memory, more than the {human(available)} available; choose smaller sizes"
    )


def check_weights(path: str, config: Mapping[str, Any], file_values: int) -> None:
    """Before building the model of a weights file: its config must describe about the
    tensors the file holds (not a far larger model), and that model must fit in memory."""
    values = state_values(config)
    if values is None:
        return
    if values > 2 * file_values + 10_000:
        raise CLIError(
            f"{path}: its config describes a model of {values:,} values ({human(BYTES * values)})"
            f", but the file holds {file_values:,}; the config does not match the weights "
            "(edited, or written by another program?), so no model was built"
        )
    available = available_bytes()
    if available is not None and 2 * BYTES * values > available:
        raise CLIError(
            f"{path}: its model of {values:,} values needs about {human(2 * BYTES * values)} "
            f"of memory, more than the {human(available)} available"
        )
