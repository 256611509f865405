"""The malloc arena cap that keeps a many-threaded run's resident memory down."""

from __future__ import annotations

import platform

import pytest

from korsync.memory import cap_malloc_arenas


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt's arena cap is glibc's")
def test_glibc_accepts_the_arena_cap() -> None:
    """On glibc, mallopt accepts the cap (it returns 0 for an option it rejects)."""
    assert cap_malloc_arenas(2) is True
