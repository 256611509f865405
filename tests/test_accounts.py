"""The accounts file: what it may say, and one clear line, never a secret, for each way it can be
wrong (missing, unreadable, malformed, unknown keys, bad names, inline secrets, huge, URLs and
secret references pointing elsewhere, values out of range)."""

from __future__ import annotations

from pathlib import Path

import pytest

from korsync.accounts import MAX_ACCOUNTS, MAX_FILE_BYTES, SINGLE, load_accounts, schema_url
from korsync.config import SettingsError, load_settings

PG = "postgresql://korsync@db.example/korsync"
SECRET = "kt-0123456789abcdef-must-not-leak"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("KORSYNC_ACCOUNTS_FILE", "KORSYNC_API_TOKEN", "KORSYNC_CLIENT_ID",
                 "KORSYNC_CLIENT_SECRET", "KORSYNC_TOKEN_URL", "KORSYNC_ENV_FILE",
                 "CREDENTIALS_DIRECTORY", "KORSYNC_DATABASE_URL"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)


def _load(tmp_path: Path, content: str | bytes, **overrides: str) -> list[tuple[str, object]]:
    path = tmp_path / "accounts.toml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    (tmp_path / "acme.token").write_text(SECRET + "\n")
    settings = load_settings(**{"database_url": PG, "accounts_file": str(path), **overrides})
    return [(a.name, a) for a in load_accounts(settings).accounts]


def _error(tmp_path: Path, content: str | bytes, **overrides: str) -> str:
    with pytest.raises(SettingsError) as caught:
        _load(tmp_path, content, **overrides)
    message = str(caught.value)
    assert "\n" not in message and SECRET not in message
    return message


GOOD = '[accounts.acme]\napi_url = "https://a.example"\napi_token_file = "acme.token"\n'


def test_without_a_file_there_is_one_account_where_the_url_points() -> None:
    """No accounts file: the single account, mirrored where the database URL points."""
    roster = load_accounts(load_settings(database_url=PG))
    assert [(a.name, a.schema) for a in roster.accounts] == [(SINGLE, None)]
    assert not roster.several
    assert roster.accounts[0].database_url() == load_settings(database_url=PG).sqlalchemy_url


def test_an_account_gets_its_schema_settings_and_secret(tmp_path: Path) -> None:
    """An account reads its token from the file it names, keeps the global settings it does
    not override, and its connections find its schema first."""
    content = GOOD + 'language = "fr"\norders_interval = 30\npii = "drop"\n'
    ((name, account),) = _load(tmp_path, content, documents_interval="120")
    settings = account.settings  # type: ignore[attr-defined]
    assert name == "acme" and account.schema == "korsync_acme"  # type: ignore[attr-defined]
    assert settings.api_token.get_secret_value() == SECRET
    assert (settings.language, settings.orders_interval, settings.pii) == ("fr", 30.0, "drop")
    assert settings.documents_interval == 120.0
    url = account.database_url()  # type: ignore[attr-defined]
    assert url.query["options"] == "-csearch_path=korsync_acme"


def test_global_credentials_never_reach_an_account(tmp_path: Path) -> None:
    """An account without credentials of its own is refused, not given the global token."""
    content = '[accounts.acme]\napi_url = "https://a.example"\n'
    message = _error(tmp_path, content, api_token="global-token-value")
    assert message.endswith("no API credentials: give api_token_file or api_token_credential,"
                            " or client_id + client_secret_file (or client_secret_credential)"
                            " + token_url")  # fmt: skip


def test_client_credentials_by_systemd_credential(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """client_secret_credential reads $CREDENTIALS_DIRECTORY/<name>."""
    (tmp_path / "acme_secret").write_text(SECRET)
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(tmp_path))
    content = ('[accounts.acme]\nclient_id = "c"\nclient_secret_credential = "acme_secret"\n'
               'token_url = "https://auth.example/token"\n')  # fmt: skip
    ((_, account),) = _load(tmp_path, content)
    assert account.settings.client_secret.get_secret_value() == SECRET  # type: ignore[attr-defined]


def test_schema_url_keeps_other_options() -> None:
    """An account's search_path is added to the URL's own options, after them (it wins)."""
    url = load_settings(database_url=PG + "?options=-cstatement_timeout%3D0").sqlalchemy_url
    assert schema_url(url, "korsync_a").query["options"] == (
        "-cstatement_timeout=0 -csearch_path=korsync_a"
    )


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("accounts = [", "not valid TOML"),
        ("[accounts.acme]\napi_token_file = 'acme.token'\n[accounts.acme]\n", "not valid TOML"),
        ("[other]\n", "unknown key 'other'"),
        ("", "no [accounts.<name>] table"),
        ("[accounts]\n", "no [accounts.<name>] table"),
        ("[accounts]\nacme = 3\n", "account 'acme': must be a table"),
        (GOOD + "colour = 'red'\n", "account 'acme': unknown key 'colour'"),
        (GOOD + "database_url = 'sqlite://'\n", "account 'acme': unknown key 'database_url'"),
        (GOOD.replace("acme", "Acme", 1), "account 'Acme': invalid name"),
        (GOOD.replace("acme", "1acme", 1), "account '1acme': invalid name"),
        (GOOD.replace("acme", '"ac-me"', 1), "account 'ac-me': invalid name"),
        (GOOD.replace("acme", "a" * 41, 1), "invalid name"),
        (GOOD.replace("acme", '"ac me; drop"', 1), "invalid name"),
        (f'[accounts.acme]\napi_token = "{SECRET}"\n', "api_token must not be written in the"),
        (f'[accounts.acme]\ntoken = "{SECRET}"\n', "token must not be written in the file"),
        (f'{GOOD}client_secret = "{SECRET}"\n', "client_secret must not be written"),
        (GOOD.replace("https://a.example", "ftp://a.example"), "api_url: must be an http://"),
        (GOOD.replace("https://a.example", "file:///etc/passwd"), "api_url: must be an http://"),
        (GOOD.replace('"https://a.example"', "3"), "api_url: Input should be a valid string"),
        (GOOD + "orders_interval = -1\n", "orders_interval: Input should be greater than 0"),
        (GOOD + "orders_interval = 'soon'\n", "orders_interval: Input should be a valid number"),
        (GOOD + "max_concurrency = 100000\n", "max_concurrency: Input should be less than"),
        (GOOD + "pii = 'hash'\n", "KORSYNC_PII_KEY is required when KORSYNC_PII=hash"),
        (GOOD.replace("acme.token", "nosuch.token"), "api_token_file: cannot read"),
        (GOOD.replace("acme.token", "."), "api_token_file: cannot read"),
        (GOOD.replace('"acme.token"', '""'), "api_token_file must be a non-empty string"),
        (GOOD.replace("api_token_file", "api_token_credential").replace("acme.token", "../x"),
         "api_token_credential must be a credential's plain name, not a path"),
        (GOOD.replace("api_token_file", "api_token_credential"),
         "api_token_credential: no $CREDENTIALS_DIRECTORY"),
        ('views_schema = "Bad-Name"\n' + GOOD, "views_schema must be a plain lower-case"),
        ('views_schema = "korsync_acme"\n' + GOOD, "views_schema is an account's schema"),
    ],
)  # fmt: skip
def test_a_bad_file_is_one_line(tmp_path: Path, content: str, expected: str) -> None:
    """Each problem is one line naming the file (and account, key), never a secret."""
    message = _error(tmp_path, content)
    assert message.startswith(f"accounts file {tmp_path / 'accounts.toml'}") or message.startswith(
        "cannot read"
    ), message
    assert expected in message, message


def test_missing_and_unreadable_files(tmp_path: Path) -> None:
    """A missing file, or a directory in its place, is named with the reason."""
    missing = load_settings(database_url=PG, accounts_file=str(tmp_path / "nosuch.toml"))
    with pytest.raises(SettingsError, match=r"cannot read accounts file .*No such file"):
        load_accounts(missing)
    folder = load_settings(database_url=PG, accounts_file=str(tmp_path))
    with pytest.raises(SettingsError, match=r"cannot read accounts file .*Is a directory"):
        load_accounts(folder)


def test_binary_and_huge_files(tmp_path: Path) -> None:
    """A file that is not UTF-8, or larger than any real accounts file, is refused unread."""
    assert "not UTF-8 text" in _error(tmp_path, b"\xff\xfe[accounts]")
    assert f"larger than {MAX_FILE_BYTES} bytes" in _error(tmp_path, "#" * (MAX_FILE_BYTES + 1))


def test_too_many_accounts(tmp_path: Path) -> None:
    """More accounts than korsync schedules sensibly in one database is refused."""
    content = "".join(f"[accounts.a{k}]\n" for k in range(MAX_ACCOUNTS + 1))
    assert f"at most {MAX_ACCOUNTS}" in _error(tmp_path, content)


def test_huge_and_empty_secret_files(tmp_path: Path) -> None:
    """A secret file that is empty, or far too large to be a token, is refused by name."""
    (tmp_path / "big.token").write_text("x" * 70_000)
    (tmp_path / "empty.token").write_text("\n")
    assert "larger than" in _error(tmp_path, GOOD.replace("acme.token", "big.token"))
    assert "is empty" in _error(tmp_path, GOOD.replace("acme.token", "empty.token"))


def test_sqlite_is_refused(tmp_path: Path) -> None:
    """Several accounts need PostgreSQL schemas: one line on SQLite."""
    message = _error(tmp_path, GOOD, database_url=f"sqlite:///{tmp_path / 'k.db'}")
    assert message.startswith("multiple accounts need PostgreSQL")
