"""Experiments on the Transformer's mechanics: what the causal mask hides, why positions
must be added, why scores are divided by sqrt(d_k), the shapes inside one attention
layer, and the parameter count of Transformer-base."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from groundup import nn
from groundup.inspect import summary
from groundup.lab.registry import ExperimentResult, experiment, new_figure
from groundup.nn.positional import sinusoidal_table
from groundup.tensor import Tensor, no_grad


def _input_jacobian_norms(
    model: nn.Module, x: np.ndarray, memory: np.ndarray, mask: Tensor | None
) -> np.ndarray:
    """G[t, s] = ||d output_t / d input_s|| for a decoder stack, one backward per t."""
    length = x.shape[1]
    norms = np.zeros((length, length))
    # a random direction: the plain sum of a LayerNorm output is a constant
    direction = Tensor(np.random.default_rng(0).standard_normal(x.shape[-1]))
    for t in range(length):
        inp = Tensor(x, requires_grad=True)
        out = model(inp, Tensor(memory), tgt_mask=mask)  # (1, T, d)
        (out[:, t] * direction).sum().backward()
        assert inp.grad is not None
        norms[t] = np.linalg.norm(inp.grad._data[0], axis=-1)  # (T,)
    return norms


@experiment(
    id="tf.causal-mask",
    questions=["tf.decoder"],
    title="With a causal mask, output t has exactly zero gradient from every later input",
)
def causal_mask(seed: int, size: str) -> ExperimentResult:
    length, d = (8, 16) if size == "quick" else (16, 32)
    layer = nn.TransformerDecoderLayer(d, 2, 2 * d, dropout=0.0, batch_first=True, dtype=np.float64)
    decoder = nn.TransformerDecoder(layer, 2, nn.LayerNorm(d, dtype=np.float64))
    rng = np.random.default_rng(seed)
    x, memory = rng.standard_normal((1, length, d)), rng.standard_normal((1, 5, d))
    causal = nn.Transformer.generate_square_subsequent_mask(length, dtype=np.float64)
    masked = _input_jacobian_norms(decoder, x, memory, causal)
    open_ = _input_jacobian_norms(decoder, x, memory, None)
    result = ExperimentResult()
    upper, lower = np.triu_indices(length, 1), np.tril_indices(length)
    for t in range(length):
        result.metrics.add_row(
            output=t,
            inputs_with_gradient=int(np.count_nonzero(masked[t])),
            largest_future_gradient=float(masked[t, t + 1 :].max()) if t < length - 1 else 0.0,
            future_gradient_without_mask=float(open_[t, t + 1 :].max()) if t < length - 1 else 0.0,
        )
    result.claim(
        "future_gradient_exactly_zero",
        bool(np.all(masked[upper] == 0.0)),
        "With the causal mask, d output_t / d input_s is exactly 0.0 (not just small) for "
        "every s > t, through two decoder layers with their LayerNorms and feed-forward nets.",
    )
    result.claim(
        "past_and_self_visible",
        bool(np.all(masked[lower] > 0)),
        "Output t depends on every input s <= t, itself included: the mask hides only the "
        "future, so position t sees t + 1 inputs (the diagonal is not masked).",
    )
    result.claim(
        "no_mask_leaks_the_future",
        bool(np.all(open_[upper] > 1e-6)),
        "Without the mask every output depends on every input, later ones included: "
        "training on whole target sentences would let a position copy the next token.",
    )
    fig = new_figure(8, 3.6)
    for i, (name, g) in enumerate((("causal mask", masked), ("no mask", open_))):
        ax = fig.add_subplot(1, 2, i + 1)
        shown = np.log10(np.where(g > 0, g, np.nan))
        image = ax.imshow(shown, cmap="viridis")
        ax.set_title(f"{name}: log10 ||d out_t / d in_s||\n(blank = exactly 0)")
        ax.set_xlabel("input position s")
        ax.set_ylabel("output position t")
        fig.colorbar(image, ax=ax, shrink=0.8)
    result.add_figure("causal_gradients", fig)
    result.notes.append(
        f"2-layer TransformerDecoder, d_model {d}, 2 heads, float64, {length} target positions, "
        "5 memory positions; one backward pass per output position."
    )
    return result


@experiment(
    id="tf.permutation-equivariance",
    questions=["tf.positional-encoding"],
    title="Without positions, self-attention is permutation-equivariant",
)
def permutation_equivariance(seed: int, size: str) -> ExperimentResult:
    length, d = (6, 16) if size == "quick" else (12, 32)
    layer = nn.TransformerEncoderLayer(d, 4, 4 * d, dropout=0.0, batch_first=True, dtype=np.float64)
    encoder = nn.TransformerEncoder(layer, 2)
    encoder.eval()
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((1, length, d))
    perm = rng.permutation(length)
    while np.all(perm == np.arange(length)):
        perm = rng.permutation(length)
    pe = sinusoidal_table(length, d, np.float64)
    result = ExperimentResult()
    gaps = {}
    with no_grad():
        for name, added in (("none", 0.0), ("sinusoidal", pe)):
            out = encoder(Tensor(x + added))._data  # f(x + PE)
            out_perm = encoder(Tensor(x[:, perm] + added))._data  # f(P x + PE)
            gaps[name] = float(np.abs(out_perm - out[:, perm]).max())  # vs P f(x + PE)
            pooled = float(np.abs(out_perm.mean(axis=1) - out.mean(axis=1)).max())
            result.metrics.add_row(
                positions=name, max_abs_f_Px_minus_P_fx=gaps[name], pooled_difference=pooled
            )
    result.claim(
        "equivariant_without_positions",
        gaps["none"] < 1e-12,
        "Without positional encoding, permuting the input tokens permutes the outputs the "
        "same way and changes nothing else: f(Px) = P f(x) to float64 rounding.",
    )
    result.claim(
        "positions_break_the_symmetry",
        gaps["sinusoidal"] > 1e-2,
        "With sinusoidal positions added, the permuted sentence gets different "
        "representations: word order now matters.",
    )
    result.notes.append(
        f"2-layer TransformerEncoder, d_model {d}, 4 heads, float64, {length} tokens, "
        f"permutation {perm.tolist()}. 'pooled_difference': the mean over tokens, which "
        "without positions is the same for any order (a bag of words)."
    )
    return result


@experiment(
    id="tf.softmax-saturation",
    questions=["tf.scaled-dot-product"],
    title="Dividing by sqrt(d_k) keeps the softmax from saturating",
)
def softmax_saturation(seed: int, size: str) -> ExperimentResult:
    queries, keys = (500, 32) if size == "quick" else (5000, 32)
    dims = [4, 16, 64, 256, 1024]
    rng = np.random.default_rng(seed)
    result = ExperimentResult()
    stats: dict[str, list[float]] = {"var": [], "ent_raw": [], "ent_scaled": [], "jac_raw": [],
                                     "jac_scaled": []}  # fmt: skip
    for d_k in dims:
        q = rng.standard_normal((queries, d_k))
        k = rng.standard_normal((keys, d_k))
        scores = q @ k.T  # (queries, keys), each a sum of d_k products of unit variance
        row = {"d_k": d_k, "score_variance": float(scores.var())}
        for name, s in (("raw", scores), ("scaled", scores / math.sqrt(d_k))):
            p = np.exp(s - s.max(axis=1, keepdims=True))
            p /= p.sum(axis=1, keepdims=True)
            entropy = float(-(p * np.log(np.where(p > 0, p, 1))).sum(axis=1).mean())
            # Frobenius norm of the softmax Jacobian diag(p) - p p^T: the gradient it passes
            frob2 = ((p**2) - 2 * p**3).sum(axis=1) + (p**2).sum(axis=1) ** 2
            jac = float(np.median(np.sqrt(np.maximum(frob2, 0))))
            row[f"entropy_{name}"], row[f"max_weight_{name}"] = entropy, float(p.max(axis=1).mean())
            row[f"jacobian_{name}"] = jac
            stats[f"ent_{name}"].append(entropy)
            stats[f"jac_{name}"].append(jac)
        stats["var"].append(row["score_variance"] / d_k)
        result.metrics.append(row)
    uniform = math.log(keys)
    result.claim(
        "variance_grows_with_d_k",
        all(0.85 < v < 1.15 for v in stats["var"]),
        "q . k of unit-variance entries has variance d_k (measured within 15%): at d_k = 64 "
        "scores spread with std 8, which is why the paper divides by sqrt(64) = 8.",
    )
    result.claim(
        "unscaled_softmax_saturates",
        stats["ent_raw"][-1] < 0.1 * uniform
        and stats["ent_raw"] == sorted(stats["ent_raw"], reverse=True),
        f"Without scaling the softmax entropy falls as d_k grows, to under a tenth of the "
        f"uniform {uniform:.2f} nats at d_k = 1024: nearly one-hot attention.",
    )
    result.claim(
        "scaled_softmax_keeps_its_spread",
        max(stats["ent_scaled"]) - min(stats["ent_scaled"]) < 0.05 * uniform,
        "Divided by sqrt(d_k), the scores keep unit variance and the entropy stays the same "
        "for every d_k (within 5% of the uniform entropy).",
    )
    result.claim(
        "saturation_kills_the_gradient",
        stats["jac_raw"][-1] < 0.01 * stats["jac_scaled"][-1],
        "A saturated softmax passes almost no gradient: at d_k = 1024 the median norm of its "
        "Jacobian diag(p) - p p^T is under 1% of the scaled softmax's.",
    )
    fig = new_figure(8, 3.5)
    ax = fig.add_subplot(1, 2, 1)
    ax.plot(dims, stats["ent_raw"], "o-", label="q.k")
    ax.plot(dims, stats["ent_scaled"], "o-", label="q.k / sqrt(d_k)")
    ax.axhline(uniform, color="gray", ls=":", label="uniform")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("d_k")
    ax.set_ylabel("softmax entropy (nats)")
    ax.legend()
    ax = fig.add_subplot(1, 2, 2)
    ax.plot(dims, stats["jac_raw"], "o-", label="q.k")
    ax.plot(dims, stats["jac_scaled"], "o-", label="q.k / sqrt(d_k)")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("d_k")
    ax.set_ylabel("||softmax Jacobian||")
    ax.legend()
    result.add_figure("entropy_vs_dk", fig)
    result.notes.append(f"{queries} queries against {keys} keys, entries N(0, 1), for each d_k.")
    return result


@experiment(
    id="tf.attention-shapes",
    questions=["tf.qkv-shapes"],
    title='The shapes inside one attention layer: "Hello World", d_model 512, 8 heads',
)
def attention_shapes(seed: int, size: str) -> ExperimentResult:
    d, h, tokens = 512, 8, 2
    mha = nn.MultiheadAttention(d, h, batch_first=True)
    mha.eval()
    x = np.random.default_rng(seed).standard_normal((1, tokens, d)).astype(np.float32)
    dk = d // h
    assert mha.in_proj_weight is not None and mha.in_proj_bias is not None
    assert mha.out_proj.bias is not None
    w, b = mha.in_proj_weight._data, mha.in_proj_bias._data
    heads, shapes = [], {}
    for i in range(h):
        rows = slice(i * dk, (i + 1) * dk)  # head i's rows of W_q, W_k, W_v
        wq, wk, wv = (w[j * d : (j + 1) * d][rows].T for j in range(3))  # each (512, 64)
        q, k, v = (x[0] @ wj + b[j * d : (j + 1) * d][rows] for j, wj in enumerate((wq, wk, wv)))
        scores = q @ k.T / math.sqrt(dk)  # (2, 2)
        p = np.exp(scores - scores.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        heads.append(p @ v)  # (2, 64)
        shapes = {"W_q per head": wq.shape, "Q, K, V per head": q.shape, "scores": scores.shape,
                  "head output Z": heads[-1].shape}  # fmt: skip
    concat = np.concatenate(heads, axis=1)  # (2, 512)
    by_hand = concat @ mha.out_proj.weight._data.T + mha.out_proj.bias._data  # (2, 512)
    with no_grad():
        module_out = mha(Tensor(x), Tensor(x), Tensor(x), need_weights=False)[0]._data[0]
    shapes.update({"concatenated heads": concat.shape, "output": module_out.shape})
    result = ExperimentResult()
    for name, shape in shapes.items():
        result.metrics.add_row(tensor=name, shape=str(shape))
    params = sum(p.numel() for p in mha.parameters())
    result.metrics.add_row(tensor="parameters", shape=f"{params:,}")
    result.claim(
        "per_head_shapes",
        shapes["W_q per head"] == (512, 64)
        and shapes["Q, K, V per head"] == (2, 64)
        and shapes["scores"] == (2, 2)
        and shapes["head output Z"] == (2, 64),
        "Each head projects 512 -> 64: Q, K, V are (2, 64), the scores (2, 2), the head's "
        "output (2, 64); sqrt(64) = 8 is the divisor.",
    )
    result.claim(
        "heads_concatenate_back_to_d_model",
        concat.shape == (2, 512)
        and module_out.shape == (2, 512)
        and bool(np.allclose(by_hand, module_out, rtol=1e-4, atol=1e-5)),
        "8 heads of 64 concatenate to (2, 512) and W_O keeps (2, 512); computing the heads one "
        "by one gives the module's output (which does all heads in one batched product).",
    )
    result.claim(
        "parameter_count",
        params == 4 * (d * d + d) == 1_050_624,
        "W_Q, W_K, W_V, W_O are each 512 x 512 plus a bias of 512: 4 (512 * 512 + 512) = "
        "1,050,624 parameters, independent of the number of heads.",
    )
    return result


def transformer_parameters(
    d: int, d_ff: int, encoder_layers: int, decoder_layers: int
) -> dict[str, int]:
    """Parameter counts of nn.Transformer's parts, from the layer shapes."""
    attention = 4 * d * d + 4 * d  # in_proj (3d x d + 3d) and out_proj (d x d + d)
    feed_forward = 2 * d * d_ff + d_ff + d  # linear1 (d_ff x d + d_ff), linear2 (d x d_ff + d)
    norm = 2 * d  # LayerNorm weight and bias
    encoder_layer = attention + feed_forward + 2 * norm
    decoder_layer = 2 * attention + feed_forward + 3 * norm
    total = encoder_layers * encoder_layer + decoder_layers * decoder_layer + 2 * norm
    return {"attention": attention, "feed_forward": feed_forward, "encoder_layer": encoder_layer,
            "decoder_layer": decoder_layer, "total": total}  # fmt: skip


def _count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


@experiment(
    id="tf.base-parameter-count",
    questions=["tf.overall-structure", "tf.add-norm-ffn"],
    title="Transformer-base (6 + 6 layers, d_model 512, 8 heads, d_ff 2048), counted",
)
def base_parameter_count(seed: int, size: str) -> ExperimentResult:
    d, heads, d_ff, vocab = 512, 8, 2048, 37_000
    base = transformer_parameters(d, d_ff, 6, 6)
    built_layers = 6 if size == "full" else 1  # the full model allocates 44M floats
    model: Any = nn.Transformer(d, heads, built_layers, built_layers, d_ff)
    built = _count(model)
    expected = transformer_parameters(d, d_ff, built_layers, built_layers)["total"]
    # The parts, counted on the built modules (every layer of a stack is a copy of the first)
    assert model.encoder.norm is not None and model.decoder.norm is not None
    enc_layer, dec_layer = model.encoder.layers[0], model.decoder.layers[0]
    counted = {
        "attention": _count(enc_layer.self_attn),
        "feed_forward": _count(enc_layer.linear1) + _count(enc_layer.linear2),
        "encoder_layer": _count(enc_layer),
        "decoder_layer": _count(dec_layer),
        "final_norms": _count(model.encoder.norm) + _count(model.decoder.norm),
    }
    if size == "full":  # the whole 6 + 6 model is built: count it directly
        counted["total"] = built
    else:  # 6 copies of each layer plus the two final norms
        counted["total"] = (
            6 * counted["encoder_layer"] + 6 * counted["decoder_layer"] + counted["final_norms"]
        )
    layer_summary = summary(nn.TransformerEncoderLayer(d, heads, d_ff), (2, d), verbose=False)
    result = ExperimentResult()
    rows = [("multi-head attention", counted["attention"]),
            ("feed-forward", counted["feed_forward"]),
            ("encoder layer", counted["encoder_layer"]),
            ("decoder layer", counted["decoder_layer"]),
            ("encoder + decoder (6 + 6, final norms)", counted["total"]),
            (f"+ shared embedding, {vocab:,} tokens", counted["total"] + vocab * d),
            (f"built with {built_layers} + {built_layers} layers", built)]  # fmt: skip
    for part, count in rows:
        key = _FORMULA_KEY.get(part)
        result.metrics.add_row(
            part=part, parameters=f"{count:,}", formula=f"{base[key]:,}" if key else ""
        )
    result.claim(
        "formula_matches_built_model",
        built == expected
        and layer_summary.total_params == base["encoder_layer"]
        and all(
            counted[k] == base[k]
            for k in ("attention", "feed_forward", "encoder_layer", "decoder_layer", "total")
        ),
        f"Counting the parameters of a built nn.Transformer ({built_layers} + {built_layers} "
        f"layers: {built:,}), of its attention, feed-forward net and layers, and of one "
        f"encoder layer through `summary` ({layer_summary.total_params:,}) gives the "
        "formula's numbers.",
    )
    result.claim(
        "base_is_44m_without_embeddings",
        counted["total"] == 44_140_544,
        "Transformer-base's encoder and decoder, counted on groundup's modules, hold "
        f"44,140,544 parameters (here {counted['total']:,}); a shared {vocab:,}-token "
        f"embedding adds {vocab * d:,}, about 63M in all (the paper reports 65M with its "
        "vocabulary).",
    )
    share = counted["feed_forward"] / counted["encoder_layer"]
    result.claim(
        "ffn_is_two_thirds_of_a_layer",
        abs(share - 2 / 3) < 0.01,
        "The feed-forward net (linear1 + linear2 of a built encoder layer) holds two thirds "
        f"of the layer's parameters ({counted['feed_forward']:,} of "
        f"{counted['encoder_layer']:,}); attention one third.",
    )
    return result


_FORMULA_KEY = {
    "multi-head attention": "attention",
    "feed-forward": "feed_forward",
    "encoder layer": "encoder_layer",
    "decoder layer": "decoder_layer",
    "encoder + decoder (6 + 6, final norms)": "total",
}
