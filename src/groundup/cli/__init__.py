"""The `groundup` command: train, summarize and evaluate models; tokenize; BERT; the lab.

    groundup train --model mlp --dataset digits        # `make demo`
    groundup train --model cnn --dataset mnist1d
    groundup train --model gru --dataset mnist1d
    groundup train --model attention --task date       # seq2seq | peeky | attention | transformer
    groundup summary --model cnn --dataset digits
    groundup evaluate runs/mlp-digits.safetensors
    groundup tokenize "playing 놀이를 했다"
    groundup bert pretrain --out runs/bert && groundup bert finetune --pretrained runs/bert
    groundup lab list

Every user error (unknown name, missing or damaged file, model that does not fit the data,
option that does not apply, unwritable path) ends with one line on stderr and a non-zero
exit status, before anything is written.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from groundup.cli import bert as bert_cli
from groundup.cli import classify, sequence
from groundup.cli.classify import DATASETS, DEFAULTS, OPTIMIZERS, SCHEDULES, SHAPES
from groundup.cli.common import (
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    CLIError,
    Parser,
    add_blas_option,
    choice,
    positive,
    refuse_options,
)
from groundup.lab import cli as lab_cli
from groundup.train import CheckpointError, read_metadata

MODELS = (*classify.MODELS, *sequence.MODELS)
# options that only the dataset models take (the sequence models' are in `sequence`)
DATASET_OPTIONS = ("dataset", "batch_norm", "residual", "optimizer", "checkpoint", "resume")
SEQUENCE_OPTIONS = ("task", "reverse", "attention", "teacher_forcing", "init", "train_size",
                    "d_model", "heads", "layers", "positional", "norm_first")  # fmt: skip


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="groundup", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)

    train = commands.add_parser(
        "train",
        help="train a model and report its test accuracy (or exact match)",
        description="Train a classifier on a dataset (mlp, logistic, cnn, gru) or an "
        "encoder-decoder on a sequence task (seq2seq, peeky, attention, transformer).",
    )
    _model_option(train)
    classify.add_model_options(train)
    train.add_argument("--epochs", type=positive(int), help="epochs to train (in total)")
    train.add_argument("--lr", type=positive(float), help="learning rate")
    train.add_argument(
        "--schedule",
        type=choice("schedule", SCHEDULES),
        help="constant | cosine (annealed to 0 over the run; default: per model)",
    )
    train.add_argument("--seed", type=int, default=0, help="seed of init, shuffling, dropout")
    train.add_argument("--checkpoint", metavar="PATH", help="save a checkpoint every epoch")
    train.add_argument("--resume", metavar="PATH", help="continue from a checkpoint")
    train.add_argument(
        "--save", metavar="PATH", help="where to save the weights (runs/MODEL-DATA.safetensors)"
    )
    train.add_argument("--quiet", action="store_true", help="print only the final result")
    add_blas_option(train)
    sequence.add_options(train)
    train.set_defaults(run=_train)

    summary = commands.add_parser("summary", help="print layers, shapes, params and memory")
    _model_option(summary, classify.MODELS)
    classify.add_model_options(summary)
    summary.set_defaults(run=classify.summary)

    evaluate_ = commands.add_parser(
        "evaluate", help="test accuracy (or exact match) of saved weights"
    )
    evaluate_.add_argument("path", help="a .safetensors file written by `groundup train`")
    evaluate_.add_argument(
        "--dataset", type=choice("dataset", list(DATASETS)), help="default: the one trained on"
    )
    evaluate_.set_defaults(run=_evaluate)

    bert_cli.add_parsers(commands)  # groundup tokenize, groundup bert pretrain|finetune
    lab_cli.add_parser(commands)  # groundup lab list|show|run|report
    return parser


def _model_option(p: argparse.ArgumentParser, names: Sequence[str] = MODELS) -> None:
    p.add_argument("--model", type=choice("model", names), default="mlp", help=" | ".join(names))


def _train(args: argparse.Namespace) -> int:
    if args.model in sequence.MODELS:
        refuse_options(args, DATASET_OPTIONS, " (a sequence model: it takes --task)")
        return sequence.train(args)
    refuse_options(args, SEQUENCE_OPTIONS, " (a classifier: it takes --dataset)")
    return classify.train(args)


def _evaluate(args: argparse.Namespace) -> int:
    meta = read_metadata(args.path)
    config = meta.get("config")
    if not isinstance(config, dict):
        raise CLIError(f"{args.path}: no architecture config in the file; cannot rebuild it")
    info = meta.get("info") or {}
    if "task" in info:
        if args.dataset is not None:
            raise CLIError(f"{args.path} holds a model of the {info['task']} task, not a dataset")
        return sequence.evaluate_file(args.path, config, info)
    return classify.evaluate_file(args.path, config, info, args.dataset or info.get("dataset"))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `groundup` console script; returns the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # --help (0) or a usage error (2), already printed
        return int(e.code or 0)
    sub = getattr(args, "bert_command", None) or getattr(args, "lab_command", None)
    command = f"{parser.prog} {args.command}" + (f" {sub}" if sub else "")
    try:
        return int(args.run(args))
    except (CLIError, CheckpointError, ValueError) as e:
        # groundup's ValueErrors name the op, the shapes and the fix: show just that
        return _fail(f"{command}: error: {e}")
    except OSError as e:
        where = f": {e.filename}" if e.filename else ""
        return _fail(f"{command}: error: {e.strerror or e}{where}")
    except KeyboardInterrupt:
        return _fail(f"{command}: interrupted", EXIT_INTERRUPTED)


def _fail(message: str, status: int = EXIT_ERROR) -> int:
    print(" ".join(message.split()), file=sys.stderr)  # one line, even for a list of keys
    return status


__all__ = ["DATASETS", "DEFAULTS", "MODELS", "OPTIMIZERS", "SHAPES", "build_parser", "main"]
