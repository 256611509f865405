"""Secrets never reach output, logs, errors, ``status`` or the database."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from korsync.cli import main
from korsync.fake_api import serve
from korsync.models import RejectedRecord, SyncRun, SyncState
from tests.support.sync import make_sim


def _database_text(engine: Engine) -> str:
    with Session(engine) as session:
        runs = [(r.error, r.details) for r in session.scalars(select(SyncRun))]
        states = [s.cursor for s in session.scalars(select(SyncState))]
        rejects = [r.raw for r in session.scalars(select(RejectedRecord))]
    return repr((runs, states, rejects))


def test_client_secret_and_tokens_stay_secret(
    engine: Engine, database_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A sync with OIDC credentials that hits server errors, a status call and a wrong static
    token leave no secret or token in output, logs or the mirror."""
    caplog.set_level(logging.DEBUG)
    sim = make_sim(orders=120)
    sim.inject("500", count=4)
    secrets = {sim.client_secret, sim.token}
    with serve(sim) as base_url:
        env = {
            "KORSYNC_API_URL": base_url,
            "KORSYNC_CLIENT_ID": sim.client_id,
            "KORSYNC_CLIENT_SECRET": sim.client_secret,
            "KORSYNC_TOKEN_URL": base_url + sim.token_path,
            "KORSYNC_RATE_LIMIT": "1000",
        }
        runner = CliRunner()
        synced = runner.invoke(
            main, ["--database-url", database_url, "sync", "--stream", "orders"], env=env
        )
        status = runner.invoke(main, ["--database-url", database_url, "status", "--json"], env=env)
        wrong = "not-the-token-" + sim.token[::-1]
        secrets.add(wrong)
        refused = runner.invoke(
            main,
            ["--database-url", database_url, "sync", "--stream", "orders"],
            env={"KORSYNC_API_URL": base_url, "KORSYNC_API_TOKEN": wrong},
        )
    assert synced.exit_code == 0, synced.output
    assert refused.exit_code == 1 and "401" in refused.output
    seen = [synced.output, status.output, refused.output, caplog.text, _database_text(engine)]
    for secret in secrets:
        assert not any(secret in text for text in seen), "a secret leaked"
