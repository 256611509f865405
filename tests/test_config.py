"""Settings: sources, URL normalisation, and one clear error line that never shows a secret."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from korsync.cli.options import sync_options
from korsync.config import SettingsError, load_settings

SECRET = "s3cr3t-value-that-must-not-leak"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("KORSYNC_DATABASE_URL", "KORSYNC_API_TOKEN", "KORSYNC_CLIENT_ID",
                 "KORSYNC_CLIENT_SECRET", "KORSYNC_TOKEN_URL", "KORSYNC_ENV_FILE",
                 "CREDENTIALS_DIRECTORY", "KORSYNC_API_URL", "KORSYNC_HTTP_TIMEOUT"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)


def test_defaults_are_the_embedded_setup() -> None:
    """Without configuration korsync uses SQLite in the working directory and the real API."""
    settings = load_settings()
    assert settings.sqlalchemy_url.drivername == "sqlite"
    assert settings.sqlalchemy_url.database == "korsync.db"
    assert settings.api_url == "https://api.korusticket.com"


def test_plain_postgresql_url_uses_psycopg3(monkeypatch: pytest.MonkeyPatch) -> None:
    """A plain postgresql:// URL is driven by psycopg 3 without the user writing +psycopg."""
    monkeypatch.setenv("KORSYNC_DATABASE_URL", "postgresql://u:pw@db.example/korsync")
    assert load_settings().sqlalchemy_url.drivername == "postgresql+psycopg"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("not a url", "KORSYNC_DATABASE_URL: not a database URL"),
     ("sqlite+nosuch:///x.db", "KORSYNC_DATABASE_URL: unknown database driver"),
     ("oracle+nosuch://x/y", "KORSYNC_DATABASE_URL: korsync mirrors into PostgreSQL or SQLite"),
     ("postgresql+psycopg2://u@h/d", "KORSYNC_DATABASE_URL: PostgreSQL is reached through")],
)  # fmt: skip
def test_bad_database_url_names_the_setting(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: str
) -> None:
    """An unparseable URL, unknown driver or PostgreSQL driver other than psycopg 3 is one
    error naming KORSYNC_DATABASE_URL."""
    monkeypatch.setenv("KORSYNC_DATABASE_URL", value)
    with pytest.raises(SettingsError, match=expected):
        load_settings()


def test_bad_number_names_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    """A non-numeric timeout is reported against its variable name."""
    monkeypatch.setenv("KORSYNC_HTTP_TIMEOUT", "soon")
    with pytest.raises(SettingsError, match="KORSYNC_HTTP_TIMEOUT"):
        load_settings()


def test_missing_credentials_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    """Half-configured client credentials name exactly what is missing."""
    monkeypatch.setenv("KORSYNC_CLIENT_ID", "me")
    with pytest.raises(SettingsError, match="KORSYNC_CLIENT_SECRET, KORSYNC_TOKEN_URL"):
        load_settings().require_api_auth()


def test_static_token_is_enough() -> None:
    """A static token satisfies the credentials check."""
    load_settings(api_token=SECRET).require_api_auth()


def test_secret_never_in_repr_or_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    """Secrets are masked in the settings' repr and absent from validation errors."""
    settings = load_settings(api_token=SECRET, client_secret=SECRET)
    assert SECRET not in repr(settings)
    assert SECRET not in str(settings)
    monkeypatch.setenv("KORSYNC_DATABASE_URL", f"nosuch+driver://u:{SECRET}@h/db")
    with pytest.raises(SettingsError) as info:
        load_settings()
    assert SECRET not in str(info.value)


def test_systemd_credentials_directory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Secrets are read from $CREDENTIALS_DIRECTORY files named after the setting."""
    (tmp_path / "client_secret").write_text(SECRET + "\n")
    (tmp_path / "KORSYNC_API_TOKEN").write_text("tok")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(tmp_path))
    settings = load_settings()
    assert settings.client_secret is not None
    assert settings.client_secret.get_secret_value() == SECRET
    assert settings.api_token is not None and settings.api_token.get_secret_value() == "tok"


def test_environment_beats_env_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The env file supplies settings; a real environment variable overrides it."""
    env_file = tmp_path / "korsync.env"
    env_file.write_text("KORSYNC_API_URL=https://api.demo.korusticket.com\nKORSYNC_LANGUAGE=fr\n")
    monkeypatch.setenv("KORSYNC_LANGUAGE", "en")
    settings = load_settings(env_file)
    assert settings.api_url == "https://api.demo.korusticket.com"
    assert settings.language == "en"


def test_missing_env_file_is_an_error(tmp_path: Path) -> None:
    """Pointing at an env file that does not exist is reported, not ignored."""
    with pytest.raises(SettingsError, match="KORSYNC_ENV_FILE"):
        load_settings(tmp_path / "nope.env")


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0", "greater than 0"), ("-5", "greater than 0"), ("soon", "valid number"), ("", "valid")],
)
def test_retry_after_must_be_a_positive_number_of_seconds(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: str
) -> None:
    """``KORSYNC_RETRY_AFTER`` (how soon the daemon tries a failed stream again) names itself
    when it is not a positive number."""
    monkeypatch.setenv("KORSYNC_RETRY_AFTER", value)
    with pytest.raises(SettingsError, match=f"KORSYNC_RETRY_AFTER: .*{expected}"):
        load_settings()


def test_retry_after_is_read_in_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    """A fraction of a second is a valid value (tests and impatient operators)."""
    monkeypatch.setenv("KORSYNC_RETRY_AFTER", "0.5")
    assert load_settings().retry_after == 0.5


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0", "greater than 0"),
        ("-1", "greater than 0"),
        ("daily", "valid number"),
        ("", "valid"),
        ("1e300", "less than or equal to 31622400"),
        ("nan", "less than or equal"),
    ],
)
def test_audit_interval_must_be_seconds_within_a_year(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: str
) -> None:
    """``KORSYNC_AUDIT_INTERVAL`` names itself when it is not a positive number of seconds of
    at most a leap year (a larger one would overflow the scheduler's clock arithmetic)."""
    monkeypatch.setenv("KORSYNC_AUDIT_INTERVAL", value)
    with pytest.raises(SettingsError, match=f"KORSYNC_AUDIT_INTERVAL: .*{expected}"):
        load_settings()


def test_audit_interval_defaults_to_daily(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unset, the daemon audits once a day; a value is read in seconds."""
    monkeypatch.delenv("KORSYNC_AUDIT_INTERVAL", raising=False)
    assert load_settings().audit_interval == 86400
    monkeypatch.setenv("KORSYNC_AUDIT_INTERVAL", "3600")
    assert load_settings().audit_interval == 3600


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("-1", "greater than or equal to 0"),
        ("101", "less than or equal to 100"),
        ("1e300", "less than or equal to 100"),
        ("lots", "valid number"),
        ("", "valid"),
    ],
)
def test_audit_sample_percent_is_a_share_of_days(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: str
) -> None:
    """``KORSYNC_AUDIT_SAMPLE_PERCENT`` (days re-read per audit) is 0 to 100, or names itself."""
    monkeypatch.setenv("KORSYNC_AUDIT_SAMPLE_PERCENT", value)
    with pytest.raises(SettingsError, match=f"KORSYNC_AUDIT_SAMPLE_PERCENT: .*{expected}"):
        load_settings()


def test_audit_sample_percent_defaults_to_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unset, 1 % of the days is re-read per audit; 0 turns the sample off."""
    monkeypatch.delenv("KORSYNC_AUDIT_SAMPLE_PERCENT", raising=False)
    assert load_settings().audit_sample_percent == 1
    monkeypatch.setenv("KORSYNC_AUDIT_SAMPLE_PERCENT", "0")
    assert load_settings().audit_sample_percent == 0


def test_pace_ceilings_are_unset_by_default() -> None:
    """Without KORSYNC_RATE_LIMIT / KORSYNC_MAX_CONCURRENCY the pace has no hard ceiling."""
    settings = load_settings()
    assert (settings.rate_limit, settings.max_concurrency) == (None, None)


def test_pace_ceilings_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """Set, they are read as given (a fraction of a request per second included)."""
    monkeypatch.setenv("KORSYNC_RATE_LIMIT", "0.5")
    monkeypatch.setenv("KORSYNC_MAX_CONCURRENCY", "64")
    settings = load_settings()
    assert (settings.rate_limit, settings.max_concurrency) == (0.5, 64)


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [("KORSYNC_RATE_LIMIT", "0", "greater than 0"), ("KORSYNC_RATE_LIMIT", "-3", "greater than 0"),
     ("KORSYNC_RATE_LIMIT", "fast", "valid number"), ("KORSYNC_RATE_LIMIT", "", "valid number"),
     ("KORSYNC_RATE_LIMIT", "1e400", "finite number"),
     ("KORSYNC_RATE_LIMIT", "nan", "finite number"),
     ("KORSYNC_MAX_CONCURRENCY", "0", "greater than or equal to 1"),
     ("KORSYNC_MAX_CONCURRENCY", "65", "less than or equal to 64"),
     ("KORSYNC_MAX_CONCURRENCY", "99999999999999999999", "less than or equal to 64"),
     ("KORSYNC_MAX_CONCURRENCY", "2.5", "valid integer"),
     ("KORSYNC_MAX_CONCURRENCY", "many", "valid integer"),
     ("KORSYNC_MAX_CONCURRENCY", "", "valid integer")],
)  # fmt: skip
def test_bad_pace_ceiling_names_the_setting(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, expected: str
) -> None:
    """A pace ceiling that is not a positive (finite, bounded) number is one line naming it."""
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=f"{name}: .*{expected}"):
        load_settings()


@pytest.mark.parametrize(
    ("value", "expected"),
    [("-1", "greater than or equal to 0"), ("soon", "valid number"), ("", "valid number"),
     ("1e400", "finite number"), ("nan", "finite number")],
)  # fmt: skip
def test_bad_sweep_interval_names_the_setting(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: str
) -> None:
    """KORSYNC_ORDERS_SWEEP_INTERVAL that is not a finite number of seconds >= 0 is one line."""
    monkeypatch.setenv("KORSYNC_ORDERS_SWEEP_INTERVAL", value)
    with pytest.raises(SettingsError, match=f"KORSYNC_ORDERS_SWEEP_INTERVAL: .*{expected}"):
        load_settings()


def test_sweep_interval_reaches_the_orders_options(monkeypatch: pytest.MonkeyPatch) -> None:
    """Polls every 15 s and sweeps every 300 s by default; 0 makes every pass sweep."""
    defaults = load_settings()
    assert (defaults.orders_interval, defaults.orders_sweep_interval) == (15.0, 300.0)
    monkeypatch.setenv("KORSYNC_ORDERS_SWEEP_INTERVAL", "0")
    assert sync_options(load_settings()).orders.sweep_interval == dt.timedelta(0)


def test_accounts_file_setting(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """KORSYNC_ACCOUNTS_FILE names the accounts file; unset, there is none (one account)."""
    assert load_settings().accounts_file is None
    monkeypatch.setenv("KORSYNC_ACCOUNTS_FILE", str(tmp_path / "accounts.toml"))
    assert load_settings().accounts_file == tmp_path / "accounts.toml"


def test_history_defaults_to_every_group_kept_forever() -> None:
    """Without configuration every group keeps history and nothing is pruned."""
    settings = load_settings()
    assert settings.history_groups == ("orders", "offers", "catalogue")
    assert settings.history_days is None


@pytest.mark.parametrize(
    ("value", "groups"),
    [("none", ()), ("", ()), ("ALL", ("orders", "offers", "catalogue")),
     ("catalogue, orders", ("orders", "catalogue")), ("offers,offers", ("offers",))],
)  # fmt: skip
def test_history_groups_are_read(
    monkeypatch: pytest.MonkeyPatch, value: str, groups: tuple[str, ...]
) -> None:
    """KORSYNC_HISTORY takes all, none, or a comma list of groups (any case, spaces, repeats)."""
    monkeypatch.setenv("KORSYNC_HISTORY", value)
    assert load_settings().history_groups == groups


@pytest.mark.parametrize(
    ("value", "expected"),
    [("order", "unknown history group 'order'"),
     ("all,orders", "unknown history group 'all'"),
     ("orders,,offers", "unknown history group ''"),
     ("x" * 100_000, "unknown history group 'x{40}…'")],
)  # fmt: skip
def test_bad_history_group_names_the_setting(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: str
) -> None:
    """An unknown group (a typo, ``all`` mixed with groups, an empty item, a huge value) is one
    line naming KORSYNC_HISTORY, the known groups, and at most 40 characters of the input."""
    monkeypatch.setenv("KORSYNC_HISTORY", value)
    with pytest.raises(SettingsError, match=f"KORSYNC_HISTORY: {expected}") as info:
        load_settings()
    assert "orders, offers, catalogue" in str(info.value)
    assert len(str(info.value)) < 300


@pytest.mark.parametrize("value", ["0", "-3", "36501", "a week", "1.5", ""])
def test_bad_history_days_names_the_setting(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    """KORSYNC_HISTORY_DAYS is a whole number of days from 1 to 36500."""
    monkeypatch.setenv("KORSYNC_HISTORY_DAYS", value)
    with pytest.raises(SettingsError, match="KORSYNC_HISTORY_DAYS"):
        load_settings()


def test_history_days_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """A retention in days is kept as given."""
    monkeypatch.setenv("KORSYNC_HISTORY_DAYS", "90")
    assert load_settings().history_days == 90
