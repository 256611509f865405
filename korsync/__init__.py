"""korsync mirrors one KorusTicket account (orders and catalogue) into a SQL database."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("korsync")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"
