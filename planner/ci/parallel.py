"""Run one function over many designs on several processes (a fork pool), results in input order (`--jobs N`)."""

from __future__ import annotations

import gc
import os
import signal
import sys
import threading
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from planner.diagnostics import Diagnostic, Severity, strictened

if TYPE_CHECKING:
    from planner.config import Config

__all__ = ["MIN_PER_PROCESS", "CheckedDesign", "check_design", "default_jobs", "ordered_map"]

T = TypeVar("T")
R = TypeVar("R")

# A worker pays a fork and a round trip per chunk; below this many designs per process one process is faster.
MIN_PER_PROCESS = 4
# Chunks per process: enough that a slow design does not leave the other processes idle at the end, few
# enough that the per-chunk round trip (pickling the paths and the results) stays small.
_CHUNKS_PER_PROCESS = 8
_MAX_CHUNK = 64
# How often (seconds) a worker checks that the process that started it is still alive.
_PARENT_POLL_SECONDS = 1.0
# How often the parent looks for a Ctrl-C while it waits for a result.
_INTERRUPT_POLL_SECONDS = 0.1

# The function a worker process applies, installed once per worker (under fork: inherited, never pickled).
_work: Callable[[Any], Any] | None = None


def default_jobs() -> int:
    """The number of cores this process may run on (its CPU affinity where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def ordered_map(
    work: Callable[[T], R],
    items: Sequence[T],
    jobs: int,
    on_done: Callable[[int, int, T], None] | None = None,
) -> Generator[R, None, None]:
    """`work` over `items`, yielded in the order of `items` whatever `jobs` is; `on_done(done, total, item)` after
    each, in that same order. One process when `jobs` is 1 or the batch is too small to share out."""
    total = len(items)
    processes = min(jobs, total // MIN_PER_PROCESS)
    if processes < 2:
        for done, item in enumerate(items, 1):
            result = _one(work, item)
            if on_done is not None:
                on_done(done, total, item)
            yield result
        return
    yield from _pooled(work, items, processes, on_done)


def _pooled(
    work: Callable[[T], R], items: Sequence[T], processes: int, on_done: Callable[[int, int, T], None] | None
) -> Iterator[R]:
    import multiprocessing

    total = len(items)
    size = max(1, min(_MAX_CHUNK, -(-total // (processes * _CHUNKS_PER_PROCESS))))
    # Fork: a worker starts with planner and its libraries already imported (spawn would import them again,
    # a third of a second per worker). Elsewhere the platform's default.
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    # A forked worker flushes the std streams it inherited when it exits: empty them first, or text buffered
    # here would be written twice.
    sys.stdout.flush()
    sys.stderr.flush()
    # Ctrl-C must never raise inside multiprocessing's own machinery (a lock or queue left half-way makes
    # terminate() hang): while the pool lives, SIGINT only sets a flag, read between results.
    interrupted = threading.Event()
    main = threading.current_thread() is threading.main_thread()  # only the main thread may set a handler
    previous = signal.signal(signal.SIGINT, lambda signum, frame: interrupted.set()) if main else None
    try:
        pool = context.Pool(processes, initializer=_install, initargs=(work, os.getpid()))
        try:
            # Chunks by hand: imap's own chunking returns a plain generator, without next(timeout).
            chunks = pool.imap(_call_chunk, [items[i : i + size] for i in range(0, total, size)])
            done = 0
            while done < total:
                for result in _next(chunks, interrupted):
                    done += 1
                    if on_done is not None:
                        on_done(done, total, items[done - 1])
                    yield result
        finally:
            # Done, interrupted, failed, or a caller that stopped reading: stop the workers now, whatever they
            # are doing (one may be stuck reading a design from a pipe).
            pool.terminate()
            pool.join()
    finally:
        if main:
            signal.signal(signal.SIGINT, previous)


def _next(results: Any, interrupted: threading.Event) -> Any:
    """The next result, waiting in short steps so that a Ctrl-C is acted on within one of them."""
    import multiprocessing

    while True:
        if interrupted.is_set():
            raise KeyboardInterrupt
        try:
            return results.next(timeout=_INTERRUPT_POLL_SECONDS)
        except multiprocessing.TimeoutError:
            continue


def _install(work: Callable[[Any], Any], parent: int) -> None:
    global _work
    _work = work
    # Ctrl-C reaches the whole process group: the parent handles it (and stops the pool); a worker that also
    # raised KeyboardInterrupt would print a traceback from inside multiprocessing.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A parent killed outright (SIGKILL, SIGTERM) cannot stop its pool; workers waiting for work would wait forever.
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()


def _exit_with_parent(parent: int) -> None:
    while not threading.Event().wait(_PARENT_POLL_SECONDS):
        if os.getppid() != parent:
            os._exit(1)


def _call_chunk(chunk: Sequence[Any]) -> list[Any]:
    assert _work is not None, "a worker runs items only after _install"
    return [_one(_work, item) for item in chunk]


def _one(work: Callable[[T], R], item: T) -> R:
    """`work(item)`, then its reference cycles freed even while the collector is paused."""
    result = work(item)
    if not gc.isenabled():
        # The CLI pauses the collector (planner.bulk.bulk_mode): each design's cycles (models, graphs) would then
        # stay until exit and a batch's memory would grow with it. Only the youngest generation is scanned,
        # what was allocated since the last item, so this costs far less than the collections it replaces.
        gc.collect(0)
    return result


@dataclass(frozen=True)
class CheckedDesign:
    """What `planner check` keeps of a design: its diagnostics, not its plan (a batch's memory stays flat)."""

    path: str
    diagnostics: tuple[Diagnostic, ...]


def check_design(path: str, config: Config, *, unapproved: Severity, strict: bool, max_bytes: int) -> CheckedDesign:
    """Plan one design and keep only what `check` reports: a design not Approved reported as `unapproved`
    says, then with `strict` every warning an error (after sorting, as check has always listed them)."""
    from planner.plan import plan_design

    plan = plan_design(path, config, unapproved=unapproved, max_bytes=max_bytes)
    found = plan.diagnostic_values()
    return CheckedDesign(plan.design.path, strictened(found) if strict else found)
