"""What every `groundup` subcommand shares: one-line errors, argument types, BLAS threads."""

from __future__ import annotations

import argparse
import contextlib
import math
import signal
from collections.abc import Iterable, Sequence
from typing import Any, NoReturn

EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 1, 2, 130


def exit_status(signum: int | None) -> int:
    """The shell's status for a run stopped by a signal: 128 + its number (Ctrl-C: 130,
    SIGTERM: 143)."""
    return 128 + int(signum if signum is not None else signal.SIGINT)


class CLIError(Exception):
    """A user error: printed as one line, exit status 1."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        """One line instead of argparse's usage dump."""
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def choice(kind: str, options: Sequence[str]) -> Any:
    """An argparse type accepting one of `options`, with an error listing them."""

    def parse(value: str) -> str:
        if value not in options:
            raise argparse.ArgumentTypeError(
                f"unknown {kind} {value!r}; choose from {', '.join(options)}"
            )
        return value

    parse.__name__ = kind
    return parse


def _number(kind: type, value: str) -> Any:
    try:
        number = kind(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number") from None
    if not math.isfinite(number):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {value}")
    return number


def positive(kind: type) -> Any:
    """An argparse type for a positive (finite) int or float."""

    def parse(value: str) -> Any:
        number = _number(kind, value)
        if not number > 0:
            raise argparse.ArgumentTypeError(f"must be positive, got {value}")
        return number

    parse.__name__ = kind.__name__
    return parse


def non_negative(value: str) -> float:
    """An argparse type for a finite float >= 0."""
    number = _number(float, value)
    if number < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return float(number)


def fraction(upper_inclusive: bool = False) -> Any:
    """An argparse type for a float in [0, 1) (or [0, 1] with `upper_inclusive`)."""

    def parse(value: str) -> float:
        p = _number(float, value)
        if not (0 <= p <= 1 if upper_inclusive else 0 <= p < 1):
            raise argparse.ArgumentTypeError(
                f"must be in [0, {'1]' if upper_inclusive else '1)'}, got {value}"
            )
        return p

    parse.__name__ = "float"
    return parse


def refuse_options(args: argparse.Namespace, names: Iterable[str], note: str = "") -> None:
    """One error line naming every option of `names` that was given (not None) although
    `--model` does not take it."""
    given = sorted(name for name in names if getattr(args, name, None) is not None)
    if given:
        flags = ", ".join("--" + name.replace("_", "-") for name in given)
        raise CLIError(f"{flags}: not an option of --model {args.model}{note}")


def blas_threads(n: int) -> contextlib.AbstractContextManager[Any]:
    """Limit NumPy's BLAS thread pool. Small matrix products gain nothing from threads,
    and on a busy machine they lose a lot: the digits MLP trained in 5 s on one thread and
    in 64-78 s on two, on a 2-core machine shared with other jobs."""
    try:
        from threadpoolctl import threadpool_limits  # installed with scikit-learn
    except ImportError:  # pragma: no cover
        return contextlib.nullcontext()
    return threadpool_limits(limits=n, user_api="blas")


def add_blas_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--blas-threads",
        type=positive(int),
        default=1,
        metavar="N",
        help="BLAS threads for matrix products (default 1: fastest for small models)",
    )
