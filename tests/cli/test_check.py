"""``korsync check`` against the simulator on a loopback port and real SQLite/PostgreSQL
databases: every check passing, and each failing the way a first day against a real account
can — a closed port or unknown host (in seconds), a refused token (and the header form that
would work), a database behind its schema, a bad or unknown setting, the other catalogue model,
a skewed clock — always one line per check, never a secret."""

from __future__ import annotations

import datetime as dt
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from alembic import command
from click.testing import CliRunner, Result
from sqlalchemy import Engine

from korsync.api.client import Probe
from korsync.cli import main
from korsync.cli.check import EXIT_FAILED, EXIT_WARNED, check_api, check_clock, exit_status
from korsync.config import load_settings
from korsync.db.engine import make_engine
from korsync.db.migrate import alembic_config, head_revision, pending_revisions
from korsync.fake_api import SimConfig, Simulator
from korsync.fake_api.server import serve

CHECKS = ["settings", "database", "api", "credentials", "filters", "catalogue", "clock"]


@pytest.fixture(autouse=True)
def no_korsync_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only what each test sets: no KORSYNC_* variables or credentials from the outside."""
    for name in list(os.environ):
        if name.startswith("KORSYNC_") or name == "CREDENTIALS_DIRECTORY":
            monkeypatch.delenv(name)


@contextmanager
def served(**config: object) -> Iterator[tuple[Simulator, str]]:
    """A simulator (30 orders unless told) on a loopback port, and its base URL."""
    sim = Simulator(SimConfig(**{"seed": 3, "orders": 30, **config}))  # type: ignore[arg-type]
    with serve(sim) as url:
        yield sim, url


@pytest.fixture
def api() -> Iterator[tuple[Simulator, str]]:
    with served() as found:
        yield found


def check(**env: str) -> Result:
    """``korsync check`` with these environment variables."""
    return CliRunner().invoke(main, ["check"], env=env)


def lines(result: Result) -> dict[str, tuple[str, str]]:
    """Each check's (status, message), by name; asserts one line per check, in order."""
    found = [line.split(None, 2) for line in result.output.splitlines()[: len(CHECKS)]]
    assert [name for name, *_ in found] == CHECKS, result.output
    return {name: (status, message) for name, status, message in found}


def _migrated_sqlite(path: Path, revision: str = "head") -> str:
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), revision)
    engine.dispose()
    return f"sqlite:///{path}"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_every_check_passes(api: tuple[Simulator, str], engine: Engine, database_url: str) -> None:
    """A migrated database (SQLite and PostgreSQL), the right token: six ok lines, exit 0."""
    sim, url = api
    result = check(KORSYNC_DATABASE_URL=database_url, KORSYNC_API_URL=url,
                   KORSYNC_API_TOKEN=sim.token)  # fmt: skip
    assert result.exit_code == 0, result.output
    found = lines(result)
    assert {status for status, _ in found.values()} == {"ok"}
    assert head_revision() in found["database"][1]
    assert "the account holds 30 orders" in found["credentials"][1]
    assert "product_bases (newer model) present" in found["catalogue"][1]
    assert "events (older model) present" in found["catalogue"][1]
    assert '"Authorization: Bearer <token>"' in found["settings"][1]
    assert "korsync config" in found["settings"][1]
    assert result.output.splitlines()[-1] == "all checks passed"
    assert sim.token not in result.output


def test_closed_port_fails_in_seconds(tmp_path: Path) -> None:
    """Nothing listening: the API line fails at once (no retries), the lines that need the API
    are skipped, exit 1."""
    database = _migrated_sqlite(tmp_path / "k.db")
    started = time.monotonic()
    result = check(KORSYNC_DATABASE_URL=database, KORSYNC_API_URL=f"http://127.0.0.1:{_closed_port()}",
                   KORSYNC_API_TOKEN="some-token-value")  # fmt: skip
    # retried, the sync client's backoff alone (0.5 + 1 + 2 + 4 + 8 s) would pass 15 s
    assert time.monotonic() - started < 10
    assert result.exit_code == EXIT_FAILED
    found = lines(result)
    assert found["api"][0] == "FAIL" and "unreachable" in found["api"][1]
    assert [found[name][0] for name in ("credentials", "catalogue", "clock")] == ["skip"] * 3
    assert found["database"][0] == "ok"


def test_unknown_host_fails_in_seconds(tmp_path: Path) -> None:
    """A host that does not resolve (``.invalid`` never does) fails as fast."""
    database = _migrated_sqlite(tmp_path / "k.db")
    started = time.monotonic()
    result = check(KORSYNC_DATABASE_URL=database, KORSYNC_API_URL="https://korsync-check.invalid",
                   KORSYNC_API_TOKEN="some-token-value")  # fmt: skip
    assert time.monotonic() - started < 10
    assert result.exit_code == EXIT_FAILED
    assert lines(result)["api"][0] == "FAIL"


def test_wrong_token_is_refused(api: tuple[Simulator, str], tmp_path: Path) -> None:
    """A token the API refuses in both header forms: credentials FAIL, catalogue skipped, the
    clock still measured from the API's answer; the token never printed."""
    sim, url = api
    wrong = sim.token + "-wrong"
    result = check(KORSYNC_DATABASE_URL=_migrated_sqlite(tmp_path / "k.db"), KORSYNC_API_URL=url,
                   KORSYNC_API_TOKEN=wrong)  # fmt: skip
    assert result.exit_code == EXIT_FAILED
    found = lines(result)
    assert found["api"][0] == "ok"
    status, message = found["credentials"]
    assert status == "FAIL" and message.startswith("refused: HTTP 401")
    assert '"Authorization: <token>" was refused too' in message
    assert found["catalogue"][0] == "skip" and found["clock"][0] == "ok"
    assert wrong not in result.output and sim.token not in result.output


def test_bearer_refused_by_a_bare_key_api_names_the_setting(tmp_path: Path) -> None:
    """The docs' form: a bare-key API refuses ``Bearer <token>``; check tries the token alone
    and names the setting that makes korsync send it that way."""
    database = _migrated_sqlite(tmp_path / "k.db")
    with served(auth="bare") as (sim, url):
        refused = check(KORSYNC_DATABASE_URL=database, KORSYNC_API_URL=url,
                        KORSYNC_API_TOKEN=sim.token)  # fmt: skip
        fixed = check(KORSYNC_DATABASE_URL=database, KORSYNC_API_URL=url,
                      KORSYNC_API_TOKEN=sim.token, KORSYNC_API_AUTH_SCHEME="none")  # fmt: skip
    status, message = lines(refused)["credentials"]
    assert status == "FAIL" and message.endswith("set KORSYNC_API_AUTH_SCHEME=none")
    assert fixed.exit_code == 0, fixed.output
    assert '"Authorization: <token>"' in lines(fixed)["settings"][1]


def test_refused_client_secret(api: tuple[Simulator, str], tmp_path: Path) -> None:
    """OIDC credentials the token endpoint refuses: credentials FAIL saying so, no secret shown."""
    sim, url = api
    wrong = sim.client_secret + "x"
    result = check(KORSYNC_DATABASE_URL=_migrated_sqlite(tmp_path / "k.db"), KORSYNC_API_URL=url,
                   KORSYNC_CLIENT_ID=sim.client_id, KORSYNC_CLIENT_SECRET=wrong,
                   KORSYNC_TOKEN_URL=url + sim.token_path)  # fmt: skip
    assert result.exit_code == EXIT_FAILED
    status, message = lines(result)["credentials"]
    assert status == "FAIL" and "token endpoint refused the client credentials" in message
    assert wrong not in result.output and sim.client_secret not in result.output


def test_client_credentials_pass(api: tuple[Simulator, str], tmp_path: Path) -> None:
    """OIDC client credentials that work: every line ok, the client id shown, the secret not."""
    sim, url = api
    result = check(KORSYNC_DATABASE_URL=_migrated_sqlite(tmp_path / "k.db"), KORSYNC_API_URL=url,
                   KORSYNC_CLIENT_ID=sim.client_id, KORSYNC_CLIENT_SECRET=sim.client_secret,
                   KORSYNC_TOKEN_URL=url + sim.token_path)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert f"OIDC client {sim.client_id}" in lines(result)["settings"][1]
    assert sim.client_secret not in result.output


def test_database_behind_names_db_upgrade(api: tuple[Simulator, str], tmp_path: Path) -> None:
    """A database one migration behind fails its line naming ``korsync db upgrade``."""
    sim, url = api
    previous = pending_revisions(None)[-2][0]
    database = _migrated_sqlite(tmp_path / "k.db", previous)
    result = check(KORSYNC_DATABASE_URL=database, KORSYNC_API_URL=url, KORSYNC_API_TOKEN=sim.token)
    assert result.exit_code == EXIT_FAILED
    status, message = lines(result)["database"]
    assert status == "FAIL"
    assert f"is at {previous}, 1 migration(s) behind {head_revision()}" in message
    assert message.endswith("run 'korsync db upgrade'")


def test_missing_or_empty_database_names_db_upgrade(
    api: tuple[Simulator, str], tmp_path: Path
) -> None:
    """No SQLite file (none is created by checking) or one without korsync's schema: both
    name ``korsync db upgrade``."""
    sim, url = api
    missing = tmp_path / "missing.db"
    result = check(KORSYNC_DATABASE_URL=f"sqlite:///{missing}", KORSYNC_API_URL=url,
                   KORSYNC_API_TOKEN=sim.token)  # fmt: skip
    assert lines(result)["database"] == (
        "FAIL",
        f"no database at {missing}: run 'korsync db upgrade'",
    )
    assert not missing.exists()
    empty = tmp_path / "empty.db"
    empty.touch()
    result = check(KORSYNC_DATABASE_URL=f"sqlite:///{empty}", KORSYNC_API_URL=url,
                   KORSYNC_API_TOKEN=sim.token)  # fmt: skip
    status, message = lines(result)["database"]
    assert status == "FAIL" and "holds no korsync schema: run 'korsync db upgrade'" in message


def test_unreachable_postgres_is_one_line_without_password(api: tuple[Simulator, str]) -> None:
    """A PostgreSQL server that is not there fails its line fast; its password is not shown."""
    sim, url = api
    database = f"postgresql://korsync:hunter2@127.0.0.1:{_closed_port()}/nowhere"
    started = time.monotonic()
    result = check(KORSYNC_DATABASE_URL=database, KORSYNC_API_URL=url, KORSYNC_API_TOKEN=sim.token)
    assert time.monotonic() - started < 10
    status, message = lines(result)["database"]
    assert status == "FAIL" and "unreachable" in message and "/nowhere" in message
    assert "hunter2" not in result.output
    assert result.exit_code == EXIT_FAILED


def test_invalid_setting_skips_the_rest() -> None:
    """A bad value fails the settings line naming the variable; nothing else can run."""
    result = check(KORSYNC_HTTP_TIMEOUT="-1", KORSYNC_API_TOKEN="some-token-value")
    assert result.exit_code == EXIT_FAILED
    found = lines(result)
    assert found["settings"][0] == "FAIL" and "KORSYNC_HTTP_TIMEOUT" in found["settings"][1]
    assert {found[name][0] for name in CHECKS[1:]} == {"skip"}


def test_missing_credentials_still_check_the_database(tmp_path: Path) -> None:
    """No credentials: settings FAIL naming the variables, the database is still checked, the
    API lines are skipped."""
    result = check(KORSYNC_DATABASE_URL=_migrated_sqlite(tmp_path / "k.db"))
    found = lines(result)
    assert found["settings"][0] == "FAIL" and "KORSYNC_API_TOKEN" in found["settings"][1]
    assert found["database"][0] == "ok"
    assert {found[name][0] for name in CHECKS[2:]} == {"skip"}
    assert result.exit_code == EXIT_FAILED


def test_unknown_variable_warns(api: tuple[Simulator, str], tmp_path: Path) -> None:
    """A misspelt variable is a warning naming the setting it probably meant: exit 3."""
    sim, url = api
    result = check(KORSYNC_DATABASE_URL=_migrated_sqlite(tmp_path / "k.db"), KORSYNC_API_URL=url,
                   KORSYNC_API_TOKEN=sim.token, KORSYNC_OVERLAP_SECOND="5")  # fmt: skip
    assert result.exit_code == EXIT_WARNED
    status, message = lines(result)["settings"]
    assert status == "WARN" and "did you mean KORSYNC_OVERLAP_SECONDS?" in message
    assert result.output.splitlines()[-1] == "0 failed, 1 warned (exit 3)"


@pytest.mark.parametrize(
    ("model", "present", "absent"),
    [("product_bases", "product_bases (newer", "events (older"),
     ("events", "events (older", "product_bases (newer")],
)  # fmt: skip
def test_catalogue_model_of_the_account(
    tmp_path: Path, model: str, present: str, absent: str
) -> None:
    """An account on one model: that model present, the other absent (HTTP 404); still ok."""
    database = _migrated_sqlite(tmp_path / "k.db")
    with served(catalog_model=model) as (sim, url):
        result = check(KORSYNC_DATABASE_URL=database, KORSYNC_API_URL=url,
                       KORSYNC_API_TOKEN=sim.token)  # fmt: skip
    status, message = lines(result)["catalogue"]
    assert status == "ok", message
    assert f"{present} model) present" in message
    assert f"{absent} model) absent (HTTP 404)" in message


def test_skewed_clock_warns(api: tuple[Simulator, str]) -> None:
    """A machine five minutes ahead of the API's Date header warns (exit 3 on its own)."""
    sim, url = api
    settings = load_settings(api_url=url, api_token=sim.token)
    ahead = list(check_api(settings, now=lambda: dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)))
    clock = ahead[-1]
    assert clock.name == "clock" and clock.status == "WARN"
    assert "ahead of the API's Date" in clock.message
    assert "KORSYNC_SAFETY_MARGIN_SECONDS=60" in clock.message
    assert exit_status(ahead) == EXIT_WARNED
    behind = list(check_api(settings, now=lambda: dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)))
    assert behind[-1].status == "WARN" and "behind the API's Date" in behind[-1].message


def test_clock_without_date_header_warns() -> None:
    """An answer without a Date header leaves the difference unknown: a warning, not a pass."""
    line = check_clock(Probe("http://api.test/", 401), dt.datetime.now(dt.UTC), 60)
    assert line.status == "WARN" and "no Date header" in line.message


def test_help_lists_check_first() -> None:
    """``korsync --help`` lists ``check`` with what it checks."""
    result = CliRunner().invoke(main, ["--help"])
    assert "  check" in result.output
    detail = CliRunner().invoke(main, ["check", "--help"])
    assert "Exit 0 when all passed, 1 when one failed, 3" in " ".join(detail.output.split())
