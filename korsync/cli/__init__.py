"""The ``korsync`` command line: ``main`` is the console script; ``app`` holds the group and what
the commands share, ``options`` turns settings into the parts' options, and the commands live in
``commands`` and ``db_commands``."""

from korsync.cli.accounts_commands import accounts
from korsync.cli.app import main
from korsync.cli.audit_command import audit
from korsync.cli.check import check
from korsync.cli.commands import backfill, config_command, demo_command, run, status, sync
from korsync.cli.db_commands import db
from korsync.fake_api.command import fake_api

for command in (
    accounts,
    check,
    db,
    status,
    sync,
    backfill,
    audit,
    run,
    config_command,
    demo_command,
    fake_api,
):
    main.add_command(command)

__all__ = ["main"]
