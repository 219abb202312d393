"""Experiments on BERT: MLM masking, parameter counts, WordPiece and MLM pretraining."""

from __future__ import annotations

import numpy as np

from groundup.inspect.summary import summary
from groundup.lab.registry import ExperimentResult, experiment, new_figure
from groundup.models.bert import (
    BertConfig,
    BertEmbeddings,
    BertModel,
    BertPooler,
    parameter_count,
)
from groundup.models.bert_training import pretrain
from groundup.nn.module import Module
from groundup.nn.transformer import TransformerEncoderLayer
from groundup.text import default_tokenizer, load_corpus
from groundup.text.bert_inputs import IGNORE_INDEX, build_pair, mask_tokens, nsp_pairs, pad_batch
from groundup.text.wordpiece import PREFIX, WordPieceTokenizer


def _binomial_ok(observed: float, p: float, n: int, z: float = 4.0) -> bool:
    """|observed - p| within z standard errors of a proportion over n draws."""
    return abs(observed - p) <= z * np.sqrt(p * (1 - p) / n)


@experiment(
    id="bert.masking-rates",
    questions=["bert.mlm-80-10-10"],
    title="MLM masking over the shipped corpus: 15% chosen, then 80% [MASK], 10% random, 10% kept",
)
def masking_rates(seed: int, size: str) -> ExperimentResult:
    draws = 5 if size == "quick" else 50
    tok = default_tokenizer()
    docs = [[tok.encode(s) for s in d.sentences] for d in load_corpus()]
    rng = np.random.default_rng(seed)
    pairs = [build_pair(a, b, tok, 128) for a, b, _ in nsp_pairs(docs, 125, rng)]
    batch = pad_batch(pairs, tok.pad_token_id)  # (N, L): [CLS] A [SEP] B [SEP] [PAD]...
    ids = batch.input_ids
    ordinary = ~np.isin(ids, tok.special_ids)
    n_ordinary = int(ordinary.sum()) * draws
    chosen_n = to_mask = to_random = kept = special_hits = 0
    per_sequence = []
    for _ in range(draws):
        masked, labels = mask_tokens(
            ids,
            vocab_size=tok.vocab_size,
            mask_token_id=tok.mask_token_id,
            special_ids=tok.special_ids,
            rng=rng,
        )
        chosen = labels != IGNORE_INDEX
        chosen_n += int(chosen.sum())
        to_mask += int((masked[chosen] == tok.mask_token_id).sum())
        to_random += int(((masked != ids) & (masked != tok.mask_token_id))[chosen].sum())
        kept += int((masked == ids)[chosen].sum())
        special_hits += int((chosen & ~ordinary).sum())
        per_sequence.append(chosen.sum(1) / np.maximum(ordinary.sum(1), 1))
    rates = {
        "chosen": chosen_n / n_ordinary,
        "mask": to_mask / chosen_n,
        "random": to_random / chosen_n,
        "kept": kept / chosen_n,
    }
    result = ExperimentResult()
    for name, value in rates.items():
        result.metrics.add_row(
            share=name,
            measured=value,
            expected={"chosen": 0.15, "mask": 0.8, "random": 0.1, "kept": 0.1}[name],
        )
    result.metrics.add_row(
        share="of all tokens: [MASK]", measured=to_mask / n_ordinary, expected=0.12
    )
    result.metrics.add_row(
        share="of all tokens: random", measured=to_random / n_ordinary, expected=0.015
    )
    result.claim(
        "fifteen_percent_chosen",
        _binomial_ok(rates["chosen"], 0.15, n_ordinary),
        f"Over {draws} maskings of {len(pairs)} sentence pairs ({n_ordinary // draws:,} "
        "ordinary tokens each), 15% of the tokens are chosen as prediction targets.",
    )
    # a random replacement equal to the original (1 in ~vocab) is counted as kept
    result.claim(
        "eighty_ten_ten",
        _binomial_ok(rates["mask"], 0.8, chosen_n)
        and _binomial_ok(rates["random"], 0.1, chosen_n, z=5)
        and _binomial_ok(rates["kept"], 0.1, chosen_n, z=5),
        "Of the chosen tokens 80% become [MASK], 10% a random token and 10% stay unchanged: "
        "overall 12%, 1.5% and 1.5% of all tokens.",
    )
    result.claim(
        "never_special_tokens",
        special_hits == 0,
        "[CLS], [SEP], [PAD], [MASK] and [UNK] are never chosen.",
    )
    spread = np.concatenate(per_sequence)
    fig = new_figure(9, 3.5)
    ax_bar, ax_hist = fig.subplots(1, 2)
    names = ["mask", "random", "kept"]
    ax_bar.bar(names, [rates[n] for n in names], color="tab:blue", label="measured")
    ax_bar.scatter(names, [0.8, 0.1, 0.1], color="k", zorder=3, label="80/10/10")
    ax_bar.set(ylabel="share of chosen tokens", title="what a chosen token becomes")
    ax_bar.legend()
    ax_hist.hist(spread, bins=40)
    ax_hist.axvline(0.15, color="k", ls="--")
    ax_hist.set(
        xlabel="chosen fraction of one sequence",
        ylabel="sequences",
        title="per sequence: 15% only on average",
    )
    result.add_figure("masking_rates", fig)
    result.notes.append(
        f"vocabulary {tok.vocab_size} WordPieces; sequences of at most 128 tokens; "
        f"per-sequence chosen fraction: sd {spread.std():.3f}"
    )
    return result


def _built_count(cfg: BertConfig) -> dict[str, int]:
    """Parameters of BERT's parts, counted on modules built at full width: the embeddings,
    one encoder layer (the other layers are copies of it), its feed-forward net, the pooler."""

    def count(module: Module) -> int:
        return sum(p.numel() for p in module.parameters())

    layer = TransformerEncoderLayer(cfg.hidden_size, cfg.num_attention_heads, cfg.intermediate_size)
    return {
        "embeddings": count(BertEmbeddings(cfg)),
        "layer": count(layer),
        "feed_forward": count(layer.linear1) + count(layer.linear2),
        "pooler": count(BertPooler(cfg)),
    }


@experiment(
    id="bert.param-count",
    questions=["bert.param-count"],
    title="BERT-base has about 110M parameters and BERT-large about 340M",
)
def param_count(seed: int, size: str) -> ExperimentResult:
    result = ExperimentResult()
    counted, measured = {}, {}
    for name, cfg in (("BERT-base", BertConfig.base()), ("BERT-large", BertConfig.large())):
        parts = parameter_count(cfg)
        pieces = _built_count(cfg)
        if size == "full":  # the whole model, counted by `summary`
            built = summary(BertModel(cfg), (16,), dtype=np.int64, verbose=False).total_params
        else:  # one layer at full width; the other layers are copies of it
            built = pieces["embeddings"] + cfg.num_hidden_layers * pieces["layer"]
            built += pieces["pooler"]
        counted[name] = (parts, built)
        measured[name] = pieces
        result.metrics.add_row(
            model=name,
            layers=cfg.num_hidden_layers,
            hidden=cfg.hidden_size,
            heads=cfg.num_attention_heads,
            embeddings=parts["embeddings"],
            encoder=parts["encoder"],
            pooler=parts["pooler"],
            formula=parts["total"],
            built=built,
        )
    base, large = counted["BERT-base"], counted["BERT-large"]
    result.claim(
        "built_equals_formula",
        base[0]["total"] == base[1] and large[0]["total"] == large[1],
        "Counting the parameters of the built models gives exactly the formula's totals.",
    )
    result.claim(
        "base_is_110m",
        abs(base[1] - 110e6) / 110e6 < 0.01,
        f"BERT-base (12 layers, 768, 12 heads) has {base[1]:,} parameters: about 110M.",
    )
    result.claim(
        "large_is_340m",
        abs(large[1] - 340e6) / 340e6 < 0.02,
        f"BERT-large (24 layers, 1024, 16 heads) has {large[1]:,} parameters: about 340M "
        "(the paper rounds up).",
    )
    pieces = measured["BERT-base"]
    ffn_share = pieces["feed_forward"] / pieces["layer"]
    emb_share = pieces["embeddings"] / base[1]
    result.claim(
        "ffn_two_thirds_embeddings_a_fifth",
        abs(ffn_share - 2 / 3) < 0.01 and 0.2 < emb_share < 0.23,
        f"The feed-forward network (linear1 + linear2 of a built layer) is {ffn_share:.1%} of "
        f"each layer, and the built embeddings {emb_share:.1%} of BERT-base (mostly the "
        "30,522-word table).",
    )
    fig = new_figure(6, 3.5)
    ax = fig.subplots()
    bottom = np.zeros(2)
    for part in ("embeddings", "encoder", "pooler"):
        values = np.array([counted[m][0][part] / 1e6 for m in counted])
        ax.bar(list(counted), values, bottom=bottom, label=part)
        bottom += values
    ax.set(ylabel="parameters (millions)", title="where BERT's parameters are")
    ax.legend()
    result.add_figure("bert_parameters", fig)
    return result


UNSEEN = [
    "unplayable",
    "pretrainable",
    "backpropagating",
    "overfittings",
    "세그먼트들",
    "임베딩들을",
    "역전파하기",
    "미세조정했다",
]


@experiment(
    id="bert.wordpiece-tokenize",
    questions=["bert.wordpiece"],
    title="WordPiece splits a word it never saw into known pieces instead of [UNK]",
)
def wordpiece_unseen(seed: int, size: str) -> ExperimentResult:
    tok = default_tokenizer()
    seen = {w for d in load_corpus() for s in d.sentences for w in tok.words(s)}
    unseen = [w for w in UNSEEN if w not in seen]
    splits = {w: tok.split_word(w) for w in unseen}
    result = ExperimentResult()
    for w, pieces in splits.items():
        result.metrics.add_row(word=w, pieces=" ".join(pieces), count=len(pieces))
    whole = all(
        len(p) >= 2 and "[UNK]" not in p and "".join(x.removeprefix(PREFIX) for x in p) == w
        for w, p in splits.items()
    )
    result.claim(
        "unseen_words_split_into_known_pieces",
        len(unseen) >= 4 and whole,
        f"{len(unseen)} words that never occur in the corpus are each split into two or more "
        "vocabulary pieces (no [UNK]) that spell the word again.",
    )
    greedy = all(
        not any(w[: len(p[0]) + k] in tok.token_to_id_map for k in range(1, len(w) - len(p[0]) + 1))
        for w, p in splits.items()
    )
    result.claim(
        "longest_match_first",
        greedy,
        "The first piece is always the longest vocabulary entry that starts the word.",
    )
    # The vocabulary of size n is the first n entries (merges are learned in order): the
    # special tokens and single characters come first, then the merged pieces.
    alphabet = next(i for i, t in enumerate(tok.vocab[5:], 5) if len(t.removeprefix(PREFIX)) > 1)
    pieces_by_size = {}
    for n in np.linspace(alphabet, len(tok.vocab), 6 if size == "quick" else 12).astype(int):
        smaller = WordPieceTokenizer(tok.vocab[:n], **tok.options)
        pieces_by_size[int(n)] = sum(len(smaller.split_word(w)) for w in unseen)
    first, last = pieces_by_size[alphabet], pieces_by_size[len(tok.vocab)]
    result.claim(
        "bigger_vocabulary_fewer_pieces",
        last < first / 2,
        f"With characters only ({alphabet} entries) the unseen words take {first} pieces; with "
        f"all {len(tok.vocab)} entries, {last}.",
    )
    fig = new_figure(6, 3.5)
    ax = fig.subplots()
    ax.plot(list(pieces_by_size), list(pieces_by_size.values()), marker="o")
    ax.set(
        xlabel="vocabulary size",
        ylabel=f"pieces for {len(unseen)} unseen words",
        title="more merges, fewer pieces",
    )
    result.add_figure("wordpiece_unseen", fig)
    example = tok.tokenize("Transformers are playing")
    result.notes.append(f"'Transformers are playing' -> {example}")
    result.notes.append(f"distinct words in the corpus: {len(seen):,}")
    return result


@experiment(
    id="bert.pretrain-mlm",
    questions=["bert.features"],
    title="Masked language modelling beats the best context-free guess",
)
def pretrain_mlm(seed: int, size: str) -> ExperimentResult:
    quick = size == "quick"
    if quick:  # English questions only, a 64-wide BERT, 32-token pairs: about 20 seconds
        tiny = {"hidden_size": 64, "num_attention_heads": 2, "intermediate_size": 256}
        run = pretrain(
            steps=600,
            batch_size=16,
            max_length=32,
            vocab_size=600,
            lr=3e-3,
            config_overrides=tiny,
            sources=("bank",),
            languages=("en",),
            seed=seed,
        )
    else:  # the defaults: the whole corpus, BertConfig.tiny (2 layers, 128 wide)
        run = pretrain(seed=seed)
    m = run.metrics
    result = ExperimentResult()
    for split in ("train", "held_out"):
        result.metrics.add_row(
            targets=split,
            mlm_loss=m[f"{split}_mlm_loss"],
            unigram_entropy=m[f"{split}_unigram_entropy"],
            mlm_accuracy=m[f"{split}_mlm_accuracy"],
        )
    ratio = m["train_mlm_loss"] / m["train_unigram_entropy"]
    result.claim(
        "context_beats_unigram",
        ratio < (0.98 if quick else 0.93),
        "On masked tokens of its training text, the model's cross-entropy is below the "
        "entropy of those tokens' own frequencies, which no predictor that ignores the "
        f"context can beat (ratio {ratio:.3f}).",
    )
    if not quick:
        held = m["held_out_mlm_loss"] / m["held_out_unigram_entropy"]
        result.claim(
            "held_out_beats_unigram",
            held < 0.93,
            f"On questions held out from pretraining, too (ratio {held:.3f}).",
        )
    fig = new_figure(6, 3.5)
    ax = fig.subplots()
    steps = [row["step"] for row in run.history]
    ax.plot(steps, [row["mlm_loss"] for row in run.history], label="MLM loss (train batches)")
    ax.axhline(m["train_unigram_entropy"], color="k", ls="--", label="unigram entropy")
    ax.set(xlabel="step", ylabel="nats per masked token", title="MLM pretraining")
    ax.legend()
    result.add_figure("mlm_vs_unigram", fig)
    result.notes.append(f"{m['seconds']:.0f} s; vocabulary {m['vocab_size']:.0f}")
    return result


__all__ = ["masking_rates", "param_count", "pretrain_mlm", "wordpiece_unseen"]
