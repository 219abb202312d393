"""summary: shapes and parameter counts by hand, memory by formula, and no side effects."""

from __future__ import annotations

import numpy as np
import pytest

import groundup as gu
from groundup import nn
from groundup.inspect.summary import summary
from groundup.models import MLP


def test_mlp_rows_shapes_and_parameter_counts():
    s = summary(MLP([64, 128, 10]), (64,), batch_size=32, verbose=False)
    rows = {(layer.name, layer.type): layer for layer in s.layers}
    first, relu, out = rows[("0", "Linear")], rows[("1", "ReLU")], rows[("out", "Linear")]
    assert (first.input_shape, first.output_shape, first.params) == ((32, 64), (32, 128), 8_320)
    assert (relu.output_shape, relu.params) == ((32, 128), 0)
    assert (out.input_shape, out.output_shape, out.params) == ((32, 128), (32, 10), 1_290)
    assert s.layers[0].type == "MLP" and s.layers[0].output_shape == (32, 10)
    assert [layer.depth for layer in s.layers] == [0, 1, 2, 3, 3, 1]  # MLP/hidden/0/0,1/out
    assert s.total_params == s.trainable_params == 9_610
    assert sum(layer.params for layer in s.layers) == s.total_params


STATE_ARRAYS = [
    ("adam", 2),
    ("adamw", 2),
    ("sgd", 0),
    ("momentum", 1),
    ("rmsprop", 1),
    ("adagrad", 1),
]


@pytest.mark.parametrize("optimizer, arrays", STATE_ARRAYS)
def test_memory_follows_the_formulas(optimizer, arrays):
    s = summary(MLP([64, 128, 10]), (64,), batch_size=32, optimizer=optimizer, verbose=False)
    p = 9_610
    assert s.param_bytes == 4 * p and s.grad_bytes == 4 * p
    assert s.optimizer_bytes == arrays * 4 * p
    # leaf outputs: Linear (32x128) + ReLU (32x128) + Linear (32x10), float32
    activations = 4 * 32 * (128 + 128 + 10)
    assert s.activation_bytes == activations
    assert s.buffer_bytes == 0
    assert s.total_bytes == (2 + arrays) * 4 * p + activations
    if optimizer == "adam":
        assert s.total_bytes == 16 * p + activations  # fp32 Adam: 16 bytes per parameter


def test_activations_grow_with_batch_size_and_dtype():
    small = summary(MLP([8, 16, 4]), (8,), batch_size=2, verbose=False)
    large = summary(MLP([8, 16, 4]), (8,), batch_size=20, verbose=False)
    assert large.activation_bytes == 10 * small.activation_bytes
    assert large.param_bytes == small.param_bytes
    double = summary(MLP([8, 16, 4]).double(), (8,), batch_size=2, dtype=np.float64, verbose=False)
    assert double.activation_bytes == 2 * small.activation_bytes
    assert double.param_bytes == 2 * small.param_bytes


def test_frozen_parameters_need_no_gradients_or_optimizer_state():
    model = MLP([10, 20, 5])
    model.hidden.requires_grad_(False)
    s = summary(model, (10,), optimizer="adam", verbose=False)
    assert s.total_params == 220 + 105 and s.trainable_params == 105
    assert s.non_trainable_params == 220
    assert s.grad_bytes == 4 * 105 and s.optimizer_bytes == 8 * 105


def test_batch_norm_buffers_are_counted_separately():
    s = summary(MLP([10, 20, 5], batch_norm=True), (10,), verbose=False)
    # running_mean and running_var (float32) plus num_batches_tracked (int64)
    assert s.buffer_bytes == 2 * 20 * 4 + 8
    assert s.total_params == 220 + 40 + 105


def test_summary_changes_nothing():
    gu.manual_seed(0)
    model = MLP([6, 12, 3], batch_norm=True, dropout=0.5)
    model.eval()
    model.hidden[0].train()  # mixed modes must come back as they were
    before = model.state_dict()
    modes = [m.training for m in model.modules()]
    rng = gu.get_rng_state()
    summary(model, (6,), batch_size=4, verbose=False)
    assert gu.get_rng_state() == rng
    assert [m.training for m in model.modules()] == modes
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v, before[k])
    assert all(not m._forward_hooks for m in model.modules())


def test_table_text_and_printing(capsys):
    s = summary(MLP([64, 128, 10]), (64,), batch_size=32)
    printed = capsys.readouterr().out
    assert printed.strip() == str(s).strip()
    for text in ("Layer (type)", "Input shape", "Output shape", "Param #", "out (Linear)",
                 "[32, 64]", "8,320", "Total params: 9,610", "Trainable params: 9,610",
                 "optimizer state (adam)", "activations", "total"):  # fmt: skip
        assert text in printed, text
    assert "      0 (Linear)" in printed  # indented by depth


class Twice(nn.Module):
    """One layer applied twice: its outputs are both kept for backward."""

    def __init__(self):
        super().__init__()
        self.layer = nn.Linear(4, 4)

    def forward(self, x):
        return self.layer(self.layer(x))


def test_a_module_called_twice_counts_both_outputs():
    s = summary(Twice(), (4,), batch_size=3, verbose=False)
    layer = next(row for row in s.layers if row.name == "layer")
    assert layer.calls == 2 and s.activation_bytes == 2 * 3 * 4 * 4
    assert "layer (Linear) x2" in str(s)


def test_unknown_optimizer_is_rejected():
    with pytest.raises(ValueError, match="unknown optimizer 'lbfgs'"):
        summary(MLP([2, 2]), (2,), optimizer="lbfgs", verbose=False)
