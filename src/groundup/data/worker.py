"""Loading batches in worker processes.

The main process decides every batch's indices. Batch `b` goes to worker `b % W`
(round robin) over that worker's own pipe, and each worker answers its requests in
the order it got them, so reading batch `b` from worker `b % W` gives the batches in
order without any reordering buffer. Each worker is kept `prefetch_factor` requests
ahead. Workers only fetch and collate; an exception inside a worker is sent back and
raised again in the main process with the worker's traceback in its message.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import pickle
import random
import traceback
from collections.abc import Callable, Iterator, Sequence
from multiprocessing.connection import Connection, wait
from typing import Any

import numpy as np

from groundup.random import manual_seed

Fetch = Callable[[np.ndarray], Any]


class WorkerError:
    """An exception raised in a worker, in a form that survives the trip through a pipe."""

    def __init__(self, exc: BaseException, worker_id: int) -> None:
        self.exc_type: type[BaseException] = type(exc)
        self.type_name = type(exc).__name__
        self.worker_id = worker_id
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
) -> None:
    """Body of a worker process: receive index arrays, send back batches."""
    # A forked worker holds copies of the main process's pipe ends; close them so that
    # when the main process closes its end, this worker sees end-of-file and exits.
    for c in inherited:
        c.close()
    # Distinct, reproducible random streams per worker (for random augmentations).
    manual_seed(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)  # noqa: NPY002  (legacy global, used by some datasets)
    try:
        while True:
            indices = conn.recv()
            if indices is None or stop.is_set():
                break
            try:
                result = fetch(indices)
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
    return "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"


def _died(proc: Any, worker_id: int) -> RuntimeError:
    proc.join(timeout=1.0)
    return RuntimeError(
        f"DataLoader worker {worker_id} (pid {proc.pid}) exited unexpectedly "
        f"with exit code {proc.exitcode}"
    )


def _receive(conn: Connection, proc: Any, worker_id: int) -> Any:
    """The next result from one worker; raise if the worker died instead of answering."""
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
    batches: Sequence[np.ndarray],
    num_workers: int,
    prefetch_factor: int,
    base_seed: int,
    context: str | Any | None = None,
) -> Iterator[Any]:
    """Yield `fetch(b)` for every index array in `batches`, computed in worker processes.

    Workers are started on the first `next()` and always shut down: when the batches run
    out, when the consumer stops early (`break` closes this generator) and on errors.
    """
    if not batches:
        return
    if context is None or isinstance(context, str):
        context = multiprocessing.get_context(context or default_context())
    ctx: Any = context
    forked = ctx.get_start_method() == "fork"
    num_workers = min(num_workers, len(batches))
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
                daemon=True,
            )
            proc.start()
            child_end.close()  # the worker owns it now
            conns.append(parent_end)
            procs.append(proc)

        sent = 0
        while sent < min(len(batches), prefetch_factor * num_workers):
            w = sent % num_workers
            _send(conns[w], procs[w], w, batches[sent])
            sent += 1
        for b in range(len(batches)):
            w = b % num_workers
            result = _receive(conns[w], procs[w], w)
            if sent < len(batches):  # keep this worker busy: the next request is its turn
                _send(conns[w], procs[w], w, batches[sent])
                sent += 1
            if isinstance(result, WorkerError):
                result.reraise()
            yield result
    finally:
        _shutdown(conns, procs, stop)
