"""The daemon's ``STATUS=`` line over every account: the latest result of any account, every
failing job of every account, a count of the rest when many fail."""

from __future__ import annotations

from korsync.daemon.status_board import NAMED_FAILURES, StatusBoard


def test_one_account_reads_as_before() -> None:
    """A single account's line is its last result and its failing streams, nothing more."""
    board = StatusBoard()
    assert board.line() == "no run finished yet"
    board.record("orders", "failed", "at 10:00:00Z: HTTP 500")
    board.record("documents", "succeeded", "at 10:00:01Z: 3 pages")
    assert board.line() == "documents succeeded at 10:00:01Z: 3 pages; failing: orders"


def test_several_accounts_are_summarised_together() -> None:
    """The line counts the accounts and names the failing jobs of all of them, whichever
    account recorded last; a success clears only its own job."""
    board = StatusBoard(accounts=3)
    board.record("acme/orders", "failed", "at 10:00:00Z: HTTP 401")
    board.record("beta/orders", "failed", "at 10:00:01Z: HTTP 500")
    board.record("gamma/orders", "succeeded", "at 10:00:02Z: 1 page")
    assert board.line() == (
        "3 accounts; last: gamma/orders succeeded at 10:00:02Z: 1 page;"
        " failing: acme/orders, beta/orders"
    )
    board.record("beta/orders", "succeeded", "at 10:00:03Z: 2 pages")
    assert board.line().endswith("; failing: acme/orders")
    assert board.failures("acme/orders") == 1 and board.failures("beta/orders") == 0


def test_many_failures_are_counted_not_listed() -> None:
    """Past ``NAMED_FAILURES`` failing jobs the line names the first few and counts the rest,
    so it stays one short line."""
    board = StatusBoard(accounts=20)
    for k in range(NAMED_FAILURES + 3):
        board.record(f"a{k:02d}/orders", "failed", "at 10:00:00Z: down")
    assert board.line().endswith(f"a{NAMED_FAILURES - 1:02d}/orders and 3 more")
