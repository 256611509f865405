"""The rejects table holds any reject: keys, reasons and payloads a hostile API sent are made
storable; a reject resolves when its item is written and is open again when rejected again."""

from __future__ import annotations

import uuid

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from korsync.db.upsert import MAX_KEY_CHARS, resolve_rejects, storable_key, upsert_rejects
from korsync.models import RejectedRecord


def _rejects(engine: Engine) -> list[RejectedRecord]:
    with Session(engine) as session:
        return list(session.scalars(select(RejectedRecord).order_by(RejectedRecord.record_key)))


def test_hostile_keys_reasons_and_payloads_are_stored(engine: Engine) -> None:
    """A key with NUL, an 8,000-character key, a reason with NUL and a lone surrogate, and a
    payload with both: each reject row is stored, its key bounded and still telling items
    apart, the payload without NUL and otherwise as sent."""
    long_a, long_b = "x" * 8000 + "a", "x" * 8000 + "b"
    raw = {"id": "0190\x00abc", "note": "bad\x00text \ud800", "n": 1}
    rejects = [
        ("0190\x00abc", "id: not a UUID \x00 \udcff", raw),
        (long_a, "id: not a UUID", {"id": long_a}),
        (long_b, "id: not a UUID", {"id": long_b}),
    ]
    with Session(engine) as session, session.begin():
        upsert_rejects(session, "orders", rejects)
    stored = _rejects(engine)
    keys = [r.record_key for r in stored]
    assert len(set(keys)) == 3
    assert all("\x00" not in key and len(key) <= MAX_KEY_CHARS for key in keys)
    assert set(keys) == {storable_key(key) for key, _, _ in rejects}
    by_key = {r.record_key: r for r in stored}
    nul = by_key[storable_key("0190\x00abc")]
    assert "\x00" not in nul.reason and nul.reason.startswith("id: not a UUID")
    assert nul.raw == {"id": "0190abc", "note": "badtext ?", "n": 1}
    assert by_key[storable_key(long_a)].raw == {"id": long_a}
    assert all(r.kind == "rejected" and r.resolved_at is None for r in stored)


def test_a_written_key_resolves_its_open_reject_and_a_new_rejection_reopens_it(
    engine: Engine,
) -> None:
    """``resolve_rejects`` marks the rejects of the keys written (whatever stream rejected
    them) and no other; rejected again, the row is open again and counted once more."""
    fixed, still_bad = str(uuid.uuid4()), str(uuid.uuid4())
    with Session(engine) as session, session.begin():
        upsert_rejects(session, "orders", [(fixed, "bad", {}), (still_bad, "bad", {})])
    with Session(engine) as session, session.begin():
        assert resolve_rejects(session, [fixed, str(uuid.uuid4())]) == 1
    states = {r.record_key: r.resolved_at for r in _rejects(engine)}
    assert states[fixed] is not None and states[still_bad] is None
    with Session(engine) as session, session.begin():
        upsert_rejects(session, "orders", [(fixed, "bad again", {})])
    again = {r.record_key: r for r in _rejects(engine)}[fixed]
    assert again.resolved_at is None and again.times_seen == 2 and again.reason == "bad again"
