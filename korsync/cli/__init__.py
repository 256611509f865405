"""The ``korsync`` command line: ``main`` is the console script; ``app`` holds the group and what
the commands share, ``options`` turns settings into the parts' options, and the commands live in
``commands``, ``db_commands`` and the modules named below, each imported only when its command
is run (or listed by ``--help``)."""

from korsync.cli.app import main

main.lazy.update(
    {
        "accounts": "korsync.cli.accounts_commands:accounts",
        "audit": "korsync.cli.audit_command:audit",
        "backfill": "korsync.cli.commands:backfill",
        "check": "korsync.cli.check:check",
        "config": "korsync.cli.commands:config_command",
        "db": "korsync.cli.db_commands:db",
        "demo": "korsync.cli.commands:demo_command",
        "fake-api": "korsync.fake_api.command:fake_api",
        "run": "korsync.cli.commands:run",
        "status": "korsync.cli.commands:status",
        "sync": "korsync.cli.commands:sync",
    }
)

__all__ = ["main"]
