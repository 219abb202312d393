"""Pretrain a small BERT on the shipped corpus, then fine-tune it to classify question topics.

    .venv/bin/python benchmarks/bert_results.py [--steps N] [--epochs N] [--seed S]

1. `groundup.models.bert.pretrain()`: WordPiece (2,000 entries) and MLM + NSP on the question
   bank (Korean and English) and groundup's docstrings, BertConfig.tiny (2 layers, hidden
   128, 4 heads), 800 batches of 32 pairs of at most 64 tokens. A fifth of each topic's
   questions is held out. Reported: masked-token cross-entropy and accuracy against the
   unigram entropy of the same masked tokens (the best any context-free guess can do).
2. `finetune()`: the topic (15 classes) of each question from its text, from the pretrained
   encoder (with a new pooler, and with the NSP-trained one) and from random weights,
   against a bag-of-WordPieces logistic regression. 72 test texts: one standard error is
   about 6 points.

Prints a markdown table and `RESULT` lines. On a shared 2-core machine pretraining takes a
few minutes and each fine-tuning one or two.
"""

from __future__ import annotations

import argparse
import math
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=800, help="pretraining batches")
    parser.add_argument("--epochs", type=int, default=30, help="fine-tuning epochs")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    from groundup.models.bert import finetune, pretrain

    start = time.perf_counter()
    pre = pretrain(steps=args.steps, seed=args.seed, log_every=100, log=print)
    m = pre.metrics
    print(f"pretraining: {m['seconds']:.0f} s, vocabulary {m['vocab_size']:.0f}")
    tuned = finetune(pre, epochs=args.epochs, seed=args.seed, log=print)
    nsp_pooler = finetune(pre, epochs=args.epochs, seed=args.seed, reuse_pooler=True)
    scratch = finetune(pre, epochs=args.epochs, seed=args.seed, from_scratch=True)
    f, n, s = tuned.metrics, nsp_pooler.metrics, scratch.metrics

    print(
        "\n| masked tokens | MLM loss (nats) | perplexity | unigram entropy | unigram "
        "perplexity | accuracy | NSP accuracy |"
    )
    print("|---|---|---|---|---|---|---|")
    for split in ("train", "held_out"):
        loss, uni = m[f"{split}_mlm_loss"], m[f"{split}_unigram_entropy"]
        print(
            f"| {split.replace('_', '-')} | {loss:.3f} | {math.exp(loss):.0f} | {uni:.3f} | "
            f"{math.exp(uni):.0f} | {m[f'{split}_mlm_accuracy']:.1%} | "
            f"{m[f'{split}_nsp_accuracy']:.1%} |"
        )
    print(
        f"\n| topic of a held-out question ({f['test_examples']:.0f} texts, 15 topics) | accuracy |"
    )
    print("|---|---|")
    print(f"| BERT, pretrained, new pooler, {args.epochs} epochs | {f['bert_accuracy']:.1%} |")
    print(f"| BERT, pretrained, NSP pooler, {args.epochs} epochs | {n['bert_accuracy']:.1%} |")
    print(f"| BERT, random init, trained {args.epochs} epochs | {s['bert_accuracy']:.1%} |")
    print(f"| bag-of-WordPieces logistic regression | {f['bow_accuracy']:.1%} |")
    print(f"| majority class | {f['majority_accuracy']:.1%} |")
    held, unigram = m["held_out_mlm_loss"], m["held_out_unigram_entropy"]
    print(f"\nRESULT mlm_held_out {held:.3f} unigram {unigram:.3f}")
    print(
        f"RESULT topic bert {f['bert_accuracy']:.3f} nsp_pooler {n['bert_accuracy']:.3f} "
        f"scratch {s['bert_accuracy']:.3f} bow {f['bow_accuracy']:.3f}"
    )
    print(f"total {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
