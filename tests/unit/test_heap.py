"""kernel.heap: a process's start-up objects leave the collector's generations, once."""
from __future__ import annotations

import gc
import subprocess
import sys
from pathlib import Path

import pytest

from kernel.heap import collection_paused

ROOT = Path(__file__).resolve().parents[2]

# Run in a fresh interpreter: freezing is process-wide and would pin this test run's objects.
PROBE = """
import gc
import api  # what an app process has built before it starts work
from kernel.heap import freeze_startup_objects
before = gc.get_freeze_count()
freeze_startup_objects()
first = gc.get_freeze_count()
kept = [[n] for n in range(1000)]  # objects of later work
freeze_startup_objects()
print(before, first, gc.get_freeze_count())
"""


def test_startup_objects_are_frozen_and_later_ones_are_not():
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, check=True, capture_output=True, text=True)
    before, first, second = (int(n) for n in out.stdout.split())
    assert before == 0
    assert first > 50_000  # modules, classes, mappers: the bulk a full collection would re-scan
    assert second == first  # a second call (a CLI command run in-process) pins nothing more


def test_a_paused_collection_resumes_when_the_last_pause_ends():
    assert gc.isenabled()
    with collection_paused():
        assert not gc.isenabled()
        with collection_paused():  # another thread's chunk, say
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer batch is still running
    assert gc.isenabled()


def test_a_pause_does_not_turn_on_a_collector_that_was_off():
    gc.disable()
    try:
        with collection_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_pause_ends_when_its_batch_fails():

    with pytest.raises(RuntimeError):
        with collection_paused():
            raise RuntimeError("chunk failed")
    assert gc.isenabled()
