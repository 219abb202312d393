"""CNN experiments on how a convolution computes: one feature map per filter summed over
the input channels, and im2col + one matrix product against the sliding-window loops."""

from __future__ import annotations

import time

import numpy as np

from groundup import nn
from groundup.lab.registry import ExperimentResult, experiment, new_figure
from groundup.ops.conv import conv2d
from groundup.ops.im2col import im2col
from groundup.tensor import Tensor, no_grad


@experiment(
    id="cnn.multi-channel-sum",
    questions=["cnn.multi-channel"],
    title="Each filter spans all input channels and sums them into one feature map",
)
def multi_channel_sum(seed: int, size: str) -> ExperimentResult:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((1, 3, 9, 9))  # an "RGB" image
    conv = nn.Conv2d(3, 4, 3, dtype=np.float64)
    with no_grad():
        out = conv(Tensor(x)).numpy()  # (1, 4, 7, 7): one map per filter
        w = conv.weight._data  # (4, 3, 3, 3)
        # channel c alone, convolved with each filter's slice for c: (3, 1, 4, 7, 7)
        partial = np.stack(
            [conv2d(Tensor(x[:, c : c + 1]), Tensor(w[:, c : c + 1])).numpy() for c in range(3)]
        )
    summed = partial.sum(axis=0) + np.asarray(conv.bias)[None, :, None, None]
    result = ExperimentResult()
    result.metrics.add_row(
        input="(1, 3, 9, 9)",
        weight=str(conv.weight.shape),
        output=str(out.shape),
        params=sum(p.numel() for p in conv.parameters()),
    )
    result.claim(
        "one_map_per_filter",
        out.shape[1] == 4,
        "4 filters on a 3-channel input give "
        "4 feature maps, not 12: the output channels are the filters.",
    )
    result.claim(
        "sum_over_channels",
        bool(np.allclose(out, summed, rtol=1e-12, atol=1e-12)),
        "Each map equals the sum over the 3 input channels of that channel convolved "
        "with the filter's own 3x3 slice, plus one bias.",
    )
    result.claim(
        "weight_layout",
        conv.weight.shape == (4, 3, 3, 3)
        and sum(p.numel() for p in conv.parameters()) == 4 * (27 + 1),
        "The weight is (C_out, C_in, K, K) = (4, 3, 3, 3): each filter has different "
        "weights for each channel; 4 * (27 + 1) = 112 parameters.",
    )
    fig = new_figure(8, 2.6)
    axes = fig.subplots(1, 5)
    pictures = [*(partial[c, 0, 0] for c in range(3)), summed[0, 0], out[0, 0]]
    titles = ["channel 0 part", "channel 1 part", "channel 2 part", "sum + bias", "conv output"]
    for ax, picture, title in zip(axes, pictures, titles, strict=True):
        ax.imshow(picture, cmap="RdBu_r")
        ax.set(title=title, xticks=[], yticks=[])
    result.add_figure("multi_channel_sum", fig)
    return result


def _naive_conv(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Slide each filter over each position: the definition, four nested loops."""
    n, _, h, wd = x.shape
    o, _, k, _ = w.shape
    y = np.zeros((n, o, h - k + 1, wd - k + 1))
    for i in range(n):
        for f in range(o):
            for p in range(h - k + 1):
                for q in range(wd - k + 1):
                    y[i, f, p, q] = np.sum(x[i, :, p : p + k, q : q + k] * w[f])
    return y


@experiment(
    id="cnn.im2col-vs-loops",
    questions=["cnn.im2col"],
    title="im2col + one matrix product equals the sliding-window loops, much faster",
)
def im2col_vs_loops(seed: int, size: str) -> ExperimentResult:
    n, c, side, o, k = (2, 3, 10, 4, 3) if size == "quick" else (8, 3, 16, 8, 3)
    rng = np.random.default_rng(seed)
    x, w = rng.standard_normal((n, c, side, side)), rng.standard_normal((o, c, k, k))
    start = time.perf_counter()
    naive = _naive_conv(x, w)
    t_naive = time.perf_counter() - start
    start = time.perf_counter()
    cols = im2col(x, k)  # (N, C*K*K, OH*OW)
    fused = (w.reshape(o, -1) @ cols).reshape(naive.shape)  # one (batched) matrix product
    t_fused = time.perf_counter() - start
    via_layer = conv2d(Tensor(x), Tensor(w)).numpy()
    result = ExperimentResult()
    result.metrics.add_row(method="4 nested loops", seconds=t_naive)
    result.metrics.add_row(
        method="im2col + matmul",
        seconds=t_fused,
        matrix=f"{cols.shape[1]} x {cols.shape[2]} per image",
    )
    result.claim(
        "same_numbers",
        bool(
            np.allclose(fused, naive, rtol=1e-12, atol=1e-12)
            and np.allclose(via_layer, naive, rtol=1e-12, atol=1e-12)
        ),
        "im2col + one matrix product, and groundup's conv2d, give the loops' result to 1e-12.",
    )
    blowup = cols.size / x.size
    result.claim(
        "memory_cost",
        blowup > 0.5 * k * k,
        f"The column matrix holds each pixel up "
        f"to K*K times: {cols.size:,} entries for a {x.size:,}-value input "
        f"({blowup:.1f}x), the price of turning convolution into one GEMM.",
    )
    fig = new_figure(6, 3.5)
    ax = fig.subplots()
    ax.imshow(cols[0], aspect="auto", cmap="viridis")
    ax.set(
        title="im2col of image 0: one column per output position",
        xlabel="output position (p, q)",
        ylabel="(channel, i, j)",
    )
    result.add_figure("im2col", fig)
    return result


__all__ = ["im2col_vs_loops", "multi_channel_sum"]
