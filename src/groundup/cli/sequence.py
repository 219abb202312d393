"""`groundup train --model seq2seq|peeky|attention|transformer --task addition|date|...`

Trains an encoder-decoder on a generated toy task (`groundup.data.datasets.sequences`),
prints the test exact match of greedy decoding after every epoch and a few decoded test
examples, and saves the weights; `groundup evaluate` decodes the test split again.

    seq2seq      LSTM encoder -> LSTM decoder started from the encoder's last state
    peeky        the same, with that state also fed to the decoder at every step
    attention    an LSTM decoder attending over all encoder states (dot, general, additive)
    transformer  the encoder-decoder Transformer (2 + 2 layers, d_model 64, 4 heads)

Defaults follow Deep Learning from Scratch 2 (addition: hidden 128, 25 epochs; dates:
hidden 256, attention, reversed input) and `train_transformer_seq2seq`. A run prints its
configuration in one line and, after its first batches, an estimate of its time.
"""

from __future__ import annotations

import argparse
import inspect
import sys
import time
from typing import Any, cast

from tqdm import tqdm

from groundup import models
from groundup.cli import memory, runs
from groundup.cli.common import CLIError, blas_threads, choice, fraction, positive, refuse_options
from groundup.models.seq2seq import MODEL_DECODERS, TASK_DEFAULTS, TASKS, train_seq2seq
from groundup.models.seq_training import GreedyDecoder, exact_match, predict
from groundup.models.transformer import TASK_EPOCHS, train_transformer_seq2seq
from groundup.train import load_weights, save_weights

MODELS = ("seq2seq", "peeky", "attention", "transformer")
TASK_NAMES = ("addition", "date", "dates", "reversal", "copying")
ATTENTIONS = ("dot", "general", "additive")
INITS = ("torch", "book")
POSITIONALS = ("sinusoidal", "learned", "none")
# the task each model trains on when --task is not given, and whether it reverses the input
DEFAULT_TASK = {"seq2seq": "addition", "peeky": "addition", "attention": "dates"}
DEFAULT_REVERSE = {"seq2seq": False, "peeky": True, "attention": True}
RNN_OPTIONS = {"reverse", "attention", "teacher_forcing", "init", "hidden", "schedule"}
# measured: cosine steadies peeky's late epochs on addition (98.9-99.1% at epoch 25 over
# two seeds and both inits, against 95.8-99.8% with a constant lr); the rest keep the book's
DEFAULT_SCHEDULE = {"seq2seq": "constant", "peeky": "cosine", "attention": "constant"}
TRANSFORMER_OPTIONS = {"d_model", "heads", "layers", "positional", "norm_first", "dropout"}
TIMED_BATCHES = 10  # batches timed before the run's time is estimated


def default(function: Any, name: str) -> Any:
    """A keyword default of a training function (one source for help and config line)."""
    return inspect.signature(function).parameters[name].default


def defaults_help(key: str) -> str:
    """The sequence models' defaults of `--epochs` or `--lr`, for the help."""
    if key == "lr":
        rnn, transformer = default(train_seq2seq, "lr"), default(train_transformer_seq2seq, "lr")
        return f"seq2seq, peeky, attention {rnn:g}; transformer {transformer:g}"
    rnn_epochs = ", ".join(f"{task} {d['epochs']}" for task, d in TASK_DEFAULTS.items())
    epochs = ", ".join(f"{task} {n}" for task, n in TASK_EPOCHS.items())
    return f"seq2seq, peeky, attention: {rnn_epochs}; transformer: {epochs}"


def add_options(p: argparse.ArgumentParser) -> None:
    """The options of the sequence models (the `train` parser's second group)."""
    g = p.add_argument_group("sequence models (seq2seq, peeky, attention, transformer)")
    tasks = ", ".join(f"{m} {t}" for m, t in DEFAULT_TASK.items())
    g.add_argument(
        "--task",
        type=choice("task", TASK_NAMES),
        metavar="{" + ",".join(TASK_NAMES) + "}",
        help="addition ('16+75' -> '91') | date or dates (human-written -> ISO 8601) | "
        f"reversal | copying; default {tasks}, transformer dates",
    )
    g.add_argument(
        "--reverse",
        action=argparse.BooleanOptionalAction,
        help="feed the source reversed (default: on for peeky and attention, off for seq2seq)",
    )
    g.add_argument(
        "--attention",
        type=choice("attention", ATTENTIONS),
        metavar="{" + ",".join(ATTENTIONS) + "}",
        help=f"attention score: {' | '.join(ATTENTIONS)}; default dot",
    )
    g.add_argument(
        "--teacher-forcing",
        type=fraction(upper_inclusive=True),
        metavar="P",
        help="share of decoder steps fed the true previous token, in [0, 1]; default 1.0",
    )
    g.add_argument(
        "--init",
        type=choice("init", INITS),
        metavar="{" + ",".join(INITS) + "}",
        help="torch (each layer's own) | book (N(0, 1/fan_in)); default torch",
    )
    g.add_argument(
        "--train-size",
        type=positive(int),
        metavar="N",
        help="train on the first N examples only; default all",
    )
    g.add_argument(
        "--examples",
        type=int,
        default=5,
        metavar="N",
        help="decoded test examples to print; default 5",
    )
    transformer = train_transformer_seq2seq
    for name, key, what in (
        ("--d-model", "d_model", "transformer width"),
        ("--heads", "nhead", "transformer attention heads (must divide --d-model)"),
        ("--layers", "num_layers", "transformer encoder and decoder layers (each)"),
    ):
        g.add_argument(
            name,
            type=positive(int),
            metavar="N",
            help=f"{what}; default {default(transformer, key)}",
        )
    g.add_argument(
        "--positional",
        type=choice("positional", POSITIONALS),
        metavar="{" + ",".join(POSITIONALS) + "}",
        help=f"transformer positions: {' | '.join(POSITIONALS)}; default "
        f"{default(transformer, 'positional')}",
    )
    g.add_argument(
        "--norm-first",
        action=argparse.BooleanOptionalAction,
        help="pre-norm transformer layers; default off (post-norm, as in the paper)",
    )


def _check_options(args: argparse.Namespace) -> None:
    if args.model == "transformer":
        refuse_options(args, RNN_OPTIONS)
    else:
        refuse_options(args, TRANSFORMER_OPTIONS)
    if args.hidden is not None and len(args.hidden) != 1:
        raise CLIError(f"--model {args.model} has one hidden size; got {len(args.hidden)} values")


def _kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """Keyword arguments of the training function: only what was given (or differs)."""
    given = {
        "epochs": args.epochs,
        "lr": args.lr,
        "batch_size": args.batch_size,
        "train_size": args.train_size,
    }
    if args.model == "transformer":
        given |= {
            "d_model": args.d_model,
            "nhead": args.heads,
            "num_layers": args.layers,
            "positional": args.positional,
            "norm_first": args.norm_first,
            "dropout": args.dropout,
        }
    else:
        reverse = DEFAULT_REVERSE[args.model] if args.reverse is None else args.reverse
        given |= {
            "model": args.model,
            "reverse": reverse,
            "attention": args.attention,
            "teacher_forcing": args.teacher_forcing,
            "init": args.init,
            "hidden_size": args.hidden[0] if args.hidden else None,
            "schedule": args.schedule or DEFAULT_SCHEDULE[args.model],
        }
    return {k: v for k, v in given.items() if v is not None}


def _config_line(args: argparse.Namespace, task: str, kwargs: dict[str, Any]) -> str:
    """The run's configuration, defaults resolved, in one line."""
    function = train_transformer_seq2seq if args.model == "transformer" else train_seq2seq

    def get(key: str) -> Any:
        return kwargs[key] if key in kwargs else default(function, key)

    task_defaults = TASK_DEFAULTS.get(task, TASK_DEFAULTS["reversal"])
    epochs = get("epochs")
    if epochs is None:
        transformer = args.model == "transformer"
        epochs = TASK_EPOCHS.get(task, 10) if transformer else task_defaults["epochs"]
    if args.model == "transformer":
        shape = (
            f"d_model {get('d_model')}, {get('nhead')} heads, {get('num_layers')}+"
            f"{get('num_layers')} layers, {get('positional')} positions, dropout {get('dropout')}"
            + (", pre-norm" if get("norm_first") else "")
        )
        schedule = f"warm-up {get('warmup')} steps, then 1/sqrt"
    else:
        hidden = get("hidden_size") or task_defaults["hidden_size"]
        attention = f", {get('attention')} attention" if args.model == "attention" else ""
        reverse = ", reversed source" if get("reverse") else ""
        shape = f"hidden {hidden}, embedding {get('embedding_dim')}{attention}{reverse}"
        shape += f", teacher forcing {get('teacher_forcing'):g}, {get('init')} init"
        schedule = get("schedule")
    size = f"first {args.train_size:,} examples" if args.train_size else "all examples"
    return (
        f"{args.model} on {task}: {shape}; adam lr {get('lr'):g} ({schedule}), batch "
        f"{get('batch_size')}, {epochs} epoch{'s' * (epochs != 1)}, {size}, seed {args.seed}"
    )


class RunTimer:
    """`on_batch` of the training functions: after the first batches, one line with the
    estimated time of all the run's batches."""

    def __init__(self) -> None:
        self.first: float | None = None
        self.reported = False

    def __call__(self, step: int, steps: int) -> None:
        now = time.perf_counter()
        if self.first is None:
            self.first = now  # the first batch pays for warming up: time from its end
            return
        if self.reported or step < min(TIMED_BATCHES, steps) or step < 2:
            return
        self.reported = True
        per_batch = (now - self.first) / (step - 1)
        tqdm.write(
            f"estimated training time: {_duration(per_batch * steps)} for {steps:,} batches "
            f"({per_batch:.3g} s each over the first {step}), plus decoding the test split "
            "after each epoch",
            file=sys.stdout,
        )


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s" if seconds < 10 else f"{seconds:.0f} s"
    minutes, seconds = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s"
    return f"{minutes // 60} h {minutes % 60} min"


def _memory_config(args: argparse.Namespace, kwargs: dict[str, Any]) -> dict[str, Any]:
    """The model's config with upper-bound vocabulary and length, for the memory check."""
    if args.model == "transformer":
        function = train_transformer_seq2seq
        return {
            "name": "TransformerSeq2Seq",
            "vocab_size": memory.VOCABULARY,
            "max_len": memory.SEQUENCE_LENGTH,
            "d_model": kwargs.get("d_model", default(function, "d_model")),
            "nhead": kwargs.get("nhead", default(function, "nhead")),
            "num_encoder_layers": kwargs.get("num_layers", default(function, "num_layers")),
            "num_decoder_layers": kwargs.get("num_layers", default(function, "num_layers")),
            "dim_feedforward": default(function, "dim_feedforward"),
            "positional": kwargs.get("positional", default(function, "positional")),
        }
    return {
        "name": "Seq2Seq",
        "vocab_size": memory.VOCABULARY,
        "embedding_dim": default(train_seq2seq, "embedding_dim"),
        "hidden_size": kwargs.get("hidden_size", 256),
        "decoder": MODEL_DECODERS[args.model],
        "attention": kwargs.get("attention", "dot"),
    }


def _check_sizes(args: argparse.Namespace, kwargs: dict[str, Any]) -> None:
    d_model = kwargs.get("d_model", default(train_transformer_seq2seq, "d_model"))
    heads = kwargs.get("nhead", default(train_transformer_seq2seq, "nhead"))
    if args.model == "transformer" and d_model % heads:
        raise CLIError(f"--heads {heads} does not divide --d-model {d_model}; choose a divisor")
    given = [f"--{k} {v}" for k, v in (("hidden", args.hidden and args.hidden[0]),
             ("d-model", args.d_model), ("heads", args.heads), ("layers", args.layers),
             ("batch-size", args.batch_size)) if v]  # fmt: skip
    batch = kwargs.get("batch_size", default(train_seq2seq, "batch_size"))
    what = " ".join([f"--model {args.model}", *given])
    memory.check_training(what, _memory_config(args, kwargs), batch, "adam")


def _print_examples(examples: list[tuple[str, str, str]]) -> None:
    if not examples:
        return
    width = max(len(s) for s, _, _ in examples)
    print("decoded test examples:")
    for source, target, prediction in examples:
        mark = "ok" if prediction == target else f"wrong, expected {target!r}"
        print(f"  {source!r:<{width + 2}} -> {prediction!r}  {mark}")


def train(args: argparse.Namespace) -> int:
    _check_options(args)
    task = args.task or DEFAULT_TASK.get(args.model, "dates")
    task = "dates" if task == "date" else task
    if args.examples < 0:
        raise CLIError(f"--examples must be 0 or more, got {args.examples}")
    given = _kwargs(args)
    _check_sizes(args, given)
    default_save = f"runs/{args.model}-{task}.safetensors"
    save = runs.weights_path(args.save, default_save, args.overwrite)  # fail before training
    log = None if args.quiet else print
    kwargs = {**given, "seed": args.seed, "examples": args.examples, "log": log}
    kwargs["progress"] = log is not None
    if log is not None:
        print(_config_line(args, task, given) + " (generating the task ...)")
        kwargs["on_batch"] = RunTimer()
    with blas_threads(args.blas_threads):
        start = time.perf_counter()
        if args.model == "transformer":
            result: Any = train_transformer_seq2seq(task, **kwargs)
        else:
            result = train_seq2seq(task, **kwargs)
        seconds = time.perf_counter() - start
    settings = {k: v for k, v in result.settings.items() if v is not None}
    info = {"task": task, "test_exact_match": result.accuracy, "kind": args.model, **settings}
    n_params = sum(p.numel() for p in result.model.parameters())
    print(
        f"test exact match: {result.accuracy:.4f} ({len(result.data.x_test):,} {task} examples;"
        f" {args.model}, {n_params:,} params, {seconds:.1f} s)"
    )
    if not args.quiet:
        _print_examples(result.examples)
    return runs.save_weights_file(
        save, args.overwrite, lambda path: save_weights(result.model, path, info=info)
    )


def evaluate_file(
    path: str, config: dict[str, Any], info: dict[str, Any], verify: bool = True
) -> int:
    """Exact match of saved encoder-decoder weights on their task's test split."""
    task = info.get("task")
    if task not in TASKS:
        raise CLIError(f"{path}: the task is not recorded; cannot regenerate its data")
    try:
        model = models.build(config)
    except (TypeError, ValueError) as e:
        raise CLIError(f"{path}: cannot rebuild the model from its config ({e})") from None
    load_weights(model, path, verify=verify)
    decoder = cast(GreedyDecoder, model)
    data = TASKS[task]()
    with blas_threads(1):
        accuracy = exact_match(decoder, data)
        shown = predict(decoder, data)[:3]
    print(f"test exact match on {task}: {accuracy:.4f} ({len(data.x_test):,} examples)")
    _print_examples(list(zip(data.sources()[:3], data.targets()[:3], shown, strict=True)))
    return 0
