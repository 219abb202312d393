"""Mutant tests: break the mechanism a lab claim names and the claim must turn false.

A claim that still holds when its mechanism is broken proves nothing. Each mutant below
monkeypatches the groundup function or class an experiment relies on (never the library's
files), reruns the experiment at quick size, and asserts that the claim naming that
mechanism now FAILS -- and that it holds when nothing is broken.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import groundup.nn as gnn
import groundup.nn.batchnorm as batchnorm_module
import groundup.nn.init as init_module
import groundup.nn.rnn_cells as rnn_cells_module
import groundup.nn.transformer as transformer_module
import groundup.ops.dropout as dropout_module
from groundup.lab import run
from groundup.lab.experiments import optimizers as optimizers_experiments
from groundup.lab.experiments import rnn as rnn_experiments
from groundup.nn.normalization import LayerNorm
from groundup.optim import SGD, Adam, RMSprop
from groundup.tensor import Tensor, no_grad

Patch = Callable[[pytest.MonkeyPatch], None]


# ------------------------------------------------------------------------- mutants
def adam_without_bias_correction(mp: pytest.MonkeyPatch) -> None:
    """Adam's update with m and v left biased toward 0: θ ← θ - lr m / (√v + ε)."""

    def update(self: Adam, p: Tensor, grad: np.ndarray, group: dict[str, Any]) -> None:
        beta1, beta2 = (float(b) for b in group["betas"])
        state = self.state[p]
        if not state:
            state["step"] = 0.0
            state["exp_avg"] = np.zeros_like(p._data)
            state["exp_avg_sq"] = np.zeros_like(p._data)
        state["step"] += 1
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m *= beta1
        m += (1 - beta1) * grad
        v *= beta2
        v += (1 - beta2) * grad * grad
        p._data -= float(group["lr"]) * m / (np.sqrt(v) + float(group["eps"]))

    mp.setattr(Adam, "_update", update)


def sgd_momentum_zero(mp: pytest.MonkeyPatch) -> None:
    """SGD ignores its momentum (and so Nesterov) argument."""
    original = SGD.__init__

    def init(self: SGD, params: Any, lr: float = 1e-3, momentum: float = 0,
             dampening: float = 0, weight_decay: float = 0, nesterov: bool = False,
             **kwargs: Any) -> None:  # fmt: skip
        original(self, params, lr=lr, momentum=0, dampening=dampening,
                 weight_decay=weight_decay, nesterov=False, **kwargs)  # fmt: skip

    mp.setattr(SGD, "__init__", init)


def dropout_without_rescaling(mp: pytest.MonkeyPatch) -> None:
    """Dropout's mask keeps units at 1 instead of 1/(1-p): the original, non-inverted rule
    in training with nothing done at test time."""

    def mask(shape: tuple[int, ...], p: float, dtype: np.dtype) -> np.ndarray:
        keep = np.random.default_rng(0).random(shape) >= p
        return keep.astype(dtype)

    mp.setattr(dropout_module, "dropout_mask", mask)


def attention_without_mask(mp: pytest.MonkeyPatch) -> None:
    """MultiheadAttention drops its attn_mask (and the is_causal hint): no causal mask."""
    original = gnn.MultiheadAttention.forward

    def forward(self: gnn.MultiheadAttention, *args: Any, **kwargs: Any) -> Any:
        kwargs["attn_mask"], kwargs["is_causal"] = None, False
        return original(self, *args, **kwargs)

    mp.setattr(gnn.MultiheadAttention, "forward", forward)


def batch_norm_without_running_stats(mp: pytest.MonkeyPatch) -> None:
    """Batch norm normalizes by the batch's statistics in eval() mode too."""
    original = batchnorm_module.batch_norm

    def batch_norm(input: Tensor, running_mean: Any, running_var: Any, weight: Any = None,  # noqa: A002
                   bias: Any = None, training: bool = False, momentum: float = 0.1,
                   eps: float = 1e-5) -> Tensor:  # fmt: skip
        if training:
            return original(input, running_mean, running_var, weight, bias, True, momentum, eps)
        return original(input, None, None, weight, bias, True, momentum, eps)

    mp.setattr(batchnorm_module, "batch_norm", batch_norm)


def clipping_disabled(mp: pytest.MonkeyPatch) -> None:
    """clip_grad_norm_ reports the norm and leaves the gradients as they are."""

    def clip(parameters: Any, max_norm: float, *args: Any, **kwargs: Any) -> Tensor:
        grads = [p.grad._data for p in parameters if p.grad is not None]
        return Tensor(np.sqrt(sum(float((g.astype(np.float64) ** 2).sum()) for g in grads)))

    mp.setattr(rnn_experiments, "clip_grad_norm_", clip)


def clipping_per_tensor(mp: pytest.MonkeyPatch) -> None:
    """Each parameter's gradient clipped to max_norm on its own (not one joint factor)."""

    def clip(parameters: Any, max_norm: float, *args: Any, **kwargs: Any) -> Tensor:
        total = 0.0
        for p in parameters:
            if p.grad is None:
                continue
            norm = float(np.linalg.norm(p.grad._data))
            total += norm**2
            if norm > max_norm:
                p.grad._data *= max_norm / norm
        return Tensor(math.sqrt(total))

    mp.setattr(rnn_experiments, "clip_grad_norm_", clip)


def lstm_forget_gate_ignores_bias(mp: pytest.MonkeyPatch) -> None:
    """The LSTM step sees zero bias in the forget-gate rows (H..2H): f = sigmoid(W x + U h)."""
    original = rnn_cells_module._LSTMFn

    class NoForgetBias:
        @staticmethod
        def apply(x: Tensor, h: Tensor, c: Tensor, w_ih: Tensor, w_hh: Tensor,
                  b_ih: Tensor | None, b_hh: Tensor | None, **kwargs: Any) -> Tensor:  # fmt: skip
            hidden = w_hh.shape[1]
            keep = np.ones(4 * hidden, dtype=w_ih.dtype)
            keep[hidden : 2 * hidden] = 0.0
            if b_ih is not None:
                b_ih = b_ih * Tensor(keep)
            if b_hh is not None:
                b_hh = b_hh * Tensor(keep)
            return original.apply(x, h, c, w_ih, w_hh, b_ih, b_hh, **kwargs)

    mp.setattr(rnn_cells_module, "_LSTMFn", NoForgetBias)


def constant_init_is_random(mp: pytest.MonkeyPatch) -> None:
    """nn.init.constant_ fills with N(val, 0.3^2) noise: the symmetry is broken at the start."""
    rng = np.random.default_rng(0)

    def constant_(tensor: Tensor, val: float) -> Tensor:
        with no_grad():
            tensor._data[...] = val + 0.3 * rng.standard_normal(tensor.shape)
        return tensor

    mp.setattr(init_module, "constant_", constant_)


def adagrad_with_leaky_average(mp: pytest.MonkeyPatch) -> None:
    """'AdaGrad' that keeps a leaky average of g² (RMSprop, α = 0.9) instead of the sum."""

    def leaky(params: Any, lr: float = 1e-2, **kwargs: Any) -> RMSprop:
        return RMSprop(params, lr=lr, alpha=0.9, eps=1e-10)

    mp.setattr(optimizers_experiments, "Adagrad", leaky)


def layer_norm_without_bias(mp: pytest.MonkeyPatch) -> None:
    """The Transformer's LayerNorms lose their bias (d parameters each)."""

    class BiaslessLayerNorm(LayerNorm):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["bias"] = False
            super().__init__(*args, **kwargs)

    mp.setattr(transformer_module, "LayerNorm", BiaslessLayerNorm)


def conv_without_bias(mp: pytest.MonkeyPatch) -> None:
    """nn.Conv2d builds no bias."""
    original = gnn.Conv2d

    class BiaslessConv2d(original):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["bias"] = False
            super().__init__(*args, **kwargs)

    mp.setattr(gnn, "Conv2d", BiaslessConv2d)


def eval_dropout_scales(mp: pytest.MonkeyPatch) -> None:
    """Dropout in eval mode multiplies by the keep probability instead of passing through."""
    original = dropout_module.dropout

    def dropout(x: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
        if training:
            return original(x, p, training)
        return x * (1 - p)

    mp.setattr(dropout_module, "dropout", dropout)


# (experiment, claim that names the mechanism, the mutant breaking it)
MUTANTS: dict[str, tuple[str, str, Patch]] = {
    "adam-without-bias-correction": (
        "opt.optimizers-on-valley", "book_endpoints_reproduced", adam_without_bias_correction),
    "adam-without-bias-correction-vs-book-formula": (
        "opt.optimizers-on-valley", "book_and_torch_formulas_agree", adam_without_bias_correction),
    "sgd-momentum-zero": ("opt.optimizers-on-valley", "book_endpoints_reproduced",
                          sgd_momentum_zero),
    "sgd-momentum-zero-on-digits": ("opt.optimizers-on-digits", "sgd_slowest", sgd_momentum_zero),
    "dropout-without-rescaling": ("reg.dropout-test-time", "inverted_matches",
                                  dropout_without_rescaling),
    "eval-dropout-scales": ("reg.dropout-test-time", "eval_is_identity", eval_dropout_scales),
    "attention-without-causal-mask": ("tf.causal-mask", "future_gradient_exactly_zero",
                                      attention_without_mask),
    "attention-without-causal-mask-weights": ("tf.three-attentions", "decoder_sees_only_the_past",
                                              attention_without_mask),
    "batch-norm-without-running-stats": ("norm.bn-eval-mode", "eval_ignores_batching",
                                         batch_norm_without_running_stats),
    "clipping-disabled": ("rnn.clipping-exploding", "with_clipping_training_converges",
                          clipping_disabled),
    "clipping-per-tensor": ("rnn.clipping-exploding", "clipping_keeps_the_direction",
                            clipping_per_tensor),
    "lstm-forget-gate-ignores-bias": ("rnn.gradient-through-time", "open_gates_keep_the_gradient",
                                      lstm_forget_gate_ignores_bias),
    "constant-init-is-random": ("init.zero-symmetry", "constant_units_stay_identical",
                                constant_init_is_random),
    "zero-init-is-random": ("init.zero-symmetry", "zero_weights_never_move",
                            constant_init_is_random),
    "adagrad-with-leaky-average": ("opt.adagrad-vs-rmsprop", "adagrad_step_never_grows",
                                   adagrad_with_leaky_average),
    "layer-norm-without-bias": ("tf.base-parameter-count", "base_is_44m_without_embeddings",
                                layer_norm_without_bias),
    "conv-without-bias": ("cnn.param-count-table", "conv_counts_need_biases", conv_without_bias),
}  # fmt: skip


@pytest.mark.parametrize("experiment_id", sorted({e for e, _, _ in MUTANTS.values()}))
def test_claims_hold_unbroken(experiment_id: str) -> None:
    result = run(experiment_id, seed=0, size="quick")
    for eid, claim, _ in MUTANTS.values():
        if eid == experiment_id:
            assert result.claims[claim], f"{experiment_id}: {claim} fails unbroken\n{result}"


@pytest.mark.parametrize("name", list(MUTANTS))
def test_mutant_makes_its_claim_fail(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    experiment_id, claim, patch = MUTANTS[name]
    patch(monkeypatch)
    with np.errstate(all="ignore"):
        result = run(experiment_id, seed=0, size="quick")
    assert claim in result.claims, f"{experiment_id} no longer makes the claim {claim!r}"
    assert not result.claims[claim], (
        f"mutant {name!r} left {experiment_id}'s claim {claim!r} standing:\n{result}"
    )
