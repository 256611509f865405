"""Orders sharing a ``createdAt`` second, served in another order on each request.

The docs promise no order among orders created in the same second, and a server sorting only
by ``createdAt`` may return such ties in any order — on each request anew. ``shuffle_ties``
serves that (``POST /_sim/ties``): each record on an ascending page is replaced by the record
at the same position of its second's group, the group shuffled for this request alone, so a
walk across pages can read one tie twice and miss another. The collection, its count and the
ground truth are unchanged.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from korsync.fake_api.sequence import Merged


def shuffle_ties(
    orders: Merged,
    bounds: tuple[int | None, int | None],
    offset: int,
    indices: list[int],
    created: Callable[[int], int],
    rng: random.Random,
) -> list[int]:
    """``indices`` (the ascending page at ``offset`` of the window ``bounds``) with each
    second's ties shuffled across the whole group, as one request would see them."""
    low, high = bounds
    placed: dict[int, tuple[int, list[int]]] = {}  # second -> (its first position, shuffled)
    page = []
    for position, index in enumerate(indices, start=offset):
        second = created(index)
        if second not in placed:
            group_low = second if low is None else max(low, second)
            group_high = second + 1 if high is None else min(high, second + 1)
            group_window = orders.window(group_low, group_high)
            group = orders.ascending(group_window, 0, group_window.total)
            rng.shuffle(group)
            placed[second] = (orders.window(low, second).total, group)
        first, group = placed[second]
        page.append(group[position - first])
    return page
