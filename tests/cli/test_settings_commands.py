"""Settings as the command line sees them: ``korsync config`` (each value and where it came
from, secrets redacted), warnings for misspelt variables and passwords in ``ps``, empty secrets
refused, options after the command's name, and the backfill's date and worker options."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from korsync.cli import main
from korsync.cli.params import MOMENT

TOKEN = "tok-1234567890-secret"


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def config_rows(result: Result) -> dict[str, tuple[str, str]]:
    rows = {}
    for line in result.output.splitlines():
        name, value, origin = line.split(None, 2)
        rows[name] = (value, origin)
    return rows


def test_config_shows_each_value_and_where_it_came_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Environment, env file, option and default each named; secrets and passwords redacted."""
    env_file = tmp_path / "k.env"
    env_file.write_text("KORSYNC_ORDERS_INTERVAL=60\nKORSYNC_PII_KEY=0123456789abcdef-key\n")
    monkeypatch.setenv("KORSYNC_API_TOKEN", TOKEN)
    url = f"postgresql://u:hunter2pw@127.0.0.1/{tmp_path.name}"
    result = invoke("--env-file", str(env_file), "config", "--database-url", url)
    assert result.exit_code == 0, result.output
    rows = config_rows(result)
    assert rows["KORSYNC_API_TOKEN"] == ("[redacted]", "environment")
    assert rows["KORSYNC_PII_KEY"] == ("[redacted]", f"env file {env_file}")
    assert rows["KORSYNC_ORDERS_INTERVAL"] == ("60.0", f"env file {env_file}")
    assert rows["KORSYNC_DATABASE_URL"][1] == "option"
    assert rows["KORSYNC_RATE_LIMIT"] == ("-", "default")  # unset: the pace adapts
    for secret in (TOKEN, "0123456789abcdef-key", "hunter2pw"):
        assert secret not in result.output


def test_a_credential_is_named_as_the_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A systemd credential (``$CREDENTIALS_DIRECTORY/api_token``) shows as ``credential``."""
    (tmp_path / "api_token").write_text(TOKEN)
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(tmp_path))
    monkeypatch.delenv("KORSYNC_API_TOKEN", raising=False)
    rows = config_rows(invoke("config"))
    assert rows["KORSYNC_API_TOKEN"] == ("[redacted]", "credential")


def test_misspelt_variables_are_named_with_the_setting_meant(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """An unknown ``KORSYNC_*`` name, in the environment or the env file, gets a warning that
    names the closest setting; a name like no setting gets a warning without a guess."""
    env_file = tmp_path / "k.env"
    env_file.write_text("KORSYNC_ORDERS_INTERVALL=60\n")
    monkeypatch.setenv("KORSYNC_RATE_LIMT", "5")
    monkeypatch.setenv("KORSYNC_FROBNICATE", "1")
    with caplog.at_level(logging.WARNING, logger="korsync"):
        assert invoke("--env-file", str(env_file), "config").exit_code == 0
    warned = " | ".join(r.getMessage() for r in caplog.records)
    assert "KORSYNC_RATE_LIMT is not a korsync setting and is ignored; did you mean" in warned
    assert "KORSYNC_RATE_LIMIT?" in warned
    assert "KORSYNC_ORDERS_INTERVALL" in warned and "KORSYNC_ORDERS_INTERVAL?" in warned
    assert "KORSYNC_FROBNICATE is not a korsync setting and is ignored" in warned
    assert "KORSYNC_FROBNICATE is not a korsync setting and is ignored;" not in warned


def test_a_password_on_the_command_line_is_warned_about(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """``--database-url`` with a password is visible in ``ps``: a warning says where to put it."""
    url = "postgresql://u:hunter2pw@127.0.0.1:1/x"
    with caplog.at_level(logging.WARNING, logger="korsync"):
        invoke("--database-url", url, "config")
    warned = " ".join(r.getMessage() for r in caplog.records)
    assert "visible to every user in ps" in warned and "hunter2pw" not in warned


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("KORSYNC_API_TOKEN", "", "KORSYNC_API_TOKEN: is empty"),
        ("KORSYNC_API_TOKEN", "   ", "KORSYNC_API_TOKEN: is empty"),
        ("KORSYNC_PII_KEY", "", "KORSYNC_PII_KEY: is empty"),
        ("KORSYNC_PII_KEY", "short-key", "KORSYNC_PII_KEY: must be at least 16 bytes"),
        ("KORSYNC_CLIENT_SECRET", "", "KORSYNC_CLIENT_SECRET: is empty"),
    ],
)
def test_empty_or_weak_secrets_are_one_line_exit_2(
    variable: str, value: str, says: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """An empty secret (``KORSYNC_API_TOKEN=`` in an env file, say) or a short HMAC key is a bad
    setting like any other: one line naming it, exit 2, the value never repeated."""
    monkeypatch.setenv(variable, value)
    monkeypatch.setenv("KORSYNC_PII", "hash")
    result = invoke("--database-url", f"sqlite:///{tmp_path / 'k.db'}", "sync")
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("korsync: invalid setting") and says in lines[0]
    if value.strip():
        assert value not in result.output


def test_options_work_after_the_command_name(tmp_path: Path) -> None:
    """``korsync db upgrade --database-url …`` and ``korsync status --database-url …`` read the
    database the option names, like the same option before the command."""
    url = f"sqlite:///{tmp_path / 'after.db'}"
    assert invoke("db", "upgrade", "--database-url", url).exit_code == 0
    assert (tmp_path / "after.db").exists()
    status = invoke("status", "--database-url", url)
    assert "no sync has run yet" in status.output
    env_file = tmp_path / "k.env"
    env_file.write_text(f"KORSYNC_DATABASE_URL={url}\n")
    assert "no sync has run yet" in invoke("status", "--env-file", str(env_file)).output


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-01", dt.datetime(2026, 3, 1, tzinfo=dt.UTC)),
        ("2026-03-01T12:30", dt.datetime(2026, 3, 1, 12, 30, tzinfo=dt.UTC)),
        ("2026-03-01 12:30:00", dt.datetime(2026, 3, 1, 12, 30, tzinfo=dt.UTC)),
        ("2026-03-01T12:30:00Z", dt.datetime(2026, 3, 1, 12, 30, tzinfo=dt.UTC)),
        ("2026-03-01T13:30:00+01:00", dt.datetime(2026, 3, 1, 12, 30, tzinfo=dt.UTC)),
    ],
)
def test_dates_are_read_in_the_usual_forms(text: str, expected: dt.datetime) -> None:
    """ISO dates and date-times, with ``Z``, an offset or none (UTC), become aware UTC."""
    assert MOMENT.convert(text, None, None) == expected


def test_a_span_ago_counts_back_from_now() -> None:
    """``30d``, ``12h``, ``45m`` are that long before now."""
    now = dt.datetime.now(dt.UTC)
    for text, span in (("30d", dt.timedelta(days=30)), ("12h", dt.timedelta(hours=12))):
        assert abs(MOMENT.convert(text, None, None) - (now - span)) < dt.timedelta(seconds=5)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--since", "yesterday"], "Invalid value for '--since'"),
        (["--since", "999999d"], "reaches back before year 1"),
        (["--since", "1" * 400], "Invalid value for '--since'"),
        (["--until", "2026-13-01"], "Invalid value for '--until'"),
        (["--since", "2026-03-02", "--until", "2026-03-01"], "is not after --since"),
        (["--since", "2026-03-01", "--until", "2026-03-01"], "is not after --since"),
        (["--workers", "0"], "Invalid value for '--workers'"),
        (["--workers", "-3"], "Invalid value for '--workers'"),
        (["--processes", "0"], "Invalid value for '--processes'"),
    ],
)
def test_backfill_refuses_bad_ranges_and_counts(
    args: list[str], says: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A date that is not one, a range that ends before it starts, or no workers: exit 2 naming
    the option, before any request or database."""
    monkeypatch.setenv("KORSYNC_API_TOKEN", TOKEN)
    result = invoke("--database-url", f"sqlite:///{tmp_path / 'none.db'}", "backfill", *args)
    assert result.exit_code == 2
    assert says in result.output
    assert list(tmp_path.iterdir()) == []
