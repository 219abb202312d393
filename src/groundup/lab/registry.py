"""Experiment registry: every claim an answer makes, run and checked.

An experiment is a function `fn(seed, size) -> ExperimentResult` registered with

    @experiment(id="init.zero-symmetry", questions=["init.zero-init"], title="...")
    def zero_symmetry(seed: int, size: str) -> ExperimentResult: ...

`size` is `"quick"` (seconds; what the tests run) or `"full"` (the figure-quality run).
A result carries a metrics table, matplotlib figures (drawn on the Agg canvas, never a
window) and named claims: `claims[name]` is whether the claim held, `statements[name]`
says in words what was claimed.
"""

from __future__ import annotations

import importlib
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from groundup.lab.schema import ID_PATTERN

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from groundup.lab.bank import QuestionBank

SIZES: tuple[str, ...] = ("quick", "full")
EXPERIMENT_PACKAGE = "groundup.lab.experiments"


class ExperimentError(RuntimeError):
    """An experiment is missing, misregistered or returned a malformed result."""


class DuplicateExperimentError(ExperimentError, ValueError):
    """Two experiments were registered under one id."""


# ------------------------------------------------------------------------ tables
def _cell(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return str(value)
        return f"{value:.4g}"
    if hasattr(value, "item") and getattr(value, "ndim", 1) == 0:  # numpy scalars
        return _cell(value.item())
    return str(value)


class Table:
    """A small metrics table: rows of `{column: value}` that prints aligned."""

    def __init__(
        self, rows: Iterable[Mapping[str, Any]] = (), columns: Sequence[str] | None = None
    ):
        self.columns: list[str] = list(columns) if columns is not None else []
        self.rows: list[dict[str, Any]] = []
        for row in rows:
            self.append(row)

    def append(self, row: Mapping[str, Any]) -> None:
        for key in row:
            if key not in self.columns:
                self.columns.append(key)
        self.rows.append(dict(row))

    def add_row(self, **values: Any) -> None:
        self.append(values)

    def column(self, name: str) -> list[Any]:
        if name not in self.columns:
            raise KeyError(f"no column {name!r}; columns are {self.columns}")
        return [row.get(name) for row in self.rows]

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Any:
        return iter(self.rows)

    def _cells(self) -> list[list[str]]:
        return [[_cell(row.get(c, "")) for c in self.columns] for row in self.rows]

    def __str__(self) -> str:
        if not self.columns:
            return "(empty table)"
        cells = self._cells()
        widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(self.columns)]
        line = "  ".join(c.ljust(w) for c, w in zip(self.columns, widths, strict=True))
        rule = "  ".join("-" * w for w in widths)
        body = ["  ".join(v.rjust(w) for v, w in zip(r, widths, strict=True)) for r in cells]
        return "\n".join([line, rule, *body])

    def to_markdown(self) -> str:
        head = "| " + " | ".join(self.columns) + " |"
        rule = "|" + "|".join("---" for _ in self.columns) + "|"
        body = ["| " + " | ".join(r) + " |" for r in self._cells()]
        return "\n".join([head, rule, *body])

    def __repr__(self) -> str:
        return f"Table(columns={self.columns}, rows={len(self.rows)})"


# ----------------------------------------------------------------------- results
def new_figure(width: float = 6.0, height: float = 4.0) -> Figure:
    """A matplotlib Figure attached to the Agg canvas (no GUI, no pyplot state)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


@dataclass
class ExperimentResult:
    """What an experiment returns: metrics, figures and checked claims."""

    metrics: Table = field(default_factory=Table)
    claims: dict[str, bool] = field(default_factory=dict)
    statements: dict[str, str] = field(default_factory=dict)
    figures: dict[str, Figure] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    experiment_id: str = ""
    seed: int = 0
    size: str = "quick"

    def __post_init__(self) -> None:
        if not isinstance(self.metrics, Table):
            self.metrics = Table(self.metrics)

    def claim(self, name: str, holds: bool, statement: str) -> bool:
        """Record a named claim, whether it held, and what it says."""
        if name in self.claims:
            raise ExperimentError(f"claim {name!r} recorded twice")
        self.claims[name] = bool(holds)
        self.statements[name] = statement
        return bool(holds)

    def add_figure(self, name: str, figure: Figure) -> None:
        self.figures[name] = figure

    @property
    def passed(self) -> bool:
        return bool(self.claims) and all(self.claims.values())

    def failed(self) -> list[str]:
        return [name for name, ok in self.claims.items() if not ok]

    def save_figures(self, directory: str | Path, fmt: str = "png") -> list[Path]:
        """Write every figure as `<directory>/<name>.<fmt>`; returns the paths."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        paths = []
        for name, fig in self.figures.items():
            path = out / f"{name}.{fmt}"
            fig.savefig(path)
            paths.append(path)
        return paths

    def report(self) -> str:
        lines = [f"experiment {self.experiment_id} (seed={self.seed}, size={self.size})", ""]
        lines += [str(self.metrics), ""]
        for name, ok in self.claims.items():
            mark = "PASS" if ok else "FAIL"
            lines.append(f"[{mark}] {name}: {self.statements.get(name, '')}")
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.report()


# ---------------------------------------------------------------------- registry
ExperimentFn = Callable[[int, str], ExperimentResult]


@dataclass(frozen=True)
class Experiment:
    id: str
    title: str
    questions: tuple[str, ...]
    sizes: tuple[str, ...]
    fn: ExperimentFn

    def run(self, seed: int = 0, size: str = "quick") -> ExperimentResult:
        return run(self.id, seed=seed, size=size)


_REGISTRY: dict[str, Experiment] = {}


def experiment(
    *,
    id: str,  # noqa: A002 - the natural name at the call site
    questions: Sequence[str],
    title: str,
    sizes: Sequence[str] = SIZES,
) -> Callable[[ExperimentFn], ExperimentFn]:
    """Register `fn(seed, size) -> ExperimentResult` under `id`; the function is returned as is."""
    if not re.match(ID_PATTERN, id):
        raise ExperimentError(f"experiment id {id!r} must look like 'topic.words-with-dashes'")
    if not questions:
        raise ExperimentError(f"experiment {id!r} must cite at least one question id")
    bad = [s for s in sizes if s not in SIZES]
    if bad or not sizes:
        raise ExperimentError(f"experiment {id!r}: sizes must be drawn from {SIZES}, got {sizes}")

    def register(fn: ExperimentFn) -> ExperimentFn:
        if id in _REGISTRY:
            prev = _REGISTRY[id].fn
            raise DuplicateExperimentError(
                f"experiment id {id!r} is already registered by "
                f"{prev.__module__}.{prev.__qualname__}"
            )
        _REGISTRY[id] = Experiment(id, title, tuple(questions), tuple(sizes), fn)
        return fn

    return register


def unregister(id: str) -> None:  # noqa: A002
    """Remove an experiment (tests use it to clean up after themselves)."""
    _REGISTRY.pop(id, None)


def _load_builtin() -> None:
    importlib.import_module(EXPERIMENT_PACKAGE)


def all_experiments() -> list[Experiment]:
    """Every registered experiment, the built-in ones included, sorted by id."""
    _load_builtin()
    return [_REGISTRY[k] for k in sorted(_REGISTRY)]


def get_experiment(id: str) -> Experiment:  # noqa: A002
    _load_builtin()
    if id not in _REGISTRY:
        known = ", ".join(sorted(_REGISTRY)) or "none"
        raise ExperimentError(f"no experiment {id!r}; registered: {known}")
    return _REGISTRY[id]


def run(
    id: str,  # noqa: A002
    seed: int = 0,
    size: str = "quick",
    figure_dir: str | Path | None = None,
) -> ExperimentResult:
    """Run one experiment, check the shape of its result, and optionally save its figures
    under `figure_dir/<id>/`."""
    exp = get_experiment(id)
    if size not in exp.sizes:
        raise ExperimentError(f"experiment {id!r} has sizes {exp.sizes}, not {size!r}")
    from threadpoolctl import threadpool_limits

    from groundup.random import manual_seed

    manual_seed(seed)
    # Lab models are small: one BLAS thread is faster than several fighting over the cores,
    # and it keeps results independent of the machine's core count.
    with threadpool_limits(limits=1, user_api="blas"):
        result = exp.fn(seed, size)
    if not isinstance(result, ExperimentResult):
        raise ExperimentError(
            f"experiment {id!r} returned {type(result).__name__}, expected ExperimentResult"
        )
    if not result.claims:
        raise ExperimentError(f"experiment {id!r} made no claims")
    missing = [c for c in result.claims if not result.statements.get(c)]
    if missing:
        raise ExperimentError(f"experiment {id!r}: claims without a statement: {missing}")
    result.experiment_id, result.seed, result.size = id, seed, size
    if figure_dir is not None:
        result.save_figures(Path(figure_dir) / id)
    return result


def check_question_links(bank: QuestionBank | None = None) -> list[str]:
    """Problems in the links between experiments and questions, both ways."""
    from groundup.lab.bank import load_bank

    bank = bank if bank is not None else load_bank()
    experiments = {e.id: e for e in all_experiments()}
    problems = []
    for exp in experiments.values():
        for qid in exp.questions:
            if qid not in bank:
                problems.append(f"experiment {exp.id!r} cites unknown question {qid!r}")
            elif exp.id in bank[qid].planned_experiments:
                problems.append(
                    f"experiment {exp.id!r} is registered now: in question {qid!r} move it "
                    "from `planned_experiments` to `experiments`"
                )
            elif exp.id not in bank[qid].experiments:
                problems.append(
                    f"experiment {exp.id!r} cites {qid!r}, whose `experiments` does not list it"
                )
    for q in bank:
        for eid in q.experiments:
            if eid not in experiments:
                problems.append(f"question {q.id!r} lists unregistered experiment {eid!r}")
            elif q.id not in experiments[eid].questions:
                problems.append(f"question {q.id!r} lists {eid!r}, which does not cite it back")
        for eid in q.planned_experiments:
            # one that cites the question back is reported above ("move it ...")
            if eid in experiments and q.id not in experiments[eid].questions:
                problems.append(
                    f"question {q.id!r} plans experiment {eid!r}, which is registered already: "
                    "have the experiment cite the question and list it under `experiments`, "
                    "or drop it from `planned_experiments`"
                )
    return problems
