"""``db docs`` and ``db dbt-sources`` output (a file, or standard output with ``-``), the dbt
sources file read back as YAML, and the reporting zone written by ``db upgrade`` and ``sync``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result
from sqlalchemy import Engine, text

from korsync.cli import main
from korsync.db.schema_docs import render
from korsync.fake_api import SimConfig, Simulator
from korsync.fake_api.server import serve
from korsync.models import metadata
from korsync.models.views import VIEWS


@pytest.fixture(autouse=True)
def no_korsync_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Only what each test sets, run from an empty folder (where a stray file would show)."""
    for name in list(os.environ):
        if name.startswith("KORSYNC_") or name == "CREDENTIALS_DIRECTORY":
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, list(args), env=env)


def _sources(result: Result) -> dict[str, Any]:
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = yaml.safe_load(result.output)
    (source,) = document["sources"]
    return {entry["name"]: entry for entry in source["tables"]} | {"": source}


def test_docs_to_standard_output_writes_no_file(tmp_path: Path) -> None:
    """``db docs --output -`` prints the document and creates no file named ``-``."""
    result = run("db", "docs", "--output", "-")
    assert result.exit_code == 0
    assert result.output == render(metadata)
    assert list(tmp_path.iterdir()) == []


def test_dbt_sources_name_every_table_and_view() -> None:
    """Source ``korsync`` lists every table and every view, each column described with the
    same text as its database comment."""
    entries = _sources(run("db", "dbt-sources", "--output", "-"))
    assert entries[""]["name"] == "korsync" and entries[""]["schema"] == "public"
    assert set(entries) - {""} == set(metadata.tables) | set(VIEWS)
    for name, table in metadata.tables.items():
        columns = {c["name"]: c["description"] for c in entries[name]["columns"]}
        assert columns == {c.name: c.comment for c in table.columns}, name
        assert entries[name]["description"] == table.comment
    for name, view in VIEWS.items():
        columns = {c["name"]: c["description"] for c in entries[name]["columns"]}
        assert columns == {c: view.column_comment(c) for c in view.columns}, name


def test_dbt_freshness_follows_the_stream_intervals() -> None:
    """Warn after stale_factor intervals of the stream writing the table, error after twice
    that; sync_runs by the most frequent stream; views and bookkeeping have no freshness."""
    env = {"KORSYNC_ORDERS_INTERVAL": "7200", "KORSYNC_RESERVATIONS_INTERVAL": "90"}
    entries = _sources(run("db", "dbt-sources", "--output", "-", env=env))
    orders = entries["orders"]
    assert orders["loaded_at_field"] == "synced_at"
    assert orders["freshness"] == {
        "warn_after": {"count": 6, "period": "hour"},
        "error_after": {"count": 12, "period": "hour"},
    }
    assert entries["order_item_tickets"]["freshness"] == orders["freshness"]
    assert entries["offers"]["freshness"]["warn_after"] == {"count": 3, "period": "day"}
    # 3 x 90 s is 4.5 minutes: rounded up to whole minutes
    assert entries["reservations"]["freshness"]["warn_after"] == {"count": 5, "period": "minute"}
    runs = entries["sync_runs"]
    assert runs["loaded_at_field"] == "finished_at"
    assert runs["freshness"]["warn_after"] == {"count": 5, "period": "minute"}
    for name in [*VIEWS, "sync_state", "rejected_records", "reporting_timezone"]:
        assert "freshness" not in entries[name] and "loaded_at_field" not in entries[name]


def test_dbt_sources_schema_option() -> None:
    """``--schema`` names where the mirror lives; anything but a plain name is refused."""
    assert _sources(run("db", "dbt-sources", "--output", "-", "--schema", "main"))[""][
        "schema"
    ] == "main"  # fmt: skip
    for bad in ["", "a b", 'x"; drop', "s" * 64, "1abc"]:
        result = run("db", "dbt-sources", "--output", "-", "--schema", bad)
        assert result.exit_code == 2 and "--schema" in result.output, bad


def test_dbt_sources_to_a_file_in_a_new_folder(tmp_path: Path) -> None:
    """The default name is sources.yml; a missing folder is created; the file parses."""
    assert run("db", "dbt-sources").exit_code == 0
    assert "korsync" in (tmp_path / "sources.yml").read_text()
    target = tmp_path / "models" / "staging" / "korsync.yml"
    result = run("db", "dbt-sources", "--output", str(target))
    assert result.exit_code == 0 and result.output == f"wrote {target}\n"
    assert yaml.safe_load(target.read_text())["version"] == 2


@pytest.mark.parametrize("command", ["docs", "dbt-sources"])
def test_output_that_cannot_be_written_is_one_line(tmp_path: Path, command: str) -> None:
    """An existing folder is refused as usage (2); a path under a file cannot be written (1);
    each is one line naming the path, no traceback."""
    (tmp_path / "afile").write_text("x")
    folder = run("db", command, "--output", str(tmp_path))
    assert folder.exit_code == 2 and "directory" in folder.output
    under_file = run("db", command, "--output", str(tmp_path / "afile" / "out.md"))
    assert under_file.exit_code == 1
    assert under_file.output.count("\n") == 1 and "cannot write" in under_file.output
    assert "Traceback" not in under_file.output


def _zone_rows(engine: Engine) -> set[tuple[str, int]]:
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT zone, utc_offset_minutes FROM reporting_timezone"))
        return {(row.zone, row.utc_offset_minutes) for row in rows}


def test_db_upgrade_writes_the_reporting_zone(engine: Engine, database_url: str) -> None:
    """``db upgrade`` makes KORSYNC_REPORTING_TIMEZONE the views' zone; a bad name stops it
    before it touches the database, naming the setting."""
    env = {"KORSYNC_DATABASE_URL": database_url, "KORSYNC_REPORTING_TIMEZONE": "Europe/Paris"}
    assert run("db", "upgrade", env=env).exit_code == 0
    assert _zone_rows(engine) == {("Europe/Paris", 60), ("Europe/Paris", 120)}
    bad = run("db", "upgrade", env={**env, "KORSYNC_REPORTING_TIMEZONE": "Mars/Olympus"})
    assert bad.exit_code == 2 and "KORSYNC_REPORTING_TIMEZONE" in bad.output
    assert _zone_rows(engine) == {("Europe/Paris", 60), ("Europe/Paris", 120)}


def test_sync_writes_the_reporting_zone(engine: Engine, database_url: str) -> None:
    """Each ``sync`` makes the configured zone the views' zone before its streams run."""
    sim = Simulator(SimConfig(seed=3, orders=5, catalogs=1))
    with serve(sim) as url:
        env = {
            "KORSYNC_DATABASE_URL": database_url,
            "KORSYNC_API_URL": url,
            "KORSYNC_API_TOKEN": sim.token,
            "KORSYNC_REPORTING_TIMEZONE": "Asia/Kolkata",
        }
        result = run("sync", "--stream", "orders", env=env)
    assert result.exit_code == 0, result.output
    assert _zone_rows(engine) == {("Asia/Kolkata", 330)}  # one offset since 1970
