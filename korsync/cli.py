"""The ``korsync`` command line: builds settings, engine, client and scheduler and passes them down."""

import click


@click.group(context_settings={"auto_envvar_prefix": "KORSYNC", "help_option_names": ["-h", "--help"]})
@click.version_option(package_name="korsync")
def main() -> None:
    """Mirror a KorusTicket account into PostgreSQL or SQLite."""
