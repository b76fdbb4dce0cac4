"""The collector's pause at start-up gives the C heap's free pages back when it ends."""

from __future__ import annotations

import os
from pathlib import Path

from issdash.core.gc_pause import release_free_heap

PAGE = os.sysconf("SC_PAGE_SIZE")


def resident_bytes() -> int:
    return int(Path("/proc/self/statm").read_text().split()[1]) * PAGE


def test_free_heap_pages_are_given_back() -> None:
    # Blocks of 32 kB come from the C heap (under malloc's mmap threshold), each written
    # (so resident); freeing every other one leaves holes the allocator keeps: 16 MB free,
    # pinned between the kept blocks.
    blocks = [b"x" * (32 * 1024) for _ in range(1024)]
    kept = blocks[1::2]
    del blocks
    before = resident_bytes()
    release_free_heap()
    assert before - resident_bytes() > 8 * 1024 * 1024
    assert all(len(block) == 32 * 1024 for block in kept)
