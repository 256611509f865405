"""Deterministic numbers and identifiers for the simulator.

Everything random in the simulator derives from ``mix``/``digest`` (a SplitMix64 finalizer over
integers), so the same seed always yields the same data. ``IdCodec`` turns (kind, organization,
index, timestamp) into a UUIDv7 whose 74 free bits are an encrypted, tagged payload and back
again: the simulator finds any generated order, item, ticket or document from its id alone in
constant time, and an id from another seed or a made-up one decodes to ``None``.
"""

from __future__ import annotations

import enum
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

_T = TypeVar("_T")
MASK64 = (1 << 64) - 1
_HALF_BITS = 37
_HALF_MASK = (1 << _HALF_BITS) - 1
_KIND_BITS, _ORG_BITS, _INDEX_BITS, _TAG_BITS = 5, 7, 42, 20
MAX_ORGANIZATIONS = 1 << _ORG_BITS
_ODD = 0x9E3779B97F4A7C15
_MS_MASK = (1 << 48) - 1
_RAND_B = (1 << 62) - 1
_VERSION_VARIANT = 0x7 << 76 | 0b10 << 62
MAX_INDEX = 1 << _INDEX_BITS


class Kind(enum.IntEnum):
    """What an id names; part of the encoded payload."""

    ORGANIZATION = 1
    CATALOG = 2
    PRODUCT_BASE = 3
    PRODUCT = 4
    OFFER = 5
    OFFER_TICKET = 6
    TICKET_SESSION = 7
    EVENT = 8
    SESSION = 9
    FORM = 10
    FORM_FIELD = 11
    OPTION_VALUE = 12
    RESERVATION = 13
    ORDER = 14
    ORDER_ITEM = 15
    ITEM_TICKET = 16
    DOCUMENT = 17


def mix(value: int) -> int:
    """SplitMix64 finalizer: a well-spread 64-bit hash of one integer."""
    value = (value + 0x9E3779B97F4A7C15) & MASK64
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & MASK64
    return value ^ (value >> 31)


def digest(*values: int) -> int:
    """A 64-bit hash of a tuple of integers (order matters)."""
    state = 0x243F6A8885A308D3
    for value in values:
        state = ((state ^ value) * 0x100000001B3 + (value >> 64)) & MASK64
    return mix(state)


def unit(*values: int) -> float:
    """A float in [0, 1) derived from ``values``."""
    return digest(*values) / float(1 << 64)


def genid(*values: int) -> str:
    """A stable JSON-LD blank-node id (``/.well-known/genid/...``) for an embedded object."""
    high = digest(*values)
    return f"/.well-known/genid/{high:016x}{((high * _ODD) >> 48) & 0xFFFF:04x}"


@dataclass(frozen=True)
class Decoded:
    """What an id encodes."""

    kind: Kind
    org: int
    index: int
    unix_ms: int


class IdCodec:
    """Encodes and decodes the simulator's UUIDv7s for one seed.

    The payload (kind, organization, index and a 20-bit tag over those and the timestamp) is
    encrypted with a three-round Feistel network keyed by the seed, so ids look random, and
    the tag rejects ids of other seeds. The bit layout is ``korsync.ids.uuid7_from``'s.
    """

    def __init__(self, seed: int) -> None:
        self._seed = seed
        self._keys = [digest(seed, 0x1D, round_) & _HALF_MASK for round_ in range(3)]
        self._tag_key = digest(seed, 0x7A6)

    def _encrypt(self, value: int) -> int:
        left, right = value >> _HALF_BITS, value & _HALF_MASK
        for key in self._keys:
            left, right = right, left ^ ((((right ^ key) * _ODD) >> 27) & _HALF_MASK)
        return left << _HALF_BITS | right

    def _decrypt(self, value: int) -> int:
        left, right = value >> _HALF_BITS, value & _HALF_MASK
        for key in reversed(self._keys):
            left, right = right ^ ((((left ^ key) * _ODD) >> 27) & _HALF_MASK), left
        return left << _HALF_BITS | right

    def _tag(self, kind: int, org: int, index: int, unix_ms: int) -> int:
        mixed = (index * _ODD + unix_ms * 0xC2B2AE3D27D4EB4F + (kind << 7 | org)) ^ self._tag_key
        return ((mixed & MASK64) * 0x165667B19E3779F9 >> 40) & ((1 << _TAG_BITS) - 1)

    def encode(self, kind: Kind, org: int, index: int, unix_ms: int) -> str:
        """The UUIDv7 string of entity ``index`` of ``kind`` in organization ``org``."""
        payload = (
            (int(kind) << (_ORG_BITS + _INDEX_BITS + _TAG_BITS))
            | org << (_INDEX_BITS + _TAG_BITS)
            | index << _TAG_BITS
            | self._tag(kind, org, index, unix_ms)
        )
        return format_uuid7(unix_ms, self._encrypt(payload))

    def decode(self, value: str) -> Decoded | None:
        """What ``value`` encodes, or ``None`` when it is not one of this seed's ids."""
        try:
            number = uuid.UUID(value).int
        except (ValueError, AttributeError, TypeError):
            return None
        if str(uuid.UUID(int=number)) != value or (number >> 76) & 0xF != 7:
            return None
        unix_ms = number >> 80
        rand = ((number >> 64) & 0xFFF) << 62 | number & ((1 << 62) - 1)
        payload = self._decrypt(rand)
        tag = payload & ((1 << _TAG_BITS) - 1)
        index = (payload >> _TAG_BITS) & (MAX_INDEX - 1)
        org = (payload >> (_TAG_BITS + _INDEX_BITS)) & (MAX_ORGANIZATIONS - 1)
        kind_value = payload >> (_TAG_BITS + _INDEX_BITS + _ORG_BITS)
        if kind_value not in Kind._value2member_map_:
            return None
        if tag != self._tag(kind_value, org, index, unix_ms):
            return None
        return Decoded(Kind(kind_value), org, index, unix_ms)


def format_uuid7(unix_ms: int, rand: int) -> str:
    """``str(korsync.ids.uuid7_from(unix_ms, rand))``, without building a ``UUID`` (hot path)."""
    value = (unix_ms & _MS_MASK) << 80 | _VERSION_VARIANT | (rand >> 62) << 64 | rand & _RAND_B
    text = f"{value:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


class Rng(random.Random):
    """``random.Random`` with cheaper ``choice``/``randrange``/``randint`` (float based).

    The tiny bias of scaling ``random()`` does not matter for generated test data, and it
    halves the cost of generating an order.
    """

    def choice(self, seq: Sequence[_T]) -> _T:  # type: ignore[override]  # Random's is wider
        """One element of ``seq``."""
        return seq[int(self.random() * len(seq))]

    def randrange(self, start: int, stop: int | None = None, step: int = 1) -> int:
        """An integer in ``range(start, stop)`` (``step`` must be 1)."""
        if stop is None:
            start, stop = 0, start
        return start + int(self.random() * (stop - start))

    def randint(self, a: int, b: int) -> int:
        """An integer in ``a..b``."""
        return a + int(self.random() * (b - a + 1))
