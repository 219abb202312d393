"""`groundup tokenize TEXT` and `groundup bert pretrain|finetune`.

    groundup tokenize "playing 놀이를 했다"              # WordPiece tokens, one line per text
    groundup tokenize --ids --vocab runs/bert "some text"   # a vocab.txt (or its folder); ids too
    echo "one text per line" | groundup tokenize -          # texts from stdin
    groundup bert pretrain --out runs/bert                  # MLM + NSP on the shipped corpus
    groundup bert finetune --pretrained runs/bert           # topic of each bank question

`tokenize` uses the default vocabulary (WordPiece trained on the whole shipped corpus, on
first use) unless given `--vocab`. `bert pretrain` trains a vocabulary and a small BERT
(`groundup.models.bert_training.pretrain`), prints the held-out masked-token loss next to
the unigram baseline, the masked-token and next-sentence accuracies, and saves `vocab.txt`
and `bert.safetensors` into `--out`. `bert finetune` classifies the questions' topics with
the [CLS] output of a saved model (or of a fresh pretraining run) and prints its accuracy
next to a bag-of-WordPieces logistic regression and the majority class.
"""

from __future__ import annotations

import argparse
import inspect
import sys
import time
from pathlib import Path
from typing import Any

from groundup import text
from groundup.cli.common import CLIError, add_blas_option, blas_threads, positive
from groundup.models.bert_training import (
    PretrainResult,
    finetune,
    load_pretrained,
    pretrain,
)
from groundup.train.safefile import ensure_writable

DEFAULT_OUT = Path("runs/bert")
FILES = ("vocab.txt", "bert.safetensors")


def _default(function: Any, name: str) -> Any:
    """The default of a keyword argument of `function` (one source for the help texts)."""
    return inspect.signature(function).parameters[name].default


def _number_options(
    p: argparse.ArgumentParser, function: Any, *specs: tuple[str, type, str]
) -> None:
    """Positive-number options `(name, int | float, help)` of `function`; None (its own
    default) unless given."""
    for name, kind, help_ in specs:
        p.add_argument(
            "--" + name.replace("_", "-"),
            type=positive(kind),
            metavar="N" if kind is int else "X",
            help=f"{help_} (default {_default(function, name)})",
        )


def add_parsers(commands: Any) -> None:
    """Add `tokenize` and `bert` to the `groundup` subcommand set `commands`."""
    tok = commands.add_parser(
        "tokenize",
        help="print the WordPiece tokens of texts",
        description="Split each TEXT into WordPiece tokens (one line per text). Default "
        "vocabulary: WordPiece trained on the shipped corpus (questions in Korean and "
        "English, groundup's docstrings), lowercased, accents kept.",
    )
    tok.add_argument("texts", nargs="+", metavar="TEXT", help="a text; - reads one per line")
    tok.add_argument(
        "--vocab", metavar="PATH", help="a vocab.txt, or a folder holding one (runs/bert)"
    )
    tok.add_argument("--ids", action="store_true", help="print the token ids on a second line")
    tok.add_argument(
        "--vocab-size",
        type=positive(int),
        help=f"size of the default vocabulary (default {text.DEFAULT_VOCAB_SIZE})",
    )
    tok.set_defaults(run=_tokenize)

    bert = commands.add_parser(
        "bert",
        help="pretrain a small BERT on the shipped corpus, fine-tune it on topics",
        description="Pretrain a small BERT on the shipped corpus (`pretrain`), then "
        "fine-tune it to predict the topic of each question (`finetune`).",
    )
    sub = bert.add_subparsers(dest="bert_command", required=True, parser_class=type(bert))
    pre = sub.add_parser(
        "pretrain",
        help="WordPiece vocabulary and MLM + NSP pretraining; saves vocab.txt, bert.safetensors",
        description="Train a WordPiece vocabulary and a small BERT (2 layers, hidden 128) by "
        "masked language modelling and next-sentence prediction on the shipped corpus; "
        "report them on the held-out fifth of the questions.",
    )
    _number_options(
        pre,
        pretrain,
        ("steps", int, "training batches"),
        ("batch_size", int, "sentence pairs per batch"),
        ("max_length", int, "tokens per sentence pair"),
        ("vocab_size", int, "WordPiece vocabulary size"),
        ("lr", float, "peak learning rate (AdamW, linear warm-up and decay)"),
    )
    pre.add_argument("--seed", type=int, default=0, help="seed of split, init, masks (0)")
    pre.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        metavar="DIR",
        help=f"folder to save into ({DEFAULT_OUT})",
    )
    pre.add_argument("--quiet", action="store_true", help="print only the results")
    add_blas_option(pre)
    pre.set_defaults(run=_pretrain)

    fine = sub.add_parser(
        "finetune",
        help="topic classification with BERT's [CLS] output, against bag-of-words",
        description="Predict each question's topic (15 classes) from its text with a linear "
        "layer on BERT's pooled [CLS] output; train on the questions pretraining saw, test "
        "on the held-out ones, against a bag-of-WordPieces logistic regression.",
    )
    fine.add_argument(
        "--pretrained",
        type=Path,
        metavar="DIR",
        help="a folder saved by `groundup bert pretrain` (default: pretrain first)",
    )
    fine.add_argument(
        "--from-scratch",
        action="store_true",
        help="random weights instead of the pretrained encoder (same vocabulary and split)",
    )
    _number_options(
        fine,
        finetune,
        ("epochs", int, "passes over the training questions"),
        ("lr", float, "peak learning rate"),
        ("batch_size", int, "questions per batch"),
    )
    fine.add_argument("--seed", type=int, default=0, help="seed of init, shuffling, dropout (0)")
    fine.add_argument("--quiet", action="store_true", help="print only the results")
    add_blas_option(fine)
    fine.set_defaults(run=_finetune)


# ------------------------------------------------------------------------------ tokenize
def _texts(given: list[str]) -> list[str]:
    texts: list[str] = []
    for item in given:
        if item == "-":
            lines = [line for line in sys.stdin.read().splitlines() if line.strip()]
            if not lines:
                raise CLIError("no text on standard input")
            texts.extend(lines)
        else:
            texts.append(item)
    return texts


def _tokenizer(args: argparse.Namespace) -> text.WordPieceTokenizer:
    if args.vocab is None:
        size = args.vocab_size  # the same cache entry as text.tokenize's when not given
        return text.default_tokenizer() if size is None else text.default_tokenizer(size)
    if args.vocab_size is not None:
        raise CLIError("--vocab-size sizes the default vocabulary; it does not apply to --vocab")
    path = Path(args.vocab)
    if path.is_dir():
        path = path / "vocab.txt"
    if not path.is_file():
        raise CLIError(f"{path}: no such vocabulary file")
    return text.get_tokenizer(path)


def _tokenize(args: argparse.Namespace) -> int:
    texts = _texts(args.texts)
    tok = _tokenizer(args)
    rows = [text.tokenize(t, tok) for t in texts]  # all checked before anything is printed
    for tokens in rows:
        print(" ".join(tokens))
        if args.ids:
            print(" ".join(str(i) for i in tok.convert_tokens_to_ids(tokens)))
    return 0


# ------------------------------------------------------------------------------ pretrain
def _pretrain(args: argparse.Namespace) -> int:
    out: Path = args.out
    if args.max_length is not None and args.max_length < 5:  # [CLS] a [SEP] b [SEP]
        raise CLIError(
            f"--max-length must be at least 5 (3 special tokens and 2 words), got {args.max_length}"
        )
    for name in FILES:  # fail now, not after training
        ensure_writable(out / name)
    given = {
        "steps": args.steps,
        "batch_size": args.batch_size,
        "max_length": args.max_length,
        "vocab_size": args.vocab_size,
        "lr": args.lr,
    }
    kwargs = {k: v for k, v in given.items() if v is not None}
    log = None if args.quiet else print
    if log is not None:
        print("training the WordPiece vocabulary, then BERT ...")
    with blas_threads(args.blas_threads):
        result = pretrain(**kwargs, seed=args.seed, log=log)
    result.save(out)
    _print_pretraining(result)
    print(f"saved {', '.join(str(out / name) for name in FILES)}")
    return 0


def _print_pretraining(result: PretrainResult) -> None:
    m, cfg = result.metrics, result.model.config
    n_params = sum(p.numel() for p in result.model.parameters())
    print(
        f"BERT: {cfg.num_hidden_layers} layers, hidden {cfg.hidden_size}, {n_params:,} params,"
        f" vocabulary {int(m['vocab_size']):,}; {int(m['steps']):,} steps, {m['seconds']:.1f} s"
    )
    for split, what in (("held_out", "held-out questions"), ("train", "training text")):
        loss, base = m[f"{split}_mlm_loss"], m[f"{split}_unigram_entropy"]
        print(
            f"{what}: MLM loss {loss:.3f} vs unigram baseline {base:.3f} nats"
            f" ({loss / base:.2f}x), masked-token accuracy {m[f'{split}_mlm_accuracy']:.3f}"
            f" ({int(m[f'{split}_masked_tokens']):,} tokens), NSP accuracy"
            f" {m[f'{split}_nsp_accuracy']:.3f} (chance 0.5)"
        )


# ------------------------------------------------------------------------------ finetune
def _load(directory: Path) -> PretrainResult:
    """A saved pretraining run, or one line saying why it cannot be used."""
    if not directory.is_dir():
        what = "not a folder" if directory.exists() else "no such folder"
        raise CLIError(f"{directory}: {what}; give the --out of `groundup bert pretrain`")
    for name in FILES:
        if not (directory / name).is_file():
            raise CLIError(
                f"{directory}: no {name}; not a folder saved by `groundup bert pretrain`"
            )
    try:
        result = load_pretrained(directory)
    except (KeyError, TypeError) as e:  # a weights file of another model
        raise CLIError(f"{directory / FILES[1]}: not a BERT saved by pretrain ({e})") from None
    if result.tokenizer.vocab_size != result.model.config.vocab_size:
        raise CLIError(
            f"{directory}: vocab.txt has {result.tokenizer.vocab_size} tokens but the model "
            f"was trained with {result.model.config.vocab_size}; they are from different runs"
        )
    return result


def _finetune(args: argparse.Namespace) -> int:
    log = None if args.quiet else print
    with blas_threads(args.blas_threads):
        start = time.perf_counter()
        if args.pretrained is not None:
            pretrained = _load(args.pretrained)
            source = str(args.pretrained)
        elif args.from_scratch:  # only the vocabulary and the split are needed
            print("no --pretrained: training the vocabulary only (--from-scratch)")
            pretrained = pretrain(steps=0, seed=args.seed)
            source = "no pretraining"
        else:
            print("no --pretrained: pretraining first (`groundup bert pretrain`, defaults)")
            pretrained = pretrain(seed=args.seed, log=log)
            _print_pretraining(pretrained)
            source = "just now"
        given = {"epochs": args.epochs, "lr": args.lr, "batch_size": args.batch_size}
        kwargs = {k: v for k, v in given.items() if v is not None}
        result = finetune(
            pretrained, **kwargs, from_scratch=args.from_scratch, seed=args.seed, log=log
        )
    m = result.metrics
    start_from = "random weights" if args.from_scratch else f"pretrained BERT ({source})"
    print(
        f"topic accuracy on {int(m['test_examples'])} held-out questions ({len(result.topics)} "
        f"topics, Korean and English; trained on {int(m['train_examples'])}):"
    )
    epochs = args.epochs or _default(finetune, "epochs")
    rows = (
        (f"{start_from}, fine-tuned {epochs} epoch{'s' * (epochs != 1)}", m["bert_accuracy"]),
        ("bag-of-WordPieces logistic regression", m["bow_accuracy"]),
        ("majority topic", m["majority_accuracy"]),
    )
    width = max(len(name) for name, _ in rows)
    for name, accuracy in rows:
        print(f"  {name:<{width}}  {accuracy:.3f}")
    print(f"({time.perf_counter() - start:.1f} s)")
    return 0
