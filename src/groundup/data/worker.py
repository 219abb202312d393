"""Loading batches in worker processes.

The main process decides every batch's indices. Requests go to the workers round robin,
each over that worker's own pipe, and each worker answers its requests in the order it
got them, so reading the answers in the order the requests were sent gives the batches
in order without any reordering buffer. Each worker is kept `prefetch_factor` requests
ahead. Workers only fetch and collate; an exception inside a worker is sent back and
raised again in the main process with the worker's traceback in its message.

For an iterable-style dataset a request only says "your next batch": every worker
iterates its own copy of the dataset and answers `WorkerDone` once its stream ends; it
then leaves the rotation, and the others go on in the same round-robin order (as torch).
Inside a worker, `get_worker_info()` tells the dataset which worker it is in.
"""

from __future__ import annotations

import contextlib
import pickle
import random
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from groundup.random import manual_seed

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

# multiprocessing and traceback are imported where a worker starts or fails: a loader
# with num_workers=0 (and `import groundup`) never pays for them.

Fetch = Callable[[Any], Any]


@dataclass(frozen=True)
class WorkerInfo:
    """What `get_worker_info()` returns inside a DataLoader worker: its `id` (0 to
    `num_workers - 1`), `num_workers`, the `seed` its random generators got, and
    `dataset`, this worker's copy of the dataset."""

    id: int
    num_workers: int
    seed: int
    dataset: Any


_worker_info: WorkerInfo | None = None


def get_worker_info() -> WorkerInfo | None:
    """In a DataLoader worker process, its `WorkerInfo`; in the main process, None.

    An IterableDataset uses it in `__iter__` to give each worker its own share:
    `info = get_worker_info(); start = info.id if info else 0; step = info.num_workers
    if info else 1`, then yield every `step`-th sample from `start`.
    """
    return _worker_info


class WorkerDone:
    """The answer of a worker whose iterable dataset has no more batches."""


class WorkerError:
    """An exception raised in a worker, in a form that survives the trip through a pipe."""

    def __init__(self, exc: BaseException, worker_id: int) -> None:
        self.exc_type: type[BaseException] = type(exc)
        self.type_name = type(exc).__name__
        self.worker_id = worker_id
        import traceback

        self.trace = "".join(traceback.format_exception(exc))
        try:  # a class defined inside a function cannot be pickled: fall back
            pickle.dumps(self.exc_type)
        except Exception:
            self.exc_type = RuntimeError

    def reraise(self) -> None:
        message = (
            f"Caught {self.type_name} in DataLoader worker process {self.worker_id}.\n"
            f"Original {self.trace}"
        )
        try:
            exc = self.exc_type(message)
        except Exception:  # exception types whose constructor wants other arguments
            exc = RuntimeError(message)
        raise exc


def _worker_loop(
    fetch: Fetch,
    conn: Connection,
    stop: Any,
    seed: int,
    worker_id: int,
    inherited: Sequence[Connection],
    num_workers: int = 1,
    dataset: Any = None,
    init_fn: Callable[[int], None] | None = None,
) -> None:
    """Body of a worker process: receive requests (index arrays), send back batches."""
    global _worker_info
    # A forked worker holds copies of the main process's pipe ends; close them so that
    # when the main process closes its end, this worker sees end-of-file and exits.
    for c in inherited:
        c.close()
    # Distinct, reproducible random streams per worker (for random augmentations).
    manual_seed(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)  # noqa: NPY002  (legacy global, used by some datasets)
    _worker_info = WorkerInfo(worker_id, num_workers, seed, dataset)
    init_error: WorkerError | None = None
    if init_fn is not None:
        try:
            init_fn(worker_id)
        except Exception as exc:  # answered to every request, so the main process raises
            init_error = WorkerError(exc, worker_id)
    try:
        while True:
            indices = conn.recv()
            if indices is None or stop.is_set():
                break
            try:
                result = init_error or fetch(indices)
            except Exception as exc:
                result = WorkerError(exc, worker_id)
            try:
                conn.send(result)
            except OSError:  # the main process closed the pipe: it wants no more batches
                break
            except Exception as exc:  # the batch could not be pickled
                conn.send(WorkerError(exc, worker_id))
    except (EOFError, OSError, KeyboardInterrupt):
        pass  # main process gone or interrupted: exit quietly, it reports the problem
    finally:
        conn.close()


def default_context() -> str:
    """'fork' where the platform has it (fast start, no re-import), else 'spawn'."""
    import multiprocessing

    return "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"


def _died(proc: Any, worker_id: int) -> RuntimeError:
    proc.join(timeout=1.0)
    return RuntimeError(
        f"DataLoader worker {worker_id} (pid {proc.pid}) exited unexpectedly "
        f"with exit code {proc.exitcode}"
    )


def _receive(conn: Connection, proc: Any, worker_id: int) -> Any:
    """The next result from one worker; raise if the worker died instead of answering."""
    from multiprocessing.connection import wait

    wait([conn, proc.sentinel])
    try:
        if conn.poll():
            return conn.recv()
    except (EOFError, OSError):  # the pipe closed (or was reset) as the worker died
        pass
    raise _died(proc, worker_id)


def _send(conn: Connection, proc: Any, worker_id: int, indices: np.ndarray) -> None:
    try:
        conn.send(indices)
    except OSError:
        raise _died(proc, worker_id) from None


def _shutdown(conns: list[Connection], procs: list[Any], stop: Any) -> None:
    stop.set()  # workers skip requests they have not started
    for conn in conns:
        with contextlib.suppress(OSError):
            conn.send(None)  # wakes a worker waiting for work
        conn.close()  # a worker blocked sending a batch gets a broken pipe and exits
    for proc in procs:
        proc.join(timeout=5.0)
        if proc.is_alive():  # stuck inside a long fetch: stop it
            proc.terminate()
            proc.join()


def worker_batches(
    fetch: Fetch,
    requests: Iterable[Any],
    num_workers: int,
    prefetch_factor: int,
    base_seed: int,
    context: str | Any | None = None,
    *,
    dataset: Any = None,
    worker_init_fn: Callable[[int], None] | None = None,
    iterable: bool = False,
) -> Iterator[Any]:
    """Yield `fetch(r)` for every request `r`, computed in worker processes, in order.

    Map-style (`iterable=False`): `requests` are index arrays; at most one worker per
    request is started. Iterable-style: `requests` is endless, every worker answers
    until it returns `WorkerDone`, and iteration ends when all have. Workers are started
    on the first `next()` and always shut down: when the batches run out, when the
    consumer stops early (`break` closes this generator) and on errors.
    """
    pending = iter(requests)
    first = [r for _, r in zip(range(prefetch_factor * num_workers), pending, strict=False)]
    if not first:
        return
    if not iterable:
        num_workers = min(num_workers, len(first))
    if context is None or isinstance(context, str):
        import multiprocessing

        context = multiprocessing.get_context(context or default_context())
    ctx: Any = context
    forked = ctx.get_start_method() == "fork"
    stop = ctx.Event()
    conns: list[Connection] = []
    procs: list[Any] = []
    try:
        for w in range(num_workers):
            parent_end, child_end = ctx.Pipe()
            inherited = [*conns, parent_end] if forked else []
            proc = ctx.Process(
                target=_worker_loop,
                args=(fetch, child_end, stop, base_seed + w, w, inherited),
                kwargs={"num_workers": num_workers, "dataset": dataset, "init_fn": worker_init_fn},
                daemon=True,
            )
            proc.start()
            child_end.close()  # the worker owns it now
            conns.append(parent_end)
            procs.append(proc)

        active = [True] * num_workers
        in_flight: deque[int] = deque()  # the worker of each request sent, in order
        turn = 0  # the next worker in the rotation

        def send(request: Any) -> None:
            nonlocal turn
            while not active[turn]:
                turn = (turn + 1) % num_workers
            _send(conns[turn], procs[turn], turn, request)
            in_flight.append(turn)
            turn = (turn + 1) % num_workers

        def send_next() -> None:  # keep the workers busy: one new request per answer
            if any(active):
                for request in pending:
                    send(request)
                    break

        for request in first:
            send(request)
        while in_flight:
            w = in_flight.popleft()
            result = _receive(conns[w], procs[w], w)
            if isinstance(result, WorkerDone):
                active[w] = False  # its later requests are answered WorkerDone too
                continue
            send_next()
            if isinstance(result, WorkerError):
                result.reraise()
            yield result
    finally:
        _shutdown(conns, procs, stop)
