"""``korsync audit`` as a user runs it, on SQLite and PostgreSQL: exit 0 with one line when
every window matches (after healing), 5 naming each window that still differs, 1 with one line
when the audit cannot run (the orders stream busy, an API answer without a count), 2 for
options it cannot take — never a traceback."""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine

from korsync.cli import audit_command, main
from korsync.db.locks import stream_lock
from korsync.fake_api import SimConfig, Simulator
from korsync.fake_api.server import serve
from tests.support.upstream import ORDERS, Upstream, filtering, sample_orders


@pytest.fixture(autouse=True)
def no_korsync_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only what each test sets: no KORSYNC_* variables or credentials from the outside."""
    for name in list(os.environ):
        if name.startswith("KORSYNC_") or name == "CREDENTIALS_DIRECTORY":
            monkeypatch.delenv(name)


def _sim() -> Simulator:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    return Simulator(SimConfig(seed=4, orders=60, catalogs=1, now=now, clock_running=False))


def _env(database_url: str, url: str, sim: Simulator) -> dict[str, str]:
    return {
        "KORSYNC_DATABASE_URL": database_url,
        "KORSYNC_API_URL": url,
        "KORSYNC_API_TOKEN": sim.token,
    }


def test_a_clean_audit_exits_0_and_late_commits_are_healed(database_url: str) -> None:
    """After a sync, the audit exits 0 with one line; orders committed late with an old
    createdAt make the next audit name the window it healed, and still exit 0."""
    sim = _sim()
    with serve(sim) as url:
        env = _env(database_url, url, sim)
        assert CliRunner().invoke(main, ["sync", "--stream", "orders"], env=env).exit_code == 0
        clean = CliRunner().invoke(main, ["audit"], env=env)
        first = min(o["createdAt"] for o in sim.orders_truth())
        sim.add_orders(2, created_at=dt.datetime.fromisoformat(first) + dt.timedelta(days=9))
        healed = CliRunner().invoke(main, ["audit"], env=env)
    assert clean.exit_code == 0, clean.output
    (line,) = clean.output.splitlines()
    assert "0 healed, 0 still differing" in line
    assert healed.exit_code == 0, healed.output
    assert "healed" in healed.output.splitlines()[0] and "1 healed" in healed.output


def test_a_window_still_differing_exits_5_and_is_named(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An API whose count stays one above the orders it returns: exit 5, and the window is
    named on stderr (the documented status is in ``audit --help``)."""
    orders = sample_orders(3)
    upstream = Upstream()
    upstream.serve(ORDERS, filtering(orders, total=lambda n: n + 1 if n else 0))
    monkeypatch.setattr(audit_command, "build_client", lambda settings: upstream.client())
    env = {"KORSYNC_DATABASE_URL": database_url, "KORSYNC_API_TOKEN": "scripted-token-0123456789"}
    since = orders[0]["createdAt"][:19]
    result = CliRunner().invoke(main, ["audit", "--since", since, "--until", "1d"], env=env)
    assert result.exit_code == 5, result.output
    named = [line for line in result.stderr.splitlines() if "still differs" in line]
    assert len(named) == 3 and all(line.startswith("audit: orders [") for line in named)
    assert "Traceback" not in result.output
    help_text = " ".join(CliRunner().invoke(main, ["audit", "--help"]).output.split())
    assert "5 a window still differs" in help_text


def test_an_answer_without_a_count_exits_1_in_one_line(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A count answered without ``totalItems``: exit 1, one line naming the window."""
    upstream = Upstream()
    upstream.serve(ORDERS, filtering(sample_orders(2), total=lambda n: None))
    monkeypatch.setattr(audit_command, "build_client", lambda settings: upstream.client())
    env = {"KORSYNC_DATABASE_URL": database_url, "KORSYNC_API_TOKEN": "scripted-token-0123456789"}
    result = CliRunner().invoke(main, ["audit", "--until", "0m"], env=env)
    assert result.exit_code == 1
    (line,) = result.output.splitlines()
    assert line.startswith("korsync: audit failed: AuditError: orders [") and "totalItems" in line


def test_the_orders_stream_running_elsewhere_exits_1(engine: Engine, database_url: str) -> None:
    """While another process holds the orders stream's lock, the audit does not start."""
    sim = _sim()
    with serve(sim) as url, stream_lock(engine, "orders") as held:
        assert held
        result = CliRunner().invoke(main, ["audit"], env=_env(database_url, url, sim))
    assert result.exit_code == 1
    assert (
        result.output.strip()
        == "korsync: audit: another korsync process is running the orders stream"
    )


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--since", "2024-02-01", "--until", "2024-01-01"], "is not after --since"),
        (["--since", "yesterday"], "is not a date"),
        (["--until", "9" * 200], "is not a date"),
        (["--since", "999999d"], "before year 1"),
    ],
)
def test_options_it_cannot_take_exit_2(database_url: str, args: list[str], said: str) -> None:
    """A reversed range, text that is no date, a huge one and a span before year 1: exit 2
    with the reason, before any request."""
    env: dict[str, Any] = {"KORSYNC_DATABASE_URL": database_url, "KORSYNC_API_TOKEN": "t" * 20}
    result = CliRunner().invoke(main, ["audit", *args], env=env)
    assert result.exit_code == 2 and said in result.output


def test_before_any_sync_there_is_nothing_to_audit(database_url: str) -> None:
    """Without a watermark (and no --until) the audit does not re-walk the whole history hour
    by hour: it says there is nothing to audit yet, and exits 0."""
    sim = _sim()
    with serve(sim) as url:
        result = CliRunner().invoke(main, ["audit"], env=_env(database_url, url, sim))
    assert result.exit_code == 0, result.output
    assert result.output.startswith("audit: nothing to audit: no orders yet, or the orders")
