"""UUID version 7 (RFC 9562): time-ordered ids for bookkeeping rows and the simulator.

Python 3.11 has no ``uuid.uuid7``; this module builds one from a millisecond timestamp and 74
random bits. ``uuid7`` draws the bits from the OS; ``uuid7_from`` takes them from the caller, so
the simulator can derive the same ids from the same seed.
"""

import os
import time
import uuid

_RAND_BITS = 74
_RAND_MASK = (1 << _RAND_BITS) - 1


def uuid7_from(unix_ms: int, rand: int) -> uuid.UUID:
    """Return the UUIDv7 for ``unix_ms`` whose 74 free bits are the low bits of ``rand``."""
    rand &= _RAND_MASK
    rand_a = rand >> 62  # 12 bits after the version nibble
    rand_b = rand & ((1 << 62) - 1)  # 62 bits after the variant
    value = (unix_ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76 | rand_a << 64 | 0b10 << 62 | rand_b
    return uuid.UUID(int=value)


def uuid7(unix_ms: int | None = None) -> uuid.UUID:
    """Return a new random UUIDv7 for ``unix_ms`` (default: now)."""
    if unix_ms is None:
        unix_ms = time.time_ns() // 1_000_000
    return uuid7_from(unix_ms, int.from_bytes(os.urandom(10), "big"))
