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

_frozen = False


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
