"""The command line imports a command's module only when that command is named: ``korsync
backfill`` (and so each backfill worker process, which imports the same module) starts without
the daemon, the simulator or the other commands; ``--help`` still lists every command."""

from __future__ import annotations

import subprocess
import sys

import click
from click.testing import CliRunner

from korsync.cli import main

PROBE = """
import sys
from korsync.cli import main
try:
    main(["backfill", "--help"])
except SystemExit:
    pass
print(sorted(m for m in sys.modules if m.startswith(("korsync.daemon", "korsync.fake_api",
      "apscheduler", "korsync.cli.accounts_commands", "korsync.cli.check"))))
"""


def test_a_command_imports_only_its_own_modules() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_help_lists_every_command_and_each_loads() -> None:
    shown = CliRunner().invoke(main, ["--help"]).output
    context = click.Context(main)
    for name in main.lazy:
        assert f"  {name} " in shown
        command = main.get_command(context, name)
        assert isinstance(command, click.Command) and command.name == name
