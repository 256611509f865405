"""The malloc settings that keep a long, many-threaded run's resident memory down."""

from __future__ import annotations

import gc
import platform
import subprocess
import sys

import pytest

from korsync.cli import memory
from korsync.cli.memory import tune_malloc

# Frees a 1 MB mapped block, then asks for 200 KB and prints whether that block was mapped too
# (glibc's count of mapped blocks, mallinfo2().hblks, went up). Run in a fresh interpreter:
# the test process may have tuned malloc already. The module is loaded from its file alone:
# importing the korsync.cli package first would leave free heap chunks that serve the block.
PROBE = """
import ctypes, importlib.util, sys
spec = importlib.util.spec_from_file_location("memory", sys.argv[2])
memory = importlib.util.module_from_spec(spec)
spec.loader.exec_module(memory)
tune_malloc = memory.tune_malloc

class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks",
                 "uordblks", "fordblks", "keepcost")]

libc = ctypes.CDLL(None)
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
libc.mallinfo2.restype = MallInfo2
if sys.argv[1] == "tuned":
    assert tune_malloc()
libc.free(libc.malloc(1 << 20))
before = libc.mallinfo2().hblks
block = libc.malloc(200 * 1024)
print(libc.mallinfo2().hblks > before)
libc.free(block)
"""

glibc = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")


def _large_block_mapped(mode: str) -> bool:
    run = subprocess.run(
        [sys.executable, "-c", PROBE, mode, memory.__file__],
        capture_output=True,
        text=True,
        check=True,
    )
    return run.stdout.strip() == "True"


@glibc
def test_large_buffers_stay_mapped_after_a_bigger_one_was_freed() -> None:
    """Tuned, a 200 KB block is mapped (so returned on free) even after a 1 MB one was freed;
    glibc's default would have raised its threshold and served it from the heap."""
    assert _large_block_mapped("default") is False
    assert _large_block_mapped("tuned") is True


@glibc
def test_glibc_has_mallopt() -> None:
    """On glibc the settings are applied (mallopt found in the loaded C library)."""
    assert tune_malloc() is True


def test_tune_gc_raises_only_the_young_threshold() -> None:
    """The young generation's threshold is raised; the older ones keep their ratios."""
    saved = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        memory.tune_gc()
        assert gc.get_threshold() == (memory.YOUNG_THRESHOLD, 10, 10)
    finally:
        gc.set_threshold(*saved)
