"""Helpers for multi-account tests: an accounts file naming one account per organization of a
served simulator (tokens in files beside it), with names unique to the test so that parallel
runs on one PostgreSQL server never share a schema or a role, and a clean-up that drops them."""

from __future__ import annotations

import dataclasses
import os
import uuid
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from korsync.accounts import SCHEMA_PREFIX, schema_url
from korsync.db.engine import make_engine
from korsync.fake_api import Simulator


@dataclasses.dataclass
class AccountsFile:
    """An accounts file of ``len(names)`` accounts; account ``k`` is organization ``k``."""

    path: Path
    names: list[str]
    views_schema: str
    database_url: str

    def schema(self, k: int) -> str:
        return SCHEMA_PREFIX + self.names[k]

    def engine(self, k: int) -> Engine:
        """An engine on account ``k``'s schema."""
        return make_engine(schema_url(make_url(self.database_url), self.schema(k)))

    def env(self, **extra: str) -> dict[str, str]:
        """The variables a korsync command needs to mirror these accounts."""
        return {
            "KORSYNC_ACCOUNTS_FILE": str(self.path),
            "KORSYNC_DATABASE_URL": self.database_url,
            "KORSYNC_LOG_LEVEL": "WARNING",
            **extra,
        }


def write_accounts(
    folder: Path,
    sim: Simulator,
    base_url: str,
    database_url: str,
    count: int,
    extra: str = "",
    api_urls: dict[int, str] | None = None,
) -> AccountsFile:
    """Write the accounts file (and one token file per account) into ``folder``; account ``k``
    talks to ``api_urls[k]`` if given, else to ``base_url``."""
    prefix = f"t{os.getpid()}{uuid.uuid4().hex[:6]}"
    names = [f"{prefix}_{k}" for k in range(count)]
    lines = [f'views_schema = "{prefix}_all"']
    for k, name in enumerate(names):
        (folder / f"{name}.token").write_text(sim.organization(k)["token"] + "\n")
        lines += [
            f"[accounts.{name}]",
            f'api_url = "{(api_urls or {}).get(k, base_url)}"',
            f'api_token_file = "{name}.token"',
            "rate_limit = 1000",
            extra,
        ]
    path = folder / "accounts.toml"
    path.write_text("\n".join(lines) + "\n")
    return AccountsFile(path, names, f"{prefix}_all", database_url)


def drop_accounts(admin: Engine, accounts: AccountsFile) -> None:
    """Drop every schema and role the accounts' commands may have created."""
    schemas = [accounts.schema(k) for k in range(len(accounts.names))] + [accounts.views_schema]
    with admin.begin() as conn:
        for schema in schemas:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        prefix = accounts.names[0].split("_")[0]
        roles = conn.scalars(
            text("SELECT rolname FROM pg_roles WHERE rolname LIKE :a OR rolname LIKE :b"),
            {"a": f"{SCHEMA_PREFIX}{prefix}%", "b": f"{prefix}%"},
        ).all()
        for role in roles:
            conn.execute(text(f'DROP OWNED BY "{role}" CASCADE'))
            conn.execute(text(f'DROP ROLE "{role}"'))
