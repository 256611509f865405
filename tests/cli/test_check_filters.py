"""``korsync check``'s ``filters`` line: which ``createdAt[...]`` filter
format the API accepts, probed against the simulator served on a loopback port."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from alembic import command
from click.testing import CliRunner, Result

from korsync.cli import main
from korsync.cli.check import EXIT_WARNED
from korsync.db.engine import make_engine
from korsync.db.migrate import alembic_config
from korsync.fake_api import SimConfig, Simulator
from korsync.fake_api.server import serve


@pytest.fixture(autouse=True)
def no_korsync_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only what each test sets: no KORSYNC_* variables or credentials from the outside."""
    for name in list(os.environ):
        if name.startswith("KORSYNC_") or name == "CREDENTIALS_DIRECTORY":
            monkeypatch.delenv(name)


def _database(tmp_path: Path) -> str:
    engine = make_engine(f"sqlite:///{tmp_path / 'k.db'}")
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "head")
    engine.dispose()
    return f"sqlite:///{tmp_path / 'k.db'}"


def _check(tmp_path: Path, created_filters: str) -> tuple[Result, dict[str, str]]:
    """``korsync check`` against a simulator of this filter shape; the output, and each
    check's status and message by name."""
    config = SimConfig(seed=3, orders=30, created_filters=created_filters)  # type: ignore[arg-type]
    sim = Simulator(config)
    with serve(sim) as url:
        env = {
            "KORSYNC_DATABASE_URL": _database(tmp_path),
            "KORSYNC_API_URL": url,
            "KORSYNC_API_TOKEN": sim.token,
        }
        result = CliRunner().invoke(main, ["check"], env=env)
    found: dict[str, str] = {}
    for line in result.output.splitlines():
        name, _, rest = line.partition(" ")
        found.setdefault(name, rest.strip())
    return result, found


def test_an_api_taking_times_is_ok(tmp_path: Path) -> None:
    """The default simulator takes the offset form: one ok line naming it, exit 0."""
    result, found = _check(tmp_path, "time")
    assert result.exit_code == 0, result.output
    assert found["filters"].startswith("ok")
    assert "date-time with offset (2025-06-02T12:00:00+00:00)" in found["filters"]


def test_an_api_taking_only_dates_warns(tmp_path: Path) -> None:
    """A date-only API: the filters line warns that orders are re-read a day at a time, naming
    what was refused; the other checks still pass, exit 3."""
    result, found = _check(tmp_path, "date")
    assert result.exit_code == EXIT_WARNED, result.output
    line = found["filters"]
    assert line.startswith("WARN") and "date only: orders are re-read a day at a time" in line
    assert "refused: date-time with offset" in line
    assert [found[n][:2] for n in ("api", "credentials", "catalogue")] == ["ok"] * 3
