"""Against the simulator on a loopback port, on SQLite and PostgreSQL: ``korsync sync`` with one
catalogue model forbidden (403) succeeds and names the skipped endpoints, ``korsync status``
shows them, and ``korsync check --data`` lists how full each typed column is — warning on an
inferred column left empty on every row."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine, update

from korsync.cli import main
from korsync.fake_api import SimConfig, Simulator
from korsync.fake_api.server import serve
from korsync.models import OfferTicketSession

EVENTS = "/v1/ticketing/catalogs/{catalogId}/events"


@pytest.fixture(autouse=True)
def no_korsync_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only what each test sets: no KORSYNC_* variables or credentials from the outside."""
    for name in list(os.environ):
        if name.startswith("KORSYNC_") or name == "CREDENTIALS_DIRECTORY":
            monkeypatch.delenv(name)


@pytest.fixture
def environment(database_url: str) -> Iterator[dict[str, str]]:
    """A simulator with the older model forbidden, served, and the variables to reach it."""
    sim = Simulator(SimConfig(seed=3, orders=20, catalogs=1, forbidden_model="events"))
    with serve(sim) as url:
        yield {
            "KORSYNC_DATABASE_URL": database_url,
            "KORSYNC_API_URL": url,
            "KORSYNC_API_TOKEN": sim.token,
            "KORSYNC_RATE_LIMIT": "100000",  # hundreds of catalogue requests: no pacing
        }


def _run(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(main, list(args), env=env)


def _data_lines(result: Result) -> list[str]:
    lines = result.output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("data "))
    return lines[start:]


def test_sync_and_status_report_the_forbidden_models_endpoints(
    environment: dict[str, str],
) -> None:
    """The run succeeds (exit 0 is not asked of the orders side here), its line names the
    skipped endpoints, and ``status`` shows them under the catalogue stream."""
    synced = _run(environment, "sync", "--stream", "catalogue")
    assert synced.exit_code == 0, synced.output
    (line,) = [line for line in synced.output.splitlines() if line.startswith("catalogue:")]
    assert '"skipped": [' in line and f'"endpoint": "{EVENTS}", "status": 403' in line
    shown = _run(environment, "status")
    assert "catalogue: skipped endpoints (last run): GET /v1/forms/{id}: HTTP 403" in shown.output
    assert f"GET {EVENTS}: HTTP 403 (1x)" in shown.output


def test_check_data_lists_coverage_and_flags_an_empty_inferred_column(
    environment: dict[str, str], engine: Engine
) -> None:
    """Every ticket session's start emptied on purpose: ``check --data`` lists each typed column
    with its evidence and counts, flags ``offer_ticket_sessions.starts_at``, and warns."""
    assert _run(environment, "sync", "--stream", "catalogue").exit_code == 0
    with engine.begin() as connection:
        connection.execute(update(OfferTicketSession).values(starts_at=None))
    result = _run(environment, "check", "--data")
    data = _data_lines(result)
    assert data[0].split()[1] == "WARN", data[0]
    assert "offer_ticket_sessions.starts_at" in data[0]
    (starts,) = [row for row in data if row.split()[0] == "offer_ticket_sessions.starts_at"]
    assert starts.split()[1:4] == ["startsAt", "inferred", "0"]
    assert starts.endswith("WARN: empty on every row")
    (names,) = [row for row in data if row.split()[0] == "catalogs.name"]
    assert names.split()[1:5] == ["name", "documented", "1", "(100%)"]
    assert not any(row.split()[0].startswith("events.") for row in data[1:])  # no rows
    assert result.exit_code == 3, result.output


def test_check_data_before_any_sync_warns(environment: dict[str, str]) -> None:
    """An empty mirror: the data line says to sync first."""
    result = _run(environment, "check", "--data")
    (line,) = _data_lines(result)[:1]
    assert line.split()[1] == "WARN" and "run 'korsync sync' first" in line


def test_check_without_data_has_no_data_line(environment: dict[str, str]) -> None:
    """``--data`` is opt-in: plain ``korsync check`` prints no coverage."""
    result = _run(environment, "check")
    assert not any(line.startswith("data ") for line in result.output.splitlines())
