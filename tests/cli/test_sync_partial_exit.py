"""``korsync sync`` against the simulator serving the docs' example order shapes, on SQLite and
PostgreSQL: every stream runs, but orders are stored only in part, so the run says so and
exits 4 (documented in ``sync --help``); ``status`` shows the partial records."""

from __future__ import annotations

import os

import pytest
from click.testing import CliRunner

from korsync.cli import main
from korsync.fake_api import SimConfig, Simulator
from korsync.fake_api.server import serve


@pytest.fixture(autouse=True)
def no_korsync_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only what each test sets: no KORSYNC_* variables or credentials from the outside."""
    for name in list(os.environ):
        if name.startswith("KORSYNC_") or name == "CREDENTIALS_DIRECTORY":
            monkeypatch.delenv(name)


def test_sync_with_partial_items_exits_4_and_says_so(database_url: str) -> None:
    """Items without ids and document URLs naming no id: the orders line counts partial items,
    the exit status is 4, and ``status`` reports the open partial records."""
    sim = Simulator(SimConfig(seed=3, orders=6, catalogs=1, shapes=("docs-orders",)))
    with serve(sim) as url:
        env = {"KORSYNC_DATABASE_URL": database_url, "KORSYNC_API_URL": url}
        env["KORSYNC_API_TOKEN"] = sim.token
        result = CliRunner().invoke(main, ["sync", "--stream", "orders"], env=env)
        shown = CliRunner().invoke(main, ["status"], env=env)
    assert result.exit_code == 4, result.output
    (line,) = [line for line in result.output.splitlines() if line.startswith("orders:")]
    assert "0 rejected, 6 partial" in line
    assert "partial records: 6" in shown.output


def test_sync_help_documents_the_exit_statuses() -> None:
    """``sync --help`` names exit statuses 0, 1, 2 and 4."""
    result = CliRunner().invoke(main, ["sync", "--help"])
    text = " ".join(result.output.split())
    for status in ("0 all streams ran", "1 a stream failed", "2 the settings", "4 every stream"):
        assert status in text
