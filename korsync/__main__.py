"""Entry point for ``python -m korsync``."""

from korsync.cli import main

main()
