"""Giving freed memory back between a close's stages changes nothing a caller holds, and, where glibc can trim
(Linux), returns the freed middle of the heap, which free() alone keeps."""
import sys

import numpy as np
import pytest

from addin.app.memory import _malloc_trim, release_freed_memory


def _resident_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20


def test_what_is_held_survives_release():
    held = np.arange(1_000_000)
    release_freed_memory()
    assert int(held.sum()) == 999_999 * 1_000_000 // 2


def test_the_freed_middle_of_the_heap_goes_back():
    if not sys.platform.startswith("linux") or _malloc_trim() is None:
        pytest.skip("no glibc here: only Arrow's pool is asked")
    chunks = [bytes(64_000) + bytes([i % 251]) for i in range(3000)]   # ~180 MiB, each below mmap's threshold
    kept = chunks[::10]                      # every tenth stays: the heap cannot shrink from its top
    del chunks
    before = _resident_mib()
    release_freed_memory()
    assert before - _resident_mib() > 100
    assert all(len(c) == 64_001 for c in kept)
