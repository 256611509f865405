"""The simulator's bare-key shape (``SimConfig(auth="bare")``, ``korsync fake-api --auth bare``):
``Authorization`` must be the token alone, as the API docs' curl examples send it
(``-H 'Authorization: YOUR_API_KEY_HERE'``, ../shared/korusticket-api/seed-dev-docs.txt), and
``Bearer <token>`` gets a 401. Off by default, named in ``--help``; and as real processes, what
``korsync fake-api --auth bare`` prints is all ``korsync check`` and ``korsync sync`` need."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from korsync.fake_api import SimConfig, Simulator
from korsync.fake_api.command import fake_api
from korsync.models import Order
from tests.support.fake_api import BASE_URL, StartFakeApi, korsync_env, make_sim

ORDERS = "/v1/booking/orders"


def _get(sim: Simulator, authorization: str, path: str = ORDERS) -> httpx.Response:
    transport = httpx.WSGITransport(app=sim.wsgi)
    with httpx.Client(transport=transport, base_url=BASE_URL) as client:
        return client.get(path, headers={"Authorization": authorization})


def test_bare_shape_wants_the_token_alone() -> None:
    """The static token alone is served; ``Bearer <token>`` is a 401 problem document."""
    sim = make_sim(auth="bare")
    assert _get(sim, sim.token).status_code == 200
    refused = _get(sim, f"Bearer {sim.token}")
    assert refused.status_code == 401
    assert refused.json()["status"] == 401
    assert _get(sim, "").status_code == 401


def test_bare_shape_takes_issued_tokens_alone() -> None:
    """Tokens from the OIDC endpoint are also sent alone in the bare shape."""
    sim = make_sim(auth="bare")
    form = {"grant_type": "client_credentials", "client_id": sim.client_id}
    form["client_secret"] = sim.client_secret
    with httpx.Client(transport=httpx.WSGITransport(app=sim.wsgi), base_url=BASE_URL) as client:
        access = client.post(sim.token_path, data=form).json()["access_token"]
    assert _get(sim, access).status_code == 200
    assert _get(sim, f"Bearer {access}").status_code == 401


def test_default_shape_is_bearer() -> None:
    """Off by default: the token alone is refused and ``Bearer <token>`` served."""
    sim = make_sim()
    assert sim.config.auth == "bearer"
    assert _get(sim, sim.token).status_code == 401
    assert _get(sim, f"Bearer {sim.token}").status_code == 200


def test_unknown_shape_is_refused() -> None:
    """``SimConfig`` names the shapes it knows."""
    with pytest.raises(ValueError, match="auth must be one of bearer, bare"):
        SimConfig(auth="basic")  # type: ignore[arg-type]


def test_help_names_the_bare_shape() -> None:
    """``korsync fake-api --help`` lists ``--auth`` with its default."""
    result = CliRunner().invoke(fake_api, ["--help"])
    assert result.exit_code == 0
    assert "--auth [bearer|bare]" in result.output and "default:" in result.output


@pytest.fixture
def bare_fake_api(start_fake_api: StartFakeApi) -> dict[str, str]:
    """``korsync fake-api --auth bare`` on a free port; what its ``export`` lines set."""
    return start_fake_api("--orders", "150", "--auth", "bare")


def _korsync(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "korsync", *args],
        env=korsync_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
def test_bare_key_end_to_end(
    bare_fake_api: dict[str, str], engine: Engine, database_url: str
) -> None:
    """Against ``fake-api --auth bare``: with its printed exports (``KORSYNC_API_AUTH_SCHEME=none``
    among them) ``korsync check`` passes and ``korsync sync --stream orders`` mirrors every order;
    without the scheme, check names the fix and sync fails on the 401."""
    assert bare_fake_api["KORSYNC_API_AUTH_SCHEME"] == "none"
    env = {**bare_fake_api, "KORSYNC_DATABASE_URL": database_url}
    checked = _korsync("check", **env)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    synced = _korsync("sync", "--stream", "orders", **env)
    assert synced.returncode == 0, synced.stderr
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Order)) == 150

    bearer = {k: v for k, v in env.items() if k != "KORSYNC_API_AUTH_SCHEME"}
    refused = _korsync("check", **bearer)
    assert refused.returncode == 1
    assert "set KORSYNC_API_AUTH_SCHEME=none" in refused.stdout
    failed = _korsync("sync", "--stream", "orders", **bearer)
    assert failed.returncode != 0 and "401" in failed.stdout + failed.stderr
    token = bare_fake_api["KORSYNC_API_TOKEN"]
    texts = (checked, synced, refused, failed)
    assert all(token not in done.stdout + done.stderr for done in texts)
