"""CNN experiments on structure and arithmetic (no training): the seed notes' shape table,
a convolution as a sparse shared matrix, 'same' padding and pooling. Multi-channel filters
and im2col are in `cnn_im2col`, the training experiments in `cnn_training`."""

from __future__ import annotations

import numpy as np

from groundup import nn
from groundup.inspect import conv_output_shape, summary
from groundup.lab.registry import ExperimentResult, experiment, new_figure
from groundup.tensor import Tensor, no_grad

# The seed notes' table (004_0e910c1afd9d8c51.txt): layer, filter as written, output (H, W, C)
# and parameters as written. Its shapes are right; see `param_count_table` for its counts.
NOTE_ROWS = [
    ("conv1", "(4, 4)", (36, 28, 20), 320),
    ("pool1", "(2, 2)", (18, 14, 20), 0),
    ("conv2", "(3, 3)", (16, 12, 40), 7_200),
    ("pool2", "(2, 2)", (8, 6, 40), 0),
    ("conv3", "(2, 2)", (6, 4, 60), 21_600),
    ("pool3", "(2, 2)", (3, 2, 60), 0),
    ("conv4", "(2, 2)", (2, 1, 80), 19_200),
    ("flatten", "-", (160,), 0),
    ("fc", "-", (100,), 160_000),
]


def _note_network() -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(1, 20, 4),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(20, 40, 3),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(40, 60, 3),
        nn.ReLU(),
        nn.MaxPool2d(2),  # 3x3: what the row's numbers imply
        nn.Conv2d(60, 80, 2),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(160, 100),
    )


@experiment(
    id="cnn.param-count-table",
    questions=["cnn.shape-table", "cnn.param-count", "cnn.output-shape"],
    title="Rebuilding the notes' CNN shape table: shapes right, parameter counts wrong",
)
def param_count_table(seed: int, size: str) -> ExperimentResult:
    info = summary(_note_network(), (1, 39, 31), verbose=False)
    rows = [r for r in info.layers if r.depth == 1 and r.type != "ReLU"]
    result = ExperimentResult()
    shapes_ok, wrong = True, []
    for (name, kernel, note_out, note_params), row in zip(NOTE_ROWS, rows, strict=True):
        out = row.output_shape or ()
        hwc = (out[2], out[3], out[1]) if len(out) == 4 else tuple(out[1:])
        shapes_ok &= hwc == note_out
        if row.params != note_params:
            wrong.append(name)
        result.metrics.add_row(
            layer=name,
            note_filter=kernel,
            output_hwc=hwc,
            params=row.params,
            note_params=note_params,
            note_right=row.params == note_params,
        )
    result.metrics.add_row(
        layer="total",
        params=info.total_params,
        note_params=sum(r[3] for r in NOTE_ROWS),
        note_right=False,
    )
    conv_counts = [r.params for r in rows if r.type == "Conv2d"]
    result.claim(
        "every_shape_in_the_note_is_right",
        shapes_ok,
        "floor((H - K) / S) + 1 reproduces every output shape of the note's table.",
    )
    result.claim(
        "conv_counts_need_biases",
        conv_counts == [340, 7_240, 21_660, 19_280]
        and [c - note for c, note in zip(conv_counts, [320, 7_200, 21_600, 19_200], strict=True)]
        == [20, 40, 60, 80],
        "A conv layer has (K*K*C_in + 1) * C_out parameters; each of the note's conv counts is "
        "short by exactly C_out, the biases.",
    )
    # conv3 as the row writes it (2x2) and as its numbers imply (3x3), both built and run
    # on pool2's (40, 8, 6) output
    conv3_out = {}
    conv3_weights = {}
    pooled = Tensor(np.zeros((1, 40, 8, 6), np.float32))
    for k in (2, 3):
        layer = nn.Conv2d(40, 60, k)
        with no_grad():
            conv3_out[k] = tuple(layer(pooled).shape[2:])
        conv3_weights[k] = layer.weight.numel()
    conv3_row = rows[[r[0] for r in NOTE_ROWS].index("conv3")]
    conv3_hw = tuple((conv3_row.output_shape or ())[2:])
    result.claim(
        "conv3_is_3x3",
        conv3_out[3] == conv3_hw == NOTE_ROWS[4][2][:2]
        and conv3_weights[3] == NOTE_ROWS[4][3]
        and conv3_out[2] != NOTE_ROWS[4][2][:2]
        and conv3_weights[2] != NOTE_ROWS[4][3],
        f"Conv3's output (6, 4) and its 21,600 = 3*3*40*60 weights need a 3x3 filter: a built "
        f"Conv2d(40, 60, 3) on pool2's (40, 8, 6) output gives {conv3_out[3]} with "
        f"{conv3_weights[3]:,} weights, while the (2, 2) written in the row gives "
        f"{conv3_out[2]} with {conv3_weights[2]:,}.",
    )
    result.claim(
        "fc_is_ten_times_smaller",
        rows[-1].params == 16_100,
        "The 160 -> 100 layer has 16,000 weights + 100 biases = 16,100, not 160,000.",
    )
    result.claim(
        "total_is_64620",
        info.total_params == 64_620 and wrong == ["conv1", "conv2", "conv3", "conv4", "fc"],
        "The network has 64,620 parameters (64,320 without biases), not the note's 208,320.",
    )
    fig = new_figure(7, 3.5)
    ax = fig.subplots()
    names = [r[0] for r in NOTE_ROWS if r[3] or r[0].startswith("conv")]
    ours = [
        int(row.params) for (name, *_), row in zip(NOTE_ROWS, rows, strict=True) if name in names
    ]
    note = [r[3] for r in NOTE_ROWS if r[0] in names]
    xs = np.arange(len(names))
    ax.bar(xs - 0.2, note, 0.4, label="note")
    ax.bar(xs + 0.2, ours, 0.4, label="groundup")
    ax.set(
        xticks=xs,
        xticklabels=names,
        ylabel="parameters",
        yscale="log",
        title="parameters per layer",
    )
    ax.legend()
    result.add_figure("param_count_table", fig)
    return result


@experiment(
    id="cnn.conv-as-matrix",
    questions=["cnn.vs-mlp", "cnn.mlp-equivalent"],
    title="A convolution is a fully connected layer with a sparse, shared weight matrix",
)
def conv_as_matrix(seed: int, size: str) -> ExperimentResult:
    side = 8 if size == "quick" else 12
    conv = nn.Conv2d(1, 4, 3, dtype=np.float64)
    bias = np.asarray(conv.bias)  # (4,)
    n_in = side * side
    with no_grad():  # the dense matrix: the conv applied to each basis image, minus the bias
        basis = np.eye(n_in).reshape(n_in, 1, side, side)
        columns = conv(Tensor(basis)).numpy() - bias.reshape(1, 4, 1, 1)
    dense = columns.reshape(n_in, -1).T  # (4 * OH * OW, H * W)
    linear = nn.Linear(n_in, dense.shape[0], dtype=np.float64)
    linear.load_state_dict({"weight": dense, "bias": np.repeat(bias, dense.shape[0] // 4)})
    x = np.random.default_rng(seed).standard_normal((3, 1, side, side))
    with no_grad():
        same = np.allclose(
            linear(Tensor(x.reshape(3, -1))).numpy(),
            conv(Tensor(x)).numpy().reshape(3, -1),
            rtol=1e-12,
            atol=1e-12,
        )
    nonzero = int((dense != 0).sum())
    distinct = len(np.unique(dense[dense != 0]))
    result = ExperimentResult()
    result.metrics.add_row(
        layer=f"Conv2d(1, 4, 3) on {side}x{side}",
        conv_params=sum(p.numel() for p in conv.parameters()),
        dense_params=dense.size + dense.shape[0],
        nonzero_fraction=nonzero / dense.size,
        distinct_weights=distinct,
    )
    # the seed's first layer, (39, 31, 1) -> (36, 28, 20) with 4x4 filters: the conv built
    # and run; a Linear with the same input and output sizes holds (in + 1) * out numbers,
    # the count `dense_params` measured on the small layer above
    first = nn.Conv2d(1, 20, 4)
    with no_grad():
        n_out = first(Tensor(np.zeros((1, 1, 39, 31), np.float32))).numel()
    seed_conv = sum(p.numel() for p in first.parameters())
    seed_dense = (39 * 31 + 1) * n_out
    result.metrics.add_row(
        layer="Conv2d(1, 20, 4) on 39x31",
        conv_params=seed_conv,
        dense_params=seed_dense,
        nonzero_fraction=16 / (39 * 31),
        distinct_weights=first.weight.numel(),
    )
    result.claim(
        "conv_equals_its_dense_matrix",
        same,
        "A Linear layer holding the conv's matrix gives exactly the conv's outputs: a "
        "convolution is a linear map.",
    )
    result.claim(
        "sparse_and_shared",
        nonzero == dense.shape[0] * 9 and distinct == 4 * 9,
        "Each row of that matrix has only K*K = 9 non-zeros (locality), and all rows "
        "of a filter reuse the same 9 values (weight sharing): 36 distinct weights.",
    )
    result.claim(
        "dense_needs_orders_of_magnitude_more",
        n_out == 36 * 28 * 20
        and sum(p.numel() for p in linear.parameters()) == dense.size + dense.shape[0]
        and seed_dense / seed_conv > 10_000,
        f"For the notes' first layer a fully connected layer with the same input and "
        f"output sizes needs {seed_dense:,} parameters against the conv's {seed_conv}: "
        f"about {seed_dense / seed_conv:,.0f} times more, not a fixed 20%.",
    )
    fig = new_figure(8, 3.2)
    ax = fig.subplots()
    ax.imshow(dense != 0, aspect="auto", cmap="Greys", interpolation="nearest")
    ax.set(
        title=f"non-zeros of the {dense.shape[0]} x {n_in} matrix of Conv2d(1, 4, 3)",
        xlabel="input pixel",
        ylabel="output unit",
    )
    result.add_figure("conv_as_matrix", fig)
    return result


@experiment(
    id="cnn.same-padding",
    questions=["cnn.same-padding", "cnn.output-shape"],
    title="Padding (K - 1) / 2 keeps the size for odd kernels at stride 1",
)
def same_padding_keeps_size(seed: int, size: str) -> ExperimentResult:
    side = 13
    x = Tensor(np.random.default_rng(seed).standard_normal((1, 1, side, side)).astype(np.float32))
    result = ExperimentResult()
    kept, even_short, strided = True, True, True
    for k in (1, 2, 3, 4, 5, 6, 7):
        p = (k - 1) // 2
        with no_grad():
            out = nn.Conv2d(1, 1, k, padding=p)(x).shape[-1]
            out_s2 = nn.Conv2d(1, 1, k, stride=2, padding=p)(x).shape[-1]
            out_same = nn.Conv2d(1, 1, k, padding="same")(x).shape[-1]
        result.metrics.add_row(
            kernel=k, padding=p, output=out, output_stride2=out_s2, output_padding_same=out_same
        )
        kept &= out == side if k % 2 else True
        even_short &= out == side - 1 if k % 2 == 0 else True
        strided &= out_s2 == (side + 1) // 2 if k % 2 else True
    result.claim(
        "odd_kernels_keep_the_size",
        kept,
        f"With stride 1 and P = (K - 1)/2, H + 2P - K + 1 = H: a {side}x{side} input "
        "stays 13x13 for K = 1, 3, 5, 7.",
    )
    result.claim(
        "even_kernels_cannot",
        even_short,
        "For even K, (K - 1)/2 is not an integer; symmetric padding (K - 2)/2 loses one "
        "row and column, so 'same' must pad one side more.",
    )
    result.claim(
        "stride_2_halves",
        strided,
        "With stride 2 the same padding gives ceil(H / 2) = 7, not H: 'same' size "
        "holds for stride 1 only.",
    )
    fig = new_figure(6, 3.5)
    ax = fig.subplots()
    for k in (3, 5):
        pads = np.arange(0, 5)
        ax.plot(
            pads, [conv_output_shape(side, k, padding=int(p)) for p in pads], "o-", label=f"K = {k}"
        )
    ax.axhline(side, color="grey", linestyle=":", label="input size")
    ax.set(xlabel="padding P", ylabel="output size", title=f"{side}x{side} input, stride 1")
    ax.legend()
    result.add_figure("same_padding", fig)
    return result


@experiment(
    id="cnn.pooling-no-params",
    questions=["cnn.padding-pooling", "cnn.pooling-shape", "cnn.max-pooling-why"],
    title="Pooling has no parameters, keeps the channels, and routes gradients to the max",
)
def pooling_no_params(seed: int, size: str) -> ExperimentResult:
    rng = np.random.default_rng(seed)
    result = ExperimentResult()
    channels_kept, no_params = True, True
    for layer in (
        nn.MaxPool2d(2),
        nn.AvgPool2d(2),
        nn.MaxPool2d(3, stride=2, padding=1),
        nn.AdaptiveAvgPool2d(1),
    ):
        for c in (1, 3, 16):
            x = Tensor(rng.standard_normal((2, c, 7, 6)).astype(np.float32))
            out = layer(x).shape
            channels_kept &= out[:2] == (2, c)
        params = sum(p.numel() for p in layer.parameters())
        no_params &= params == 0
        result.metrics.add_row(
            layer=repr(layer),
            params=params,
            input="(2, C, 7, 6)",
            output=f"(2, C, {out[2]}, {out[3]})",
        )
    x = Tensor(rng.standard_normal((1, 1, 6, 6)), requires_grad=True)
    nn.MaxPool2d(2)(x).sum().backward()
    routed = x.grad is not None and int((x.grad.numpy() != 0).sum()) == 9
    a = Tensor(rng.standard_normal((1, 1, 6, 6)), requires_grad=True)
    nn.AvgPool2d(2)(a).sum().backward()
    spread = a.grad is not None and bool(np.allclose(a.grad.numpy(), 0.25))
    result.claim(
        "no_parameters",
        no_params,
        "Max, average and adaptive pooling have no learnable parameters.",
    )
    result.claim(
        "channels_kept",
        channels_kept,
        "Pooling works on each channel separately: "
        "C channels in, C channels out, for C = 1, 3, 16; only H and W shrink "
        "(7x6 -> 3x3 for a 2x2 pool: floor division).",
    )
    result.claim(
        "max_routes_to_argmax",
        routed,
        "Max pooling's backward sends each window's "
        "gradient to its one maximum: 9 non-zero input gradients for 9 windows.",
    )
    result.claim(
        "average_spreads_evenly",
        spread,
        "Average pooling's backward gives every cell of a 2x2 window 1/4 of the gradient.",
    )
    shown = x.detach()
    pictures = [shown.numpy()[0, 0], nn.MaxPool2d(2)(shown).numpy()[0, 0], np.asarray(x.grad)[0, 0]]
    fig = new_figure(7, 3)
    for ax, picture, title in zip(
        fig.subplots(1, 3), pictures, ["input", "max pool 2x2", "gradient of sum"], strict=True
    ):
        ax.imshow(picture, cmap="viridis")
        ax.set(title=title, xticks=[], yticks=[])
    result.add_figure("pooling", fig)
    return result


__all__ = [
    "conv_as_matrix",
    "param_count_table",
    "pooling_no_params",
    "same_padding_keeps_size",
]
