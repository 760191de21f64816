"""Process start-up: keep what every process builds once out of the garbage collector's way.

A started process holds a few hundred thousand long-lived objects (modules, classes, ORM
mappers, compiled statements, the app). CPython's cyclic collector re-scans all of them at
every full collection, and a statement import or a busy worker allocates fast enough to
trigger many: a fifth of a 10k-line import went there (`bench/reconcile.py`). `gc.freeze`
moves them to a generation that is never scanned. Each process entry point calls this once,
after building what it keeps and before its work starts; never per request (whatever is
alive at that moment would be kept for good).
"""
from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_frozen = False
_pauses = 0
_pause_lock = threading.Lock()
_resume_collector = False


def freeze_startup_objects() -> None:
    """Exclude every object alive now from later collections (garbage is collected first).

    Only the first call in a process freezes: a command run inside another process (tests
    drive the CLI in-process) must not pin that process's objects again and again."""
    global _frozen
    if _frozen:
        return
    _frozen = True
    gc.collect()
    gc.freeze()


@contextmanager
def collection_paused() -> Iterator[None]:
    """Hold the cyclic collector off while one bounded batch runs (a statement chunk).

    A chunk keeps its hundred thousand rows, dicts and tuples alive until it commits: they
    survive the young collections, and each time they outgrow a quarter of the old
    generation a full collection re-scans them all, for nothing (reference counting frees
    them when the chunk ends). That was about a seventh of a 10k-line import. Memory stays
    bounded by the chunk; any cycles it made are collected once the collector runs again.
    Threads of one process share the collector, so pauses nest: the last one out resumes it.
    """
    global _pauses, _resume_collector
    with _pause_lock:
        if _pauses == 0:
            _resume_collector = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _pause_lock:
            _pauses -= 1
            if _pauses == 0 and _resume_collector:
                gc.enable()
