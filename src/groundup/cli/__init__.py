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

Every user error (unknown name, missing or damaged file, model that does not fit the data
or the memory, option that does not apply, unwritable path, a checkpoint of another run)
ends with one line on stderr and a non-zero exit status, before anything is written. No
file is replaced without `--overwrite`. Ctrl-C and SIGTERM stop a run cleanly (a training
run saves its checkpoint) with status 130 and 143.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from math import prod
from pathlib import Path
from typing import Any

from groundup import _command, models
from groundup.cli import bert as bert_cli
from groundup.cli import classify, memory, sequence
from groundup.cli.classify import DATASETS, DEFAULTS, OPTIMIZERS, SCHEDULES, SHAPES
from groundup.cli.common import (
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    CLIError,
    Parser,
    add_blas_option,
    choice,
    exit_status,
    non_negative,
    positive,
    refuse_options,
)
from groundup.lab import cli as lab_cli
from groundup.train import CheckpointError, read_metadata
from groundup.train.resumable import Terminated, raise_on_sigterm
from groundup.train.safefile import tensor_shapes

MODELS = (*classify.MODELS, *sequence.MODELS)
# options that only the dataset models take (the sequence models' are in `sequence`)
DATASET_OPTIONS = ("dataset", "batch_norm", "residual", "optimizer", "checkpoint", "resume",
                   "no_verify", "weight_decay")  # fmt: skip
SEQUENCE_OPTIONS = ("task", "reverse", "attention", "teacher_forcing", "init", "train_size",
                    "d_model", "heads", "layers", "positional", "norm_first")  # fmt: skip
MAX_ERROR_CHARS = 600


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="groundup", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)

    train = commands.add_parser(
        "train",
        help="train a model and report its test accuracy (or exact match)",
        description="Train a classifier on a dataset (mlp, logistic, cnn, gru) or an "
        "encoder-decoder on a sequence task (seq2seq, peeky, attention, transformer). "
        "Defaults depend on the model and its data; the help of each option lists them.",
    )
    _model_option(train)
    classify.add_model_options(train)
    _training_options(train)
    sequence.add_options(train)
    train.set_defaults(run=_train)

    summary = commands.add_parser(
        "summary",
        help="print layers, shapes, params and memory",
        description="Print a classifier's layers, their output shapes and parameter counts, "
        "and the memory training it takes (weights, gradients, optimizer state, activations "
        "of one batch). Nothing is trained.",
    )
    _model_option(summary, classify.MODELS)
    classify.add_model_options(summary, sequence_models=False)
    summary.set_defaults(run=classify.summary)

    evaluate_ = commands.add_parser(
        "evaluate",
        help="test accuracy (or exact match) of saved weights",
        description="Rebuild the model saved in a weights file (or a checkpoint) and report "
        "its test accuracy, or the exact match of a sequence model on its task.",
    )
    evaluate_.add_argument("path", help="a .safetensors file written by `groundup train`")
    evaluate_.add_argument(
        "--dataset",
        type=choice("dataset", list(DATASETS)),
        metavar="{" + ",".join(DATASETS) + "}",
        help="the data to test on; default: the one trained on",
    )
    _no_verify_option(evaluate_, "load a file without a groundup checksum (another tool's)")
    evaluate_.set_defaults(run=_evaluate)

    bert_cli.add_parsers(commands)  # groundup tokenize, groundup bert pretrain|finetune
    lab_cli.add_parser(commands)  # groundup lab list|show|run|report
    return parser


def _model_option(p: argparse.ArgumentParser, names: Sequence[str] = MODELS) -> None:
    p.add_argument(
        "--model",
        type=choice("model", names),
        default="mlp",
        metavar="{" + ",".join(names) + "}",
        help=" | ".join(names) + "; default mlp",
    )


def _no_verify_option(p: argparse.ArgumentParser, help_: str) -> None:
    p.add_argument("--no-verify", action="store_true", default=None, help=help_)


def _training_options(train: argparse.ArgumentParser) -> None:
    """How long, how fast, and where the results go."""
    train.add_argument(
        "--epochs",
        type=positive(int),
        metavar="N",
        help="epochs to train, in total; default "
        + classify.defaults_help("epochs")
        + "; "
        + sequence.defaults_help("epochs"),
    )
    train.add_argument(
        "--lr",
        type=positive(float),
        metavar="X",
        help="learning rate; default "
        + classify.defaults_help("lr")
        + "; "
        + sequence.defaults_help("lr"),
    )
    train.add_argument(
        "--weight-decay",
        type=non_negative,
        metavar="X",
        help="weight decay (L2; decoupled for adamw); default the optimizer's (0; adamw 0.01)",
    )
    schedules = ", ".join(f"{m} {s}" for m, s in sequence.DEFAULT_SCHEDULE.items())
    train.add_argument(
        "--schedule",
        type=choice("schedule", SCHEDULES),
        metavar="{" + ",".join(SCHEDULES) + "}",
        help="constant | cosine (annealed to 0 over the run); default "
        + classify.defaults_help("schedule")
        + f"; {schedules} (the transformer warms up, then decays as 1/sqrt)",
    )
    train.add_argument(
        "--seed",
        type=int,
        default=0,
        metavar="N",
        help="seed of init, shuffling, dropout; default 0",
    )
    train.add_argument(
        "--checkpoint",
        metavar="PATH",
        help="save a checkpoint every epoch and on Ctrl-C or SIGTERM; default none",
    )
    train.add_argument(
        "--resume",
        metavar="PATH",
        help="continue the run of a checkpoint (same settings; --epochs may grow); default none",
    )
    _no_verify_option(train, "with --resume: accept a checkpoint without a groundup checksum")
    train.add_argument(
        "--save",
        metavar="PATH",
        help="where to save the weights; default runs/MODEL-DATA.safetensors, or "
        "runs/MODEL-DATA-2.safetensors (-3, ...) when an earlier run's file is there",
    )
    train.add_argument(
        "--overwrite",
        action="store_true",
        help="replace an existing --save or --checkpoint file (and the default file)",
    )
    train.add_argument(
        "--quiet", action="store_true", help="print only the result and the file written"
    )
    add_blas_option(train)


def _train(args: argparse.Namespace) -> int:
    if args.model in sequence.MODELS:
        refuse_options(args, DATASET_OPTIONS, " (a sequence model: it takes --task)")
        return sequence.train(args)
    refuse_options(args, SEQUENCE_OPTIONS, " (a classifier: it takes --dataset)")
    return classify.train(args)


def _is_bert(config: Any, info: Any) -> bool:
    """A BERT written by `groundup bert pretrain` (its config is a BertConfig's)."""
    return (
        isinstance(config, dict)
        and "name" not in config
        and ("num_attention_heads" in config or (isinstance(info, dict) and "held_out" in info))
    )


def _evaluate(args: argparse.Namespace) -> int:
    verify = not args.no_verify
    meta = read_metadata(args.path, verify)
    config = meta.get("config")
    info = meta.get("info") or {}
    if _is_bert(config, info):
        raise CLIError(
            f"{args.path} is a BERT saved by `groundup bert pretrain`, which `groundup evaluate` "
            f"does not take; evaluate it with `groundup bert finetune --pretrained "
            f"{Path(args.path).parent}`"
        )
    if not isinstance(config, dict):
        raise CLIError(f"{args.path}: no architecture config in the file; cannot rebuild it")
    if config.get("name") not in models.MODELS:
        raise CLIError(
            f"{args.path}: its config names no model groundup knows ({config.get('name')!r});"
            " cannot rebuild it"
        )
    values = sum(prod(shape) for shape in tensor_shapes(args.path).values())
    memory.check_weights(args.path, config, values)  # before building anything
    if "task" in info:
        if args.dataset is not None:
            raise CLIError(f"{args.path} holds a model of the {info['task']} task, not a dataset")
        return sequence.evaluate_file(args.path, config, info, verify)
    dataset = args.dataset or info.get("dataset")
    return classify.evaluate_file(args.path, config, info, dataset, verify)


@contextlib.contextmanager
def _signal_handlers() -> Iterator[None]:
    """Ctrl-C raises KeyboardInterrupt and SIGTERM raises `Terminated` (both handled as an
    interrupt) while a command runs; the handlers found are put back afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    if previous[signal.SIGINT] in (_command.exit_at_once, signal.default_int_handler):
        signal.signal(signal.SIGINT, signal.default_int_handler)
    if previous[signal.SIGTERM] in (_command.exit_at_once, signal.SIG_DFL):
        signal.signal(signal.SIGTERM, raise_on_sigterm)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            if handler is not None:
                signal.signal(sig, handler)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `groundup` console script; returns the exit status."""
    with _signal_handlers():
        return _main(argv)


def _main(argv: Sequence[str] | None) -> int:
    command = "groundup"
    try:
        parser = build_parser()
        try:
            args = parser.parse_args(argv)
        except SystemExit as e:  # --help (0) or a usage error (2), already printed
            return int(e.code or 0)
        sub = getattr(args, "bert_command", None) or getattr(args, "lab_command", None)
        command = f"{parser.prog} {args.command}" + (f" {sub}" if sub else "")
        return int(args.run(args))
    except (CLIError, CheckpointError, ValueError) as e:
        # groundup's ValueErrors name the op, the shapes and the fix: show just that
        return _fail(f"{command}: error: {e}")
    except OSError as e:
        where = f": {e.filename}" if e.filename else ""
        return _fail(f"{command}: error: {e.strerror or e}{where}")
    except MemoryError as e:
        return _fail(f"{command}: error: out of memory ({e}); choose smaller sizes")
    except Terminated:
        return _fail(f"{command}: terminated (SIGTERM)", exit_status(signal.SIGTERM))
    except KeyboardInterrupt:
        return _fail(f"{command}: interrupted", EXIT_INTERRUPTED)


def _fail(message: str, status: int = EXIT_ERROR) -> int:
    line = " ".join(message.split())  # one line, even for a list of keys
    if len(line) > MAX_ERROR_CHARS:
        line = line[: MAX_ERROR_CHARS - 4] + " ..."
    print(line, file=sys.stderr)
    return status


__all__ = ["DATASETS", "DEFAULTS", "MODELS", "OPTIMIZERS", "SHAPES", "build_parser", "main"]
